"""LaTeX report: a standalone ``.tex`` per document, and PDF through pdflatex.

Only packages from TeX Live's ``latex-base``/``latex-recommended`` sets are
used.  User LaTeX (it came from math blocks) goes into math mode, after
guards against what would break the surrounding document (``&``, ``\\\\``,
``%``, unbalanced braces or ``\\left``/``\\right``, characters pdflatex
cannot typeset); a line that fails a guard is shown as typewriter source.
Text fields (paths, headings, messages) are escaped, and characters outside
Latin-1 (e.g. Chinese headings) become ``?`` because pdflatex cannot set
CJK without extra packages.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from derive.model import VERDICTS, ChainResult, FileResult, StepResult
from derive.report._common import (
    definition_text,
    display_message,
    expectation_note,
    failing_phrase,
    section_text,
)


class LatexError(RuntimeError):
    """pdflatex failed; the message ends with the tail of its log."""


# --------------------------------------------------------------------------
# escaping
# --------------------------------------------------------------------------

_TEXT_ESCAPES = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "|": r"\textbar{}",
    '"': "''",
}
_NON_LATIN1_RUN = re.compile(r"[^\t\n\x20-\x7e\xa0-\xff]+")


def latin1(text: str) -> str:
    """Replace each run of characters pdflatex cannot set here with a single ``?``."""
    return _NON_LATIN1_RUN.sub("?", text.replace("\r", ""))


_TEXT_UNICODE = {
    "\u2014": "---",
    "\u2013": "--",
    "\u2026": r"\dots{}",
    "\u201c": "``",
    "\u201d": "''",
    "\u2018": "`",
    "\u2019": "'",
    "\u2192": r"$\to$",
    "\u2190": r"$\leftarrow$",
    "\u2713": r"$\checkmark$",
    "\u2717": r"$\times$",
    "\u2248": r"$\approx$",
    "\u2260": r"$\neq$",
    "\u2264": r"$\leq$",
    "\u2265": r"$\geq$",
    "\u2212": "-",
    "\u203a": r"$>$",
    "\u2022": r"\textbullet{}",
}


def escape_text(text: object) -> str:
    """Escape text for LaTeX text mode (untrusted input)."""
    out = "".join(
        _TEXT_ESCAPES.get(ch) or _TEXT_UNICODE.get(ch) or ch for ch in str(text).replace("\r", "")
    )
    return latin1(out).replace("\n", " ").replace("\t", " ")


def _texttt(text: str) -> str:
    # Allow line breaks after a few characters in long source strings.
    escaped = escape_text(text)
    escaped = escaped.replace(r"\textbackslash{}", r"\allowbreak{}\textbackslash{}")
    return r"\texttt{" + re.sub(r"([,+=(])", r"\1\\allowbreak{}", escaped) + "}"


_UNICODE_MATH = {
    "α": r"\alpha ",
    "β": r"\beta ",
    "γ": r"\gamma ",
    "δ": r"\delta ",
    "ε": r"\varepsilon ",
    "ζ": r"\zeta ",
    "η": r"\eta ",
    "θ": r"\theta ",
    "ι": r"\iota ",
    "κ": r"\kappa ",
    "λ": r"\lambda ",
    "μ": r"\mu ",
    "ν": r"\nu ",
    "ξ": r"\xi ",
    "π": r"\pi ",
    "ρ": r"\rho ",
    "σ": r"\sigma ",
    "τ": r"\tau ",
    "φ": r"\varphi ",
    "χ": r"\chi ",
    "ψ": r"\psi ",
    "ω": r"\omega ",
    "Γ": r"\Gamma ",
    "Δ": r"\Delta ",
    "Θ": r"\Theta ",
    "Λ": r"\Lambda ",
    "Π": r"\Pi ",
    "Σ": r"\Sigma ",
    "Φ": r"\Phi ",
    "Ψ": r"\Psi ",
    "Ω": r"\Omega ",
    "−": "-",
    "×": r"\times ",
    "·": r"\cdot ",
    "≤": r"\le ",
    "≥": r"\ge ",
    "≠": r"\ne ",
    "≈": r"\approx ",
    "∞": r"\infty ",
    "∂": r"\partial ",
    "∑": r"\sum ",
    "∏": r"\prod ",
    "→": r"\to ",
    "⇒": r"\Rightarrow ",
    "±": r"\pm ",
    "∈": r"\in ",
    "√": r"\surd ",
    "′": "'",
    "\u00a0": " ",
}


def _balanced(latex: str) -> bool:
    depth = 0
    i = 0
    while i < len(latex):
        ch = latex[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth < 0:
                return False
        i += 1
    if depth:
        return False
    lefts = len(re.findall(r"\\left(?![a-zA-Z])", latex))
    rights = len(re.findall(r"\\right(?![a-zA-Z])", latex))
    begins = re.findall(r"\\begin\{([^}]*)\}", latex)
    ends = re.findall(r"\\end\{([^}]*)\}", latex)
    return lefts == rights and sorted(begins) == sorted(ends)


def clean_math(latex: str) -> str | None:
    """User LaTeX made safe to drop into math mode, or None when it is not."""
    text = (latex or "").replace("\r", " ").replace("\n", " ").strip()
    text = "".join(_UNICODE_MATH.get(ch, ch) for ch in text)
    if re.search(r"[^\x20-\x7e]", text):  # anything else non-ASCII: give up on math mode
        return None
    text = re.sub(r"\\(label|tag\*?)\{[^{}]*\}", "", text)
    text = re.sub(r"\\(nonumber|notag)(?![a-zA-Z])", "", text)
    text = re.sub(r"(?<!\\)\\\\(\[[^\]]*\])?", " ", text)  # line breaks
    text = re.sub(r"(?<!\\)&", " ", text)  # alignment points
    text = re.sub(r"(?<!\\)%", r"\\%", text)
    text = re.sub(r"(?<!\\)#", r"\\#", text)
    text = re.sub(r"(?<!\\)\$", " ", text)
    if re.search(
        r"\\(input|include|write|openout|immediate|catcode|def|let|csname|"
        r"usepackage|documentclass|end\{document\}|makeatletter)(?![a-zA-Z])",
        text,
    ):
        return None
    if not text.strip() or not _balanced(text):
        return None
    # < > | typed in \text{} would print as ¡ ¿ — in OT1 fonts; \ensuremath works in both modes.
    text = _TEXT_ARG.sub(
        lambda m: m.group(1) + re.sub(r"(?<!\\)([<>|])", r"\\ensuremath{\1}", m.group(2)) + "}",
        text,
    )
    return text.strip()


_TEXT_ARG = re.compile(r"(\\(?:text|textrm|textit|textbf|textsf|texttt|mbox)\s*\{)([^{}]*)\}")


def math_or_source(latex: str | None, *, display: bool = True) -> str:
    """Math-mode material (without the surrounding ``$``) for ``latex``."""
    cleaned = clean_math(latex or "")
    if cleaned is None:
        return r"\text{" + _texttt(latex or "") + "}"
    return (r"\displaystyle " if display else "") + cleaned


# --------------------------------------------------------------------------
# document
# --------------------------------------------------------------------------

_PREAMBLE = r"""\documentclass[10pt,a4paper]{article}
\usepackage[utf8]{inputenc}
\usepackage[margin=2cm,includefoot]{geometry}
\usepackage{amsmath,amssymb}
\usepackage[table]{xcolor}
\usepackage{array,longtable,booktabs}
\usepackage{graphicx}
\usepackage{parskip}
\definecolor{vproved}{HTML}{1A7F37}
\definecolor{vbounded}{HTML}{1B7C83}
\definecolor{vnumeric}{HTML}{0969DA}
\definecolor{vrefuted}{HTML}{CF222E}
\definecolor{vundecided}{HTML}{9A6700}
\definecolor{vunparsed}{HTML}{8250DF}
\definecolor{verror}{HTML}{A40E26}
\definecolor{culpritbg}{HTML}{FFE3E0}
\definecolor{muted}{HTML}{59636E}
\newcommand{\vmark}[2]{\textcolor{v#1}{\textbf{#2}}}
\newcommand{\vproved}{\vmark{proved}{$\checkmark$\,proved}}
\newcommand{\vbounded}{\vmark{bounded}{$\checkmark$\,bounded}}
\newcommand{\vnumeric}{\vmark{numeric}{$\approx$\,numeric}}
\newcommand{\vrefuted}{\vmark{refuted}{$\times$\,refuted}}
\newcommand{\vundecided}{\vmark{undecided}{?\,undecided}}
\newcommand{\vunparsed}{\vmark{unparsed}{!\,unparsed}}
\newcommand{\verror}{\vmark{error}{$\times$\,error}}
\newcommand{\lineno}[1]{\textcolor{muted}{\footnotesize L#1}}
\newcommand{\culprit}[1]{\colorbox{culpritbg}{$\displaystyle #1$}}
\newcommand{\culprittag}[1]{\textcolor{vrefuted}{\footnotesize\textbf{culprit: line #1}}}
\newcommand{\exptag}[1]{\textcolor{muted}{\footnotesize #1}}
% evidence too wide for its column (long residuals) is scaled down to fit
\newsavebox{\fitbox}
\newcommand{\fit}[1]{\sbox{\fitbox}{#1}\ifdim\wd\fitbox>\linewidth
  \resizebox{\linewidth}{!}{\usebox{\fitbox}}\else\usebox{\fitbox}\fi}
\newcommand{\unmettag}[1]{\colorbox{vrefuted}{\textcolor{white}{\footnotesize\textbf{#1}}}}
% Guards for macros common in notes but not defined by amsmath/amssymb.
\providecommand{\R}{\mathbb{R}}
\providecommand{\N}{\mathbb{N}}
\providecommand{\Z}{\mathbb{Z}}
\providecommand{\Q}{\mathbb{Q}}
\providecommand{\E}{\mathbb{E}}
\providecommand{\Var}{\operatorname{Var}}
\providecommand{\Cov}{\operatorname{Cov}}
\providecommand{\argmax}{\operatorname*{arg\,max}}
\providecommand{\argmin}{\operatorname*{arg\,min}}
\providecommand{\sigmoid}{\operatorname{sigmoid}}
\providecommand{\softmax}{\operatorname{softmax}}
\providecommand{\relu}{\operatorname{ReLU}}
\providecommand{\tr}{\operatorname{tr}}
\providecommand{\diag}{\operatorname{diag}}
\providecommand{\sign}{\operatorname{sign}}
\providecommand{\sgn}{\operatorname{sgn}}
\providecommand{\T}{\top}
\providecommand{\dd}{\mathrm{d}}
\providecommand{\bm}[1]{\boldsymbol{#1}}
\providecommand{\mathbbm}[1]{\mathbb{#1}}
\providecommand{\mathscr}[1]{\mathcal{#1}}
\providecommand{\norm}[1]{\left\lVert #1\right\rVert}
\providecommand{\abs}[1]{\left\lvert #1\right\rvert}
\providecommand{\coloneqq}{\mathrel{:}=}
\providecommand{\eqqcolon}{=\mathrel{:}}
\providecommand{\given}{\mid}
\setlength{\LTpre}{4pt}
\setlength{\LTpost}{8pt}
\allowdisplaybreaks
\sloppy
"""

_RELATIONS = {"=": "=", "approx": r"\approx", "implies": r"\Longrightarrow", "equivalent": r"\iff"}


def _verdict_macro(verdict: str) -> str:
    return f"\\v{verdict}" if verdict in VERDICTS else escape_text(verdict)


def _step_tag(step: StepResult) -> str:
    parts = [_verdict_macro(step.verdict)]
    note = expectation_note(step)
    if note == "expected":
        parts.append(r"\exptag{(expected)}")
    elif note:
        parts.append(r"\unmettag{" + escape_text(note) + "}")
    if step.culprit:
        parts.append(r"\culprittag{" + str(int(step.line)) + "}")
    parts.append(r"\lineno{" + str(int(step.line)) + "}")
    return r"\tag*{" + r"\ \ ".join(parts) + "}"


def _side(latex: str, step: StepResult | None, unparsed: bool) -> str:
    if unparsed:  # source as typed, in a box that wraps instead of running off the page
        body = (r"\text{\parbox[t]{0.62\linewidth}{\raggedright " + _texttt(latex) + "}}")
    else:
        body = math_or_source(latex)
    if step is not None and step.culprit:
        return r"\culprit{" + body + "}"
    return body


def _align(chain: ChainResult) -> str:
    rows: list[str] = []
    previous_rhs: str | None = None
    for step in chain.steps:
        if previous_rhs is None or step.lhs.strip() != previous_rhs.strip():
            start = _side(step.lhs, None, step.verdict == "unparsed" and previous_rhs is None)
            rows.append(f"  & {start} \\tag*{{\\lineno{{{int(step.from_line)}}}}}")
        previous_rhs = step.rhs
        rel = _RELATIONS.get(step.relation, "=")
        rhs = _side(step.rhs, step, step.verdict == "unparsed")
        rows.append(f"  {rel}{{}} & {rhs} {_step_tag(step)}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def _mapping(mapping: dict[str, str]) -> str:
    items = []
    for key, value in mapping.items():
        name = r"\text{" + escape_text(key) + "}" if key in ("lhs", "rhs") else None
        if name is None:
            name = clean_math(str(key)) or r"\text{" + _texttt(str(key)) + "}"
        val = clean_math(str(value)) or r"\text{" + _texttt(str(value)) + "}"
        items.append(f"{name} = {val}")
    return r"$\displaystyle " + r",\quad ".join(items) + "$"


def _evidence(chain: ChainResult) -> str:
    rows: list[str] = []
    for step in chain.steps:
        items: list[tuple[str, str]] = []
        message = display_message(step, chain.path)
        if message and step.verdict not in ("proved", "bounded"):
            items.append(("message", escape_text(message)))
        if step.counterexample:
            items.append(("counterexample", _mapping(step.counterexample)))
        if step.values:
            items.append(("values", _mapping(step.values)))
        if step.residual:
            items.append(
                ("residual", r"\fit{$\text{lhs}-\text{rhs} = " + math_or_source(step.residual)
                 + "$}")
            )
        if step.ratio:
            items.append(
                ("ratio", r"\fit{$\dfrac{\text{lhs}}{\text{rhs}} = " + math_or_source(step.ratio)
                 + "$}")
            )
        for i, (kind, value) in enumerate(items):
            line = f"{int(step.line)}" if i == 0 else ""
            verdict = _verdict_macro(step.verdict) if i == 0 else ""
            rows.append(f"{line} & {verdict} & \\textit{{{kind}}} & {value} \\\\[2pt]")
        if items:
            rows.append(r"\midrule")
    if not rows:
        return ""
    if rows[-1] == r"\midrule":
        rows.pop()
    return (
        "\\begin{longtable}{@{}r@{\\hspace{8pt}}l l "
        ">{\\raggedright\\arraybackslash}p{0.56\\linewidth}@{}}\n"
        "\\toprule\nLine & Verdict & & Evidence \\\\\n\\midrule\n\\endhead\n"
        + "\n".join(rows)
        + "\n\\bottomrule\n\\end{longtable}\n"
    )


def _summary_table(file: FileResult) -> str:
    counts = dict.fromkeys(VERDICTS, 0)
    culprits = unmet = 0
    for chain in file.chains:
        for step in chain.steps:
            counts[step.verdict] = counts.get(step.verdict, 0) + 1
            culprits += int(step.culprit)
            unmet += int(not step.meets_expectation)
    head = " & ".join(_verdict_macro(v) for v in VERDICTS)
    nums = " & ".join(str(counts[v]) for v in VERDICTS)
    status = (
        r"\textcolor{vproved}{\textbf{All steps as expected.}}"
        if file.ok
        else r"\textcolor{vrefuted}{\textbf{Needs attention.}}"
    )
    facts = [f"{sum(counts.values())} steps in {len(file.chains)} chains"]
    if culprits:
        facts.append(f"{culprits} culprit line{'s' if culprits != 1 else ''}")
    if unmet:
        facts.append(failing_phrase(unmet))
    if file.problems:
        facts.append(f"{len(file.problems)} problem{'s' if len(file.problems) != 1 else ''}")
    return (
        f"{status} {escape_text(', '.join(facts))}.\n\n"
        "\\begin{center}\\begin{tabular}{" + "c" * len(VERDICTS) + "}\n\\toprule\n"
        f"{head} \\\\\n\\midrule\n{nums} \\\\\n\\bottomrule\n\\end{{tabular}}\\end{{center}}\n"
    )


def _problems(file: FileResult) -> str:
    if not file.problems:
        return ""
    items = "\n".join(
        f"  \\item \\texttt{{{escape_text(p.where())}}}: {escape_text(p.message)}"
        for p in file.problems
    )
    return (
        "\\subsection*{\\textcolor{vrefuted}{Problems reading the file}}\n"
        f"\\begin{{itemize}}\n{items}\n\\end{{itemize}}\n"
    )


def _chain(chain: ChainResult) -> str:
    mark = r"\textcolor{vproved}{$\checkmark$}" if chain.ok else r"\textcolor{vrefuted}{$\times$}"
    meta = [r"\texttt{" + escape_text(chain.id) + "}"]
    section = section_text(chain, sep=" > ")
    if section:
        meta.append(escape_text(section))
    if chain.pinned:
        meta.append("expectations pinned")
    if not chain.steps:  # a pure definition: one line
        out = [
            r"\medskip\noindent{\large\bfseries " + mark + r"\ "
            + escape_text(chain.name or chain.id)
            + r"}\quad{\small\color{muted}" + escape_text(definition_text(chain))
            + rf" \textperiodcentered{{}} line {int(chain.line)}" + r"\par}",
        ]
        out += [r"{\small\color{muted}Note: " + escape_text(n) + r"\par}" for n in chain.notes]
        return "\n".join(out) + "\n"
    out = [
        f"\\section*{{{mark}\\ {escape_text(chain.name or chain.id)}}}",
        r"{\small\color{muted}" + r" \textperiodcentered{} ".join(meta) + r"\par}",
    ]
    for note in chain.notes:
        out.append(r"{\small\color{muted}Note: " + escape_text(note) + r"\par}")
    if chain.steps:
        out.append(_align(chain))
        out.append(_evidence(chain))
    else:
        out.append(r"\textit{No steps.}")
    return "\n".join(out) + "\n"


def render_latex(file: FileResult, *, title: str) -> str:
    """A standalone, compilable LaTeX document for one checked file."""
    body = "\n".join(_chain(c) for c in file.chains) or r"\textit{No derivation chains found.}"
    return (
        _PREAMBLE
        + "\\begin{document}\n"
        + f"{{\\LARGE\\bfseries {escape_text(title)}\\par}}\n\\vspace{{2pt}}\n"
        + f"{{\\color{{muted}}\\texttt{{{escape_text(file.path)}}}\\par}}\n\\medskip\n"
        + _summary_table(file)
        + _problems(file)
        + body
        + "\n\\medskip\n{\\footnotesize\\color{muted} Checked by derive. "
        + r"\vproved: holds symbolically; \vbounded: holds for every size in the declared range; "
        + r"\vnumeric: agrees at many points; \vrefuted: a checked counterexample exists; "
        + r"\vundecided: nothing decided in time; \vunparsed: the line could not be read; "
        + r"\verror: derive failed on the step (a bug to report).\par}"
        + "\n\\end{document}\n"
    )


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------


def _log_tail(log: str, lines: int = 30) -> str:
    text = log.splitlines()
    # The first error line is the most useful; show from it when present.
    for i, line in enumerate(text):
        if line.startswith("!"):
            return "\n".join(text[i : i + lines])
    return "\n".join(text[-lines:])


def compile_pdf(
    tex_path: str | Path, pdf_path: str | Path | None = None, *, timeout: float = 60.0
) -> Path | None:
    """Compile ``tex_path`` with pdflatex in a temporary folder.

    Returns the PDF's path (``pdf_path``, default: beside the .tex), or None
    when pdflatex is not installed.  Raises :class:`LatexError` with the tail
    of the log when compilation fails or times out.  The PDF is moved into
    place atomically; nothing else is written beside the .tex.
    """
    pdflatex = shutil.which("pdflatex")
    if pdflatex is None:
        return None
    from derive.report.files import write_atomic

    tex_path = Path(tex_path)
    target = Path(pdf_path) if pdf_path is not None else tex_path.with_suffix(".pdf")
    source = tex_path.read_bytes()
    with tempfile.TemporaryDirectory(prefix="derive-tex-") as tmp:
        work = Path(tmp)
        (work / "report.tex").write_bytes(source)
        cmd = [
            pdflatex,
            "-interaction=nonstopmode",
            "-halt-on-error",
            "-no-shell-escape",
            "report.tex",
        ]
        log = ""
        for _ in range(2):  # twice: longtable widths settle on the second run
            try:
                proc = subprocess.run(
                    cmd,
                    cwd=work,
                    stdin=subprocess.DEVNULL,
                    capture_output=True,
                    timeout=timeout,
                    check=False,
                )
            except subprocess.TimeoutExpired as exc:
                raise LatexError(f"pdflatex timed out after {timeout:g} s on {tex_path}") from exc
            log_file = work / "report.log"
            log = (
                log_file.read_text(encoding="latin-1")
                if log_file.exists()
                else proc.stdout.decode("latin-1")
            )
            if proc.returncode != 0 or not (work / "report.pdf").exists():
                raise LatexError(
                    f"pdflatex failed on {tex_path} (exit {proc.returncode}):\n{_log_tail(log)}"
                )
            if "Rerun to get" not in log and "Table widths have changed" not in log:
                break
        write_atomic(target, (work / "report.pdf").read_bytes())
    return target
