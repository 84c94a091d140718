"""Killable workers: every unit of work gets a hard time bound and a memory guard.

One pathological SymPy call (a ``simplify`` that runs for minutes, ``2^{10^{10}}``)
must cost its bound and nothing more.  ``signal.alarm`` cannot interrupt a long
C-level operation, so the *hard* bound is SIGKILL of a worker process; a cheap
*soft* bound inside the worker stops most pure-Python hangs without losing the
warm worker (imports, SymPy caches).

    with WorkerPool(jobs=2, timeout=5.0, memory_mb=4096) as pool:
        results = pool.run(parse_one, [(src,) for src in sources])  # input order

* Workers are forked (spawn where fork is unavailable), each in its own process
  group, with ``RLIMIT_AS`` set to ``memory_mb`` and ``PR_SET_PDEATHSIG`` so they
  die with the thread that started them.  ``fn`` and its args/results go through
  pipes with pickle; ``fn`` must be a picklable top-level function.
* Time is CPU time: ``timeout`` is the CPU time a task may use, so that how busy
  the machine is (other processes, ``--jobs``) changes how long a task takes, never
  what it may compute, and so never its result.  A task that waits without
  computing (blocked in C, or starved) is stopped by a wall-clock backstop of
  ``WALL_FACTOR × timeout``.
* Soft bound: the task runs in a big-stack thread (deep SymPy recursion without
  segfaults); when that thread has used ``timeout`` seconds of CPU (or the wall
  backstop passes) the worker raises ``TaskTimeout`` in it via
  ``PyThreadState_SetAsyncExc`` (a SIGALRM handler only runs in the main thread;
  both act at the next bytecode, neither interrupts a C call).  The worker is then
  reused, so a task interrupted mid-way must not leave global state half-updated.
* Hard bound: when the worker process has used ``timeout + grace`` CPU seconds on
  the task (read from /proc), or ``WALL_FACTOR × timeout + grace`` wall seconds
  have passed, the parent kills the worker's process group, records a timed-out
  result and starts a fresh worker on demand.  A worker that dies (segfault, OOM
  kill) likewise yields a failed result and is replaced.
* Inline mode (``jobs=0`` or ``inline=True``): tasks run in the calling thread,
  with only the soft bound (``setitimer``; main thread only) and no memory guard.
  For debugging (pdb, tracebacks) and where forking is impossible.
"""

from __future__ import annotations

import ctypes
import errno
import math
import multiprocessing as mp
import os
import resource
import signal
import sys
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.reduction import ForkingPickler
from typing import Any

__all__ = ["TaskResult", "TaskTimeout", "WorkerPool", "run_one"]

# Task-thread stack: virtual, only touched pages cost RAM.  SymPy printing of a
# 20000-deep expression segfaults on the 8 MB main-thread stack but runs here.
STACK_BYTES = 256 * 2**20
STARTUP_TIMEOUT = 60.0  # seconds for a worker to start and run the initializer
STACK_BYTES_PER_FRAME = 8192  # generous; gives a recursion limit of 32768 for 256 MB
WALL_FACTOR = 10.0  # wall-clock backstop: a task of T CPU seconds ends by WALL_FACTOR * T
POLL_SECONDS = 0.25  # how often the parent reads a busy worker's CPU time


class TaskTimeout(BaseException):
    """Raised inside a task at its soft deadline.

    A BaseException so that SymPy's many ``except Exception`` blocks don't swallow it.
    """


@dataclass
class TaskResult:
    ok: bool
    value: Any = None
    error: str = ""  # one line; empty when ok
    seconds: float = 0.0
    timed_out: bool = False
    # the formatted traceback of an exception raised by the task ("" otherwise)
    traceback: str = ""
    out_of_memory: bool = False  # the task hit the memory limit (a documented limit)


def _out_of_memory(exc: BaseException) -> bool:
    return isinstance(exc, MemoryError) or (
        isinstance(exc, OSError) and exc.errno == errno.ENOMEM  # e.g. mmap, thread stacks
    )


def _describe(exc: BaseException, memory_mb: int | None) -> str:
    if _out_of_memory(exc) and memory_mb:
        return f"memory limit ({memory_mb} MB) exceeded"
    msg = " ".join(str(exc).split())  # one line
    if len(msg) > 300:
        msg = msg[:297] + "..."
    return f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__


def _call(fn: Callable[..., Any], args: tuple, timeout: float | None, memory_mb: int | None):
    """Run fn(*args) -> (ok, value, error, timed_out, traceback, out_of_memory); never raises."""
    try:
        return True, fn(*args), "", False, "", False
    except TaskTimeout:
        return _timed_out(timeout)
    except BaseException as exc:  # noqa: BLE001 - every failure becomes a result
        trace = "" if _out_of_memory(exc) else _traceback_text(exc)
        return False, None, _describe(exc, memory_mb), False, trace, _out_of_memory(exc)


def _timed_out(timeout: float | None) -> tuple:
    return False, None, f"timed out after {timeout} s", True, "", False


def _traceback_text(exc: BaseException) -> str:
    """The traceback as text, bounded (a deep SymPy recursion has thousands of frames)."""
    try:
        text = "".join(traceback.format_exception(exc, limit=-40))
    except BaseException:  # noqa: BLE001 - formatting must never fail the result
        return f"{type(exc).__name__}"
    return text if len(text) <= 20000 else "…" + text[-20000:]


# --------------------------------------------------------------------------- worker side


def _run_in_thread(fn: Callable[..., Any], args: tuple, timeout: float | None, memory_mb: int):
    box: list[tuple] = []
    clock: list[int | None] = []  # the task thread's CPU clock, taken by the thread itself

    def target() -> None:
        try:
            clock.append(_own_cpu_clock())
            box.append(_call(fn, args, timeout, memory_mb))
        except TaskTimeout:  # landed between fn's return and the append
            box.append(_timed_out(timeout))

    try:
        thread = threading.Thread(target=target, daemon=True)
        thread.start()
    except (MemoryError, RuntimeError):  # no room for the stack: run it here
        return _call(fn, args, timeout, memory_mb)
    _join_within(thread, timeout, clock)
    if thread.is_alive() and thread.ident is not None:
        # Soft bound: raise TaskTimeout in the task thread at its next bytecode.
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(TaskTimeout)
        )
    thread.join()  # if it is stuck in C, the parent kills us at timeout + grace
    return box[0] if box else _timed_out(timeout)


def _own_cpu_clock() -> int | None:
    """The calling thread's CPU clock id.  Taken by the thread itself while it
    runs: pthread_getcpuclockid on a thread that has ended reads freed memory
    (a segfault), while clock_gettime on the id of an ended thread only fails."""
    try:
        return time.pthread_getcpuclockid(threading.get_ident())
    except (AttributeError, OSError):
        return None


def _join_within(thread: threading.Thread, timeout: float | None, clock: list) -> None:
    """Wait for the task thread until it ends, has used ``timeout`` CPU seconds, or
    the wall backstop passes."""
    if timeout is None:
        thread.join()
        return
    started = time.monotonic()
    wall_end = started + timeout * WALL_FACTOR
    while thread.is_alive():
        clock_id = clock[0] if clock else None
        if clock_id is None and (clock or time.monotonic() - started > 1.0):
            wall_end = min(wall_end, started + timeout)  # no thread clock: the wall clock
        left = wall_end - time.monotonic()
        if clock_id is not None:
            try:
                left = min(left, timeout - time.clock_gettime(clock_id))
            except OSError:  # the thread has just ended
                return
        if left <= 0:
            return
        thread.join(min(left, 0.05) if not clock else left)  # CPU runs no faster than wall


def _process_cpu(pid: int) -> float | None:
    """CPU seconds a process has used (user + system), from /proc; None elsewhere."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            fields = stat.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _CLOCK_TICKS
    except (OSError, IndexError, ValueError):
        return None


try:
    _CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
except (AttributeError, ValueError, OSError):
    _CLOCK_TICKS = 100


def _worker_main(
    conn: Connection,
    parent_pid: int,
    close_fds: list[int],
    memory_mb: int,
    initializer: Callable[[], None] | None,
) -> None:
    for fd in close_fds:  # sibling workers' pipe ends, inherited through fork
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        os.setpgid(0, 0)  # own group: a kill also takes any grandchildren
    except OSError:
        pass
    try:  # die with the parent, even if it is SIGKILLed (Linux)
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent_pid:
        os._exit(0)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C and kills us
    if memory_mb:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_mb * 2**20
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    # A small memory limit must leave room for the task thread's stack.
    stack = min(STACK_BYTES, max(memory_mb * 2**20 // 8, 2**24)) if memory_mb else STACK_BYTES
    threading.stack_size(stack)
    sys.setrecursionlimit(max(1000, stack // STACK_BYTES_PER_FRAME))
    init_error = ""
    if initializer is not None:
        try:
            initializer()
        except BaseException as exc:  # noqa: BLE001
            init_error = "initializer failed: " + _describe(exc, memory_mb)
    conn.send("ready")  # start-up and initializer time is not charged to the first task
    while True:
        try:
            msg = conn.recv()
        except EOFError:
            return
        except BaseException as exc:  # noqa: BLE001 - e.g. fn not importable here
            error = _describe(exc, memory_mb)
            reply: tuple = (False, None, error, False, _traceback_text(exc), False)
        else:
            if msg is None:
                return
            fn, args, timeout = msg
            if init_error:
                reply = (False, None, init_error, False, "", False)
            else:
                reply = _run_in_thread(fn, args, timeout, memory_mb)
        try:
            conn.send(reply)
        except Exception as exc:  # noqa: BLE001 - unpicklable or huge value
            error = "result not sendable: " + _describe(exc, memory_mb)
            conn.send((False, None, error, False, _traceback_text(exc), False))


# --------------------------------------------------------------------------- parent side


_LIVE: set[_Worker] = set()  # every pool's workers: their pipe ends leak into later forks


class _Worker:
    def __init__(self, ctx: Any, memory_mb: int, initializer: Any):
        self.conn, child_conn = ctx.Pipe()
        fork = ctx.get_start_method() == "fork"
        close_fds = [w.conn.fileno() for w in _LIVE] + [self.conn.fileno()] if fork else []
        self.proc = ctx.Process(
            target=_worker_main,
            args=(child_conn, os.getpid(), close_fds, memory_mb, initializer),
            daemon=True,
            name="derive-worker",
        )
        self.proc.start()
        child_conn.close()
        _LIVE.add(self)
        self.pid: int = self.proc.pid  # type: ignore[assignment]
        try:
            os.setpgid(self.pid, self.pid)  # also here: no race with an early kill
        except OSError:
            pass

    def wait_ready(self) -> None:
        ready = self.conn.poll(STARTUP_TIMEOUT)
        try:
            ready = ready and self.conn.recv() == "ready"
        except (EOFError, OSError):
            ready = False
        if not ready:
            reason = self.death()
            raise RuntimeError(f"worker failed to start: {reason}")

    def death(self) -> str:
        self.proc.join(1.0)
        code = self.proc.exitcode
        if code is None:
            self.kill()
            return "worker died (unresponsive)"
        if code < 0:
            return f"worker died (signal {-code})"
        return f"worker died (exit code {code})"

    def kill(self) -> None:
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        if self.proc.exitcode is None:
            self.proc.kill()
        self.proc.join()  # reap: no zombies
        self.conn.close()
        _LIVE.discard(self)


def _kill_all(workers: list[_Worker]) -> None:
    for w in workers:
        try:
            w.conn.send(None)  # polite exit for idle workers
        except OSError:
            pass
    for w in workers:
        w.proc.join(0.2)
        w.kill()
    workers.clear()


class WorkerPool:
    """Run tasks in killable worker processes; see the module docstring."""

    def __init__(
        self,
        jobs: int = 1,
        timeout: float | None = 5.0,
        memory_mb: int = 4096,
        initializer: Callable[[], None] | None = None,
        *,
        grace: float = 1.0,
        inline: bool = False,
        start_method: str | None = None,
    ) -> None:
        self.jobs = max(jobs, 0)
        self.inline = inline or jobs == 0
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.initializer = initializer
        self.grace = grace
        self._workers: list[_Worker] = []
        self._closed = False
        if start_method is None:  # fork: SymPy is already imported, ~ms per worker
            start_method = "fork" if "fork" in mp.get_all_start_methods() else "spawn"
        self._ctx = mp.get_context(start_method)
        self._finalizer = weakref.finalize(self, _kill_all, self._workers)
        if self.inline and initializer is not None:
            initializer()

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop and reap every worker; idempotent."""
        self._closed = True
        self._finalizer()

    def run_one(self, fn: Callable[..., Any], *args: Any, timeout: float | None = None):
        return self.run(fn, [args], timeout=timeout)[0]

    def run(
        self,
        fn: Callable[..., Any],
        args_list: list[tuple],
        timeout: float | None = None,
        on_done: Callable[[int], None] | None = None,
    ) -> list[TaskResult]:
        """Run fn(*args) for each args tuple, up to `jobs` at once; results in input order.

        `on_done(count)` is called in the parent after each task finishes (progress)."""
        if self._closed:
            raise RuntimeError("WorkerPool is closed")
        timeout = self.timeout if timeout is None else timeout
        if self.inline:
            return [_run_inline(fn, args, timeout) for args in args_list]
        results: list[TaskResult | None] = [None] * len(args_list)
        pending = deque(enumerate(args_list))
        idle = list(self._workers)
        busy: dict[_Worker, tuple[int, float]] = {}  # worker -> (task index, start)
        cpu_at_start: dict[_Worker, float | None] = {}
        limit = math.inf if timeout is None else timeout + self.grace  # CPU seconds
        backstop = math.inf if timeout is None else timeout * WALL_FACTOR + self.grace
        try:
            while pending or busy:
                while pending and len(busy) < self.jobs:
                    i, args = pending.popleft()
                    try:
                        payload = ForkingPickler.dumps((fn, args, timeout))
                    except Exception as exc:  # noqa: BLE001 - unpicklable fn or args
                        results[i] = TaskResult(False, error=_describe(exc, None))
                        continue
                    w = self._send(idle, payload)
                    busy[w] = (i, time.monotonic())
                    cpu_at_start[w] = _process_cpu(w.pid)
                wait_for = self._hard_wait(busy, cpu_at_start, limit, backstop)
                ready = wait([w.conn for w in busy], None if math.isinf(wait_for) else wait_for)
                now = time.monotonic()
                for w, (i, start) in list(busy.items()):
                    if w.conn in ready:
                        try:
                            ok, value, error, timed_out, trace, oom = w.conn.recv()
                        except (EOFError, OSError):
                            ok, value, error, timed_out, trace, oom = (
                                False, None, w.death(), False, "", False
                            )
                            self._discard(w)
                        except Exception as exc:  # noqa: BLE001 - result not loadable here
                            ok, value, timed_out, oom = False, None, False, False
                            error = "result not loadable: " + _describe(exc, None)
                            trace = _traceback_text(exc)
                            idle.append(w)
                        else:
                            idle.append(w)
                        results[i] = TaskResult(
                            ok, value, error, now - start, timed_out, trace, oom
                        )
                    elif self._over(w, start, now, cpu_at_start, limit, backstop):
                        # hard bound: kill and replace lazily
                        self._discard(w)
                        results[i] = TaskResult(
                            False, None, f"timed out after {timeout} s", now - start, True
                        )
                    else:
                        continue
                    del busy[w]
                    if on_done is not None:
                        on_done(sum(r is not None for r in results))
        except BaseException:
            for w in busy:  # their results would arrive stale in the next run
                self._discard(w)
            raise
        return results  # type: ignore[return-value]

    @staticmethod
    def _spent(w: _Worker, start: float, now: float, cpu_at_start: dict) -> float:
        """CPU seconds the worker has spent on its task (wall seconds where /proc
        cannot tell)."""
        before = cpu_at_start.get(w)
        cpu = _process_cpu(w.pid) if before is not None else None
        return now - start if cpu is None or before is None else cpu - before

    def _over(self, w, start, now, cpu_at_start, limit, backstop) -> bool:
        return now - start >= backstop or self._spent(w, start, now, cpu_at_start) >= limit

    def _hard_wait(self, busy, cpu_at_start, limit, backstop) -> float:
        """Seconds until the first busy task could reach its hard bound."""
        if math.isinf(limit):
            return math.inf
        now = time.monotonic()
        waits = []
        for w, (_, start) in busy.items():
            cpu_left = limit - self._spent(w, start, now, cpu_at_start)
            wall_left = backstop - (now - start)
            waits.append(min(wall_left, max(cpu_left, 0.0), POLL_SECONDS))
        return max(0.0, min(waits))

    def _send(self, idle: list[_Worker], payload: bytes) -> _Worker:
        """Send a task to an idle worker (starting one if needed); replace dead ones."""
        while True:
            if idle:
                w = idle.pop(0)
            else:
                w = _Worker(self._ctx, self.memory_mb, self.initializer)
                self._workers.append(w)  # before waiting: close() must see it
                try:
                    w.wait_ready()
                except BaseException:
                    self._discard(w)
                    raise
            try:
                w.conn.send_bytes(payload)
                return w
            except OSError:  # died while idle (e.g. its PDEATHSIG thread exited)
                self._discard(w)

    def _discard(self, w: _Worker) -> None:
        w.kill()
        if w in self._workers:
            self._workers.remove(w)


def _run_inline(fn: Callable[..., Any], args: tuple, timeout: float | None) -> TaskResult:
    """In-process run with only the soft timer (setitimer works in the main thread only)."""
    use_timer = (
        timeout is not None
        and hasattr(signal, "setitimer")
        and threading.current_thread() is threading.main_thread()
    )
    start = time.monotonic()
    if use_timer:

        def on_alarm(signum: int, frame: object) -> None:
            raise TaskTimeout

        previous = signal.signal(signal.SIGALRM, on_alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        try:
            ok, value, error, timed_out, trace, oom = _call(fn, args, timeout, None)
        except TaskTimeout:  # fired just after fn returned
            ok, value, error, timed_out, trace, oom = _timed_out(timeout)
    finally:
        if use_timer:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    return TaskResult(ok, value, error, time.monotonic() - start, timed_out, trace, oom)


def run_one(
    fn: Callable[..., Any],
    *args: Any,
    timeout: float | None = 5.0,
    memory_mb: int = 4096,
) -> TaskResult:
    """One task in a fresh one-worker pool (for ad-hoc use; pools amortise the fork)."""
    with WorkerPool(jobs=1, timeout=timeout, memory_mb=memory_mb) as pool:
        return pool.run_one(fn, *args)
