"""YAML from untrusted documents and context files, read with bounds.

`yaml.safe_load` builds plain data only, but aliases share one object, so a
few lines (`[*a, *a, …]`) can stand for a billion values that hang whoever
walks the result later (validation, error messages, reports), and deep nesting
overflows Python's recursion.  Every YAML read in derive goes through `load`.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_VALUES = 10_000  # scalars + collections of one front matter/annotation/file, aliases expanded
MAX_DEPTH = 50  # nesting of YAML collections

# libyaml when present: ~10x faster on a large text, and it caps nesting itself.
FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlTooLarge(yaml.YAMLError):
    problem = f"more than {MAX_VALUES} values once aliases are expanded, or nested too deeply"
    problem_mark = None

    def __str__(self) -> str:
        return self.problem


def load(text: str, loader: type = FAST_LOADER) -> Any:
    """Parse YAML with a SafeLoader (sub)class; refuse what is too large to walk."""
    try:
        value = yaml.load(text, Loader=loader)  # noqa: S506 - loader is a SafeLoader
    except RecursionError:
        raise YamlTooLarge() from None
    check_bounded(value)
    return value


def check_bounded(value: Any) -> None:
    budget = MAX_VALUES
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        budget -= 1
        if budget < 0 or depth > MAX_DEPTH:
            raise YamlTooLarge()
        if isinstance(item, dict):
            stack.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list | tuple | set):
            stack.extend((part, depth + 1) for part in item)
