"""Evaluating at a point: the probe's tolerance, exact confirmation, and display.

Two precisions on purpose: the probe compares mpmath values at DPS digits
(fast, and can be fooled by cancellation), and a difference only counts once
``confirm`` sees it again in SymPy's strict evaluation at CONFIRM_DPS digits.
"""

from __future__ import annotations

from typing import Any

import mpmath
import sympy as sp
from sympy.core.evalf import PrecisionExhausted

from .forms import as_expr
from .limits import limited

DPS = 30  # working precision of the probe
CONFIRM_DPS = 60  # precision of the exact re-check
REL_TOL = mpmath.mpf(10) ** -20  # probe: sides agree when |l - r| <= REL_TOL * max(1, |l|, |r|)
CONFIRM_TOL = mpmath.mpf(10) ** -40  # confirmation: the difference must stay above this


def finite_pair(values: Any) -> tuple[Any, Any] | None:
    try:
        a, b = (mpmath.mpmathify(v) for v in values)
    except (TypeError, ValueError):
        return None
    if any(mpmath.isinf(v) or mpmath.isnan(v) for v in (a, b)):
        return None
    return a, b


def differ(a: Any, b: Any, rel: Any = REL_TOL) -> bool:
    scale = max(mpmath.mpf(1), abs(a), abs(b))
    return abs(a - b) > rel * scale


def confirm(lhs: sp.Expr, rhs: sp.Expr, exact: dict, rel: Any = CONFIRM_TOL) -> tuple | None:
    """Both sides at the exact rational point, to 60 digits; (lhs, rhs) if they differ."""

    def evaluate():
        out, strict = [], 0
        for side in (lhs, rhs):
            value = side.xreplace(exact)
            if value.has(sp.nan, sp.zoo, sp.oo, -sp.oo) or value.free_symbols:
                return None
            try:
                out.append(value.evalf(CONFIRM_DPS, strict=True))
                strict += 1
            except PrecisionExhausted:
                # A side that is exactly zero has no relative precision to reach.
                # Accept it only as "zero to far more than the other side's
                # size" (absolute accuracy), and only if the other side is exact.
                approx = value.evalf(CONFIRM_DPS, maxn=4000)
                if not approx.is_number or abs(approx) > sp.Float(10) ** -CONFIRM_DPS:
                    return None
                out.append(sp.Integer(0))
        return out if strict >= 1 else None

    pair = limited(evaluate, 2.0)
    if pair is None or not all(v.is_number for v in pair):
        return None
    with mpmath.workdps(CONFIRM_DPS + 10):
        try:
            a, b = (to_mp(v) for v in pair)
        except (TypeError, ValueError):
            return None
        if any(mpmath.isinf(v) or mpmath.isnan(v) for v in (a, b)) or not differ(a, b, rel):
            return None
    return pair[0], pair[1]


def to_mp(v: sp.Expr) -> Any:
    re, im = v.as_real_imag()
    prec = mpmath.mp.prec
    return mpmath.mpc(sp.Float(re)._to_mpmath(prec), sp.Float(im)._to_mpmath(prec))


def evalf(e: sp.Expr) -> sp.Expr | None:
    value = limited(lambda: e.evalf(CONFIRM_DPS), 1.0)
    if value is None or not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return value


def fmt_number(v: Any, digits: int = 15) -> str:
    re, im = as_expr(v).as_real_imag()
    text = mpmath.nstr(sp.Float(re, digits + 5)._to_mpmath(240), digits)
    if im != 0:
        text += f" + {mpmath.nstr(sp.Float(im, digits + 5)._to_mpmath(240), digits)}i"
    return text


def fmt_pair(lv: Any, rv: Any) -> dict[str, str]:
    """15 significant digits, more when that is needed to show the difference."""
    for digits in (15, 20, 30, 45, 60):
        pair = {"lhs": fmt_number(lv, digits), "rhs": fmt_number(rv, digits)}
        if pair["lhs"] != pair["rhs"]:
            break
    return pair
