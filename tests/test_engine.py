"""The tiered equality engine: every verdict, every tier, on real derivation steps."""

from __future__ import annotations

import statistics
import time
from fractions import Fraction

import pytest
import sympy as sp
from identities import IDENTITIES, MUTATIONS, UNKNOWN_MEANING_MUTATIONS
from sympy import Derivative as D
from sympy import Eq, Ne, Sum, exp, log, sqrt

from derive.domain import Domain, SymbolDomain
from derive.engine import Decision, decide_approx, decide_equal, decide_implication

x, y, t = sp.symbols("x y t", real=True)
a, b = sp.symbols("a b", positive=True)
u, v = sp.symbols("u v", real=True)
m = sp.Symbol("m", integer=True, positive=True)
j, k, q = sp.symbols("j k q", integer=True, positive=True)
z = sp.IndexedBase("z", real=True)
Y = sp.IndexedBase("y", real=True)
S = Sum(exp(z[k]), (k, 1, m))
SIZES = Domain(sizes={m: (1, 4)}, indices={j: m, k: m, q: m})
OFF_DIAGONAL = Domain(sizes={m: (1, 4)}, indices={j: m, k: m, q: m}, cases=[Ne(q, j)])
UNIT = SymbolDomain("interval", Fraction(0), Fraction(1), False, False)


def softmax(idx: sp.Expr) -> sp.Expr:
    return exp(z[idx]) / S


def assert_confirmed(decision: Decision, lhs: sp.Expr, rhs: sp.Expr) -> None:
    """A refutation must come with a point where the two sides really differ."""
    assert decision.verdict == "refuted", decision
    assert decision.counterexample is not None and decision.values is not None
    assert decision.values["lhs"] != decision.values["rhs"]


# --- tier 1: identical and canonical forms ------------------------------------------------


def test_identical_sides_are_proved_without_work():
    decision = decide_equal(x**2 + 1, x**2 + 1, Domain())
    assert (decision.verdict, decision.method) == ("proved", "identical")


def test_sums_over_differently_named_indices_are_identical():
    decision = decide_equal(Sum(z[k], (k, 1, m)), Sum(z[j], (j, 1, m)), SIZES)
    assert decision.verdict == "proved"


def test_rational_identity_is_proved_canonically():
    decision = decide_equal((3 * x + 5) / ((x + 1) * (x + 2)), 2 / (x + 1) + 1 / (x + 2), Domain())
    assert decision.verdict == "proved" and decision.method.startswith("canonical")


def test_unevaluated_derivative_is_evaluated_before_comparing():
    s = 1 / (1 + exp(-x))
    assert decide_equal(D(s, x), s * (1 - s), Domain()).verdict == "proved"


# --- tier 2: refutation with confirmed, shrunk counterexamples ------------------------------


def test_wrong_sign_is_refuted_with_a_simple_counterexample():
    decision = decide_equal(D(x**2, x), -2 * x, Domain())
    assert_confirmed(decision, D(x**2, x), -2 * x)
    assert decision.counterexample == {"x": "1"}
    assert decision.ratio == -1 and "sign" in decision.message


def test_missing_factor_is_refuted_with_the_factor_as_ratio():
    s = 1 / (1 + exp(-(x * t)))
    decision = decide_equal(D(s, t), s * (1 - s), Domain())
    assert_confirmed(decision, D(s, t), s * (1 - s))
    assert decision.ratio == x


def test_evidence_keeps_an_exponential_of_a_sum_whole():
    # the seed note's slip σ'(x) for σ'(z) with z = wx + b: the ratio must stay in
    # e^{-(wx+b)} (which folds back into z and a for the reader), not be expanded
    # into e^{-b} e^{-wx} products over a dozen terms
    w, c = sp.symbols("w c", real=True)
    sig = lambda e: 1 / (1 + exp(-e))  # noqa: E731
    wrong = y * sig(x) * (1 - sig(x))
    right = y * sig(w * x + c) * (1 - sig(w * x + c))
    decision = decide_equal(right, wrong, Domain())
    assert decision.verdict == "refuted"
    assert exp(-c - w * x) in decision.ratio.atoms(exp)
    assert sp.count_ops(decision.ratio) <= 20


def test_wrong_exponent_is_refuted():
    decision = decide_equal(D(x**3, x), 3 * x**3, Domain())
    assert_confirmed(decision, D(x**3, x), 3 * x**3)
    assert decision.residual is not None


def test_removable_singularity_is_not_a_counterexample():
    assert decide_equal((x**2 - 1) / (x - 1), x + 1, Domain()).verdict == "proved"
    # even when only the probe can speak, x = 1 is skipped, not reported
    decision = decide_equal(
        (x**2 - 1) / (x - 1) + sp.atan(a) + sp.atan(1 / a), x + 1 + sp.pi / 2, Domain()
    )
    assert decision.verdict in {"proved", "numeric"}


def test_sqrt_of_square_holds_for_positive_x():
    xp = sp.Symbol("x", positive=True)
    assert decide_equal(sqrt(xp**2), xp, Domain()).verdict == "proved"


def test_sqrt_of_square_holds_on_a_declared_positive_interval():
    dom = Domain(symbols={x: SymbolDomain("interval", Fraction(0), None)})
    assert decide_equal(sqrt(x**2), x, dom).verdict != "refuted"


def test_sqrt_of_square_is_refuted_for_real_x_at_a_negative_point():
    decision = decide_equal(sqrt(x**2), x, Domain())
    assert_confirmed(decision, sqrt(x**2), x)
    assert Fraction(decision.counterexample["x"]) < 0
    assert "positive x" in decision.message


def test_log_of_product_is_proved_for_positive_factors():
    assert decide_equal(log(a * b), log(a) + log(b), Domain()).verdict == "proved"


def test_log_of_product_is_refuted_for_reals_across_the_branch_cut():
    decision = decide_equal(log(u * v), log(u) + log(v), Domain())
    assert_confirmed(decision, log(u * v), log(u) + log(v))
    assert Fraction(decision.counterexample["u"]) < 0 and Fraction(decision.counterexample["v"]) < 0
    assert "i" in decision.values["rhs"]  # 2πi off: seen because we evaluate in the complex plane
    assert "holds only for positive u, v" in decision.message


def test_difference_below_thirty_digits_is_still_refuted():
    lhs, rhs = exp(sp.pi * sqrt(163)), sp.Integer(640320) ** 3 + 744
    assert_confirmed(decide_equal(lhs, rhs, Domain()), lhs, rhs)


def test_value_sets_are_respected():
    label = SymbolDomain("values", values=(Fraction(0), Fraction(1)))
    dom = Domain(symbols={y: label})
    assert decide_equal(y**2, y, dom).verdict != "refuted"  # true for labels 0, 1
    assert decide_equal(y**2, y, Domain()).verdict == "refuted"


def test_a_claim_about_an_unknown_function_is_not_refuted_by_choosing_one():
    # d(fg)/dx = f'g holds when g is constant: the document never says what f, g are
    f, g = sp.Function("f"), sp.Function("g")
    decision = decide_equal(D(f(x) * g(x), x), D(f(x), x) * g(x), Domain())
    assert decision.verdict == "undecided" and decision.method == "unknown meaning"
    assert "never defines" in decision.message and "f(x)" in decision.message


# --- tier 3: symbolic proof under a budget ----------------------------------------------------


def test_trig_identity_needs_the_symbolic_tier():
    decision = decide_equal(sp.cos(x) ** 4 - sp.sin(x) ** 4, sp.cos(2 * x), Domain())
    assert decision.verdict == "proved"


def test_simplify_hang_returns_numeric_within_the_budget():
    # simplify does not finish in minutes on anything containing this ∂LSE difference
    zs = sp.symbols("z1:11", real=True)
    others = [exp(zs[2] - zk) for zk in zs if zk != zs[2]]  # the sign-flipped stable form
    hard = D(log(sum(exp(s) for s in zs)), zs[2]).doit() - 1 / (1 + sum(others))
    lhs = sp.atan(exp(hard)) + sp.atan(exp(-hard))  # = π/2 for every real argument
    start = time.thread_time()  # the budget is CPU time of this thread
    decision = decide_equal(lhs, sp.pi / 2, Domain(), budget=1.0)
    assert time.thread_time() - start < 5
    assert decision.verdict in {"numeric", "undecided"}


def test_numeric_verdict_says_it_is_not_a_proof():
    decision = decide_equal(sp.atan(a) + sp.atan(1 / a), sp.pi / 2, Domain(), budget=0.5)
    assert decision.verdict in {"numeric", "proved"}
    if decision.verdict == "numeric":
        assert "not proved" in decision.message


def test_constraint_that_cannot_be_sampled_gives_undecided_not_refuted():
    circle = Domain(constraints=[Eq(x**2 + y**2, 1)])  # not linear in any symbol
    decision = decide_equal(sqrt(1 - x**2), y, circle)
    assert decision.verdict == "undecided" and "constraint" in decision.message


def test_sides_undefined_everywhere_are_undecided_not_identical():
    decision = decide_equal(1 / (x - x), 2 / (y - y), Domain())
    assert decision.verdict == "undecided"


# --- symbolic sizes, free indices, cases, constraints -------------------------------------------


def test_gauss_sum_is_proved_for_every_m():
    assert decide_equal(Sum(k, (k, 1, m)), m * (m + 1) / 2, SIZES).verdict == "proved"


def test_a_summand_that_cancels_to_a_constant_closes_the_sum_for_every_m():
    # linear regression's ∂L/∂b: (1/m) Σ_k (b + w x_k - y_k) - (w/m) Σ x_k + (1/m) Σ y_k = b
    w, c = sp.symbols("w c", real=True)
    X = sp.IndexedBase("x", real=True)
    lhs = Sum((c + w * X[k] - Y[k]) / m - w * X[k] / m + Y[k] / m, (k, 1, m))
    decision = decide_equal(lhs, c, SIZES)
    assert (decision.verdict, decision.method) == ("proved", "canonical (symbolic)")
    wrong = decide_equal(lhs, c * m, SIZES)  # Σ_k c/m is c, not c·m
    assert wrong.verdict == "refuted"


def test_closing_a_constant_sum_stops_where_an_outer_bound_depends_on_it():
    from derive.engine.proof import _close_constant_sums

    r, s = sp.symbols("r s", integer=True, positive=True)
    triangle = Sum(1, (r, 1, s), (s, 1, m))  # Σ_{s=1}^{m} Σ_{r=1}^{s} 1
    assert _close_constant_sums(triangle) == Sum(s, (s, 1, m))
    assert _close_constant_sums(Sum(2, (r, 1, m), (s, 1, 3))) == 6 * m
    assert decide_equal(triangle, m * (m + 1) / 2, SIZES).verdict in {"proved", "bounded"}
    assert decide_equal(triangle, m**2, SIZES).verdict == "refuted"


def test_gauss_sum_off_by_one_is_refuted_at_small_m():
    decision = decide_equal(Sum(k, (k, 1, m)), m * (m - 1) / 2, SIZES)
    assert decision.verdict == "refuted" and decision.counterexample["m"] == "1"


def test_sum_bound_off_by_one_is_refuted_with_the_extra_term():
    decision = decide_equal(Sum(z[k], (k, 1, m)), Sum(z[k], (k, 0, m)), SIZES)
    assert decision.verdict == "refuted"
    assert decision.counterexample["m"] == "1" and "z[0]" in decision.counterexample


def test_softmax_jacobian_diagonal_is_bounded():
    decision = decide_equal(D(softmax(j), z[j]), softmax(j) * (1 - softmax(j)), SIZES)
    assert decision.verdict == "bounded"
    assert "m=1..4" in decision.method


def test_softmax_jacobian_off_diagonal_is_bounded_when_q_differs_from_j():
    decision = decide_equal(D(softmax(q), z[j]), -softmax(q) * softmax(j), OFF_DIAGONAL)
    assert decision.verdict == "bounded"
    assert "q ≠ j" in decision.method or "j ≠ q" in decision.method


def test_off_diagonal_with_missing_square_is_refuted_by_the_sum():
    wrong = -exp(z[q]) * exp(z[j]) / S  # the denominator should be squared
    decision = decide_equal(wrong, -softmax(q) * softmax(j), OFF_DIAGONAL)
    assert decision.verdict == "refuted"
    assert decision.counterexample["q"] != decision.counterexample["j"]
    assert str(decision.ratio) == str(S)  # bound index renamed canonically, same k
    assert "off by a factor of Sum(exp(z[k]), (k, 1, m))" in decision.message


def test_cross_entropy_gradient_needs_the_simplex_constraint():
    lhs = Sum(Y[q], (q, 1, m)) * softmax(j) - Y[j]
    plain = Domain(symbols={sp.Symbol("y"): UNIT}, sizes={m: (1, 4)}, indices={j: m, q: m})
    refuted = decide_equal(lhs, softmax(j) - Y[j], plain)
    assert refuted.verdict == "refuted"
    constrained = Domain(
        symbols=plain.symbols,
        sizes=plain.sizes,
        indices=plain.indices,
        constraints=[Eq(Sum(Y[q], (q, 1, m)), 1)],
    )
    assert decide_equal(lhs, softmax(j) - Y[j], constrained).verdict in {"bounded", "proved"}


def test_case_q_equals_j_is_substituted():
    dom = Domain(sizes={m: (1, 4)}, indices={j: m, q: m}, cases=[Eq(q, j)])
    decision = decide_equal(D(softmax(q), z[j]), softmax(j) * (1 - softmax(j)), dom)
    assert decision.verdict == "bounded"


# --- equation chains ------------------------------------------------------------------------


LOGISTIC = [
    Eq(y, 1 / (1 + exp(-t))),
    Eq(1, y * (1 + exp(-t))),
    Eq(1 - y, y * exp(-t)),
    Eq(exp(-t), (1 - y) / y),
    Eq(-t, log((1 - y) / y)),
    Eq(t, log(y / (1 - y))),
]
OPEN_UNIT = Domain(symbols={y: SymbolDomain("interval", Fraction(0), Fraction(1))})


@pytest.mark.parametrize("step", range(len(LOGISTIC) - 1))
def test_solving_the_logistic_function_for_t_holds_at_every_step(step):
    decision = decide_implication(LOGISTIC[step], LOGISTIC[step + 1], OPEN_UNIT)
    assert decision.verdict == "proved", decision
    assert decision.method == "equivalent"


def test_logistic_sign_slip_is_refuted_on_the_premise():
    decision = decide_implication(LOGISTIC[4], Eq(t, log((1 - y) / y)), OPEN_UNIT)
    assert decision.verdict == "refuted"
    assert 0 < Fraction(decision.counterexample["y"]) < 1


def test_a_conclusion_that_holds_identically_is_not_skipped_by_the_nonzero_check():
    # the conclusion (x+1)^2 = x^2 + 2x + 1 is true everywhere, whatever the premise
    premise, conclusion = Eq(y, 1 / (1 + exp(-t))), Eq((x + 1) ** 2, x**2 + 2 * x + 1)
    decision = decide_implication(premise, conclusion, OPEN_UNIT)
    assert (decision.verdict, decision.method) == ("proved", "implies")
    assert "identically" in decision.message


def test_visibly_nonzero_needs_a_confirmed_value_inside_the_domain():
    import random

    from derive.engine.sampling import Instance, visibly_nonzero

    inst = Instance.build(y - 1 / (1 + exp(-t)), sp.Integer(0), OPEN_UNIT, {}, random.Random(0))
    assert visibly_nonzero(y * (1 + exp(-t)) - 1, inst)
    assert not visibly_nonzero((t + 1) ** 2 - t**2 - 2 * t - 1, inst)  # zero everywhere
    # zero at every point of (0, 1), non-zero only outside it: not shown
    assert not visibly_nonzero(sp.Abs(y) - y, inst)
    # an undefined function has no value to show
    assert not visibly_nonzero(sp.Function("f")(t) - 1, inst)


def test_squaring_both_sides_is_an_implication_only():
    decision = decide_implication(Eq(x, 2), Eq(x**2, 4), Domain())
    assert (decision.verdict, decision.method) == ("proved", "implies")
    assert "implication only" in decision.message


def test_taking_a_square_root_loses_a_solution():
    decision = decide_implication(Eq(x**2, 4), Eq(x, 2), Domain())
    assert decision.verdict == "refuted" and decision.counterexample == {"x": "-2"}


# --- approximations ---------------------------------------------------------------------------


def test_approximation_rounding_to_the_shown_digits_holds():
    value = sp.binomial(10, 6) * sp.Float("0.6") ** 6 * sp.Float("0.4") ** 4
    decision = decide_approx(value, 2, sp.Float("0.25"), Domain())
    assert decision.verdict == "proved"


def test_approximation_off_in_the_last_digit_is_refuted_with_the_true_value():
    value = sp.binomial(10, 6) * sp.Float("0.6") ** 6 * sp.Float("0.4") ** 4
    decision = decide_approx(value, 2, sp.Float("0.26"), Domain())
    assert decision.verdict == "refuted" and "0.2508" in decision.message


def test_approximation_with_free_symbols_is_undecided():
    assert decide_approx(x + 1, 2, sp.Float("1.5"), Domain()).verdict == "undecided"


# --- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_the_same_decision():
    first = decide_equal(log(u * v), log(u) + log(v), Domain(), seed=7)
    second = decide_equal(log(u * v), log(u) + log(v), Domain(), seed=7)
    assert first == second
    lhs = Sum(Y[q], (q, 1, m)) * softmax(j) - Y[j]
    dom = Domain(symbols={sp.Symbol("y"): UNIT}, sizes={m: (1, 4)}, indices={j: m, q: m})
    assert decide_equal(lhs, softmax(j) - Y[j], dom, seed=3) == decide_equal(
        lhs, softmax(j) - Y[j], dom, seed=3
    )


# --- the corpus: no true identity refuted, every near miss refuted ---------------------------


def test_corpus_has_enough_cases():
    assert len(IDENTITIES) >= 100 and len(MUTATIONS) >= 100


def test_no_true_identity_is_ever_refuted():
    only_numeric, times, wrong = [], [], []
    for case in IDENTITIES:
        start = time.monotonic()
        decision = decide_equal(case.lhs, case.rhs, case.domain, budget=2.0)
        times.append(time.monotonic() - start)
        if decision.verdict not in {"proved", "bounded", "numeric"}:
            wrong.append((case.name, decision.verdict, decision.message))
        elif decision.verdict == "numeric":
            only_numeric.append(case.name)
    print(
        f"\n{len(IDENTITIES)} identities: {len(only_numeric)} only numeric {only_numeric}; "
        f"median {statistics.median(times) * 1000:.0f} ms, total {sum(times):.1f} s"
    )
    assert not wrong


def test_every_mutation_is_refuted_with_a_confirmed_counterexample():
    missed, times = [], []
    for case in MUTATIONS:
        start = time.monotonic()
        decision = decide_equal(case.lhs, case.rhs, case.domain, budget=2.0)
        times.append(time.monotonic() - start)
        if decision.verdict != "refuted" or decision.values is None:
            missed.append((case.name, decision.verdict, decision.message))
    print(
        f"\n{len(MUTATIONS)} mutations: median {statistics.median(times) * 1000:.0f} ms, "
        f"total {sum(times):.1f} s"
    )
    assert not missed


def test_near_misses_through_an_unknown_function_are_undecided_with_the_reason():
    assert len(UNKNOWN_MEANING_MUTATIONS) >= 3
    for case in UNKNOWN_MEANING_MUTATIONS:
        decision = decide_equal(case.lhs, case.rhs, case.domain, budget=2.0)
        assert decision.verdict == "undecided", (case.name, decision)
        assert "never defines" in decision.message, (case.name, decision.message)


def test_softmax_diagonal_is_proved_for_every_m_once_deltas_are_resolved():
    # Σ_k e^{z_k} δ(k, j) = e^{z_j} because j runs over 1..m: a proof for every m,
    # not only the instances m = 1..4
    m = sp.Symbol("m", integer=True, positive=True)
    j, k = (sp.Symbol(n, integer=True, positive=True) for n in "jk")
    z = sp.IndexedBase("z", real=True)
    total = sp.Sum(sp.exp(z[k]), (k, 1, m))
    lhs = sp.diff(sp.exp(z[j]) / total, z[j])  # contains Σ e^{z_k} δ(j, k)
    a_j = sp.exp(z[j]) / total
    domain = Domain(sizes={m: (1, 4)}, indices={j: m, k: m})
    decision = decide_equal(lhs, a_j * (1 - a_j), domain)
    assert decision.verdict == "proved", decision
    assert "symbolic" in decision.method


def test_a_delta_over_a_different_range_is_not_resolved():
    # j runs over 1..n, the sum over 1..m: Σ_k δ(k, j) is not 1 when j > m
    m, n = (sp.Symbol(s, integer=True, positive=True) for s in "mn")
    j, k = (sp.Symbol(s, integer=True, positive=True) for s in "jk")
    lhs = sp.Sum(sp.KroneckerDelta(k, j), (k, 1, m))
    domain = Domain(sizes={m: (1, 3), n: (1, 3)}, indices={j: n, k: m})
    decision = decide_equal(lhs, sp.Integer(1), domain)
    assert decision.verdict == "refuted", decision


def test_a_side_undefined_on_a_whole_value_set_is_refuted_not_undecided():
    # y ∈ {0, 1}: a/y - (1-a)/(1-y) divides by zero at every label value, so it
    # cannot equal a side that is defined there (found by mutation testing)
    a, y = sp.Symbol("a", real=True), sp.Symbol("y", real=True)
    lhs = y / a - (1 - y) / (1 - a)
    rhs = a / y - (1 - a) / (1 - y)
    decision = decide_equal(
        lhs, rhs, Domain(symbols={y: SymbolDomain("values", values=(Fraction(0), Fraction(1)))})
    )
    assert decision.verdict == "refuted"
    assert "undefined" in decision.message
    assert decision.values and "undefined" in decision.values.values()


def test_an_equation_that_is_false_everywhere_is_still_an_equation():
    # e^{-t} = -1 holds nowhere; it must be refuted, not crash on SymPy's False
    t = sp.Symbol("t", real=True)
    premise = sp.Eq(sp.exp(-t) - 2, 0, evaluate=False)
    conclusion = sp.Eq(sp.exp(-t), -1, evaluate=False)
    assert decide_implication(premise, conclusion, Domain()).verdict == "refuted"


# --- premises SymPy cannot solve: roots found numerically ---------------------------------

KEPLER_LIKE = Eq(t * exp(-t), 1 - t)  # no closed-form solution; one real root t0 ≈ 0.6590


def assert_premise_holds_and_conclusion_fails(decision: Decision, premise, conclusion) -> None:
    """Re-check a refuted implication independently: substitute the counterexample."""
    assert decision.verdict == "refuted", decision
    point = {sp.Symbol(k, real=True): sp.sympify(v) for k, v in decision.counterexample.items()}
    p_val = (premise.lhs - premise.rhs).subs(point).evalf(50)
    c_val = (conclusion.lhs - conclusion.rhs).subs(point).evalf(50)
    assert abs(p_val) < 1e-15, p_val
    assert abs(c_val) > 1e-6, c_val


def test_unsolvable_premise_is_refuted_at_a_root_found_numerically():
    conclusion = Eq(exp(-t), (1 - y) / y)
    decision = decide_implication(KEPLER_LIKE, conclusion, OPEN_UNIT)
    assert_premise_holds_and_conclusion_fails(decision, KEPLER_LIKE, conclusion)
    root = sp.nsolve(t * exp(-t) - (1 - t), t, 0.5, prec=40)
    assert abs(sp.Float(decision.counterexample["t"], 30) - root) < 1e-18
    assert len(decision.counterexample["t"].replace("0.", "", 1)) == 20  # 20 digits shown
    assert 0 < Fraction(decision.counterexample["y"]) < 1
    assert "t ≈ 0.65905 (root found numerically, confirmed to 100 digits)" in decision.message


def test_unsolvable_premise_with_a_root_depending_on_another_variable_is_refuted():
    # t e^{-t} = y (1 - t): SymPy solves it for y only, and none of those points lies in
    # (0, 1); for t the root depends on y and is found numerically at a sampled y
    premise, conclusion = Eq(t * exp(-t), y * (1 - t)), Eq(exp(-t), (1 - y) / y)
    decision = decide_implication(premise, conclusion, OPEN_UNIT)
    assert_premise_holds_and_conclusion_fails(decision, premise, conclusion)
    assert "root found numerically" in decision.message


def test_inverting_the_logistic_with_the_roles_swapped_is_refuted():
    # -y = log((1-t)/t) gives t = 1/(1 + e^{-y}), never log(y/(1-y)) for y in (0, 1)
    premise, conclusion = Eq(-y, log((1 - t) / t)), Eq(t, log(y / (1 - y)))
    decision = decide_implication(premise, conclusion, OPEN_UNIT)
    assert_premise_holds_and_conclusion_fails(decision, premise, conclusion)
    assert 0 < Fraction(decision.counterexample["y"]) < 1


@pytest.mark.parametrize(
    ("premise", "conclusion"),
    [
        (KEPLER_LIKE, Eq(t, (1 - t) * exp(t))),  # both sides times e^t
        (KEPLER_LIKE, Eq(t + t * exp(-t), 1)),
        (Eq(-y, log((1 - t) / t)), Eq(t, 1 / (1 + exp(-y)))),
        (Eq(t * exp(-t), y * (1 - t)), Eq(t, y * (1 - t) * exp(t))),
        (Eq(sp.cos(x), x), Eq(sp.sin(x) ** 2, 1 - x**2)),  # sin² = 1 - cos² = 1 - x²
        (Eq(sp.cos(x), x), Eq(x, sp.cos(sp.cos(x)))),
        # no real solution at all: a near-root of size 1e-50 is not a root
        (Eq((t - sp.cos(t)) ** 2 + sp.Rational(1, 10**50), 0, evaluate=False), Eq(t, 0)),
        # sign changes across jumps (no root anywhere) are not confirmed as roots either
        (Eq(sp.sign(t - sp.cos(t)) + t / 100, 0, evaluate=False), Eq(t, 0)),
        (Eq(sp.floor(t - sp.cos(t)) + sp.Rational(1, 2) + t / 1000, 0, evaluate=False), Eq(t, 0)),
    ],
)
def test_true_implications_with_unsolvable_premises_are_never_refuted(premise, conclusion):
    decision = decide_implication(premise, conclusion, OPEN_UNIT)
    assert decision.verdict != "refuted", decision


def test_true_implication_with_an_unsolvable_premise_agrees_at_numeric_roots():
    decision = decide_implication(Eq(sp.cos(x), x), Eq(x, sp.cos(sp.cos(x))), Domain())
    assert decision.verdict == "numeric", decision
    assert "holds at" in decision.message


def test_numeric_root_refutation_is_deterministic_and_within_the_budget():
    conclusion = Eq(exp(-t), (1 - y) / y)
    start = time.perf_counter()
    first = decide_implication(KEPLER_LIKE, conclusion, OPEN_UNIT, seed=3, budget=1.0)
    elapsed = time.perf_counter() - start
    second = decide_implication(KEPLER_LIKE, conclusion, OPEN_UNIT, seed=3, budget=1.0)
    assert first == second
    assert first.verdict == "refuted"
    assert elapsed < 2.0


def test_a_counterexample_against_an_identically_zero_side_is_confirmed():
    # Σ_j ∂a_i/∂z_j is exactly 0 but not written as 0: strict 60-digit evaluation
    # cannot reach relative precision on it, which must not hide the refutation
    z = sp.IndexedBase("z", real=True)
    s = sum(sp.exp(z[k]) for k in (1, 2, 3))
    lhs = sum(sp.diff(sp.exp(z[1]) / s, z[j]) for j in (1, 2, 3))
    rhs = 2 * sp.exp(z[1]) / s
    decision = decide_equal(lhs, rhs, Domain())
    assert decision.verdict == "refuted", decision


# --- sums with several limits: a bound that uses an outer summation index --------------------

TRIANGLE_INLINE = r"""
$$
\sum_{s=1}^{m}\sum_{r=1}^{s} 1 = \frac{m(m+1)}{2}
$$
"""

TRIANGLE_DEFINED = r"""
$$
T = \sum_{s=1}^{m}\sum_{r=1}^{s} r
$$

$$
2T = \sum_{s=1}^{m} s(s+1)
$$
"""


@pytest.mark.parametrize("text", [TRIANGLE_INLINE, TRIANGLE_DEFINED], ids=["inline", "defined"])
def test_an_inner_bound_that_uses_the_outer_index_is_not_a_free_symbol(text):
    # Σ_{s=1}^{m} Σ_{r=1}^{s}: renaming the indices must rename s inside the
    # inner bound too, or s turns free and the true step gets a "counterexample"
    from derive.api import check_text

    steps = [s for c in check_text(text).chains for s in c.steps]
    assert steps and all(s.verdict in ("proved", "bounded") for s in steps), [
        (s.verdict, s.message) for s in steps
    ]


def test_a_wrong_triangle_sum_is_still_refuted():
    from derive.api import check_text

    wrong = TRIANGLE_INLINE.replace(r"\frac{m(m+1)}{2}", r"\frac{m(m-1)}{2}")
    (step,) = [s for c in check_text(wrong).chains for s in c.steps]
    assert step.verdict == "refuted" and "s" not in (step.counterexample or {})


def test_an_index_left_only_in_a_kronecker_delta_keeps_its_range():
    # ∂(Σ_l α_l − 1)/∂α_i = 1 for i = 1..k: the derivative leaves δ(i, l) and no α_i,
    # and i was sampled as 0 (a refutation outside the family's range)
    alpha = sp.IndexedBase("alpha", real=True)
    i_ = sp.Symbol("i", real=True)  # as the reader gives an undeclared subscript letter
    l_ = sp.Symbol("l", integer=True, positive=True)
    kk = sp.Symbol("k", integer=True, positive=True)
    lhs = D(Sum(alpha[l_], (l_, 1, kk)) - 1, alpha[i_]).doit()
    decision = decide_equal(lhs, sp.Integer(1), Domain())
    assert decision.verdict in ("proved", "bounded"), decision
