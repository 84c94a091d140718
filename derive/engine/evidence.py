"""Refutation evidence: a confirmed counterexample made into a verdict a reader can use.

The point is shrunk to simple values while the difference persists, confirmed
exactly, and explained: the residual, a ratio when that reads better (a sign
error, a factor of 2), and whether the identity would hold for positive
symbols.  Also the refutation where one side is undefined and the other is not.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .decision import Decision
from .evaluate import confirm, differ, fmt_number, fmt_pair
from .forms import or_
from .limits import Clock, limited
from .proof import CANONICAL_STAGES, canon, is_zero_after
from .sampling import NICE, Evaluator, Instance, Point, exact_value

EVIDENCE_SECONDS = 0.5  # cap on one normal form of the evidence
CANCEL_OPS = 40  # larger: cancel() costs more, and on exp-rational forms expands (59 ops -> 145)


def refutation(
    inst: Instance,
    point: Point,
    clock: Clock,
    *,
    shrink: bool = True,
    symbolic: tuple[sp.Expr, sp.Expr] | None = None,
) -> Decision:
    if shrink:
        point = _shrink(inst, point)
    exact = confirm(inst.probe_lhs, inst.probe_rhs, point.exact())
    if exact is None:  # only the shrunk point can fail here; the original was confirmed
        return Decision(
            "undecided", "unconfirmed", message="a difference was seen but not confirmed"
        )
    lv, rv = exact
    counter = dict(inst.fixed)
    counter.update(point.printable())
    counter.update(inst.function_text)
    residual, ratio = _explain(inst.lhs, inst.rhs)
    if symbolic is not None:  # "off by Σ_k e^{z_k}" reads better than its m = 2 instance
        ratio = or_(_symbolic_ratio(*symbolic), ratio)
    message = _message(residual, ratio, counter, inst, point)
    return Decision(
        "refuted",
        "confirmed counterexample",
        counterexample=counter,
        values=fmt_pair(lv, rv),
        residual=residual,
        ratio=ratio,
        message=message,
        functions=dict(inst.functions),
    )


def _explain(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr | None]:
    residual = shortest(lhs - rhs)
    if rhs == 0:
        return residual, None
    ratio = shortest(lhs / rhs)
    if ratio == 1 or ratio == 0 or ratio.has(sp.nan, sp.zoo):
        return residual, None
    if not ratio.is_Rational and sp.count_ops(ratio) >= sp.count_ops(residual):
        return residual, None  # a constant factor (2, -1) always reads better than a residual
    return residual, ratio


def shortest(e: sp.Expr) -> sp.Expr:
    """Evidence for a reader: the shortest of a few cheap normal forms of e.

    ``together`` keeps what the reader wrote whole (e^{-z} stays one factor, so
    definitions fold back in); ``cancel`` reaches lowest terms, and is tried when
    that is cheap.  No ``simplify``: under a time cap its result depended on how
    busy the machine was, and it cost more than the rest of a refutation (up to
    0.4 s for the σ'(x) slip of the seed note, for a residual no shorter)."""
    joined = or_(limited(lambda: sp.together(e), EVIDENCE_SECONDS), e)
    candidates = [joined]
    if sp.count_ops(joined) <= CANCEL_OPS:
        candidates.append(or_(limited(lambda: sp.cancel(joined), EVIDENCE_SECONDS), joined))
    return min(candidates, key=sp.count_ops)  # ties: the form closer to the reader's


def _symbolic_ratio(lhs: sp.Expr, rhs: sp.Expr) -> sp.Expr | None:
    if rhs == 0:
        return None
    ratio = limited(lambda: canon(lhs / rhs), 0.3)
    if ratio is None or ratio == 0 or ratio == 1 or ratio.has(sp.nan, sp.zoo, sp.Derivative):
        return None
    return ratio if sp.count_ops(ratio) < sp.count_ops(lhs - rhs) else None


def _message(
    residual: sp.Expr,
    ratio: sp.Expr | None,
    counter: dict[str, str],
    inst: Instance,
    point: Point,
) -> str:
    where = ", ".join(f"{k} = {v}" for k, v in counter.items()) or "every point"
    if ratio is not None and ratio == -1:
        text = f"sign error: the sides differ in sign (at {where})"
    elif ratio is not None:
        text = f"off by a factor of {sp.sstr(ratio)} (at {where})"
    else:
        text = f"differs by {sp.sstr(residual)} (at {where})"
    # positivity can only be the explanation when the point has a negative value
    nonpositive = any(v < 0 for v in point.values.values())
    hint = _positivity_hint(inst) if nonpositive else ""
    return f"{text}: {hint}" if hint else text


def _positivity_hint(inst: Instance) -> str:
    """If the step becomes provable for positive real symbols, say so."""
    reals = sorted(
        (s for s in inst.variables if s.is_real and not s.is_positive), key=sp.default_sort_key
    )
    if not reals or len(reals) > 4:
        return ""
    pos = {s: sp.Symbol(s.name, positive=True) for s in reals}
    diff = (inst.lhs - inst.rhs).xreplace(pos)
    for _, rewrite in CANONICAL_STAGES[:3]:
        if is_zero_after(rewrite, diff, 0.3):
            names = ", ".join(s.name for s in reals)
            return f"the identity holds only for positive {names}"
    return ""


def _shrink(inst: Instance, point: Point) -> Point:
    """Replace coordinates by simpler values while the difference persists (like hypothesis)."""
    evaluator = inst.evaluator
    best = point
    for _ in range(2):  # two passes: a simpler y can make a simpler x possible
        changed = False
        for sym in inst.space.free:
            current = best.values[sym]
            for cand in sorted(NICE, key=_simplicity):
                if _simplicity(cand) >= _simplicity(current):
                    break
                trial = inst.space.complete({**best.free_values(inst.space), sym: cand})
                if trial is None or not _differs_at(evaluator, trial):
                    continue
                best, changed = trial, True
                break
        if not changed:
            break
    if best is point or confirm(inst.probe_lhs, inst.probe_rhs, best.exact()) is not None:
        return best
    return point


def _simplicity(v: Fraction) -> tuple[int, bool]:
    return (abs(v.numerator) + v.denominator, v < 0)


def _differs_at(evaluator: Evaluator, point: Point) -> bool:
    values = evaluator(point)
    return values is not None and differ(*values)


def undefined_refutation(inst: Instance, found: tuple[Point, str]) -> Decision:
    point, side = found
    counter = dict(inst.fixed)
    counter.update(point.printable())
    other = inst.lhs if side == "right" else inst.rhs
    value = exact_value(other, point.exact())
    where = ", ".join(f"{k} = {v}" for k, v in counter.items())
    shown = fmt_number(value) if value is not None else "?"
    values = (
        {"lhs": shown, "rhs": "undefined"}
        if side == "right"
        else {"lhs": "undefined", "rhs": shown}
    )
    message = (
        f"the {side} side is undefined at {where} (and around it), where the other side "
        f"is {shown}: the two sides cannot be equal there"
    )
    return Decision(
        "refuted",
        "undefined side",
        counterexample=counter,
        values=values,
        message=message,
        functions=dict(inst.functions),
    )
