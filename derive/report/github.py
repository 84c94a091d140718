"""GitHub Actions workflow commands (``derive check --format github``).

One ``::error`` line per step that fails the run (refuted or unreadable where
nothing pins it, a pinned expectation not met, an internal error) and per
problem reading a file; one ``::warning`` per step that is only ``numeric`` or
``undecided``.  GitHub shows them as annotations on the pull request's diff, at
the line.  Steps that fail exactly as the document pins are not annotated.
The last line is the plain summary.
"""

from __future__ import annotations

import re

from derive.model import FileResult, RunResult, StepResult
from derive.report._common import (
    counterexample_entries,
    display_parts,
    line_span,
    plain_parts,
    summary_line,
)

WARNING_VERDICTS = frozenset({"numeric", "undecided"})


def _data(text: str) -> str:
    """Escape a command's message (GitHub's toolkit: %, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    """Escape a command's property value (also ``:`` and ``,``)."""
    return _data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, path: str, line: int, message: str, *, col: int = 0, title: str) -> str:
    props = [f"file={_property(path)}"]
    if line:
        props.append(f"line={line}")
    if col:
        props.append(f"col={col}")
    props.append(f"title={_property(title)}")
    return f"::{kind} {','.join(props)}::{_data(message)}"


def step_column(step: StepResult, path: str) -> int:
    """The column an unreadable line's message names (``path:line:col: why``), else 0."""
    match = re.search(re.escape(path) + r":(\d+):(\d+): ", step.message or "")
    return int(match.group(2)) if match and int(match.group(1)) == step.line else 0


def step_summary(step: StepResult, path: str) -> list[str]:
    """The lines that explain a step to someone reading a diff."""
    span = line_span(step)
    where = f"lines {span}" if "→" in span else f"line {span}"
    lines = [f"{step.verdict} step ({where}): {step.lhs.strip()}"
             f" {'=' if step.relation in ('=', 'define') else step.relation} {step.rhs.strip()}"]
    if step.expected is not None and step.expected != step.verdict:
        lines.append(f"the document pins this step as {step.expected}")
    if step.culprit:
        lines.append(f"line {step.line} is the culprit: skipping it, the chain holds")
    message = plain_parts(display_parts(step, path))
    if message:
        lines.append(message)
    entries = counterexample_entries(step)
    if entries:
        lines.append("counterexample: " + ", ".join(f"{k} = {v}" for k, v in entries))
    if step.residual:
        lines.append(f"residual: lhs - rhs = {step.residual}")
    if step.ratio:
        lines.append(f"ratio: lhs / rhs = {step.ratio}")
    return lines


def annotations(file: FileResult) -> list[str]:
    out: list[str] = []
    for problem in file.problems:
        out.append(
            _command("error", file.path, problem.line, problem.message, col=problem.column,
                     title="derive: cannot read")
        )
    for chain in file.chains:
        for step in chain.steps:
            if not step.meets_expectation:
                kind = "error"
            elif step.verdict in WARNING_VERDICTS and step.expected is None:
                kind = "warning"
            else:
                continue
            title = f"derive: {step.verdict}" + (" (unexpected)" if step.expected else "")
            out.append(
                _command(kind, file.path, step.line, "\n".join(step_summary(step, file.path)),
                         col=step_column(step, file.path), title=title)
            )
    return out


def render_github(run: RunResult) -> str:
    """Workflow commands for every file of ``run``, then the summary line."""
    lines = [line for file in run.files for line in annotations(file)]
    lines.append(summary_line(run))
    return "\n".join(lines) + "\n"
