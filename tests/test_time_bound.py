"""One slow step costs its time bound and nothing more: it comes back
`undecided`, the next step is still decided, and the run goes on."""

from __future__ import annotations

import time

from derive.api import check_text
from derive.check import Options

SLOW_THEN_QUICK = r"""---
derive:
  sizes: {m: "1..12"}
  indices: {j: m, k: m, q: m}
---
$$a_{j} = \frac{e^{z_j}}{\sum_k^m{e^{z_k}}}$$

<!-- derive: {cases: 'q \neq j'} -->
$$\begin{aligned}
\frac{\partial{a_q}}{\partial{z_j}} & = - a_q a_j \\
& = - a_j a_q \\
\end{aligned}$$
"""


def test_a_step_over_its_bound_is_undecided_and_the_next_step_is_still_decided() -> None:
    started = time.monotonic()
    result = check_text(SLOW_THEN_QUICK, options=Options(timeout=0.5))
    elapsed = time.monotonic() - started
    slow, quick = result.chains[1].steps
    assert slow.verdict == "undecided"
    assert "time" in slow.message or "time" in slow.method
    assert quick.verdict == "proved"
    # the bound is 0.5 s soft, plus the worker's grace before a hard kill
    assert slow.seconds < 3.0, slow.seconds
    assert elapsed < 30


def test_the_same_step_is_decided_with_a_generous_bound() -> None:
    # m = 1..12 over two free indices is more instances than a bounded check
    # covers; the verdict must still never be refuted
    result = check_text(SLOW_THEN_QUICK.replace('"1..12"', '"1..3"'), options=Options(timeout=20))
    slow = result.chains[1].steps[0]
    assert slow.verdict == "bounded", (slow.verdict, slow.message)
