"""The pytest plugin (derive/pytest_plugin.py), run in throw-away projects via pytester."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

import derive.api  # noqa: F401  (imported once: pytester restores sys.modules after each run)

pytest_plugins = ["pytester"]

# The hypothesis plugin costs ~1.5 s per run at session end; the projects here do not use it.
INI = "[pytest]\naddopts = -p no:hypothesispytest -p no:cacheprovider\n"

FRONT = "---\nderive:\n  symbols: {x: real}\n---\n"

INTACT = FRONT + r"""# Algebra

<!-- derive: {id: square} -->
$$(a+b)^2 = a^2 + 2ab + b^2$$

<!-- derive: {id: cube} -->
$$\frac{d}{dx} x^3 = 3x^2$$
"""

# line 7 is the wrong line
BROKEN = FRONT + r"""# Calculus

<!-- derive: {id: cube} -->
$$\begin{aligned}
\frac{d}{dx} x^3 &= 2x^2 \\
&= 2 x x
\end{aligned}$$
"""

PINNED = FRONT + r"""# Pinned

<!-- derive: {id: found, expect: {steps: {1: refuted}}} -->
$$\frac{d}{dx} x^3 = 2x^2$$

<!-- derive: {id: missed, expect: {steps: {1: refuted}}} -->
$$\frac{d}{dx} x^3 = 3x^2$$

<!-- derive: {id: other, expect: {steps: {1: unparsed}}} -->
$$\frac{d}{dx} x^3 = 2x^2$$
"""

NUMERIC = r"""# Numbers

<!-- derive: {id: cosines} -->
$$\cos(\pi/7)\cos(2\pi/7)\cos(4\pi/7) = -1/8$$
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.makeini(INI)
    pytester.mkdir("derivations")
    return pytester


def write(pytester: pytest.Pytester, relative: str, text: str) -> None:
    path = pytester.path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def collected_ids(pytester: pytest.Pytester, *args: str) -> list[str]:
    result = pytester.runpytest("--collect-only", "-q", *args)
    return [line for line in result.outlines if "::" in line]


def test_intact_derivation_passes(project):
    write(project, "derivations/algebra.md", INTACT)
    result = project.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([
        "*derivations/algebra.md::square PASSED*",
        "*derivations/algebra.md::cube PASSED*",
    ])


def test_node_ids_are_chain_names(project):
    write(project, "derivations/algebra.md", INTACT)
    write(project, "derivations/sub/more.tex",
          "\\begin{equation}(a-b)^2 = a^2 - 2ab + b^2\\end{equation}\n")
    ids = collected_ids(project)
    assert ids == [
        "derivations/algebra.md::square",
        "derivations/algebra.md::cube",
        "derivations/sub/more.tex::chain-line-1",
    ]


def test_broken_derivation_fails_with_readable_report(project):
    write(project, "derivations/calculus.md", BROKEN)
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines([
        "*_ derivation cube _*",
        r"derivations/calculus.md:9: refuted: \frac{d}{dx} x^3 = 2x^2",
        "derivation cube (derivations/calculus.md:9): 1 of 2 steps not as expected",
        "derivations/calculus.md:9: refuted, *",
        r"  lhs (line 9): *\frac{d}{dx} x^3",
        "  rhs (line 9): *2x^2",
        "  method: *",
        "  counterexample: x = *",
        "  values: *lhs = *, rhs = *",
        "  residual: *lhs - rhs = *",
        "FAILED derivations/calculus.md::cube - derivations/calculus.md:9: refuted*",
    ])
    # a verdict failure is not an exception: no Python traceback
    assert "Traceback" not in out and "pytest_plugin.py" not in out and "raise " not in out
    assert "all steps:" not in out  # only with -v


def test_verbose_report_lists_all_steps(project):
    write(project, "derivations/calculus.md", BROKEN)
    result = project.runpytest("-v")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([
        "all steps:",
        r"*9  ✗ refuted   \frac{d}{dx} x^3 = 2x^2*not as expected",
        "*9→10  ✓ proved    2x^2 = 2 x x*",
    ])


def test_pinned_expectations(project):
    write(project, "derivations/pinned.md", PINNED)
    result = project.runpytest("-v")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines([
        "*::found PASSED*",
        "*::missed FAILED*",
        "*::other FAILED*",
    ])
    result.stdout.fnmatch_lines([
        "*: proved, expected refuted: the pinned mistake was not found",
    ])
    result.stdout.fnmatch_lines([
        r"*pinned.md:14: refuted, expected unparsed: \frac{d}{dx} x^3 = 2x^2",
    ])


def test_k_selects_by_chain_name(project):
    write(project, "derivations/algebra.md", INTACT)
    write(project, "derivations/calculus.md", BROKEN)
    assert collected_ids(project, "-k", "square") == ["derivations/algebra.md::square"]
    result = project.runpytest("-k", "cube and algebra")
    result.assert_outcomes(passed=1, deselected=2)
    result = project.runpytest("-k", "not cube")
    result.assert_outcomes(passed=1, deselected=2)


def test_marker_selects_derivations(project):
    write(project, "derivations/algebra.md", INTACT)
    project.makepyfile(test_plain="def test_plain():\n    pass\n")
    project.runpytest("-m", "derive").assert_outcomes(passed=2, deselected=1)
    project.runpytest("-m", "not derive").assert_outcomes(passed=1, deselected=2)


def test_markdown_outside_derivations_is_not_collected(project):
    write(project, "docs/notes.md", "# Notes\n\n$$(a+b)^2 = a^2$$\n")
    write(project, "README.md", "$$1 = 2$$\n")
    write(project, "derivations/notes.txt", "$$1 = 2$$\n")
    assert collected_ids(project) == []
    # named explicitly, a document is collected wherever it is
    assert collected_ids(project, "docs/notes.md") == ["docs/notes.md::notes-line-3"]


def test_derive_paths_and_extensions_ini(pytester):
    write(pytester, "docs/notes.md", INTACT)
    write(pytester, "docs/other/skip.md", INTACT)
    write(pytester, "derivations/algebra.md", INTACT)
    write(pytester, "notes/algebra.mdx", INTACT)
    pytester.makeini(INI + "derive_paths = docs/*.md notes\nderive_extensions = md mdx\n")
    assert collected_ids(pytester) == [
        "docs/notes.md::square", "docs/notes.md::cube",
        "notes/algebra.mdx::square", "notes/algebra.mdx::cube",
    ]


def test_no_derive_disables_collection(project):
    write(project, "derivations/algebra.md", INTACT)
    result = project.runpytest("--no-derive")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_unreadable_file_is_one_failing_item(project):
    (project.path / "derivations" / "bad.md").write_bytes(b"$$x = \xff$$\n")
    write(project, "derivations/algebra.md", INTACT)
    assert "derivations/bad.md::<file problems>" in collected_ids(project)
    reprec = project.inline_run()
    passed, _, failed = reprec.listoutcomes()
    assert len(passed) == 2
    [report] = failed
    assert report.nodeid == "derivations/bad.md::<file problems>"
    assert report.longreprtext.strip() == (
        "derivations/bad.md: not valid UTF-8: byte 0xff at offset 6 (line 1, byte column 7)"
    )


def test_file_problems_are_one_failing_item_beside_the_chains(project):
    write(project, "derivations/algebra.md", INTACT.replace("{id: cube}", "{id: cube, simbols: {}}")
          + "\n<!-- derive: {id: dangling} -->\n")
    result = project.runpytest()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*_ derivation <file problems> _*",
        "derivations/algebra.md:10: simbols: unknown key (did you mean 'symbols'?)*",
        "derivations/algebra.md:13: derive annotation is not followed by a display block*",
    ])


def test_numeric_steps_pass_visibly(project):
    write(project, "derivations/numbers.md", NUMERIC)
    result = project.runpytest("-v", "-rA", "--junitxml=report.xml")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([
        "*numbers.md::cosines PASSED (1 numeric)*",
        "*Captured derive call*",
        r"*4  ≈ numeric   \cos(\pi/7)\cos(2\pi/7)\cos(4\pi/7) = -1/8*",
    ])
    assert "warning" not in result.stdout.str().lower()
    case = ET.parse(project.path / "report.xml").getroot().find(".//testcase")
    properties = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert properties["derive-numeric"].startswith(r"line 4: \cos(\pi/7)")


def test_junitxml_has_one_testcase_per_chain(project):
    write(project, "derivations/algebra.md", INTACT)
    write(project, "derivations/calculus.md", BROKEN)
    project.runpytest("--junitxml=report.xml", "-o", "junit_family=xunit1")
    root = ET.parse(project.path / "report.xml").getroot()
    cases = {(c.get("classname"), c.get("name")): c for c in root.iter("testcase")}
    assert set(cases) == {
        ("derivations.algebra.md", "square"),
        ("derivations.algebra.md", "cube"),
        ("derivations.calculus.md", "cube"),
    }
    broken = cases[("derivations.calculus.md", "cube")]
    assert broken.get("file") == "derivations/calculus.md"
    assert broken.get("line") == "8"  # 0-based, like pytest's own items: the chain is on line 9
    failure = broken.find("failure")
    assert failure is not None and "counterexample: x = " in failure.text
    assert cases[("derivations.algebra.md", "square")].find("failure") is None


def test_xdist(project):
    write(project, "derivations/algebra.md", INTACT)
    write(project, "derivations/calculus.md", BROKEN)
    write(project, "derivations/pinned.md", PINNED)
    result = project.runpytest_subprocess("-n", "2", "-p", "xdist")
    result.assert_outcomes(passed=3, failed=3)
    result.stdout.fnmatch_lines(["*counterexample: x = *"])


def test_command_line_options(project):
    root = "# Roots\n\n<!-- derive: {id: root} -->\n$$\\sqrt{x^2} = x$$\n"
    write(project, "derivations/root.md", root)
    project.runpytest("--derive-timeout", "5").assert_outcomes(failed=1)  # x may be negative
    write(project, "ctx.yaml", "symbols: {x: positive}\n")
    project.runpytest("--derive-context", "ctx.yaml").assert_outcomes(passed=1)
    result = project.runpytest("--derive-context", "missing.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--derive-context: no such file: missing.yaml*"])
    result = project.runpytest("--derive-timeout", "-1")
    assert result.ret == pytest.ExitCode.USAGE_ERROR


def test_sidecar_context_is_used(project):
    write(project, "derivations/root.md", "$$\\sqrt{x^2} = x$$\n")
    write(project, "derivations/root.derive.yaml", "symbols: {x: positive}\n")
    project.runpytest().assert_outcomes(passed=1)


def test_header_names_what_is_collected(project):
    result = project.runpytest("--collect-only")
    assert re.search(r"^derive: derivations in \*\*/derivations \(\.md \.tex\)$",
                     result.stdout.str(), re.M)
