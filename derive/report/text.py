"""Terminal report: the derivation as written, a verdict beside each line, 80 columns.

Layout of one chain (short view)::

    ✗ bce-gradient-b  line 116  pinned
      116       ✗ refuted    \\frac{\\partial L}{\\partial b}
                expected     = -[\\frac{y}{a}*\\sigma'(x)-…]
                             ◀ culprit: line 116
                             counterexample: b = 1, w = 0, x = 0, y = 0

The first step of a chain shows its left-hand side; later steps show only
``= rhs`` (the left side is the line above).  Long LaTeX is wrapped at
operators and commands, never inside a command name.  Residuals, ratios and
messages are cut to a few lines; ``verbose`` shows everything, with the
method and time of every step.  The summary is the last line, unwrapped
(:func:`render_summary`), so ``derive check | tail -n 1`` is the whole summary.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable

from rich.cells import cell_len
from rich.console import Console
from rich.text import Text

from derive.model import ChainResult, FileResult, Problem, RunResult, StepResult
from derive.report._common import (
    RELATION_WORDS,
    SYMBOLS,
    counterexample_entries,
    definition_text,
    display_parts,
    expectation_note,
    format_seconds,
    line_span,
    plain_parts,
    summary_line,
)

WIDTH = 80
VERDICT_WIDTH = 11  # "? undecided"
SHORT_LINES = 3  # lines of a residual / ratio / message in the short view
INDENT = "  "

STYLES: dict[str, str] = {
    "proved": "green",
    "bounded": "green",
    "numeric": "cyan",
    "refuted": "bold red",
    "undecided": "yellow",
    "unparsed": "magenta",
    "error": "bold red",
}
GOOD = frozenset({"proved", "bounded"})


def _console(color: bool, width: int = WIDTH) -> Console:
    return Console(
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        record=True,
        file=io.StringIO(),
        highlight=False,
        emoji=False,
        markup=False,
        soft_wrap=False,
        legacy_windows=False,
    )


def _finish(console: Console, color: bool) -> str:
    text = console.export_text(styles=color)
    if not color:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text


# --------------------------------------------------------------------------
# wrapping
# --------------------------------------------------------------------------

_COMMAND = re.compile(r"\\[A-Za-z]+|\\.")


def _break_points(latex: str) -> list[tuple[int, int, bool, bool]]:
    """Places a line may break: (index, brace depth, drops a space, primary).

    Primary breaks go before a binary operator or a command, after a closing
    brace, or at a space.  Secondary ones (between ``}{`` or after ``{``)
    are used only when a line has no primary break.  None falls inside a
    command name or right after ``^``/``_``.
    """
    points: list[tuple[int, int, bool, bool]] = []
    depth = 0
    i = 0
    n = len(latex)
    while i < n:
        ch = latex[i]
        if ch == "\\":
            match = _COMMAND.match(latex, i)
            end = match.end() if match else i + 1
            if i > 0 and latex[i - 1] not in "^_\\":
                points.append((i, depth, False, latex[i - 1] not in "{("))
            i = end
            continue
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            depth = max(0, depth - 1)
            if i + 1 < n and latex[i + 1] not in "^_}])'":
                points.append((i + 1, depth, False, latex[i + 1] != "{"))
        elif ch == " ":
            points.append((i, depth, True, True))
        elif ch in "+-=*" and i > 0 and latex[i - 1] not in "{^_( ":
            points.append((i, depth, False, True))
        i += 1
    return points


def wrap_latex(latex: str, width: int, indent: int = 2) -> list[str]:
    """``latex`` in lines of at most ``width`` cells; continuation lines indented."""
    latex = " ".join(latex.split())
    width = max(width, 12)
    lines: list[str] = []
    points = _break_points(latex)
    start = 0
    limit = width
    while cell_len(latex[start:]) > limit:
        fitting = [
            p for p in points
            if start < p[0] and cell_len(latex[start : p[0]]) <= limit
        ]
        # a break right after "= " would leave the relation alone on its line
        fitting = [p for p in fitting if cell_len(latex[start : p[0]].strip()) > 3] or fitting
        primary = [p for p in fitting if p[3]]
        late = [p for p in primary if cell_len(latex[start : p[0]]) >= limit // 2]
        if late:
            shallow = min(p[1] for p in late)
            best = max((p for p in late if p[1] == shallow), key=lambda p: p[0])
        elif fitting and (not primary or cell_len(latex[start : fitting[-1][0]]) >= limit // 2):
            best = fitting[-1]
        elif primary:
            best = primary[-1]
        else:  # a single unbreakable run: cut it
            cut = start + 1
            while cut < len(latex) and cell_len(latex[start : cut + 1]) <= limit:
                cut += 1
            best = (cut, 0, False, False)
        index, space = best[0], best[2]
        lines.append(latex[start:index].rstrip())
        start = index + 1 if space else index
        while start < len(latex) and latex[start] == " ":
            start += 1
        limit = width - indent
    lines.append(latex[start:])
    return [lines[0]] + [" " * indent + line for line in lines[1:]]


def _wrap_words(text: str, width: int, sep: str = " ") -> list[str]:
    """Plain text wrapped at ``sep`` (cells, so CJK counts double)."""
    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split(sep):
            candidate = f"{line}{sep}{word}" if line else word
            if cell_len(candidate) <= width:
                line = candidate
                continue
            if line:
                out.append(line + sep.rstrip())
            while cell_len(word) > width:  # an overlong word (a path, a formula)
                cut = width
                while cell_len(word[:cut]) > width:
                    cut -= 1
                out.append(word[:cut])
                word = word[cut:]
            line = word
        out.append(line)
    return out


def _cap(lines: list[str], limit: int | None, width: int) -> list[str]:
    if limit is None or len(lines) <= limit + 1:
        return lines
    kept = lines[:limit]
    more = f" … (+{len(lines) - limit} lines, -v)"
    last = kept[-1]
    while cell_len(last + more) > width and last:
        last = last[:-1]
    kept[-1] = last.rstrip() + more
    return kept


# --------------------------------------------------------------------------
# pieces of a step
# --------------------------------------------------------------------------


def short_tag(step: StepResult) -> str:
    """A few words saying *how* a verdict was reached, when that matters."""
    method = step.method or ""
    if step.verdict == "bounded":
        match = re.search(r"\b([a-zA-Z]\w*=\d+\.\.\d+)", method)
        return match.group(1) if match else "bounded"
    if step.verdict == "undecided":
        return {"time bound": "timed out", "error": "error"}.get(method, "")
    if step.relation == "approx":
        match = re.search(r"(\d+) decimals?", method)
        if match:
            return f"{match.group(1)} decimals"
    if step.verdict == "numeric":
        return "not proved"
    return ""


def _number(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    if number == int(number) and abs(number) < 1e15:
        return str(int(number)) if "." not in value or value.endswith(".0") else value
    return f"{number:.6g}"


def _verdict_lines(step: StepResult) -> list[Text]:
    lines = [Text(f"{SYMBOLS.get(step.verdict, '?')} {step.verdict}",
                  style=STYLES.get(step.verdict))]
    note = expectation_note(step)
    if note == "expected":
        lines.append(Text("expected", style="dim"))
    elif note:
        lines.append(Text("! unmet", style="bold reverse red"))
    tag = short_tag(step)
    if tag:
        lines.append(Text(tag, style="dim"))
    return lines


def _relation(step: StepResult) -> str:
    if step.relation == "define":
        return ":="
    return RELATION_WORDS.get(step.relation, step.relation)


def _step_lines(step: StepResult, first: bool, verbose: bool, width: int, path: str) -> list[Text]:
    lines: list[Text] = []
    if (first or verbose) and step.lhs:
        lines += [Text(line) for line in wrap_latex(step.lhs, width)]
    rel = _relation(step)
    rhs = wrap_latex(f"{rel} {step.rhs or ''}", width)
    for i, line in enumerate(rhs):
        text = Text()
        if i == 0:
            text.append(rel, style="dim")
            text.append(line[len(rel) :])
        else:
            text.append(line)
        lines.append(text)
    limit = None if verbose else SHORT_LINES
    refuted = step.verdict == "refuted"
    if step.culprit:
        lines.append(Text(f"◀ culprit: line {step.line}", style="bold red"))
    note = expectation_note(step)
    if note and note != "expected":
        lines.append(Text(f"! {note}, got {step.verdict}", style="bold red"))

    def labelled(
        label: str, value: str, style: str | None = None, *, latex: bool, sep: str = " "
    ) -> None:
        head = f"{label}: " if label else ""
        if latex:
            body = wrap_latex(head + value, width)
        else:
            body = [("  " + ln if i else ln)
                    for i, ln in enumerate(_wrap_words(head + value, width - 2, sep))]
        for i, line in enumerate(_cap(body, limit, width)):
            text = Text()
            if i == 0 and head:
                text.append(head, style="bold" if refuted else "dim")
                text.append(line[len(head) :], style=style)
            else:
                text.append(line, style=style)
            lines.append(text)

    message = plain_parts(display_parts(step, path))
    if verbose and step.message_parts is None:
        message = step.message
    if message and (verbose or step.verdict not in GOOD):
        labelled("", message, latex=False)
    if refuted or verbose:
        pairs = counterexample_entries(step)
        if pairs:
            labelled("counterexample", ", ".join(f"{k} = {v}" for k, v in pairs),
                     latex=False, sep=", ")
        if step.values:
            shown = {k: (v if verbose else _number(v)) for k, v in step.values.items()}
            labelled("values", ", ".join(f"{k} = {v}" for k, v in shown.items()),
                     latex=False, sep=", ")
        if step.residual:
            labelled("residual", f"lhs − rhs = {step.residual}", "red", latex=True)
        if step.ratio:
            labelled("ratio", f"lhs / rhs = {step.ratio}", latex=True)
    if verbose:
        method = step.method or "—"
        labelled("method", f"{method}, {format_seconds(step.seconds)}", latex=False)
        if step.traceback:  # verdict `error`: where derive failed, for the bug report
            lines.append(Text("traceback:", style="bold red"))
            for line in step.traceback.rstrip().splitlines():  # wrapped, never cropped
                lines += [Text(line[i : i + width], style="dim")
                          for i in range(0, max(len(line), 1), width)]
    return lines


# --------------------------------------------------------------------------
# chains and files
# --------------------------------------------------------------------------


def _chain_rows(chain: ChainResult, verbose: bool) -> list[Text]:
    span_width = max(cell_len(line_span(s)) for s in chain.steps)
    span_width = max(span_width, 5)
    width = WIDTH - len(INDENT) - span_width - 2 - VERDICT_WIDTH - 2
    rows: list[Text] = []
    for index, step in enumerate(chain.steps):
        left = _verdict_lines(step)
        right = _step_lines(step, index == 0, verbose, width, chain.path)
        span = Text(line_span(step), style="bold red" if step.culprit else None)
        if index == 0 and not verbose and step.lhs and step.from_line != step.line:
            # the left-hand side sits on its own source line: number it
            lhs_rows = len(wrap_latex(step.lhs, width))
            spans = [Text(str(step.from_line))] + [Text()] * (lhs_rows - 1)
            spans += [span]
            left = [Text()] * lhs_rows + left
        else:
            spans = [span]
        for i in range(max(len(left), len(right), len(spans))):
            row = Text(INDENT)
            cell = spans[i] if i < len(spans) else Text()
            row.append_text(cell)
            row.append(" " * (span_width - cell.cell_len + 2))
            cell = left[i] if i < len(left) else Text()
            row.append_text(cell)
            row.append(" " * (VERDICT_WIDTH - cell.cell_len + 2))
            if i < len(right):
                row.append_text(right[i])
            rows.append(row)
    return rows


def _fit(text: Text, width: int = WIDTH) -> Text:
    text = text.copy()
    text.truncate(width, overflow="ellipsis")
    return text


def _local(note: str, path: str) -> str:
    return note.replace(f"{path}:", "line ")


def _chain_heading(chain: ChainResult) -> Text:
    ok = chain.ok
    heading = Text()
    heading.append("● " if ok else "✗ ", style="green" if ok else "bold red")
    heading.append(chain.name or chain.id, style="bold")
    heading.append(f"  line {chain.line}", style="dim")
    if chain.pinned:
        heading.append("  pinned", style="dim")
    return heading


def _definition_line(chain: ChainResult) -> Text:
    heading = Text()
    heading.append("● ", style="green")
    heading.append(chain.name or chain.id, style="bold")
    heading.append(f"  {definition_text(chain)}", style="dim")
    heading.append(f"  line {chain.line}", style="dim")
    return heading


def _common_section(chains: list[ChainResult]) -> tuple[str, ...]:
    if not chains:
        return ()
    prefix = tuple(chains[0].section)
    for chain in chains[1:]:
        n = 0
        while n < min(len(prefix), len(chain.section)) and prefix[n] == chain.section[n]:
            n += 1
        prefix = prefix[:n]
    # keep at least one level for the chains when every chain has the same path
    if all(len(c.section) == len(prefix) for c in chains) and len(chains) > 1:
        return prefix[:-1] if len(prefix) > 1 else prefix
    return prefix


def render_file(file_result: FileResult, console: Console, verbose: bool) -> None:
    title = Text(file_result.path, style="bold underline")
    if not file_result.ok:
        title.append("  ✗", style="bold red")
    if file_result.cached:
        title.append("  (unchanged: from the cache)", style="dim")
    console.print(title, overflow="fold")
    common = _common_section(file_result.chains)
    if common:
        console.print(_fit(Text(" › ".join(common), style="italic")))
    for problem in file_result.problems:
        text = Text(INDENT)
        text.append(f"{problem.where()}: ", style="bold")
        text.append(problem.message, style="red")
        console.print(text, overflow="fold")
    section: tuple[str, ...] | None = None
    for chain in file_result.chains:
        own = tuple(chain.section[len(common) :])
        if own != section:
            section = own
            console.print()
            if own:
                console.print(_fit(Text("§ " + " › ".join(own), style="bold cyan")))
        elif chain.steps or verbose:
            console.print()
        if not chain.steps:
            console.print(_fit(_definition_line(chain)))
        else:
            console.print(_fit(_chain_heading(chain)))
        for note in chain.notes:
            for line in _wrap_words(_local(note, chain.path), WIDTH - 4):
                console.print(Text(f"{INDENT}{line}", style="dim"), no_wrap=True)
        for row in _chain_rows(chain, verbose) if chain.steps else ():
            console.print(row, no_wrap=True, overflow="crop")
    console.print()


def render_problems(problems: Iterable[Problem], *, color: bool = False) -> str:
    """One line per problem: ``path:line:col: message``."""
    console = _console(color)
    for problem in problems:
        text = Text()
        text.append(f"{problem.where()}: ", style="bold")
        text.append(problem.message, style="red")
        if problem.fragment:
            text.append(f"  [{problem.fragment}]", style="dim")
        console.print(text, overflow="fold")
    return _finish(console, color)


def render_summary(run: RunResult) -> str:
    """The one-line summary, unwrapped: ``12 steps: 9 proved, … in 1.3 s``."""
    return summary_line(run)


def summary_ok(run: RunResult) -> bool:
    return not run.summary.unmet_expectations and not any(f.problems for f in run.files)


def render_text(run: RunResult, *, verbose: bool = False, color: bool) -> str:
    """Readable report for an 80-column terminal; ANSI colour only when ``color``.

    Every line fits 80 columns except the last, the summary, which is one line
    however long (a terminal wraps it; ``tail -n 1`` gets all of it).
    """
    console = _console(color)
    for file_result in run.files:
        render_file(file_result, console, verbose)
    style = "bold green" if summary_ok(run) else "bold red"
    body = _finish(console, color)
    summary = Text(render_summary(run), style=style)
    if not color:
        return body + summary.plain + "\n"
    tail = _console(True, width=max(WIDTH, cell_len(summary.plain) + 1))
    tail.print(summary, no_wrap=True)
    return body + _finish(tail, True)
