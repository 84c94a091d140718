"""The domain a step is decided on: what each symbol ranges over.

Built by the context stage (derive/context.py) from the declarations in force
for a chain, consumed by the engine (derive/engine/).  Holds SymPy objects,
but only as data: no decisions are made here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp


@dataclass(frozen=True)
class SymbolDomain:
    """The set a symbol (or every entry of an indexed family) ranges over.

    kind:
      "real"      all reals
      "interval"  lo..hi, each end open or closed; an end may be None (unbounded)
      "values"    a finite set of exact values (e.g. labels {0, 1})
      "integer"   integers in lo..hi (None = unbounded)
    """

    kind: str = "real"
    lo: Fraction | None = None
    hi: Fraction | None = None
    lo_open: bool = True
    hi_open: bool = True
    values: tuple[Fraction, ...] = ()

    def describe(self) -> str:
        if self.kind == "values":
            return "{" + ", ".join(str(v) for v in self.values) + "}"
        if self.kind == "real" and self.lo is None and self.hi is None:
            return "real"
        left = "(" if self.lo_open or self.lo is None else "["
        right = ")" if self.hi_open or self.hi is None else "]"
        lo = "-inf" if self.lo is None else str(self.lo)
        hi = "inf" if self.hi is None else str(self.hi)
        prefix = "integer " if self.kind == "integer" else ""
        return f"{prefix}{left}{lo}, {hi}{right}"

    def contains(self, value: Fraction) -> bool:
        if self.kind == "values":
            return value in self.values
        if self.kind == "integer" and value.denominator != 1:
            return False
        if self.lo is not None and (value < self.lo or (self.lo_open and value == self.lo)):
            return False
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            return False
        return True


REAL = SymbolDomain()


@dataclass
class Domain:
    """Everything the engine may assume about the symbols of one step.

    symbols:     plain symbols and indexed families (keyed by the IndexedBase's
                 label symbol) -> their SymbolDomain; anything missing is real.
    sizes:       symbolic sizes (m, n) -> inclusive range used for bounded checks.
    indices:     index symbols (i, j, k, q) -> the size symbol (or int) they run
                 over, 1..size.
    constraints: equalities that hold among the symbols (e.g. Σ_q y_q = 1).
    cases:       relations between indices that hold in this chain (q = j, q ≠ j).
    varying:     quantities declared to vary (`depends: {v: t}`) -> how many
                 variables: v(t) is any function of t, so a claim about it must
                 hold for every function (unlike an unknown function, which is
                 one particular function the document never names).
    mentioned:   symbols the context's rules (substitutions) use.
    """

    symbols: dict[sp.Symbol, SymbolDomain] = field(default_factory=dict)
    sizes: dict[sp.Symbol, tuple[int, int]] = field(default_factory=dict)
    indices: dict[sp.Symbol, sp.Expr] = field(default_factory=dict)
    constraints: list[sp.Eq] = field(default_factory=list)
    cases: list[sp.Basic] = field(default_factory=list)
    varying: dict[str, int] = field(default_factory=dict)
    # names a context rule uses (a substitution x^2 = y gives y a meaning)
    mentioned: set[sp.Basic] = field(default_factory=set)

    def domain_of(self, name: sp.Symbol) -> SymbolDomain:
        return self.symbols.get(name, REAL)

    def describe(self) -> str:
        parts = [f"{s} ∈ {d.describe()}" for s, d in self.symbols.items() if d != REAL]
        parts += [f"{s} = {lo}..{hi}" for s, (lo, hi) in self.sizes.items()]
        parts += [str(c) for c in self.constraints]
        parts += [str(c) for c in self.cases]
        return ", ".join(parts) if parts else "all symbols real"
