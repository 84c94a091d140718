"""The probe's evaluator: SymPy expressions compiled to a tape of mpmath operations."""

from __future__ import annotations

import mpmath
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from derive.engine.tape import Unsupported, compile_numeric, compile_tape

x, y = sp.symbols("x y", real=True)
z = sp.IndexedBase("z")

# expression, point (x, y) -> the tape must agree with SymPy's own evaluation
TABLE = [
    (x + y, (2, 3)),
    (x * y * 3, (2, 3)),
    (x - y / 7, (1, 3)),
    (x**3 - 2 * x**-2, (sp.Rational(3, 2), 0)),
    (sp.sqrt(x) + 1 / sp.sqrt(y), (2, 5)),
    (x ** sp.Rational(2, 3), (5, 0)),
    (x**y, (sp.Rational(1, 3), sp.Rational(5, 2))),
    (sp.exp(-x) / (1 + sp.exp(-x)), (sp.Rational(1, 4), 0)),
    (sp.log(x * y), (3, 7)),
    (sp.log(x, 10), (1000, 0)),
    (sp.sin(x) ** 2 + sp.cos(y), (1, 2)),
    (sp.tan(x) * sp.cot(y) + sp.sec(x) - sp.csc(y), (sp.Rational(1, 3), 1)),
    (sp.tanh(x) + sp.sinh(y) * sp.cosh(x), (sp.Rational(1, 2), -1)),
    (sp.atan(x) + sp.asin(y) + sp.acos(y), (3, sp.Rational(1, 5))),
    (sp.Abs(x - y), (1, 4)),
    (sp.Max(x, y) - sp.Min(x, y), (1, 4)),
    (sp.pi * x + sp.E * y, (1, 1)),
    (sp.Float("0.25", 30) * x, (4, 0)),
    (sp.binomial(x, 2) + sp.factorial(y), (6, 4)),
    (sp.Integer(10) ** 40 + x, (1, 0)),  # an integer wider than the working precision
]


def _sympy_value(expr: sp.Expr, point: tuple) -> mpmath.mpc:
    value = expr.xreplace({x: sp.S(point[0]), y: sp.S(point[1])}).evalf(40)
    re, im = value.as_real_imag()
    with mpmath.workdps(40):
        return mpmath.mpc(mpmath.mpf(str(re)), mpmath.mpf(str(im)))


@pytest.mark.parametrize(("expr", "point"), TABLE, ids=[str(e) for e, _ in TABLE])
def test_tape_agrees_with_sympy_evaluation(expr, point):
    tape = compile_tape([expr], [x, y])
    with mpmath.workdps(30):
        (value,) = tape(*(mpmath.mpf(sp.Rational(v).p) / sp.Rational(v).q for v in point))
    expected = _sympy_value(expr, point)
    assert abs(value - expected) <= mpmath.mpf(10) ** -25 * max(1, abs(expected))


def test_negative_base_with_fractional_power_takes_the_principal_branch():
    # (-8)^(1/3) = 1 + i√3, as SymPy's principal value: a cube root of -8 that is not -2
    (value,) = compile_tape([x ** sp.Rational(1, 3)], [x])(mpmath.mpf(-8))
    assert abs(value - mpmath.mpc(1, mpmath.sqrt(3))) < 1e-12


def test_log_of_a_negative_number_is_complex():
    (value,) = compile_tape([sp.log(x)], [x])(mpmath.mpf(-1))
    assert abs(value - mpmath.mpc(0, mpmath.pi)) < 1e-12


def test_a_pole_raises_like_division():
    tape = compile_tape([1 / x], [x])
    with pytest.raises(ZeroDivisionError):
        tape(mpmath.mpf(0))


def test_constants_take_the_precision_in_force():
    tape = compile_tape([sp.Rational(1, 3) + sp.pi * 0], [x])
    with mpmath.workdps(60):
        (value,) = tape(mpmath.mpf(0))
        assert abs(value - mpmath.mpf(1) / 3) < mpmath.mpf(10) ** -58


def test_a_repeated_subexpression_is_one_step():
    e = sp.exp(z[1]) + sp.exp(z[2])
    tape = compile_tape([e**2 + 1 / e, e], [z[1], z[2]])
    exps = [op for op, _ in tape.steps if op is mpmath.exp]
    assert len(exps) == 2  # e^{z_1} and e^{z_2}, each computed once for both outputs


def test_a_deep_expression_compiles_without_recursion():
    # 700 levels, deeper than a recursive walk (two frames a level) could go;
    # built unevaluated, because SymPy's own assumption checks would recurse
    deep = x
    for k in range(700):
        if k % 2:
            deep = sp.exp(sp.Mul(deep, sp.Rational(1, 10**6), evaluate=False), evaluate=False)
        else:
            deep = sp.Add(deep, 1, evaluate=False)
    tape = compile_tape([deep], [x])
    (value,) = tape(mpmath.mpf(0))
    assert mpmath.isfinite(value)


@pytest.mark.parametrize(
    "expr",
    [sp.Piecewise((x, x > 0), (0, True)), sp.Function("f")(x), y + x],
    ids=["piecewise", "undefined function", "symbol not a variable"],
)
def test_nodes_outside_the_table_are_unsupported(expr):
    with pytest.raises(Unsupported):
        compile_tape([expr], [x])


def test_compile_numeric_falls_back_to_lambdify_outside_the_table():
    piecewise = sp.Piecewise((x, x > 0), (-x, True))
    fn = compile_numeric([piecewise], [x])
    with mpmath.workdps(30):
        assert fn(mpmath.mpf(-2))[0] == 2


_LEAVES = st.sampled_from([x, y, sp.Integer(2), sp.Rational(1, 3), sp.Integer(-1)])


def _combine(children):
    unary = st.sampled_from([sp.exp, sp.sin, sp.atan, sp.tanh, lambda a: sp.log(1 + a**2)])
    binary = st.sampled_from([sp.Add, sp.Mul, lambda a, b: a / (2 + b**2)])
    return st.one_of(
        st.builds(lambda f, a: f(a), unary, children),
        st.builds(lambda f, a, b: f(a, b), binary, children, children),
    )


@settings(max_examples=60, deadline=None)
@given(
    st.recursive(_LEAVES, _combine, max_leaves=12),
    st.fractions(-3, 3, max_denominator=16),
    st.fractions(-3, 3, max_denominator=16),
)
def test_random_expressions_agree_with_sympy(expr, vx, vy):
    point = (sp.Rational(vx.numerator, vx.denominator), sp.Rational(vy.numerator, vy.denominator))
    tape = compile_tape([expr], [x, y])
    with mpmath.workdps(30):
        (value,) = tape(*(mpmath.mpf(v.p) / v.q for v in point))
    expected = _sympy_value(expr, point)
    assert abs(value - expected) <= mpmath.mpf(10) ** -20 * max(1, abs(expected))
