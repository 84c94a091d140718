"""One slow step costs its time bound and nothing more: it comes back
`undecided` (or `numeric`, when every probe agreed before time ran out), the
next step is still decided, and the run goes on."""

from __future__ import annotations

from derive.api import check_text
from derive.check import Options

# atan(e^h) + atan(e^{-h}) = π/2 is true, and simplify() runs for minutes on it
SLOW_THEN_QUICK = r"""
$$\begin{aligned}
\arctan(e^{h}) + \arctan(e^{-h}) & = \frac{\pi}{2} \\
& = \frac{2\pi}{4}
\end{aligned}$$
"""


def test_a_step_over_its_bound_stops_there_and_the_next_step_is_still_decided() -> None:
    result = check_text(SLOW_THEN_QUICK, options=Options(timeout=0.5))
    slow, quick = result.chains[0].steps
    assert slow.verdict in ("undecided", "numeric"), (slow.verdict, slow.message)
    assert "not proved" in slow.message or "time" in slow.message
    assert quick.verdict == "proved"
    # the bound is 0.5 s, plus the worker's one-second grace before a hard kill
    assert slow.seconds < 2.5, slow.seconds


def test_a_step_stuck_in_c_code_is_killed_at_its_bound(monkeypatch) -> None:
    # time.sleep blocks in C, where the worker's soft timer cannot reach: only
    # killing the worker process stops it.  Workers are forked after the patch.
    import time

    from derive import engine

    real = engine.decide_equal

    def stuck(lhs, rhs, domain, **kwargs):
        if any(s.name == "h" for s in lhs.free_symbols):
            time.sleep(60)
        return real(lhs, rhs, domain, **kwargs)

    monkeypatch.setattr(engine, "decide_equal", stuck)
    started = time.monotonic()
    slow, quick = check_text(SLOW_THEN_QUICK, options=Options(timeout=0.5)).chains[0].steps
    assert slow.verdict == "undecided"
    assert slow.message == "timed out after 0.5 s"
    assert quick.verdict == "proved"
    assert time.monotonic() - started < 30
