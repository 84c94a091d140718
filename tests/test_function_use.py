r"""A name applied to a bracket: a function where the document only ever applies it,
two readings where it also stands alone (issue 12 item 4, issue 13 item 2)."""

from __future__ import annotations

from pathlib import Path

import sympy as sp

from derive.check import Options, check_paths
from derive.latex import Notation, parse_latex
from derive.read.usage import scan_usage


def usage_of(*rows: str):
    return scan_usage((row, n) for n, row in enumerate(rows, 1))


def check(tmp_path: Path, text: str):
    path = tmp_path / "note.md"
    path.write_text(text, encoding="utf-8")
    run = check_paths([path], Options(jobs=1))
    return run.files[0].chains


def steps_of(chains):
    return [s for c in chains for s in c.steps]


# --- the scan -----------------------------------------------------------------------------


def test_names_applied_and_alone_are_told_apart():
    usage = usage_of(r"P(\Omega) = 1", r"L(\theta) + a(1-a)", r"\gamma(x_n, k) = 1 - a")
    assert usage.applied == {"P": 1, "L": 2, "a": 2, "gamma": 3}
    assert {"a", "x", "n", "k", "Omega", "theta"} <= usage.alone
    assert usage.functions(set()) == {"P": 1, "L": 2, "gamma": 3}
    assert usage.ambiguous(set()) == {"a"}
    # a meaning from the context or a definition wins over the use
    assert usage.functions({"L"}) == {"P": 1, "gamma": 3}


def test_a_label_subscript_names_the_function_and_an_index_subscript_is_a_product():
    usage = usage_of(r"p_X(x) f_{\theta}(y)", r"e_\xi(x)", r"x_i(1 - x_i) + m_{12}(x_2)")
    assert usage.functions(set()) == {"p_{X}": 1, "f_{\\theta}": 1, "e_{\\xi}": 2}
    assert {"x", "m"} <= usage.alone  # x_i(…) and m_{12}(…) multiply, as TeX readers read
    assert "X" not in usage.applied and "xi" not in usage.applied  # labels are not applied


def test_prose_decorations_words_and_sized_brackets():
    usage = usage_of(
        r"\text{where f(x) is given} \hat{y}(x) + LL(\theta) + dist(a, b) + ax(b+c)",
        r"g\left(x^{i}\right) + \operatorname{Var}(X) + \mathrm{d}x + f'(x) + \sin(x)",
    )
    assert usage.functions(set()) == {"LL": 1, "dist": 1, "g": 2, "Var": 2, "f": 2}
    assert "y" not in usage.applied and "sin" not in usage.applied
    # `ax(b+c)` is a·x·(b+c): a two-letter lowercase run is no name
    assert {"a", "x"} <= usage.alone and "ax" not in usage.applied


def test_a_declared_function_family_reads_its_index_as_the_first_argument():
    notation = Notation(functions={"g"}, indices={"j": sp.Symbol("n")})
    g, x = sp.Function("g"), sp.Symbol("x", real=True)
    j = sp.Symbol("j", integer=True, positive=True)
    assert parse_latex("g_j(x)", notation) == g(j, x)


# --- through documents --------------------------------------------------------------------


def test_a_function_the_document_never_defines_is_not_refuted_through_a_product(tmp_path):
    # before: F(t) was F·t, and 2F(t) = F(0) + t was "refuted at F = 1, t = 1"
    [chain] = check(tmp_path, "# Motion\n\n$$\n2F(t) = F(0) + t\n$$\n")
    [step] = chain.steps
    assert step.verdict == "undecided" and step.method == "unknown meaning"
    assert "F(t)" in step.message and "F(0)" in step.message
    assert chain.notes == [
        "F is read as a function: the document applies it to arguments (first on line 4) "
        "and never uses it alone"
    ]


def test_a_label_subscripted_function_is_no_product(tmp_path):
    # before: f_X(2) = 2 f_X(1) was f[X]·2 = 2·f[X]·1 and came back *proved*
    [step] = steps_of(check(tmp_path, "# Density\n\n$$\nf_X(2) = 2 f_X(1)\n$$\n"))
    assert step.verdict == "undecided" and "f_{X}(2)" in step.message


def test_the_derivative_of_an_applied_function_is_proved(tmp_path):
    # before: "f' is the derivative of f, but f is not a declared function" (unparsed)
    text = "# Chain rule\n\n$$\n\\frac{d}{dx} f(x)^2 = 2 f(x) f'(x)\n$$\n"
    [step] = steps_of(check(tmp_path, text))
    assert step.verdict == "proved"


def test_a_function_defined_with_a_greek_parameter_is_a_definition(tmp_path):
    # before: L(\theta) = … was no definition head, and the step below was refuted
    text = (
        "# Likelihood\n\n$$\nL(\\theta) = \\theta^3 (1-\\theta)^2\n$$\n\n"
        "$$\n\\frac{d}{d\\theta} \\log L(\\theta) = \\frac{3}{\\theta} - \\frac{2}{1-\\theta}\n$$\n"
    )
    first, second = check(tmp_path, text)
    assert first.defines == "L(\\theta)"
    assert [s.verdict for s in second.steps] == ["proved"]


def test_a_name_used_both_ways_is_refuted_only_when_both_readings_refute(tmp_path):
    text = (
        "# Both ways\n\n$$\na b = b a\n$$\n\n"
        "$$\na(b + c) = ab + c\n$$\n\n"  # a product slip, or a(·) unknown: two readings
        "$$\na(b) - a(b) + 1 = 2\n$$\n\n"  # wrong under both readings
        "$$\na(b + c) = ab + ac\n$$\n"  # proved as a product: the documented convention
    )
    steps = steps_of(check(tmp_path, text))
    assert [s.line for s in steps] == [4, 8, 12, 16]
    commuted, slip, both, distributed = steps
    assert commuted.verdict == "proved"
    assert slip.verdict == "undecided" and slip.method == "two readings"
    assert "uses a both alone and in front of a bracket" in slip.message
    assert slip.counterexample is None
    assert both.verdict == "refuted" and "also refuted reading a as a function" in both.message
    assert distributed.verdict == "proved"


def test_a_name_in_a_number_role_multiplies_its_bracket():
    # m bounds a sum and s is its index: m(m+1) and s(s+1) are products, never functions
    usage = usage_of(r"\sum_{s=1}^{m} s(s+1) = \frac{m(m+1)(m+2)}{3} + x_k(1 - x_k)")
    assert {"m", "s", "k"} <= usage.values
    assert usage.functions(set()) == {} and usage.ambiguous(set()) == set()


def test_a_value_at_an_event_defines_nothing(tmp_path):
    # before: P(\emptyset) = 0 defined P ≡ 0, and the complement rule was refuted through it
    text = (
        "# Measure\n\n$$\nP(\\emptyset) = 0\n$$\n\n$$\nP(A) = 0.3\n$$\n\n"
        "$$\nP(\\Omega - A) = 1 - P(A)\n$$\n"
    )
    chains = check(tmp_path, text)
    assert [c.defines for c in chains] == ["", "", ""]
    # \emptyset itself is not read yet; what matters is that nothing is refuted through P
    assert [s.verdict for s in steps_of(chains)] == ["unparsed", "undecided", "undecided"]


def test_a_function_defined_in_a_later_section_is_a_function_before_it(tmp_path):
    # before: f(p+h) in the first section was f·(p+h), refuted "at f = 0"
    text = (
        "# Difference quotient\n\n$$\n\\frac{f(p+h) - f(p)}{h} = \\frac{(p+h)^3 - p^3}{h}\n$$\n\n"
        "# Another example\n\n$$\nf(x) = e^x + x\n$$\n\n$$\n(g f)(x) = g f\n$$\n"
    )
    first = steps_of(check(tmp_path, text))[0]
    assert first.line == 4 and first.verdict == "undecided" and "f(h + p)" in first.message


# --- a sum with no index, a bound index that a derivative's variable repeats --------------


def test_a_sum_without_an_index_runs_over_the_one_declared_index_in_its_body():
    m = sp.Symbol("m", integer=True, positive=True)
    notation = Notation(indices={"q": m}, sizes={"m"})
    q = sp.Symbol("q", integer=True, positive=True)
    y, a = sp.IndexedBase("y", real=True), sp.IndexedBase("a", real=True)
    assert parse_latex(r"\sum{y_q \log{a_q}}", notation) == sp.Sum(y[q] * sp.log(a[q]), (q, 1, m))
    # two candidate indices, or none declared: still no guess
    notation2 = Notation(indices={"q": m, "j": m}, sizes={"m"})
    for text, where in ((r"\sum{y_q a_j}", notation2), (r"\sum{y_q}", Notation())):
        try:
            parse_latex(text, where)
        except ValueError as exc:
            assert "without an index" in str(exc)
        else:
            raise AssertionError(text)


def test_a_derivative_by_a_q_renames_the_sums_own_q():
    m = sp.Symbol("m", integer=True, positive=True)
    notation = Notation(indices={"q": m}, sizes={"m"})
    q = sp.Symbol("q", integer=True, positive=True)
    bound = sp.Symbol("q'", integer=True, positive=True)
    y, a = sp.IndexedBase("y", real=True), sp.IndexedBase("a", real=True)
    read = parse_latex(r"\frac{\partial{(-\sum_q^m{y_q \log{a_q}})}}{\partial{a_q}}", notation)
    assert read == sp.Derivative(-sp.Sum(y[bound] * sp.log(a[bound]), (bound, 1, m)), a[q])


GAP = """---
derive:
  symbols: {x: real, y: real}
---
# Across a gap

$$
\\begin{aligned}
(x+y)^2 &= x^2 + \\unknowncommand{x} \\\\
&= x^2 + 1
\\end{aligned}
$$
"""


def test_a_step_across_an_unreadable_expression_never_refutes(tmp_path):
    chains = check(tmp_path, GAP)
    verdicts = [(s.line, s.from_line, s.verdict, s.method) for s in steps_of(chains)]
    assert verdicts[0][2] == "unparsed"
    line, from_line, verdict, method = verdicts[1]
    assert (line, from_line, verdict, method) == (10, 9, "undecided", "across a gap")
    [step] = [s for s in steps_of(chains) if s.method == "across a gap"]
    assert "unreadable expression on line 9" in step.message
