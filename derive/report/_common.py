"""Helpers shared by the report renderers (no SymPy, no I/O)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from derive.model import VERDICTS, ChainResult, FileResult, RunResult, StepResult

SYMBOLS: dict[str, str] = {
    "proved": "✓",
    "bounded": "✓",
    "numeric": "≈",
    "refuted": "✗",
    "undecided": "?",
    "unparsed": "!",
    "error": "✗",
}

# Short explanations, used as tooltips / legends.
MEANINGS: dict[str, str] = {
    "proved": "holds symbolically",
    "bounded": "holds for every size in the declared range",
    "numeric": "agrees at many points, not proved",
    "refuted": "a checked counterexample exists",
    "undecided": "nothing decided in time",
    "unparsed": "the line could not be read",
    "error": "derive itself failed on this step (a bug: please report it)",
}

RELATION_WORDS: dict[str, str] = {
    "=": "=",
    "approx": "≈",
    "implies": "⇒",
    "equivalent": "⇔",
}


def all_steps(files: Iterable[FileResult]) -> Iterator[tuple[FileResult, ChainResult, StepResult]]:
    for file_result in files:
        for chain in file_result.chains:
            for step in chain.steps:
                yield file_result, chain, step


def expected_counts(files: Iterable[FileResult]) -> dict[str, int]:
    """Per verdict: how many steps got that verdict *and* had it pinned."""
    counts = dict.fromkeys(VERDICTS, 0)
    for _, _, step in all_steps(files):
        if step.expected is not None and step.expected == step.verdict:
            counts[step.verdict] += 1
    return counts


def verdict_counts(files: Iterable[FileResult]) -> dict[str, int]:
    counts = dict.fromkeys(VERDICTS, 0)
    for _, _, step in all_steps(files):
        counts[step.verdict] = counts.get(step.verdict, 0) + 1
    return counts


def expectation_note(step: StepResult) -> str:
    """'' when nothing is pinned; 'expected' when met; 'expected X' when unmet."""
    parts: list[str] = []
    if step.expected is not None:
        if step.expected == step.verdict:
            parts.append("expected")
        else:
            parts.append(f"expected {step.expected}")
    if step.expected_culprit is not None and step.expected_culprit != step.culprit:
        parts.append("expected culprit" if step.expected_culprit else "expected no culprit")
    return ", ".join(parts)


def summary_line(run: RunResult) -> str:
    """`12 steps: 9 proved, 1 bounded, 2 refuted (2 expected) in 1.3 s`."""
    s = run.summary
    expected = expected_counts(run.files)
    parts: list[str] = []
    for verdict in VERDICTS:
        n = getattr(s, verdict, 0)
        if not n:
            continue
        text = f"{n} {verdict}"
        if expected.get(verdict):
            text += f" ({expected[verdict]} expected)"
        parts.append(text)
    head = f"{s.steps} step{'s' if s.steps != 1 else ''}"
    line = head + (": " + ", ".join(parts) if parts else "")
    extras: list[str] = []
    if s.culprits:
        extras.append(f"{s.culprits} culprit line{'s' if s.culprits != 1 else ''}")
    if s.unmet_expectations:
        extras.append(failing_phrase(s.unmet_expectations))
    problems = sum(len(f.problems) for f in run.files)
    if problems:
        extras.append(f"{problems} file problem{'s' if problems != 1 else ''}")
    if extras:
        line += "; " + ", ".join(extras)
    return f"{line} in {format_seconds(s.seconds)}"


def format_seconds(seconds: float) -> str:
    if seconds < 0.1:
        return f"{seconds * 1000:.0f} ms" if seconds else "0 s"
    if seconds < 10:
        return f"{seconds:.1f} s"
    return f"{seconds:.0f} s"


def counterexample_pairs(step: StepResult) -> list[tuple[str, str]]:
    return [(str(k), str(v)) for k, v in (step.counterexample or {}).items()]


def line_span(step: StepResult) -> str:
    if step.from_line and step.from_line != step.line:
        return f"{step.from_line}→{step.line}"
    return str(step.line)


def section_text(chain: ChainResult, sep: str = " › ") -> str:
    return sep.join(s for s in chain.section if s)


def display_message(step: StepResult, path: str) -> str:
    """The step's message without what the other lines already show."""
    message = step.message or ""
    # "cannot read <path>:<line>:<col>: why" -> "column <col>: why"
    prefix = f"cannot read {path}:{step.line}"
    if message.startswith(prefix):
        rest = message[len(prefix) :]
        column = re.match(r":(\d+): ", rest)
        message = (f"column {column.group(1)}: " + rest[column.end() :]) if column else rest[2:]
    # "… off by a factor of <sympy> (at x = 1)" repeats ratio + counterexample
    if step.ratio or step.residual or step.counterexample:
        message = re.sub(
            r"(?:^|[.;]?\s*)(?:off by a factor of|differs by) .*?\(at [^()]*\)\s*$", "", message
        )
        message = message.rstrip(" .?;").strip() if message.strip() else ""
    return message


def definition_text(chain: ChainResult) -> str:
    """``defines L`` for a chain without steps (a pure definition)."""
    # ChainResult.defines (LaTeX of the defined head) when the pipeline provides it
    defines = " ".join(str(getattr(chain, "defines", "") or "").split())
    return f"defines {defines}" if defines else "definition (nothing to check)"


def failing_phrase(count: int) -> str:
    """Steps that fail the run: refuted or unreadable where nothing pins it, or a
    pinned expectation that did not happen."""
    return f"{count} step{'s' if count != 1 else ''} failing"
