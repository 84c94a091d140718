"""The verdict record every tier returns, and the two verdicts that are no tier's own.

``UNDEFINED``: a side is undefined everywhere.  ``fallback``: the probe found no
difference and no proof came, so numeric (or undecided when no point was valid).
Its own module because every tier module builds a ``Decision``, and the
package's ``__init__`` imports them all.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from .evaluate import DPS
from .sampling import Instance, ProbeResult


@dataclass
class Decision:
    verdict: str  # proved | bounded | numeric | refuted | undecided
    method: str
    counterexample: dict[str, str] | None = None
    values: dict[str, str] | None = None
    residual: sp.Expr | None = None
    ratio: sp.Expr | None = None
    message: str = ""
    # the function chosen for each unknown function in the counterexample (for printing)
    functions: dict | None = None


UNDEFINED = Decision(
    "undecided", "undefined", message="a side is undefined everywhere (division by zero, log 0)"
)


def fallback(probe: ProbeResult, inst: Instance) -> Decision:
    n = len(probe.agreed_points)
    if n:
        msg = f"agrees at {n} points to {DPS} digits; not proved"
        return Decision("numeric", f"numeric {n} points", message=msg)
    reason = probe.reason or "no point of the domain where both sides are defined was found"
    return Decision("undecided", "no valid point", message=reason)
