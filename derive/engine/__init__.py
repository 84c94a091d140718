"""The tiered equality engine: is ``lhs = rhs`` on a domain, and how sure are we?

Sound first, fast second (design.md §5, research/equivalence-second.md §7):

0. preparation   ``doit`` both sides, rename bound summation indices canonically.
1. identical     ``lhs == rhs`` after preparation → proved.
2. numeric probe exact rational points inside the domain, both sides evaluated by
                 mpmath at 30 digits in the complex plane.  A difference is confirmed
                 exactly (SymPy at 60 digits, strict) and next to the point before it
                 counts; the counterexample is then shrunk to simple values → refuted.
3. canonical     cancel/together, expand, expand_log(force=False), powsimp, exp
                 rewriting, open-interval reparametrisation → proved.
4. simplify      trigsimp, simplify, under the remaining budget → proved.
5. sizes         Σ up to a symbolic m, z_j with a free index j: the symbolic tiers,
                 then every size in range and every index value → bounded.
6. fallback      all probes agreed → numeric; nothing usable → undecided.

Never ``refuted`` without a confirmed counterexample inside the domain that holds
whatever the names the document never defines mean (``meaning``), never
``proved`` without a symbolic zero.  Expensive SymPy calls run under a soft time
limit (an asynchronous exception in the calling thread, counted in its CPU time);
the caller adds a hard one.

The package, in pipeline order (each module uses only the ones above it):

- ``limits``     soft time limits on SymPy calls, and budgets shared between tiers;
- ``forms``      preparation: cases, canonical bound indices, sums written out, doit;
- ``meaning``    names the document leaves open (unknown functions, opaque operators,
                 a letter in two roles, NAME = expression): generic values;
- ``evaluate``   numbers at a point: the probe's tolerance, exact confirmation, display;
- ``tape``       expressions compiled to mpmath operations for the probe (no source code);
- ``sampling``   instances, the points of a domain, the numeric probe (tier 2);
- ``proof``      the canonical and simplify rewrites (tiers 3 and 4);
- ``decision``   the ``Decision`` record, and the verdicts that need no evidence;
- ``evidence``   refutations: shrink, confirm, explain;
- ``sizes``      symbolic sizes and free indices (tier 5);
- ``equations``  equation chains: implication and equivalence;
- this module    the public API, and the tiers for one concrete instance.
"""

from __future__ import annotations

import random

import sympy as sp

from ..domain import Domain
from . import equations, sampling
from .decision import UNDEFINED, Decision, fallback
from .evaluate import fmt_number
from .evidence import refutation, undefined_refutation, unknown_meaning_of
from .forms import apply_cases, as_expr, doit, rename_bound_pair, undefined
from .limits import Clock, limited
from .meaning import describe, generalise, named_by_step
from .proof import prove_generalised, prove_zero
from .sampling import Instance, adaptive_refute
from .sizes import Shape, decide_structured

__all__ = ["Decision", "decide_approx", "decide_equal", "decide_implication"]


def decide_equal(
    lhs: sp.Expr, rhs: sp.Expr, domain: Domain, *, seed: int = 0, budget: float = 3.0
) -> Decision:
    """Decide ``lhs = rhs`` for every point of ``domain``."""
    clock = Clock(budget)
    lhs, rhs = apply_cases(as_expr(lhs), as_expr(rhs), domain)
    lhs, rhs = rename_bound_pair(lhs, rhs)
    if undefined(lhs) or undefined(rhs):
        return UNDEFINED
    if lhs == rhs:
        return Decision("proved", "identical", message="both sides are the same expression")
    declared = set(domain.symbols) | set(domain.sizes) | set(domain.indices) | domain.mentioned
    for rule in (*domain.constraints, *domain.cases):  # y in x^2 + y^2 = 1 has a meaning
        declared |= rule.free_symbols
    if (name := named_by_step(lhs, rhs, declared)) is not None:
        shown = describe(name)
        return Decision(
            "undecided",
            "a definition",
            message=f"reads as the definition of {shown}: the document gives {shown} no "
            "other meaning, so there is nothing to check it against (declare it, or "
            "define it first, to have the step checked)",
        )
    shape = Shape.of(lhs, rhs, domain)
    if shape.sizes or shape.indices:
        return decide_structured(lhs, rhs, shape, domain, seed, clock)
    done_l, done_r = doit(lhs, clock), doit(rhs, clock)
    if done_l is None or done_r is None:
        return Decision(
            "undecided", "timeout", message="evaluating the derivatives/sums ran out of time"
        )
    if undefined(done_l) or undefined(done_r):
        return UNDEFINED
    instance = Instance.build(done_l, done_r, domain, {}, random.Random(seed))
    return _decide_instance(instance, random.Random(seed), clock)


def decide_implication(
    premise: sp.Eq, conclusion: sp.Eq, domain: Domain, *, seed: int = 0, budget: float = 3.0
) -> Decision:
    """Decide whether every domain point satisfying ``premise`` satisfies ``conclusion``."""
    clock = Clock(budget)
    p_res, c_res = apply_cases(premise.lhs - premise.rhs, conclusion.lhs - conclusion.rhs, domain)
    # a summation index named like a free one would be replaced with it at a point
    p_res, c_res = rename_bound_pair(p_res, c_res)
    shape = Shape.of(p_res, c_res, domain)
    if shape.sizes or shape.indices:
        return equations.decide_structured_implication(p_res, c_res, shape, domain, seed, clock)
    p_res, c_res = doit(p_res, clock), doit(c_res, clock)
    if p_res is None or c_res is None:
        return Decision("undecided", "timeout", message="evaluating the equations ran out of time")
    inst = Instance.build(p_res, c_res, domain, {}, random.Random(seed))
    return equations.decide_implication(inst, domain, random.Random(seed), clock)


def decide_approx(
    lhs: sp.Expr, rhs_number_latex_digits: int, rhs: sp.Expr, domain: Domain
) -> Decision:
    """Decide ``lhs ≈ rhs`` where rhs is a number written with the given decimal places."""
    lhs, rhs = as_expr(lhs), as_expr(rhs)
    general = generalise(lhs, rhs, domain.varying)
    if general.unknowns:  # γ(1) ≈ 0.5: a value of a function the document never gives
        return unknown_meaning_of(general)
    value = limited(lambda: lhs.doit(), 2.0)
    if value is None or value.free_symbols or rhs.free_symbols:
        return Decision(
            "undecided", "not a number", message="≈ needs a left side without free symbols"
        )
    try:
        lv = value.evalf(50, strict=True)
        rv = rhs.evalf(50)
    except Exception:  # PrecisionExhausted, evaluation errors
        return Decision(
            "undecided", "not evaluable", message="the left side could not be evaluated"
        )
    if not (lv.is_real and rv.is_real):
        return Decision("undecided", "not real", message="≈ is only checked for real numbers")
    digits = max(int(rhs_number_latex_digits), 0)
    half_ulp = sp.Rational(1, 2) * sp.Rational(1, 10**digits)
    shown = f"{float(lv):.{digits + 4}g}" if lv != 0 else "0"
    values = {"lhs": fmt_number(lv), "rhs": fmt_number(rv)}
    written = f"{float(rv):.{digits}f}"  # the claim as the reader wrote it, not 13/50
    if abs(lv - rv) <= half_ulp * (1 + sp.Rational(1, 10**9)):
        msg = f"the left side is {shown}, which rounds to {written} at {digits} decimals"
        return Decision(
            "proved", f"evaluated to 50 digits, {digits} decimals", values=values, message=msg
        )
    msg = f"the left side is {shown}, which does not round to {written} at {digits} decimals"
    return Decision("refuted", "evaluated to 50 digits", values=values, message=msg)


# ---------------------------------------------------------------------------
# Tiers for one concrete instance (no symbolic sizes, no free indices)
# ---------------------------------------------------------------------------


def _decide_instance(inst: Instance, rng: random.Random, clock: Clock) -> Decision:
    if undefined(inst.lhs) or undefined(inst.rhs):
        return UNDEFINED
    if inst.lhs == inst.rhs:
        return Decision("proved", "identical", message="identical after evaluation")
    probe = sampling.probe(inst, rng)
    # a difference that may come from a name without meaning is held, not refuted:
    # the proofs may still show the step holds for every meaning
    held: Decision | None = None
    if probe.counterexample is not None:
        held = refutation(inst, probe.counterexample, clock)
    elif probe.undefined_at is not None:
        held = undefined_refutation(inst, probe.undefined_at, clock)
    if held is not None and held.verdict == "refuted":
        return held
    method = prove_zero(inst.lhs - inst.rhs, inst, clock)
    if method:
        return Decision("proved", method)
    if method := prove_generalised(inst, clock, held=held is not None):
        return Decision("proved", method, message="holds whatever the unknown names are")
    if held is not None:
        return held
    late = adaptive_refute(inst, probe.agreed_points[:2], clock)
    if late is not None:
        return refutation(inst, late, clock, shrink=False)
    return fallback(probe, inst)
