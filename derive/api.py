"""The Python API: check derivations from Python code and from tests.

Everything here goes through the one pipeline of :mod:`derive.check`: a chain
written in Python becomes a small Markdown document in memory (context in the
YAML front matter, ``id``/``expect`` in an annotation), which is read with
:func:`derive.read.parse_document` and checked with
:func:`derive.check.check_documents`, exactly like a file.

    from derive import Chain, assert_derivation

    result = Chain([r"\\frac{d}{dx} x^2", "2x"], context={"symbols": {"x": "real"}}).check()
    assert result.ok
    assert_derivation(r"(a+b)^2 = a^2 + 2ab + b^2")  # raises DerivationError if not

:func:`explain` renders the readable failure report that both
:func:`assert_derivation` and the pytest plugin show.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from derive.check import DEFAULT_TIMEOUT, Options, check_document, check_documents, check_paths
from derive.context import BLOCK_ONLY_KEYS
from derive.model import (
    GOOD_VERDICTS,
    ChainResult,
    FileResult,
    Problem,
    StepResult,
)
from derive.read import DocumentError, parse_document
from derive.report._common import (
    RELATION_WORDS,
    SYMBOLS,
    counterexample_entries,
    line_span,
    plain_parts,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Chain",
    "DerivationError",
    "DocumentError",
    "Options",
    "assert_derivation",
    "check_document",
    "check_paths",
    "check_text",
    "explain",
    "explain_problems",
]

CHAIN_PATH = "<chain>"
LONG_VALUE = 200  # characters of a message/residual/ratio shown without -v


class DerivationError(AssertionError):
    """A derivation does not hold (or does not meet its pinned expectations).

    ``str(error)`` is the readable report of :func:`explain`; ``error.result``
    is the :class:`~derive.model.ChainResult` it describes.
    """

    def __init__(self, report: str, result: ChainResult | None = None) -> None:
        super().__init__(report)
        self.report = report
        self.result = result

    def __str__(self) -> str:
        return self.report


# --------------------------------------------------------------------------
# Checking text and chains
# --------------------------------------------------------------------------


def check_text(
    markdown: str,
    context: Mapping[str, Any] | None = None,
    *,
    path: str = "<string>",
    kind: str = "md",
    options: Options | None = None,
) -> FileResult:
    """Check a whole document given as a string and return its :class:`FileResult`.

    ``context`` takes the same YAML keys as a document's ``derive:`` front
    matter (``symbols``, ``sizes``, ``define``, …).  It acts like a context
    file: the document's own front matter and annotations override it, entry
    by entry.  ``kind`` is ``"md"`` or ``"tex"``; ``path`` only names the text
    in reports.  Line numbers are lines of ``markdown``.
    """
    document = parse_document(markdown, path, kind)
    if context:
        own = document.front_matter.get("derive")
        given = _plain(context)
        merged = _merge_raw(given, own) if isinstance(own, Mapping) else (own or given)
        document.front_matter = {**document.front_matter, "derive": merged}
    return check_documents([document], options or Options()).files[0]


class Chain:
    """A chain of expressions ``lines[0] = lines[1] = …`` to check.

    ``lines`` is a list of LaTeX expressions (or one string such as
    ``"(a+b)^2 = a^2 + 2ab + b^2"``); a line that starts with ``=`` or
    ``\\approx`` keeps its own relation, every other line after the first is
    joined with ``=``.  With ``equations=True`` every line is a whole equation
    (``y = \\frac{1}{1+e^{-t}}``) and each step claims that the next equation
    follows from the one before.

    ``context`` uses the YAML keys of documents (design §3).  The block keys
    ``id`` (the chain's name) and ``expect`` (pinned verdicts, e.g.
    ``{"steps": {1: "refuted"}, "culprit": [2]}``) are allowed too.

    As in documents, a bare symbol or function head as the first expression
    (``L``, ``\\sigma(z)``) is a *definition*: the first ``=`` defines it and
    only the following ones are checked.

    In the result, line numbers count the chain's lines (1-based), not lines
    of the generated document; :attr:`markdown` is that document.
    """

    def __init__(
        self,
        lines: str | Sequence[str],
        context: Mapping[str, Any] | None = None,
        *,
        equations: bool = False,
    ) -> None:
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        if not self.lines or not all(isinstance(line, str) for line in self.lines):
            raise TypeError("Chain needs a string or a non-empty list of strings")
        self.context = _plain(context or {})
        self.equations = equations
        self.markdown, self._first_line = self._build()

    def __repr__(self) -> str:
        return f"Chain({self.lines!r}, context={self.context!r})"

    def _build(self) -> tuple[str, int]:
        document_keys = {k: v for k, v in self.context.items() if k not in BLOCK_ONLY_KEYS}
        block_keys = {k: v for k, v in self.context.items() if k in BLOCK_ONLY_KEYS}
        out: list[str] = []
        if document_keys:
            out += ["---", yaml.safe_dump({"derive": document_keys}, sort_keys=False,
                                          allow_unicode=True).rstrip("\n"), "---", ""]
        if block_keys:
            note = yaml.safe_dump(block_keys, default_flow_style=True, sort_keys=False,
                                  allow_unicode=True, width=10**9).strip()
            if "-->" in note:
                raise ValueError("the context of a Chain must not contain '-->'")
            out.append(f"<!-- derive: {note} -->")
        out.append("$$\\begin{aligned}")
        first_line = len("\n".join(out).split("\n")) + 1
        rows = []
        for index, line in enumerate(self.lines):
            row = " ".join(line.split())  # one source line per expression
            bare = row.lstrip("&").lstrip()
            if index and not self.equations and not bare.startswith(("=", "\\approx")):
                row = "= " + row
            rows.append(row)
        out.append(" \\\\\n".join(rows))
        out.append("\\end{aligned}$$")
        return "\n".join(out) + "\n", first_line

    def check(self, *, timeout: float | None = None, options: Options | None = None) -> ChainResult:
        """Check the chain; return its :class:`ChainResult` (``result.ok`` tells).

        Raises ``ValueError`` when the input cannot be used at all (an invalid
        context key, lines that do not form one chain).
        """
        options = options or Options()
        if timeout is not None:
            options = Options(options.context_file, timeout, options.jobs, options.seed,
                              options.progress)
        file_result = check_text(self.markdown, path=CHAIN_PATH, options=options)
        if file_result.problems:
            raise ValueError("cannot check this chain:\n" + "\n".join(
                f"  {p.message}" for p in file_result.problems))
        if len(file_result.chains) != 1:
            found = len(file_result.chains)
            raise ValueError(
                f"the lines form {found} chains, not one (a chain needs at least two "
                "expressions joined by '='); use check_text for whole documents"
            )
        chain = file_result.chains[0]
        return self._renumber(chain)

    def _renumber(self, chain: ChainResult) -> ChainResult:
        def position(line: int) -> int:
            return line - self._first_line + 1 if line else line

        for step in chain.steps:
            step.line, step.from_line = position(step.line), position(step.from_line)
        chain.line = position(chain.line)
        if "id" not in self.context:
            chain.name = "chain"
        chain.id = f"{CHAIN_PATH}:{chain.line}"
        return chain


def assert_derivation(
    lines: str | Sequence[str],
    context: Mapping[str, Any] | None = None,
    *,
    equations: bool = False,
    timeout: float | None = None,
    verbose: bool = False,
) -> ChainResult:
    """Check ``Chain(lines, context)``; raise :class:`DerivationError` unless it holds.

    A chain holds when every step meets its expectation: without ``expect``,
    no step may be ``refuted`` or ``unparsed`` (``numeric`` and ``undecided``
    pass).  The error message is the report the pytest plugin shows;
    ``verbose=True`` adds every step of the chain.  Returns the result.
    """
    result = Chain(lines, context, equations=equations).check(timeout=timeout)
    if not result.ok:
        raise DerivationError(explain(result, verbose=verbose), result)
    return result


# --------------------------------------------------------------------------
# The readable report (also used by derive.pytest_plugin)
# --------------------------------------------------------------------------


def explain(chain: ChainResult, *, verbose: bool = False, relative_to: str | Path | None = None
            ) -> str:
    """A plain-text report of why ``chain`` fails (or, verbose, of every step).

    For each step that does not meet its expectation: ``path:line``, both
    sides as written, the verdict and what was expected, the method, the
    message, the counterexample, the values there, the residual and ratio.
    ``verbose`` adds every step with its verdict and the chain's notes.
    Paths are shown relative to ``relative_to`` when given.
    """
    path = _shown_path(chain.path, relative_to)
    unmet = [s for s in chain.steps if not s.meets_expectation]
    lines: list[str] = []
    if unmet:
        first = unmet[0]
        more = f" (+{len(unmet) - 1} more)" if len(unmet) > 1 else ""
        lines.append(
            f"{path}:{first.line}: {_short_phrase(first)}: "
            f"{_flat(first.lhs)} {_relation(first)} {_flat(first.rhs)}{more}"
        )
        steps = len(chain.steps)
        lines.append(
            f"derivation {chain.name} ({path}:{chain.line}): {len(unmet)} of {steps} "
            f"step{'s' if steps != 1 else ''} not as expected"
            + (" (expectations pinned)" if chain.pinned else "")
        )
    else:
        lines.append(f"derivation {chain.name} ({path}:{chain.line}): every step as expected")
    for step in unmet:
        lines.append("")
        lines.extend(_step_report(step, path, verbose))
    if chain.notes and (verbose or unmet):
        lines.append("")
        lines.extend(f"note: {note}" for note in chain.notes)
    if verbose:
        lines.append("")
        lines.append("all steps:")
        for step in chain.steps:
            mark = "" if step.meets_expectation else "   <-- not as expected"
            method = f"  [{step.method}]" if step.method else ""
            lines.append(
                f"  {line_span(step):>9}  {SYMBOLS.get(step.verdict, '?')} {step.verdict:<9} "
                f"{_flat(step.lhs)} {_relation(step)} {_flat(step.rhs)}{method}{mark}"
            )
    return "\n".join(lines)


def explain_problems(path: str, problems: Sequence[Problem],
                     relative_to: str | Path | None = None) -> str:
    """One line per file-level problem: ``path:line: message``."""
    shown = _shown_path(path, relative_to)
    out = []
    for problem in sorted(problems, key=lambda p: (p.line, p.column)):
        where = shown + (f":{problem.line}" if problem.line else "")
        where += f":{problem.column}" if problem.line and problem.column else ""
        fragment = f"  [{problem.fragment}]" if problem.fragment else ""
        out.append(f"{where}: {problem.message}{fragment}")
    return "\n".join(out)


def _step_report(step: StepResult, path: str, verbose: bool = False) -> list[str]:
    def field(label: str, value: str) -> str:
        value = _flat(value)
        if not verbose and len(value) > LONG_VALUE:
            value = value[: LONG_VALUE - 1] + "… (in full with -v)"
        return f"  {label + ':':<16}{value}"

    out = [f"{path}:{step.line}: {_verdict_phrase(step)}"]
    out.append(f"  {f'lhs (line {step.from_line}):':<16}{_flat(step.lhs)}")
    out.append(f"  {f'rhs (line {step.line}):':<16}{_flat(step.rhs)}")
    if step.relation not in ("=", "define"):
        out.append(field("relation", f"{_relation(step)} ({step.relation})"))
    if step.method:
        out.append(field("method", step.method))
    if step.message:  # formulas in the reader's notation where the engine gave them
        message = plain_parts(step.message_parts) if step.message_parts else step.message
        out.append(field("message", message))
    pairs = counterexample_entries(step)
    if pairs:
        out.append(field("counterexample", ", ".join(f"{k} = {v}" for k, v in pairs)))
    if step.values:
        out.append(field("values", ", ".join(f"{k} = {v}" for k, v in step.values.items())))
    if step.residual:
        out.append(field("residual", f"lhs - rhs = {step.residual}"))
    if step.ratio:
        out.append(field("ratio", f"lhs / rhs = {step.ratio}"))
    if step.traceback:  # verdict error: in full with -v, for the bug report
        if verbose:
            out.append("  traceback:")
            out += ["    " + line for line in step.traceback.rstrip().splitlines()]
        else:
            out.append(field("traceback", "shown with -v"))
    return out


def _short_phrase(step: StepResult) -> str:
    """``refuted`` / ``proved, expected refuted`` / ``refuted, culprit expected``."""
    phrase = step.verdict
    if step.expected is not None and step.expected != step.verdict:
        phrase += f", expected {step.expected}"
    if step.expected_culprit is not None and step.expected_culprit != step.culprit:
        phrase += ", culprit expected" if step.expected_culprit else ", not expected as culprit"
    return phrase


def _verdict_phrase(step: StepResult) -> str:
    """What happened and what was expected, in words."""
    parts: list[str] = []
    if step.expected is None:
        if step.verdict == "refuted":
            parts.append("refuted, but the step should hold (no expectation pinned)")
        elif step.verdict == "unparsed":
            parts.append("unparsed: the line could not be read (no expectation pinned)")
        elif step.verdict == "error":
            parts.append("error: derive itself failed on this step (a bug to report)")
        else:
            parts.append(step.verdict)
    elif step.expected != step.verdict:
        if step.expected == "refuted" and step.verdict in GOOD_VERDICTS | {"numeric"}:
            parts.append(f"{step.verdict}, expected refuted: the pinned mistake was not found")
        else:
            parts.append(f"{step.verdict}, expected {step.expected}")
    else:
        parts.append(f"{step.verdict} (as expected)")
    if step.expected_culprit is not None and step.expected_culprit != step.culprit:
        parts.append(
            f"line {step.line} expected to be the culprit, but it was not"
            if step.expected_culprit
            else f"line {step.line} judged the culprit, which was not expected"
        )
    elif step.culprit:
        parts.append(f"culprit: line {step.line}")
    return "; ".join(parts)


def _relation(step: StepResult) -> str:
    return ":=" if step.relation == "define" else RELATION_WORDS.get(step.relation, step.relation)


def _flat(latex: str) -> str:
    return " ".join((latex or "").split())


def _shown_path(path: str, relative_to: str | Path | None) -> str:
    if relative_to is None or path.startswith("<"):
        return path
    try:
        return os.path.relpath(path, relative_to)
    except ValueError:  # another drive (Windows)
        return path


# --------------------------------------------------------------------------
# Context dictionaries
# --------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A context as YAML would give it: dicts, lists, strings, numbers."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"context values must be YAML data (dict, list, str, number), not "
                    f"{type(value).__name__}")


def _merge_raw(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """Later wins per entry, like the merge of context layers: tables by name,
    lists append, scalars replace."""
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            merged[key] = {**old, **value}
        elif isinstance(old, list) and isinstance(value, list):
            merged[key] = old + [v for v in value if v not in old]
        else:
            merged[key] = value
    return merged
