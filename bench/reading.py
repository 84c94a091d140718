"""Reading coverage on real notes: which display rows derive finds, reads, and loses.

    python bench/reading.py                      # ../shared/corpus/docs, a table per document
    python bench/reading.py PATH…                # other documents or folders
    python bench/reading.py --reasons 30         # the 30 most common reasons a row is unreadable
    python bench/reading.py --rows unread        # list every unreadable row (file:line: reason)
    python bench/reading.py --json out.json      # everything, machine-readable

The measure is independent of derive's own document stage.  A small scanner
here finds the display math of each file by itself (``$$…$$``, ``\\[…\\]``, and
the math environments, bare in Markdown too; code fences and TeX comments
left out) and cuts each block into rows at top-level ``\\\\``.  Every row is then
matched with what derive made of it, by source position:

* ``read``       derive turned the row into chain items and every item parses;
* ``unreadable`` derive reported a problem on the row or an item does not parse
                 (the reason is kept);
* ``no claim``   the row has no relation at all (a lone formula): nothing to check;
* ``dropped``    the row has a relation, but derive made neither an item nor a
                 problem of it: lost without a word.

A block of which every row with a relation was dropped is *silently skipped*.
Reading uses derive's own planning and its worker function for a chain
(``plan_document`` and ``read_chain``), in this process, with no context file.
"""

from __future__ import annotations

import argparse
import bisect
import collections
import json
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

CORPUS = ROOT.parent / "shared" / "corpus" / "docs"

MATH_ENVS = (
    "align",
    "align*",
    "aligned",
    "equation",
    "equation*",
    "gather",
    "gather*",
    "multline",
    "multline*",
    "eqnarray",
    "eqnarray*",
    "flalign",
    "flalign*",
    "alignat",
    "alignat*",
    "displaymath",
)
# Environments that live inside display math; found alone, they are a block too.
INNER_ENVS = ("aligned", "alignedat", "gathered", "split")
# Relations that make a row a claim someone could check.
_RELATION = re.compile(
    r"(?<![<>!:])=(?!=)|:=|<|>|\\(?:approx|le|leq|ge|geq|leqslant|geqslant|ne|neq|lt|gt|"
    r"Rightarrow|Longrightarrow|implies|iff|Leftrightarrow|Longleftrightarrow|therefore|"
    r"propto|equiv|coloneqq|simeq|triangleq|doteq)(?![A-Za-z])"
)


# --------------------------------------------------------------------------
# The independent scanner
# --------------------------------------------------------------------------


@dataclass
class ScannedRow:
    start: int  # offset in the file text
    end: int
    line: int
    text: str
    has_relation: bool
    fate: str = ""
    reason: str = ""


@dataclass
class ScannedBlock:
    start: int
    end: int
    line: int
    kind: str
    rows: list[ScannedRow] = field(default_factory=list)


def _blank(text: str, a: int, b: int) -> str:
    return text[:a] + "".join("\n" if c == "\n" else " " for c in text[a:b]) + text[b:]


def _strip_code_and_comments(text: str, kind: str) -> str:
    """Blank code fences (Markdown) or comments (TeX), keeping every offset."""
    if kind == "tex":
        out = []
        for line in text.split("\n"):
            m = re.search(r"(?<!\\)%", line)
            out.append(line if m is None else line[: m.start()] + " " * (len(line) - m.start()))
        return "\n".join(out)
    lines = text.split("\n")
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line) + 1)
    fence: str | None = None
    start = 0
    for k, line in enumerate(lines):
        stripped = line.lstrip()
        marker = re.match(r"(`{3,}|~{3,})", stripped)
        if fence is None and marker:
            fence, start = marker.group(1)[0] * 3, offsets[k]
        elif fence is not None and stripped.startswith(fence):
            text = _blank(text, start, offsets[k + 1] - 1)
            fence = None
    if fence is not None:
        text = _blank(text, start, len(text))
    # inline code spans: `…`
    for m in re.finditer(r"(`+)(?!`)(.+?)(?<!`)\1(?!`)", text):
        text = _blank(text, m.start(), m.end())
    return text


def scan(text: str, kind: str) -> list[ScannedBlock]:
    clean = _strip_code_and_comments(text, kind)
    line_starts = [0] + [m.end() for m in re.finditer("\n", clean)]

    def line_of(offset: int) -> int:
        return bisect.bisect_right(line_starts, offset)

    blocks: list[ScannedBlock] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    envs = "|".join(re.escape(e) for e in MATH_ENVS)
    inner = "|".join(re.escape(e) for e in INNER_ENVS)
    patterns = [
        ("$$", re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.DOTALL)),
        ("\\[", re.compile(r"\\\[(.+?)\\\]", re.DOTALL)),
        ("env", re.compile(r"\\begin\{(" + envs + r")\}(.+?)\\end\{\1\}", re.DOTALL)),
        # `\( \begin{aligned} … \end{aligned} \)` on its own: displayed in practice
        ("env", re.compile(r"\\begin\{(" + inner + r")\}(.+?)\\end\{\1\}", re.DOTALL)),
    ]
    for name, pattern in patterns:
        for m in pattern.finditer(clean):
            if not free(m.start(), m.end()):
                continue
            if name == "$$" and _inline_dollars(clean, m.start(), m.end()):
                continue
            body_start = m.start(2) if name == "env" else m.start(1)
            body_end = m.end(2) if name == "env" else m.end(1)
            if not clean[body_start:body_end].strip():
                continue
            kind_name = m.group(1) if name == "env" else name
            block = ScannedBlock(m.start(), m.end(), line_of(m.start()), kind_name)
            block.rows = _rows(clean, body_start, body_end, line_of)
            blocks.append(block)
            taken.append((m.start(), m.end()))
    blocks.sort(key=lambda b: b.start)
    return blocks


def _inline_dollars(text: str, start: int, end: int) -> bool:
    """``… $$x = 1$$ …`` with prose on both sides of it on its lines: inline math
    (kramdown, which Jekyll and GitHub Pages blogs use, renders it in the line)."""
    before = text[text.rfind("\n", 0, start) + 1 : start]
    eol = text.find("\n", end)
    after = text[end : len(text) if eol < 0 else eol]
    prose_before = bool(re.sub(r"^[\s>*+-]*(\d+[.)])?\s*", "", before).strip())
    prose_after = bool(re.sub(r"[\s.,;:!?，。；：！？)）]+", "", after))
    return prose_before and prose_after


def _rows(text: str, start: int, end: int, line_of) -> list[ScannedRow]:  # noqa: ANN001
    rows: list[ScannedRow] = []
    depth = 0
    row_start = start
    i = start
    while i < end:
        ch = text[i]
        if ch == "\\":
            if text.startswith("\\\\", i) and depth == 0:
                rows.append(_row(text, row_start, i, line_of))
                i += 2
                spacing = re.match(r"\*?\s*\[[^\]\n]{0,12}\]", text[i:end])
                if spacing:
                    i += spacing.end()
                row_start = i
                continue
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        i += 1
    rows.append(_row(text, row_start, end, line_of))
    return [r for r in rows if _visible(r.text)]


_WRAPPER = re.compile(r"\\(?:begin|end)\{[a-zA-Z*]+\}(?:\{[^}]*\})?")


def _visible(text: str) -> bool:
    rest = _WRAPPER.sub(" ", text)
    rest = re.sub(r"\\(?:label|tag)\*?\{[^}]*\}|\\(?:nonumber|notag)|[&\s.,;]", "", rest)
    return bool(rest)


def _row(text: str, a: int, b: int, line_of) -> ScannedRow:  # noqa: ANN001
    body = text[a:b]
    lead = len(body) - len(body.lstrip())
    bare = _WRAPPER.sub(" ", body)
    bare = re.sub(r"\\(?:text|mbox|textrm|mathrm|operatorname)\s*\{[^{}]*\}", " ", bare)
    has_relation = bool(_RELATION.search(re.sub(r"\\(?:left|right)[<>]", " ", bare)))
    return ScannedRow(a + lead, b, line_of(a + lead), " ".join(body.split()), has_relation)


# --------------------------------------------------------------------------
# What derive made of it
# --------------------------------------------------------------------------


@dataclass
class DocReport:
    path: str
    blocks: int = 0
    rows: int = 0
    claim_rows: int = 0
    read: int = 0
    unreadable: int = 0
    no_claim: int = 0
    dropped: int = 0
    skipped_blocks: int = 0
    seconds: float = 0.0
    reasons: list[tuple[int, str]] = field(default_factory=list)
    dropped_rows: list[tuple[int, str]] = field(default_factory=list)
    skipped_block_lines: list[int] = field(default_factory=list)


def _position(text: str) -> callable:  # type: ignore[valid-type]
    starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def offset(line: int, column: int) -> int:
        base = starts[line - 1] if 0 < line <= len(starts) else 0
        return base + max(column - 1, 0)

    return offset


_GENERIC_REASON = [
    (re.compile(r"unknown command \\\w+"), None),
    (re.compile(r"near “.*”$"), ""),
    (re.compile(r"column \d+: "), ""),
    (re.compile(r"cannot read [^:]+:\d+(:\d+)?: "), ""),
]


def reason_class(message: str) -> str:
    """A reason without its place and fragment, so equal reasons count together."""
    text = message
    for pattern, repl in _GENERIC_REASON:
        if repl is not None:
            text = pattern.sub(repl, text)
    text = re.sub(r"'[^']*'|“[^”]*”|`[^`]*`", "…", text) if "unknown command" not in text else text
    return " ".join(text.split())[:110]


def measure(path: Path) -> DocReport:
    from derive.check import Options, plan_document
    from derive.read import read_document
    from derive.steps import read_chain

    started = time.perf_counter()
    report = DocReport(str(path))
    doc = read_document(path)
    kind = "tex" if path.suffix == ".tex" else "md"
    text = doc.text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    blocks = scan(text, kind)
    offset = _position(text)
    rows = [row for block in blocks for row in block.rows]
    starts = [row.start for row in rows]

    def row_at(line: int, column: int) -> ScannedRow | None:
        pos = offset(line, column or 1)
        k = bisect.bisect_right(starts, pos) - 1
        if k < 0:
            return None
        row = rows[k]
        # an item a little before a row's first character (a relation at the
        # start of a row) still belongs to it; one past its end does not
        return row if pos <= row.end else None

    def mark(row: ScannedRow | None, fate: str, reason: str = "") -> None:
        if row is None:
            return
        if fate == "unreadable" or not row.fate:
            row.fate, row.reason = fate, reason or row.reason

    for problem in doc.problems:
        if problem.line:
            row = row_at(problem.line, problem.column)
            if row is None and problem.column == 0:
                # a problem without a column: the first row on that line
                row = next((r for r in rows if r.line == problem.line), None)
            mark(row, "unreadable", problem.message)
    planned = plan_document(doc, Options())
    for problem in planned.problems[len(doc.problems) :]:
        if problem.line:
            mark(
                next((r for r in rows if r.line == problem.line), None),
                "unreadable",
                problem.message,
            )
    for plan in planned.plans:
        items = plan.raw.items
        reading = read_chain(
            plan.spec,
            plan.definitions,
            [i.latex for i in items],
            plan.equations,
            plan.defines is not None,
        )
        for item, outcome in zip(items, reading.items, strict=True):
            row = row_at(item.line, item.column)
            if outcome.ok:
                mark(row, "read")
            else:
                mark(row, "unreadable", outcome.message)

    for block in blocks:
        report.blocks += 1
        claims = [r for r in block.rows if r.has_relation]
        if claims and all(not r.fate for r in claims):
            report.skipped_blocks += 1
            report.skipped_block_lines.append(block.line)
        for row in block.rows:
            report.rows += 1
            if not row.fate:
                row.fate = "dropped" if row.has_relation else "no claim"
            report.claim_rows += int(row.has_relation or row.fate in ("read", "unreadable"))
            if row.fate == "read":
                report.read += 1
            elif row.fate == "unreadable":
                report.unreadable += 1
                report.reasons.append((row.line, row.reason))
            elif row.fate == "dropped":
                report.dropped += 1
                report.dropped_rows.append((row.line, row.text[:100]))
            else:
                report.no_claim += 1
    report.seconds = time.perf_counter() - started
    return report


# --------------------------------------------------------------------------
# Output
# --------------------------------------------------------------------------


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f} %" if whole else "–"


def table(reports: list[DocReport]) -> str:
    head = (
        "| document | blocks | rows | claim rows | read | unreadable | dropped | no claim "
        "| blocks skipped | read share |"
    )
    lines = [head, "|" + "---|" * 10]
    total = DocReport("total")
    for r in reports:
        lines.append(
            f"| {Path(r.path).name} | {r.blocks} | {r.rows} | {r.claim_rows} | {r.read} "
            f"| {r.unreadable} | {r.dropped} | {r.no_claim} | {r.skipped_blocks} "
            f"| {_pct(r.read, r.claim_rows)} |"
        )
        for key in (
            "blocks",
            "rows",
            "claim_rows",
            "read",
            "unreadable",
            "dropped",
            "no_claim",
            "skipped_blocks",
        ):
            setattr(total, key, getattr(total, key) + getattr(r, key))
    lines.append(
        f"| **total** | {total.blocks} | {total.rows} | {total.claim_rows} | {total.read} "
        f"| {total.unreadable} | {total.dropped} | {total.no_claim} | {total.skipped_blocks} "
        f"| **{_pct(total.read, total.claim_rows)}** |"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help=f"documents or folders (default {CORPUS})")
    parser.add_argument(
        "--reasons",
        type=int,
        default=15,
        metavar="N",
        help="show the N most common reasons a row is unreadable",
    )
    parser.add_argument(
        "--rows",
        choices=("unread", "dropped", "skipped"),
        help="list the rows of one fate, file:line by file:line",
    )
    parser.add_argument("--json", metavar="FILE", help="write every number and row as JSON")
    args = parser.parse_args(argv)

    from derive.check import collect_documents

    paths = args.paths or [str(CORPUS)]
    if not args.paths and not CORPUS.is_dir():
        print(f"no corpus at {CORPUS}: give paths", file=sys.stderr)
        return 2
    reports = [measure(p) for p in collect_documents(paths)]
    print(table(reports))
    reasons = collections.Counter(reason_class(msg) for r in reports for _, msg in r.reasons)
    if args.reasons:
        print(f"\nmost common reasons a row is unreadable (of {sum(reasons.values())}):")
        for reason, count in reasons.most_common(args.reasons):
            print(f"{count:5d}  {reason}")
    if args.rows:
        print()
        for r in reports:
            if args.rows == "unread":
                entries = [(line, msg) for line, msg in r.reasons]
            elif args.rows == "dropped":
                entries = r.dropped_rows
            else:
                entries = [(line, "block skipped") for line in r.skipped_block_lines]
            for line, msg in entries:
                print(f"{r.path}:{line}: {msg}")
    if args.json:
        Path(args.json).write_text(
            json.dumps([asdict(r) for r in reports], ensure_ascii=False, indent=1),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
