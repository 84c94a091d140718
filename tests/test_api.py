"""The Python API (derive/api.py): Chain, assert_derivation, check_text, re-exports."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import derive
from derive import (
    Chain,
    ChainResult,
    DerivationError,
    FileResult,
    Options,
    assert_derivation,
    check_document,
    check_paths,
    check_text,
    explain,
)

ROOT = Path(__file__).resolve().parents[1]
REAL_X = {"symbols": {"x": "real"}}


def test_chain_that_holds():
    result = Chain([r"\frac{d}{dx} x^2", "2x"], context=REAL_X).check()
    assert isinstance(result, ChainResult)
    assert result.ok
    assert result.name == "chain"
    [step] = result.steps
    assert step.verdict in ("proved", "bounded")
    assert (step.from_line, step.line) == (1, 2)  # lines count the chain's expressions


def test_chain_that_does_not_hold():
    chain = Chain([r"\frac{d}{dx} x^3", "2x^2", "2 x x"], context={**REAL_X, "id": "cube"})
    result = chain.check()
    assert not result.ok
    assert result.name == "cube"
    first, second = result.steps
    assert first.verdict == "refuted" and not first.meets_expectation
    assert first.counterexample and first.values
    assert second.verdict in ("proved", "bounded") and (second.from_line, second.line) == (2, 3)


def test_chain_markdown_is_the_document_checked(tmp_path):
    chain = Chain([r"\frac{d}{dx} x^3", "2x^2"], context={**REAL_X, "id": "cube"})
    assert "derive:" in chain.markdown and "<!-- derive: {id: cube} -->" in chain.markdown
    path = tmp_path / "chain.md"
    path.write_text(chain.markdown, encoding="utf-8")
    from_file = check_document(path)
    assert [c.name for c in from_file.chains] == ["cube"]
    verdicts = [s.verdict for s in chain.check().steps]
    assert [s.verdict for s in from_file.chains[0].steps] == verdicts


def test_assert_derivation_passes_and_returns_the_result():
    result = assert_derivation(r"(a+b)^2 = a^2 + 2ab + b^2")
    assert result.ok and result.steps[0].verdict in ("proved", "bounded")


def test_assert_derivation_raises_with_the_readable_report():
    with pytest.raises(DerivationError) as caught:
        assert_derivation([r"\frac{d}{dx} x^3", "2x^2"], context=REAL_X)
    error = caught.value
    assert isinstance(error, AssertionError)
    report = str(error)
    assert report == explain(error.result)
    assert report.splitlines()[0] == r"<chain>:2: refuted: \frac{d}{dx} x^3 = 2x^2"
    assert re.search(r"lhs \(line 1\): +\\frac\{d\}\{dx\} x\^3\n", report)
    assert re.search(r"rhs \(line 2\): +2x\^2\n", report)
    assert "counterexample: x = " in report
    assert "values:" in report and "residual:" in report and "method:" in report
    assert "Traceback" not in report


def test_verbose_report_lists_every_step():
    with pytest.raises(DerivationError) as caught:
        assert_derivation([r"\frac{d}{dx} x^3", "2x^2", "2 x x"], context=REAL_X, verbose=True)
    report = str(caught.value)
    assert "all steps:" in report
    assert re.search(r"2→3\s+✓ proved\s+2x\^2 = 2 x x", report)


def test_pinned_expectations():
    wrong = [r"\frac{d}{dx} x^3", "2x^2"]
    right = [r"\frac{d}{dx} x^3", "3x^2"]
    pin_refuted = {**REAL_X, "expect": {"steps": {1: "refuted"}}}
    result = assert_derivation(wrong, context=pin_refuted)  # found exactly: passes
    assert result.pinned and result.steps[0].expected == "refuted"
    with pytest.raises(DerivationError, match="proved, expected refuted"):
        assert_derivation(right, context=pin_refuted)  # the pinned mistake is missed
    with pytest.raises(DerivationError, match="refuted, expected unparsed"):
        assert_derivation(wrong, context={**REAL_X, "expect": {"steps": {1: "unparsed"}}})


def test_equation_chain():
    result = assert_derivation(
        [r"y = \frac{1}{1+e^{-t}}", r"1 = y(1+e^{-t})", r"1 - y = y e^{-t}"],
        context={"symbols": {"t": "real", "y": "real"}},
        equations=True,
    )
    assert len(result.steps) == 2


def test_unusable_input_raises_value_error():
    with pytest.raises(ValueError, match="simbols: unknown key"):
        Chain(["x", "x"], {"simbols": {"x": "real"}}).check()
    with pytest.raises(ValueError, match="0 chains"):
        Chain(["x + 1"]).check()
    with pytest.raises(TypeError):
        Chain([])
    with pytest.raises(TypeError, match="YAML data"):
        Chain(["x", "x"], {"symbols": {"x": object()}})


def test_check_text_merges_context_under_the_front_matter():
    text = (
        "---\nderive:\n  symbols: {y: positive}\n---\n# T\n\n"
        "$$\\sqrt{x^2} + \\sqrt{y^2} = x + y$$\n"
    )
    # the document declares y; the given context adds x (front matter wins per entry)
    result = check_text(text, {"symbols": {"x": "positive", "y": "real"}})
    assert isinstance(result, FileResult) and not result.problems
    [chain] = result.chains
    assert chain.line == 7 and chain.ok
    # without x declared positive the step is refuted
    assert not check_text(text).ok


def test_timeout_and_options():
    result = Chain([r"(a+b)^2", r"a^2 + 2ab + b^2"]).check(timeout=3, options=Options(seed=1))
    assert result.ok


def test_reexports():
    from derive import api, check, model

    assert derive.check_paths is check.check_paths is check_paths
    assert derive.Options is check.Options
    assert derive.ChainResult is model.ChainResult and derive.StepResult is model.StepResult
    assert derive.RunResult is model.RunResult and derive.Problem is model.Problem
    assert derive.Chain is api.Chain
    assert set(derive.__all__) - {"__version__"} == set(derive._EXPORTS)
    with pytest.raises(AttributeError):
        derive.no_such_name  # noqa: B018


def test_import_derive_is_light():
    """pytest loads the plugin in every run: importing derive must not pull in SymPy."""
    code = "import sys, derive, derive.pytest_plugin; print('sympy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_check_paths_on_a_folder(tmp_path):
    (tmp_path / "a.md").write_text("$$(a+b)^2 = a^2 + 2ab + b^2$$\n", encoding="utf-8")
    run = check_paths([tmp_path])
    assert run.ok and len(run.files) == 1


def test_docs_example_runs():
    text = (ROOT / "docs" / "python-api.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", text, re.S)
    assert block, "docs/python-api.md has a python example"
    exec(compile(block.group(1), "docs/python-api.md", "exec"), {})
