r"""How a document uses each name: applied to arguments, or alone as a value.

`f(x)` with an f the document never defines reads two ways: f applied to x, or
f times x.  A reader decides by looking at the rest of the document: a name
that is only ever written in front of a bracketed argument list (`P(\Omega)`,
`L(\theta)`, `g(x, y)`, `p_X(x)`) is a function; a name that also stands alone
(`a(1-a)` beside `1-a`, `e^{x}` beside `e(\theta)`) is used both ways, and
then which reading a row means is a guess (derive/check.py decides such a
step under both readings and refutes it only when both refute).

This is a scan of the raw LaTeX of every display row, bounded by its length:
nothing is parsed and nothing is evaluated.  Names are written the way
`derive.latex` names them: a letter (`f`), a Greek command without its
backslash (`gamma`), a letter run that is a word (`dist`, `LL`), and for a
function with a label subscript the whole `p_{X}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from derive.latex import COMMAND_FUNCTIONS, FUNCTION_WORDS, GREEK, label_function_name

# Commands whose braced argument is not math (prose, labels, colours, environments).
_SKIPPED_ARGUMENT = frozenset(
    "text textrm textit textbf textsf texttt mbox hbox label tag ref eqref begin end "
    "color textcolor".split()
)
# Commands that make a new name of the letters inside (`\hat{y}` is not y).
_DECORATIONS = frozenset(
    "hat widehat bar overline tilde widetilde dot ddot vec mathbf boldsymbol bm mathcal "
    "mathscr mathfrak mathsf mathbb check breve acute grave".split()
)
# What may stand between a name and its bracket: a subscript, primes, a sized bracket.
_SUBSCRIPT = r"_\s*(?:\{(?P<braced>[^{}]*)\}|(?P<single>\\[A-Za-z]+|[A-Za-z0-9]))"
_BIG_OPERATORS = frozenset("sum prod int iint oint lim max min".split())
_LIMIT = re.compile(r"\s*[_^]\s*(?:\{(?P<body>[^{}]*)\}|(?P<body2>\\[A-Za-z]+|\S))")
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
_NAME_TAIL = re.compile(
    rf"\s*(?:{_SUBSCRIPT})?\s*'*\s*"
    r"(?P<bracket>(?:\\(?:left|bigl|big|Bigl|Big|biggl|bigg|Biggl|Bigg)\s*)?\()?"
)


@dataclass
class NameUsage:
    """Where each name is applied to arguments and where it stands alone."""

    applied: dict[str, int] = field(default_factory=dict)  # name -> first line
    alone: set[str] = field(default_factory=set)
    # names in a role only a number has: a subscript (x_i), the limits of a sum or
    # product (\sum_{s=1}^{m}); such a name before a bracket multiplies it
    values: set[str] = field(default_factory=set)

    def functions(self, known: set[str]) -> dict[str, int]:
        """Names the document only ever applies: unknown functions (not in `known`,
        the names context and definitions already give a meaning)."""
        return {
            name: line
            for name, line in self.applied.items()
            if name not in self.alone | self.values
            and _root(name) not in known
            and name not in known
        }

    def ambiguous(self, known: set[str]) -> set[str]:
        """Names the document both applies and uses alone, with no declared meaning."""
        return {
            name
            for name in self.applied
            if name in self.alone
            and name not in self.values
            and name not in known
            and _root(name) not in known
        }


def _root(name: str) -> str:
    return name.split("_", 1)[0]


def scan_usage(rows: Iterable[tuple[str, int]]) -> NameUsage:
    """Scan rows of display math, each with its line, for applied and lone names."""
    usage = NameUsage()
    for latex, line in rows:
        _scan(latex, line, usage)
    return usage


def _scan(s: str, line: int, usage: NameUsage) -> None:
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == "\\":
            j = i + 1
            while j < n and s[j].isalpha():
                j += 1
            command = s[i + 1 : j]
            if not command:  # `\{`, `\,`: one character
                i = j + 1
                continue
            if command in _BIG_OPERATORS:
                k = j
                for _ in range(2):  # `_{s=1}^{m}` in either order
                    m = _LIMIT.match(s, k)
                    if m is None:
                        break
                    usage.values.update(_names_in(_limit_text(m)))
                    k = m.end()
                i = j
                continue
            if command in _SKIPPED_ARGUMENT or command in _DECORATIONS:
                i = _after_group(s, j)
                continue
            if command in ("mathrm", "operatorname", "mathit"):
                name, k = _group_text(s, j)
                if name.isalpha() and len(name) > 1 and name not in COMMAND_FUNCTIONS:
                    _note(usage, name, s, k, line)
                i = k
                continue
            if command in GREEK:
                if _is_script(s, i):
                    usage.alone.add(command)
                else:
                    _note(usage, command, s, j, line)
            i = j
            continue
        if ch.isascii() and ch.isalpha():
            j = i
            while j < n and s[j].isascii() and s[j].isalpha():
                j += 1
            run = s[i:j]
            if run in FUNCTION_WORDS or run in ("max", "min"):
                i = j
                continue
            if _is_script(s, i):  # `p_X(x)`: X labels p, it is not applied
                usage.alone.update(run)
            elif len(run) == 1 or _is_word(run):
                applied = _note(usage, run, s, j, line)
                if not applied and len(run) > 1:
                    usage.alone.update(run)  # read letter by letter where it is no name
            else:
                usage.alone.update(run)
            i = j
            continue
        if ch == "_":
            m = _LIMIT.match(s, i)
            if m is not None:
                usage.values.update(_names_in(_limit_text(m)))
        i += 1


def _limit_text(m: re.Match[str]) -> str:
    return m["body"] if m["body"] is not None else m["body2"]


def _names_in(text: str) -> set[str]:
    """The letters and Greek names in a subscript or a sum's limits."""
    greek = {name for name in re.findall(r"\\([A-Za-z]+)", text) if name in GREEK}
    return greek | set(re.sub(r"\\[A-Za-z]+", " ", text)) & set(_LETTERS)


def _is_script(s: str, i: int) -> bool:
    """The name at i is a one-token sub- or superscript (`_X`, `^T`, `_\\xi`)."""
    k = i - 1
    while k >= 0 and s[k] == " ":
        k -= 1
    return k >= 0 and s[k] in "_^"


def _is_word(run: str) -> bool:
    """A letter run that names one thing when applied: `LL`, `KL`, `dist`, not `ax`."""
    return (run.isupper() and len(run) >= 2) or len(run) >= 3


def _note(usage: NameUsage, name: str, s: str, end: int, line: int) -> bool:
    """Record one occurrence of `name` ending at `end`; True when it is applied."""
    m = _NAME_TAIL.match(s, end)
    subscript = m["braced"] if m["braced"] is not None else m["single"]
    label = label_function_name(name, subscript) if subscript is not None else None
    named = label or name  # `p_X` is its own name
    if m["bracket"] is None or (subscript is not None and label is None):
        # `x_i(1 - x_i)`: an entry of a family times a bracket, as TeX readers read it
        usage.alone.add(named)
        return False
    usage.applied.setdefault(named, line)
    return True


def _after_group(s: str, j: int) -> int:
    return _group_text(s, j)[1]


def _group_text(s: str, j: int) -> tuple[str, int]:
    """The text of the braced group (or single character) at j, and the index after it."""
    while j < len(s) and s[j] == " ":
        j += 1
    if j >= len(s):
        return "", j
    if s[j] != "{":
        if s[j] == "\\":
            k = j + 1
            while k < len(s) and s[k].isalpha():
                k += 1
            return s[j:k], k
        return s[j], j + 1
    depth = 0
    for k in range(j, len(s)):
        if s[k] == "{":
            depth += 1
        elif s[k] == "}":
            depth -= 1
            if depth == 0:
                return s[j + 1 : k], k + 1
    return s[j + 1 :], len(s)
