"""The second reading by latex2sympy2_extended: silent where both agree, a
note where they do not, and nothing compared where it is known to differ."""

from __future__ import annotations

import time

import pytest

from derive.api import check_text
from derive.latex import Notation, parse_latex
from derive.second_opinion import disagreement


@pytest.mark.parametrize(
    "latex",
    [r"\frac{1}{2}x + y", r"(a+b)^2 - 2ab", r"a(1-a)", r"\frac{x}{y}z", r"\sqrt{x^2+1}",
     r"\frac{e^{x}}{1+e^{x}}", r"x^{2}y - \frac{3}{4}"],
)
def test_both_readers_agree_on_plain_algebra(latex: str) -> None:
    assert disagreement(latex, parse_latex(latex)) is None


def test_a_different_reading_is_reported_with_the_point_and_both_values() -> None:
    # TeX takes one digit as the exponent: x^23 is x^2·3; the other parser reads x^{23}
    note = disagreement("x^23", parse_latex("x^23"))
    assert note is not None
    # both readings in the reader's notation, formulas between $…$
    assert "$x^{23}$" in note and "$3 x^{2}$" in note and "$x = \\frac{99}{100}$" in note
    assert "**" not in note and "0j" not in note


@pytest.mark.parametrize(
    "latex",
    ["sigmoid(z)", r"\log{a}", r"2\frac{1}{2}x", r"\sigma'(z)", r"\sum_{k=1}^{3} x_k"],
)
def test_known_differences_of_the_other_reader_are_not_compared(latex: str) -> None:
    notation = Notation(functions={"sigma"})
    assert disagreement(latex, parse_latex(latex, notation)) is None


def test_a_disagreement_becomes_a_chain_note_without_changing_the_verdict() -> None:
    result = check_text("$$x^23 = 3x^2$$\n")
    chain = result.chains[0]
    assert chain.steps[0].verdict == "proved"
    assert any("second opinion" in note and "$x^{23}$" in note for note in chain.notes)


def test_a_slow_second_reading_never_costs_the_chain_its_reading() -> None:
    # x^{99999999999} at an exact rational point has ten billion digits: the
    # comparison must not compute it, and the reading of the chain must finish
    from derive.context import ContextSpec
    from derive.steps import read_chain
    from derive.worker import run_one

    started = time.monotonic()
    result = run_one(read_chain, ContextSpec(), [], ["x^{99999999999}", "x"], False, False,
                     timeout=10)
    assert result.ok, result.error
    assert all(item.ok for item in result.value.items)
    assert time.monotonic() - started < 10
