"""Instances and sampling: one concrete equality, the points of its domain, the probe.

An ``Instance`` is what the tiers work on: both sides (unknown functions and
opaque operators kept symbolic for proofs, replaced by generic values for
numbers: see ``meaning``), the space of points to sample (free coordinates,
coordinates fixed by linear constraints, families on a simplex) and an
``Evaluator`` for both sides.  The
``Evaluator`` lives here rather than in ``evaluate`` because it evaluates at a
``Point``.  ``probe`` is the refute-first tier: exact rational points inside the
domain, and a difference counts only when it is confirmed there and next to it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import sympy as sp
from sympy.core.function import AppliedUndef

from ..domain import REAL, Domain, SymbolDomain
from .evaluate import CONFIRM_DPS, DPS, confirm, differ, finite_pair, to_mp
from .forms import domain_by_name, or_
from .limits import Clock, limited
from .meaning import Generalised, generalise, has_unknown
from .tape import compile_numeric

PROBE_POINTS = 8
PROBE_TRIES = 40  # draws allowed to find PROBE_POINTS points where both sides are defined
NICE = tuple(Fraction(v) for v in ("0", "1", "-1", "2", "1/2", "-1/2", "3", "-2", "1/4", "3/2"))


@dataclass
class ProbeResult:
    agreed_points: list[Point] = field(default_factory=list)
    counterexample: Point | None = None
    reason: str = ""
    # a point where one side is defined and the other is not, on a neighbourhood
    # too (so not a removable singularity): the sides cannot be equal there
    undefined_at: tuple[Point, str] | None = None


@dataclass
class Point:
    values: dict[sp.Symbol, Fraction]

    def exact(self) -> dict[sp.Symbol, sp.Rational]:
        return {s: sp.Rational(v.numerator, v.denominator) for s, v in self.values.items()}

    def printable(self) -> dict[str, str]:
        """The coordinates a reader can check: generic values (Dummy symbols standing
        for unknowns) are left out, the refutation holds whatever they are."""
        return {
            s.name: str(v)
            for s, v in sorted(self.values.items(), key=lambda kv: kv[0].name)
            if not isinstance(s, sp.Dummy)
        }

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

    def points(self, rng: random.Random, count: int) -> Iterator[Point]:
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

    def complete(self, free: dict[sp.Symbol, Fraction]) -> Point | None:
        """Fill in constrained coordinates; None when the point leaves the domain."""
        if self.unsupported:
            return None
        members = set(self.free)  # (a list of hundreds of symbols: never search it)
        values = {s: v for s, v in free.items() if s in members}
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
        return Point(values)

    def _allows(self, s: sp.Symbol, v: Fraction) -> bool:
        return self.domains.get(s, REAL).contains(v) and assumptions_allow(s, v)


@dataclass
class Instance:
    """One concrete equality to decide: expressions, sampling space, evaluator."""

    lhs: sp.Expr  # for proofs (unknown functions and opaque operators kept symbolic)
    rhs: sp.Expr
    probe_lhs: sp.Expr  # for numbers (each unknown replaced by a generic value)
    probe_rhs: sp.Expr
    space: _Space
    variables: list[sp.Symbol]
    fixed: dict[str, str]
    general: Generalised  # the unknowns behind the generic values, letters in two roles
    function_text: dict[str, str]  # the function chosen for each varying quantity
    interval_subs: dict[sp.Symbol, sp.Expr]
    agreed_on_premise: int = 0
    _evaluator: Evaluator | None = None
    # the seeded stand-in for each unknown function (function_text as objects, for printing)
    functions: dict[Any, sp.Lambda] = field(default_factory=dict)

    @property
    def evaluator(self) -> Evaluator:
        if self._evaluator is None:
            self._evaluator = Evaluator(self.probe_lhs, self.probe_rhs, self.variables)
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
    ) -> Instance:
        cons = list(domain.constraints if constraints is None else constraints)
        cons = [or_(limited(lambda c=c: c.doit(), 1.0), c) for c in cons]
        rename = _indexed_symbols([lhs, rhs, *cons], domain)
        lhs, rhs = lhs.xreplace(rename), rhs.xreplace(rename)
        cons = [c.xreplace(rename) for c in cons]
        apart = _families_apart_from_values([lhs, rhs, *cons])
        lhs, rhs = lhs.xreplace(apart), rhs.xreplace(apart)
        cons = [c.xreplace(apart) for c in cons]
        general = generalise(lhs, rhs, domain.varying)
        probe_l, probe_r, text, chosen = _concrete_functions(general.lhs, general.rhs, domain, rng)
        domains = _domains_for(probe_l, probe_r, cons, domain)
        space = _build_space(domains, cons, probe_l, probe_r)
        variables = sorted(domains, key=lambda s: s.name)
        # proofs also see the symbols inside unknowns (γ(a) with a ∈ (0, 1))
        proof_domains = {**_domains_for(lhs, rhs, cons, domain), **domains}
        return Instance(
            lhs,
            rhs,
            probe_l,
            probe_r,
            space,
            variables,
            fixed,
            general,
            text,
            _interval_substitutions(proof_domains),
            functions=chosen,
        )


def _indexed_symbols(exprs: list[sp.Basic], domain: Domain) -> dict[sp.Indexed, sp.Symbol]:
    """z[2] -> a plain symbol named "z[2]" carrying what the family's domain implies."""
    doms = domain_by_name(domain)
    out = {}
    for e in exprs:
        for ix in e.atoms(sp.Indexed):
            if all(i.is_Integer for i in ix.indices):
                name = ix.base.label.name
                entry = f"{name}[{', '.join(str(i) for i in ix.indices)}]"
                out[ix] = sp.Symbol(entry, **_assumptions_for(doms.get(name, REAL), ix))
    return out


def _families_apart_from_values(exprs: list[sp.Basic]) -> dict[sp.IndexedBase, sp.IndexedBase]:
    """A family y_i and a value y in one step share SymPy's symbol y as the
    family's label, so a value for y would also rename the family (3[i]).  Give
    such a family a label of its own (a Dummy of the same name, printed alike)."""
    masked = [e.xreplace({ix: sp.Dummy() for ix in e.atoms(sp.Indexed)}) for e in exprs]
    values = set().union(*(e.free_symbols for e in masked)) if masked else set()
    out = {}
    for e in exprs:
        for ix in e.atoms(sp.Indexed):
            label = ix.base.label
            if label in values and ix.base not in out:
                out[ix.base] = sp.IndexedBase(sp.Dummy(label.name, **label.assumptions0))
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
    doms = domain_by_name(domain)
    syms: set[sp.Symbol] = set()
    labels: set[sp.Symbol] = set()
    for e in (lhs, rhs, *cons):
        syms |= {s for s in e.free_symbols if isinstance(s, sp.Symbol)}
        # the name of a family (y in y[i], left inside a sum over a symbolic range)
        # is no coordinate: a value for it would make 3[i] out of y[i]
        labels |= {ix.base.label for ix in e.atoms(sp.Indexed)}
    syms -= labels
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


def _concrete_functions(
    lhs: sp.Expr, rhs: sp.Expr, domain: Domain, rng: random.Random
) -> tuple[sp.Expr, sp.Expr, dict[str, str], dict[Any, sp.Lambda]]:
    """A quantity declared to vary (``depends: {v: t}``) is any function of its
    variables, so the step must hold for each: the probe takes one seeded
    concrete function (a counterexample with it refutes the claim about every
    v, and shows which v it used).  Unknown functions never get here: they are
    generic values (``meaning``)."""
    applied = [
        a
        for e in (lhs, rhs)
        for a in e.atoms(AppliedUndef)
        if domain.varying.get(a.func.__name__) == len(a.args)
    ]
    heads = sorted({a.func for a in applied}, key=str)
    text: dict[str, str] = {}
    chosen: dict[Any, sp.Lambda] = {}
    for f in heads:
        arity = domain.varying[f.__name__]
        ts = sp.symbols(f"t1:{arity + 1}", real=True)
        c = [Fraction(rng.randint(1, 6), rng.choice((1, 2, 3))) for _ in range(2)]
        body = sum(sp.Rational(c[0].numerator, c[0].denominator) * t + t**2 / 2 for t in ts)
        body += sp.exp(sp.Rational(c[1].numerator, c[1].denominator) * ts[0]) / 3 + sp.prod(ts)
        lam = sp.Lambda(ts, body)
        text[f"{f}({', '.join(t.name for t in ts)})"] = sp.sstr(body)
        chosen[f] = lam
        lhs, rhs = _replace_function(lhs, f, lam), _replace_function(rhs, f, lam)
    return lhs, rhs, text, chosen


def _replace_function(e: sp.Expr, f: Any, lam: sp.Lambda) -> sp.Expr:
    replaced = e.replace(
        lambda a: isinstance(a, AppliedUndef) and a.func == f, lambda a: lam(*a.args)
    )
    return or_(limited(lambda: replaced.doit(), 2.0), replaced)


def _draw(sym: sp.Symbol, dom: SymbolDomain, rng: random.Random, nice: bool) -> Fraction | None:
    """One value for sym inside dom and its SymPy assumptions; nice values preferred if asked."""
    if nice:
        options = [v for v in NICE if dom.contains(v) and assumptions_allow(sym, v)]
        if dom.kind == "values":
            options = list(dom.values)
        if options:
            return rng.choice(options)
    for _ in range(30):
        v = _draw_raw(sym, dom, rng)
        if dom.contains(v) and assumptions_allow(sym, v):
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


def assumptions_allow(sym: sp.Symbol, v: Fraction) -> bool:
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


def probe(inst: Instance, rng: random.Random) -> ProbeResult:
    """Refute-first: evaluate both sides at domain points; confirm any difference."""
    result = ProbeResult()
    if inst.space.unsupported:
        result.reason = inst.space.unsupported
        return result
    evaluator = inst.evaluator
    half_defined: list[Point] = []
    for point in inst.space.points(rng, PROBE_TRIES):
        values = evaluator(point)
        if values is None:
            half_defined.append(point)
            continue  # a singularity of either side: not a counterexample by itself
        if not differ(*values):
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


def _one_side_undefined(inst: Instance, point: Point) -> tuple[Point, str] | None:
    """(point, side) when exactly one side is undefined at the exact point and at
    a neighbour as well; a value set such as y ∈ {0, 1} has no neighbours, so a
    division by y there is a genuine failure, not a removable singularity."""
    defined = [exact_value(side, point.exact()) is not None for side in (inst.lhs, inst.rhs)]
    if defined.count(True) != 1:
        return None
    side = "right" if defined[0] else "left"
    undefined_side = inst.rhs if defined[0] else inst.lhs
    near = _nearby(inst.space, point)
    if near is not None and near.values != point.values:
        if exact_value(undefined_side, near.exact()) is not None:
            return None
    return point, side


def exact_value(side: sp.Expr, exact: dict) -> sp.Expr | None:
    value = limited(lambda: side.xreplace(exact).evalf(CONFIRM_DPS), 1.0)
    if value is None or not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
        return None
    return value


def _confirmed_here_and_nearby(inst: Instance, point: Point) -> bool:
    if confirm(inst.probe_lhs, inst.probe_rhs, point.exact()) is None:
        return False
    near = _nearby(inst.space, point)
    if near is None:
        return True
    values = inst.evaluator(near)
    return values is None or differ(*values)  # a singular neighbour is no evidence either way


def _nearby(space: _Space, point: Point) -> Point | None:
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
            space.domains.get(s, REAL).contains(v) and assumptions_allow(s, v)
            for s, v in near.values.items()
        ):
            return near
    return None


def visibly_nonzero(e: sp.Expr, inst: Instance, tries: int = 3) -> bool:
    """e has a confirmed non-zero value at a point of the domain.

    Then no sound rewrite can turn e into 0 there, and a proof attempt would only
    spend its budget (an equation's residual is almost never identically zero).
    False means "not shown", never "zero"."""
    if inst.space.unsupported or has_unknown(e):
        return False
    evaluator = Evaluator(e, sp.Integer(0), inst.variables)
    for point in inst.space.points(random.Random(0), tries):
        values = evaluator(point)
        if values is None or not differ(*values):
            continue
        if confirm(e, sp.Integer(0), point.exact()) is not None:
            return True
    return False


def mp_value(v: Fraction) -> Any:
    """An exact coordinate as an mpmath number at the precision in force."""
    return mpmath.mpf(v.numerator) / v.denominator


def adaptive_refute(inst: Instance, points: list[Point], clock: Clock) -> Point | None:
    """Differences below 30 digits (e^{π√163} vs an integer): adaptive evalf raises its
    working precision on cancellation, so a non-zero result is significant."""
    diff = inst.probe_lhs - inst.probe_rhs
    for point in points:
        if clock.left() <= 0:
            return None
        value = limited(lambda p=point: diff.xreplace(p.exact()).evalf(DPS, maxn=400), 0.5)
        if value is None or not value.is_number or value == 0:
            continue
        if value.is_Float and value._prec < 20:  # e.g. 0.e-383: zero to working precision
            continue
        if confirm(inst.probe_lhs, inst.probe_rhs, point.exact(), rel=mpmath.mpf(10) ** -55):
            return point
    return None


class Evaluator:
    """Both sides at a point, mpmath at DPS digits, complex; None where either is undefined."""

    def __init__(self, lhs: sp.Expr, rhs: sp.Expr, variables: list[sp.Symbol]):
        self.lhs, self.rhs, self.variables = lhs, rhs, variables
        self.compiled = limited(lambda: compile_numeric([lhs, rhs], variables), 5.0)

    def __call__(self, point: Point) -> tuple[Any, Any] | None:
        with mpmath.workdps(DPS):
            if self.compiled is not None:
                try:
                    args = [mp_value(point.values[s]) for s in self.variables]
                    return finite_pair(self.compiled(*args))
                except (ArithmeticError, ValueError):
                    return None  # a pole or a value outside every branch: undefined here
                except Exception:  # noqa: BLE001 - untranslatable function: fall back to evalf
                    pass
            return self._by_evalf(point)

    def _by_evalf(self, point: Point) -> tuple[Any, Any] | None:
        exact = point.exact()
        out = []
        for side in (self.lhs, self.rhs):
            value = limited(lambda s=side: s.xreplace(exact).evalf(DPS), 1.0)
            if value is None or not value.is_number or value.has(sp.nan, sp.zoo, sp.oo, -sp.oo):
                return None
            try:
                out.append(to_mp(value))
            except (TypeError, ValueError, AttributeError):
                return None
        return finite_pair(out)
