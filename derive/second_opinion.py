"""A second reading of each expression by latex2sympy2_extended.

Our own grammar is the reader of record; this module reads the same LaTeX
with an independent parser and, where both read it and the two readings give
different numbers at the same point, says so.  A disagreement does not change
any verdict: it is a note telling the user that this line could be read two
ways, so that a silent misreading on either side cannot go unnoticed.

latex2sympy2_extended has known misreadings of its own (measured in
../shared/research/parsers.md): `\\log` is base 10, primes are dropped, `2\\frac12`
is a mixed fraction, indexed names are plain symbols, so sums over them
collapse.  Expressions where those would speak are not compared.
"""

from __future__ import annotations

import random
import re

import sympy as sp
from sympy.core.function import AppliedUndef

from derive.printing import name_latex, to_latex

# Notation the other parser is known to read differently from the documented
# conventions (see the module docstring); comparing there would only be noise.
NOT_COMPARED = re.compile(
    r"'|\d\s*\\frac|\\(?:hat|bar|tilde|binom|sigma)\b|\|"
    # function words written without a backslash (ln, sigmoid) are our convention
    r"|(?<![\\A-Za-z])(?:sigmoid|ln|log|exp|sin|cos|tan)"
)
POINTS = 3
TOLERANCE = 1e-9


def disagreement(latex: str, ours: sp.Basic, seed: int = 0) -> str | None:
    """A sentence when the second reader reads `latex` to a different value."""
    if not _comparable(latex, ours):
        return None
    theirs = _second_reading(latex)
    if theirs is None:
        return None
    ours_names = {_canonical(str(s)): s for s in ours.free_symbols}
    theirs_names = {_canonical(str(s)): s for s in theirs.free_symbols}
    if set(theirs_names) != set(ours_names):
        extra = sorted(set(theirs_names) ^ set(ours_names))
        # formulas between $…$, in the reader's notation (derive/printing.py)
        return (
            f"latex2sympy2_extended reads ${_inline(latex)}$ as ${to_latex(theirs)}$ "
            f"(symbols differ: {', '.join(f'${name_latex(name)}$' for name in extra)})"
        )
    rng = random.Random(seed)
    for _ in range(POINTS):
        point = {name: sp.Rational(rng.randint(1, 180), 100) for name in ours_names}
        a = _value(ours, {ours_names[n]: v for n, v in point.items()})
        b = _value(theirs, {theirs_names[n]: v for n, v in point.items()})
        if a is None or b is None:
            return None
        if abs(a - b) > TOLERANCE * max(1.0, abs(a), abs(b)):
            shown = ", ".join(
                f"{name_latex(n)} = {to_latex(v)}" for n, v in sorted(point.items())
            )
            return (
                f"latex2sympy2_extended reads ${_inline(latex)}$ as ${to_latex(theirs)}$, "
                f"which differs from our reading ${to_latex(ours)}$ at ${shown}$ "
                f"({_number(b)} vs {_number(a)})"
            )
    return None


def _number(value: complex) -> str:
    if value.imag == 0:
        return f"{value.real:.6g}"
    return f"{value.real:.6g} {'+' if value.imag > 0 else '-'} {abs(value.imag):.6g}i"


def _inline(latex: str) -> str:
    # the line as written, on one line, with no `$` that would end the formula early
    return " ".join(latex.replace("$", "").split())


def _comparable(latex: str, ours: sp.Basic) -> bool:
    if not isinstance(ours, sp.Expr) or NOT_COMPARED.search(latex):
        return False
    opaque = (sp.Sum, sp.Product, sp.Indexed, sp.Derivative, sp.Subs, AppliedUndef)
    return not ours.has(*opaque) and bool(ours.free_symbols)


def _second_reading(latex: str) -> sp.Expr | None:
    try:
        from latex2sympy2_extended import latex2sympy
        from latex2sympy2_extended.latex2sympy2 import ConversionConfig
    except ImportError:  # the second opinion is optional at run time
        return None
    config = ConversionConfig(lowercase_symbols=False, interpret_as_mixed_fractions=False)
    # our documented convention: \log is the natural log
    text = latex.replace("\\log", "\\ln")
    try:
        theirs = latex2sympy(text, conversion_config=config)
    except Exception:  # it cannot read it: nothing to compare
        return None
    return theirs if isinstance(theirs, sp.Expr) else None


def _canonical(name: str) -> str:
    return name.replace("\\", "").replace("{", "").replace("}", "").replace(" ", "")


def _value(expr: sp.Expr, point: dict) -> complex | None:
    # At floats, not the exact rationals: (137/100)^99999999999 would be computed
    # exactly, with ten billion digits, before evalf ever saw it.
    floats = {s: sp.Float(v, 40) for s, v in point.items()}
    try:
        value = complex(expr.xreplace(floats).evalf(30))
    except (TypeError, ValueError, ArithmeticError):
        return None
    if value != value or abs(value) == float("inf"):
        return None
    return value
