"""Context `substitutions:` are rewrite rules applied before a step is decided."""

from __future__ import annotations

from derive.api import check_text

DOC = "$$x^2 + 1 = y + 1$$\n"


def test_a_declared_substitution_is_used_in_the_step() -> None:
    step = check_text(DOC, context={"substitutions": ["x^2 = y"]}).chains[0].steps[0]
    assert step.verdict == "proved", step.message


def test_without_the_substitution_the_step_is_refuted() -> None:
    step = check_text(DOC, context={"symbols": {"x": "real", "y": "real"}}).chains[0].steps[0]
    assert step.verdict == "refuted"


def test_without_the_substitution_or_declarations_the_step_is_a_statement() -> None:
    # alone, with x and y undeclared, x^2 + 1 = y + 1 states a condition: never a red line
    step = check_text(DOC).chains[0].steps[0]
    assert (step.verdict, step.method) == ("undecided", "a statement")


def test_a_substitution_applies_after_definitions_too() -> None:
    # a := x^2 brings x^2 into the step only once the definition is substituted
    doc = "$$a = x^2$$\n\n$$a + 1 = y + 1$$\n"
    step = check_text(doc, context={"substitutions": ["x^2 = y"]}).chains[1].steps[0]
    assert step.verdict == "proved", step.message


def test_substitutions_are_applied_as_written_not_after_expanding() -> None:
    # (x+1)^2 does not contain x^2 as written: the rule does not fire, and the
    # step is refuted rather than silently proved by algebra the user did not ask for
    doc = "$$(x+1)^2 - 2x - 1 = y$$\n"
    context = {"substitutions": ["x^2 = y"], "symbols": {"x": "real", "y": "real"}}
    step = check_text(doc, context=context).chains[0].steps[0]
    assert step.verdict == "refuted"
