"""One slow step costs its time bound and nothing more: it comes back
`undecided` (or `numeric`, when every probe agreed before time ran out), the
next step is still decided, and the run goes on."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

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
    # the bound is 0.5 s of CPU, plus the worker's one-second grace before a hard
    # kill; on a busy machine the wall backstop (WALL_FACTOR x 0.5 s) at the latest
    from derive.worker import WALL_FACTOR

    assert slow.seconds < 0.5 * WALL_FACTOR + 1.0, slow.seconds


def test_a_step_stuck_in_c_code_is_killed_at_its_bound(monkeypatch) -> None:
    # time.sleep blocks in C, where the worker's soft timer cannot reach: only
    # killing the worker process stops it.  Workers are forked after the patch.
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


# --- the soft limit inside the worker (derive/engine/limits.py) ----------------------------


def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def test_the_soft_limit_stops_a_busy_python_call() -> None:
    from derive.engine.limits import limited

    started = time.thread_time()  # the limit bounds this thread's CPU time
    assert limited(lambda: _spin(5) or "finished", 0.2) is None
    assert time.thread_time() - started < 1.0


def test_a_swallowed_soft_limit_is_raised_again() -> None:
    # a finalizer, a GC callback or a library's bare `except` can eat the first
    # exception; the call must still stop soon after its limit
    from derive.engine.limits import limited

    def swallows_once() -> str:
        try:
            _spin(5)
        except BaseException:  # noqa: BLE001 - the point of the test
            pass
        _spin(5)
        return "finished"

    started = time.thread_time()
    assert limited(swallows_once, 0.2) is None
    assert time.thread_time() - started < 1.0


def test_an_outer_limit_is_not_lost_inside_an_inner_one() -> None:
    # the outer limit fires while an inner limited() call runs, which takes the
    # exception as its own timeout; the outer call must stop anyway
    from derive.engine.limits import limited

    def outer() -> str:
        for _ in range(50):
            limited(lambda: _spin(0.1), 10.0)
        return "finished"

    started = time.thread_time()
    assert limited(outer, 0.3) is None
    assert time.thread_time() - started < 1.5


def test_the_soft_limit_counts_the_threads_cpu_time_not_the_wall_clock() -> None:
    # A step's verdict must not depend on machine load: time the thread spends
    # waiting (here: sleeping, as it would while another process has the core)
    # does not count against its budget; only the wall-clock backstop does.
    from derive.engine.limits import WALL_FACTOR, Clock, limited

    assert limited(lambda: time.sleep(0.4) or "slept", 0.25) == "slept"
    started = time.monotonic()
    def wait_long() -> None:
        for _ in range(100):  # (an asynchronous exception lands between the sleeps)
            time.sleep(0.05)

    assert limited(wait_long, 0.25) is None  # the backstop: WALL_FACTOR x 0.25 s
    assert time.monotonic() - started < 0.25 * WALL_FACTOR + 1.0
    clock = Clock(0.25)
    time.sleep(0.3)
    assert clock.left() > 0.1  # waiting spent little of it (the wall backstop a third)
    end = time.thread_time() + 0.3
    while time.thread_time() < end:  # computing spends it
        pass
    assert clock.left() <= 0


def test_a_call_that_ends_in_time_leaves_no_exception_behind() -> None:
    from derive.engine.limits import limited

    for _ in range(20):
        assert limited(lambda: 42, 0.01) == 42
    _spin(0.2)  # a stray asynchronous exception would land here


def test_a_limit_swallowed_by_a_finalizer_prints_nothing() -> None:
    # An exception delivered inside __del__ cannot be raised there, and Python
    # prints "Exception ignored in ..." to stderr, which would reach the user's
    # terminal from a worker.  In a subprocess: pytest installs its own hook.
    code = """
import gc, time
from derive.engine.limits import limited

def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass

class Slow:
    def __del__(self):
        spin(0.3)

def make_garbage():
    for _ in range(20):
        Slow()
        gc.collect()

assert limited(make_garbage, 0.1) is None
print("stopped")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "stopped", done.stderr
    assert "Exception ignored" not in done.stderr, done.stderr


STRESS = """
import time

import pytest
from derive.engine.limits import limited

def spin(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass

def outer():
    for _ in range(100):
        limited(lambda: spin(0.002), 0.001)  # fires nearly every time
        limited(lambda: 1, 1.0)
    return "outer finished"

finished = [limited(outer, 0.01) for _ in range(150)]  # fires inside inner limits
print("done", sum(r is not None for r in finished))
"""


def test_many_limits_firing_inside_each_other_neither_hang_nor_leak() -> None:
    # Each limit firing while another is being set up or torn down: the
    # asynchronous exceptions must never leave a lock held (a hang) or land
    # outside every limited() call (an uncaught _OutOfTime ends the script).
    done = subprocess.run(
        [sys.executable, "-c", STRESS], capture_output=True, text=True, timeout=120
    )
    word, finished = done.stdout.split() if done.stdout else ("", "")
    assert word == "done", done.stderr[-2000:]
    # an outer call needs 100+ ms against its 10 ms limit: it must be stopped, not
    # run to the end because inner limits kept taking its exception
    assert int(finished) <= 3, f"{finished} of 150 outer calls ran past their limit"


def test_a_limit_cut_short_while_starting_never_fires_later(monkeypatch) -> None:
    # an asynchronous exception right after the limit was put on the watchdog's
    # queue: the limit must be stopped anyway, or it fires into later code
    from derive.engine import limits

    dog = limits._watchdog()
    real_watch = dog.watch

    def registered_then_interrupted(limit) -> None:
        real_watch(limit)
        raise limits._OutOfTime  # as if delivered by an enclosing limit just now

    monkeypatch.setattr(dog, "watch", registered_then_interrupted)
    with pytest.raises(limits._OutOfTime):  # not this limit's: passed on
        limits.limited(lambda: "finished", 0.01)
    monkeypatch.undo()
    _spin(0.3)  # a limit left running would raise here, outside any limited()


def test_a_stop_cut_short_is_retried(monkeypatch) -> None:
    from derive.engine import limits

    real_stop = limits._Limit.stop
    cut = []

    def cut_short_once(self) -> None:
        if not cut:
            cut.append(True)
            raise limits._OutOfTime  # delivered at the first line of stop()
        real_stop(self)

    monkeypatch.setattr(limits._Limit, "stop", cut_short_once)
    assert limits.limited(lambda: _spin(0.2), 0.01) is None
    monkeypatch.undo()
    assert cut == [True]
    _spin(0.3)  # the limit fired; left running, it would fire again here
