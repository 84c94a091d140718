"""The whole document as a reader sees it: blocks of prose and math, in the author's order.

The annotated reports (:mod:`derive.report.note_html`, :mod:`derive.report.note_latex`)
render a document, not only its chains.  This module holds the plain data they
share — headings, paragraphs, lists, quotes, code, tables, HTML the author
typed, and display math cut into rows with their source lines — and the rules
for cutting a display block into rows.  :mod:`derive.report.outline_md` reads
Markdown into it, :mod:`derive.report.outline_tex` reads LaTeX.

Nothing here is trusted: every string is the document's text, and the
renderers escape all of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# inline content
# --------------------------------------------------------------------------


@dataclass
class Text:
    text: str


@dataclass
class Code:
    text: str


@dataclass
class Math:
    """Inline math, ``$…$``: rendered, never checked."""

    latex: str


@dataclass
class Styled:
    style: str  # "strong", "em", "strike"
    children: list[Inline] = field(default_factory=list)


@dataclass
class Link:
    href: str
    children: list[Inline] = field(default_factory=list)


@dataclass
class Image:
    """An image is shown as a link to it: a report never fetches anything."""

    src: str
    alt: str


@dataclass
class Break:
    hard: bool = False


@dataclass
class RawHtml:
    """HTML the author typed: shown as text, never as markup."""

    html: str


@dataclass
class Row:
    """One row of a display block (between top-level ``\\\\``)."""

    latex: str  # the row as written (alignment marks kept)
    line: int  # 1-based source line of its first character
    cells: list[str]  # split at top-level ``&``: the parts left and right of the alignment
    tag: str = ""  # ``\tag{…}`` of the row, shown at its right


@dataclass
class Display:
    """Display math (``$$…$$``, ``\\[…\\]``, an environment), as rows."""

    latex: str  # the whole block as written, without its delimiters
    line: int  # line of the opening delimiter
    end_line: int  # line of the closing delimiter
    rows: list[Row] = field(default_factory=list)
    environment: str = ""  # the outer environment, when there is one
    # ``$$…$$`` in the middle of a line of prose (kramdown writes inline math so):
    # shown inline unless a step was checked in it
    inline: bool = False


Inline = Text | Code | Math | Styled | Link | Image | Break | RawHtml | Display


# --------------------------------------------------------------------------
# blocks
# --------------------------------------------------------------------------


@dataclass
class Heading:
    level: int  # 1..6
    children: list[Inline]
    line: int


@dataclass
class Paragraph:
    children: list[Inline]
    line: int


@dataclass
class ListBlock:
    ordered: bool
    items: list[list[Block]]
    line: int
    start: int = 1


@dataclass
class Quote:
    blocks: list[Block]
    line: int


@dataclass
class CodeBlock:
    text: str
    line: int
    info: str = ""


@dataclass
class HtmlBlock:
    html: str
    line: int


@dataclass
class Rule:
    line: int


@dataclass
class Table:
    header: list[list[Inline]]
    rows: list[list[list[Inline]]]
    line: int


@dataclass
class Environment:
    """A LaTeX environment that is not math (``theorem``, ``proof``): a label and its body."""

    name: str
    blocks: list[Block]
    line: int


Block = (
    Heading | Paragraph | ListBlock | Quote | CodeBlock | HtmlBlock | Rule | Table | Environment
    | Display
)


@dataclass
class Outline:
    blocks: list[Block]
    kind: str  # "md" or "tex"


def hoist_displays(children: list[Inline]) -> list[Inline]:
    """Display math nested in bold, italics or a link, lifted to the paragraph's level
    (the styled run is split around it): a display block cannot sit inside a word's style."""
    out: list[Inline] = []
    for child in children:
        if isinstance(child, (Styled, Link)) and any(
            isinstance(c, Display) or isinstance(c, (Styled, Link)) for c in child.children
        ):
            inner = hoist_displays(child.children)
            run: list[Inline] = []
            for piece in inner:
                if isinstance(piece, Display):
                    if run:
                        out.append(_like(child, run))
                        run = []
                    out.append(piece)
                else:
                    run.append(piece)
            if run:
                out.append(_like(child, run))
        else:
            out.append(child)
    return out


def _like(node: Styled | Link, children: list[Inline]) -> Styled | Link:
    if isinstance(node, Styled):
        return Styled(node.style, children)
    return Link(node.href, children)


def walk_displays(blocks: list[Block]) -> list[Display]:
    """Every display block, in document order, wherever it sits (a list, a paragraph)."""
    found: list[Display] = []

    def inline(children: list[Inline]) -> None:
        for child in children:
            if isinstance(child, Display):
                found.append(child)
            elif isinstance(child, (Styled, Link)):
                inline(child.children)

    def block(items: list[Block]) -> None:
        for b in items:
            if isinstance(b, Display):
                found.append(b)
            elif isinstance(b, (Paragraph, Heading)):
                inline(b.children)
            elif isinstance(b, ListBlock):
                for item in b.items:
                    block(item)
            elif isinstance(b, (Quote, Environment)):
                block(b.blocks)
            elif isinstance(b, Table):
                for cell in b.header:
                    inline(cell)
                for row in b.rows:
                    for cell in row:
                        inline(cell)

    block(blocks)
    return found


# --------------------------------------------------------------------------
# display math → rows
# --------------------------------------------------------------------------

# Environments whose rows are the rows of the display (the outer wrapper).
ROW_ENVIRONMENTS = frozenset(
    """aligned aligned* align align* alignat alignat* alignedat gather gather* gathered
    split multline multline* equation equation* eqnarray eqnarray* flalign flalign*""".split()
)
_COMMAND = re.compile(r"\\(?:[A-Za-z@]+\*?|.)")
_BEGIN = re.compile(r"\s*\\begin\s*\{([^{}]*)\}")
_DROP = re.compile(r"\\(?:label\s*\{[^{}]*\}|nonumber(?![A-Za-z])|notag(?![A-Za-z]))")
_TAG = re.compile(r"\\tag\*?\s*\{([^{}]*)\}")
_ROW_SPACING = re.compile(r"\s*\[[^\]]*\]")
_RULES = re.compile(r"^(?:\s*\\(?:hline|midrule|toprule|bottomrule)(?![A-Za-z]))+")


def _unwrap(latex: str) -> tuple[str, int, str]:
    """Strip the outer environments that only hold rows: ``(inner, offset, name)``.

    ``\\begin{equation}\\begin{split} … \\end{split}\\end{equation}`` gives the
    rows of the split; anything after the closing ``\\end`` stays out."""
    offset = 0
    name = ""
    for _ in range(3):  # equation → split → aligned at most
        begin = _BEGIN.match(latex)
        if not begin or begin.group(1).strip() not in ROW_ENVIRONMENTS:
            break
        env = begin.group(1).strip()
        end = _matching_end(latex, begin.end(), env)
        if end < 0 or latex[end:].strip().split("}", 1)[-1].strip():
            break  # text after the environment: not a pure wrapper
        inner_start = begin.end()
        # \begin{alignat}{2}, \begin{array}{cc}: the column argument is not a row
        argument = re.match(r"\s*\{[^{}]*\}", latex[inner_start:]) if env.startswith(
            ("alignat", "alignedat", "array")
        ) else None
        if argument:
            inner_start += argument.end()
        offset += inner_start
        latex = latex[inner_start:end]
        name = name or env
    return latex, offset, name


def _matching_end(latex: str, pos: int, env: str) -> int:
    depth = 1
    for match in re.finditer(r"\\(begin|end)\s*\{([^{}]*)\}", latex[pos:]):
        if match.group(2).strip() != env:
            continue
        depth += 1 if match.group(1) == "begin" else -1
        if depth == 0:
            return pos + match.start()
    return -1


def _top_level(latex: str, stop: str) -> list[tuple[int, int]]:
    """Spans between top-level separators (``\\\\`` or ``&``): outside braces and
    nested environments; with unbalanced braces, at any depth."""
    balanced = _braces_balanced(latex)
    spans: list[tuple[int, int]] = []
    start = 0
    brace = env = 0
    i = 0
    n = len(latex)
    while i < n:
        ch = latex[i]
        if ch == "\\":
            match = _COMMAND.match(latex, i)
            end = match.end() if match else i + 1
            name = latex[i + 1 : end]
            top = env == 0 and (brace == 0 or not balanced)
            if name in ("begin", "end"):
                env = max(0, env + (1 if name == "begin" else -1))
            elif stop == "\\\\" and name == "\\" and top:
                spans.append((start, i))
                spacing = _ROW_SPACING.match(latex, end)
                start = spacing.end() if spacing else end
                i = start
                continue
            i = end
            continue
        if ch == "{":
            brace += 1
        elif ch == "}":
            brace -= 1
        elif ch == "&" and stop == "&" and env == 0 and (brace == 0 or not balanced):
            spans.append((start, i))
            start = i + 1
        i += 1
    spans.append((start, n))
    return spans


def _braces_balanced(latex: str) -> bool:
    depth = 0
    i = 0
    while i < len(latex):
        if latex[i] == "\\":
            i += 2
            continue
        depth += {"{": 1, "}": -1}.get(latex[i], 0)
        if depth < 0:
            return False
        i += 1
    return depth == 0


def split_rows(latex: str, first_line: int) -> tuple[list[Row], str]:
    """The rows of a display block whose text starts on ``first_line``.

    Returns the rows (empty rows dropped) and the name of the outer environment."""
    inner, offset, environment = _unwrap(latex)
    rows: list[Row] = []
    for start, end in _top_level(inner, "\\\\"):
        raw = inner[start:end]
        if not raw.strip():
            continue
        lead = len(raw) - len(raw.lstrip())
        line = first_line + latex[: offset + start + lead].count("\n")
        tag_match = _TAG.search(raw)
        tag = tag_match.group(1).strip() if tag_match else ""
        shown = _RULES.sub("", _DROP.sub("", _TAG.sub("", raw))).strip()
        cells = [shown[a:b].strip() for a, b in _top_level(shown, "&")]
        rows.append(Row(raw.strip(), line, cells, tag))
    return rows, environment


def display(latex: str, line: int, end_line: int, content_line: int | None = None) -> Display:
    """A display block; ``content_line`` is the line its content starts on (default ``line``)."""
    rows, environment = split_rows(latex, line if content_line is None else content_line)
    return Display(latex, line, end_line, rows, environment)
