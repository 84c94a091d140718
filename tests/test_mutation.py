"""Mutation testing of the checker (bench/mutate.py), on a fixed sample.

Every verified step of derivations/ is broken in one line (sign flip, dropped
factor, wrong index, ...); the checker must refute at least 95% of the
mutants that are not equal to the original, and blame the mutated line for at
least 90% of those it refutes.  The unmutated documents must give no
refutation beyond the ones they pin.  The full run is `python bench/mutate.py`
(results in bench/MUTATION.md); this test checks a fixed random sample so it
stays under a minute and a half on two cores.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import sys
from pathlib import Path

import pytest

from derive.check import Options

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = 60
SEED = 7
JOBS = 2
REFUTED_FLOOR = 0.95
CULPRIT_FLOOR = 0.90


def _load_mutate():
    spec = importlib.util.spec_from_file_location("bench_mutate", ROOT / "bench" / "mutate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_mutate"] = module
    spec.loader.exec_module(module)
    return module


mutate = _load_mutate()


# --------------------------------------------------------------------------
# The mutation operators, on LaTeX text (no checker needed)
# --------------------------------------------------------------------------


def _mutants(operator, text, *extra):
    return [new for _, new in operator(text, mutate.read_latex(text), *extra)]


def test_sign_flip():
    assert sorted(_mutants(mutate.op_sign_flip, r"-x(a-y)")) == [r"-x(a+y)", r"x(a-y)"]


def test_dropped_factor_keeps_sum_bodies():
    got = _mutants(mutate.op_dropped_factor, r"\frac{1}{n}\sum_{i=1}^{n}(a_i - y_i)\, x_i")
    assert r"\sum_{i=1}^{n}(a_i - y_i)\, x_i" in got
    assert r"\frac{1}{n}\sum_{i=1}^{n}(a_i - y_i)\, " in got
    # the body right after \sum is never dropped (it would make x_i the body)
    assert all(r"\sum_{i=1}^{n}\," not in g for g in got)


def test_exponent_and_missing_square():
    text = r"\frac{e^{-t}}{(1+e^{-t})^2}"
    assert r"\frac{e^{-t}}{(1+e^{-t})^3}" in _mutants(mutate.op_exponent, text)
    assert _mutants(mutate.op_missing_square, text) == [r"\frac{e^{-t}}{(1+e^{-t})}"]


def test_sum_bound_and_wrong_index():
    text = r"\sum_{i=1}^{n} x_i"
    assert _mutants(mutate.op_sum_bound, text) == [r"\sum_{i=2}^{n} x_i", r"\sum_{i=1}^{n-1} x_i"]
    assert _mutants(mutate.op_wrong_index, text, ["i", "j"]) == [r"\sum_{i=1}^{n} x_j"]


def test_swap_log_exp_product_sum():
    assert _mutants(mutate.op_swapped_symbols, "x(a-y)", []) == ["a(x-y)", "x(y-a)", "y(a-x)"]
    # a line with one letter swaps it with the document's other letters
    assert _mutants(mutate.op_swapped_symbols, r"\sigma(-t)", ["t", "y"]) == [r"\sigma(-y)"]
    assert _mutants(mutate.op_log_exp, r"c + \log \sum_{k=1}^{m} e^{z_k}") == [
        r"c + \exp \sum_{k=1}^{m} e^{z_k}", r"c + \log \sum_{k=1}^{m} \log(z_k)"]
    assert _mutants(mutate.op_product_sum, r"a \cdot b") == ["a + b"]


# --------------------------------------------------------------------------
# The checker against a fixed sample of mutants
# --------------------------------------------------------------------------


def _crafted(originals, mutants):
    """Two hand-made mutants of the last line `a - y` of a chain in
    cross_entropy_corrected.md: one equal to the original, one wrong."""
    base = next(m for m in mutants
                if m.target.path.endswith("cross_entropy_corrected.md") and m.before == "a - y")
    lines = originals[base.target.path].text.split("\n")
    out = []
    for tag, after in (("equal", "-y + a"), ("wrong", "a + y")):
        mutated = lines[:]
        row = mutated[base.target.line - 1]
        a, b = base.target.span
        mutated[base.target.line - 1] = row[:a] + after + row[b:]
        out.append(dataclasses.replace(base, id=f"crafted-{tag}", operator="sign-flip",
                                       after=after, text="\n".join(mutated)))
    return out


@pytest.fixture(scope="module")
def run():
    options = Options(jobs=JOBS, timeout=mutate.DEFAULT_TIMEOUT)
    originals, baseline, mutants = mutate.prepare(["derivations"], options)
    picked = mutate.sample(mutants, SAMPLE, SEED)
    crafted = _crafted(originals, mutants)
    mutate.run_mutants(picked + crafted, originals, options, equivalence="survivors")
    report = mutate.summarise_mutants(picked, mutate.baseline_refutations(baseline), 0.0)
    return originals, mutants, picked, crafted, report


def test_unmutated_documents_refute_nothing_unpinned(run):
    *_, report = run
    assert report.baseline_refutations == []


def test_sample_is_fixed_and_mixed(run):
    originals, mutants, picked, _, _ = run
    assert len(mutants) > 300
    assert [m.id for m in mutate.sample(mutants, SAMPLE, SEED)] == [m.id for m in picked]
    assert len({m.operator for m in picked}) >= 6
    assert len({m.target.path for m in picked}) >= 4


def test_each_mutant_changes_exactly_one_line(run):
    originals, _, picked, _, _ = run
    for m in picked:
        before = originals[m.target.path].text.split("\n")
        after = m.text.split("\n")
        assert len(before) == len(after)
        changed = [n + 1 for n, (x, y) in enumerate(zip(before, after, strict=True)) if x != y]
        assert changed == [m.target.line], m.id


def test_equal_and_wrong_mutants_are_told_apart(run):
    *_, crafted, _ = run
    equal, wrong = crafted
    assert equal.status == "equivalent", (equal.status, equal.into, equal.equivalence)
    assert wrong.status == "refuted" and wrong.culprit_right, (wrong.status, wrong.into)


def test_refuted_floor(run):
    *_, report = run
    assert report.scored >= SAMPLE * 3 // 4
    survivors = [f"{m.id}: {m.before} -> {m.after} ({m.into}; {m.out})" for m in report.survivors]
    assert report.refuted_share >= REFUTED_FLOOR, "\n".join(survivors)


def test_culprit_floor(run):
    *_, report = run
    wrong = [f"{m.id}: {m.before} -> {m.after} ({m.into}; {m.out})" for m in report.wrong_culprit]
    assert report.refuted > 0
    assert report.culprit_share >= CULPRIT_FLOOR, "\n".join(wrong)


def test_no_mutant_counts_as_unparsed_silently(run):
    *_, report = run
    # the operators keep LaTeX well formed: syntax breakage must stay rare
    assert report.unparsed <= SAMPLE // 10
