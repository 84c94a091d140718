"""The verdict ``error``: an exception inside the reader or the engine is a bug in
derive, reported as such, and never a pass (issue 13, item 3).

A fault is injected by replacing an engine or reader function in this process
before the worker pool forks, so the workers run the broken function; the time
bound and the memory limit stay documented limits (``undecided``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

import derive.engine
import derive.resolve
from derive.check import Options, check_paths
from derive.cli import main
from derive.context import ContextError, parse_context
from derive.model import VERDICTS
from derive.report import schema, write_reports

pytest_plugins = ["pytester"]

DOCUMENT = r"""# Two steps

$$
(a+b)^2 = a^2 + 2ab + b^2
$$

$$
\frac{d}{dx} x^3 = 3x^2
$$
"""
BOOM = "injected fault for the test"


def _boom(*args, **kwargs):
    raise TypeError(BOOM)


@pytest.fixture
def broken_engine(monkeypatch):
    monkeypatch.setattr(derive.engine, "decide_equal", _boom)


@pytest.fixture
def document(tmp_path: Path) -> Path:
    path = tmp_path / "steps.md"
    path.write_text(DOCUMENT, encoding="utf-8")
    return path


def steps_of(run):
    return [s for f in run.files for c in f.chains for s in c.steps]


def test_an_exception_in_the_engine_is_the_verdict_error(broken_engine, document):
    run = check_paths([document], Options(jobs=1))
    steps = steps_of(run)
    assert [s.verdict for s in steps] == ["error", "error"]
    step = steps[0]
    assert step.method == "internal error"
    assert f"TypeError: {BOOM}" in step.message and "please report" in step.message
    assert "\n" not in step.message  # one line
    assert "Traceback" in step.traceback and "_boom" in step.traceback
    assert not run.ok and run.summary.error == 2 and run.summary.unmet_expectations == 2


def _on_document_steps(action):
    """Break only the document's steps (x, a, b), not the worker's warm-up step in t."""
    real = derive.engine.decide_equal

    def decide(lhs, rhs, *args, **kwargs):
        if {s.name for s in lhs.free_symbols} & {"a", "x"}:
            action()
        return real(lhs, rhs, *args, **kwargs)

    return decide


def test_a_worker_that_dies_is_an_error_not_a_pass(monkeypatch, document):
    monkeypatch.setattr(derive.engine, "decide_equal", _on_document_steps(lambda: os._exit(3)))
    run = check_paths([document], Options(jobs=1))
    verdicts = [s.verdict for s in steps_of(run)]
    assert verdicts == ["error", "error"]
    assert "worker died (exit code 3)" in steps_of(run)[0].message


def test_a_reader_exception_costs_only_the_line_it_happened_on(monkeypatch, tmp_path):
    parse = derive.resolve.parse_latex

    def fragile(latex, *args, **kwargs):
        if "3x^2" in latex:
            raise KeyError("reader fault")
        return parse(latex, *args, **kwargs)

    monkeypatch.setattr(derive.resolve, "parse_latex", fragile)
    path = tmp_path / "chain.md"
    path.write_text("$$\n\\frac{d}{dx} x^3 = 3x^2 = 3 x x\n$$\n", encoding="utf-8")
    steps = steps_of(check_paths([path], Options(jobs=1)))
    by_rhs = {s.rhs: s for s in steps}
    assert by_rhs["3x^2"].verdict == "error"
    assert "reader fault" in by_rhs["3x^2"].message and "KeyError" in by_rhs["3x^2"].traceback
    # the lines around it are still compared (across the broken one)
    assert by_rhs["3 x x"].verdict == "proved"


def test_the_time_bound_stays_a_documented_limit_not_an_error(monkeypatch, document):
    import time

    def compute_forever() -> None:
        while time.monotonic() > 0:
            pass

    monkeypatch.setattr(derive.engine, "decide_equal", _on_document_steps(compute_forever))
    steps = steps_of(check_paths([document], Options(jobs=1, timeout=2.0)))
    assert {s.verdict for s in steps} == {"undecided"}
    assert {s.method for s in steps} == {"time bound"}


def test_cli_exits_1_and_shows_the_traceback_only_with_verbose(broken_engine, document, capsys):
    assert main(["check", str(document)]) == 1
    out = capsys.readouterr().out
    assert "✗ error" in out and "please report" in out and "Traceback" not in out
    assert "2 error" in out.splitlines()[-1]
    assert main(["check", str(document), "-v"]) == 1
    out = capsys.readouterr().out
    assert "traceback:" in out and "_boom" in out


def test_json_has_the_error_verdict_and_traceback_and_validates(broken_engine, document, capsys):
    assert main(["check", str(document), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    jsonschema.Draft202012Validator(schema()).validate(data)
    assert data["version"] == 1  # a verdict value and keys added: the version stays
    step = data["files"][0]["chains"][0]["steps"][0]
    assert step["verdict"] == "error" and "_boom" in step["traceback"]
    assert data["summary"]["error"] == 2


def test_schema_lists_error_among_the_verdicts():
    assert "error" in VERDICTS
    assert set(schema()["$defs"]["verdict"]["enum"]) == set(VERDICTS)


def test_html_shows_error_in_red_and_never_as_all_as_expected(broken_engine, document, tmp_path):
    run = check_paths([document], Options(jobs=1))
    (page,) = write_reports(run, tmp_path / "out", {"html"})
    html = page.read_text(encoding="utf-8")
    assert 'class="badge v-error"' in html and "--error:" in html
    assert "all as expected" not in html
    assert "<summary>show</summary>" in html and "_boom" in html  # the folded traceback
    tex_run = write_reports(run, tmp_path / "tex", {"tex"})
    tex = tex_run[0].read_text(encoding="utf-8")
    assert "\\verror" in tex and "\\newcommand{\\verror}" in tex


def test_error_cannot_be_pinned_as_expected():
    with pytest.raises(ContextError, match="cannot be pinned"):
        parse_context({"expect": {1: "error"}}, "annotation", level="block")


def test_pytest_item_fails_on_an_error(broken_engine, pytester, document):
    pytester.makeini("[pytest]\naddopts = -p no:hypothesispytest -p no:cacheprovider\n")
    (pytester.path / "derivations").mkdir()
    (pytester.path / "derivations" / "steps.md").write_text(DOCUMENT, encoding="utf-8")
    result = pytester.runpytest_inprocess("derivations")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*error: derive itself failed on this step*", "*please report*"])
    assert "_boom" not in result.stdout.str()  # the traceback only with -v
    verbose = pytester.runpytest_inprocess("derivations", "-v")
    verbose.stdout.fnmatch_lines(["*traceback:*", "*in _boom*"])
