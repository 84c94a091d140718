"""Preparing expressions: what is done to both sides before the tiers compare them.

Cases substituted, bound summation indices given canonical names, sums with
concrete bounds written out, derivatives and sums evaluated under the clock;
and the small conversions the other modules share (``as_expr``, ``or_``,
``domain_by_name``, ``undefined``).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import sympy as sp

from ..domain import Domain, SymbolDomain
from ..summation import rename_limits
from .limits import Clock, limited


def undefined(e: sp.Expr) -> bool:
    # zoo == zoo structurally: without this guard 1/0 = 2/0 would be "proved identical"
    return e.has(sp.zoo, sp.nan)


def unroll(e: sp.Basic) -> sp.Basic:
    """Sums and products with integer bounds written out term by term.

    Much cheaper than doit() for the small sizes of a bounded check, and exact:
    KroneckerDelta of two integers evaluates itself once the terms exist."""
    if not e.args or not e.has(sp.Sum, sp.Product):
        return e
    if isinstance(e, (sp.Sum, sp.Product)) and len(e.limits) > 1:
        # Σ_i Σ_j: SymPy keeps both limits on one object; write out the inner
        # one when its bounds are numbers (the outer may stay symbolic)
        _, lo, hi = e.limits[0]
        if lo.is_Integer and hi.is_Integer:
            inner = unroll(e.func(e.function, e.limits[0]))
            return unroll(e.func(inner, *e.limits[1:]))
        return e.func(unroll(e.function), *e.limits)
    args = [unroll(a) for a in e.args]
    if isinstance(e, (sp.Sum, sp.Product)) and len(e.limits) == 1:
        body = args[0]
        (var, lo, hi) = e.limits[0]
        if lo.is_Integer and hi.is_Integer and int(hi) - int(lo) < 64:
            terms = [body.xreplace({var: sp.Integer(v)}) for v in range(int(lo), int(hi) + 1)]
            return sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)
    if isinstance(e, (sp.Sum, sp.Product)):
        return e.func(args[0], *e.limits)
    return e.func(*args)


def doit(e: sp.Expr, clock: Clock, floor: float = 1.0) -> sp.Expr | None:
    """e.doit() within the clock; `floor` seconds are granted even when the clock
    has run out, because instantiating is needed to reach any verdict."""
    if not e.has(sp.Derivative, sp.Subs, sp.Sum, sp.Product, sp.Integral):
        return e
    return limited(lambda: e.doit(), max(clock.left(), floor))


def apply_cases(lhs: sp.Expr, rhs: sp.Expr, domain: Domain) -> tuple[sp.Expr, sp.Expr]:
    """A case q = j means the same index: substitute before anything else."""
    for case in domain.cases:
        if isinstance(case, sp.Eq) and isinstance(case.lhs, sp.Symbol):
            for old in lhs.free_symbols | rhs.free_symbols:
                if isinstance(old, sp.Symbol) and old.name == case.lhs.name:
                    lhs, rhs = lhs.xreplace({old: case.rhs}), rhs.xreplace({old: case.rhs})
    return lhs, rhs


def rename_bound_pair(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Σ_k f(k) and Σ_j f(j): give bound indices canonical names so the two compare equal."""
    avoid = {s.name for e in (lhs, rhs) for s in e.free_symbols if isinstance(s, sp.Symbol)}
    names = [n for n in ("k", "l", "r", "s", "u", "v", "w") if n not in avoid]
    names += [f"k_{i}" for i in range(1, 20) if f"k_{i}" not in avoid]
    return _rename_bound(lhs, names, 0), _rename_bound(rhs, names, 0)


def _rename_bound(e: sp.Basic, names: list[str], offset: int) -> sp.Basic:
    if isinstance(e, sp.Sum | sp.Product):
        variables = [var for var, *_ in e.limits]
        mapping = {
            var: sp.Symbol(names[min(offset + n, len(names) - 1)], integer=True)
            for n, var in enumerate(variables)
        }
        body = _rename_bound(e.function.xreplace(mapping), names, offset + len(e.limits))
        return e.func(body, *rename_limits(e.limits, mapping))
    if not e.args or not e.has(sp.Sum, sp.Product):
        return e
    return e.func(*(_rename_bound(a, names, offset) for a in e.args))


def or_(value: Any, default: Any) -> Any:
    """value unless it is None (SymPy's 0 is falsy, so ``value or default`` would be wrong)."""
    return default if value is None else value


def as_expr(value: Any) -> sp.Expr:
    # numbers only; never strings (the engine evaluates no text)
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return value


def domain_by_name(domain: Domain) -> dict[str, SymbolDomain]:
    return {s.name: d for s, d in domain.symbols.items()}
