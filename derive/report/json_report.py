"""JSON report (design §7): a stable, versioned interface.

Required keys never change within a version; extra keys may be added.  The
JSON Schema lives beside this module in ``schema.json`` (:func:`schema`).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from derive.model import ChainResult, FileResult, Problem, RunResult, StepResult, Summary

VERSION = 1

SUMMARY_KEYS = (
    "steps",
    "proved",
    "bounded",
    "numeric",
    "refuted",
    "undecided",
    "unparsed",
    "error",
    "culprits",
    "seconds",
)


def _problem(problem: Problem) -> dict[str, Any]:
    out: dict[str, Any] = {"line": problem.line, "message": problem.message}
    if problem.column:
        out["column"] = problem.column
    return out


def _step(step: StepResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "line": step.line,
        "from_line": step.from_line,
        "lhs": step.lhs,
        "rhs": step.rhs,
        "verdict": step.verdict,
        "method": step.method,
        "culprit": bool(step.culprit),
        "residual": step.residual,
        "counterexample": (
            {str(k): str(v) for k, v in step.counterexample.items()}
            if step.counterexample is not None
            else None
        ),
        "message": step.message,
        "seconds": round(float(step.seconds), 6),
        # extras
        "relation": step.relation,
        "ratio": step.ratio,
        "values": (
            {str(k): str(v) for k, v in step.values.items()} if step.values is not None else None
        ),
        "expected": step.expected,
    }
    if step.expected_culprit is not None:
        out["expected_culprit"] = step.expected_culprit
    out["counterexample_latex"] = (
        dict(step.counterexample_latex) if step.counterexample_latex is not None else None
    )
    out["message_parts"] = (
        [{kind: value} for kind, value in step.message_parts]
        if step.message_parts is not None
        else None
    )
    if step.traceback:  # verdict "error": where derive failed (additive key)
        out["traceback"] = step.traceback
    return out


def _chain(chain: ChainResult) -> dict[str, Any]:
    return {
        "id": chain.id,
        "line": chain.line,
        "steps": [_step(s) for s in chain.steps],
        # extras
        "name": chain.name,
        "section": list(chain.section),
        "notes": list(chain.notes),
        "pinned": chain.pinned,
    }


def _file(file_result: FileResult) -> dict[str, Any]:
    out: dict[str, Any] = {
        "path": file_result.path,
        "errors": [_problem(p) for p in file_result.problems],
        "chains": [_chain(c) for c in file_result.chains],
    }
    if file_result.cached:
        out["cached"] = True  # extra: served from .derive-cache/
    return out


def _summary(summary: Summary) -> dict[str, Any]:
    out: dict[str, Any] = {key: getattr(summary, key) for key in SUMMARY_KEYS}
    out["seconds"] = round(float(summary.seconds), 6)
    out["unmet_expectations"] = summary.unmet_expectations
    return out


def to_json(run: RunResult) -> dict[str, Any]:
    """The §7 document as plain dicts/lists (ready for ``json.dumps``)."""
    return {
        "version": VERSION,
        "files": [_file(f) for f in run.files],
        "summary": _summary(run.summary),
    }


def dumps(run: RunResult, *, indent: int | None = 2) -> str:
    """Serialise :func:`to_json`; non-ASCII text (e.g. Chinese headings) is kept as UTF-8."""
    return json.dumps(to_json(run), indent=indent, ensure_ascii=False) + "\n"


@cache
def _schema_text() -> str:
    return resources.files("derive.report").joinpath("schema.json").read_text(encoding="utf-8")


def schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of :func:`to_json`'s output."""
    return json.loads(_schema_text())
