"""HTML report, the annotated note (the default view): the whole document, checked.

Headings, prose, lists, quotes, tables, code, images (as links: nothing is
fetched) and inline math in the author's order; every display block row by
row, aligned at its ``&``, each checked row with its verdict badges, evidence
folded out under refuted and unreadable rows, culprit rows marked.  A summary
card with the index of chains sits at the top.  Every string of the document
is escaped; the author's own HTML is shown as text, never run.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from derive.model import ChainResult, FileResult, StepResult
from derive.report._common import RELATION_WORDS, definition_text, line_span
from derive.report.html import CHAINS_CSS, chain_card, chain_notes
from derive.report.mathml import math_html
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
    Outline,
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
from derive.report.outline_md import read_markdown
from derive.report.outline_tex import read_tex
from derive.report.page import (
    badge,
    chain_anchor,
    esc,
    evidence,
    expectation_tags,
    page,
    problems,
    summary_card,
)
from derive.report.placement import Placement, RowMarks, place

NOTE_CSS = """
.note{overflow-wrap:anywhere}
.note h1,.note h2,.note h3,.note h4,.note h5,.note h6{line-height:1.3;margin:1.4em 0 .5em}
.note h1{font-size:1.5rem}.note h2{font-size:1.3rem}.note h3{font-size:1.15rem}
.note h4,.note h5,.note h6{font-size:1rem}
.note p,.note li{margin:.5em 0}
.note code{font-family:var(--mono);font-size:.88em;background:var(--soft);border-radius:4px;
padding:0 3px}
.note pre.code{font-family:var(--mono);font-size:.85rem;background:var(--soft);
border:1px solid var(--line);border-radius:6px;padding:8px 12px;overflow-x:auto;
white-space:pre}
.note blockquote{margin:.8em 0;padding:0 0 0 14px;border-left:4px solid var(--line);
color:var(--muted)}
.note table{border-collapse:collapse;margin:.8em 0;display:block;overflow-x:auto}
.note th,.note td{border:1px solid var(--line);padding:4px 8px}
.note .raw{color:var(--muted)}
.im{display:inline-block;max-width:100%;overflow-x:auto;overflow-y:hidden;vertical-align:middle}
.note .env>.env-name{font-weight:700;margin:.8em 0 .2em}
.note .env{margin:.8em 0;padding:0 0 0 12px;border-left:2px solid var(--line)}
.note .image{display:inline-block;font-size:.85rem;border:1px solid var(--line);
border-radius:4px;padding:0 6px;background:var(--soft)}
.display{display:grid;grid-template-columns:2.8rem minmax(0,max-content) minmax(0,1fr) auto;
column-gap:10px;margin:12px 0;padding:4px 0;border-left:3px solid var(--line);
background:linear-gradient(var(--soft),var(--soft)) no-repeat 0 0/100% 0}
.display.checked{border-left-color:var(--proved)}
.display.fail{border-left-color:var(--refuted)}
.display .row{display:grid;grid-column:1/-1;grid-template-columns:subgrid;align-items:center;
padding:3px 8px 3px 0;min-height:2.2em}
.row .ln{grid-column:1;justify-self:end;font-family:var(--mono);font-size:.78rem;
color:var(--muted);white-space:nowrap}
.row .math{display:contents}
.row .lhs{grid-column:2;justify-self:end;min-width:0;max-width:100%;overflow-x:auto;
overflow-y:hidden}
.row .rhs{grid-column:3;min-width:0;overflow-x:auto;overflow-y:hidden}
.row .whole{grid-column:2/4;min-width:0;overflow-x:auto;overflow-y:hidden}
.row .marks{grid-column:4;display:flex;flex-direction:column;align-items:flex-end;gap:2px;
min-width:0}
.row .mark-line{display:flex;flex-wrap:wrap;justify-content:flex-end;gap:2px 4px;
align-items:center}
.row .rel{color:var(--muted);font-size:.8rem}
.row .eqtag{color:var(--muted);font-size:.85rem;white-space:nowrap}
.row.culprit{background:#fff5f5;box-shadow:inset 4px 0 0 var(--refuted)}
.row.culprit .ln{color:var(--refuted);font-weight:700}
.row.is-refuted .ln,.row.is-error .ln{color:var(--refuted)}
.display details{grid-column:2/-1;margin:2px 8px 6px 0;min-width:0}
.display details>summary{cursor:pointer;font-size:.85rem;color:var(--muted);margin:0 0 4px}
.display .gap-note{grid-column:2/-1;font-size:.8rem;color:var(--muted);padding:0 8px 2px 0}
.display .notes{grid-column:2/-1;margin:2px 8px 4px 1.2em}
.orphans{margin:12px 0}
.orphans>p{font-size:.85rem;color:var(--muted);margin:0 0 6px}
@media (max-width:640px){
.display{display:block;padding:4px 0}
.display .row{display:grid;grid-template-columns:2.2rem minmax(0,1fr);
grid-template-areas:"ln marks" "math math";gap:2px 6px;padding:4px 6px 4px 0}
.row .ln{grid-area:ln;justify-self:start;padding-left:6px}
.row .marks{grid-area:marks;align-items:flex-start}
.row .mark-line{justify-content:flex-start}
.row .math{grid-area:math;display:block;min-width:0;overflow-x:auto;padding-left:6px}
.row .lhs,.row .rhs,.row .whole{display:inline;overflow:visible}
.display details,.display .notes,.display .gap-note{margin:2px 6px 6px 6px}
}
@media print{
.display,.row{break-inside:avoid}
.row .lhs,.row .rhs,.row .whole{overflow:visible}
details>summary{display:none}
}
"""

# Verdicts whose evidence is folded out (open) under the row.
OPEN_EVIDENCE = frozenset({"refuted", "unparsed", "error"})


def read_outline(path: str, source: str) -> Outline:
    """The document's outline: ``.tex`` files as LaTeX, everything else as Markdown."""
    if path.lower().endswith(".tex"):
        return read_tex(source)
    return read_markdown(source)


def render_note_html(file: FileResult, source: str, *, title: str) -> str:
    """The whole document ``source`` (the text of ``file.path``), annotated with ``file``'s
    verdicts: a complete, self-contained HTML page."""
    outline = read_outline(file.path, source)
    placement = place(outline, file)
    unchecked = len(placement.unchecked(walk_displays(outline.blocks)))
    writer = _Writer(placement, file.path)
    body = writer.blocks(outline.blocks, top=True)
    body += writer.orphans_before(None)
    head = summary_card(file, unchecked_blocks=unchecked) + problems(file)
    lang = "zh" if re.search(r"[\u4e00-\u9fff]", source[:20_000]) else "en"
    return page(title, file.path, f'{head}\n<article class="note">{body}</article>',
                css=CHAINS_CSS + NOTE_CSS, lang=lang)


def heading_slug(text: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as ``-``."""
    text = unicodedata.normalize("NFC", text).strip().lower()
    text = "".join(ch for ch in text if ch.isalnum() or ch in " -_" or ord(ch) > 0x2E7F)
    return re.sub(r"\s", "-", text) or "section"


def safe_href(href: str) -> str | None:
    """A link target a report may carry (web, mail, a relative path or an anchor), else None.

    A link is only followed when the reader clicks it; scripts (``javascript:``)
    and data are never links."""
    href = href.strip()
    if not href:
        return None
    try:
        scheme = urlsplit(href).scheme.lower()
    except ValueError:
        return None
    if scheme in ("", "http", "https", "mailto"):
        return href
    return None


class _Writer:
    def __init__(self, placement: Placement, path: str) -> None:
        self.placement = placement
        self.path = path
        self.slugs: dict[str, int] = {}
        self.orphans = list(placement.orphans)

    # -- orphans: steps whose line no display block of the outline holds -------

    def orphans_before(self, line: int | None) -> str:
        taken = []
        while self.orphans and (line is None or self.orphans[0][0] < line):
            taken.append(self.orphans.pop(0)[1])
        if not taken:
            return ""
        cards = "".join(chain_card(chain) for chain in taken)
        return (
            '<section class="orphans"><p>Checked here, but not found as display math '
            "by the report's reader:</p>" + cards + "</section>"
        )

    # -- blocks -----------------------------------------------------------------

    def blocks(self, blocks: list[Block], *, top: bool = False) -> str:
        out: list[str] = []
        for block in blocks:
            if top and getattr(block, "line", 0):
                out.append(self.orphans_before(block.line))
            out.append(self.block(block))
        return "".join(out)

    def block(self, block: Block) -> str:
        if isinstance(block, Heading):
            level = min(max(block.level, 1), 6)
            text = _plain(block.children)
            slug = heading_slug(text)
            count = self.slugs.get(slug, 0)
            self.slugs[slug] = count + 1
            anchor = slug if count == 0 else f"{slug}-{count}"
            return (
                f'<h{level} id="{esc(anchor)}" data-line="{block.line}">'
                f"{self.inlines(block.children)}</h{level}>"
            )
        if isinstance(block, Paragraph):
            return self.paragraph(block.children)
        if isinstance(block, ListBlock):
            tag = "ol" if block.ordered else "ul"
            start = f' start="{block.start}"' if block.ordered and block.start != 1 else ""
            items = "".join(f"<li>{self.blocks(item)}</li>" for item in block.items)
            return f"<{tag}{start}>{items}</{tag}>"
        if isinstance(block, Quote):
            return f"<blockquote>{self.blocks(block.blocks)}</blockquote>"
        if isinstance(block, CodeBlock):
            return f'<pre class="code">{esc(block.text.rstrip(chr(10)))}</pre>'
        if isinstance(block, HtmlBlock):
            return (
                '<pre class="code raw" title="HTML in the note, shown as text">'
                f"{esc(block.html.rstrip(chr(10)))}</pre>"
            )
        if isinstance(block, Rule):
            return "<hr>"
        if isinstance(block, Table):
            head = "".join(f"<th>{self.inlines(cell)}</th>" for cell in block.header)
            rows = "".join(
                "<tr>" + "".join(f"<td>{self.inlines(cell)}</td>" for cell in row) + "</tr>"
                for row in block.rows
            )
            return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"
        if isinstance(block, Environment):
            name = block.name.rstrip("*").capitalize()
            return (
                f'<div class="env"><div class="env-name">{esc(name)}.</div>'
                f"{self.blocks(block.blocks)}</div>"
            )
        if isinstance(block, Display):
            return self.display(block)
        return ""

    def paragraph(self, children: list[Inline]) -> str:
        """A paragraph; display math inside it (``text $$…$$ text``) becomes a block."""
        out: list[str] = []
        run: list[Inline] = []
        for child in hoist_displays(children):
            if isinstance(child, Display) and not self.as_inline(child):
                out.append(self._run(run))
                run = []
                out.append(self.display(child))
            else:
                run.append(child)
        out.append(self._run(run))
        return "".join(out)

    def as_inline(self, block: Display) -> bool:
        """``$$…$$`` inside a sentence, with nothing checked in it: inline math."""
        return block.inline and id(block) not in self.placement.checked

    def _run(self, run: list[Inline]) -> str:
        while run and isinstance(run[0], Break):
            run = run[1:]
        if not any(not isinstance(c, Break) and not (isinstance(c, Text) and not c.text.strip())
                   for c in run):
            return ""
        return f"<p>{self.inlines(run)}</p>"

    # -- inline -------------------------------------------------------------------

    def inlines(self, children: list[Inline]) -> str:
        out: list[str] = []
        for child in children:
            if isinstance(child, Text):
                out.append(esc(child.text))
            elif isinstance(child, Code):
                out.append(f"<code>{esc(child.text)}</code>")
            elif isinstance(child, Math):
                out.append(f'<span class="im">{math_html(child.latex, inline=True)}</span>')
            elif isinstance(child, Styled):
                tag = {"strong": "strong", "em": "em"}.get(child.style, "s")
                out.append(f"<{tag}>{self.inlines(child.children)}</{tag}>")
            elif isinstance(child, Link):
                inner = self.inlines(child.children) or esc(child.href)
                href = safe_href(child.href)
                if href is None:
                    out.append(inner)
                else:
                    out.append(f'<a href="{esc(href)}" rel="noopener noreferrer">{inner}</a>')
            elif isinstance(child, Image):
                out.append(self.image(child))
            elif isinstance(child, Break):
                out.append("<br>" if child.hard else "\n")
            elif isinstance(child, RawHtml):
                out.append(f'<code class="raw" title="HTML in the note">{esc(child.html)}</code>')
            elif isinstance(child, Display):
                if id(child) in self.placement.checked:
                    out.append(self.display(child))
                else:
                    out.append(f'<span class="im">{math_html(child.latex, inline=True)}</span>')
        return "".join(out)

    def image(self, image: Image) -> str:
        label = esc(image.alt.strip() or "image")
        href = safe_href(image.src)
        where = f" ({esc(image.src)})" if image.src else ""
        if href is None:
            return f'<span class="image">image: {label}{where}</span>'
        return (
            f'<a class="image" href="{esc(href)}" rel="noopener noreferrer" '
            f'title="image, not loaded: {esc(image.src)}">image: {label}</a>'
        )

    # -- display math ----------------------------------------------------------------

    def display(self, block: Display) -> str:
        marks = [self.placement.marks(row) for row in block.rows]
        steps = [step for m in marks for _, step in m.steps]
        checked = id(block) in self.placement.checked
        failing = any(not step.meets_expectation for step in steps)
        classes = ["display"]
        if checked:
            classes.append("fail" if failing else "checked")
        aligned = any(len(row.cells) > 1 for row in block.rows)
        rows = [self.row(row, m, aligned) for row, m in zip(block.rows, marks, strict=True)]
        if not block.rows:  # an empty block
            rows.append(f'<div class="row"><span class="ln">{block.line}</span></div>')
        if not checked and block.rows:
            rows.append('<div class="gap-note">not checked: no step of this block was read as '
                        "a claim</div>")
        notes = "".join(chain_notes(chain) for m in marks for chain in m.starts)
        return (
            f'<div class="{" ".join(classes)}" id="L{block.line}">'
            + "".join(rows)
            + notes
            + "</div>"
        )

    def row(self, row: Row, marks: RowMarks, aligned: bool) -> str:
        steps = [step for _, step in marks.steps]
        classes = ["row"]
        if any(step.culprit for step in steps):
            classes.append("culprit")
        for verdict in dict.fromkeys(step.verdict for step in steps):
            classes.append(f"is-{verdict}")
        anchors = "".join(
            f'<span id="{esc(chain_anchor(chain))}"></span>' for chain in marks.starts
        )
        if aligned:
            left = row.cells[0] if row.cells else ""
            right = " ".join(row.cells[1:])
            math = (
                f'<span class="lhs">{math_html(left) if left else ""}</span>'
                f'<span class="rhs">{math_html(right) if right else ""}</span>'
            )
        else:
            math = f'<span class="whole">{math_html(" ".join(row.cells))}</span>'
        out = [
            f'<div class="{" ".join(classes)}" id="L{row.line}">{anchors}'
            f'<span class="ln">{row.line}</span><span class="math">{math}</span>'
            f'<span class="marks">{self.marks(row, marks)}</span></div>'
        ]
        for chain, step in marks.steps:
            details = self.details(chain, step)
            if details:
                out.append(details)
        return "".join(out)

    def marks(self, row: Row, marks: RowMarks) -> str:
        lines: list[str] = []
        several = len(marks.steps) > 1
        for _, step in marks.steps:
            # which relation the step checks: always when it is not "=" (⇒, ⇔, ≈, ≤ …)
            shown = several or step.relation not in ("=", "define")
            relation = (
                f'<span class="rel" title="{esc(step.relation)}, line {esc(line_span(step))}">'
                f"{esc(RELATION_WORDS.get(step.relation, step.relation))}</span>"
                if shown
                else ""
            )
            title = f"line {line_span(step)}" + (f": {step.method}" if step.method else "")
            lines.append(
                f'<span class="mark-line" title="{esc(title)}">{relation}'
                f"{badge(step.verdict)}{expectation_tags(step)}</span>"
            )
        for chain in marks.defines:
            lines.append(f'<span class="mark-line">{_defines_tag(chain)}</span>')
        if row.tag:
            lines.append(f'<span class="eqtag">({esc(row.tag)})</span>')
        return "".join(lines)

    def details(self, chain: ChainResult, step: StepResult) -> str:
        body = evidence(step, chain.path, source=True)
        if not body or step.verdict in ("proved", "bounded"):
            return ""
        opened = " open" if step.verdict in OPEN_EVIDENCE else ""
        summary = {
            "refuted": "why this step is refuted",
            "unparsed": "why this line could not be read",
            "error": "what went wrong",
        }.get(step.verdict, f"why this step is {step.verdict}")
        return f"<details{opened}><summary>{esc(summary)} (line {esc(line_span(step))})" \
               f"</summary>{body}</details>"


def _defines_tag(chain: ChainResult) -> str:
    if not chain.defines:
        return f'<span class="tag">{esc(definition_text(chain))}</span>'
    return f'<span class="tag">defines {math_html(chain.defines, inline=True)}</span>'


def _plain(children: list[Inline]) -> str:
    out: list[str] = []
    for child in children:
        if isinstance(child, (Text, Code)):
            out.append(child.text)
        elif isinstance(child, Math):
            out.append(child.latex)
        elif isinstance(child, (Styled, Link)):
            out.append(_plain(child.children))
    return "".join(out)
