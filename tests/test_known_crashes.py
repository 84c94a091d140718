"""The two internal errors known when the verdict ``error`` was introduced (issue 13).

(a) A sum bound sampled as a fraction over a family's name turned into a
    number: ``\\sum_i y_i = na + b\\sum_i x_i`` followed by another equation put
    n = 41/32 and y = 1 into Σ_{i=1}^{n} y_i (read ``Sum(32*1[i], (i, 1, 41/32))``)
    and crashed with "cannot determine truth value of Relational".
(b) A maximum-likelihood step crashed with "Invalid limits given: ((1, 1, 1),)":
    SymPy differentiates a product over i into Σ_k … Π_{l=1}^{k-1}, and the
    outer index k in the inner bound was taken for a size and given a value.

Each is now a verdict with a reason; neither is ``error``.
"""

from __future__ import annotations

from pathlib import Path

from derive.check import Options, check_paths

REGRESSION = r"""---
derive:
  indices: {i: n}
  sizes: {n: 1..4}
---
# Least squares by hand

$$
\begin{aligned}
\sum_{i=1}^{n} y_i &= na + b\sum_{i=1}^{n} x_i \\
\frac{1}{n}\sum_{i=1}^{n} y_i &= a + b \frac{1}{n}\sum_{i=1}^{n} x_i
\end{aligned}
$$

$$
\begin{aligned}
\sum_{i=1}^{n} y_i &= na + b\sum_{i=1}^{n} x_i \\
y_1 &= a + b x_1
\end{aligned}
$$
"""

LIKELIHOOD = r"""---
derive:
  symbols: {theta: {interval: "(0, 1)"}, x: {values: [0, 1]}}
  indices: {i: n}
  sizes: {n: 1..4}
---
# Bernoulli maximum likelihood

$$
\begin{aligned}
\log L(\theta) &= \sum_{i=1}^{n} x_i\log\theta + \sum_{i=1}^{n}(1-x_i)\log(1-\theta) \\
0 &= \frac{\sum_{i=1}^{n} x_i}{\theta} - \frac{n - \sum_{i=1}^{n}x_i}{1-\theta}
\end{aligned}
$$

$$
\frac{d}{d\theta} \log \prod_{i=1}^{n} \theta^{x_i}(1-\theta)^{1-x_i}
= \sum_{i=1}^{n} \frac{d}{d\theta}\left(x_i \log\theta\right)
+ \frac{d}{d\theta}\left((1-x_i)\log(1-\theta)\right)
$$

$$
\frac{d}{d\theta} \log \prod_{i=1}^{n} \theta^{x_i}(1-\theta)^{1-x_i}
= \sum_{i=1}^{n} \left(\frac{x_i}{\theta} - \frac{1-x_i}{1-\theta}\right)
$$
"""


def steps(tmp_path: Path, text: str, context: str | None = None):
    if context is None:
        text = text.split("---\n", 2)[2]  # the same document without its front matter
    path = tmp_path / "note.md"
    path.write_text(text, encoding="utf-8")
    run = check_paths([path], Options(jobs=1))
    return [s for c in run.files[0].chains for s in c.steps]


def test_a_sum_over_a_size_in_an_equation_chain_is_decided_per_size(tmp_path):
    averaged, first_point = steps(tmp_path, REGRESSION, context="front matter")
    assert averaged.verdict == "proved" and averaged.relation == "equivalent"
    # the sum of n points does not give the first point: n = 2 shows it
    assert first_point.verdict == "refuted"
    assert first_point.counterexample["n"] == "2"
    assert "error" not in {averaged.verdict, first_point.verdict}


def test_without_a_context_the_size_still_ranges_over_whole_numbers(tmp_path):
    verdicts = [s.verdict for s in steps(tmp_path, REGRESSION)]
    assert verdicts == ["proved", "refuted"]


def test_the_likelihood_steps_get_verdicts_not_errors(tmp_path):
    found = steps(tmp_path, LIKELIHOOD, context="front matter")
    assert "error" not in [s.verdict for s in found], [(s.verdict, s.message) for s in found]
    equation, scope, derivative = found
    # log L(θ) is read as θ·log L (no function L declared): the equation chain holds
    # or not on that reading, but it is decided, with no Relational crash
    assert equation.verdict in {"proved", "bounded", "refuted", "undecided"}
    # Σ_i ends at the +: i is free in the second term, and the step says so
    assert scope.verdict == "refuted" and "outside the sum that binds it" in scope.message
    assert derivative.verdict in {"proved", "bounded"}
