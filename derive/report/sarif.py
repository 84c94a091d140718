"""SARIF 2.1.0 (``derive check --format sarif``), for code-scanning tools.

One run of the tool ``derive``; one result per step that fails the run
(level ``error``), per step that is only numeric or undecided (``warning``),
and per problem reading a file (``error``).  Each result names its rule — the
verdict — and points at the document and line (relative to the working
folder, the way code scanning resolves a repository's files).  Steps that
fail exactly as the document pins are not reported.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote

from derive import __version__
from derive.model import FileResult, RunResult
from derive.report._common import MEANINGS
from derive.report.github import WARNING_VERDICTS, step_column, step_summary

SARIF_VERSION = "2.1.0"
RULES: dict[str, str] = {
    "refuted": "A step that does not follow: a checked counterexample exists.",
    "unparsed": "A line of display math that derive cannot read.",
    "error": "derive failed on a step (an internal error; please report it).",
    "unmet-expectation": "A step whose verdict differs from the one the document pins.",
    "numeric": "A step that agrees at many points but is not proved.",
    "undecided": "A step on which nothing was decided within the time bound.",
    "document-problem": "A problem reading the document (annotation, context, structure).",
}


def _uri(path: str) -> str:
    """The document as a relative URI (forward slashes, percent-encoded)."""
    try:
        shown = os.path.relpath(path) if os.path.isabs(path) else path
    except ValueError:  # another drive on Windows
        shown = path
    return quote(Path(shown).as_posix().removeprefix("./"))


def _location(path: str, line: int, column: int = 0) -> dict[str, Any]:
    region: dict[str, Any] = {"startLine": max(int(line), 1)}
    if column:
        region["startColumn"] = int(column)
    return {"physicalLocation": {"artifactLocation": {"uri": _uri(path)}, "region": region}}


def _results(file: FileResult) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for problem in file.problems:
        out.append(
            {
                "ruleId": "document-problem",
                "level": "error",
                "message": {"text": problem.message},
                "locations": [_location(file.path, problem.line, problem.column)],
            }
        )
    for chain in file.chains:
        for step in chain.steps:
            if not step.meets_expectation:
                rule = step.verdict if step.expected is None else "unmet-expectation"
                level = "error"
            elif step.verdict in WARNING_VERDICTS and step.expected is None:
                rule, level = step.verdict, "warning"
            else:
                continue
            out.append(
                {
                    "ruleId": rule if rule in RULES else "refuted",
                    "level": level,
                    "message": {"text": "\n".join(step_summary(step, file.path))},
                    "locations": [_location(file.path, step.line, step_column(step, file.path))],
                    "properties": {
                        "verdict": step.verdict,
                        "chain": chain.name or chain.id,
                        "fromLine": step.from_line,
                        "culprit": bool(step.culprit),
                    },
                }
            )
    return out


def to_sarif(run: RunResult) -> dict[str, Any]:
    rules = [
        {
            "id": rule,
            "name": rule.replace("-", " "),
            "shortDescription": {"text": text},
            "fullDescription": {"text": MEANINGS.get(rule, text)},
            "defaultConfiguration": {
                "level": "warning" if rule in WARNING_VERDICTS else "error"
            },
        }
        for rule, text in RULES.items()
    ]
    return {
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {"driver": {"name": "derive", "version": __version__, "rules": rules}},
                "artifacts": [{"location": {"uri": _uri(f.path)}} for f in run.files],
                "results": [result for f in run.files for result in _results(f)],
                "invocations": [{"executionSuccessful": True}],
            }
        ],
    }


def render_sarif(run: RunResult) -> str:
    return json.dumps(to_sarif(run), indent=2, ensure_ascii=False) + "\n"
