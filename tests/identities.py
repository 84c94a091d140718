"""True identities and near-miss mutations of them, for the engine's corpus tests.

Data only: each case is two SymPy expressions and the Domain they need.  Built
directly with SymPy (no LaTeX), the way the parser would hand them over:
derivatives unevaluated, sums with symbolic bounds, indexed families.

MUTATIONS holds, for every identity, one automatic near miss (sign flip, dropped
factor, exponent ± 1, swapped symbols, product → sum, log ↔ exp — the first kind
that changes the expression, starting from a kind that rotates with the case) plus
hand-made ones the automatic kinds cannot produce (off-by-one bounds, wrong index,
missing square, a constraint used silently, a slip beside an unknown function
carried unchanged).  UNKNOWN_MEANING_MUTATIONS holds the near misses that change
what an unknown function contributes: true for some f, so never refuted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import sympy as sp
from sympy import Derivative as D
from sympy import Eq, Ne, Sum, exp, log, sqrt

from derive.domain import Domain, SymbolDomain


@dataclass(frozen=True)
class Case:
    name: str
    lhs: sp.Expr
    rhs: sp.Expr
    domain: Domain = field(default_factory=Domain)


x, y, t, w, b, c, u, v = sp.symbols("x y t w b c u v", real=True)
p, q, r = sp.symbols("p q r", positive=True)
n = sp.Symbol("n", integer=True, nonnegative=True)
m = sp.Symbol("m", integer=True, positive=True)
i, j, k, l_ = sp.symbols("i j k l", integer=True, positive=True)
z = sp.IndexedBase("z", real=True)
Y = sp.IndexedBase("y", real=True)
z1, z2, z3 = sp.symbols("z1 z2 z3", real=True)
y1, y2, y3 = sp.symbols("y1 y2 y3", real=True)
a_ = sp.Symbol("a", real=True)  # a probability, declared in (0, 1)
lab = sp.Symbol("l", real=True)  # a label in {0, 1}
f = sp.Function("f")
g = sp.Function("g")

UNIT_OPEN = SymbolDomain("interval", Fraction(0), Fraction(1), True, True)
UNIT_CLOSED = SymbolDomain("interval", Fraction(0), Fraction(1), False, False)
LABEL = SymbolDomain("values", values=(Fraction(0), Fraction(1)))
PROB = Domain(symbols={a_: UNIT_OPEN, lab: LABEL})
SIZES = Domain(sizes={m: (1, 4)}, indices={i: m, j: m, k: m, l_: m})
OFF_DIAG = Domain(sizes={m: (1, 4)}, indices={i: m, j: m, k: m, l_: m}, cases=[Ne(i, j)])
SIMPLEX = Domain(
    symbols={sp.Symbol("y"): UNIT_CLOSED},
    sizes={m: (1, 4)},
    indices={i: m, j: m, k: m, l_: m},
    constraints=[Eq(Sum(Y[l_], (l_, 1, m)), 1)],
)
SIMPLEX3 = Domain(
    symbols={y1: UNIT_CLOSED, y2: UNIT_CLOSED, y3: UNIT_CLOSED}, constraints=[Eq(y1 + y2 + y3, 1)]
)
NSIZE = Domain(sizes={n: (0, 5)})


def sig(e: sp.Expr) -> sp.Expr:
    return 1 / (1 + exp(-e))


def smx3(idx: int) -> sp.Expr:
    zs = (z1, z2, z3)
    return exp(zs[idx]) / (exp(z1) + exp(z2) + exp(z3))


S = Sum(exp(z[k]), (k, 1, m))


def sm(idx: sp.Expr) -> sp.Expr:
    return exp(z[idx]) / S


_E: list[tuple[str, sp.Expr, sp.Expr, Domain]] = []


def eq(name: str, lhs: sp.Expr, rhs: sp.Expr, domain: Domain | None = None) -> None:
    _E.append((name, lhs, rhs, domain or Domain()))


# --- calculus: derivatives left unevaluated, as the parser gives them ------------------
eq("d_power", D(x**5, x), 5 * x**4)
eq("d_sin", D(sp.sin(3 * x), x), 3 * sp.cos(3 * x))
eq("d_cos", D(sp.cos(x**2), x), -2 * x * sp.sin(x**2))
eq("d_exp_linear", D(exp(c * x), x), c * exp(c * x))
eq("d_log", D(log(p), p), 1 / p)
eq("d_log_square", D(log(1 + x**2), x), 2 * x / (1 + x**2))
eq("d_product_rule", D(x**2 * exp(x), x), (2 * x + x**2) * exp(x))
eq("d_quotient_rule", D(x / (1 + x**2), x), (1 - x**2) / (1 + x**2) ** 2)
eq("d_chain_sqrt", D(sqrt(1 + p**2), p), p / sqrt(1 + p**2))
eq("d_tanh", D(sp.tanh(x), x), 1 - sp.tanh(x) ** 2)
eq("d_atan", D(sp.atan(x), x), 1 / (1 + x**2))
eq("d_x_to_x", D(p**p, p), p**p * (log(p) + 1))
eq("d_second", D(x**4, x, 2), 12 * x**2)
eq("d_partial_w", D((w * x + b) ** 2, w), 2 * x * (w * x + b))
eq("d_partial_b", D((w * x + b) ** 2, b), 2 * (w * x + b))
eq("d_exp_square", D(exp(-(x**2) / 2), x), -x * exp(-(x**2) / 2))
eq("d_undefined_product", D(f(x) * g(x), x), D(f(x), x) * g(x) + f(x) * D(g(x), x))
eq("d_undefined_chain", D(f(x**2), x), 2 * x * sp.Subs(D(f(u), u), u, x**2))
eq("d_log_sum_two", D(log(exp(x) + exp(y)), x), exp(x) / (exp(x) + exp(y)))
eq("d_one_over", D(1 / (1 + exp(x)), x), -exp(x) / (1 + exp(x)) ** 2)
eq("d_sin_cos", D(sp.sin(x) * sp.cos(x), x), sp.cos(2 * x))
eq("d_power_rule_pos", D(p ** sp.Rational(3, 2), p), sp.Rational(3, 2) * sqrt(p))

# --- algebra ------------------------------------------------------------------------------
eq("square_binomial", (x + y) ** 2, x**2 + 2 * x * y + y**2)
eq("difference_of_squares", (x - y) * (x + y), x**2 - y**2)
eq("cube_binomial", (x - 1) ** 3, x**3 - 3 * x**2 + 3 * x - 1)
eq("difference_of_cubes", (x**3 - y**3) / (x - y), x**2 + x * y + y**2)
eq("removable_singularity", (x**2 - 1) / (x - 1), x + 1)
eq("partial_fractions", (3 * x + 5) / ((x + 1) * (x + 2)), 2 / (x + 1) + 1 / (x + 2))
eq("fraction_difference", 1 / (x - 1) - 1 / (x + 1), 2 / (x**2 - 1))
eq("common_denominator", x / y + y / x, (x**2 + y**2) / (x * y))
eq("nested_fraction", 1 / (1 + 1 / x), x / (x + 1))
eq("exp_sum", exp(x + y), exp(x) * exp(y))
eq("exp_difference", exp(x - y), exp(x) / exp(y))
eq("exp_power", exp(2 * x), exp(x) ** 2)
eq("log_product_positive", log(p * q), log(p) + log(q))
eq("log_quotient_positive", log(p / q), log(p) - log(q))
eq("log_power_positive", log(p**3), 3 * log(p))
eq("log_exp", log(exp(x)), x)
eq("exp_log", exp(log(p)), p)
eq("exp_y_log", exp(y * log(p) - log(q)), p**y / q)
eq("sqrt_square_positive", sqrt(p**2), p)
eq("sqrt_perfect_square", sqrt(p**2 + 2 * p + 1), p + 1)
eq("sqrt_product", sqrt(p * q), sqrt(p) * sqrt(q))
eq("power_product", p**x * p**y, p ** (x + y))
eq("power_of_power", (p**2) ** 3, p**6)
eq("denest_sqrt", sqrt(3 + 2 * sqrt(2)), 1 + sqrt(2))
eq("sin_double", sp.sin(2 * x), 2 * sp.sin(x) * sp.cos(x))
eq("cos_double", sp.cos(x) ** 4 - sp.sin(x) ** 4, sp.cos(2 * x))
eq("pythagoras", sp.sin(x) ** 2 + sp.cos(x) ** 2, sp.Integer(1))
eq("sin_sum", sp.sin(x + y), sp.sin(x) * sp.cos(y) + sp.cos(x) * sp.sin(y))
eq("tanh_exp", sp.tanh(x), (exp(x) - exp(-x)) / (exp(x) + exp(-x)))
eq("cosh_sinh", sp.cosh(x) ** 2 - sp.sinh(x) ** 2, sp.Integer(1))
eq("atan_reciprocal", sp.atan(p) + sp.atan(1 / p), sp.pi / 2)
eq("quadratic_complete", x**2 + 4 * x + 7, (x + 2) ** 2 + 3)
eq("polynomial_expand", (x + y + 1) ** 3 - (x + y) ** 3, 3 * (x + y) ** 2 + 3 * (x + y) + 1)

# --- probability ------------------------------------------------------------------------
eq("complement", a_ + (1 - a_), sp.Integer(1), PROB)
eq("bernoulli_variance", a_ - a_**2, a_ * (1 - a_), PROB)
eq(
    "bernoulli_likelihood_log",
    log(a_**lab * (1 - a_) ** (1 - lab)),
    lab * log(a_) + (1 - lab) * log(1 - a_),
    PROB,
)
eq(
    "bayes_numbers",
    sp.Rational(9, 10)
    * sp.Rational(1, 100)
    / (sp.Rational(9, 10) * sp.Rational(1, 100) + sp.Rational(1, 10) * sp.Rational(99, 100)),
    sp.Rational(1, 12),
)
eq(
    "binomial_normalises",
    Sum(sp.binomial(n, k) * a_**k * (1 - a_) ** (n - k), (k, 0, n)),
    sp.Integer(1),
    Domain(symbols={a_: UNIT_OPEN}, sizes={n: (0, 5)}),
)
eq(
    "binomial_mean",
    Sum(k * sp.binomial(n, k) * a_**k * (1 - a_) ** (n - k), (k, 0, n)),
    n * a_,
    Domain(symbols={a_: UNIT_OPEN}, sizes={n: (0, 5)}),
)
eq("odds", a_ / (1 - a_), 1 / (1 / a_ - 1), PROB)
eq("log_odds", log(a_ / (1 - a_)), -log(1 / a_ - 1), PROB)
eq("expectation_two_point", a_ * x + (1 - a_) * y, y + a_ * (x - y), PROB)
eq(
    "variance_two_point",
    a_ * x**2 + (1 - a_) * y**2 - (a_ * x + (1 - a_) * y) ** 2,
    a_ * (1 - a_) * (x - y) ** 2,
    PROB,
)

# --- sigmoid ----------------------------------------------------------------------------
eq("sigmoid_derivative", D(sig(x), x), sig(x) * (1 - sig(x)))
eq("sigmoid_exp_form", sig(x), exp(x) / (1 + exp(x)))
eq("sigmoid_complement", 1 - sig(x), sig(-x))
eq("sigmoid_symmetry", sig(x) + sig(-x), sp.Integer(1))
eq("log_sigmoid", log(sig(x)), -log(1 + exp(-x)))
eq("tanh_via_sigmoid", sp.tanh(x), 2 * sig(2 * x) - 1)
eq("softplus_derivative", D(log(1 + exp(x)), x), sig(x))
eq("logit_of_sigmoid", log(sig(x) / (1 - sig(x))), x)
eq("sigmoid_chain_w", D(sig(w * x + b), w), x * sig(w * x + b) * (1 - sig(w * x + b)))
eq("sigmoid_chain_b", D(sig(w * x + b), b), sig(w * x + b) * (1 - sig(w * x + b)))
eq("sigmoid_second_derivative", D(sig(x), x, 2), sig(x) * (1 - sig(x)) * (1 - 2 * sig(x)))

# --- log-sum-exp ------------------------------------------------------------------------
eq("lse_shift_two", log(exp(x) + exp(y)), x + log(1 + exp(y - x)))
eq("lse_shift_three", log(exp(z1) + exp(z2) + exp(z3)), z1 + log(1 + exp(z2 - z1) + exp(z3 - z1)))
eq("lse_constant_shift", log(exp(x + c) + exp(y + c)), c + log(exp(x) + exp(y)))
eq("lse_gradient_is_softmax", D(log(exp(z1) + exp(z2) + exp(z3)), z2), smx3(1))
eq(
    "lse_gradient_stable",
    D(log(exp(z1) + exp(z2) + exp(z3)), z1),
    1 / (1 + exp(z2 - z1) + exp(z3 - z1)),
)
eq("lse_two_is_softplus", log(exp(x) + exp(y)), y + log(1 + exp(x - y)))

# --- softmax, concrete m = 3 ------------------------------------------------------------
eq("softmax3_sums_to_one", smx3(0) + smx3(1) + smx3(2), sp.Integer(1))
eq("softmax3_jacobian_diagonal", D(smx3(0), z1), smx3(0) * (1 - smx3(0)))
eq("softmax3_jacobian_off_diagonal", D(smx3(0), z2), -smx3(0) * smx3(1))
eq("softmax3_ratio", smx3(0) / smx3(1), exp(z1 - z2))
eq("softmax3_shift_invariant", exp(z1 + c) / (exp(z1 + c) + exp(z2 + c) + exp(z3 + c)), smx3(0))
eq("softmax3_log", log(smx3(2)), z3 - log(exp(z1) + exp(z2) + exp(z3)))
eq("softmax3_diag_as_sum", D(smx3(0), z1), smx3(0) * (smx3(1) + smx3(2)))

# --- cross-entropy gradients -------------------------------------------------------------
_bce = -(lab * log(sig(w * x + b)) + (1 - lab) * log(1 - sig(w * x + b)))
eq("bce_gradient_w", D(_bce, w), x * (sig(w * x + b) - lab), PROB)
eq("bce_gradient_b", D(_bce, b), sig(w * x + b) - lab, PROB)
eq(
    "bce_gradient_a",
    D(-(lab * log(a_) + (1 - lab) * log(1 - a_)), a_),
    (a_ - lab) / (a_ * (1 - a_)),
    PROB,
)
eq(
    "bce_chain_collapse",
    -(lab / a_ - (1 - lab) / (1 - a_)) * a_ * (1 - a_) * x,
    x * (a_ - lab),
    PROB,
)
eq(
    "mse_sigmoid_gradient",
    D((sig(w * x + b) - lab) ** 2 / 2, w),
    (sig(w * x + b) - lab) * sig(w * x + b) * (1 - sig(w * x + b)) * x,
    PROB,
)
eq(
    "mse_tanh_gradient",
    D((c * sp.tanh(w * x + b) - t) ** 2, w),
    2 * (c * sp.tanh(w * x + b) - t) * c * (1 - sp.tanh(w * x + b) ** 2) * x,
)
_ce3 = -(y1 * log(smx3(0)) + y2 * log(smx3(1)) + y3 * log(smx3(2)))
eq("ce3_gradient_general", D(_ce3, z1), smx3(0) * (y1 + y2 + y3) - y1)
eq("ce3_gradient_simplex", D(_ce3, z1), smx3(0) - y1, SIMPLEX3)
eq("ce3_gradient_z3_simplex", D(_ce3, z3), smx3(2) - y3, SIMPLEX3)

# --- sums, symbolic m (bounded) and closed forms -------------------------------------------
eq("gauss_sum", Sum(k, (k, 1, m)), m * (m + 1) / 2, SIZES)
eq("sum_of_squares", Sum(k**2, (k, 1, m)), m * (m + 1) * (2 * m + 1) / 6, SIZES)
eq("sum_of_cubes", Sum(k**3, (k, 1, m)), (m * (m + 1) / 2) ** 2, SIZES)
eq("sum_of_ones", Sum(1, (k, 1, m)), m, SIZES)
eq(
    "geometric_sum",
    Sum(p**k, (k, 0, m)),
    (1 - p ** (m + 1)) / (1 - p),
    Domain(symbols={p: SymbolDomain("interval", Fraction(0), Fraction(1))}, sizes={m: (1, 4)}),
)
eq("telescoping", Sum(1 / k - 1 / (k + 1), (k, 1, m)), 1 - 1 / (m + 1), SIZES)
eq("sum_rename_index", Sum(z[k], (k, 1, m)), Sum(z[j], (j, 1, m)), SIZES)
eq("sum_split_first", Sum(exp(z[k]), (k, 1, m)), exp(z[1]) + Sum(exp(z[k]), (k, 2, m)), SIZES)
eq(
    "sum_linearity",
    Sum(c * exp(z[k]) + z[k], (k, 1, m)),
    c * Sum(exp(z[k]), (k, 1, m)) + Sum(z[k], (k, 1, m)),
    SIZES,
)
eq("softmax_sums_to_one", Sum(sm(i), (i, 1, m)), sp.Integer(1), SIZES)
eq("softmax_jacobian_diagonal", D(sm(j), z[j]), sm(j) * (1 - sm(j)), SIZES)
eq("softmax_jacobian_off_diagonal", D(sm(i), z[j]), -sm(i) * sm(j), OFF_DIAG)
eq("softmax_jacobian_kronecker", D(sm(i), z[j]), sm(i) * (sp.KroneckerDelta(i, j) - sm(j)), SIZES)
eq("lse_gradient_symbolic", D(log(S), z[j]), sm(j), SIZES)
eq("softmax_log", log(sm(j)), z[j] - log(S), SIZES)
_ce = -Sum(Y[i] * log(sm(i)), (i, 1, m))
eq("ce_gradient_general", D(_ce, z[j]), sm(j) * Sum(Y[i], (i, 1, m)) - Y[j], SIZES)
eq("ce_gradient_simplex", D(_ce, z[j]), sm(j) - Y[j], SIMPLEX)
eq("ce_gradient_sum_form", Sum(Y[i], (i, 1, m)) * sm(j) - Y[j], sm(j) - Y[j], SIMPLEX)


IDENTITIES: list[Case] = [Case(name, lhs, rhs, dom) for name, lhs, rhs, dom in _E]


# --- mutations --------------------------------------------------------------------------


def _sign(e: sp.Expr) -> sp.Expr:
    if isinstance(e, sp.Add):
        first, *rest = e.args
        return sp.Add(-first, *rest)
    return -e


def _drop(e: sp.Expr) -> sp.Expr:
    muls = [a for a in sp.preorder_traversal(e) if isinstance(a, sp.Mul)]
    for mul in muls:
        factors = [a for a in mul.args if not a.is_number]
        if len(factors) >= 2:
            kept = list(mul.args)
            kept.remove(factors[0])
            return e.xreplace({mul: sp.Mul(*kept)})
    return e


def _exponent(e: sp.Expr) -> sp.Expr:
    for a in sp.preorder_traversal(e):
        if isinstance(a, sp.Pow) and a.exp.is_number:
            return e.xreplace({a: sp.Pow(a.base, a.exp + 1)})
    return e


def _swap(e: sp.Expr) -> sp.Expr:
    syms = sorted((s for s in e.free_symbols if isinstance(s, sp.Symbol)), key=str)
    if len(syms) < 2:
        return e
    s1, s2 = syms[:2]
    return e.xreplace({s1: s2, s2: s1})


def _product_to_sum(e: sp.Expr) -> sp.Expr:
    for a in sp.preorder_traversal(e):
        if isinstance(a, sp.Mul) and len([f for f in a.args if not f.is_number]) >= 2:
            return e.xreplace({a: sp.Add(*a.args)})
    return e


def _log_exp(e: sp.Expr) -> sp.Expr:
    for a in sp.preorder_traversal(e):
        if isinstance(a, sp.log):
            return e.xreplace({a: exp(a.args[0])})
        if isinstance(a, sp.exp):
            return e.xreplace({a: log(a.args[0])})
    return e


KINDS: tuple[tuple[str, Callable[[sp.Expr], sp.Expr]], ...] = (
    ("sign flip", _sign),
    ("dropped factor", _drop),
    ("exponent + 1", _exponent),
    ("swapped symbols", _swap),
    ("product to sum", _product_to_sum),
    ("log <-> exp", _log_exp),
)

# Automatic kinds that leave these identities true (a symmetric swap, a factor that is 1
# on the domain): skipped for that case.
_NOT_A_MUTATION: dict[str, set[str]] = {
    "lse_two_is_softplus": {"swapped symbols"},  # LSE is symmetric: still an identity
    "bernoulli_likelihood_log": {"swapped symbols"},  # log of a label: undefined everywhere
    "log_odds": {"exponent + 1"},  # -log(1 - 1): undefined everywhere
    "sum_rename_index": {"swapped symbols"},  # would swap the size m with the family z
    "sum_split_first": {"swapped symbols"},
}


def _auto_mutation(index: int, case: Case) -> Case | None:
    for step in range(len(KINDS)):
        kind, mutate = KINDS[(index + step) % len(KINDS)]
        if kind in _NOT_A_MUTATION.get(case.name, set()):
            continue
        new = mutate(case.rhs)
        if new != case.rhs and new != case.lhs:
            return Case(f"{case.name} / {kind}", case.lhs, new, case.domain)
    return None


_HAND: list[Case] = [
    Case("gauss off-by-one", Sum(k, (k, 1, m)), m * (m - 1) / 2, SIZES),
    Case("sum bound 0..m vs 1..m", Sum(z[k], (k, 1, m)), Sum(z[k], (k, 0, m)), SIZES),
    Case(
        "sum split wrong bound",
        Sum(exp(z[k]), (k, 1, m)),
        exp(z[1]) + Sum(exp(z[k]), (k, 1, m - 1)),
        SIZES,
    ),
    Case("softmax diag wrong index", D(sm(j), z[j]), sm(j) * (1 - sm(1)), SIZES),
    Case(
        "softmax off-diagonal missing square", -exp(z[i]) * exp(z[j]) / S, -sm(i) * sm(j), OFF_DIAG
    ),
    Case("softmax off-diagonal sign", D(sm(i), z[j]), sm(i) * sm(j), OFF_DIAG),
    Case(
        "ce gradient without constraint", Sum(Y[i], (i, 1, m)) * sm(j) - Y[j], sm(j) - Y[j], SIZES
    ),
    Case("ce3 gradient without constraint", D(_ce3, z1), smx3(0) - y1),
    Case(
        "lse symbolic off-by-one", D(log(S), z[j]), exp(z[j]) / Sum(exp(z[k]), (k, 1, m - 1)), SIZES
    ),
    Case("softmax sums bound 2..m", Sum(sm(i), (i, 2, m)), sp.Integer(1), SIZES),
    Case(
        "geometric wrong exponent",
        Sum(p**k, (k, 0, m)),
        (1 - p**m) / (1 - p),
        Domain(symbols={p: SymbolDomain("interval", Fraction(0), Fraction(1))}, sizes={m: (1, 4)}),
    ),
    Case("log product for reals", log(u * v), log(u) + log(v)),
    Case("sqrt square for reals", sqrt(x**2), x),
    Case("atan reciprocal for reals", sp.atan(x) + sp.atan(1 / x), sp.pi / 2),
    Case("sigmoid wrong exponent sign", sig(x), exp(x) / (1 + exp(-x))),
    Case("sigmoid derivative missing square", D(sig(x), x), exp(-x) / (1 + exp(-x))),
    Case("lse swapped", log(exp(x) + exp(y)), x + log(1 + exp(x - y))),
    Case("ramanujan near-integer", exp(sp.pi * sqrt(163)), sp.Integer(640320) ** 3 + 744),
    Case(
        "taylor extra term",
        Sum(x**n / sp.factorial(n), (n, 0, 30)),
        Sum(x**n / sp.factorial(n), (n, 0, 31)),
    ),
    Case(
        "binomial mean off by one",
        Sum(k * sp.binomial(n, k) * a_**k * (1 - a_) ** (n - k), (k, 0, n)),
        (n + 1) * a_,
        Domain(symbols={a_: UNIT_OPEN}, sizes={n: (0, 5)}),
    ),
    # an unknown function carried unchanged, the slip elsewhere: refuted whatever f is
    Case("unknown carried, square expanded wrong", f(x) + (x + 1) ** 2, f(x) + x**2 + 1),
    Case("unknown carried, derivative of x^3 wrong", D(f(x) + x**3, x), D(f(x), x) + 2 * x**2),
    Case("unknown carried in a quotient", (f(x) * (x**2 - 1)) / (f(x) * (x - 1)), x - 1),
    Case("bce gradient missing x", D(_bce, w), sig(w * x + b) - lab, PROB),
    Case("cube binomial sign", (x - 1) ** 3, x**3 - 3 * x**2 - 3 * x - 1),
    Case("parity cos", sp.cos(sp.pi * sp.Symbol("N", integer=True)), sp.Integer(1)),
]


def _through_unknown(case: Case) -> bool:
    """The mutation changes what an unknown function contributes."""
    return any(e.has(sp.core.function.AppliedUndef) for e in (case.lhs, case.rhs)) and not (
        case.name.startswith("unknown carried")
    )


_ALL_MUTATIONS: list[Case] = [
    mut for idx, case in enumerate(IDENTITIES) if (mut := _auto_mutation(idx, case)) is not None
] + _HAND + [
    Case("undefined product rule missing term", D(f(x) * g(x), x), D(f(x), x) * g(x)),
]
# Near misses on meaning the document gives: each must be refuted.
MUTATIONS: list[Case] = [c for c in _ALL_MUTATIONS if not _through_unknown(c)]
# Near misses that change what an unknown function contributes (d(fg)/dx = f'g holds
# when g is constant): the document never says what f is, so never refuted.
UNKNOWN_MEANING_MUTATIONS: list[Case] = [c for c in _ALL_MUTATIONS if _through_unknown(c)]


# --- the same identities around names whose meaning is left open ----------------------
# (issue 13: rewritten with undefined names and opaque operators around it, a
# true identity is never refuted, and proved as often as it is plain)


class OpaqueE(sp.Function):
    """An operator the document gives no rules for, as the reader builds E[·]."""

    opaque = True
    nargs = 1


_xi = sp.Symbol("xi", real=True)
_h = sp.Function("h")
_gamma = sp.Function("gamma")
WRAPS: dict[str, Callable[[sp.Expr], sp.Expr]] = {
    "h(xi) + .": lambda e: _h(_xi) + e,
    "gamma(.)": lambda e: _gamma(e),
    "E[.]": lambda e: OpaqueE(e),
    "h(xi) * .": lambda e: _h(_xi) * e,
    "dh/dxi + .": lambda e: D(_h(_xi), _xi) + e,
}


def wrapped(case: Case, kind: str) -> Case:
    wrap = WRAPS[kind]
    return Case(f"{case.name} in {kind}", wrap(case.lhs), wrap(case.rhs), case.domain)
