"""Stage 2a: the context declarations in force for a chain (design §3).

Sources, later overriding earlier: built-in defaults → a context file
(``--context FILE`` or ``NAME.derive.yaml`` beside ``NAME.md``) → the
``derive:`` key of a Markdown document's front matter → matching ``blocks``
entries → the annotation right before a block.  The same keys everywhere.

Everything here is validation and merging of *raw* declarations: LaTeX stays
as text (derive/latex/ reads it later).  Input is untrusted, so YAML is read
with ``yaml.safe_load`` only and nothing is ever evaluated.

Every public function that raises ``ContextError`` has a ``*_lenient`` twin
returning ``(spec, errors)`` instead: invalid entries are dropped, the rest is
kept, so a document with one bad declaration can still be checked.
"""

from __future__ import annotations

import difflib
import math
import re
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import yaml

from derive import safe_yaml
from derive.domain import SymbolDomain
from derive.model import UNPINNABLE_VERDICTS, VERDICTS, Problem

Level = Literal["any", "document", "block"]

KEYS: tuple[str, ...] = (
    "symbols",
    "depends",
    "sizes",
    "indices",
    "functions",
    "define",
    "substitutions",
    "constraints",
    "cases",
    "log",
    "timeout",
    "expect",
    "id",
    "blocks",
)
# expect/id pin one chain: at document level they would apply to every chain.
BLOCK_ONLY_KEYS = frozenset({"expect", "id"})
# blocks select display blocks of a whole document; an annotation already has its block.
DOCUMENT_ONLY_KEYS = frozenset({"blocks"})
SELECTOR_KEYS = ("line", "contains")

MAX_SIZE = 12  # bounded checks instantiate every size in its range: keep them small
LOG_BASES = {"natural": "natural", "e": "natural", "ln": "natural", "10": "10", "2": "2"}
DEFAULT_LOG = "natural"

_INF = {"inf", "infinity", "oo", "\\infty", "∞"}
_NAME_RE = re.compile(r"^\\?[A-Za-z][A-Za-z0-9_{}\\'^]*$")
_SIMPLE_NAME_RE = re.compile(r"^\\?[A-Za-z][A-Za-z0-9_]*$")
_HEAD_RE = re.compile(r"^\s*(?P<name>\\?[A-Za-z][A-Za-z0-9_{}\\]*)\s*\((?P<params>[^()]*)\)\s*$")
_INTERVAL_RE = re.compile(r"^\s*(?P<l>[(\[])(?P<lo>[^,]+),(?P<hi>[^,]+)(?P<r>[)\]])\s*$")
_RANGE_RE = re.compile(r"^\s*(?P<lo>[^.\s]+)\s*\.\.\s*(?P<hi>[^.\s]+)\s*$")
_RELATION_RE = re.compile(r"=|<|>|≤|≥|≠|\\(?:neq?|leq?|geq?|lt|gt|leqslant|geqslant)(?![A-Za-z])")
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


# --------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------


class ContextError(ValueError):
    """An invalid declaration: where it came from, which key, what is wrong."""

    def __init__(self, source: str, key: str, message: str, line: int = 0) -> None:
        # All four go to args so the error pickles (pytest-xdist workers).
        super().__init__(source, key, message, line)
        self.source = source
        self.key = key
        self.message = message
        self.line = line  # 1-based line in the source when known, else 0

    def __str__(self) -> str:
        key = f"{self.key}: " if self.key else ""
        return f"{self.source}: {key}{self.message}"

    def as_problem(self, path: str, line: int = 0) -> Problem:
        """The error as a document Problem (the caller knows the document's path/line)."""
        where = f"{self.key}: " if self.key else ""
        return Problem(path=path, line=line or self.line, message=f"{where}{self.message}")


@dataclass(frozen=True)
class FunctionSpec:
    name: str  # LaTeX name as written, e.g. "\\sigma"
    params: tuple[str, ...]
    body: str | None  # LaTeX; None = an unknown function (declared, not defined)


@dataclass(frozen=True)
class Expectation:
    """Verdicts a chain pins: step k goes from expression k to k+1 (1-based)."""

    steps: dict[int, str] = field(default_factory=dict)
    culprit: tuple[int, ...] = ()  # 1-based expression positions judged wrong


@dataclass
class BlockSelector:
    """A ``blocks`` entry: acts as an annotation on the display block it selects."""

    line: int | None
    contains: str | None
    overrides: ContextSpec

    def matches(self, block_line: int, block_latex: str) -> bool:
        if self.line is not None:
            # Any line of the block selects it, not only the opening one.
            last = block_line + block_latex.count("\n")
            return block_line <= self.line <= last
        assert self.contains is not None
        return _squash(self.contains) in _squash(block_latex)


@dataclass
class ContextSpec:
    symbols: dict[str, SymbolDomain] = field(default_factory=dict)
    # quantity -> the variables it varies with (`depends: {v: t}`): v means v(t)
    depends: dict[str, tuple[str, ...]] = field(default_factory=dict)
    sizes: dict[str, tuple[int, int]] = field(default_factory=dict)
    indices: dict[str, str | int] = field(default_factory=dict)
    functions: dict[str, FunctionSpec] = field(default_factory=dict)
    define: dict[str, str] = field(default_factory=dict)
    substitutions: list[tuple[str, str]] = field(default_factory=list)
    constraints: list[str] = field(default_factory=list)
    cases: list[str] = field(default_factory=list)
    log: str = DEFAULT_LOG
    timeout: float | None = None
    expect: Expectation | None = None
    id: str | None = None
    blocks: list[BlockSelector] = field(default_factory=list)
    # Top-level keys written in the source: lets merge tell "cases: []" / "log: natural"
    # written explicitly from "not mentioned".
    given: frozenset[str] = field(default=frozenset(), compare=False, repr=False)
    # "indices.i" -> source that declared it, so errors found after merging name the right file.
    origins: dict[str, str] = field(default_factory=dict, compare=False, repr=False)


DEFAULT_CONTEXT = ContextSpec()


# --------------------------------------------------------------------------
# Validating one mapping
# --------------------------------------------------------------------------


class _Invalid(Exception):
    """Raised by the small value validators; turned into a ContextError with its key."""


_SHORT_REPR = reprlib.Repr()
_SHORT_REPR.maxstring = _SHORT_REPR.maxother = 60
_SHORT_REPR.maxlist = _SHORT_REPR.maxdict = 6
_SHORT_REPR.maxlevel = 3


def _shown(value: object) -> str:
    """A value inside an error message: short, whatever the user wrote."""
    return _SHORT_REPR.repr(value)


def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _text(value: object, what: str) -> str:
    """A LaTeX string; YAML turns `2` or `0.5` into numbers, which are fine as text."""
    if isinstance(value, bool) or value is None:
        raise _Invalid(f"{what} must be text, got {_shown(value)}")
    if isinstance(value, int | float):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise _Invalid(f"{what} must be non-empty text, got {_shown(value)}")
    return value.strip()


def _name(value: object, what: str = "name") -> str:
    if not isinstance(value, str) or not _NAME_RE.match(value.strip()):
        raise _Invalid(f"{_shown(value)} is not a valid {what} (e.g. x, z_0, \\sigma)")
    return value.strip()


def _fraction(value: object) -> Fraction:
    """An exact number from YAML: int, float (read via its shortest repr) or "1/2"."""
    if isinstance(value, bool):
        raise _Invalid(f"{_shown(value)} is not a number")
    if isinstance(value, int):
        return Fraction(value)
    if isinstance(value, float) and math.isfinite(value):
        return Fraction(repr(value))  # 0.1 -> 1/10, not the binary float
    if isinstance(value, str):
        try:
            return Fraction(value.strip())
        except (ValueError, ZeroDivisionError):
            pass
    raise _Invalid(f"{_shown(value)} is not a number (write 2, 0.5 or 1/2)")


def _end(text: str) -> Fraction | None | str:
    """An interval end: a Fraction, or "+"/"-" for ±infinity."""
    token = text.strip().replace(" ", "")
    sign = "-" if token.startswith("-") else "+"
    if token.lstrip("+-") in _INF:
        return sign
    return _fraction(token)


def _interval(text: str) -> SymbolDomain:
    m = _INTERVAL_RE.match(text)
    if not m:
        raise _Invalid(f'bad interval {text!r} (write e.g. "(0, 1)", "[0, 1)", "(0, inf)")')
    lo, hi = _end(m["lo"]), _end(m["hi"])
    lo_open, hi_open = m["l"] == "(", m["r"] == ")"
    if lo == "+" or hi == "-":
        raise _Invalid(f"bad interval {text!r}: ends are the wrong way round")
    if (lo == "-" and not lo_open) or (hi == "+" and not hi_open):
        raise _Invalid(f'bad interval {text!r}: an infinite end must be open, e.g. "[0, inf)"')
    lo_v = None if lo == "-" else lo
    hi_v = None if hi == "+" else hi
    assert not isinstance(lo_v, str) and not isinstance(hi_v, str)
    _check_order(text, lo_v, hi_v, lo_open or hi_open)
    return SymbolDomain("interval", lo_v, hi_v, lo_open, hi_open)


def _check_order(text: str, lo: Fraction | None, hi: Fraction | None, open_end: bool) -> None:
    if lo is None or hi is None:
        return
    if lo > hi:
        raise _Invalid(f"bad interval {text!r}: lower end {lo} is above upper end {hi}")
    if lo == hi and open_end:
        raise _Invalid(f"bad interval {text!r}: empty")


def _integer_range(value: object) -> SymbolDomain:
    text = str(value) if not isinstance(value, bool) else ""
    m = _RANGE_RE.match(text)
    if not m:
        raise _Invalid(f'bad integer range {_shown(value)} (write e.g. "1..6" or "0..inf")')
    lo, hi = _end(m["lo"]), _end(m["hi"])
    if lo == "+" or hi == "-":
        raise _Invalid(f"bad integer range {_shown(value)}: ends are the wrong way round")
    lo_v = None if lo == "-" else lo
    hi_v = None if hi == "+" else hi
    assert not isinstance(lo_v, str) and not isinstance(hi_v, str)
    for end in (lo_v, hi_v):
        if end is not None and end.denominator != 1:
            raise _Invalid(f"bad integer range {_shown(value)}: {end} is not an integer")
    _check_order(text, lo_v, hi_v, False)
    return SymbolDomain("integer", lo_v, hi_v, lo_v is None, hi_v is None)


def _values(value: object) -> SymbolDomain:
    if not isinstance(value, list) or not value:
        raise _Invalid(f"values must be a non-empty list such as [0, 1], got {_shown(value)}")
    exact = tuple(dict.fromkeys(_fraction(v) for v in value))  # dedupe, keep order
    return SymbolDomain("values", values=exact)


NAMED_DOMAINS: dict[str, SymbolDomain] = {
    "real": SymbolDomain(),
    "positive": SymbolDomain("interval", Fraction(0), None, True, True),
    "negative": SymbolDomain("interval", None, Fraction(0), True, True),
    "nonnegative": SymbolDomain("interval", Fraction(0), None, False, True),
    "nonpositive": SymbolDomain("interval", None, Fraction(0), True, False),
    "integer": SymbolDomain("integer"),
    "natural": SymbolDomain("integer", Fraction(1), None, False, True),
}
DOMAIN_FORMS: dict[str, Callable[[Any], SymbolDomain]] = {
    "interval": lambda v: _interval(_text(v, "interval")),
    "values": _values,
    "integer": _integer_range,
}


def parse_domain(value: object) -> SymbolDomain:
    """One symbol's domain, in any of the written forms."""
    if value is None:
        return NAMED_DOMAINS["real"]  # `x:` with no value just declares a real symbol
    if isinstance(value, str):
        word = value.strip()
        if word in NAMED_DOMAINS:
            return NAMED_DOMAINS[word]
        if word[:1] in "([":
            return _interval(word)
        raise _Invalid(f"unknown domain {word!r}{_suggest(word, list(NAMED_DOMAINS))}")
    if isinstance(value, list):
        raise _Invalid(
            f"{_shown(value)} is a YAML list: "
            'quote an interval ("[0, 1]") or write {values: [...]}'
        )
    if isinstance(value, Mapping):
        if len(value) != 1:
            raise _Invalid(f"a domain mapping has exactly one of {', '.join(DOMAIN_FORMS)}")
        ((form, arg),) = value.items()
        if form not in DOMAIN_FORMS:
            raise _Invalid(f"unknown domain form {form!r}{_suggest(str(form), list(DOMAIN_FORMS))}")
        return DOMAIN_FORMS[form](arg)
    raise _Invalid(f"unknown domain {_shown(value)}")


def _size_range(value: object) -> tuple[int, int]:
    if isinstance(value, bool):
        raise _Invalid(f"bad size {_shown(value)}")
    if isinstance(value, int):
        lo = hi = value
    else:
        m = _RANGE_RE.match(str(value))
        parts = (m["lo"], m["hi"]) if m else (str(value).strip(),) * 2
        if not all(p.isdigit() for p in parts):
            raise _Invalid(f'bad size range {_shown(value)} (write e.g. "1..6" or a number)')
        lo, hi = int(parts[0]), int(parts[1])
    if lo < 1 or hi < lo or hi > MAX_SIZE:
        raise _Invalid(
            f"bad size range {_shown(value)}: need 1 <= lo <= hi <= {MAX_SIZE} "
            "(bounded checks instantiate every size in the range)"
        )
    return lo, hi


def _index_size(value: object) -> str | int:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 1:
            raise _Invalid(f"an index runs over 1..size; size {value} must be positive")
        return value
    if isinstance(value, str) and _SIMPLE_NAME_RE.match(value.strip()):
        return value.strip()
    raise _Invalid(f"{_shown(value)} is not a size name or a positive integer")


def parse_function_head(head: object) -> tuple[str, tuple[str, ...]]:
    """``"\\sigma(t)"`` -> ``("\\sigma", ("t",))``."""
    m = _HEAD_RE.match(head) if isinstance(head, str) else None
    if not m:
        raise _Invalid(f"function head {head!r} must look like NAME(PARAMS), e.g. \\sigma(t)")
    params = tuple(p.strip() for p in m["params"].split(","))
    if not all(_NAME_RE.match(p) for p in params):
        raise _Invalid(f"function head {head!r}: parameters must be names, e.g. f(x, y)")
    if len(set(params)) != len(params):
        raise _Invalid(f"function head {head!r}: a parameter is repeated")
    return m["name"], params


def _variables(value: object) -> tuple[str, ...]:
    """What a quantity varies with: one name, or a list of names."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise _Invalid("depends needs at least one variable, e.g. depends: t")
    names = tuple(_name(v, "variable name") for v in items)
    if len(set(names)) != len(names):
        raise _Invalid(f"a variable is repeated in {_shown(value)}")
    return names


def _relation(value: object, what: str) -> str:
    text = _text(value, what)
    if not _RELATION_RE.search(text):
        raise _Invalid(f"{what} {text!r} is not an equation or inequality")
    return text


def _substitution_pair(value: object) -> tuple[str, str]:
    if isinstance(value, Mapping) and len(value) == 1:
        ((lhs, rhs),) = value.items()
        return _text(lhs, "left side"), _text(rhs, "right side")
    text = _text(value, "substitution")
    parts = text.split("=")
    if len(parts) != 2 or parts[0].rstrip().endswith(("<", ">", "!")):
        raise _Invalid(f"substitution {text!r} must be 'lhs = rhs' with exactly one '='")
    lhs, rhs = parts[0].strip(), parts[1].strip()
    if not lhs or not rhs:
        raise _Invalid(f"substitution {text!r} has an empty side")
    return lhs, rhs


def _step_number(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _Invalid(
            f"step {_shown(value)} must be a positive step number (step 1 = lines 1 -> 2)"
        )
    return value


def _verdict(value: object) -> str:
    if value in UNPINNABLE_VERDICTS:
        raise _Invalid(
            f"{value!r} cannot be pinned: an internal error is a bug in derive to report, "
            "never an expected outcome"
        )
    if value not in VERDICTS:
        hint = _suggest(str(value), VERDICTS)
        raise _Invalid(f"unknown verdict {_shown(value)}{hint}; one of {' '.join(VERDICTS)}")
    assert isinstance(value, str)
    return value


class _Parser:
    """Validates one mapping from one source, collecting every error."""

    def __init__(self, source: str, level: Level) -> None:
        self.source = source
        self.level = level
        self.errors: list[ContextError] = []
        self.symbol_depends: dict[str, tuple[str, ...]] = {}  # from `symbols: {v: {depends: t}}`

    def error(self, key: str, message: str) -> None:
        self.errors.append(ContextError(self.source, key, message))

    def entry(self, key: str, check: Callable[[], Any]) -> Any:
        """Run one validator; on failure record the error under key and return None."""
        try:
            return check()
        except _Invalid as exc:
            self.error(key, str(exc))
            return None

    def mapping(self, value: object, key: str) -> Mapping[Any, Any] | None:
        if isinstance(value, Mapping):
            return value
        if value is None:
            return {}
        self.error(key, f"must be a mapping, got {type(value).__name__} {_shown(value)}")
        return None

    def text_list(self, value: object, key: str, what: str) -> list[str]:
        items = value if isinstance(value, list) else [value]
        out = [
            self.entry(f"{key}[{n}]", lambda v=v: _relation(v, what))
            for n, v in enumerate(items, 1)
        ]
        return [t for t in out if t is not None]

    # -- one method per key; each returns the validated value -------------

    def symbols(self, value: object, key: str) -> dict[str, SymbolDomain]:
        if isinstance(value, list):  # a bare list of names declares real symbols
            if not all(isinstance(name, str) for name in value):
                self.error(key, f"a list of symbols must hold names, got {_shown(value)}")
                return {}
            value = dict.fromkeys(value)
        table = dict(self.mapping(value, key) or {})
        for name, raw in list(table.items()):
            # `v: {depends: t}` (with or without a domain beside it): the same as depends
            if isinstance(raw, Mapping) and "depends" in raw:
                found = self.depends({name: raw["depends"]}, f"{key}.{name}.depends")
                self.symbol_depends.update(found)
                rest = {k: v for k, v in raw.items() if k != "depends"}
                table[name] = rest or None
        return self.named_table(table, key, "symbol name", parse_domain)

    def depends(self, value: object, key: str) -> dict[str, tuple[str, ...]]:
        """quantity -> the variables it varies with: `{v: t}` or `{u: [x, y]}`."""
        out: dict[str, tuple[str, ...]] = {}
        for name, raw in (self.mapping(value, key) or {}).items():
            sub = key if key.endswith(".depends") else f"{key}.{name}"
            ok = self.entry(sub, lambda n=name: _name(n, "quantity name"))
            variables = self.entry(sub, lambda r=raw: _variables(r))
            if ok is None or variables is None:
                continue
            if ok in variables:
                self.error(sub, f"{ok!r} cannot vary with itself")
                continue
            out[ok] = variables
        return out

    def sizes(self, value: object, key: str) -> dict[str, tuple[int, int]]:
        return self.named_table(value, key, "size name", _size_range)

    def named_table(
        self, value: object, key: str, what: str, parse: Callable[[object], Any]
    ) -> dict[str, Any]:
        """name → parsed value; each bad entry is one error, the rest are kept."""
        out: dict[str, Any] = {}
        for name, raw in (self.mapping(value, key) or {}).items():
            sub = f"{key}.{name}"
            ok = self.entry(sub, lambda n=name: _name(n, what))
            parsed = self.entry(sub, lambda r=raw: parse(r))
            if ok is not None and parsed is not None:
                out[ok] = parsed
        return out

    def indices(self, value: object, key: str) -> dict[str, str | int]:
        return self.named_table(value, key, "index name", _index_size)

    def functions(self, value: object, key: str) -> dict[str, FunctionSpec]:
        if isinstance(value, list):  # a bare list of heads declares unknown functions
            value = dict.fromkeys(value)
        out: dict[str, FunctionSpec] = {}
        for head, body in (self.mapping(value, key) or {}).items():
            sub = f"{key}.{head}"
            parsed = self.entry(sub, lambda h=head: parse_function_head(h))
            text = None if body is None else self.entry(sub, lambda b=body: _text(b, "body"))
            if parsed is not None and (body is None or text is not None):
                out[parsed[0]] = FunctionSpec(parsed[0], parsed[1], text)
        return out

    def define(self, value: object, key: str) -> dict[str, str]:
        out: dict[str, str] = {}
        for name, body in (self.mapping(value, key) or {}).items():
            sub = f"{key}.{name}"
            ok = self.entry(sub, lambda n=name: _text(n, "defined name"))
            text = self.entry(sub, lambda b=body: _text(b, "definition"))
            if ok is not None and text is not None:
                out[ok] = text
        return out

    def substitutions(self, value: object, key: str) -> list[tuple[str, str]]:
        items: list[Any]
        if isinstance(value, Mapping):
            items = [{lhs: rhs} for lhs, rhs in value.items()]
        else:
            items = value if isinstance(value, list) else [value]
        out = [
            self.entry(f"{key}[{n}]", lambda v=v: _substitution_pair(v))
            for n, v in enumerate(items, 1)
        ]
        return [pair for pair in out if pair is not None]

    def constraints(self, value: object, key: str) -> list[str]:
        return self.text_list(value, key, "constraint")

    def cases(self, value: object, key: str) -> list[str]:
        return self.text_list(value, key, "case")

    def log(self, value: object, key: str) -> str | None:
        word = str(value).strip() if isinstance(value, str | int) else repr(value)
        if word not in LOG_BASES:
            self.error(key, f"unknown log base {_shown(value)}; one of natural, 10, 2")
            return None
        return LOG_BASES[word]

    def timeout(self, value: object, key: str) -> float | None:
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else 0
        if not math.isfinite(number) or number <= 0:
            self.error(key, f"timeout must be a positive number of seconds, got {_shown(value)}")
            return None
        return float(number)

    def expect(self, value: object, key: str) -> Expectation | None:
        raw = self.mapping(value, key)
        if raw is None:
            return None
        if not any(k in ("steps", "culprit") for k in raw):
            raw = {"steps": raw}  # shorthand {3: refuted}
        for k in raw:
            if k not in ("steps", "culprit"):
                self.error(
                    f"{key}.{k}",
                    f"unknown key{_suggest(str(k), ['steps', 'culprit'])}; "
                    "expect has steps and culprit",
                )
        steps: dict[int, str] = {}
        for step, verdict in (self.mapping(raw.get("steps"), f"{key}.steps") or {}).items():
            sub = f"{key}.steps.{step}"
            number = self.entry(sub, lambda s=step: _step_number(s))
            pinned = self.entry(sub, lambda v=verdict: _verdict(v))
            if number is not None and pinned is not None:
                steps[number] = pinned
        return Expectation(steps, self.culprits(raw.get("culprit"), f"{key}.culprit"))

    def culprits(self, value: object, key: str) -> tuple[int, ...]:
        items = [] if value is None else value if isinstance(value, list) else [value]
        out: list[int] = []
        for n, item in enumerate(items, 1):
            ok = isinstance(item, int) and not isinstance(item, bool) and item >= 2
            if not ok:
                self.error(
                    f"{key}[{n}]",
                    f"culprit {item!r} must be a line position >= 2 in the "
                    "chain (line 1 is never the right side of a step)",
                )
            else:
                out.append(item)
        return tuple(dict.fromkeys(out))

    def id(self, value: object, key: str) -> str | None:
        text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        if not isinstance(text, str) or not _ID_RE.match(text):
            self.error(key, f"id {_shown(value)} must be a slug: letters, digits, '-' and '_'")
            return None
        return text

    def blocks(self, value: object, key: str) -> list[BlockSelector]:
        if not isinstance(value, list):
            self.error(key, "must be a list of {line: N} or {contains: TEXT} entries")
            return []
        out = [self.block(entry, f"{key}[{n}]") for n, entry in enumerate(value, 1)]
        return [b for b in out if b is not None]

    def block(self, entry: object, key: str) -> BlockSelector | None:
        raw = self.mapping(entry, key)
        if raw is None:
            return None
        chosen = [k for k in SELECTOR_KEYS if k in raw]
        if len(chosen) != 1:
            self.error(key, "needs exactly one selector: line: N or contains: TEXT")
            return None
        rest = {k: v for k, v in raw.items() if k not in SELECTOR_KEYS}
        inner = _Parser(self.source, "block")
        overrides = inner.spec(rest, prefix=f"{key}.")
        self.errors += inner.errors
        line, contains = raw.get("line"), raw.get("contains")
        if "line" in raw and (isinstance(line, bool) or not isinstance(line, int) or line < 1):
            self.error(f"{key}.line", f"line {line!r} must be a positive line number")
            return None
        if "contains" in raw and (not isinstance(contains, str) or not contains.strip()):
            self.error(f"{key}.contains", "contains must be non-empty text from the block")
            return None
        return BlockSelector(line, contains, overrides)

    # -- the whole mapping -------------------------------------------------

    def spec(self, data: object, prefix: str = "") -> ContextSpec:
        raw = self.mapping(data, prefix.rstrip(".") or "")
        values: dict[str, Any] = {}
        for key, value in (raw or {}).items():
            where = f"{prefix}{key}"
            if not self.allowed(key, where):
                continue
            parsed = getattr(self, key)(value, where)
            if parsed is not None:
                values[key] = parsed
        if self.symbol_depends:
            values["depends"] = {**self.symbol_depends, **values.get("depends", {})}
        origins = {
            f"{k}.{name}": self.source for k in ("indices", "sizes") for name in values.get(k, {})
        }
        return ContextSpec(**values, given=frozenset(values), origins=origins)

    def allowed(self, key: object, where: str) -> bool:
        if key not in KEYS:
            self.error(
                where, f"unknown key{_suggest(str(key), KEYS)}; known keys: {', '.join(KEYS)}"
            )
            return False
        if self.level == "document" and key in BLOCK_ONLY_KEYS:
            self.error(
                where,
                f"'{key}' pins one chain: put it in the block's annotation or in a "
                "`blocks` entry, not at document level",
            )
            return False
        if self.level == "block" and key in DOCUMENT_ONLY_KEYS:
            self.error(
                where, "'blocks' belongs in a context file or front matter, not in an annotation"
            )
            return False
        return True


def parse_context_lenient(
    data: object, source: str, *, level: Level = "any"
) -> tuple[ContextSpec, list[ContextError]]:
    """Validate one mapping; invalid entries are dropped and reported, never raised.

    level "document" (context file, front matter) forbids expect/id; "block"
    (annotation, blocks entry) forbids blocks; "any" allows every key.
    """
    parser = _Parser(source, level)
    if isinstance(data, Mapping) and set(data) == {"derive"}:
        data = data["derive"]  # accept {derive: {...}} as well as the bare keys
    spec = parser.spec(data)
    return spec, parser.errors


def _raise_first(spec: ContextSpec, errors: list[ContextError]) -> ContextSpec:
    if errors:
        raise errors[0]
    return spec


def parse_context(data: object, source: str, *, level: Level = "any") -> ContextSpec:
    """Validate one mapping of context keys; raise ContextError on the first problem."""
    return _raise_first(*parse_context_lenient(data, source, level=level))


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------


def _yaml_error(path: str, exc: yaml.YAMLError) -> ContextError:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 0
    problem = getattr(exc, "problem", None) or str(exc)
    where = f"line {line}: " if line else ""
    # Syntax errors in context files are nearly always unquoted LaTeX braces.
    hint = (
        ""
        if isinstance(exc, yaml.constructor.ConstructorError | safe_yaml.YamlTooLarge)
        else (' (quote LaTeX that contains { } [ ] , : or #, e.g. "\\frac{1}{2}")')
    )
    return ContextError(path, "", f"invalid YAML: {where}{problem}{hint}", line)


class _StrictSafeLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys: YAML would silently keep the last
    one, so a second ``symbols:`` block would quietly erase the first."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if isinstance(key, str | int | float) and key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key if isinstance(key, str | int | float) else id(key_node))
        return super().construct_mapping(node, deep=deep)


def load_context_file_lenient(path: str | Path) -> tuple[ContextSpec, list[ContextError]]:
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")  # -sig: tolerate a BOM
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return ContextSpec(), [ContextError(source, "", f"cannot read context file: {reason}")]
    try:
        data = safe_yaml.load(text, _StrictSafeLoader)  # bounded; a SafeLoader subclass
    except yaml.YAMLError as exc:
        return ContextSpec(), [_yaml_error(source, exc)]
    if data is None:
        return ContextSpec(), []  # an empty file declares nothing
    if not isinstance(data, Mapping):
        msg = f"a context file must be a mapping of keys, got {type(data).__name__}"
        return ContextSpec(), [ContextError(source, "", msg)]
    if "derive" in data and len(data) > 1:
        others = ", ".join(str(k) for k in data if k != "derive")
        msg = f"keys beside 'derive:' ({others}): put them all under derive: or none"
        return ContextSpec(), [ContextError(source, "", msg)]
    return parse_context_lenient(data, source, level="document")


def load_context_file(path: str | Path) -> ContextSpec:
    """Read and validate a context file (keys at top level or under ``derive:``)."""
    return _raise_first(*load_context_file_lenient(path))


def find_sidecar(document_path: str | Path) -> Path | None:
    """``NAME.derive.yaml`` beside ``NAME.md`` / ``NAME.tex``, if it exists."""
    candidate = Path(document_path).with_suffix(".derive.yaml")
    return candidate if candidate.is_file() else None


# --------------------------------------------------------------------------
# Merging
# --------------------------------------------------------------------------


def _is_set(spec: ContextSpec, key: str) -> bool:
    """Written in the source, or (for specs built in code) different from the default."""
    return key in spec.given or getattr(spec, key) != getattr(DEFAULT_CONTEXT, key)


def merge(base: ContextSpec, override: ContextSpec) -> ContextSpec:
    """Later wins per entry: named tables merge by name (a redefined name keeps
    its first position, with the new body), lists append, scalars replace when set."""

    def appended(a: list[Any], b: list[Any]) -> list[Any]:
        return a + [x for x in b if x not in a]  # the same constraint twice adds nothing

    scalars = {
        k: getattr(override if _is_set(override, k) else base, k)
        for k in ("cases", "log", "timeout", "expect", "id")
    }
    return ContextSpec(
        symbols={**base.symbols, **override.symbols},
        depends={**base.depends, **override.depends},
        sizes={**base.sizes, **override.sizes},
        indices={**base.indices, **override.indices},
        functions={**base.functions, **override.functions},
        define={**base.define, **override.define},
        substitutions=appended(base.substitutions, override.substitutions),
        constraints=appended(base.constraints, override.constraints),
        blocks=base.blocks + override.blocks,
        given=base.given | override.given,
        origins={**base.origins, **override.origins},
        **scalars,
    )


def check_indices(spec: ContextSpec) -> tuple[ContextSpec, list[ContextError]]:
    """Every index must run over a declared size (checked on a merged context).

    Invalid index entries are dropped from the returned spec.
    """
    errors: list[ContextError] = []
    kept: dict[str, str | int] = {}
    for index, size in spec.indices.items():
        source = spec.origins.get(f"indices.{index}", "context")
        if isinstance(size, str) and size not in spec.sizes:
            declared = ", ".join(spec.sizes) or "none"
            hint = _suggest(size, list(spec.sizes))
            errors.append(
                ContextError(
                    source,
                    f"indices.{index}",
                    f"size {size!r} is not declared in sizes{hint} (declared: {declared})",
                )
            )
        elif index in spec.sizes:
            errors.append(
                ContextError(
                    source,
                    f"indices.{index}",
                    f"{index!r} is declared both as an index and as a size",
                )
            )
        else:
            kept[index] = size
    return replace(spec, indices=kept), errors


# --------------------------------------------------------------------------
# Whole documents and single blocks
# --------------------------------------------------------------------------


def context_for_document_lenient(
    document_path: str | Path,
    front_matter: Mapping[str, Any] | None,
    context_file: str | Path | None = None,
) -> tuple[ContextSpec, list[ContextError]]:
    errors: list[ContextError] = []
    spec = DEFAULT_CONTEXT
    file = Path(context_file) if context_file is not None else find_sidecar(document_path)
    if file is not None:
        from_file, file_errors = load_context_file_lenient(file)
        spec, errors = merge(spec, from_file), errors + file_errors
    derive_key = (front_matter or {}).get("derive")
    if derive_key is not None:
        source = f"front matter of {document_path}"
        from_fm, fm_errors = parse_context_lenient(derive_key, source, level="document")
        spec, errors = merge(spec, from_fm), errors + fm_errors
    spec, index_errors = check_indices(spec)
    return spec, errors + index_errors


def context_for_document(
    document_path: str | Path,
    front_matter: Mapping[str, Any] | None,
    context_file: str | Path | None = None,
) -> ContextSpec:
    """defaults → context file (explicit, else sidecar) → front matter ``derive:``."""
    return _raise_first(*context_for_document_lenient(document_path, front_matter, context_file))


def block_context_lenient(
    doc_ctx: ContextSpec,
    annotation: Mapping[str, Any] | None,
    annotation_source: str,
    block_line: int,
    block_latex: str,
) -> tuple[ContextSpec, list[ContextError]]:
    # blocks select blocks; they must not reach the chains themselves.
    spec = replace(doc_ctx, blocks=[])
    for selector in doc_ctx.blocks:
        if selector.matches(block_line, block_latex):
            spec = merge(spec, selector.overrides)
    errors: list[ContextError] = []
    if annotation is not None:
        from_note, errors = parse_context_lenient(annotation, annotation_source, level="block")
        spec = merge(spec, from_note)
    spec, index_errors = check_indices(spec)
    return replace(spec, blocks=[]), errors + index_errors


def block_context(
    doc_ctx: ContextSpec,
    annotation: Mapping[str, Any] | None,
    annotation_source: str,
    block_line: int,
    block_latex: str,
) -> ContextSpec:
    """The context of one display block: document context → matching ``blocks``
    entries (in order) → the block's own annotation."""
    return _raise_first(
        *block_context_lenient(doc_ctx, annotation, annotation_source, block_line, block_latex)
    )
