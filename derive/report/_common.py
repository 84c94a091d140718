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
    # relations the document stage reads between items (inequalities, arrows)
    "<": "<",
    "<=": "≤",
    ">": ">",
    ">=": "≥",
    "!=": "≠",
    "propto": "∝",
    "in": "∈",
    "sim": "∼",
    "to": "→",
    "leftarrow": "←",
    "define": "=",
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
    cached = sum(1 for f in run.files if f.cached)
    tail = f" ({cached} of {len(run.files)} files from the cache)" if cached else ""
    return f"{line} in {format_seconds(s.seconds)}{tail}"


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


Parts = list[tuple[str, str]]  # ("text", prose) / ("math", LaTeX), in order

_AT = "(at "
_CLAUSES = ("off by a factor of ", "differs by ")


def display_parts(step: StepResult, path: str) -> Parts:
    """The step's message as prose and formulas, without what the evidence rows show.

    Uses the message in the reader's notation (``message_parts``) where the
    engine gave one, else the plain message.  Drops "(at <the counterexample>)"
    when the counterexample is shown, and "off by a factor of <ratio>" /
    "differs by <residual>" when the ratio or residual is."""
    if not step.message_parts:
        text = display_message(step, path)
        return [("text", text)] if text else []
    parts: Parts = [(kind, value) for kind, value in step.message_parts]
    if parts and parts[0][0] == "text":
        parts[0] = ("text", _local_reading(parts[0][1], path, step.line))
    shown_math = {m for m in (step.ratio, step.residual) if m}
    out: Parts = []
    i = 0
    while i < len(parts):
        kind, value = parts[i]
        nxt = parts[i + 1] if i + 1 < len(parts) else None
        after = parts[i + 2] if i + 2 < len(parts) else None
        if (
            kind == "text"
            and value.endswith(_AT)
            and step.counterexample
            and nxt is not None
            and nxt[0] == "math"
            and after is not None
            and after[0] == "text"
            and after[1].startswith(")")
        ):
            out.append(("text", value[: -len(_AT)].rstrip()))
            parts[i + 2] = ("text", after[1][1:])
            i += 2
            continue
        clause = next((c for c in _CLAUSES if value.endswith(c)), None)
        if kind == "text" and clause and nxt is not None and nxt[0] == "math":
            if nxt[1] in shown_math:
                out.append(("text", value[: -len(clause)]))
                i += 2
                continue
        out.append((kind, value))
        i += 1
    return _tidy(out)


def _local_reading(text: str, path: str, line: int) -> str:
    prefix = f"cannot read {path}:{line}"
    if text.startswith(prefix):
        rest = text[len(prefix) :]
        column = re.match(r":(\d+): ", rest)
        return (f"column {column.group(1)}: " + rest[column.end() :]) if column else rest[2:]
    return text


def _tidy(parts: Parts) -> Parts:
    merged: Parts = []
    for kind, value in parts:
        if merged and merged[-1][0] == kind == "text":
            merged[-1] = ("text", merged[-1][1] + value)
        elif value:
            merged.append((kind, value))
    # punctuation left dangling where a clause was dropped
    while merged and merged[-1][0] == "text" and not merged[-1][1].strip(" .;:,"):
        merged.pop()
    if merged and merged[-1][0] == "text":
        merged[-1] = ("text", merged[-1][1].rstrip(" ;:,"))
        if merged[-1][1].endswith(".."):
            merged[-1] = ("text", merged[-1][1].rstrip("."))
    if merged and merged[0][0] == "text":
        merged[0] = ("text", merged[0][1].lstrip(" .;:,"))
    return [(k, v) for k, v in merged if v]


def note_parts(note: str) -> Parts:
    """A chain note as prose and formulas: a formula is written between ``$…$``."""
    parts: Parts = []
    pieces = re.split(r"(?<!\\)\$", note)
    if len(pieces) % 2 == 0:  # an odd number of $: not math, just a dollar sign
        return [("text", note)]
    for i, piece in enumerate(pieces):
        if piece:
            parts.append(("math" if i % 2 else "text", piece))
    return parts


def plain_parts(parts: Parts) -> str:
    """Parts as one line of text, formulas as their LaTeX."""
    return "".join(value for _, value in parts)


_REAL = r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_NUMBER = re.compile(rf"^\s*[-+]?{_REAL}(?:\s*[-+]\s*{_REAL}i)?\s*$")


def value_latex(text: str) -> str:
    """A side's value as math: numbers as they are (``0.5 + 0.25\\,i``), LaTeX as it is,
    words (``undefined``, ``0 (to 60 digits)``) as text."""
    if _NUMBER.match(text):
        number = re.sub(r"[eE]([-+]?\d+)", lambda m: rf" \times 10^{{{int(m[1])}}}", text.strip())
        return number[:-1] + r"\,i" if number.endswith("i") else number
    if "\\" in text:
        return text
    return r"\text{" + re.sub(r"[^\w\s().,:;+\-=/']", "", text) + "}"


def values_entries(step: StepResult) -> list[tuple[str, str]]:
    """``(label, value)`` of both sides (or a premise and conclusion): labels are words."""
    return [(str(k), value_latex(str(v))) for k, v in (step.values or {}).items()]


def counterexample_entries(step: StepResult) -> list[tuple[str, str]]:
    """``(name, value)`` pairs of the counterexample, in LaTeX where the engine gave it."""
    if step.counterexample_latex is not None:
        return list(step.counterexample_latex.items())
    return counterexample_pairs(step)


def definition_text(chain: ChainResult) -> str:
    """``defines L`` for a chain without steps (a pure definition)."""
    # ChainResult.defines (LaTeX of the defined head) when the pipeline provides it
    defines = " ".join(str(getattr(chain, "defines", "") or "").split())
    return f"defines {defines}" if defines else "definition (nothing to check)"


def failing_phrase(count: int) -> str:
    """Steps that fail the run: refuted or unreadable where nothing pins it, or a
    pinned expectation that did not happen."""
    return f"{count} step{'s' if count != 1 else ''} failing"
