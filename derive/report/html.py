"""HTML report: one self-contained page per document, math as MathML.

No scripts, no external CSS, fonts or images: the page opens offline.  All
document text is untrusted: text is escaped with ``html.escape`` and the
MathML that latex2mathml produces is re-serialised through a whitelist (it
passes ``\\text{<script>}`` through verbatim otherwise).
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

from derive.model import VERDICTS, ChainResult, FileResult, StepResult
from derive.report._common import (
    MEANINGS,
    RELATION_WORDS,
    SYMBOLS,
    definition_text,
    display_message,
    expectation_note,
    failing_phrase,
    line_span,
    section_text,
)

# --------------------------------------------------------------------------
# LaTeX -> safe MathML
# --------------------------------------------------------------------------

_MATHML_TAGS = frozenset(
    """math mrow mi mn mo ms mtext mspace msub msup msubsup mfrac msqrt mroot mstyle merror
    mpadded mphantom mfenced menclose munder mover munderover mtable mtr mtd mlabeledtr
    maligngroup malignmark semantics annotation mmultiscripts mprescripts none""".split()
)
_MATHML_ATTRS = frozenset(
    """display xmlns mathvariant stretchy fence form separator lspace rspace minsize maxsize
    movablelimits accent accentunder linethickness columnalign rowalign columnspacing rowspacing
    columnlines rowlines frame width height depth voffset scriptlevel displaystyle notation open
    close separators largeop symmetric encoding align rowspan columnspan mathsize""".split()
)


class _MathMLSanitizer(HTMLParser):
    """Re-emit only whitelisted MathML; everything else becomes escaped text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[str] = []

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], close: bool) -> None:
        if tag not in _MATHML_TAGS:
            self.out.append(html.escape(self.get_starttag_text() or "", quote=False))
            return
        parts = [tag]
        for name, value in attrs:
            if name in _MATHML_ATTRS and value is not None:
                parts.append(f'{name}="{html.escape(value, quote=True)}"')
        self.out.append("<" + " ".join(parts) + ">")
        if close:
            self.out.append(f"</{tag}>")
        else:
            self.stack.append(tag)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, close=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open(tag, attrs, close=True)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.stack:
            if tag not in _MATHML_TAGS:
                self.out.append(html.escape(f"</{tag}>", quote=False))
            return
        while self.stack:
            top = self.stack.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        self.out.append(html.escape(data, quote=False))

    def handle_comment(self, data: str) -> None:  # drop
        pass

    def handle_decl(self, decl: str) -> None:  # drop
        pass

    def handle_pi(self, data: str) -> None:  # drop
        pass

    def unknown_decl(self, data: str) -> None:  # drop
        pass

    def result(self) -> str:
        self.close()
        while self.stack:
            self.out.append(f"</{self.stack.pop()}>")
        return "".join(self.out)


def sanitize_mathml(markup: str) -> str:
    parser = _MathMLSanitizer()
    parser.feed(markup)
    return parser.result()


_PRIMES = re.compile(r"(?<!\\)('+)")


def _prepare(latex: str) -> str:
    # latex2mathml reads x' badly (a stray backslash); ^{\prime} renders right.
    return _PRIMES.sub(lambda m: "^{" + r"\prime" * len(m.group(1)) + "}", latex)


def math_html(latex: str | None) -> str:
    """Safe MathML for ``latex``; the escaped LaTeX source in <code> if it cannot be converted."""
    latex = (latex or "").strip()
    if not latex:
        return ""
    try:
        from latex2mathml.converter import convert
    except ImportError:  # pragma: no cover - a declared dependency
        convert = None
    if convert is not None:
        for candidate in (_prepare(latex), latex):
            try:
                markup = convert(candidate, display="block")
            except Exception:  # noqa: BLE001 - any failure of the converter means "show source"
                continue
            if "<math" in markup:
                # Converted as display math (limits under sums), shown inline in the table.
                markup = markup.replace(
                    'display="block"', 'display="inline" displaystyle="true"', 1
                )
                return sanitize_mathml(markup)
    return f'<code class="tex">{html.escape(latex)}</code>'


# --------------------------------------------------------------------------
# page
# --------------------------------------------------------------------------

_CSS = """
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;
--proved:#1a7f37;--proved-bg:#dafbe1;--bounded:#1b7c83;--bounded-bg:#d8f5f3;
--numeric:#0969da;--numeric-bg:#ddf4ff;--refuted:#cf222e;--refuted-bg:#ffebe9;
--undecided:#9a6700;--undecided-bg:#fff8c5;--unparsed:#8250df;--unparsed-bg:#fbefff;
--error:#a40e26;--error-bg:#ffcecb}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,
"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:980px;margin:0 auto;padding:24px 20px 48px}
h1{font-size:1.6rem;margin:0 0 4px;line-height:1.25;overflow-wrap:anywhere}
h2{font-size:1.15rem;margin:0;line-height:1.3;overflow-wrap:anywhere}
a{color:inherit}
.path,.muted{color:var(--muted)}
.path{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9rem;
overflow-wrap:anywhere;margin:0 0 16px}
.status{display:inline-block;font-weight:600;padding:2px 10px;border-radius:6px;margin-right:8px}
.status.ok{background:var(--proved-bg);color:var(--proved)}
.status.fail{background:var(--refuted-bg);color:var(--refuted)}
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
.problems code,.tex{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;
font-size:.85em;overflow-wrap:anywhere;white-space:pre-wrap}
.tex{background:var(--soft);border:1px solid var(--line);border-radius:4px;padding:1px 4px}
.chain{border:1px solid var(--line);border-radius:10px;margin:0 0 24px;overflow:hidden}
.chain>header{padding:10px 16px;border-bottom:1px solid var(--line);background:var(--soft)}
.chain>header .meta{font-size:.85rem;color:var(--muted);margin:2px 0 0;overflow-wrap:anywhere}
.chain.fail>header{border-left:4px solid var(--refuted)}
.chain.ok>header{border-left:4px solid var(--proved)}
.chain.definition>header{border-bottom:0;padding:6px 16px}
.chain.definition h2{font-size:1rem}
.chain.definition h2 .muted{font-weight:400;font-size:.9rem;margin-left:.5em}
.notes{margin:4px 0 0;padding-left:1.2em;font-size:.85rem;color:var(--muted)}
table.steps{width:100%;border-collapse:collapse;table-layout:fixed}
.steps th{font-size:.75rem;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);
text-align:left;font-weight:600;padding:6px 10px;border-bottom:1px solid var(--line)}
.steps td{padding:8px 10px;border-bottom:1px solid var(--line);vertical-align:middle}
.steps tr:last-child td{border-bottom:0}
.steps col.lines{width:6.2rem}
.steps col.verdict{width:10.5rem}
.steps col.method{width:9rem}
.lines{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.85rem;
color:var(--muted);white-space:nowrap}
.m{overflow-x:auto;overflow-y:hidden;max-width:100%;padding:2px 0}
.rel{display:inline-block;min-width:1.4em;color:var(--muted)}
math{font-family:"Latin Modern Math","STIX Two Math","DejaVu Math TeX Gyre","Cambria Math",math;
font-size:1.1em;math-style:normal}
.method{font-size:.85rem;color:var(--muted);overflow-wrap:anywhere}
tr.start td{padding-bottom:2px;border-bottom:0}
tr.culprit td{background:#fff5f5}
tr.culprit td:first-child{box-shadow:inset 4px 0 0 var(--refuted)}
tr.culprit .lines{color:var(--refuted);font-weight:700}
tr.details td{padding-top:0;border-top:0}
tr.has-details td{border-bottom:0}
.evidence{margin:0;display:grid;grid-template-columns:max-content 1fr;gap:4px 12px;
font-size:.9rem;background:#fff;border:1px dashed var(--line);border-radius:6px;padding:8px 12px}
.evidence dt{color:var(--muted);font-weight:600}
.evidence dd{margin:0;min-width:0}
.message{overflow-wrap:anywhere}
footer{margin-top:32px;font-size:.8rem;color:var(--muted);border-top:1px solid var(--line);
padding-top:12px}
.legend{display:flex;flex-wrap:wrap;gap:6px 16px;margin:6px 0 0;padding:0;list-style:none}
@media (max-width:640px){
main{padding:16px 12px 32px}
.steps thead{display:none}
.steps colgroup{display:none}
table.steps,.steps tbody,.steps tr,.steps td{display:block;width:100%}
.steps tr{border-bottom:1px solid var(--line);padding:6px 0}
.steps tr.start,.steps tr.has-details{border-bottom:0}
.steps td{border:0;padding:2px 12px}
.steps td.lines:empty,.steps td.method:empty{display:none}
.evidence{grid-template-columns:1fr}
}
@media print{
body{font-size:11pt}
main{max-width:none;padding:0}
.toc,footer .legend{display:none}
.chain,.summary,.problems{break-inside:avoid-page}
.steps tr{break-inside:avoid}
.m{overflow:visible}
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
a{text-decoration:none}
}
"""


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def chain_anchor(chain: ChainResult) -> str:
    slug = re.sub(r"[^\w.-]+", "-", chain.name or chain.id).strip("-") or "chain"
    return f"chain-{slug}"


def _badge(verdict: str, label: str | None = None) -> str:
    word = label if label is not None else verdict
    return (
        f'<span class="badge v-{_esc(verdict)}" title="{_esc(MEANINGS.get(verdict, ""))}">'
        f'<span aria-hidden="true">{_esc(SYMBOLS.get(verdict, "?"))}</span> {_esc(word)}</span>'
    )


def _verdict_cell(step: StepResult) -> str:
    parts = [_badge(step.verdict)]
    note = expectation_note(step)
    if note:
        cls = "tag" if note == "expected" else "tag unmet"
        parts.append(f'<br><span class="{cls}">{_esc(note)}</span>')
    if step.culprit:
        parts.append(f'<br><span class="tag culprit">culprit: line {step.line}</span>')
    return "".join(parts)


def _mapping_math(mapping: dict[str, str]) -> str:
    def name(key: str) -> str:
        return rf"\text{{{key}}}" if key in ("lhs", "rhs") else key

    items = [math_html(f"{name(str(k))} = {v}") for k, v in mapping.items()]
    return ", ".join(i for i in items if i)


def _evidence(step: StepResult, path: str = "") -> str:
    rows: list[tuple[str, str]] = []
    # the explanation first; a proved step's "both sides are the same" is a tooltip
    message = display_message(step, path)
    if message and step.verdict not in ("proved", "bounded"):
        rows.append(("message", f'<span class="message">{_esc(message)}</span>'))
    if step.counterexample:
        rows.append(("counterexample", _mapping_math(step.counterexample)))
    if step.values:
        rows.append(("values", _mapping_math(step.values)))
    if step.residual:
        rows.append(("residual", math_html(r"\text{lhs} - \text{rhs} = " + step.residual)))
    if step.ratio:
        rows.append(("ratio", math_html(r"\frac{\text{lhs}}{\text{rhs}} = " + step.ratio)))
    if step.traceback:  # verdict error: where derive failed, folded away
        rows.append(("traceback", '<details><summary>show</summary>'
                     f'<pre class="tex">{_esc(step.traceback)}</pre></details>'))
    if not rows:
        return ""
    body = "".join(f'<dt>{_esc(k)}</dt><dd><div class="m">{v}</div></dd>' for k, v in rows)
    return f'<dl class="evidence">{body}</dl>'


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
        evidence = _evidence(step, chain.path)
        classes = ["step", f"is-{step.verdict}"]
        if step.culprit:
            classes.append("culprit")
        if evidence:
            classes.append("has-details")
        rel = RELATION_WORDS.get(step.relation, step.relation)
        rows.append(
            f'<tr class="{" ".join(classes)}">'
            f'<td class="lines" title="from line {step.from_line} to line {step.line}">'
            f"{_esc(line_span(step))}</td>"
            f'<td><div class="m"><span class="rel">{_esc(rel)}</span> {math_html(step.rhs)}'
            "</div></td>"
            f"<td>{_verdict_cell(step)}</td>"
            f'<td class="method" title="{_esc(step.message)}">{_esc(step.method)}</td></tr>'
        )
        if evidence:
            culprit = " culprit" if step.culprit else ""
            rows.append(
                f'<tr class="details{culprit}"><td class="lines"></td>'
                f'<td colspan="3">{evidence}</td></tr>'
            )
    return rows


def _chain_section(chain: ChainResult) -> str:
    state = "ok" if chain.ok else "fail"
    section = section_text(chain)
    meta = [f"{_esc(chain.id)}"]
    if section:
        meta.append(_esc(section))
    if chain.pinned:
        meta.append("expectations pinned")
    notes = ""
    if chain.notes:
        notes = '<ul class="notes">' + "".join(f"<li>{_esc(n)}</li>" for n in chain.notes) + "</ul>"
    mark = (
        '<span class="mark ok" aria-label="chain ok">✓</span>'
        if chain.ok
        else '<span class="mark bad" aria-label="chain has problems">✗</span>'
    )
    anchor = chain_anchor(chain)
    table = (
        '<table class="steps"><colgroup><col class="lines"><col class="expr">'
        '<col class="verdict"><col class="method"></colgroup>'
        '<thead><tr><th scope="col">Lines</th><th scope="col">Step</th>'
        '<th scope="col">Verdict</th><th scope="col">Method</th></tr></thead>'
        "<tbody>" + "".join(_chain_rows(chain)) + "</tbody></table>"
        if chain.steps
        else ""
    )
    if not chain.steps:
        where = f"line {chain.line}"
        return (
            f'<section class="chain ok definition" id="{_esc(anchor)}">'
            f'<header><h2>{mark} <a href="#{_esc(anchor)}">{_esc(chain.name or chain.id)}</a>'
            f' <span class="muted">{_esc(definition_text(chain))} · {where}</span></h2>'
            f"{notes}</header></section>"
        )
    return (
        f'<section class="chain {state}" id="{_esc(anchor)}">'
        f'<header><h2>{mark} <a href="#{_esc(anchor)}">{_esc(chain.name or chain.id)}</a></h2>'
        f'<p class="meta">{" · ".join(meta)}</p>{notes}</header>'
        f"{table}</section>"
    )


def _summary(file: FileResult) -> str:
    counts = dict.fromkeys(VERDICTS, 0)
    expected = dict.fromkeys(VERDICTS, 0)
    culprits = unmet = steps = 0
    for chain in file.chains:
        for step in chain.steps:
            steps += 1
            counts[step.verdict] = counts.get(step.verdict, 0) + 1
            if step.expected is not None and step.expected == step.verdict:
                expected[step.verdict] += 1
            culprits += int(step.culprit)
            unmet += int(not step.meets_expectation)
    badges = []
    for verdict in VERDICTS:
        n = counts[verdict]
        extra = f" ({expected[verdict]} expected)" if expected[verdict] else ""
        zero = " zero" if not n else ""
        badges.append(
            f'<li class="badge v-{verdict}{zero}" title="{_esc(MEANINGS[verdict])}">'
            f'<span aria-hidden="true">{_esc(SYMBOLS[verdict])}</span> '
            f'<span class="n">{n}</span> {verdict}{_esc(extra)}</li>'
        )
    status = (
        '<span class="status ok">✓ all as expected</span>'
        if file.ok
        else '<span class="status fail">✗ needs attention</span>'
    )
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
    toc = ""
    if file.chains:
        items = []
        for chain in file.chains:
            mark = (
                '<span class="mark ok" aria-hidden="true">✓</span>'
                if chain.ok
                else '<span class="mark bad" aria-hidden="true">✗</span>'
            )
            state = "" if chain.ok else ' <span class="muted">(needs attention)</span>'
            items.append(
                f'<li>{mark}<a href="#{_esc(chain_anchor(chain))}">'
                f"{_esc(chain.name or chain.id)}</a> "
                f'<span class="muted">line {chain.line}</span>{state}</li>'
            )
        toc = '<nav aria-label="chains"><ul class="toc">' + "".join(items) + "</ul></nav>"
    return (
        '<section class="summary" aria-label="summary">'
        f"<p>{status}{_esc(' · '.join(facts))}</p>"
        f'<ul class="badges">{"".join(badges)}</ul>{toc}</section>'
    )


def _problems(file: FileResult) -> str:
    if not file.problems:
        return ""
    items = []
    for p in file.problems:
        frag = f" <code>{_esc(p.fragment)}</code>" if p.fragment else ""
        items.append(f"<li><code>{_esc(p.where())}</code>: {_esc(p.message)}{frag}</li>")
    return (
        '<section class="problems" aria-label="problems"><h2>Problems reading the file</h2>'
        f"<ul>{''.join(items)}</ul></section>"
    )


def _legend() -> str:
    items = "".join(f"<li>{_badge(v)} {_esc(MEANINGS[v])}</li>" for v in VERDICTS)
    return f'<ul class="legend">{items}</ul>'


def render_html(file: FileResult, *, title: str) -> str:
    """A complete, self-contained HTML page for one document."""
    body = "".join(_chain_section(c) for c in file.chains)
    if not file.chains:
        body = '<p class="muted">No derivation chains found.</p>'
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="derive">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "style-src 'unsafe-inline'; img-src data:\">"
        f"<title>{_esc(title)}</title><style>{_CSS}</style></head>\n"
        f"<body><main><header><h1>{_esc(title)}</h1>"
        f'<p class="path">{_esc(file.path)}</p></header>\n'
        f"{_summary(file)}\n{_problems(file)}\n{body}\n"
        f"<footer>Checked by derive. Verdicts: {_legend()}</footer>"
        "</main></body></html>\n"
    )
