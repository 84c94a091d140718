"""The HTML page both views share: stylesheet, shell, badges, evidence, summary card.

One self-contained file: no script, no external stylesheet, font or image (a
Content-Security-Policy forbids them), readable on a phone, a desktop and in
print.  Every piece of document text is escaped here or in
:mod:`derive.report.mathml`.
"""

from __future__ import annotations

import html
import re

from derive.model import VERDICTS, ChainResult, FileResult, StepResult
from derive.report._common import (
    MEANINGS,
    SYMBOLS,
    Parts,
    counterexample_entries,
    display_parts,
    expectation_note,
    failing_phrase,
    values_entries,
)
from derive.report.mathml import math_html

CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--proved:#1a7f37;--proved-bg:#dafbe1;--bounded:#1b7c83;--bounded-bg:#d8f5f3;
--numeric:#0969da;--numeric-bg:#ddf4ff;--refuted:#cf222e;--refuted-bg:#ffebe9;
--undecided:#9a6700;--undecided-bg:#fff8c5;--unparsed:#8250df;--unparsed-bg:#fbefff;
--error:#a40e26;--error-bg:#ffd8d3;--mono:ui-monospace,SFMono-Regular,Menlo,Consolas,
"Noto Sans Mono CJK SC",monospace}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"Noto Sans","Noto Sans CJK SC","Noto Sans CJK JP","Noto Sans CJK KR","PingFang SC",
"Microsoft YaHei","DejaVu Sans",sans-serif}
main{max-width:980px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.6rem;margin:0 0 4px;line-height:1.25;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:0;line-height:1.3;overflow-wrap:anywhere}
a{color:inherit}
.path,.muted{color:var(--muted)}
.path{font-family:var(--mono);font-size:.9rem;overflow-wrap:anywhere;margin:0 0 16px}
.status{display:inline-block;font-weight:600;padding:2px 10px;border-radius:6px;margin-right:8px}
.status.ok{background:var(--proved-bg);color:var(--proved)}
.status.fail{background:var(--refuted-bg);color:var(--refuted)}
.status.gap{background:var(--undecided-bg);color:var(--undecided)}
.summary{border:1px solid var(--line);border-radius:10px;padding:14px 16px;margin:0 0 24px;
background:var(--soft)}
.summary p{margin:0 0 10px}
.badges{display:flex;flex-wrap:wrap;gap:6px;margin:0;padding:0;list-style:none}
.badge{display:inline-flex;align-items:center;gap:4px;white-space:nowrap;font-size:.85rem;
font-weight:600;padding:1px 9px;border-radius:999px;border:1px solid currentColor;line-height:1.6}
.badge .n{font-variant-numeric:tabular-nums}
.zero{opacity:.45}
.v-proved{color:var(--proved);background:var(--proved-bg)}
.v-bounded{color:var(--bounded);background:var(--bounded-bg)}
.v-numeric{color:var(--numeric);background:var(--numeric-bg)}
.v-refuted{color:var(--refuted);background:var(--refuted-bg)}
.v-undecided{color:var(--undecided);background:var(--undecided-bg)}
.v-unparsed{color:var(--unparsed);background:var(--unparsed-bg)}
.v-error{color:var(--error);background:var(--error-bg)}
.tag{display:inline-block;font-size:.75rem;font-weight:600;padding:0 6px;border-radius:4px;
margin:3px 4px 0 0;white-space:nowrap;border:1px solid var(--line);color:var(--muted);
background:#fff}
.tag.unmet{border-color:var(--refuted);color:#fff;background:var(--refuted)}
.tag.culprit{border-color:var(--refuted);color:var(--refuted);background:#fff}
.toc{margin:12px 0 0;padding:0;list-style:none;columns:2 18rem;column-gap:24px}
.toc li{break-inside:avoid;padding:1px 0;overflow-wrap:anywhere}
.toc a{text-decoration:none}
.toc a:hover{text-decoration:underline}
.mark{font-weight:700;display:inline-block;width:1.2em}
.mark.ok{color:var(--proved)}
.mark.bad{color:var(--refuted)}
.problems{border-left:4px solid var(--refuted);background:var(--refuted-bg);padding:8px 14px;
margin:0 0 24px;border-radius:0 8px 8px 0}
.problems h2{color:var(--refuted)}
.problems ul{margin:6px 0 0;padding-left:1.2em}
.problems code,.tex{font-family:var(--mono);font-size:.85em;overflow-wrap:anywhere;
white-space:pre-wrap}
.tex{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:1px 4px}
.m{overflow-x:auto;overflow-y:hidden;max-width:100%;padding:2px 0}
math{font-family:"Latin Modern Math","STIX Two Math","DejaVu Math TeX Gyre","Cambria Math",math;
font-size:1.1em;math-style:normal}
.evidence{margin:0;display:grid;grid-template-columns:max-content minmax(0,1fr);gap:4px 14px;
font-size:.9rem;background:#fff;border:1px dashed var(--line);border-radius:6px;padding:8px 12px}
.evidence dt{color:var(--muted);font-weight:600;white-space:nowrap}
.evidence dd{margin:0;min-width:0;overflow-x:auto}
.evidence .entry{display:inline-block;margin-right:.2em}
.message{overflow-wrap:anywhere}
pre.source{margin:0;font-family:var(--mono);font-size:.85rem;white-space:pre-wrap;
overflow-wrap:anywhere;background:var(--soft);border:1px solid var(--line);border-radius:4px;
padding:6px 8px;max-height:16em;overflow-y:auto}
.notes{margin:4px 0 0;padding-left:1.2em;font-size:.85rem;color:var(--muted)}
footer{margin-top:32px;font-size:.8rem;color:var(--muted);border-top:1px solid var(--line);
padding-top:12px}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:6px 0 0;padding:0;list-style:none}
@media (max-width:640px){
main{padding:16px 12px 32px}
.evidence{grid-template-columns:minmax(0,1fr)}
.evidence dt{margin-top:4px}
}
@media print{
body{font-size:11pt}
main{max-width:none;padding:0}
.toc,footer .legend{display:none}
.summary,.problems{break-inside:avoid-page}
.m,.evidence dd{overflow:visible}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a{text-decoration:none}
}
"""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def chain_anchor(chain: ChainResult) -> str:
    slug = re.sub(r"[^\w.-]+", "-", chain.name or chain.id).strip("-") or "chain"
    return f"chain-{slug}"


def badge(verdict: str, label: str | None = None) -> str:
    word = label if label is not None else verdict
    return (
        f'<span class="badge v-{esc(verdict)}" title="{esc(MEANINGS.get(verdict, ""))}">'
        f'<span aria-hidden="true">{esc(SYMBOLS.get(verdict, "?"))}</span> {esc(word)}</span>'
    )


def expectation_tags(step: StepResult) -> str:
    parts: list[str] = []
    note = expectation_note(step)
    if note:
        cls = "tag" if note == "expected" else "tag unmet"
        parts.append(f'<span class="{cls}">{esc(note)}</span>')
    if step.culprit:
        parts.append(f'<span class="tag culprit">culprit: line {step.line}</span>')
    return "".join(parts)


def _text_arg(text: str) -> str:
    # plain words inside \text{…}: no braces or backslashes from anywhere
    return re.sub(r"[{}\\$]", "", text)


def entries_math(entries: list[tuple[str, str]], *, labels: bool = False) -> str:
    """``name = value`` formulas; ``labels``: the names are words (lhs, premise residual)."""
    items = []
    for key, value in entries:
        name = rf"\text{{{_text_arg(key)}}}" if labels else key
        items.append(f'<span class="entry">{math_html(f"{name} = {value}")}</span>')
    return '<span class="sep">, </span>'.join(i for i in items if i)


def parts_html(parts: Parts) -> str:
    """Prose with formulas: text escaped, every formula as inline MathML."""
    return "".join(
        math_html(value, inline=True) if kind == "math" else esc(value) for kind, value in parts
    )


def evidence(step: StepResult, path: str = "", *, source: bool = False) -> str:
    """What a reader needs to check the verdict: message, counterexample, values,
    residual, ratio; ``source``: an unreadable line's text in a verbatim box."""
    rows: list[tuple[str, str]] = []
    # the explanation first; a proved step's "both sides are the same" is a tooltip
    parts = display_parts(step, path)
    if parts and step.verdict not in ("proved", "bounded"):
        label = "why" if step.verdict in ("unparsed", "error") else "message"
        rows.append((label, f'<span class="message">{parts_html(parts)}</span>'))
    if source and step.verdict == "unparsed":
        rows.append(("as written", f'<pre class="source">{esc(step.rhs)}</pre>'))
    if step.counterexample:
        rows.append(("counterexample", entries_math(counterexample_entries(step))))
    if step.values:
        rows.append(("values", entries_math(values_entries(step), labels=True)))
    if step.residual:
        rows.append(("residual", math_html(r"\text{lhs} - \text{rhs} = " + step.residual)))
    if step.ratio:
        rows.append(("ratio", math_html(r"\frac{\text{lhs}}{\text{rhs}} = " + step.ratio)))
    if step.traceback:  # verdict error: where derive failed, folded away
        rows.append(("traceback", '<details><summary>show</summary>'
                     f'<pre class="source">{esc(step.traceback)}</pre></details>'))
    if not rows:
        return ""
    body = "".join(f'<dt>{esc(k)}</dt><dd><div class="m">{v}</div></dd>' for k, v in rows)
    return f'<dl class="evidence">{body}</dl>'


def counts(file: FileResult) -> tuple[dict[str, int], dict[str, int], int, int, int]:
    """Per verdict: steps, steps as pinned; culprits, failing steps, all steps."""
    by_verdict: dict[str, int] = dict.fromkeys(VERDICTS, 0)
    expected: dict[str, int] = dict.fromkeys(VERDICTS, 0)
    culprits = unmet = steps = 0
    for chain in file.chains:
        for step in chain.steps:
            steps += 1
            by_verdict[step.verdict] = by_verdict.get(step.verdict, 0) + 1
            if step.expected is not None and step.expected == step.verdict:
                expected[step.verdict] = expected.get(step.verdict, 0) + 1
            culprits += int(step.culprit)
            unmet += int(not step.meets_expectation)
    return by_verdict, expected, culprits, unmet, steps


def summary_card(file: FileResult, *, unchecked_blocks: int = 0) -> str:
    """The card at the top: status, counts per verdict, the index of chains.

    ``unchecked_blocks``: display blocks in which nothing was checked — never
    "all as expected" when the document's math went unchecked."""
    by_verdict, expected, culprits, unmet, steps = counts(file)
    badges = []
    for verdict in by_verdict:
        n = by_verdict[verdict]
        extra = f" ({expected[verdict]} expected)" if expected.get(verdict) else ""
        zero = " zero" if not n else ""
        badges.append(
            f'<li class="badge v-{esc(verdict)}{zero}" title="{esc(MEANINGS.get(verdict, ""))}">'
            f'<span aria-hidden="true">{esc(SYMBOLS.get(verdict, "?"))}</span> '
            f'<span class="n">{n}</span> {esc(verdict)}{esc(extra)}</li>'
        )
    if not file.ok:
        status = '<span class="status fail">✗ needs attention</span>'
    elif steps == 0 and unchecked_blocks:
        status = '<span class="status gap">? no step was checked</span>'
    else:
        status = '<span class="status ok">✓ all as expected</span>'
    facts = [
        f"{steps} step{'s' if steps != 1 else ''} in {len(file.chains)} chain"
        f"{'s' if len(file.chains) != 1 else ''}"
    ]
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
        '<section class="summary" aria-label="summary">'
        f"<p>{status}{esc(' · '.join(facts))}</p>"
        f'<ul class="badges">{"".join(badges)}</ul>{chain_index(file)}</section>'
    )


def chain_index(file: FileResult) -> str:
    if not file.chains:
        return ""
    items = []
    for chain in file.chains:
        mark = (
            '<span class="mark ok" aria-hidden="true">✓</span>'
            if chain.ok
            else '<span class="mark bad" aria-hidden="true">✗</span>'
        )
        state = "" if chain.ok else ' <span class="muted">(needs attention)</span>'
        items.append(
            f'<li>{mark}<a href="#{esc(chain_anchor(chain))}">'
            f"{esc(chain.name or chain.id)}</a> "
            f'<span class="muted">line {chain.line}</span>{state}</li>'
        )
    return '<nav aria-label="chains"><ul class="toc">' + "".join(items) + "</ul></nav>"


def problems(file: FileResult) -> str:
    if not file.problems:
        return ""
    items = []
    for p in file.problems:
        frag = f" <code>{esc(p.fragment)}</code>" if p.fragment else ""
        items.append(f"<li><code>{esc(p.where())}</code>: {esc(p.message)}{frag}</li>")
    return (
        '<section class="problems" aria-label="problems"><h2>Problems reading the file</h2>'
        f"<ul>{''.join(items)}</ul></section>"
    )


def legend() -> str:
    items = "".join(f"<li>{badge(v)} {esc(MEANINGS.get(v, ''))}</li>" for v in MEANINGS)
    return f'<ul class="legend">{items}</ul>'


def page(title: str, path: str, body: str, *, css: str = "", lang: str = "en") -> str:
    """A complete, self-contained HTML page."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="derive">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        '<meta name="referrer" content="no-referrer">'
        f"<title>{esc(title)}</title><style>{CSS}{css}</style></head>\n"
        f"<body><main><header><h1>{esc(title)}</h1>"
        f'<p class="path">{esc(path)}</p></header>\n'
        f"{body}\n"
        f"<footer>Checked by derive. Verdicts: {legend()}</footer>"
        "</main></body></html>\n"
    )
