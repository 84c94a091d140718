"""Equation chains: does every domain point satisfying the premise satisfy the conclusion?

Proved when the conclusion's residual is a multiple of the premise's, or
vanishes at every solution of the premise; refuted at a solution of the
premise where the conclusion fails: a solution from SymPy, or, for premises
SymPy cannot solve, a real root found with mpmath and confirmed at 100 digits.

With sums up to a size (Σ_{i=1}^{n}) or free indices, a size is never sampled
as a real number: the implication is proved for every size at once, or decided
for each size and index value in range (``decide_structured_implication``).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp

from ..domain import REAL, Domain, SymbolDomain
from .decision import Decision
from .evaluate import DPS, evalf, fmt_number, to_mp
from .evidence import shortest, unknown_meaning
from .forms import domain_by_name
from .limits import Clock, limited
from .meaning import has_unknown
from .proof import canon, free_of, prove_zero
from .sampling import NICE, PROBE_POINTS, Instance, assumptions_allow, mp_value, visibly_nonzero
from .sizes import Shape, instance_plan, instantiate
from .tape import compile_numeric

IMPLICATION_INSTANCES = 12  # (size, index) instances an implication is decided on
SYMBOLIC_SHARE = 0.3  # of the budget, for the proof for every size at once


def decide_structured_implication(
    premise: sp.Expr, conclusion: sp.Expr, shape: Shape, domain: Domain, seed: int, clock: Clock
) -> Decision:
    """premise = 0 ⇒ conclusion = 0 with sized sums or free indices: a proof for
    every size at once, else every instance in range (→ bounded), refuted at the
    first instance with a counterexample."""
    rng = random.Random(seed)
    symbolic = Instance.build(premise, conclusion, domain, {}, random.Random(seed))
    proof = decide_implication(symbolic, domain, rng, clock.share(SYMBOLIC_SHARE), refute=False)
    if proof.verdict == "proved":
        proof.message = f"{proof.message}; for every size".lstrip("; ")
        return proof
    plan, described = instance_plan(shape, domain, IMPLICATION_INSTANCES)
    if not plan:
        return Decision("undecided", "no instance", message="no size/index combination is possible")
    decisions: list[Decision] = []
    for position, values in enumerate(plan):
        per = Clock(max(clock.left(), 0.0) / (len(plan) - position))
        inst = instantiate(premise, conclusion, values, domain, rng, per)
        if inst is None:
            return Decision(
                "undecided", "timeout", message=f"ran out of time instantiating {described}"
            )
        decision = decide_implication(inst, domain, rng, per)
        if decision.verdict == "refuted":
            if decision.counterexample is not None:
                decision.counterexample = {**inst.fixed, **decision.counterexample}
            at = ", ".join(f"{k} = {v}" for k, v in inst.fixed.items())
            decision.message = f"for {at}: {decision.message}" if at else decision.message
            return decision
        decisions.append(decision)
    verdicts = {d.verdict for d in decisions}
    if verdicts == {"proved"}:
        both = all("equivalen" in d.message for d in decisions)
        kind = "equivalence" if both else "implication"
        message = f"{kind} for every instance: {described}"
        return Decision("bounded", f"instantiated {described}", message=message)
    undecided = [d for d in decisions if d.verdict == "undecided"]
    if undecided:
        return undecided[0]
    return Decision(
        "numeric",
        f"numeric, {described}",
        message=f"every instance ({described}) proved or agreeing at points of the premise; "
        "not proved",
    )


def decide_implication(
    inst: Instance, domain: Domain, rng: random.Random, clock: Clock, *, refute: bool = True
) -> Decision:
    """``refute=False``: proofs only (the instance samples a size as a real number,
    which refutes nothing)."""
    premise, conclusion = inst.lhs, inst.rhs  # residuals a - b and c - d
    holds_identically = not visibly_nonzero(conclusion, inst) and prove_zero(
        conclusion, inst, clock.share(0.2)
    )
    if holds_identically:
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
    if not refute:
        return Decision("undecided", "no proof", message="no proof for every size at once")
    if inst.general.any:
        # a point of the premise where the conclusion fails refutes only when
        # neither equation depends on a name the document never defines
        open_symbols = inst.general.open_symbols
        premise = free_of(inst.probe_lhs, open_symbols, clock)
        conclusion = free_of(inst.probe_rhs, open_symbols, clock)
        if premise is None or conclusion is None:
            return unknown_meaning(inst)
    numeric_rng = random.Random()
    numeric_rng.setstate(rng.getstate())  # the numeric search draws the same points every run
    found = _solution_counterexample(premise, conclusion, inst, rng, clock)
    if found is None and not inst.agreed_on_premise:
        found = _numeric_counterexample(premise, conclusion, inst, numeric_rng, clock)
    if found is not None:
        point, values, *where = found
        shown = where[0] if where else _fmt_point(point)
        msg = f"the premise holds at {shown} but the conclusion does not"
        residual = shortest(conclusion)
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
    premise: sp.Expr, conclusion: sp.Expr, inst: Instance, domain: Domain, clock: Clock
) -> str | None:
    """Why premise = 0 implies conclusion = 0, or None."""
    factor = limited(lambda: canon(conclusion / premise), min(clock.left(), 1.0))
    if factor is not None and factor != 0 and not factor.has(sp.nan, sp.zoo):
        _, den = sp.fraction(factor)
        if _nonzero_on(den, domain):
            return "proportional residuals"
    for var in _solve_order(premise, inst):
        if clock.left() <= 0:
            break
        sols = limited(lambda v=var: _solution_superset(premise, v), min(clock.left(), 1.0))
        if not sols:
            continue
        substituted = limited(
            lambda v=var, sols=sols: [conclusion.xreplace({v: s}) for s in sols], 1.0
        )
        if substituted is None or any(visibly_nonzero(e, inst) for e in substituted):
            continue
        if all(prove_zero(e, inst, clock.share(0.3)) for e in substituted):
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
        dom = domain_by_name(domain).get(e.name, REAL)
        return dom.kind in ("interval", "integer", "values") and not dom.contains(Fraction(0))
    return False


def _solve_order(premise: sp.Expr, inst: Instance) -> list[sp.Symbol]:
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
    premise: sp.Expr, conclusion: sp.Expr, inst: Instance, rng: random.Random, clock: Clock
) -> tuple[dict[str, str], dict[str, str]] | None:
    """A domain point where premise = 0 holds (exactly, to 60 digits) and conclusion ≠ 0."""
    lim = Clock(max(clock.left(), 1.5))
    for var in _solve_order(premise, inst):
        sols = limited(lambda v=var: sp.solve(premise, v), min(lim.left(), 1.0)) or []
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
    value = limited(lambda: sp.simplify(sol.xreplace(sub)), 0.5)
    if value is None or value.free_symbols or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    approx = evalf(value)
    if approx is None or not _real_number(approx) or not _in_domain(var, approx, inst):
        return None
    full = {**sub, var: value}
    p_val = limited(lambda: evalf(premise.xreplace(full)), 2.0)
    c_val = limited(lambda: evalf(conclusion.xreplace(full)), 2.0)
    if p_val is None or c_val is None or not (p_val.is_number and c_val.is_number):
        return None
    if abs(p_val) > 1e-40:
        return None
    if abs(c_val) > 1e-30:
        where = {s.name: str(v) for s, v in sorted(full.items(), key=lambda kv: kv[0].name)}
        return where, {"premise residual": "0", "conclusion residual": fmt_number(c_val)}
    inst.agreed_on_premise += 1
    return None


def _real_number(approx: sp.Expr) -> bool:
    """A number with no imaginary part (an unevaluated sum is not one)."""
    imaginary = sp.im(approx)
    return bool(approx.is_number and imaginary.is_Number and imaginary == 0)


def _in_domain(var: sp.Symbol, approx: sp.Expr, inst: Instance) -> bool:
    dom = inst.space.domains.get(var, REAL)
    if dom.kind in ("values", "integer"):
        return False  # irrational solutions of integer variables are not points of the domain
    real = sp.Rational(sp.re(approx))
    frac = Fraction(int(real.p), int(real.q))
    edges = [e for e in (dom.lo, dom.hi) if e is not None]
    if any(abs(frac - e) < Fraction(1, 10**25) for e in edges):
        return False  # too close to an edge to tell
    return dom.contains(frac) and assumptions_allow(var, frac)


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
        self.fn = compile_numeric([premise, conclusion, *scales], variables)

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
            values = {s: mp_value(f) for s, f in others.items()}
            out = self.at({**values, var: x})
            if out is None:
                raise ValueError("premise undefined")
            return out[0]

        return g


def _numeric_counterexample(
    premise: sp.Expr, conclusion: sp.Expr, inst: Instance, rng: random.Random, clock: Clock
) -> tuple[dict[str, str], dict[str, str], str] | None:
    """A domain point where premise = 0 holds and conclusion ≠ 0, for a premise SymPy
    could not solve (t e^{-t} = 1 - t): the other variables at domain points, real roots
    of the premise in one continuous variable found with mpmath.  A root counts only when
    the premise changes sign within 10^-60 of it at 100 digits (so an exact root lies
    there) and the conclusion is clearly non-zero on that whole neighbourhood."""
    lim = Clock(max(clock.left(), 0.5))
    candidates = _root_variables(premise, inst)
    if not candidates or has_unknown(premise) or has_unknown(conclusion):
        return None
    problem = limited(
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


def _root_variables(premise: sp.Expr, inst: Instance) -> list[sp.Symbol]:
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
    return [v for v in grid if dom.contains(v) and assumptions_allow(var, v)]


def _root_candidates(g: Callable, var: sp.Symbol, dom: SymbolDomain, lim: Clock) -> Iterator[Any]:
    """Approximate real roots of g at ROOT_DPS digits: bracketed sign changes on a grid
    of the domain first, then secant iterations from a few starting points."""
    grid = _root_grid(var, dom)

    def scan() -> list[tuple[Fraction, Any]]:
        out = []
        with mpmath.workdps(DPS):
            for v in grid:
                try:
                    value = g(mp_value(v))
                except (ValueError, ArithmeticError):
                    continue
                real = _real_value(value)
                if real is not None:
                    out.append((v, real))
        return out

    values = limited(scan, min(lim.left(), 1.0)) or []
    brackets = [(a, b) for (a, fa), (b, fb) in itertools.pairwise(values) if fa * fb < 0]
    brackets.sort(key=lambda ab: min(abs(ab[0]), abs(ab[1])))  # small roots read best
    exact = [a for a, fa in values if fa == 0]
    nice = [v for v in NICE if dom.contains(v) and assumptions_allow(var, v)]
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
                root = limited(
                    lambda s=solver: mpmath.findroot(g, x0, solver=s, verify=False),
                    min(lim.left(), 0.5),
                )
                root = _real_value(root) if root is not None else None
                if root is not None:
                    return root
        return None

    for a, b in brackets[:ROOT_BRACKETS]:
        root = solve((mp_value(a), mp_value(b)), ("anderson", "illinois"))
        if root is not None:
            yield root
    for x0 in starts:
        root = solve(mp_value(x0), ("secant",))
        if root is not None:
            yield root


def _confirm_root(
    problem: _RootProblem,
    g: Callable,
    var: sp.Symbol,
    others: dict[sp.Symbol, Fraction],
    root: Any,
    inst: Instance,
    lim: Clock,
) -> tuple[Any, Any] | None:
    """(root, conclusion residual) once confirmed at 100 digits; None otherwise (and an
    agreeing point of the premise counted when the conclusion vanishes there)."""

    def values_at(x: Any) -> tuple[Any, Any, Any, Any] | None:
        fixed = {s: mp_value(f) for s, f in others.items()}
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

        fine = limited(refine, min(lim.left(), 1.0))
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
        checked = limited(
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
        c_sym = to_mp(c_here)
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


def _fmt_point(point: dict[str, str]) -> str:
    return ", ".join(f"{k} = {v}" for k, v in point.items())
