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

Never ``refuted`` without a confirmed counterexample inside the domain, never
``proved`` without a symbolic zero.  Expensive SymPy calls run under a soft time
limit (an asynchronous exception in the calling thread); the caller adds a hard one.
"""

from __future__ import annotations

import ctypes
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
from sympy.core.evalf import PrecisionExhausted
from sympy.core.function import AppliedUndef

from .domain import REAL, Domain, SymbolDomain

__all__ = ["Decision", "decide_approx", "decide_equal", "decide_implication"]

PROBE_POINTS = 8
PROBE_TRIES = 40  # draws allowed to find PROBE_POINTS points where both sides are defined
DPS = 30  # working precision of the probe
CONFIRM_DPS = 60  # precision of the exact re-check
REL_TOL = mpmath.mpf(10) ** -20  # probe: sides agree when |l - r| <= REL_TOL * max(1, |l|, |r|)
CONFIRM_TOL = mpmath.mpf(10) ** -40  # confirmation: the difference must stay above this
DEFAULT_SIZES = (1, 4)  # range for a symbolic sum bound nobody declared
EARLY_INSTANCES = 5  # probed before the symbolic attempt: every index pattern of m = 1, 2
MAX_INSTANCES = 80  # cap on (size, index) instances checked for a bounded verdict
NICE = tuple(Fraction(v) for v in ("0", "1", "-1", "2", "1/2", "-1/2", "3", "-2", "1/4", "3/2"))
SIMPLIFY_RESIDUAL_SECONDS = 0.5
SYMBOLIC_SECONDS = 1.0  # cap on the attempt to prove a sized identity for every size at once


@dataclass
class Decision:
    verdict: str  # proved | bounded | numeric | refuted | undecided
    method: str
    counterexample: dict[str, str] | None = None
    values: dict[str, str] | None = None
    residual: sp.Expr | None = None
    ratio: sp.Expr | None = None
    message: str = ""


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def decide_equal(
    lhs: sp.Expr, rhs: sp.Expr, domain: Domain, *, seed: int = 0, budget: float = 3.0
) -> Decision:
    """Decide ``lhs = rhs`` for every point of ``domain``."""
    clock = _Clock(budget)
    lhs, rhs = _apply_cases(_as_expr(lhs), _as_expr(rhs), domain)
    lhs, rhs = _rename_bound_pair(lhs, rhs)
    if _undefined(lhs) or _undefined(rhs):
        return _UNDEFINED
    if lhs == rhs:
        return Decision("proved", "identical", message="both sides are the same expression")
    shape = _Shape.of(lhs, rhs, domain)
    if shape.sizes or shape.indices:
        return _decide_structured(lhs, rhs, shape, domain, seed, clock)
    done_l, done_r = _doit(lhs, clock), _doit(rhs, clock)
    if done_l is None or done_r is None:
        return Decision(
            "undecided", "timeout", message="evaluating the derivatives/sums ran out of time"
        )
    if _undefined(done_l) or _undefined(done_r):
        return _UNDEFINED
    instance = _Instance.build(done_l, done_r, domain, {}, random.Random(seed))
    return _decide_instance(instance, random.Random(seed), clock)


def decide_implication(
    premise: sp.Eq, conclusion: sp.Eq, domain: Domain, *, seed: int = 0, budget: float = 3.0
) -> Decision:
    """Decide whether every domain point satisfying ``premise`` satisfies ``conclusion``."""
    clock = _Clock(budget)
    p_res = _doit(_apply_cases(premise.lhs - premise.rhs, sp.Integer(0), domain)[0], clock)
    c_res = _doit(_apply_cases(conclusion.lhs - conclusion.rhs, sp.Integer(0), domain)[0], clock)
    if p_res is None or c_res is None:
        return Decision("undecided", "timeout", message="evaluating the equations ran out of time")
    inst = _Instance.build(p_res, c_res, domain, {}, random.Random(seed))
    return _decide_implication(inst, domain, random.Random(seed), clock)


def decide_approx(
    lhs: sp.Expr, rhs_number_latex_digits: int, rhs: sp.Expr, domain: Domain
) -> Decision:
    """Decide ``lhs ≈ rhs`` where rhs is a number written with the given decimal places."""
    del domain  # a numeric claim: nothing is sampled
    lhs, rhs = _as_expr(lhs), _as_expr(rhs)
    value = _limited(lambda: lhs.doit(), 2.0)
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
    values = {"lhs": _fmt_number(lv), "rhs": _fmt_number(rv)}
    written = f"{float(rv):.{digits}f}"  # the claim as the reader wrote it, not 13/50
    if abs(lv - rv) <= half_ulp * (1 + sp.Rational(1, 10**9)):
        msg = f"the left side is {shown}, which rounds to {written} at {digits} decimals"
        return Decision(
            "proved", f"evaluated to 50 digits, {digits} decimals", values=values, message=msg
        )
    msg = f"the left side is {shown}, which does not round to {written} at {digits} decimals"
    return Decision("refuted", "evaluated to 50 digits", values=values, message=msg)


_UNDEFINED = Decision(
    "undecided", "undefined", message="a side is undefined everywhere (division by zero, log 0)"
)


def _undefined(e: sp.Expr) -> bool:
    # zoo == zoo structurally: without this guard 1/0 = 2/0 would be "proved identical"
    return e.has(sp.zoo, sp.nan)


# ---------------------------------------------------------------------------
# Tiers for one concrete instance (no symbolic sizes, no free indices)
# ---------------------------------------------------------------------------


def _decide_instance(inst: _Instance, rng: random.Random, clock: _Clock) -> Decision:
    if _undefined(inst.lhs) or _undefined(inst.rhs):
        return _UNDEFINED
    if inst.lhs == inst.rhs:
        return Decision("proved", "identical", message="identical after evaluation")
    probe = _probe(inst, rng)
    if probe.counterexample is not None:
        return _refutation(inst, probe.counterexample, clock)
    if probe.undefined_at is not None:
        return _undefined_refutation(inst, probe.undefined_at)
    method = _prove_zero(inst.lhs - inst.rhs, inst, clock)
    if method:
        return Decision("proved", method)
    late = _adaptive_refute(inst, probe.agreed_points[:2], clock)
    if late is not None:
        return _refutation(inst, late, clock, shrink=False)
    return _fallback(probe, inst)


def _fallback(probe: _ProbeResult, inst: _Instance) -> Decision:
    n = len(probe.agreed_points)
    if n:
        msg = f"agrees at {n} points to {DPS} digits; not proved"
        return Decision("numeric", f"numeric {n} points", message=msg)
    reason = probe.reason or "no point of the domain where both sides are defined was found"
    return Decision("undecided", "no valid point", message=reason)


def _prove_zero(diff: sp.Expr, inst: _Instance | None, clock: _Clock) -> str | None:
    """Canonical forms, then simplify; the name of the rewrite that gave 0, else None."""
    if diff == 0:
        return "identical"
    if inst is not None and inst.space.dependent:  # on the constraint set, y_m = 1 - Σ others
        diff = diff.xreplace(dict(inst.space.dependent))
    canon_deadline = clock.share(0.5)
    for name, rewrite in _CANONICAL_STAGES:
        if _is_zero_after(rewrite, diff, min(canon_deadline.left(), clock.left())):
            return name
    if inst is not None and inst.interval_subs:
        moved = diff.xreplace(inst.interval_subs)
        for name, rewrite in _CANONICAL_STAGES[:3]:
            if _is_zero_after(rewrite, moved, min(canon_deadline.left(), clock.left())):
                return f"{name} on the open intervals"
    for name, rewrite in _SYMBOLIC_STAGES:
        if _is_zero_after(rewrite, diff, clock.left()):
            return name
    return None


def _is_zero_after(rewrite: Callable[[sp.Expr], sp.Expr], diff: sp.Expr, seconds: float) -> bool:
    if seconds <= 0:
        return False
    result = _limited(lambda: rewrite(diff), seconds)
    return result is not None and result == 0


def _exp_split(e: sp.Expr) -> sp.Expr:
    # e^{a+b} -> e^a e^b so that exponentials of sums cancel against products
    return sp.expand(
        e, deep=True, mul=False, multinomial=False, power_exp=True, power_base=False, log=False
    )


def _canon(e: sp.Expr) -> sp.Expr:
    return sp.cancel(sp.together(e))


_CANONICAL_STAGES: tuple[tuple[str, Callable[[sp.Expr], sp.Expr]], ...] = (
    ("canonical", _canon),
    ("canonical(expand)", lambda e: _canon(sp.expand(e))),
    ("canonical(expand_log)", lambda e: _canon(sp.expand_log(e, force=False))),
    ("canonical(powsimp)", lambda e: _canon(sp.powsimp(_exp_split(e)))),
    ("canonical(exp)", lambda e: _canon(_exp_split(sp.expand_log(e.rewrite(sp.exp))))),
)

_SYMBOLIC_STAGES: tuple[tuple[str, Callable[[sp.Expr], sp.Expr]], ...] = (
    ("trigsimp", lambda e: sp.trigsimp(e)),
    ("simplify", lambda e: sp.simplify(e)),
    ("simplify(exp)", lambda e: sp.simplify(_canon(e.rewrite(sp.exp)))),
)


# ---------------------------------------------------------------------------
# Refutation: shrink, confirm, explain
# ---------------------------------------------------------------------------


def _refutation(
    inst: _Instance,
    point: _Point,
    clock: _Clock,
    *,
    shrink: bool = True,
    symbolic: tuple[sp.Expr, sp.Expr] | None = None,
) -> Decision:
    if shrink:
        point = _shrink(inst, point)
    exact = _confirm(inst.probe_lhs, inst.probe_rhs, point.exact())
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
        ratio = _or(_symbolic_ratio(*symbolic), ratio)
    message = _message(residual, ratio, counter, inst, point)
    return Decision(
        "refuted",
        "confirmed counterexample",
        counterexample=counter,
        values=_fmt_pair(lv, rv),
        residual=residual,
        ratio=ratio,
        message=message,
    )


def _explain(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr | None]:
    raw = lhs - rhs
    residual = _or(_limited(lambda: _shortest(raw), SIMPLIFY_RESIDUAL_SECONDS), raw)
    if rhs == 0:
        return residual, None
    ratio = _limited(lambda: _shortest(lhs / rhs), SIMPLIFY_RESIDUAL_SECONDS)
    if ratio is None or ratio == 1 or ratio == 0 or ratio.has(sp.nan, sp.zoo):
        return residual, None
    if not ratio.is_Rational and sp.count_ops(ratio) >= sp.count_ops(residual):
        return residual, None  # a constant factor (2, -1) always reads better than a residual
    return residual, ratio


def _shortest(e: sp.Expr) -> sp.Expr:
    """The shorter of cancel() and a budgeted simplify(): evidence for a reader,
    where cancel() alone is usually enough and costs a fraction of simplify()."""
    quick = sp.cancel(sp.together(e))
    if not 12 < sp.count_ops(quick) <= 100:
        # small enough already, or too big for simplify() to make readable
        # within its share (measured: 0.43 s for a 145-op sigmoid residual)
        return quick
    slow = _limited(lambda: sp.simplify(quick), SIMPLIFY_RESIDUAL_SECONDS / 3)
    return slow if slow is not None and sp.count_ops(slow) < sp.count_ops(quick) else quick


def _symbolic_ratio(lhs: sp.Expr, rhs: sp.Expr) -> sp.Expr | None:
    if rhs == 0:
        return None
    ratio = _limited(lambda: _canon(lhs / rhs), 0.3)
    if ratio is None or ratio == 0 or ratio == 1 or ratio.has(sp.nan, sp.zoo, sp.Derivative):
        return None
    return ratio if sp.count_ops(ratio) < sp.count_ops(lhs - rhs) else None


def _message(
    residual: sp.Expr,
    ratio: sp.Expr | None,
    counter: dict[str, str],
    inst: _Instance,
    point: _Point,
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


def _positivity_hint(inst: _Instance) -> str:
    """If the step becomes provable for positive real symbols, say so."""
    reals = sorted(
        (s for s in inst.variables if s.is_real and not s.is_positive), key=sp.default_sort_key
    )
    if not reals or len(reals) > 4:
        return ""
    pos = {s: sp.Symbol(s.name, positive=True) for s in reals}
    diff = (inst.lhs - inst.rhs).xreplace(pos)
    for _, rewrite in _CANONICAL_STAGES[:3]:
        if _is_zero_after(rewrite, diff, 0.3):
            names = ", ".join(s.name for s in reals)
            return f"the identity holds only for positive {names}"
    return ""


def _shrink(inst: _Instance, point: _Point) -> _Point:
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
    if best is point or _confirm(inst.probe_lhs, inst.probe_rhs, best.exact()) is not None:
        return best
    return point


def _simplicity(v: Fraction) -> tuple[int, bool]:
    return (abs(v.numerator) + v.denominator, v < 0)


def _differs_at(evaluator: _Evaluator, point: _Point) -> bool:
    values = evaluator(point)
    return values is not None and _differ(*values)


# ---------------------------------------------------------------------------
# Symbolic sizes and free indices: prove symbolically or instantiate
# ---------------------------------------------------------------------------


@dataclass
class _Shape:
    sizes: dict[sp.Symbol, tuple[int, int]]
    indices: dict[sp.Symbol, sp.Expr | int]

    @staticmethod
    def of(lhs: sp.Expr, rhs: sp.Expr, domain: Domain) -> _Shape:
        free = {s for s in (lhs.free_symbols | rhs.free_symbols) if isinstance(s, sp.Symbol)}
        labels = {ix.base.label for e in (lhs, rhs) for ix in e.atoms(sp.Indexed)}
        used_as_index = {
            s
            for e in (lhs, rhs)
            for ix in e.atoms(sp.Indexed)
            for i in ix.indices
            for s in i.free_symbols
        }
        declared_sizes = {s.name: (s, r) for s, r in domain.sizes.items()}
        declared_idx = {s.name: (s, r) for s, r in domain.indices.items()}
        sizes: dict[sp.Symbol, tuple[int, int]] = {}
        indices: dict[sp.Symbol, sp.Expr | int] = {}
        for s in free - labels:
            if s.name in declared_sizes:
                sizes[s] = declared_sizes[s.name][1]
            elif s.name in declared_idx or s in used_as_index:
                indices[s] = declared_idx[s.name][1] if s.name in declared_idx else None
        for s in _sum_bound_symbols(lhs) | _sum_bound_symbols(rhs):
            if s not in sizes and s not in indices and s.name not in declared_sizes:
                sizes[s] = DEFAULT_SIZES
        for idx, size in list(indices.items()):
            indices[idx] = _index_size(size, sizes, domain)
        for size in indices.values():
            if isinstance(size, sp.Symbol) and size not in sizes:
                sizes[size] = dict((s.name, r) for s, r in domain.sizes.items()).get(
                    size.name, DEFAULT_SIZES
                )
        _add_constraint_sizes(lhs, rhs, domain, sizes)
        return _Shape(sizes, indices)


def _index_size(size: Any, sizes: dict[sp.Symbol, tuple[int, int]], domain: Domain) -> Any:
    if size is None:  # undeclared index: it runs over the one size in play, else the largest
        if len(sizes) == 1:
            return next(iter(sizes))
        return max((hi for _, hi in sizes.values()), default=DEFAULT_SIZES[1])
    if isinstance(size, sp.Symbol):
        for s in sizes:
            if s.name == size.name:
                return s
        return size
    return int(size)


def _add_constraint_sizes(lhs: sp.Expr, rhs: sp.Expr, domain: Domain, sizes: dict) -> None:
    """A constraint Σ_{q≤m} y_q = 1 about a family in the step brings its size m along."""
    if not sizes:
        return
    labels = {ix.base.label.name for e in (lhs, rhs) for ix in e.atoms(sp.Indexed)}
    declared = {s.name: (s, r) for s, r in domain.sizes.items()}
    for c in domain.constraints:
        c_labels = {ix.base.label.name for ix in c.atoms(sp.Indexed)}
        if not c_labels & labels:
            continue
        for s in c.free_symbols:
            if isinstance(s, sp.Symbol) and s.name in declared and s not in sizes:
                sizes[s] = declared[s.name][1]


def _sum_bound_symbols(e: sp.Expr) -> set[sp.Symbol]:
    out: set[sp.Symbol] = set()
    for s in e.atoms(sp.Sum, sp.Product):
        bound = {lim[0] for lim in s.limits}
        for lim in s.limits:
            for b in lim[1:]:
                out |= {x for x in b.free_symbols if isinstance(x, sp.Symbol) and x not in bound}
    return out


def _decide_structured(
    lhs: sp.Expr, rhs: sp.Expr, shape: _Shape, domain: Domain, seed: int, clock: _Clock
) -> Decision:
    """Sized sums and free indices: a quick refutation on the smallest instances,
    then a proof for every size at once, then every instance in range.

    Most slips already show at m = 1, 2; the symbolic attempt is cheap when it
    succeeds (derivatives only, canonical forms) and capped when it does not."""
    instances, described = _instance_plan(shape, domain)
    if not instances:
        return Decision("undecided", "no instance", message="no size/index combination is possible")
    rng = random.Random(seed)
    built: list[_Instance] = []
    probes: list[_ProbeResult] = []

    def probe_next(count: int) -> Decision | None:
        for values in instances[len(built) : len(built) + count]:
            inst = _instantiate(lhs, rhs, values, domain, rng, clock)
            if inst is None:
                return Decision(
                    "undecided", "timeout", message=f"ran out of time instantiating {described}"
                )
            probe = _probe(inst, rng)
            if probe.counterexample is not None:
                symbolic = (_resolve_deltas(lhs, domain), _resolve_deltas(rhs, domain))
                return _refutation(inst, probe.counterexample, clock, symbolic=symbolic)
            if probe.undefined_at is not None:
                return _undefined_refutation(inst, probe.undefined_at)
            built.append(inst)
            probes.append(probe)
        return None

    forms = _symbolic_forms(lhs, rhs, clock, domain)
    if forms is not None and forms[0] == forms[1]:  # cheap, and a proof for every size
        return Decision("proved", "identical after doit", message="proved for every size")
    if (early := probe_next(EARLY_INSTANCES)) is not None:
        return early
    symbolic = _prove_symbolically(forms, clock)
    if symbolic:
        return Decision("proved", symbolic, message="proved for every size")
    if (late := probe_next(len(instances))) is not None:
        return late
    return _prove_instances(built, probes, described, clock)


def _symbolic_forms(
    lhs: sp.Expr, rhs: sp.Expr, clock: _Clock, domain: Domain | None
) -> tuple[sp.Expr, sp.Expr] | None:
    """Both sides prepared for a proof for every size: deltas resolved,
    derivatives evaluated, concrete sums written out, constants pulled out of
    sums, constraints used, summation indices renamed alike.  None when that is
    out of reach (deltas left inside sums, time)."""
    if domain is not None:
        lhs, rhs = _resolve_deltas(lhs, domain), _resolve_deltas(rhs, domain)
    if _delta_in_sum(lhs) or _delta_in_sum(rhs):
        # Sums of Kronecker deltas over a symbolic range only close with case
        # analysis SymPy does not do; the instances decide these (measured:
        # the attempt cost 0.4 s a step and never succeeded on derivations/).
        return None
    share = _Clock(min(max(clock.left(), 0.0) * 0.25, SYMBOLIC_SECONDS))
    # Evaluate derivatives only: doit() on a sum with a symbolic bound hunts for
    # a closed form, which is slow and not needed to compare two sums.
    forms = []
    for side in (lhs, rhs):
        done = _limited(lambda s=side: _unroll(_derivatives_done(s)), share.left())
        if done is None:
            return None
        forms.append(_use_constraints(_pull_constants(done), domain))
    return _rename_bound_pair(forms[0], forms[1])


def _prove_symbolically(forms: tuple[sp.Expr, sp.Expr] | None, clock: _Clock) -> str | None:
    if forms is None:
        return None
    done_l, done_r = forms
    if done_l == done_r:
        return "identical after doit"
    share = _Clock(min(max(clock.left(), 0.0) * 0.25, SYMBOLIC_SECONDS))
    method = _prove_zero(_merge_sums(done_l - done_r), None, share)
    return f"{method} (symbolic)" if method else None


def _delta_in_sum(e: sp.Expr) -> bool:
    """Kronecker deltas or Piecewise left inside a sum (a δ outside any sum is
    just another factor to the canonical forms)."""
    return e.has(sp.Piecewise) or any(
        big.function.has(sp.KroneckerDelta) for big in e.atoms(sp.Sum, sp.Product)
    )


def _derivatives_done(e: sp.Expr) -> sp.Expr:
    return e.replace(lambda x: isinstance(x, (sp.Derivative, sp.Subs)), lambda x: x.doit())


def _use_constraints(e: sp.Expr, domain: Domain | None) -> sp.Expr:
    """A constraint Σ_q y_q = 1 replaces that sum, whatever its index is called."""
    if domain is None:
        return e
    for constraint in domain.constraints:
        if not (isinstance(constraint, sp.Eq) and isinstance(constraint.lhs, sp.Sum)):
            continue
        known, value = constraint.lhs, constraint.rhs
        e = e.replace(lambda x, known=known: _same_sum(x, known), lambda x, value=value: value)
    return e


def _same_sum(a: sp.Basic, b: sp.Sum) -> bool:
    if not isinstance(a, sp.Sum) or len(a.limits) != 1 or len(b.limits) != 1:
        return False
    (va, *ra), (vb, *rb) = a.limits[0], b.limits[0]
    return ra == rb and a.function.xreplace({va: vb}) == b.function


def _pull_constants(e: sp.Expr) -> sp.Expr:
    """Σ_k c·f(k) → c·Σ_k f(k) for factors c free of k (so Σ_j e^{z_j}/S reads
    as (Σ_j e^{z_j})/S and the two sums can be recognised as one)."""

    def pull(total: sp.Sum) -> sp.Expr:
        if len(total.limits) != 1:
            return total
        var = total.limits[0][0]
        constant, varying = total.function.as_independent(var, as_Add=False)
        if constant == 1:
            return total
        return constant * sp.Sum(varying, *total.limits)

    return e.replace(lambda x: isinstance(x, sp.Sum), pull)


def _merge_sums(e: sp.Expr) -> sp.Expr:
    """Σ_k f(k) − Σ_k g(k) → Σ_k (f(k) − g(k)) for sums over the same range, so
    the canonical forms see the bodies side by side (linearity of the sum)."""
    buckets: dict[tuple, list[sp.Expr]] = {}
    rest: list[sp.Expr] = []
    for term in sp.Add.make_args(sp.expand_mul(e) if e.is_Mul else e):
        coeff, body = term.as_independent(sp.Sum, as_Add=False)
        if isinstance(body, sp.Sum) and not (coeff.free_symbols & set(body.variables)):
            buckets.setdefault(body.limits, []).append(coeff * body.function)
        else:
            rest.append(term)
    if not any(len(bodies) > 1 for bodies in buckets.values()):
        return e
    merged = [sp.Sum(sp.Add(*bodies), *limits) for limits, bodies in buckets.items()]
    return sp.Add(*rest, *merged)


def _resolve_deltas(e: sp.Expr, domain: Domain) -> sp.Expr:
    """Kronecker deltas the domain decides: δ(q, j) = 0 in a case q ≠ j, and
    Σ_{k=1}^{m} f(k)·δ(k, j) = f(j) for an index j declared to run over 1..m.
    Exact under the declared ranges; lets a sized identity be proved for every m."""
    apart = {frozenset((a.name, b.name)) for a, b in _distinct_pairs(domain, _symbols_of(e))}
    ranges = {s.name: bound for s, bound in domain.indices.items()}

    def delta_value(node: sp.Basic) -> sp.Basic:
        names = {getattr(a, "name", None) for a in node.args}
        return sp.Integer(0) if frozenset(names) in apart else node

    def collapse(total: sp.Sum) -> sp.Expr:
        body, (var, lo, hi) = total.function, total.limits[0]
        if len(total.limits) != 1 or lo != 1:
            return total
        kept, picked = [], []
        for term in sp.Add.make_args(sp.expand_mul(body)):
            other = _delta_partner(term, var)
            if other is not None and ranges.get(other.name) == hi:
                picked.append((term / sp.KroneckerDelta(var, other)).xreplace({var: other}))
            else:
                kept.append(term)
        if not picked:
            return total
        return sp.Add(*picked) + (sp.Sum(sp.Add(*kept), (var, lo, hi)) if kept else 0)

    def visit(node: sp.Basic) -> sp.Basic:
        if not node.args:
            return node
        node = node.func(*[visit(a) for a in node.args])
        if isinstance(node, sp.KroneckerDelta):
            return delta_value(node)
        if isinstance(node, sp.Sum):
            return collapse(node)
        return node

    return _limited(lambda: visit(e), 0.3) or e


def _delta_partner(term: sp.Expr, var: sp.Symbol) -> sp.Symbol | None:
    """In a product containing δ(var, j) (either order), the symbol j."""
    for factor in sp.Mul.make_args(term):
        if isinstance(factor, sp.KroneckerDelta) and var in factor.args:
            other = factor.args[0] if factor.args[1] == var else factor.args[1]
            if isinstance(other, sp.Symbol) and other != var:
                return other
    return None


def _symbols_of(e: sp.Expr) -> set[sp.Symbol]:
    return {s for s in e.free_symbols if isinstance(s, sp.Symbol)}


def _prove_instances(
    built: list[_Instance], probes: list[_ProbeResult], described: str, clock: _Clock
) -> Decision:
    unproved = 0
    for i, inst in enumerate(built):
        per = _Clock(max(clock.left(), 0) / (len(built) - i))
        if _undefined(inst.lhs) or _undefined(inst.rhs):
            unproved += 1
            continue
        if inst.lhs == inst.rhs or _prove_zero(inst.lhs - inst.rhs, inst, per):
            continue
        late = _adaptive_refute(inst, probes[i].agreed_points[:1], per)
        if late is not None:
            return _refutation(inst, late, clock, shrink=False)
        unproved += 1
    if unproved == 0:
        return Decision(
            "bounded",
            f"instantiated {described}",
            message=f"proved for every instance: {described}",
        )
    points = sum(len(p.agreed_points) for p in probes)
    if points == 0:
        return Decision("undecided", "no valid point", message="no instance could be sampled")
    msg = (
        f"{len(built) - unproved} of {len(built)} instances ({described}) proved; "
        f"the rest agree at {points} points to {DPS} digits; not proved"
    )
    return Decision("numeric", f"numeric {points} points, {described}", message=msg)


def _instance_plan(shape: _Shape, domain: Domain) -> tuple[list[dict[sp.Symbol, int]], str]:
    """Every (size, index) assignment to check, respecting q ≠ j cases; and its description."""
    size_syms = sorted(shape.sizes, key=lambda s: s.name)
    idx_syms = sorted(shape.indices, key=lambda s: s.name)
    apart = _distinct_pairs(domain, set(idx_syms))
    plan: list[dict[sp.Symbol, int]] = []
    ranges = [range(lo, hi + 1) for lo, hi in (shape.sizes[s] for s in size_syms)]
    covered: dict[sp.Symbol, list[int]] = {s: [] for s in size_syms}
    for size_values in itertools.product(*ranges):
        sizes = dict(zip(size_syms, size_values, strict=True))
        idx_ranges = [range(1, _size_value(shape.indices[i], sizes) + 1) for i in idx_syms]
        assignments = [
            dict(zip(idx_syms, vals, strict=True)) for vals in itertools.product(*idx_ranges)
        ]
        assignments = [a for a in assignments if all(a[p] != a[q] for p, q in apart)]
        if not assignments:
            continue  # e.g. q ≠ j is impossible for m = 1
        if len(plan) + len(assignments) > MAX_INSTANCES:
            break
        plan += [{**sizes, **a} for a in assignments]
        for s, v in sizes.items():
            covered[s].append(v)
    parts = [f"{s}={min(v)}..{max(v)}" for s, v in covered.items() if v]
    if idx_syms:
        parts.append(
            "all index values"
            + (" with " + ", ".join(f"{p} ≠ {q}" for p, q in apart) if apart else "")
        )
    return plan, ", ".join(parts)


def _size_value(size: Any, sizes: dict[sp.Symbol, int]) -> int:
    if isinstance(size, sp.Symbol):
        return sizes.get(size, DEFAULT_SIZES[1])
    return int(size)


def _distinct_pairs(domain: Domain, indices: set[sp.Symbol]) -> list[tuple[sp.Symbol, sp.Symbol]]:
    by_name = {s.name: s for s in indices}
    pairs = []
    for c in domain.cases:
        if isinstance(c, sp.Ne) and all(isinstance(a, sp.Symbol) for a in c.args):
            a, b = (by_name.get(x.name) for x in c.args)
            if a is not None and b is not None:
                pairs.append((a, b))
    return pairs


def _instantiate(
    lhs: sp.Expr,
    rhs: sp.Expr,
    values: dict[sp.Symbol, int],
    domain: Domain,
    rng: random.Random,
    clock: _Clock,
) -> _Instance | None:
    sub = {s: sp.Integer(v) for s, v in values.items()}
    lim = _Clock(max(clock.left(), 1.0))  # instantiating is needed even when the budget is spent
    done_l = _doit(_unroll(lhs.xreplace(sub)), lim)
    done_r = _doit(_unroll(rhs.xreplace(sub)), lim)
    if done_l is None or done_r is None:
        return None
    fixed = {s.name: str(v) for s, v in values.items()}
    by_name = {s.name: v for s, v in sub.items()}
    constraints = [
        c.xreplace(
            {s: by_name[s.name] for s in c.free_symbols if getattr(s, "name", None) in by_name}
        )
        for c in domain.constraints
    ]
    return _Instance.build(done_l, done_r, domain, fixed, rng, constraints=constraints)


# ---------------------------------------------------------------------------
# Equation chains
# ---------------------------------------------------------------------------


def _decide_implication(
    inst: _Instance, domain: Domain, rng: random.Random, clock: _Clock
) -> Decision:
    premise, conclusion = inst.lhs, inst.rhs  # residuals a - b and c - d
    if _prove_zero(conclusion, inst, clock.share(0.2)):
        return Decision("proved", "implies", message="the conclusion holds identically")
    forward = _follows(premise, conclusion, inst, domain, clock)
    if forward:
        backward = _follows(conclusion, premise, inst, domain, clock)
        if backward:
            return Decision("proved", "equivalent", message=f"equivalence ({forward})")
        converse = _solution_counterexample(conclusion, premise, inst, rng, clock)
        note = "the converse fails" + (f" at {_fmt_point(converse[0])}" if converse else "")
        return Decision(
            "proved",
            "implies",
            message=f"implication only (e.g. squaring both sides): {note} ({forward})",
        )
    numeric_rng = random.Random()
    numeric_rng.setstate(rng.getstate())  # the numeric search draws the same points every run
    found = _solution_counterexample(premise, conclusion, inst, rng, clock)
    if found is None and not inst.agreed_on_premise:
        found = _numeric_counterexample(premise, conclusion, inst, numeric_rng, clock)
    if found is not None:
        point, values, *where = found
        shown = where[0] if where else _fmt_point(point)
        msg = f"the premise holds at {shown} but the conclusion does not"
        residual = _or(
            _limited(lambda: sp.simplify(conclusion), SIMPLIFY_RESIDUAL_SECONDS), conclusion
        )
        return Decision(
            "refuted",
            "confirmed counterexample",
            counterexample=point,
            values=values,
            residual=residual,
            message=msg,
        )
    if inst.agreed_on_premise:
        n = inst.agreed_on_premise
        return Decision(
            "numeric",
            f"numeric {n} points",
            message=f"the conclusion holds at {n} points of the premise; not proved",
        )
    return Decision(
        "undecided", "no proof", message="could not solve the premise or prove the step"
    )


def _follows(
    premise: sp.Expr, conclusion: sp.Expr, inst: _Instance, domain: Domain, clock: _Clock
) -> str | None:
    """Why premise = 0 implies conclusion = 0, or None."""
    factor = _limited(lambda: _canon(conclusion / premise), min(clock.left(), 1.0))
    if factor is not None and factor != 0 and not factor.has(sp.nan, sp.zoo):
        _, den = sp.fraction(factor)
        if _nonzero_on(den, domain):
            return "proportional residuals"
    for var in _solve_order(premise, inst):
        if clock.left() <= 0:
            break
        sols = _limited(lambda v=var: _solution_superset(premise, v), min(clock.left(), 1.0))
        if not sols:
            continue
        if all(_prove_zero(conclusion.xreplace({var: s}), inst, clock.share(0.3)) for s in sols):
            return f"solved for {var}"
    return None


def _nonzero_on(e: sp.Expr, domain: Domain) -> bool:
    if e.is_number:
        return e != 0
    if e.is_nonzero:
        return True
    factors = sp.Mul.make_args(e)
    if len(factors) > 1:
        return all(_nonzero_on(f, domain) for f in factors)
    if isinstance(e, sp.Pow) and e.exp.is_positive:
        return _nonzero_on(e.base, domain)
    if isinstance(e, sp.Symbol):
        dom = _domain_by_name(domain).get(e.name, REAL)
        return dom.kind in ("interval", "integer", "values") and not dom.contains(Fraction(0))
    return False


def _solve_order(premise: sp.Expr, inst: _Instance) -> list[sp.Symbol]:
    syms = [s for s in inst.variables if s in premise.free_symbols]
    return sorted(syms, key=lambda s: (premise.count(s), s.name))


def _solution_superset(residual: sp.Expr, var: sp.Symbol) -> list[sp.Expr] | None:
    """A finite list containing every solution of residual = 0 in var, or None."""
    dom = sp.S.Reals if var.is_real else sp.S.Complexes
    sol = sp.solveset(residual, var, dom)
    while isinstance(sol, sp.Intersection | sp.Complement):
        finite = [a for a in sol.args if isinstance(a, sp.FiniteSet)]
        if isinstance(sol, sp.Complement):
            finite = [sol.args[0]] if isinstance(sol.args[0], sp.FiniteSet) else []
        if not finite:
            return None
        sol = finite[0]
    return list(sol) if isinstance(sol, sp.FiniteSet) else None


def _solution_counterexample(
    premise: sp.Expr, conclusion: sp.Expr, inst: _Instance, rng: random.Random, clock: _Clock
) -> tuple[dict[str, str], dict[str, str]] | None:
    """A domain point where premise = 0 holds (exactly, to 60 digits) and conclusion ≠ 0."""
    lim = _Clock(max(clock.left(), 1.5))
    for var in _solve_order(premise, inst):
        sols = _limited(lambda v=var: sp.solve(premise, v), min(lim.left(), 1.0)) or []
        sols = [s for s in sols if isinstance(s, sp.Expr)]
        if not sols:
            continue
        agreed = inst.agreed_on_premise
        for point in inst.space.points(rng, PROBE_POINTS):
            for sol in sols:
                found = _check_solution_point(premise, conclusion, inst, var, sol, point)
                if found is not None:
                    return found
            if lim.left() <= 0:
                return None
        if inst.agreed_on_premise > agreed:
            return None
        # no solution for this variable landed in the domain: solve for the next one
    return None


def _check_solution_point(premise, conclusion, inst, var, sol, point):
    sub = {s: sp.Rational(v.numerator, v.denominator) for s, v in point.values.items() if s != var}
    value = _limited(lambda: sp.simplify(sol.xreplace(sub)), 0.5)
    if value is None or value.free_symbols or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    approx = _evalf(value)
    if approx is None or abs(sp.im(approx)) > 0 or not _in_domain(var, approx, inst):
        return None
    full = {**sub, var: value}
    p_val = _evalf(premise.xreplace(full))
    c_val = _evalf(conclusion.xreplace(full))
    if p_val is None or c_val is None or abs(p_val) > 1e-40:
        return None
    if abs(c_val) > 1e-30:
        where = {s.name: str(v) for s, v in sorted(full.items(), key=lambda kv: kv[0].name)}
        return where, {"premise residual": "0", "conclusion residual": _fmt_number(c_val)}
    inst.agreed_on_premise += 1
    return None


def _in_domain(var: sp.Symbol, approx: sp.Expr, inst: _Instance) -> bool:
    dom = inst.space.domains.get(var, REAL)
    if dom.kind in ("values", "integer"):
        return False  # irrational solutions of integer variables are not points of the domain
    real = sp.Rational(sp.re(approx))
    frac = Fraction(int(real.p), int(real.q))
    edges = [e for e in (dom.lo, dom.hi) if e is not None]
    if any(abs(frac - e) < Fraction(1, 10**25) for e in edges):
        return False  # too close to an edge to tell
    return dom.contains(frac) and _assumptions_allow(var, frac)


# --- premises SymPy cannot solve: real roots found numerically ----------------------------

ROOT_POINTS = 6  # values of the other variables tried for each solved-for variable
ROOT_DPS = 60  # precision of the root search and the first check
ROOT_CONFIRM_DPS = 100  # precision of the confirmation
ROOT_GRID_STEPS = 48  # grid cells across a bounded interval
ROOT_BRACKETS = 6  # sign changes refined per grid
ROOT_STARTS = 4  # extra starting points (nice values, near-minima of |premise|)
ROOT_OFFSETS = (
    [Fraction(1, 10**k) for k in (6, 4, 3, 2)]
    + [Fraction(k, 8) for k in range(1, 33)]
    + [Fraction(v) for v in (5, 6, 8, 10, 13, 16, 20, 30, 50, 100, 1000)]
)


class _RootProblem:
    """Premise and conclusion residuals, and the magnitudes of their terms, as mpmath
    functions of every variable (evaluated at the current mpmath precision)."""

    def __init__(self, premise: sp.Expr, conclusion: sp.Expr, variables: list[sp.Symbol]):
        scales = [sp.Add(*[sp.Abs(a) for a in sp.Add.make_args(e)]) for e in (premise, conclusion)]
        self.premise, self.conclusion, self.variables = premise, conclusion, variables
        self.fn = sp.lambdify(variables, [premise, conclusion, *scales], modules="mpmath")

    def at(self, values: dict[sp.Symbol, Any]) -> tuple[Any, Any, Any, Any] | None:
        """(premise, conclusion, premise scale, conclusion scale); None where undefined."""
        try:
            out = [mpmath.mpmathify(v) for v in self.fn(*[values[s] for s in self.variables])]
        except Exception:  # noqa: BLE001 - poles, branch errors, untranslatable functions
            return None
        if any(mpmath.isinf(v) or mpmath.isnan(v) for v in out):
            return None
        p, c, ps, cs = out
        return p, c, max(mpmath.mpf(1), abs(ps)), max(mpmath.mpf(1), abs(cs))

    def premise_in(self, var: sp.Symbol, others: dict[sp.Symbol, Fraction]) -> Callable:
        """premise as a function of var alone, the others fixed (raises where undefined)."""

        def g(x: Any) -> Any:
            values = {s: mpmath.mpf(f.numerator) / f.denominator for s, f in others.items()}
            out = self.at({**values, var: x})
            if out is None:
                raise ValueError("premise undefined")
            return out[0]

        return g


def _numeric_counterexample(
    premise: sp.Expr, conclusion: sp.Expr, inst: _Instance, rng: random.Random, clock: _Clock
) -> tuple[dict[str, str], dict[str, str], str] | None:
    """A domain point where premise = 0 holds and conclusion ≠ 0, for a premise SymPy
    could not solve (t e^{-t} = 1 - t): the other variables at domain points, real roots
    of the premise in one continuous variable found with mpmath.  A root counts only when
    the premise changes sign within 10^-60 of it at 100 digits (so an exact root lies
    there) and the conclusion is clearly non-zero on that whole neighbourhood."""
    lim = _Clock(max(clock.left(), 0.5))
    candidates = _root_variables(premise, inst)
    if not candidates or premise.has(AppliedUndef) or conclusion.has(AppliedUndef):
        return None
    problem = _limited(
        lambda: _RootProblem(premise, conclusion, inst.variables), min(lim.left(), 2.0)
    )
    if problem is None:
        return None
    points = list(inst.space.points(rng, ROOT_POINTS))
    for var in candidates:
        dom = inst.space.domains.get(var, REAL)
        for point in points:
            others = {s: v for s, v in point.values.items() if s != var}
            g = problem.premise_in(var, others)
            seen: list[Any] = []
            for root in _root_candidates(g, var, dom, lim):
                if lim.left() <= 0:
                    return None
                if any(abs(root - r) <= mpmath.mpf(10) ** -20 * max(1, abs(r)) for r in seen):
                    continue
                seen.append(root)
                found = _confirm_root(problem, g, var, others, root, inst, lim)
                if found is not None:
                    return _numeric_report(var, others, *found)
            if lim.left() <= 0:
                return None
    return None


def _root_variables(premise: sp.Expr, inst: _Instance) -> list[sp.Symbol]:
    """Premise variables ranging over a continuum that no constraint ties to the others,
    the widest domains first (a root is likeliest to exist there)."""
    space = inst.space
    tied = {s for s, _ in space.dependent}
    tied |= {s for _, f in space.dependent for s in f.free_symbols}
    tied |= {s for members, _ in space.simplex for s in members}

    def bounded_sides(s: sp.Symbol) -> int:
        dom = space.domains.get(s, REAL)
        lo = dom.lo is not None or bool(s.is_nonnegative)
        hi = dom.hi is not None or bool(s.is_nonpositive)
        return int(lo) + int(hi)

    usable = [
        s
        for s in _solve_order(premise, inst)
        if s in space.free
        and s not in tied
        and space.domains.get(s, REAL).kind in ("real", "interval")
        and not s.is_integer
    ]
    return sorted(usable, key=bounded_sides)


def _root_grid(var: sp.Symbol, dom: SymbolDomain) -> list[Fraction]:
    lo, hi = dom.lo, dom.hi
    if var.is_nonnegative and (lo is None or lo < 0):
        lo = Fraction(0)
    if var.is_nonpositive and (hi is None or hi > 0):
        hi = Fraction(0)
    if lo is not None and hi is not None:
        grid = [lo + (hi - lo) * Fraction(k, ROOT_GRID_STEPS) for k in range(ROOT_GRID_STEPS + 1)]
    elif lo is not None:
        grid = [lo] + [lo + o for o in ROOT_OFFSETS]
    elif hi is not None:
        grid = [hi - o for o in reversed(ROOT_OFFSETS)] + [hi]
    else:
        grid = [-o for o in reversed(ROOT_OFFSETS)] + [Fraction(0)] + list(ROOT_OFFSETS)
    return [v for v in grid if dom.contains(v) and _assumptions_allow(var, v)]


def _root_candidates(g: Callable, var: sp.Symbol, dom: SymbolDomain, lim: _Clock) -> Iterator[Any]:
    """Approximate real roots of g at ROOT_DPS digits: bracketed sign changes on a grid
    of the domain first, then secant iterations from a few starting points."""
    grid = _root_grid(var, dom)

    def scan() -> list[tuple[Fraction, Any]]:
        out = []
        with mpmath.workdps(DPS):
            for v in grid:
                try:
                    value = g(mpmath.mpf(v.numerator) / v.denominator)
                except (ValueError, ArithmeticError):
                    continue
                real = _real_value(value)
                if real is not None:
                    out.append((v, real))
        return out

    values = _limited(scan, min(lim.left(), 1.0)) or []
    brackets = [(a, b) for (a, fa), (b, fb) in itertools.pairwise(values) if fa * fb < 0]
    brackets.sort(key=lambda ab: min(abs(ab[0]), abs(ab[1])))  # small roots read best
    exact = [a for a, fa in values if fa == 0]
    nice = [v for v in NICE if dom.contains(v) and _assumptions_allow(var, v)]
    minima = [
        b
        for (_, fa), (b, fb), (_, fc) in zip(values, values[1:], values[2:], strict=False)
        if abs(fb) <= abs(fa) and abs(fb) <= abs(fc)
    ]
    size = dict(values)
    minima.sort(key=lambda v: abs(size[v]))
    starts = list(dict.fromkeys(exact + minima + nice))[:ROOT_STARTS]

    def solve(x0: Any, solvers: tuple[str, ...]) -> Any:
        with mpmath.workdps(ROOT_DPS):
            for solver in solvers:
                root = _limited(
                    lambda s=solver: mpmath.findroot(g, x0, solver=s, verify=False),
                    min(lim.left(), 0.5),
                )
                root = _real_value(root) if root is not None else None
                if root is not None:
                    return root
        return None

    for a, b in brackets[:ROOT_BRACKETS]:
        root = solve((_mp(a), _mp(b)), ("anderson", "illinois"))
        if root is not None:
            yield root
    for x0 in starts:
        root = solve(_mp(x0), ("secant",))
        if root is not None:
            yield root


def _confirm_root(
    problem: _RootProblem,
    g: Callable,
    var: sp.Symbol,
    others: dict[sp.Symbol, Fraction],
    root: Any,
    inst: _Instance,
    lim: _Clock,
) -> tuple[Any, Any] | None:
    """(root, conclusion residual) once confirmed at 100 digits; None otherwise (and an
    agreeing point of the premise counted when the conclusion vanishes there)."""

    def values_at(x: Any) -> tuple[Any, Any, Any, Any] | None:
        fixed = {s: mpmath.mpf(f.numerator) / f.denominator for s, f in others.items()}
        return problem.at({**fixed, var: x})

    with mpmath.workdps(ROOT_DPS):
        if not _in_domain(var, sp.Float(mpmath.nstr(root, ROOT_DPS), ROOT_DPS), inst):
            return None
        out = values_at(root)
        if out is None or _real_value(out[0]) is None:
            return None
        p, c, ps, cs = out
        if abs(p) > mpmath.mpf(10) ** -40 * ps:
            return None
        if abs(c) <= mpmath.mpf(10) ** -20 * cs:
            if abs(c) < mpmath.mpf(10) ** -30 * cs:
                inst.agreed_on_premise += 1
            return None
        eps = mpmath.mpf(10) ** -45 * max(1, abs(root))
        bracket = (root - eps, root + eps)
    if lim.left() <= 0:
        return None
    with mpmath.workdps(ROOT_CONFIRM_DPS + 20):

        def refine() -> Any:
            ends = [values_at(mpmath.mpf(e)) for e in bracket]
            if any(e is None or _real_value(e[0]) is None for e in ends):
                return None
            if _real_value(ends[0][0]) * _real_value(ends[1][0]) >= 0:
                return None
            return mpmath.findroot(g, tuple(mpmath.mpf(e) for e in bracket), solver="anderson")

        fine = _limited(refine, min(lim.left(), 1.0))
        fine = _real_value(fine) if fine is not None else None
        if fine is None:
            return None
        delta = mpmath.mpf(10) ** -60 * max(1, abs(fine))
        around = [values_at(x) for x in (fine - delta, fine, fine + delta)]
        if any(v is None for v in around):
            return None
        p_lo, p_mid, p_hi = (_real_value(v[0]) for v in around)
        if p_lo is None or p_hi is None or p_mid is None:
            return None
        ps = max(v[2] for v in around)
        if abs(p_mid) > mpmath.mpf(10) ** -80 * ps or p_lo * p_hi >= 0:
            return None  # no sign change: no root guaranteed
        if min(abs(p_lo), abs(p_hi)) <= mpmath.mpf(10) ** -90 * ps:
            return None  # the sign change could be rounding noise
        if any(abs(v[1]) <= mpmath.mpf(10) ** -20 * v[3] for v in around):
            return None
        if not _in_domain(var, sp.Float(mpmath.nstr(fine, ROOT_DPS), ROOT_DPS), inst):
            return None
        c_val = around[1][1]
        checked = _limited(
            lambda: _sympy_agrees(problem, var, others, (fine - delta, fine, fine + delta), c_val),
            min(max(lim.left(), 0.2), 1.0),
        )
        return (fine, c_val) if checked else None


def _sympy_agrees(
    problem: _RootProblem,
    var: sp.Symbol,
    others: dict[sp.Symbol, Fraction],
    xs: tuple[Any, Any, Any],
    c_val: Any,
) -> bool:
    """The same verdict from SymPy's own evaluation (not the mpmath translation): the
    premise changes sign across the root, the conclusion has the value found."""
    exact = {s: sp.Rational(f.numerator, f.denominator) for s, f in others.items()}
    digits = ROOT_CONFIRM_DPS + 20

    def at(e: sp.Expr, x: Any) -> sp.Expr:
        value = e.xreplace({**exact, var: sp.Float(mpmath.nstr(x, digits), digits)})
        return value.evalf(ROOT_CONFIRM_DPS, strict=True)

    p_lo, p_hi = at(problem.premise, xs[0]), at(problem.premise, xs[2])
    c_here = at(problem.conclusion, xs[1])
    if not (p_lo.is_extended_real and p_hi.is_extended_real) or not c_here.is_number:
        return False
    if p_lo == 0 or p_hi == 0 or (p_lo > 0) == (p_hi > 0):
        return False
    with mpmath.workdps(ROOT_CONFIRM_DPS):
        c_sym = _to_mp(c_here)
        return abs(c_sym - c_val) <= mpmath.mpf(10) ** -60 * max(1, abs(c_val))


def _numeric_report(
    var: sp.Symbol, others: dict[sp.Symbol, Fraction], root: Any, c_val: Any
) -> tuple[dict[str, str], dict[str, str], str]:
    point = {s.name: str(v) for s, v in sorted(others.items(), key=lambda kv: kv[0].name)}
    shown = ", ".join(f"{k} = {v}" for k, v in point.items())
    shown += (", " if shown else "") + (
        f"{var.name} ≈ {mpmath.nstr(root, 5)} "
        f"(root found numerically, confirmed to {ROOT_CONFIRM_DPS} digits)"
    )
    point[var.name] = mpmath.nstr(root, 20)
    values = {
        "premise residual": f"0 (to {ROOT_CONFIRM_DPS} digits)",
        "conclusion residual": mpmath.nstr(c_val, 15),
    }
    return point, values, shown


def _real_value(v: Any) -> Any:
    """v as an mpf when it is real (an exactly zero imaginary part), else None."""
    try:
        v = mpmath.mpmathify(v)
    except (TypeError, ValueError):
        return None
    if isinstance(v, mpmath.mpc):
        return v.real if v.imag == 0 else None
    return v


def _mp(v: Fraction) -> Any:
    return mpmath.mpf(v.numerator) / v.denominator


def _fmt_point(point: dict[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in point.items())


# ---------------------------------------------------------------------------
# Instances and sampling
# ---------------------------------------------------------------------------


@dataclass
class _ProbeResult:
    agreed_points: list[_Point] = field(default_factory=list)
    counterexample: _Point | None = None
    reason: str = ""
    # a point where one side is defined and the other is not, on a neighbourhood
    # too (so not a removable singularity): the sides cannot be equal there
    undefined_at: tuple[_Point, str] | None = None


@dataclass
class _Point:
    values: dict[sp.Symbol, Fraction]

    def exact(self) -> dict[sp.Symbol, sp.Rational]:
        return {s: sp.Rational(v.numerator, v.denominator) for s, v in self.values.items()}

    def printable(self) -> dict[str, str]:
        return {s.name: str(v) for s, v in sorted(self.values.items(), key=lambda kv: kv[0].name)}

    def free_values(self, space: _Space) -> dict[sp.Symbol, Fraction]:
        return {s: self.values[s] for s in space.free}


@dataclass
class _Space:
    """The points to sample: free coordinates, coordinates fixed by linear constraints,
    and families constrained to a simplex (Σ y = c, y ≥ 0)."""

    free: list[sp.Symbol]
    domains: dict[sp.Symbol, SymbolDomain]
    dependent: list[tuple[sp.Symbol, sp.Expr]]
    simplex: list[tuple[list[sp.Symbol], Fraction]]
    unsupported: str = ""  # a constraint we cannot sample on: no refutation possible

    def points(self, rng: random.Random, count: int) -> Iterator[_Point]:
        produced = 0
        for attempt in range(count * 5):
            if produced >= count:
                return
            point = self.complete(self._draw_free(rng, nice=attempt < 2))
            if point is not None:
                produced += 1
                yield point

    def _draw_free(self, rng: random.Random, nice: bool) -> dict[sp.Symbol, Fraction]:
        values: dict[sp.Symbol, Fraction] = {}
        in_simplex = set()
        for members, total in self.simplex:
            weights = [Fraction(rng.randint(1, 64)) for _ in members]
            scale = total / sum(weights)
            values.update({s: w * scale for s, w in zip(members, weights, strict=True)})
            in_simplex.update(members)
        for s in self.free:
            if s not in in_simplex:
                values[s] = _draw(s, self.domains.get(s, REAL), rng, nice or rng.random() < 0.25)
        return values

    def complete(self, free: dict[sp.Symbol, Fraction]) -> _Point | None:
        """Fill in constrained coordinates; None when the point leaves the domain."""
        if self.unsupported:
            return None
        values = {s: v for s, v in free.items() if s in self.free}
        if any(v is None or not self._allows(s, v) for s, v in values.items()):
            return None
        for s, formula in self.dependent:
            exact = formula.xreplace(
                {k: sp.Rational(v.numerator, v.denominator) for k, v in values.items()}
            )
            if not exact.is_Rational:
                return None
            v = Fraction(int(exact.p), int(exact.q))
            if not self._allows(s, v):
                return None
            values[s] = v
        return _Point(values)

    def _allows(self, s: sp.Symbol, v: Fraction) -> bool:
        return self.domains.get(s, REAL).contains(v) and _assumptions_allow(s, v)


@dataclass
class _Instance:
    """One concrete equality to decide: expressions, sampling space, evaluator."""

    lhs: sp.Expr  # for proofs (undefined functions kept symbolic)
    rhs: sp.Expr
    probe_lhs: sp.Expr  # for numbers (undefined functions replaced by concrete ones)
    probe_rhs: sp.Expr
    space: _Space
    variables: list[sp.Symbol]
    fixed: dict[str, str]
    function_text: dict[str, str]
    interval_subs: dict[sp.Symbol, sp.Expr]
    agreed_on_premise: int = 0
    _evaluator: _Evaluator | None = None

    @property
    def evaluator(self) -> _Evaluator:
        if self._evaluator is None:
            self._evaluator = _Evaluator(self.probe_lhs, self.probe_rhs, self.variables)
        return self._evaluator

    @staticmethod
    def build(
        lhs: sp.Expr,
        rhs: sp.Expr,
        domain: Domain,
        fixed: dict[str, str],
        rng: random.Random,
        *,
        constraints: list[sp.Basic] | None = None,
    ) -> _Instance:
        cons = list(domain.constraints if constraints is None else constraints)
        cons = [_or(_limited(lambda c=c: c.doit(), 1.0), c) for c in cons]
        rename = _indexed_symbols([lhs, rhs, *cons], domain)
        lhs, rhs = lhs.xreplace(rename), rhs.xreplace(rename)
        cons = [c.xreplace(rename) for c in cons]
        probe_l, probe_r, text = _concrete_functions(lhs, rhs, rng)
        domains = _domains_for(lhs, rhs, cons, domain)
        space = _build_space(domains, cons, lhs, rhs)
        variables = sorted(domains, key=lambda s: s.name)
        return _Instance(
            lhs,
            rhs,
            probe_l,
            probe_r,
            space,
            variables,
            fixed,
            text,
            _interval_substitutions(domains),
        )


def _indexed_symbols(exprs: list[sp.Basic], domain: Domain) -> dict[sp.Indexed, sp.Symbol]:
    """z[2] -> a plain symbol named "z[2]" carrying what the family's domain implies."""
    doms = _domain_by_name(domain)
    out = {}
    for e in exprs:
        for ix in e.atoms(sp.Indexed):
            if all(i.is_Integer for i in ix.indices):
                dom = doms.get(ix.base.label.name, REAL)
                out[ix] = sp.Symbol(str(ix), **_assumptions_for(dom, ix))
    return out


def _assumptions_for(dom: SymbolDomain, ix: sp.Indexed) -> dict[str, bool]:
    assumptions = {"real": True}
    if dom.kind == "integer" or (
        dom.kind == "values" and all(v.denominator == 1 for v in dom.values)
    ):
        assumptions["integer"] = True
    lo = dom.lo if dom.kind != "values" else min(dom.values, default=None)
    if lo is not None and (lo > 0 or (lo == 0 and dom.lo_open and dom.kind != "values")):
        assumptions["positive"] = True
    elif lo is not None and lo >= 0:
        assumptions["nonnegative"] = True
    if ix.is_positive:
        assumptions["positive"] = True
    return assumptions


def _domains_for(lhs, rhs, cons, domain: Domain) -> dict[sp.Symbol, SymbolDomain]:
    doms = _domain_by_name(domain)
    syms: set[sp.Symbol] = set()
    for e in (lhs, rhs, *cons):
        syms |= {s for s in e.free_symbols if isinstance(s, sp.Symbol)}
    out = {}
    for s in syms:
        family = s.name.split("[", 1)[0] if s.name.endswith("]") else s.name
        out[s] = doms.get(s.name, doms.get(family, REAL))
    return out


def _build_space(domains, cons, lhs, rhs) -> _Space:
    free = sorted(domains, key=lambda s: s.name)
    dependent: list[tuple[sp.Symbol, sp.Expr]] = []
    simplex: list[tuple[list[sp.Symbol], Fraction]] = []
    unsupported = ""
    for c in cons:
        if c is sp.true:
            continue
        if not isinstance(c, sp.Eq):
            unsupported = f"cannot sample on the constraint {c}"
            continue
        resid = (c.lhs - c.rhs).xreplace(dict(dependent))
        if resid == 0:
            continue
        solved = _solve_linear(resid, [s for s in free if s in resid.free_symbols])
        if solved is None:
            unsupported = f"cannot sample on the constraint {c}"
            continue
        dep, formula = solved
        free.remove(dep)
        dependent.append((dep, formula))
        group = _simplex_group(resid, dep, domains)
        if group is not None:
            simplex.append(group)
    return _Space(free, domains, dependent, simplex, unsupported)


def _solve_linear(resid: sp.Expr, candidates: list[sp.Symbol]) -> tuple[sp.Symbol, sp.Expr] | None:
    for s in reversed(candidates):  # the last symbol by name is the one computed
        coeff = sp.expand(resid).coeff(s)
        rest = sp.expand(resid - coeff * s)
        if coeff.is_number and coeff != 0 and s not in rest.free_symbols:
            return s, -rest / coeff
    return None


def _simplex_group(resid, dep, domains) -> tuple[list[sp.Symbol], Fraction] | None:
    """Σ y_i - c with every y_i ≥ 0: sample y by normalising positive weights."""
    poly = sp.expand(resid)
    members = sorted(poly.free_symbols, key=lambda s: s.name)
    if any(poly.coeff(s) != 1 for s in members):
        return None
    total = -poly.subs({s: 0 for s in members})
    if not (total.is_Rational and total > 0):
        return None
    for s in members:
        dom = domains.get(s, REAL)
        if dom.lo is None or dom.lo < 0 or dom.kind not in ("interval", "real"):
            return None
    del dep  # sampled like the others; complete() recomputes it, which closes the sum exactly
    return members, Fraction(int(total.p), int(total.q))


def _interval_substitutions(domains: dict[sp.Symbol, SymbolDomain]) -> dict[sp.Symbol, sp.Expr]:
    """y ∈ (lo, hi) ↦ lo + (hi-lo)·s/(1+s) with s > 0: makes y - lo and hi - y visibly positive."""
    subs = {}
    for sym, dom in domains.items():
        if dom.kind != "interval" or not (dom.lo_open and dom.hi_open):
            continue
        s = sp.Dummy(f"{sym.name}_s", positive=True)
        lo = None if dom.lo is None else sp.Rational(dom.lo.numerator, dom.lo.denominator)
        hi = None if dom.hi is None else sp.Rational(dom.hi.numerator, dom.hi.denominator)
        if lo is not None and hi is not None:
            subs[sym] = lo + (hi - lo) * s / (1 + s)
        elif lo is not None:
            subs[sym] = lo + s
        elif hi is not None:
            subs[sym] = hi - s
    return subs


def _concrete_functions(lhs: sp.Expr, rhs: sp.Expr, rng: random.Random):
    """Undefined f(x) -> a concrete seeded function for probing: a counterexample with one
    particular f refutes a claim about every f."""
    funcs = sorted({a.func for e in (lhs, rhs) for a in e.atoms(AppliedUndef)}, key=str)
    if not funcs:
        return lhs, rhs, {}
    text: dict[str, str] = {}
    probe_l, probe_r = lhs, rhs
    for f in funcs:
        arity = next(len(a.args) for e in (lhs, rhs) for a in e.atoms(AppliedUndef) if a.func == f)
        ts = sp.symbols(f"t1:{arity + 1}", real=True)
        c = [Fraction(rng.randint(1, 6), rng.choice((1, 2, 3))) for _ in range(3)]
        body = sum(sp.Rational(c[0].numerator, c[0].denominator) * t + t**2 / 2 for t in ts)
        body += sp.exp(sp.Rational(c[1].numerator, c[1].denominator) * ts[0]) / 3 + sp.prod(ts)
        lam = sp.Lambda(ts, body)
        text[f"{f}({', '.join(t.name for t in ts)})"] = sp.sstr(body)
        probe_l = _replace_function(probe_l, f, lam)
        probe_r = _replace_function(probe_r, f, lam)
    return probe_l, probe_r, text


def _replace_function(e: sp.Expr, f: Any, lam: sp.Lambda) -> sp.Expr:
    replaced = e.replace(
        lambda a: isinstance(a, AppliedUndef) and a.func == f, lambda a: lam(*a.args)
    )
    return _or(_limited(lambda: replaced.doit(), 2.0), replaced)


def _draw(sym: sp.Symbol, dom: SymbolDomain, rng: random.Random, nice: bool) -> Fraction | None:
    """One value for sym inside dom and its SymPy assumptions; nice values preferred if asked."""
    if nice:
        options = [v for v in NICE if dom.contains(v) and _assumptions_allow(sym, v)]
        if dom.kind == "values":
            options = list(dom.values)
        if options:
            return rng.choice(options)
    for _ in range(30):
        v = _draw_raw(sym, dom, rng)
        if dom.contains(v) and _assumptions_allow(sym, v):
            return v
    return None


def _draw_raw(sym: sp.Symbol, dom: SymbolDomain, rng: random.Random) -> Fraction:
    if dom.kind == "values":
        return rng.choice(dom.values)
    lo, hi = dom.lo, dom.hi
    if sym.is_nonnegative and (lo is None or lo < 0):
        lo = Fraction(0)
    if sym.is_nonpositive and (hi is None or hi > 0):
        hi = Fraction(0)
    if dom.kind == "integer" or sym.is_integer:
        low = int(lo) if lo is not None else (hi - 6 if hi is not None else -4)
        high = int(hi) if hi is not None else low + 8
        return Fraction(rng.randint(int(low), int(high)))
    if lo is None and hi is None:
        lo, hi = Fraction(-3), Fraction(3)
    elif hi is None:
        hi = lo + 3
    elif lo is None:
        lo = hi - 3
    return lo + (hi - lo) * Fraction(rng.randint(1, 191), 192)


def _assumptions_allow(sym: sp.Symbol, v: Fraction) -> bool:
    checks = (
        (sym.is_positive, v > 0),
        (sym.is_nonnegative, v >= 0),
        (sym.is_negative, v < 0),
        (sym.is_nonpositive, v <= 0),
        (sym.is_nonzero, v != 0),
        (sym.is_integer, v.denominator == 1),
        (sym.is_even, v.denominator == 1 and v.numerator % 2 == 0),
        (sym.is_odd, v.denominator == 1 and v.numerator % 2 == 1),
    )
    return all(ok for assumed, ok in checks if assumed)


def _probe(inst: _Instance, rng: random.Random) -> _ProbeResult:
    """Refute-first: evaluate both sides at domain points; confirm any difference."""
    result = _ProbeResult()
    if inst.space.unsupported:
        result.reason = inst.space.unsupported
        return result
    evaluator = inst.evaluator
    half_defined: list[_Point] = []
    for point in inst.space.points(rng, PROBE_TRIES):
        values = evaluator(point)
        if values is None:
            half_defined.append(point)
            continue  # a singularity of either side: not a counterexample by itself
        if not _differ(*values):
            result.agreed_points.append(point)
        elif _confirmed_here_and_nearby(inst, point):
            result.counterexample = point
            return result
        if len(result.agreed_points) >= PROBE_POINTS:
            break
    if not result.agreed_points:
        result.undefined_at = next(
            (found for p in half_defined[:3] if (found := _one_side_undefined(inst, p))), None
        )
    return result


def _one_side_undefined(inst: _Instance, point: _Point) -> tuple[_Point, str] | None:
    """(point, side) when exactly one side is undefined at the exact point and at
    a neighbour as well; a value set such as y ∈ {0, 1} has no neighbours, so a
    division by y there is a genuine failure, not a removable singularity."""
    defined = [_exact_value(side, point.exact()) is not None for side in (inst.lhs, inst.rhs)]
    if defined.count(True) != 1:
        return None
    side = "right" if defined[0] else "left"
    undefined_side = inst.rhs if defined[0] else inst.lhs
    near = _nearby(inst.space, point)
    if near is not None and near.values != point.values:
        if _exact_value(undefined_side, near.exact()) is not None:
            return None
    return point, side


def _exact_value(side: sp.Expr, exact: dict) -> sp.Expr | None:
    value = _limited(lambda: side.xreplace(exact).evalf(CONFIRM_DPS), 1.0)
    if value is None or not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return value


def _undefined_refutation(inst: _Instance, found: tuple[_Point, str]) -> Decision:
    point, side = found
    counter = dict(inst.fixed)
    counter.update(point.printable())
    other = inst.lhs if side == "right" else inst.rhs
    value = _exact_value(other, point.exact())
    where = ", ".join(f"{k} = {v}" for k, v in counter.items())
    shown = _fmt_number(value) if value is not None else "?"
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
        "refuted", "undefined side", counterexample=counter, values=values, message=message
    )


def _confirmed_here_and_nearby(inst: _Instance, point: _Point) -> bool:
    if _confirm(inst.probe_lhs, inst.probe_rhs, point.exact()) is None:
        return False
    near = _nearby(inst.space, point)
    if near is None:
        return True
    values = inst.evaluator(near)
    return values is None or _differ(*values)  # a singular neighbour is no evidence either way


def _nearby(space: _Space, point: _Point) -> _Point | None:
    step = Fraction(1, 2**20)
    for sign in (1, -1):
        moved = {}
        for s in space.free:
            v = point.values[s]
            dom = space.domains.get(s, REAL)
            continuous = dom.kind in ("real", "interval") and not s.is_integer
            moved[s] = v + sign * step if continuous else v
        near = space.complete(moved)
        if near is not None and all(
            space.domains.get(s, REAL).contains(v) and _assumptions_allow(s, v)
            for s, v in near.values.items()
        ):
            return near
    return None


def _adaptive_refute(inst: _Instance, points: list[_Point], clock: _Clock) -> _Point | None:
    """Differences below 30 digits (e^{π√163} vs an integer): adaptive evalf raises its
    working precision on cancellation, so a non-zero result is significant."""
    diff = inst.probe_lhs - inst.probe_rhs
    for point in points:
        if clock.left() <= 0:
            return None
        value = _limited(lambda p=point: diff.xreplace(p.exact()).evalf(DPS, maxn=400), 0.5)
        if value is None or not value.is_number or value == 0:
            continue
        if value.is_Float and value._prec < 20:  # e.g. 0.e-383: zero to working precision
            continue
        if _confirm(inst.probe_lhs, inst.probe_rhs, point.exact(), rel=mpmath.mpf(10) ** -55):
            return point
    return None


# ---------------------------------------------------------------------------
# Evaluation helpers
# ---------------------------------------------------------------------------


class _Evaluator:
    """Both sides at a point, mpmath at DPS digits, complex; None where either is undefined."""

    def __init__(self, lhs: sp.Expr, rhs: sp.Expr, variables: list[sp.Symbol]):
        self.lhs, self.rhs, self.variables = lhs, rhs, variables
        self.compiled = _limited(lambda: sp.lambdify(variables, [lhs, rhs], modules="mpmath"), 5.0)

    def __call__(self, point: _Point) -> tuple[Any, Any] | None:
        with mpmath.workdps(DPS):
            if self.compiled is not None:
                try:
                    args = [
                        mpmath.mpf(point.values[s].numerator) / point.values[s].denominator
                        for s in self.variables
                    ]
                    return _finite_pair(self.compiled(*args))
                except (ArithmeticError, ValueError):
                    return None  # a pole or a value outside every branch: undefined here
                except Exception:  # noqa: BLE001 - untranslatable function: fall back to evalf
                    pass
            return self._by_evalf(point)

    def _by_evalf(self, point: _Point) -> tuple[Any, Any] | None:
        exact = point.exact()
        out = []
        for side in (self.lhs, self.rhs):
            value = _limited(lambda s=side: s.xreplace(exact).evalf(DPS), 1.0)
            if value is None or not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                return None
            try:
                out.append(_to_mp(value))
            except (TypeError, ValueError, AttributeError):
                return None
        return _finite_pair(out)


def _finite_pair(values: Any) -> tuple[Any, Any] | None:
    try:
        a, b = (mpmath.mpmathify(v) for v in values)
    except (TypeError, ValueError):
        return None
    if any(mpmath.isinf(v) or mpmath.isnan(v) for v in (a, b)):
        return None
    return a, b


def _differ(a: Any, b: Any, rel: Any = REL_TOL) -> bool:
    scale = max(mpmath.mpf(1), abs(a), abs(b))
    return abs(a - b) > rel * scale


def _confirm(lhs: sp.Expr, rhs: sp.Expr, exact: dict, rel: Any = CONFIRM_TOL) -> tuple | None:
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

    pair = _limited(evaluate, 2.0)
    if pair is None or not all(v.is_number for v in pair):
        return None
    with mpmath.workdps(CONFIRM_DPS + 10):
        try:
            a, b = (_to_mp(v) for v in pair)
        except (TypeError, ValueError):
            return None
        if any(mpmath.isinf(v) or mpmath.isnan(v) for v in (a, b)) or not _differ(a, b, rel):
            return None
    return pair[0], pair[1]


def _to_mp(v: sp.Expr) -> Any:
    re, im = v.as_real_imag()
    prec = mpmath.mp.prec
    return mpmath.mpc(sp.Float(re)._to_mpmath(prec), sp.Float(im)._to_mpmath(prec))


def _evalf(e: sp.Expr) -> sp.Expr | None:
    value = _limited(lambda: e.evalf(CONFIRM_DPS), 1.0)
    if value is None or not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return value


def _fmt_number(v: Any, digits: int = 15) -> str:
    re, im = _as_expr(v).as_real_imag()
    text = mpmath.nstr(sp.Float(re, digits + 5)._to_mpmath(240), digits)
    if im != 0:
        text += f" + {mpmath.nstr(sp.Float(im, digits + 5)._to_mpmath(240), digits)}i"
    return text


def _fmt_pair(lv: Any, rv: Any) -> dict[str, str]:
    """15 significant digits, more when that is needed to show the difference."""
    for digits in (15, 20, 30, 45, 60):
        pair = {"lhs": _fmt_number(lv, digits), "rhs": _fmt_number(rv, digits)}
        if pair["lhs"] != pair["rhs"]:
            break
    return pair


def _unroll(e: sp.Basic) -> sp.Basic:
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
            inner = _unroll(e.func(e.function, e.limits[0]))
            return _unroll(e.func(inner, *e.limits[1:]))
        return e.func(_unroll(e.function), *e.limits)
    args = [_unroll(a) for a in e.args]
    if isinstance(e, (sp.Sum, sp.Product)) and len(e.limits) == 1:
        body = args[0]
        (var, lo, hi) = e.limits[0]
        if lo.is_Integer and hi.is_Integer and int(hi) - int(lo) < 64:
            terms = [body.xreplace({var: sp.Integer(v)}) for v in range(int(lo), int(hi) + 1)]
            return sp.Add(*terms) if isinstance(e, sp.Sum) else sp.Mul(*terms)
    if isinstance(e, (sp.Sum, sp.Product)):
        return e.func(args[0], *e.limits)
    return e.func(*args)


def _doit(e: sp.Expr, clock: _Clock, floor: float = 1.0) -> sp.Expr | None:
    """e.doit() within the clock; `floor` seconds are granted even when the clock
    has run out, because instantiating is needed to reach any verdict."""
    if not e.has(sp.Derivative, sp.Subs, sp.Sum, sp.Product, sp.Integral):
        return e
    return _limited(lambda: e.doit(), max(clock.left(), floor))


def _apply_cases(lhs: sp.Expr, rhs: sp.Expr, domain: Domain) -> tuple[sp.Expr, sp.Expr]:
    """A case q = j means the same index: substitute before anything else."""
    for case in domain.cases:
        if isinstance(case, sp.Eq) and isinstance(case.lhs, sp.Symbol):
            for old in lhs.free_symbols | rhs.free_symbols:
                if isinstance(old, sp.Symbol) and old.name == case.lhs.name:
                    lhs, rhs = lhs.xreplace({old: case.rhs}), rhs.xreplace({old: case.rhs})
    return lhs, rhs


def _rename_bound_pair(lhs: sp.Expr, rhs: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """Σ_k f(k) and Σ_j f(j): give bound indices canonical names so the two compare equal."""
    avoid = {s.name for e in (lhs, rhs) for s in e.free_symbols if isinstance(s, sp.Symbol)}
    names = [n for n in ("k", "l", "r", "s", "u", "v", "w") if n not in avoid]
    names += [f"k_{i}" for i in range(1, 20) if f"k_{i}" not in avoid]
    return _rename_bound(lhs, names, 0), _rename_bound(rhs, names, 0)


def _rename_bound(e: sp.Basic, names: list[str], offset: int) -> sp.Basic:
    if isinstance(e, sp.Sum | sp.Product):
        mapping: dict[sp.Symbol, sp.Symbol] = {}
        limits = []
        for n, (var, *bounds) in enumerate(e.limits):
            new = sp.Symbol(names[min(offset + n, len(names) - 1)], integer=True)
            limits.append((new, *(b.xreplace(mapping) for b in bounds)))
            mapping[var] = new
        body = _rename_bound(e.function.xreplace(mapping), names, offset + len(e.limits))
        return e.func(body, *limits)
    if not e.args or not e.has(sp.Sum, sp.Product):
        return e
    return e.func(*(_rename_bound(a, names, offset) for a in e.args))


def _or(value: Any, default: Any) -> Any:
    """value unless it is None (SymPy's 0 is falsy, so ``value or default`` would be wrong)."""
    return default if value is None else value


def _as_expr(value: Any) -> sp.Expr:
    # numbers only; never strings (the engine evaluates no text)
    if isinstance(value, int):
        return sp.Integer(value)
    if isinstance(value, Fraction):
        return sp.Rational(value.numerator, value.denominator)
    return value


def _domain_by_name(domain: Domain) -> dict[str, SymbolDomain]:
    return {s.name: d for s, d in domain.symbols.items()}


# ---------------------------------------------------------------------------
# Time limits
# ---------------------------------------------------------------------------


class _OutOfTime(BaseException):
    """Raised asynchronously in the working thread at a soft limit (BaseException: SymPy's
    ``except Exception`` blocks must not swallow it)."""


class _Clock:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def share(self, fraction: float) -> _Clock:
        return _Clock(max(self.left(), 0.0) * fraction)


def _limited(fn: Callable[[], Any], seconds: float) -> Any:
    """fn() or None when it raised or ran longer than seconds."""
    if seconds <= 0:
        return None
    try:
        with _time_limit(seconds):
            return fn()
    except _OutOfTime:
        return None
    except Exception:  # noqa: BLE001 - SymPy raises anything (StopIteration, PolynomialError, ...)
        return None
    except RecursionError:
        return None


# Own prototypes (not argtypes on the shared ctypes.pythonapi attribute other modules use).
_set_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _set_async_exc(thread_id, _OutOfTime)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            if state["fired"]:  # fired but maybe not delivered yet: withdraw it
                _clear_async_exc(thread_id, None)
        timer.cancel()
