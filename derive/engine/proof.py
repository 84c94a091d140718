"""Symbolic proof: rewrites tried in turn until the difference of the sides is 0.

Cheap canonical forms first (cancel/together after expand, expand_log, powsimp,
exp rewriting; on open intervals, after a reparametrisation), then trigsimp and
simplify under what is left of the budget.  ``proved`` always means one of
these gave a symbolic zero.
"""

from __future__ import annotations

from collections.abc import Callable

import sympy as sp

from .forms import or_
from .limits import Clock, limited
from .sampling import Instance


def prove_zero(diff: sp.Expr, inst: Instance | None, clock: Clock) -> str | None:
    """Canonical forms, then simplify; the name of the rewrite that gave 0, else None."""
    if diff == 0:
        return "identical"
    if inst is not None and inst.space.dependent:  # on the constraint set, y_m = 1 - Σ others
        # (a derivative in y_m cannot take the substitution: then prove without it)
        diff = or_(limited(lambda: diff.xreplace(dict(inst.space.dependent)), 1.0), diff)
    canon_deadline = clock.share(0.5)
    for name, rewrite in CANONICAL_STAGES:
        if is_zero_after(rewrite, diff, min(canon_deadline.left(), clock.left())):
            return name
    moved = None
    if inst is not None and inst.interval_subs:  # None: a derivative in y cannot take it
        moved = limited(lambda: diff.xreplace(inst.interval_subs), 1.0)
    if moved is not None:
        for name, rewrite in CANONICAL_STAGES[:3]:
            if is_zero_after(rewrite, moved, min(canon_deadline.left(), clock.left())):
                return f"{name} on the open intervals"
    for name, rewrite in _SYMBOLIC_STAGES:
        if is_zero_after(rewrite, diff, clock.left()):
            return name
    return None


FREE_OF_SECONDS = 0.5  # cap on one rewrite of the independence test


def free_of(diff: sp.Expr, symbols: set[sp.Basic], clock: Clock) -> sp.Expr | None:
    """diff rewritten without any of ``symbols``, or None.

    A proof that diff does not depend on them: cancel/together (after expand,
    or expand_log without force) are identities wherever both forms are
    defined, so when the rewritten form has none of the symbols, their values
    cannot change diff.  (A derivative in them, or sampling, would not be a
    proof: it is zero almost everywhere across a branch cut too.)  Granted a
    floor of time even when the clock is spent: a refutation waits on it."""
    if not (diff.free_symbols & symbols):
        return diff
    seconds = min(FREE_OF_SECONDS, max(clock.left(), 0.2))
    for _, rewrite in CANONICAL_STAGES[:3]:
        out = limited(lambda r=rewrite: r(diff), seconds)
        if out is not None and not (out.free_symbols & symbols):
            return out
    return None


CONGRUENCE_PAIRS = 24  # pairs of applications of one name whose arguments are compared
ARGUMENT_PROOF_SECONDS = 0.3  # for the proof that two arguments are equal


def prove_generalised(inst: Instance, clock: Clock, *, held: bool = False) -> str | None:
    """A proof with every unknown as a free value (``meaning``): it holds for every
    meaning of the unknowns.  Two applications of one name to arguments proved
    equal (γ(sin²x + cos²x) and γ(1)) are one value: congruence, sound for every
    function.  ``held``: the probe already saw the free form differ, so only the
    congruence can help."""
    general = inst.general
    if not general.unknowns:
        return None
    diff = inst.probe_lhs - inst.probe_rhs
    if not held and (method := prove_zero(diff, inst, clock)):
        return f"{method} (unknowns as free values)"
    merged = _congruent(general.unknowns, inst, clock)
    if not merged:
        return None
    method = prove_zero(diff.xreplace(merged), inst, clock)
    return f"{method} (unknowns as free values, equal arguments)" if method else None


def _congruent(unknowns: list, inst: Instance, clock: Clock) -> dict[sp.Symbol, sp.Symbol]:
    """generic value -> the one it equals, for applications f(a…) and f(b…) of the
    same name whose arguments are proved equal pairwise."""
    by_head: dict[tuple, list] = {}
    for u in unknowns:
        if u.kind in ("function", "operator"):
            by_head.setdefault((u.atom.func, len(u.atom.args)), []).append(u)
    merged: dict[sp.Symbol, sp.Symbol] = {}
    pairs = 0
    for group in by_head.values():
        for i, first in enumerate(group):
            for second in group[i + 1 :]:
                if second.symbol in merged or pairs >= CONGRUENCE_PAIRS or clock.left() <= 0:
                    continue
                pairs += 1
                budget = Clock(min(ARGUMENT_PROOF_SECONDS, max(clock.left(), 0.0)))
                if all(
                    prove_zero(a - b, inst, budget)  # with the domain's rewrites
                    for a, b in zip(first.atom.args, second.atom.args, strict=True)
                ):
                    merged[second.symbol] = merged.get(first.symbol, first.symbol)
    return merged


def is_zero_after(rewrite: Callable[[sp.Expr], sp.Expr], diff: sp.Expr, seconds: float) -> bool:
    if seconds <= 0:
        return False
    result = limited(lambda: _close_constant_sums(rewrite(diff)), seconds)
    return result is not None and result == 0


def _close_constant_sums(e: sp.Expr) -> sp.Expr:
    """Σ_{k=a}^{b} c = c·(b − a + 1) for a summand c free of k (exact for any a, b
    under SymPy's convention for empty and reversed ranges).  A rewrite often
    cancels a summand down to 0 or to a constant, and SymPy leaves Sum(0, …) and
    Sum(1, …) unevaluated."""
    if not e.has(sp.Sum):
        return e

    def close(total: sp.Sum) -> sp.Expr:
        # innermost limit first; an outer bound may depend on an inner variable
        # (Σ_{i=1}^{m} Σ_{j=1}^{i} 1 leaves the summand i), so stop at the first
        # variable the summand depends on
        body, limits = total.function, list(total.limits)
        while limits and limits[0][0] not in body.free_symbols:
            _, lo, hi = limits.pop(0)
            body = body * (hi - lo + 1)
        return sp.Sum(body, *limits) if limits else body

    return e.replace(lambda x: isinstance(x, sp.Sum), close)


def _exp_split(e: sp.Expr) -> sp.Expr:
    # e^{a+b} -> e^a e^b so that exponentials of sums cancel against products
    return sp.expand(
        e, deep=True, mul=False, multinomial=False, power_exp=True, power_base=False, log=False
    )


def canon(e: sp.Expr) -> sp.Expr:
    return sp.cancel(sp.together(e))


CANONICAL_STAGES: tuple[tuple[str, Callable[[sp.Expr], sp.Expr]], ...] = (
    ("canonical", canon),
    ("canonical(expand)", lambda e: canon(sp.expand(e))),
    ("canonical(expand_log)", lambda e: canon(sp.expand_log(e, force=False))),
    ("canonical(powsimp)", lambda e: canon(sp.powsimp(_exp_split(e)))),
    ("canonical(exp)", lambda e: canon(_exp_split(sp.expand_log(e.rewrite(sp.exp))))),
)

_SYMBOLIC_STAGES: tuple[tuple[str, Callable[[sp.Expr], sp.Expr]], ...] = (
    ("trigsimp", lambda e: sp.trigsimp(e)),
    ("simplify", lambda e: sp.simplify(e)),
    ("simplify(exp)", lambda e: sp.simplify(canon(e.rewrite(sp.exp)))),
)
