"""What both LaTeX views share: escaping, math made safe, fonts, the preamble.

A :class:`Tex` knows the engine the PDF is made with.  XeLaTeX (``unicode``):
every script of the note is kept — Latin in Latin Modern, Chinese, Japanese
and Korean through xeCJK in Noto CJK, Greek and Cyrillic text in DejaVu Serif.
pdflatex: Latin-1 only; every other character becomes ``?`` and is recorded in
:attr:`Tex.lost`, so the report can say which characters it could not show.

All document text is untrusted.  Text is escaped; the author's LaTeX goes into
math mode only after guards against what would break the surrounding document
(``&``, ``\\\\``, ``%``, unbalanced braces, ``\\left``/``\\right`` or
environments, commands that define, read or write); a formula that fails a
guard is shown as its source, in typewriter.  ``safe`` shows every formula of
the document as source: the last resort when LaTeX cannot typeset one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from derive.model import VERDICTS
from derive.report._common import Parts
from derive.report.scripts import CJK_RUN, OTHER_RUN, SCRIPT_RUN

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
    "\u00a0": "~",
}
_NON_LATIN1_RUN = re.compile(r"[^\t\n\x20-\x7e\xa0-\xff]+")
# Longer than this, a formula is shown as source, and source or prose is cut: a 1 MB
# line must not exhaust TeX's memory (the HTML report shows all of it).
MAX_MATH = 20_000
MAX_TEXT = 50_000
MAX_SOURCE = 5_000

UNICODE_MATH = {
    "α": r"\alpha ", "β": r"\beta ", "γ": r"\gamma ", "δ": r"\delta ", "ε": r"\varepsilon ",
    "ζ": r"\zeta ", "η": r"\eta ", "θ": r"\theta ", "ι": r"\iota ", "κ": r"\kappa ",
    "λ": r"\lambda ", "μ": r"\mu ", "ν": r"\nu ", "ξ": r"\xi ", "π": r"\pi ", "ρ": r"\rho ",
    "σ": r"\sigma ", "τ": r"\tau ", "φ": r"\varphi ", "χ": r"\chi ", "ψ": r"\psi ",
    "ω": r"\omega ", "Γ": r"\Gamma ", "Δ": r"\Delta ", "Θ": r"\Theta ", "Λ": r"\Lambda ",
    "Π": r"\Pi ", "Σ": r"\Sigma ", "Φ": r"\Phi ", "Ψ": r"\Psi ", "Ω": r"\Omega ",
    "−": "-", "×": r"\times ", "·": r"\cdot ", "≤": r"\le ", "≥": r"\ge ", "≠": r"\ne ",
    "≈": r"\approx ", "∞": r"\infty ", "∂": r"\partial ", "∑": r"\sum ", "∏": r"\prod ",
    "→": r"\to ", "⇒": r"\Rightarrow ", "±": r"\pm ", "∈": r"\in ", "√": r"\surd ", "′": "'",
    "\u00a0": " ", "∇": r"\nabla ", "∫": r"\int ", "⋅": r"\cdot ", "…": r"\ldots ",
}
# Commands that define, read, write or run something: never from a document.
_FORBIDDEN = re.compile(
    r"\\(input|include|write|openout|openin|read|immediate|catcode|def|edef|gdef|xdef|let|"
    r"futurelet|csname|expandafter|afterassignment|global|outer|long|newcommand|renewcommand|"
    r"providecommand|DeclareMathOperator|usepackage|RequirePackage|documentclass|special|"
    r"directlua|luaexec|loop|repeat|makeatletter|makeatother|uppercase|lowercase|string|"
    r"meaning|scantokens|endinput|end\{document\}|begin\{document\})(?![a-zA-Z])|\\@|@"
)
_TEXT_ARG = re.compile(r"(\\(?:text|textrm|textit|textbf|textsf|texttt|mbox|hbox)\s*\{)([^{}]*)\}")
_COMMAND_NAME = re.compile(r"\\([A-Za-z]+)")


@dataclass
class Tex:
    """How document text becomes LaTeX for one engine (see the module docstring)."""

    unicode: bool = True
    safe: bool = False
    lost: dict[str, None] = field(default_factory=dict)  # characters shown as "?"
    commands: set[str] = field(default_factory=set)  # command names the math uses
    cjk: bool = False  # the text has Chinese, Japanese or Korean: load xeCJK (0.7 s a run)

    # -- text -------------------------------------------------------------------

    def text(self, text: object) -> str:
        """Escape text for LaTeX text mode (untrusted input)."""
        raw = _cut(str(text).replace("\r", ""), MAX_TEXT)
        out = "".join(_TEXT_ESCAPES.get(ch) or _TEXT_UNICODE.get(ch) or ch for ch in raw)
        out = out.replace("\n", " ").replace("\t", " ")
        return self._scripts(out)

    def _scripts(self, escaped: str) -> str:
        self.cjk = self.cjk or bool(CJK_RUN.search(escaped))
        if not self.unicode:
            for run in _NON_LATIN1_RUN.findall(escaped):
                self.lost.update(dict.fromkeys(run))
            return _NON_LATIN1_RUN.sub("?", escaped)
        # Greek, Cyrillic and symbols are not in Latin Modern: DejaVu (CJK is xeCJK's)
        return _in_script_font(escaped)

    def texttt(self, text: str) -> str:
        """Source as typewriter text that may break after operators and backslashes."""
        escaped = self.text(_cut(text, MAX_SOURCE))
        escaped = escaped.replace(r"\textbackslash{}", r"\allowbreak{}\textbackslash{}")
        return r"\texttt{" + re.sub(r"([,+=(])", r"\1\\allowbreak{}", escaped) + "}"

    def verbatim(self, latex: str) -> str:
        """An unreadable line, exactly as written, in a box that wraps."""
        lines = [self.texttt(line) for line in (latex or "").strip().split("\n")]
        return r"\sourcebox{" + r"\\ ".join(lines) + "}"

    # -- math -------------------------------------------------------------------

    def clean_math(self, latex: str) -> str | None:
        """The author's LaTeX made safe to drop into math mode, or None when it is not."""
        if self.safe or len(latex or "") > MAX_MATH:
            return None
        text = (latex or "").replace("\r", " ").replace("\n", " ").strip()
        text = self._math_scripts(text)
        if text is None:
            return None
        text = re.sub(r"\\(label|tag\*?)\{[^{}]*\}", "", text)
        text = re.sub(r"\\(nonumber|notag)(?![a-zA-Z])", "", text)
        text = _outside_environments(text)  # line breaks and alignment points of the row
        text = re.sub(r"(?<!\\)%", r"\\%", text)
        text = re.sub(r"(?<!\\)#", r"\\#", text)
        text = re.sub(r"(?<!\\)\$", " ", text)
        if _FORBIDDEN.search(text):
            return None
        if not text.strip() or not balanced(text):
            return None
        # < > | typed in \text{} would print as ¡ ¿ — in OT1 fonts; \ensuremath works in both
        text = _TEXT_ARG.sub(
            lambda m: m.group(1) + re.sub(r"(?<!\\)([<>|])", r"\\ensuremath{\1}", m.group(2)) + "}",
            text,
        )
        self.commands.update(_COMMAND_NAME.findall(text))
        return text.strip()

    def _math_scripts(self, text: str) -> str | None:
        """Unicode in math: Greek letters and symbols as commands; words in other
        scripts (CJK, Cyrillic) as text; for pdflatex, anything beyond ASCII fails."""
        pieces: list[str] = []
        last = 0
        for match in _TEXT_ARG.finditer(text):
            pieces.append(self._math_segment(text[last : match.start()]))
            pieces.append(match.group(1) + self._text_segment(match.group(2)) + "}")
            last = match.end()
        pieces.append(self._math_segment(text[last:]))
        joined = "".join(pieces)
        if not self.unicode and re.search(r"[^\x20-\x7e]", joined):
            return None
        return joined

    def _math_segment(self, text: str) -> str:
        mapped = "".join(UNICODE_MATH.get(ch, ch) for ch in text)
        if not self.unicode:
            return mapped
        return re.sub(
            r"[^\x00-\x7f]+", lambda m: r"\text{" + self._text_segment(m.group(0)) + "}", mapped
        )

    def _text_segment(self, text: str) -> str:
        self.cjk = self.cjk or bool(CJK_RUN.search(text))
        if not self.unicode:
            return text
        return _in_script_font(text)

    def math(self, latex: str | None, *, display: bool = True) -> str:
        """Math-mode material (without the surrounding ``$``) for ``latex``."""
        cleaned = self.clean_math(latex or "")
        if cleaned is None:
            return r"\text{" + self.texttt(latex or "") + "}"
        return (r"\displaystyle " if display else "") + cleaned

    def parts(self, parts: Parts) -> str:
        """Prose with formulas: text escaped, each formula in math mode (or as source)."""
        return "".join(
            "$" + self.math(value, display=False) + "$" if kind == "math" else self.text(value)
            for kind, value in parts
        )

    def entries(self, entries: list[tuple[str, str]], *, labels: bool = False) -> str:
        """``name = value`` formulas; ``labels``: the names are words (lhs, premise residual)."""
        items = []
        for key, value in entries:
            if labels:
                name = r"\text{" + self.text(key) + "}"
            else:
                name = self.clean_math(str(key)) or r"\text{" + self.texttt(str(key)) + "}"
            val = self.clean_math(str(value)) or r"\text{" + self.texttt(str(value)) + "}"
            items.append(f"${name} = {val}$")
        return ", ".join(items)


_STRUCTURE = re.compile(
    r"\\(begin|end)\s*\{[^{}]*\}|\\\\(?:\[[^\]]*\])?|(?<!\\)&"
    r"|\\(?:hline|midrule)(?![A-Za-z])|\\."
)
_ROW_STRUCTURE = ("hline", "midrule")


def _outside_environments(text: str) -> str:
    """Drop ``\\\\``, ``&`` and rules of the display row itself; those of a matrix,
    ``cases`` or ``array`` inside it stay."""
    out: list[str] = []
    depth = 0
    last = 0
    for match in _STRUCTURE.finditer(text):
        token = match.group(0)
        if match.group(1) == "begin":
            depth += 1
            continue
        if match.group(1) == "end":
            depth = max(0, depth - 1)
            continue
        row_mark = token == "&" or token.startswith("\\\\") or token[1:] in _ROW_STRUCTURE
        if depth == 0 and row_mark:
            out.append(text[last : match.start()] + " ")
            last = match.end()
    out.append(text[last:])
    return "".join(out)


def _cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f" … ({len(text) - limit} more characters, shown in the HTML report)"


def _in_script_font(text: str) -> str:
    text = SCRIPT_RUN.sub(lambda m: r"\textscript{" + m.group(0) + "}", text)
    return OTHER_RUN.sub(lambda m: r"\textscript{" + m.group(0) + "}", text)


def balanced(latex: str) -> bool:
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


# --------------------------------------------------------------------------
# preamble
# --------------------------------------------------------------------------

_UNICODE_HEAD = r"""% !TEX program = xelatex
\documentclass[10pt,a4paper]{article}
\usepackage{amsmath,amssymb}
\usepackage{fontspec}
\newfontfamily\scriptfamily{DejaVu Serif}[Scale=MatchLowercase]
\newcommand{\textscript}[1]{{\scriptfamily #1}}
"""
# Chinese, Japanese and Korean: xeCJK with Noto CJK (loaded only when the note has them);
# CJKspace keeps the spaces between Korean words.
_CJK_HEAD = r"""\usepackage[CJKspace=true]{xeCJK}
\setCJKmainfont{Noto Serif CJK SC}
\setCJKsansfont{Noto Sans CJK SC}
\setCJKmonofont{Noto Sans Mono CJK SC}
"""
_PDFLATEX_HEAD = r"""% !TEX program = pdflatex
\documentclass[10pt,a4paper]{article}
\usepackage[utf8]{inputenc}
\usepackage{amsmath,amssymb}
\newcommand{\textscript}[1]{#1}
"""
_SHARED = r"""\usepackage[margin=2cm,includefoot]{geometry}
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
\definecolor{soft}{HTML}{F6F8FA}
\definecolor{line}{HTML}{D1D9E0}
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
\newcommand{\unmettag}[1]{\colorbox{vrefuted}{\textcolor{white}{\footnotesize\textbf{#1}}}}
% an unreadable line, as written: a wrapping typewriter box
\newcommand{\sourcebox}[1]{\fcolorbox{line}{soft}{%
  \parbox{\dimexpr\linewidth-2\fboxsep-2\fboxrule\relax}{\raggedright\footnotesize #1}}}
% evidence too wide for its column (long residuals) is scaled down to fit
\newsavebox{\fitbox}
\newcommand{\fit}[1]{\sbox{\fitbox}{#1}\ifdim\wd\fitbox>\linewidth
  \resizebox{\linewidth}{!}{\usebox{\fitbox}}\else\usebox{\fitbox}\fi}
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


def preamble(tex: Tex) -> str:
    """The preamble for ``tex``'s engine, with a stand-in for every command the
    document's math uses that LaTeX may not know (its own macros): shown as its name."""
    head = _UNICODE_HEAD + (_CJK_HEAD if tex.cjk else "") if tex.unicode else _PDFLATEX_HEAD
    guards = "".join(
        rf"\providecommand{{\{name}}}{{\mathop{{\mathrm{{{name}}}}}\nolimits}}" + "\n"
        for name in sorted(tex.commands)
        if name not in _NEVER_PROVIDED
    )
    return head + _SHARED + "% stand-ins for the document's own macros\n" + guards


# Names LaTeX defines inside environments or that must stay undefined.
_NEVER_PROVIDED = frozenset({"end", "begin", "item", "relax", "par"})


def verdict_macro(verdict: str, tex: Tex) -> str:
    return f"\\v{verdict}" if verdict in VERDICTS or verdict == "error" else tex.text(verdict)


def lost_note(tex: Tex) -> str:
    """A paragraph saying which characters pdflatex could not show (none: empty)."""
    if not tex.lost:
        return ""
    shown = " ".join(f"U+{ord(ch):04X}" for ch in list(tex.lost)[:40])
    more = f" and {len(tex.lost) - 40} more" if len(tex.lost) > 40 else ""
    return (
        r"\fcolorbox{vundecided}{white}{\parbox{\dimexpr\linewidth-2\fboxsep\relax}{\small"
        r"\textbf{Made with pdflatex:} " + f"{len(tex.lost)} characters of the note are shown as "
        r"``?'' (" + shown + more + r"). Install XeLaTeX, xeCJK and the Noto CJK fonts "
        r"(Debian: \texttt{texlive-xetex texlive-lang-chinese fonts-noto-cjk}) to see them.}}"
        "\n\n"
    )


def commands_in(latex_items: Iterable[str]) -> set[str]:
    return {name for item in latex_items for name in _COMMAND_NAME.findall(item)}
