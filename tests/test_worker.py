"""Behaviour of the killable worker pool (derive.worker)."""

from __future__ import annotations

import faulthandler
import mmap
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sympy

from derive.worker import WALL_FACTOR, TaskResult, TaskTimeout, WorkerPool, run_one

# Tasks must be top-level functions: they are pickled by reference.


def pid() -> int:
    return os.getpid()


def square(x: int) -> int:
    return x * x


def spin_forever() -> None:
    while True:
        pass


def sleep_with_alarm_blocked(seconds: float) -> None:
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(seconds)  # one long C call


def huge_power() -> int:
    return 10 ** (10**9)


def spawn_grandchild_then_hang(pid_file: str) -> None:
    child = subprocess.Popen(["sleep", "60"])
    Path(pid_file).write_text(str(child.pid))
    time.sleep(60)


def eat_memory_gradually() -> None:
    chunks = []
    while True:  # anonymous maps count against RLIMIT_AS without touching pages
        chunks.append(mmap.mmap(-1, 50 * 2**20))


def allocate_huge_list() -> list:
    return [0] * 10**10  # 80 GB


def raise_value_error() -> None:
    raise ValueError("bad\nthing")


def raise_stop_iteration() -> None:
    next(iter([]))


def recurse(n: int) -> int:
    return recurse(n + 1) + 1


def segfault() -> None:
    faulthandler.disable()  # pytest's handler, inherited through fork, would print noise
    os.kill(os.getpid(), signal.SIGSEGV)


def sleep_then_return(seconds: float, value: object) -> object:
    time.sleep(seconds)
    if value == "fail":
        raise KeyError(value)
    return value


def compute_then_return(seconds: float, value: object) -> object:
    """Like sleep_then_return, but spending the time computing: the bounds count CPU."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass
    if value == "fail":
        raise KeyError(value)
    return value


def unpicklable_result():
    return lambda: None


def simplify_text(text: str) -> sympy.Expr:
    return sympy.simplify(sympy.sympify(text))


INITIALIZED = []


def initializer() -> None:
    INITIALIZED.append("yes")


def initialized() -> list[str]:
    return INITIALIZED


def children_of(parent: int) -> set[int]:
    """Live or zombie children of `parent`, from /proc (no psutil)."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == parent and not is_resource_tracker(int(entry)):
            found.add(int(entry))
    return found


def is_resource_tracker(p: int) -> bool:
    """multiprocessing's own helper (started by spawn); it lives as long as the parent."""
    try:
        return b"resource_tracker" in Path(f"/proc/{p}/cmdline").read_bytes()
    except OSError:
        return False


def process_gone(p: int) -> bool:
    try:
        state = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"  # reparented zombie awaiting init: no longer running


@pytest.fixture
def no_leaks():
    # other tests in the same session may keep pools of their own (module-scoped
    # fixtures): only what this test starts must be gone when it ends
    before = children_of(os.getpid())
    before_mp = set(multiprocessing.active_children())
    yield
    assert set(multiprocessing.active_children()) - before_mp == set()
    assert children_of(os.getpid()) - before == set()


def slow_factorint() -> dict:
    return sympy.factorint(2**256 + 1)  # minutes of pure-Python trial division and rho


def test_slow_sympy_call_is_stopped_by_soft_timer_and_worker_is_reused(no_leaks):
    with WorkerPool(timeout=0.5, grace=5.0) as pool:
        first = pool.run_one(pid).value
        result = pool.run_one(slow_factorint)
        # stopped softly: at 0.5 s of CPU, by the wall backstop at the latest
        assert result.timed_out and result.seconds < 0.5 * WALL_FACTOR + 0.5
        assert pool.run_one(pid).value == first


def test_pure_python_hang_is_stopped_by_soft_timer_and_worker_is_reused(no_leaks):
    with WorkerPool(timeout=0.5, grace=5.0) as pool:
        first = pool.run_one(pid).value
        result = pool.run_one(spin_forever)
        assert not result.ok and result.timed_out
        assert result.error == "timed out after 0.5 s"
        assert result.seconds < 0.5 * WALL_FACTOR + 0.5  # long before the parent's kill
        assert pool.run_one(pid).value == first  # same warm worker


@pytest.mark.parametrize(
    "task, args",
    [(sleep_with_alarm_blocked, (60,)), (huge_power, ())],
    ids=["sleep-with-sigalrm-blocked", "huge-integer-power"],
)
def test_task_stuck_in_c_is_killed_within_timeout_plus_grace(no_leaks, task, args):
    # the bound is CPU time (timeout + grace), with a wall backstop of
    # WALL_FACTOR x timeout + grace for a task that computes nothing (sleeps)
    with WorkerPool(timeout=0.5, grace=0.3) as pool:
        first = pool.run_one(pid).value
        result = pool.run_one(task, *args)
        assert not result.ok and result.timed_out
        assert result.error == "timed out after 0.5 s"
        # /proc reports CPU time in clock ticks, so each of the two readings the bound
        # is measured between can be one tick off (seen: killed at 0.793 s of wall time)
        tick = 1 / os.sysconf("SC_CLK_TCK")
        assert 0.8 - 2 * tick <= result.seconds < 0.5 * WALL_FACTOR + 0.3 + 0.7
        assert process_gone(first)
        after = pool.run_one(pid)
        assert after.ok and after.value != first  # a fresh worker took over


def test_kill_also_takes_the_workers_children(no_leaks, tmp_path):
    pid_file = tmp_path / "grandchild"
    with WorkerPool(timeout=0.5, grace=0.3) as pool:
        result = pool.run_one(spawn_grandchild_then_hang, str(pid_file))
        assert result.timed_out
        grandchild = int(pid_file.read_text())
        deadline = time.monotonic() + 2
        while not process_gone(grandchild) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process_gone(grandchild)


@pytest.mark.parametrize("task", [eat_memory_gradually, allocate_huge_list])
def test_task_exceeding_memory_gets_memory_failure_and_pool_continues(no_leaks, task):
    with WorkerPool(timeout=5.0, memory_mb=1024) as pool:
        first = pool.run_one(pid).value
        result = pool.run_one(task)
        assert not result.ok and not result.timed_out
        assert result.error == "memory limit (1024 MB) exceeded"
        assert pool.run_one(square, 7).value == 49
        assert pool.run_one(pid).value == first  # the memory came back; worker kept


@pytest.mark.parametrize(
    "task, args, error",
    [
        (raise_value_error, (), "ValueError: bad thing"),
        (raise_stop_iteration, (), "StopIteration"),
        (recurse, (0,), "RecursionError: maximum recursion depth exceeded"),
    ],
)
def test_exception_in_task_becomes_one_line_error(task, args, error):
    with WorkerPool(timeout=5.0) as pool:
        result = pool.run_one(task, *args)
        assert not result.ok and not result.timed_out
        assert result.error == error
        assert pool.run_one(square, 3).value == 9


def test_dead_worker_gives_failed_result_and_is_replaced(no_leaks):
    with WorkerPool(timeout=5.0) as pool:
        result = pool.run_one(segfault)
        assert not result.ok and result.error == "worker died (signal 11)"
        assert pool.run_one(square, 4).value == 16


def test_results_keep_input_order_and_match_between_jobs_1_and_2(no_leaks):
    args = [(0.3, "a"), (0.0, "b"), (0.2, "fail"), (5.0, "slow"), (0.0, 5), (0.1, "c")]

    def outcome(results: list[TaskResult]) -> list[tuple]:
        return [(r.ok, r.value, r.error, r.timed_out) for r in results]

    with WorkerPool(jobs=1, timeout=0.5, grace=0.2) as one:
        serial = one.run(compute_then_return, args)
    with WorkerPool(jobs=2, timeout=0.5, grace=0.2) as two:
        parallel = two.run(compute_then_return, args)
    assert outcome(serial) == outcome(parallel)
    assert outcome(parallel) == [
        (True, "a", "", False),
        (True, "b", "", False),
        (False, None, "KeyError: 'fail'", False),
        (False, None, "timed out after 0.5 s", True),
        (True, 5, "", False),
        (True, "c", "", False),
    ]


def test_sympy_simplify_returns_picklable_expression():
    result = run_one(simplify_text, "sin(x)**2 + cos(x)**2 + (x**2 - 1)/(x - 1)", timeout=10)
    assert result.ok, result.error
    x = sympy.Symbol("x")
    assert result.value == x + 2


def test_unpicklable_args_or_results_fail_without_breaking_pool():
    with WorkerPool(timeout=5.0) as pool:
        bad_args = pool.run(square, [(3,), (lambda: 1,), (5,)])
        assert [r.ok for r in bad_args] == [True, False, True]
        assert bad_args[2].value == 25
        bad_result = pool.run_one(unpicklable_result)
        assert not bad_result.ok and bad_result.error.startswith("result not sendable")
        assert pool.run_one(square, 6).value == 36


def test_initializer_runs_in_each_worker():
    with WorkerPool(jobs=2, initializer=initializer) as pool:
        assert [r.value for r in pool.run(initialized, [(), ()])] == [["yes"], ["yes"]]
    assert INITIALIZED == []  # not in the parent


def test_close_leaves_no_child_processes(no_leaks):
    pool = WorkerPool(jobs=2, timeout=5.0)
    pids = {r.value for r in pool.run(sleep_then_return, [(0.1, 1), (0.1, 2)])} - {None}
    workers = {w.pid for w in pool._workers}
    assert len(workers) == 2
    pool.close()
    assert all(process_gone(p) for p in workers)
    with pytest.raises(RuntimeError):
        pool.run_one(square, 1)
    del pids


def test_keyboard_interrupt_during_run_leaves_no_child_processes(no_leaks):
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            with WorkerPool(jobs=2, timeout=30.0) as pool:
                signal.setitimer(signal.ITIMER_REAL, 0.3)
                pool.run(sleep_with_alarm_blocked, [(60,), (60,), (60,)])
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def test_pool_recovers_after_interrupted_run():
    def interrupt(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    with WorkerPool(jobs=1, timeout=30.0) as pool:
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.2)
            with pytest.raises(KeyboardInterrupt):
                pool.run(sleep_then_return, [(0.5, "stale")])
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        time.sleep(0.4)  # the interrupted task would have answered by now
        assert pool.run_one(square, 2).value == 4  # not the stale "stale"


def test_inline_mode_has_soft_timer_and_catches_exceptions():
    with WorkerPool(jobs=0, timeout=0.3) as pool:
        assert pool.inline
        assert pool.run_one(square, 5).value == 25
        assert pool.run_one(pid).value == os.getpid()  # in-process
        hang = pool.run_one(spin_forever)
        assert hang.timed_out and hang.error == "timed out after 0.3 s"
        assert pool.run_one(raise_value_error).error == "ValueError: bad thing"
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_task_timeout_is_not_swallowed_by_except_exception():
    assert not issubclass(TaskTimeout, Exception)


def test_spawn_start_method_works_too(no_leaks):
    # A spawned interpreter imports this test module (pytest, SymPy: about 0.5 s,
    # more under load) when it unpickles its first task, and that is charged to
    # the task; the squares get room for it, the stuck task gets the tight bound.
    with WorkerPool(timeout=0.5, grace=0.3, start_method="spawn") as pool:
        assert pool.run_one(square, 3, timeout=30).value == 9
        assert pool.run_one(sleep_with_alarm_blocked, 60).timed_out
        assert pool.run_one(square, 4, timeout=30).value == 16  # in a fresh worker


def test_workers_die_with_a_killed_parent():
    code = (
        "import os, time\n"
        "from derive.worker import WorkerPool\n"
        "pool = WorkerPool(jobs=2)\n"
        "print(*[r.value for r in pool.run(os.getpid, [(), ()])], flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        workers = [int(p) for p in parent.stdout.readline().split()]
        assert len(workers) == 2 and not any(process_gone(p) for p in workers)
    finally:
        parent.kill()  # SIGKILL: no cleanup code runs in the parent
        parent.wait()
        parent.stdout.close()
    deadline = time.monotonic() + 2
    while not all(process_gone(p) for p in workers) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert all(process_gone(p) for p in workers)


def exit_at_import() -> None:
    os._exit(3)


def test_worker_that_cannot_start_raises_and_leaves_nothing_behind(no_leaks):
    with WorkerPool(initializer=exit_at_import) as pool:
        with pytest.raises(RuntimeError, match=r"worker failed to start: .*exit code 3"):
            pool.run_one(square, 2)
        assert pool._workers == []


def failing_initializer() -> None:
    raise ImportError("no such thing")


def test_failing_initializer_fails_every_task_with_its_message():
    with WorkerPool(initializer=failing_initializer) as pool:
        result = pool.run_one(square, 2)
        assert result.error == "initializer failed: ImportError: no such thing"
