"""derive/printing.py: evidence printed from the expression tree in the reader's notation.

Tables of SymPy object → expected LaTeX, as latex2mathml's tests are written.
"""

from __future__ import annotations

import sympy as sp
from sympy import Rational as R

from derive.printing import (
    chosen_function,
    counterexample_latex,
    message_parts,
    name_latex,
    number_latex,
    to_latex,
)

t, x, a, W, k, m, j = sp.symbols("t x a W k m j")
K, L, sigma, f = sp.Function("K"), sp.Function("L"), sp.Function("sigma"), sp.Function("f")
z, gamma, yhat = sp.IndexedBase("z"), sp.IndexedBase("gamma"), sp.IndexedBase("yhat")


NAMES = [
    ("z[1]", "z_{1}"),  # an entry of a family, as the engine names it once a size is fixed
    ("a[1, 1]", "a_{11}"),  # y_{ij} as notes write it
    ("a[1, 12]", "a_{1,12}"),  # a comma only where an index has two signs
    ("alpha[1]", r"\alpha_{1}"),
    ("yhat[2]", r"\hat{y}_{2}"),
    ("wbar", r"\bar{w}"),
    ("theta", r"\theta"),
    ("Omega", r"\Omega"),
    ("x_max", "x_{max}"),
    ("LSE", r"\mathrm{LSE}"),  # a word is upright, not the product L·S·E
    (r"\hat{y}_i", r"\hat{y}_i"),  # a name already written in LaTeX stays as written
    ("m", "m"),
]


def test_names_are_printed_as_the_document_writes_them():
    for engine_name, expected in NAMES:
        assert name_latex(engine_name) == expected, engine_name
        assert to_latex(sp.Symbol(engine_name)) == expected, engine_name


EXPRESSIONS = [
    (sp.Derivative(K(t), t), r"\frac{dK}{dt}"),
    (sp.Derivative(K(t), (t, 2)), r"\frac{d^{2}K}{dt^{2}}"),
    (sp.Derivative(L(t, W), W), r"\frac{\partial L}{\partial W}"),
    (sigma(2 * a).diff(a), r"2 \sigma'(2 a)"),  # σ' at a point, not d/dξ … at ξ = 2a
    (sp.Derivative(sigma(2 * a), a), r"\frac{d}{d a} \sigma(2 a)"),
    (K(a), "K(a)"),
    (K(t) ** 2, "K(t)^{2}"),
    (L(t, W), "L(t, W)"),
    (sigma(x), r"\sigma(x)"),
    (f(sp.Rational(1, 2)), r"f\left(\frac{1}{2}\right)"),
    (z[k], "z_{k}"),
    (gamma[j, k], r"\gamma_{jk}"),
    (yhat[k], r"\hat{y}_{k}"),
    (sp.Sum(sp.exp(z[k]), (k, 1, m)), r"\sum_{k=1}^{m} e^{z_{k}}"),
    (1 / sp.Sum(sp.exp(z[k]), (k, 1, m)), r"\frac{1}{\sum_{k=1}^{m} e^{z_{k}}}"),
    (sp.Symbol("y[2]") * sp.exp(sp.Symbol("z[1]")), "y_{2} e^{z_{1}}"),
    (sp.log(a), r"\log a"),
    (sp.log(a + 1), r"\log\left(a + 1\right)"),
    (t**2 / 2 + 3 * t, r"\frac{t^{2}}{2} + 3 t"),
    (None, None),
]


def test_expressions_use_the_notation_of_notes():
    for expr, expected in EXPRESSIONS:
        assert to_latex(expr) == expected, expr


def test_the_natural_log_is_ln_where_log_means_another_base():
    assert to_latex(sp.log(x), natural_log=r"\ln") == r"\ln x"


NUMBERS = [("0", "0"), ("-1", "-1"), ("1/2", r"\frac{1}{2}"), ("-3/4", r"-\frac{3}{4}"),
           ("1.2345678", "1.2345678")]


def test_counterexample_values_are_fractions_and_decimals_stay_decimals():
    for text, expected in NUMBERS:
        assert number_latex(text) == expected


def _stand_in() -> sp.Lambda:
    t1 = sp.Symbol("t1", real=True)
    return sp.Lambda((t1,), t1**2 / 2 + 3 * t1 + sp.exp(t1 / 2) / 3)


def test_an_unknown_function_is_shown_as_the_function_chosen_over_the_documents_argument():
    head, body = chosen_function(K, _stand_in(), [K(t)])
    assert head == "K(t)"
    assert body == r"\frac{t^{2}}{2} + 3 t + \frac{e^{\frac{t}{2}}}{3}"


def test_a_function_used_at_several_arguments_gets_a_neutral_parameter():
    head, body = chosen_function(K, _stand_in(), [K(t), K(2 * t)])
    assert head == "K(t)" and body.startswith(r"\frac{t^{2}}{2}")
    t1, t2 = sp.symbols("t1 t2", real=True)
    two = sp.Lambda((t1, t2), t1 * t2)
    assert chosen_function(L, two, [L(x, x)]) == ("L(t_{1}, t_{2})", "t_{1} t_{2}")


def test_counterexample_in_latex_keeps_the_engine_order_and_replaces_function_text():
    engine_text = {"a": "0", "z[1]": "1/2", "k(t1)": "t1**2/2 + 3*t1 + exp(t1/2)/3"}
    shown = counterexample_latex(
        engine_text, {sp.Function("k"): _stand_in()}, [sp.exp(x * sp.Function("k")(a))]
    )
    assert shown == {
        "a": "0",
        "z_{1}": r"\frac{1}{2}",
        "k(a)": r"\frac{a^{2}}{2} + 3 a + \frac{e^{\frac{a}{2}}}{3}",
    }
    assert counterexample_latex(None) is None


def test_a_function_the_engine_did_not_hand_over_is_never_shown_in_sympy_syntax():
    shown = counterexample_latex({"k(t1)": "t1**2/2"}, None)
    assert shown is not None
    assert all("**" not in key + value for key, value in shown.items())


def test_message_formulas_become_latex_pieces():
    ratio = 1 / sp.Sum(sp.exp(z[k]), (k, 1, m))
    text = f"off by a factor of {sp.sstr(ratio)} (at m = 2, z[1] = 0)"
    parts = message_parts(
        text,
        {sp.sstr(ratio): to_latex(ratio)},
        {"m": "2", "z[1]": "0"},
        {"m": "2", "z_{1}": "0"},
    )
    assert parts == [
        ("text", "off by a factor of "),
        ("math", r"\frac{1}{\sum_{k=1}^{m} e^{z_{k}}}"),
        ("text", " (at "),
        ("math", "m = 2, z_{1} = 0"),
        ("text", ")"),
    ]


def test_engine_entries_left_in_prose_are_printed_but_words_are_not():
    parts = message_parts("index a is free; see y[2] and a[1, 2] in a chain", {}, None, None)
    assert parts == [
        ("text", "index a is free; see "),
        ("math", "y_{2}"),
        ("text", " and "),
        ("math", "a_{12}"),
        ("text", " in a chain"),
    ]


def test_printing_never_raises():
    class Weird(sp.Expr):
        def _latex(self, printer):
            raise RuntimeError("no")

        def _sympystr(self, printer):
            return "weird"

    assert isinstance(to_latex(Weird()), str)
    assert to_latex(R(1, 3)) == r"\frac{1}{3}"
