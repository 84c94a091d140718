"""SymPy expressions compiled to a tape of mpmath operations, for the probe.

The probe evaluates both sides of a step at a handful of points.  SymPy's
``lambdify`` prints Python source for that and compiles it, which costs 5–20 ms
an expression: more than the evaluations themselves (a few microseconds each).
Here the expression is walked once into a list of steps, each an mpmath
operation on earlier slots; a subexpression that occurs many times (e^{z_k}
across an unrolled sum) is computed once per point.  Nothing is printed,
parsed or executed as source, and the tape runs at whatever mpmath precision
is in force when it is called.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

import mpmath
import sympy as sp


class Unsupported(Exception):
    """A node the tape has no operation for."""


Step = tuple[Callable[..., Any], tuple[int, ...]]


class Tape:
    """Values of several expressions at one point; the point's values come first."""

    def __init__(self, n_inputs: int, steps: list[Step], outputs: list[int]):
        self.n_inputs = n_inputs
        self.steps = steps
        self.outputs = outputs

    def __call__(self, *values: Any) -> list[Any]:
        if len(values) != self.n_inputs:
            raise TypeError(f"the tape takes {self.n_inputs} values, not {len(values)}")
        slots = list(values)
        push = slots.append
        for operation, operands in self.steps:
            push(operation(*[slots[i] for i in operands]))
        return [slots[i] for i in self.outputs]


def compile_numeric(
    exprs: Sequence[sp.Basic], variables: Sequence[sp.Symbol]
) -> Callable[..., list[Any]]:
    """A function from values of ``variables`` to the values of ``exprs`` in mpmath:
    the tape, or lambdify for a node outside the tape's table (both give the
    same numbers; confirmation never relies on either)."""
    try:
        return compile_tape(exprs, variables)
    except Unsupported:
        return sp.lambdify(list(variables), list(exprs), modules="mpmath")


def compile_tape(exprs: Sequence[sp.Basic], variables: Sequence[sp.Symbol]) -> Tape:
    """A tape computing every expression of ``exprs`` from values of ``variables``.

    Raises Unsupported for a node outside the table below (Piecewise, an
    undefined function, a symbol not among ``variables``)."""
    slot_of: dict[sp.Basic, int] = {v: i for i, v in enumerate(variables)}
    steps: list[Step] = []

    def emit(operation: Callable[..., Any], operands: tuple[int, ...]) -> int:
        steps.append((operation, operands))
        return len(variables) + len(steps) - 1

    # Iterative post-order walk: a deep expression must not exhaust the stack.
    for root in exprs:
        pending: list[tuple[sp.Basic, bool]] = [(root, False)]
        while pending:
            node, ready = pending.pop()
            if node in slot_of:
                continue
            children = _operands(node)
            if not ready and children:
                pending.append((node, True))
                pending.extend((c, False) for c in reversed(children) if c not in slot_of)
                continue
            operation = _operation(node)
            slot_of[node] = emit(operation, tuple(slot_of[c] for c in children))
    return Tape(len(variables), steps, [slot_of[e] for e in exprs])


# ---------------------------------------------------------------------------
# The table: which children a node needs, and the operation on their values
# ---------------------------------------------------------------------------


def _operands(node: sp.Basic) -> tuple[sp.Basic, ...]:
    if node.is_Atom:
        return ()
    if isinstance(node, sp.Pow) and (node.exp.is_Integer or node.exp in _ROOTS):
        return (node.base,)  # the exponent is part of the operation
    return node.args


def _operation(node: sp.Basic) -> Callable[..., Any]:
    if node.is_Atom:
        return _constant(node)
    if isinstance(node, sp.Add):
        return operator.add if len(node.args) == 2 else _sum
    if isinstance(node, sp.Mul):
        return operator.mul if len(node.args) == 2 else _product
    if isinstance(node, sp.Pow):
        if node.exp.is_Integer:
            return functools.partial(_integer_power, int(node.exp))
        if node.exp in _ROOTS:
            return _ROOTS[node.exp]
        return operator.pow
    operation = _FUNCTIONS.get(type(node))
    if operation is None:
        raise Unsupported(type(node).__name__)
    return operation


def _constant(atom: sp.Basic) -> Callable[[], Any]:
    # Numbers are made at call time, so that they carry the precision in force.
    if atom.is_Integer:
        return functools.partial(mpmath.mpf, int(atom))
    if atom.is_Rational:
        return functools.partial(_rational, int(atom.p), int(atom.q))
    if atom.is_Float:
        return functools.partial(mpmath.mpf, atom._mpf_)
    constant = _CONSTANTS.get(atom)
    if constant is None:
        raise Unsupported(f"{type(atom).__name__} {atom}")
    return constant


def _rational(p: int, q: int) -> Any:
    return mpmath.mpf(p) / q


def _sum(*values: Any) -> Any:
    return functools.reduce(operator.add, values)


def _product(*values: Any) -> Any:
    return functools.reduce(operator.mul, values)


def _integer_power(n: int, base: Any) -> Any:
    return base**n  # 0**-1 raises ZeroDivisionError: a pole, as in lambdify


def _inverse_sqrt(x: Any) -> Any:
    return 1 / mpmath.sqrt(x)


def _real_only(fn: Callable[..., Any]) -> Callable[..., Any]:
    def on_reals(*values: Any) -> Any:
        if any(isinstance(v, mpmath.mpc) for v in values):
            raise TypeError(f"{fn.__name__} of a complex number")
        return fn(*values)

    return on_reals


def _kronecker(a: Any, b: Any) -> Any:
    return mpmath.mpf(1 if a == b else 0)


def _abs(x: Any) -> Any:
    return abs(x)


_ROOTS: dict[sp.Basic, Callable[[Any], Any]] = {
    sp.S.Half: mpmath.sqrt,
    -sp.S.Half: _inverse_sqrt,
}

_CONSTANTS: dict[sp.Basic, Callable[[], Any]] = {
    sp.pi: lambda: +mpmath.pi,
    sp.E: lambda: +mpmath.e,
    sp.I: lambda: mpmath.mpc(0, 1),
    sp.EulerGamma: lambda: +mpmath.euler,
    sp.GoldenRatio: lambda: +mpmath.phi,
    sp.Catalan: lambda: +mpmath.catalan,
    sp.oo: lambda: mpmath.inf,
    -sp.oo: lambda: -mpmath.inf,
}

_FUNCTIONS: dict[type, Callable[..., Any]] = {
    sp.exp: mpmath.exp,
    sp.log: mpmath.log,
    sp.sin: mpmath.sin,
    sp.cos: mpmath.cos,
    sp.tan: mpmath.tan,
    sp.cot: mpmath.cot,
    sp.sec: mpmath.sec,
    sp.csc: mpmath.csc,
    sp.sinh: mpmath.sinh,
    sp.cosh: mpmath.cosh,
    sp.tanh: mpmath.tanh,
    sp.coth: mpmath.coth,
    sp.asin: mpmath.asin,
    sp.acos: mpmath.acos,
    sp.atan: mpmath.atan,
    sp.asinh: mpmath.asinh,
    sp.acosh: mpmath.acosh,
    sp.atanh: mpmath.atanh,
    sp.Abs: _abs,
    sp.gamma: mpmath.gamma,
    sp.factorial: mpmath.factorial,
    sp.binomial: mpmath.binomial,
    sp.erf: mpmath.erf,
    sp.Max: _real_only(max),
    sp.Min: _real_only(min),
    sp.floor: _real_only(mpmath.floor),
    sp.ceiling: _real_only(mpmath.ceil),
    sp.KroneckerDelta: _kronecker,
}
