"""LaTeX report, the annotated note (the default view): the whole document, checked.

The same outline as the HTML note (:mod:`derive.report.outline`): headings,
prose with inline math, lists, quotes, tables, code, images as links, and each
display block typeset row by row with its verdict marks at the right, the
culprit row in a pink box, unreadable rows in a verbatim box, and the
evidence of the block's steps in a table right under it.
"""

from __future__ import annotations

import re

from derive.model import ChainResult, FileResult, StepResult
from derive.report._common import definition_text, expectation_note, note_parts
from derive.report.latex import (
    chain_block,
    document,
    evidence_table,
    legend,
    problems,
    relation_mark,
    step_tag,
    summary_table,
    title_block,
    unreadable_box,
)
from derive.report.note_html import read_outline, safe_href
from derive.report.outline import (
    Block,
    Break,
    Code,
    CodeBlock,
    Display,
    Environment,
    Heading,
    HtmlBlock,
    Image,
    Inline,
    Link,
    ListBlock,
    Math,
    Paragraph,
    Quote,
    RawHtml,
    Row,
    Rule,
    Styled,
    Table,
    Text,
    hoist_displays,
    walk_displays,
)
from derive.report.placement import Placement, RowMarks, place
from derive.report.scripts import is_cjk
from derive.report.tex_common import Tex, verdict_macro

SECTIONS = ("section*", "subsection*", "subsubsection*", "paragraph*", "subparagraph*")
MAX_NESTING = 4  # LaTeX lists nest four deep


def render_note_latex(
    file: FileResult, source: str, *, title: str, tex: Tex | None = None
) -> str:
    """The whole document ``source`` annotated with ``file``'s verdicts, as LaTeX."""
    tex = tex or Tex()
    outline = read_outline(file.path, source)
    placement = place(outline, file)
    unchecked = len(placement.unchecked(walk_displays(outline.blocks)))
    levels = [b.level for b in outline.blocks if isinstance(b, Heading)]
    writer = _Writer(placement, tex, file.path, min(levels) if levels else 1)
    body = writer.blocks(outline.blocks, top=True) + writer.orphans_before(None)
    return document(
        title_block(title, file.path, tex)
        + summary_table(file, tex, unchecked_blocks=unchecked)
        + problems(file, tex)
        + "\\bigskip\n"
        + body
        + legend(),
        tex,
    )


class _Writer:
    def __init__(self, placement: Placement, tex: Tex, path: str, top_level: int) -> None:
        self.placement = placement
        self.tex = tex
        self.path = path
        self.top_level = top_level
        self.orphans = list(placement.orphans)
        self.depth = 0

    def orphans_before(self, line: int | None) -> str:
        out = []
        while self.orphans and (line is None or self.orphans[0][0] < line):
            chain = self.orphans.pop(0)[1]
            out.append(chain_block(chain, self.tex, heading="paragraph*"))
        return "".join(out)

    # -- blocks -----------------------------------------------------------------

    def blocks(self, blocks: list[Block], *, top: bool = False) -> str:
        out: list[str] = []
        for block in blocks:
            if top and getattr(block, "line", 0):
                out.append(self.orphans_before(block.line))
            out.append(self.block(block))
        return "".join(out)

    def block(self, block: Block) -> str:
        tex = self.tex
        if isinstance(block, Heading):
            index = min(max(block.level - self.top_level, 0), len(SECTIONS) - 1)
            return f"\\{SECTIONS[index]}{{{self.inlines(block.children, heading=True)}}}\n"
        if isinstance(block, Paragraph):
            return self.paragraph(block.children)
        if isinstance(block, ListBlock):
            if self.depth >= MAX_NESTING:
                return "".join(self.blocks(item) for item in block.items)
            env = "enumerate" if block.ordered else "itemize"
            self.depth += 1
            items = "".join(f"\\item {self.blocks(item) or '{}'}\n" for item in block.items)
            self.depth -= 1
            return f"\\begin{{{env}}}\n{items}\\end{{{env}}}\n" if items else ""
        if isinstance(block, Quote):
            return f"\\begin{{quote}}\n{self.blocks(block.blocks)}\\end{{quote}}\n"
        if isinstance(block, CodeBlock):
            return "\n" + tex.verbatim(block.text.rstrip("\n")) + "\n\n"
        if isinstance(block, HtmlBlock):
            return "\n{\\color{muted}" + tex.verbatim(block.html.rstrip("\n")) + "}\n\n"
        if isinstance(block, Rule):
            return "\n\\noindent\\rule{\\linewidth}{0.4pt}\n\n"
        if isinstance(block, Table):
            return self.table(block)
        if isinstance(block, Environment):
            name = block.name.rstrip("*").capitalize()
            return f"\n\\noindent\\textbf{{{tex.text(name)}.}} " + self.blocks(block.blocks)
        if isinstance(block, Display):
            return self.display(block)
        return ""

    def paragraph(self, children: list[Inline]) -> str:
        out: list[str] = []
        run: list[Inline] = []
        for child in hoist_displays(children):
            if isinstance(child, Display) and not (
                child.inline and id(child) not in self.placement.checked
            ):
                out.append(self._run(run))
                run = []
                out.append(self.display(child))
            else:
                run.append(child)
        out.append(self._run(run))
        return "".join(out)

    def _run(self, run: list[Inline]) -> str:
        text = self.inlines(run).strip()
        while text.startswith("\\\\"):
            text = text[2:].lstrip()
        return f"{text}\n\n" if text else ""

    def table(self, table: Table) -> str:
        columns = max([len(table.header), *(len(r) for r in table.rows)], default=0)
        if not columns:
            return ""
        width = f"p{{\\dimexpr(\\linewidth-{2 * columns}\\tabcolsep)/{columns}\\relax}}"
        lines = [f"\\begin{{longtable}}{{@{{}}{width * columns}@{{}}}}", "\\toprule"]

        def cells(row: list[list[Inline]]) -> str:
            padded = row + [[] for _ in range(columns - len(row))]
            return " & ".join(self.inlines(cell) for cell in padded) + r" \\"

        if table.header:
            lines += [cells(table.header), "\\midrule"]
        lines += [cells(row) for row in table.rows]
        lines += ["\\bottomrule", "\\end{longtable}"]
        return "\n".join(lines) + "\n"

    # -- inline -------------------------------------------------------------------

    def inlines(self, children: list[Inline], *, heading: bool = False) -> str:
        tex = self.tex
        out: list[str] = []
        previous = ""
        for index, child in enumerate(children):
            if isinstance(child, Text):
                out.append(tex.text(child.text))
            elif isinstance(child, Code):
                out.append(tex.texttt(child.text))
            elif isinstance(child, Math):
                out.append("$" + tex.math(child.latex, display=False) + "$")
            elif isinstance(child, Styled):
                inner = self.inlines(child.children, heading=heading)
                command = {"strong": "textbf", "em": "emph"}.get(child.style)
                out.append(f"\\{command}{{{inner}}}" if command else inner)
            elif isinstance(child, Link):
                inner = self.inlines(child.children, heading=heading)
                href = safe_href(child.href)
                shown = _plain(child.children)
                if href and shown.strip() != href and not href.startswith("#") and not heading:
                    inner += r" {\footnotesize\color{muted}(" + tex.texttt(href) + ")}"
                out.append(inner)
            elif isinstance(child, Image):
                label = tex.text(child.alt.strip() or "image")
                out.append(
                    r"\fbox{\footnotesize image: " + label + "}"
                    + (r" {\footnotesize\color{muted}" + tex.texttt(child.src) + "}"
                       if child.src else "")
                )
            elif isinstance(child, Break):
                if child.hard and not heading:
                    out.append("\\\\\n")
                else:
                    # a line break inside Chinese or Japanese prose is no space
                    after = children[index + 1] if index + 1 < len(children) else None
                    nxt = after.text[:1] if isinstance(after, Text) else ""
                    out.append("" if is_cjk(previous[-1:] or " ") and is_cjk(nxt or " ") else " ")
            elif isinstance(child, RawHtml):
                out.append(r"{\color{muted}" + tex.texttt(child.html) + "}")
            elif isinstance(child, Display):  # math inside a sentence, a heading, a cell
                out.append("$" + tex.math(child.latex, display=False) + "$")
                marks = [self.placement.marks(row) for row in child.rows]
                out.extend(
                    r" {\footnotesize " + verdict_macro(step.verdict, tex) + "}"
                    for m in marks
                    for _, step in m.steps
                )
            previous = child.text if isinstance(child, Text) else ""
        return "".join(out)

    # -- display math ----------------------------------------------------------------

    def display(self, block: Display) -> str:
        tex = self.tex
        if not block.rows:
            return ""
        marks = [self.placement.marks(row) for row in block.rows]
        aligned = any(len(row.cells) > 1 for row in block.rows)
        env = "align*" if aligned else "gather*"
        lines = [self.row(row, m, aligned) for row, m in zip(block.rows, marks, strict=True)]
        out = f"\\begin{{{env}}}\n" + " \\\\\n".join(lines) + f"\n\\end{{{env}}}\n"
        steps = [(chain, step) for m in marks for chain, step in m.steps]
        with_evidence = [step for _, step in steps if step.verdict not in ("proved", "bounded")]
        if with_evidence:
            out += evidence_table(with_evidence, self.path, tex)
        for m in marks:
            for chain in m.starts:
                for note in chain.notes:
                    out += r"{\small\color{muted}Note: " + tex.parts(note_parts(note)) + r"\par}"
                    out += "\n"
        if id(block) not in self.placement.checked:
            out += (
                r"{\footnotesize\color{muted}Not checked: no step of this block was read as "
                r"a claim (lines " + f"{block.line}--{block.end_line}" + r").\par}" + "\n"
            )
        return out

    def row(self, row: Row, marks: RowMarks, aligned: bool) -> str:
        tex = self.tex
        steps = [step for _, step in marks.steps]
        unreadable = any(step.verdict == "unparsed" and step.line == row.line for step in steps)
        culprit = any(step.culprit for step in steps)
        if unreadable:
            body = unreadable_box(row.latex, tex, "0.62\\linewidth")
            math = f"& {body}" if aligned else body
        elif aligned:
            left = tex.math(row.cells[0]) if row.cells and row.cells[0].strip() else ""
            right = " ".join(row.cells[1:])
            right_math = tex.math(right) if right.strip() else ""
            if culprit and right_math:  # the culprit is the row's new expression
                right_math = r"\culprit{" + right_math + "}"
            math = f"{left} & {right_math}"
        else:
            whole = tex.math(" ".join(row.cells))
            math = r"\culprit{" + whole + "}" if culprit else whole
        return f"  {math} {self.tag(row, marks, steps)}"

    def tag(self, row: Row, marks: RowMarks, steps: list[StepResult]) -> str:
        tex = self.tex
        if len(steps) == 1:
            return step_tag(steps[0], tex)
        parts = []
        for step in steps:  # a row like a = b = c: each step's verdict, as pinned or not
            note = expectation_note(step)
            parts.append(relation_mark(step) + verdict_macro(step.verdict, tex))
            if note == "expected":
                parts.append(r"\exptag{(expected)}")
            elif note:
                parts.append(r"\unmettag{" + tex.text(note) + "}")
        if any(step.culprit for step in steps):
            parts.append(r"\culprittag{" + str(row.line) + "}")
        for chain in marks.defines:
            parts.append(r"\exptag{" + _defines(chain, tex) + "}")
        if row.tag:
            parts.append(r"\exptag{(" + tex.text(row.tag) + ")}")
        parts.append(r"\lineno{" + str(row.line) + "}")
        return r"\tag*{" + r"\ \ ".join(parts) + "}"


def _defines(chain: ChainResult, tex: Tex) -> str:
    if chain.defines:
        cleaned = tex.clean_math(chain.defines)
        if cleaned is not None:
            return "defines $" + cleaned + "$"
    return tex.text(definition_text(chain))


def _plain(children: list[Inline]) -> str:
    out: list[str] = []
    for child in children:
        if isinstance(child, (Text, Code)):
            out.append(child.text)
        elif isinstance(child, (Styled, Link)):
            out.append(_plain(child.children))
    return re.sub(r"\s+", " ", "".join(out))
