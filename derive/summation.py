"""Renaming the variables of a Sum or Product soundly, for the front end and the engine.

Both rename summation indices: the front end gives the indices of a definition
body primed names before substituting it (so they cannot capture a free index),
and the engine gives both sides of a step canonical names (so Σ_k and Σ_j of the
same body compare equal).
"""

from __future__ import annotations

import sympy as sp


def rename_limits(limits: tuple, mapping: dict[sp.Symbol, sp.Symbol]) -> list[tuple]:
    """The limits of one Sum/Product with its variables renamed by ``mapping``.

    SymPy's first limit is the innermost, and a bound may use the variables of the
    limits outside it: Σ_{s=1}^{m} Σ_{r=1}^{s} is ``Sum(…, (r, 1, s), (s, 1, m))``.
    Those are renamed in the bound too, or s would turn into a free symbol (and a
    true step would get a "counterexample" at some value of s)."""
    variables = [var for var, *_ in limits]
    renamed = []
    for n, (var, *bounds) in enumerate(limits):
        outer = {v: mapping[v] for v in variables[n + 1 :] if v in mapping}
        renamed.append((mapping.get(var, var), *(b.xreplace(outer) for b in bounds)))
    return renamed
