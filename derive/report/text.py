"""Terminal report: a table per chain and a summary line, 80 columns wide."""

from __future__ import annotations

import io
from collections.abc import Iterable

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from derive.model import ChainResult, FileResult, Problem, RunResult, StepResult
from derive.report._common import (
    RELATION_WORDS,
    SYMBOLS,
    counterexample_pairs,
    expectation_note,
    format_seconds,
    line_span,
    section_text,
    summary_line,
)

WIDTH = 80

STYLES: dict[str, str] = {
    "proved": "green",
    "bounded": "green",
    "numeric": "cyan",
    "refuted": "bold red",
    "undecided": "yellow",
    "unparsed": "magenta",
}


def _console(color: bool) -> Console:
    return Console(
        width=WIDTH,
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


def _verdict_cell(step: StepResult) -> Text:
    text = Text(f"{SYMBOLS.get(step.verdict, '?')} {step.verdict}", style=STYLES.get(step.verdict))
    note = expectation_note(step)
    if note:
        met = note == "expected"
        text.append("\n")
        text.append(note if met else "! unmet", style="dim" if met else "bold reverse red")
    return text


def _step_cell(step: StepResult, verbose: bool) -> Text:
    rel = RELATION_WORDS.get(step.relation, step.relation)
    text = Text()
    if verbose:
        text.append(step.lhs or "")
        text.append("\n")
    text.append(f"{rel} ", style="dim")
    text.append(step.rhs or "")
    if step.culprit:
        text.append("\n")
        text.append(f"◀ culprit: line {step.line}", style="bold red")
    note = expectation_note(step)
    if note and note != "expected":
        text.append("\n")
        text.append(f"! {note}, got {step.verdict}", style="bold red")
    return text


def _detail_lines(step: StepResult, verbose: bool) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    refuted = step.verdict == "refuted"
    if step.message and (verbose or step.verdict != "proved"):
        lines.append(("", step.message))
    if refuted or verbose:
        pairs = counterexample_pairs(step)
        if pairs:
            lines.append(("counterexample", ", ".join(f"{k} = {v}" for k, v in pairs)))
        if step.values:
            lines.append(("values", ", ".join(f"{k} = {v}" for k, v in step.values.items())))
        if step.residual:
            lines.append(("residual", f"lhs − rhs = {step.residual}"))
        if step.ratio:
            lines.append(("ratio", f"lhs / rhs = {step.ratio}"))
    if verbose:
        lines.append(("time", format_seconds(step.seconds)))
    return lines


def _chain_table(chain: ChainResult, verbose: bool) -> Table:
    table = Table(
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        expand=True,
        header_style="bold",
        padding=(0, 1),
    )
    table.add_column("lines", no_wrap=True, min_width=7, max_width=11)
    table.add_column("verdict", width=11, overflow="fold")
    table.add_column("step", ratio=1, overflow="fold")
    table.add_column("method", width=13, overflow="fold")
    for step in chain.steps:
        lines_text = Text(line_span(step))
        if step.culprit:
            lines_text.stylize("bold red")
        table.add_row(
            lines_text,
            _verdict_cell(step),
            _step_cell(step, verbose),
            Text(step.method or "", style="dim"),
        )
        details = _detail_lines(step, verbose)
        if details:
            detail = Text()
            for i, (label, value) in enumerate(details):
                if i:
                    detail.append("\n")
                if label:
                    detail.append(
                        f"{label}: ", style="bold" if step.verdict == "refuted" else "dim"
                    )
                detail.append(value, style="red" if label == "residual" else None)
            table.add_row("", "", detail, "")
    return table


def _chain_heading(chain: ChainResult) -> Text:
    ok = chain.ok
    heading = Text()
    heading.append("● " if ok else "✗ ", style="green" if ok else "bold red")
    heading.append(chain.name or chain.id, style="bold")
    if chain.name and chain.name != chain.id:
        heading.append(f"  ({chain.id})", style="dim")
    section = section_text(chain)
    if section:
        heading.append(f"  {section}", style="italic")
    if chain.pinned:
        heading.append("  [pinned]", style="dim")
    return heading


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


def _finish(console: Console, color: bool) -> str:
    text = console.export_text(styles=color)
    if not color:
        text = "\n".join(line.rstrip() for line in text.split("\n"))
    return text


def render_file(file_result: FileResult, console: Console, verbose: bool) -> None:
    title = Text(file_result.path, style="bold underline")
    if not file_result.ok:
        title.append("  ✗", style="bold red")
    console.print(title, overflow="fold")
    for problem in file_result.problems:
        text = Text("  ")
        text.append(f"{problem.where()}: ", style="bold")
        text.append(problem.message, style="red")
        console.print(text, overflow="fold")
    for chain in file_result.chains:
        console.print()
        console.print(_chain_heading(chain), overflow="fold")
        for note in chain.notes:
            console.print(Text(f"  note: {note}", style="dim"), overflow="fold")
        if chain.steps:
            console.print(_chain_table(chain, verbose))
        else:
            console.print(Text("  (no steps)", style="dim"))
    console.print()


def render_text(run: RunResult, *, verbose: bool = False, color: bool) -> str:
    """Readable report for an 80-column terminal; ANSI colour only when ``color``."""
    console = _console(color)
    for file_result in run.files:
        render_file(file_result, console, verbose)
    s = run.summary
    bad = s.unmet_expectations or any(f.problems for f in run.files)
    style = "bold red" if bad else "bold green"
    console.print(Text(summary_line(run), style=style), overflow="fold")
    return _finish(console, color)
