"""derive: check informal LaTeX derivations line by line.

The Python API (see docs/python-api.md)::

    from derive import Chain, assert_derivation, check_text, check_paths

Names are imported on first use, so ``import derive`` (and the pytest plugin,
which pytest loads in every run) stays cheap until something is checked.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS: dict[str, str] = {
    # derive.api
    "Chain": "derive.api",
    "DerivationError": "derive.api",
    "assert_derivation": "derive.api",
    "check_text": "derive.api",
    "explain": "derive.api",
    # derive.check
    "Options": "derive.check",
    "check_document": "derive.check",
    "check_documents": "derive.check",
    "check_paths": "derive.check",
    # derive.read
    "DocumentError": "derive.read",
    "parse_document": "derive.read",
    "read_document": "derive.read",
    # derive.model
    "ChainResult": "derive.model",
    "Document": "derive.model",
    "FileResult": "derive.model",
    "Problem": "derive.model",
    "RunResult": "derive.model",
    "StepResult": "derive.model",
    "Summary": "derive.model",
}

__all__ = [
    "Chain",
    "ChainResult",
    "DerivationError",
    "Document",
    "DocumentError",
    "FileResult",
    "Options",
    "Problem",
    "RunResult",
    "StepResult",
    "Summary",
    "__version__",
    "assert_derivation",
    "check_document",
    "check_documents",
    "check_paths",
    "check_text",
    "explain",
    "parse_document",
    "read_document",
]

if TYPE_CHECKING:
    from derive.api import Chain, DerivationError, assert_derivation, check_text, explain
    from derive.check import Options, check_document, check_documents, check_paths
    from derive.model import (
        ChainResult,
        Document,
        FileResult,
        Problem,
        RunResult,
        StepResult,
        Summary,
    )
    from derive.read import DocumentError, parse_document, read_document


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'derive' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
