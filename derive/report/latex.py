"""LaTeX report, chains view: a standalone ``.tex`` with every chain of a document.

Each chain is an ``align*`` derivation with a verdict mark and the line number
at the right of every line, the culprit expression in a pink box, and an
evidence table underneath.  The annotated note (the whole document) is
:mod:`derive.report.note_latex`; both share the pieces here and the escaping,
fonts and preamble of :mod:`derive.report.tex_common`.
"""

from __future__ import annotations

from derive.model import VERDICTS, ChainResult, FileResult, StepResult
from derive.report._common import (
    counterexample_entries,
    definition_text,
    display_parts,
    expectation_note,
    failing_phrase,
    note_parts,
    section_text,
    values_entries,
)
from derive.report.pdf import LatexError, compile_pdf
from derive.report.tex_common import Tex, lost_note, preamble, verdict_macro

__all__ = ["LatexError", "compile_pdf", "escape_text", "render_latex"]

RELATIONS = {"=": "=", "approx": r"\approx", "implies": r"\Longrightarrow", "equivalent": r"\iff",
             "define": "=", "<": "<", "<=": r"\le", ">": ">", ">=": r"\ge", "!=": r"\ne",
             "propto": r"\propto", "in": r"\in", "sim": r"\sim", "to": r"\to",
             "leftarrow": r"\leftarrow"}


def escape_text(text: object, *, unicode: bool = False) -> str:
    """``text`` escaped for LaTeX text mode; pdflatex (default) shows non-Latin-1 as ``?``."""
    return Tex(unicode=unicode).text(text)


def relation_mark(step: StepResult) -> str:
    """``⇔``/``⇒``/``≈``… before a verdict, for steps that check more than ``=``."""
    if step.relation in ("=", "define"):
        return ""
    return r"\exptag{$" + RELATIONS.get(step.relation, r"\sim") + "$}"


def step_tag(step: StepResult, tex: Tex) -> str:
    parts = [relation_mark(step) + verdict_macro(step.verdict, tex)]
    note = expectation_note(step)
    if note == "expected":
        parts.append(r"\exptag{(expected)}")
    elif note:
        parts.append(r"\unmettag{" + tex.text(note) + "}")
    if step.culprit:
        parts.append(r"\culprittag{" + str(int(step.line)) + "}")
    parts.append(r"\lineno{" + str(int(step.line)) + "}")
    return r"\tag*{" + r"\ \ ".join(parts) + "}"


def unreadable_box(latex: str, tex: Tex, width: str = "0.6\\linewidth") -> str:
    r"""An unreadable line inside math: its source in a verbatim box (``\text{…}``)."""
    return r"\text{\parbox[t]{" + width + "}{" + tex.verbatim(latex) + "}}"


def _side(latex: str, step: StepResult | None, unparsed: bool, tex: Tex) -> str:
    body = unreadable_box(latex, tex) if unparsed else tex.math(latex)
    if step is not None and step.culprit:
        return r"\culprit{" + body + "}"
    return body


def _align(chain: ChainResult, tex: Tex) -> str:
    rows: list[str] = []
    previous_rhs: str | None = None
    for step in chain.steps:
        if previous_rhs is None or step.lhs.strip() != previous_rhs.strip():
            start = _side(step.lhs, None, step.verdict == "unparsed" and previous_rhs is None, tex)
            rows.append(f"  & {start} \\tag*{{\\lineno{{{int(step.from_line)}}}}}")
        previous_rhs = step.rhs
        rel = RELATIONS.get(step.relation, "=")
        rhs = _side(step.rhs, step, step.verdict == "unparsed", tex)
        rows.append(f"  {rel}{{}} & {rhs} {step_tag(step, tex)}")
    return "\\begin{align*}\n" + " \\\\\n".join(rows) + "\n\\end{align*}\n"


def evidence_items(step: StepResult, path: str, tex: Tex) -> list[tuple[str, str]]:
    """(label, LaTeX) rows of what a reader needs to check the verdict."""
    items: list[tuple[str, str]] = []
    parts = display_parts(step, path)
    if parts and step.verdict not in ("proved", "bounded"):
        items.append(("why" if step.verdict in ("unparsed", "error") else "message",
                      tex.parts(parts)))
    if step.counterexample:
        items.append(("counterexample", tex.entries(counterexample_entries(step))))
    if step.values:
        items.append(("values", tex.entries(values_entries(step), labels=True)))
    if step.residual:
        items.append(
            ("residual", r"\fit{$\text{lhs}-\text{rhs} = " + tex.math(step.residual) + "$}")
        )
    if step.ratio:
        items.append(
            ("ratio", r"\fit{$\dfrac{\text{lhs}}{\text{rhs}} = " + tex.math(step.ratio) + "$}")
        )
    return items


def evidence_table(steps: list[StepResult], path: str, tex: Tex) -> str:
    rows: list[str] = []
    for step in steps:
        items = evidence_items(step, path, tex)
        for i, (kind, value) in enumerate(items):
            line = f"{int(step.line)}" if i == 0 else ""
            verdict = verdict_macro(step.verdict, tex) if i == 0 else ""
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


def summary_table(file: FileResult, tex: Tex, *, unchecked_blocks: int = 0) -> str:
    counts = dict.fromkeys(VERDICTS, 0)
    culprits = unmet = 0
    for chain in file.chains:
        for step in chain.steps:
            counts[step.verdict] = counts.get(step.verdict, 0) + 1
            culprits += int(step.culprit)
            unmet += int(not step.meets_expectation)
    steps = sum(counts.values())
    head = " & ".join(verdict_macro(v, tex) for v in counts)
    nums = " & ".join(str(counts[v]) for v in counts)
    if not file.ok:
        status = r"\textcolor{vrefuted}{\textbf{Needs attention.}}"
    elif steps == 0 and unchecked_blocks:
        status = r"\textcolor{vundecided}{\textbf{No step was checked.}}"
    else:
        status = r"\textcolor{vproved}{\textbf{All steps as expected.}}"
    facts = [f"{steps} steps in {len(file.chains)} chains"]
    if culprits:
        facts.append(f"{culprits} culprit line{'s' if culprits != 1 else ''}")
    if unmet:
        facts.append(failing_phrase(unmet))
    if file.problems:
        facts.append(f"{len(file.problems)} problem{'s' if len(file.problems) != 1 else ''}")
    if unchecked_blocks:
        facts.append(
            f"{unchecked_blocks} display block{'s' if unchecked_blocks != 1 else ''} not checked"
        )
    return (
        f"{status} {tex.text(', '.join(facts))}.\n\n"
        "\\begin{center}\\begin{tabular}{" + "c" * len(counts) + "}\n\\toprule\n"
        f"{head} \\\\\n\\midrule\n{nums} \\\\\n\\bottomrule\n\\end{{tabular}}\\end{{center}}\n"
    )


def problems(file: FileResult, tex: Tex) -> str:
    if not file.problems:
        return ""
    items = "\n".join(
        f"  \\item \\texttt{{{tex.text(p.where())}}}: {tex.text(p.message)}" for p in file.problems
    )
    return (
        "\\subsection*{\\textcolor{vrefuted}{Problems reading the file}}\n"
        f"\\begin{{itemize}}\n{items}\n\\end{{itemize}}\n"
    )


def notes(chain: ChainResult, tex: Tex) -> list[str]:
    return [
        r"{\small\color{muted}Note: " + tex.parts(note_parts(n)) + r"\par}" for n in chain.notes
    ]


def chain_block(chain: ChainResult, tex: Tex, *, heading: str = "section*") -> str:
    mark = r"\textcolor{vproved}{$\checkmark$}" if chain.ok else r"\textcolor{vrefuted}{$\times$}"
    meta = [r"\texttt{" + tex.text(chain.id) + "}"]
    section = section_text(chain, sep=" > ")
    if section:
        meta.append(tex.text(section))
    if chain.pinned:
        meta.append("expectations pinned")
    if not chain.steps:  # a pure definition: one line
        out = [
            r"\medskip\noindent{\large\bfseries " + mark + r"\ "
            + tex.text(chain.name or chain.id)
            + r"}\quad{\small\color{muted}" + tex.text(definition_text(chain))
            + rf" \textperiodcentered{{}} line {int(chain.line)}" + r"\par}",
        ]
        return "\n".join(out + notes(chain, tex)) + "\n"
    out = [
        f"\\{heading}{{{mark}\\ {tex.text(chain.name or chain.id)}}}",
        r"{\small\color{muted}" + r" \textperiodcentered{} ".join(meta) + r"\par}",
        *notes(chain, tex),
        _align(chain, tex),
        evidence_table(chain.steps, chain.path, tex),
    ]
    return "\n".join(out) + "\n"


def legend() -> str:
    return (
        "\n\\medskip\n{\\footnotesize\\color{muted} Checked by derive. "
        r"\vproved: holds symbolically; \vbounded: holds for every size in the declared range; "
        r"\vnumeric: agrees at many points; \vrefuted: a checked counterexample exists; "
        r"\vundecided: nothing decided in time; \vunparsed: the line could not be read; "
        r"\verror: derive failed on the step (please report it).\par}" + "\n"
    )


def title_block(title: str, path: str, tex: Tex) -> str:
    return (
        f"{{\\LARGE\\bfseries {tex.text(title)}\\par}}\n\\vspace{{2pt}}\n"
        f"{{\\color{{muted}}\\texttt{{{tex.text(path)}}}\\par}}\n\\medskip\n"
    )


def document(body: str, tex: Tex) -> str:
    """Preamble (after the body: it provides the commands the body's math uses) + body."""
    return preamble(tex) + "\\begin{document}\n" + lost_note(tex) + body + "\\end{document}\n"


def render_latex(file: FileResult, *, title: str, tex: Tex | None = None) -> str:
    """A standalone, compilable LaTeX document: every chain of one checked file.

    ``tex`` chooses the engine (default: XeLaTeX, every script kept)."""
    tex = tex or Tex()
    body = "\n".join(chain_block(c, tex) for c in file.chains)
    body = body or r"\textit{No derivation chains found.}"
    return document(
        title_block(title, file.path, tex)
        + summary_table(file, tex)
        + problems(file, tex)
        + body
        + legend(),
        tex,
    )
