"""HTML report, chains view (``--view chains``): every chain of a document as a table.

One card per chain: the first line's left side, then one row per step
(``= rhs``), a verdict badge per step, evidence under every step that has any.
The annotated note (the whole document, the default) is
:mod:`derive.report.note_html`; both share :mod:`derive.report.page`.
"""

from __future__ import annotations

from derive.model import ChainResult, FileResult
from derive.report._common import (
    RELATION_WORDS,
    definition_text,
    line_span,
    note_parts,
    section_text,
)
from derive.report.mathml import math_html, sanitize_mathml
from derive.report.page import (
    badge,
    chain_anchor,
    esc,
    evidence,
    expectation_tags,
    page,
    parts_html,
    problems,
    summary_card,
)

__all__ = ["chain_anchor", "math_html", "render_html", "sanitize_mathml"]

CHAINS_CSS = """
.chain{border:1px solid var(--line);border-radius:10px;margin:0 0 24px;overflow:hidden}
.chain>header{padding:10px 16px;border-bottom:1px solid var(--line);background:var(--soft)}
.chain>header .meta{font-size:.85rem;color:var(--muted);margin:2px 0 0;overflow-wrap:anywhere}
.chain.fail>header{border-left:4px solid var(--refuted)}
.chain.ok>header{border-left:4px solid var(--proved)}
.chain.definition>header{border-bottom:0;padding:6px 16px}
.chain.definition h2{font-size:1rem}
.chain.definition h2 .muted{font-weight:400;font-size:.9rem;margin-left:.5em}
table.steps{width:100%;border-collapse:collapse;table-layout:fixed}
.steps th{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
text-align:left;font-weight:600;padding:6px 10px;border-bottom:1px solid var(--line)}
.steps td{padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:middle;min-width:0}
.steps tr:last-child td{border-bottom:0}
.steps col.lines{width:6.2rem}
.steps col.verdict{width:10.5rem}
.steps col.method{width:9rem}
.lines{font-family:var(--mono);font-size:.85rem;color:var(--muted);white-space:nowrap}
.rel{display:inline-block;min-width:1.4em;color:var(--muted)}
.verdict-cell{display:flex;flex-wrap:wrap;gap:2px 4px;align-items:center}
.method{font-size:.85rem;color:var(--muted);overflow-wrap:anywhere}
tr.start td{padding-bottom:2px;border-bottom:0}
tr.culprit td{background:#fff5f5}
tr.culprit td:first-child{box-shadow:inset 4px 0 0 var(--refuted)}
tr.culprit .lines{color:var(--refuted);font-weight:700}
tr.details td{padding-top:0;border-top:0}
tr.has-details td{border-bottom:0}
@media (max-width:640px){
.steps thead{display:none}
.steps colgroup{display:none}
table.steps,.steps tbody,.steps tr,.steps td{display:block;width:100%}
.steps tr{border-bottom:1px solid var(--line);padding:6px 0}
.steps tr.start,.steps tr.has-details{border-bottom:0}
.steps td{border:0;padding:2px 12px}
.steps td.lines:empty,.steps td.method:empty{display:none}
}
@media print{
.chain{break-inside:avoid-page}
.steps tr{break-inside:avoid}
}
"""


def _chain_rows(chain: ChainResult) -> list[str]:
    rows: list[str] = []
    previous_rhs: str | None = None
    for step in chain.steps:
        if previous_rhs is None or step.lhs.strip() != previous_rhs.strip():
            rows.append(
                '<tr class="start">'
                f'<td class="lines">{step.from_line or ""}</td>'
                f'<td colspan="3"><div class="m">{math_html(step.lhs)}</div></td></tr>'
            )
        previous_rhs = step.rhs
        details = evidence(step, chain.path, source=True)
        classes = ["step", f"is-{step.verdict}"]
        if step.culprit:
            classes.append("culprit")
        if details:
            classes.append("has-details")
        rel = RELATION_WORDS.get(step.relation, step.relation)
        rows.append(
            f'<tr class="{" ".join(classes)}">'
            f'<td class="lines" title="from line {step.from_line} to line {step.line}">'
            f"{esc(line_span(step))}</td>"
            f'<td><div class="m"><span class="rel">{esc(rel)}</span> {math_html(step.rhs)}'
            "</div></td>"
            f'<td><div class="verdict-cell">{badge(step.verdict)}{expectation_tags(step)}'
            "</div></td>"
            f'<td class="method" title="{esc(step.message)}">{esc(step.method)}</td></tr>'
        )
        if details:
            culprit = " culprit" if step.culprit else ""
            rows.append(
                f'<tr class="details{culprit}"><td class="lines"></td>'
                f'<td colspan="3">{details}</td></tr>'
            )
    return rows


def chain_notes(chain: ChainResult) -> str:
    if not chain.notes:
        return ""
    items = "".join(f"<li>{parts_html(note_parts(n))}</li>" for n in chain.notes)
    return f'<ul class="notes">{items}</ul>'


def _chain_section(chain: ChainResult) -> str:
    state = "ok" if chain.ok else "fail"
    section = section_text(chain)
    meta = [f"{esc(chain.id)}"]
    if section:
        meta.append(esc(section))
    if chain.pinned:
        meta.append("expectations pinned")
    notes = chain_notes(chain)
    mark = (
        '<span class="mark ok" aria-label="chain ok">✓</span>'
        if chain.ok
        else '<span class="mark bad" aria-label="chain has problems">✗</span>'
    )
    anchor = chain_anchor(chain)
    if not chain.steps:
        return (
            f'<section class="chain ok definition" id="{esc(anchor)}">'
            f'<header><h2>{mark} <a href="#{esc(anchor)}">{esc(chain.name or chain.id)}</a>'
            f' <span class="muted">{esc(definition_text(chain))} · line {chain.line}</span></h2>'
            f"{notes}</header></section>"
        )
    table = (
        '<table class="steps"><colgroup><col class="lines"><col class="expr">'
        '<col class="verdict"><col class="method"></colgroup>'
        '<thead><tr><th scope="col">Lines</th><th scope="col">Step</th>'
        '<th scope="col">Verdict</th><th scope="col">Method</th></tr></thead>'
        "<tbody>" + "".join(_chain_rows(chain)) + "</tbody></table>"
    )
    return (
        f'<section class="chain {state}" id="{esc(anchor)}">'
        f'<header><h2>{mark} <a href="#{esc(anchor)}">{esc(chain.name or chain.id)}</a></h2>'
        f'<p class="meta">{" · ".join(meta)}</p>{notes}</header>'
        f"{table}</section>"
    )


def chain_card(chain: ChainResult) -> str:
    """One chain as a card (the annotated note uses it for steps it cannot place)."""
    return _chain_section(chain)


def render_html(file: FileResult, *, title: str) -> str:
    """A complete, self-contained HTML page: every chain of one document."""
    body = "".join(_chain_section(c) for c in file.chains)
    if not file.chains:
        body = '<p class="muted">No derivation chains found.</p>'
    return page(
        title, file.path, f"{summary_card(file)}\n{problems(file)}\n{body}", css=CHAINS_CSS
    )
