"""Refutation evidence: a confirmed counterexample made into a verdict a reader can use.

The point is shrunk to simple values while the difference persists, confirmed
exactly, and explained: the residual, a ratio when that reads better (a sign
error, a factor of 2), and whether the identity would hold for positive
symbols.  Also the refutation where one side is undefined and the other is not.

A counterexample counts only when it holds for every meaning the document
leaves open (``meaning``): where the step has unknown functions, opaque
operators or a letter in two roles, the difference of the sides must be shown
free of them first; otherwise the verdict is ``undecided``, saying on what the
disagreement depends.
"""

from __future__ import annotations

from fractions import Fraction

import sympy as sp

from .decision import Decision
from .evaluate import confirm, differ, fmt_number, fmt_pair
from .forms import or_
from .limits import Clock, limited
from .meaning import Generalised, depends_message, describe
from .proof import CANONICAL_STAGES, canon, free_of, is_zero_after
from .sampling import NICE, Evaluator, Instance, Point, exact_value

EVIDENCE_SECONDS = 0.5  # cap on one normal form of the evidence
VALUE_CHARS = 120  # a side's value shown with its unknowns, at most this long
SHRINK_TRIALS = 200  # evaluations spent on simplifying one counterexample
CANCEL_OPS = 40  # larger: cancel() costs more, and on exp-rational forms expands (59 ops -> 145)


def refutation(
    inst: Instance,
    point: Point,
    clock: Clock,
    *,
    shrink: bool = True,
    symbolic: tuple[sp.Expr, sp.Expr] | None = None,
) -> Decision:
    """The refutation at a confirmed point, or the ``unknown meaning`` verdict
    when the difference may come from a name the document never defines."""
    blocked = meaning_blocks(inst, clock)
    if blocked is not None:
        return blocked
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
    values = fmt_pair(lv, rv)
    if inst.general.unknowns:
        # the sides' values depend on the unknowns, their difference does not:
        # show the sides with the unknowns as written, the numbers filled in
        kept = _values_keeping_unknowns(inst, point)
        if kept is not None and max(len(v) for v in kept.values()) <= VALUE_CHARS:
            values = kept
        else:  # too long to read: the difference alone, which is what the unknowns do not change
            values = {"lhs - rhs": fmt_number(lv - rv)}
        names = ", ".join(u.text for u in inst.general.unknowns[:3])
        verb = "is" if len(inst.general.unknowns) == 1 else "are"
        message += f"; the same whatever {names} {verb}"
    return Decision(
        "refuted",
        "confirmed counterexample",
        counterexample=counter,
        values=values,
        residual=residual,
        ratio=ratio,
        message=message,
        functions=dict(inst.functions),
    )


def meaning_blocks(inst: Instance, clock: Clock) -> Decision | None:
    """None when a disagreement of this instance's sides is a refutation for every
    meaning the document leaves open; else the ``undecided`` verdict saying why."""
    general = inst.general
    if not general.any:
        return None
    diff = inst.probe_lhs - inst.probe_rhs
    if free_of(diff, general.open_symbols, clock) is not None:
        return None
    return unknown_meaning(inst)


def unknown_meaning(inst: Instance) -> Decision:
    """``undecided``, naming the unknowns the difference of the sides still has."""
    return unknown_meaning_of(inst.general)


def unknown_meaning_of(general: Generalised) -> Decision:
    diff = general.lhs - general.rhs
    seen = or_(limited(lambda: canon(diff), EVIDENCE_SECONDS), diff).free_symbols
    blocking = [u for u in general.unknowns if u.symbol in seen]
    role_hit = bool(general.role_symbols & seen) or any(u.kind == "function" for u in blocking)
    if not blocking and not role_hit:  # the canonical form did not tell: name them all
        blocking, role_hit = list(general.unknowns), True
    roles = general.roles if role_hit else {}
    return Decision("undecided", "unknown meaning", message=depends_message(blocking, roles))


def _values_keeping_unknowns(inst: Instance, point: Point) -> dict[str, str] | None:
    """Both sides at the point with the unknowns left as they are: f(x) + 4, f(x) + 2."""
    exact = {s: v for s, v in point.exact().items() if not isinstance(s, sp.Dummy)}

    def side(e: sp.Expr) -> str:
        value = e.xreplace(exact)
        text = describe(value)
        return text if len(text) <= 60 else describe(value.evalf(15))

    shown = limited(lambda: {"lhs": side(inst.lhs), "rhs": side(inst.rhs)}, EVIDENCE_SECONDS)
    return shown


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
    """Replace coordinates by simpler values while the difference persists (like hypothesis).

    Generic values (unknowns, shown nowhere) are left as drawn, and the work is
    a fixed number of trials, so the point shown is the same on every run."""
    evaluator = inst.evaluator
    best = point
    trials = SHRINK_TRIALS
    shown = [s for s in inst.space.free if not isinstance(s, sp.Dummy)]
    for _ in range(2):  # two passes: a simpler y can make a simpler x possible
        changed = False
        for sym in shown:
            current = best.values[sym]
            for cand in sorted(NICE, key=_simplicity):
                if _simplicity(cand) >= _simplicity(current) or trials <= 0:
                    break
                trials -= 1
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


def undefined_refutation(
    inst: Instance, found: tuple[Point, str], clock: Clock | None = None
) -> Decision:
    if inst.general.any:
        # undefined for the generic values drawn, maybe not for the document's meaning
        return unknown_meaning(inst)
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
