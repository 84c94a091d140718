"""Time limits: a soft limit on one SymPy call, and a budget the tiers share out.

SymPy takes no timeouts, and one unlucky ``simplify`` can run for minutes.
``limited`` runs a call under a deadline; when it passes, an asynchronous
exception is raised in the calling thread, so the call stops where it is and
the tier gets None.  A ``Clock`` is a deadline whose remaining time is divided
between tiers.  The worker process around the engine adds the hard limit.

Both count the *CPU time of the calling thread*, not the wall clock: a verdict
must not depend on how busy the machine is (issue 13).  A neighbour burning
CPU slows the wall clock of a step, not the work it may do; the same step
gets the same work on an idle machine, beside a busy one, with any --jobs.
A call that waits without computing uses no CPU time, so a wall-clock cap of
WALL_FACTOR times the budget stays as a backstop (reached only under heavy
load, or by a call that blocks).

Asynchronous exceptions are blunt: one can land anywhere in the calling thread,
the threading module's own locks included (a lock left held there stops every
later thread from starting: seen as a deadlock in the suite).  So the calling
thread never starts a thread or takes a lock here.  One watchdog thread per
process waits for every deadline, requests reach it through a SimpleQueue
(implemented in C), and a limit only fires while its call is running.
"""

from __future__ import annotations

import ctypes
import functools
import heapq
import itertools
import os
import queue
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

REFIRE_SECONDS = 0.05  # after a soft limit, how often it is raised again until it takes
MAX_FIRES = 20  # then the worker's hard bound is left to end the call
# a budget of s CPU seconds also ends after WALL_FACTOR * s wall seconds (the workers' too)
from ..worker import WALL_FACTOR  # noqa: E402


class _OutOfTime(BaseException):
    """Raised asynchronously in the working thread at a soft limit (BaseException: SymPy's
    ``except Exception`` blocks must not swallow it)."""


def _thread_clock() -> Callable[[], float] | None:
    """The calling thread's CPU clock, readable from another thread; None where
    the platform has no per-thread clock (then limits fall back to wall time)."""
    try:
        clock_id = time.pthread_getcpuclockid(threading.get_ident())
        time.clock_gettime(clock_id)
    except (AttributeError, OSError):
        return None
    return functools.partial(time.clock_gettime, clock_id)


class Clock:
    """A budget of CPU seconds of the calling thread (see the module docstring)."""

    def __init__(self, seconds: float):
        self.deadline = time.thread_time() + seconds
        self.wall_deadline = time.monotonic() + seconds * WALL_FACTOR

    def left(self) -> float:
        cpu = self.deadline - time.thread_time()
        wall = (self.wall_deadline - time.monotonic()) / WALL_FACTOR
        return min(cpu, wall)

    def share(self, fraction: float) -> Clock:
        return Clock(max(self.left(), 0.0) * fraction)


def limited(fn: Callable[[], Any], seconds: float) -> Any:
    """fn() or None when it raised or ran longer than seconds."""
    if seconds <= 0:
        return None
    limit = _Limit(seconds)
    try:
        try:
            limit.start()
            return fn()
        finally:
            # An asynchronous exception can cut stop() short, even at its first
            # line; a limit left running would go on firing into later code.  So
            # stop() is idempotent and retried until it has run to the end.
            while True:
                try:
                    limit.stop()
                    break
                except _OutOfTime:
                    pass
    except _OutOfTime:
        if not limit.fired or limit.enclosing_fired():
            raise  # (also) an enclosing limited() call's limit: let it reach that call
        return None
    except Exception:  # noqa: BLE001 - SymPy raises anything (StopIteration, PolynomialError, ...)
        return None


# Own prototypes (not argtypes on the shared ctypes.pythonapi attribute other modules use).
_set_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)


class _Limit:
    """One soft limit on the calling thread, started and stopped by ``limited``.

    The calling thread only stores attributes and puts the limit on the
    watchdog's queue; ``firing`` is a handshake with the watchdog (instead of a
    lock) so that no exception is raised after ``stop`` has cleared it."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds  # the earliest the CPU budget can be spent
        self.wall_deadline = time.monotonic() + seconds * WALL_FACTOR
        self.cpu = _thread_clock()  # read by the watchdog: this thread's CPU clock
        self.cpu_start = self.cpu() if self.cpu is not None else 0.0
        self.thread = threading.current_thread()
        self.thread_id = threading.get_ident()
        self.running = False  # started and not yet stopped: only then does it fire
        self.done = False
        self.firing = False  # the watchdog is between its check and its raise
        self.fired = False
        self.fires = 0
        self.outer: _Limit | None = None  # the limit of the limited() call around this one
        self.previous_hook: Callable[[Any], None] | None = None

    def start(self) -> None:
        self.previous_hook = sys.unraisablehook
        sys.unraisablehook = functools.partial(_quiet_when_swallowed, self.previous_hook)
        self.outer = getattr(_innermost, "limit", None)
        _innermost.limit = self
        self.running = True
        _watchdog().watch(self)

    def stop(self) -> None:
        """Idempotent, and safe on a limit whose start() was cut short."""
        self.done = True  # from here on the watchdog leaves this limit alone
        while self.firing:
            time.sleep(0)
        if self.fired:  # fired but maybe not delivered yet: withdraw it
            _clear_async_exc(self.thread_id, None)
        if getattr(_innermost, "limit", None) is self:
            _innermost.limit = self.outer
        if self.previous_hook is not None:
            sys.unraisablehook = self.previous_hook
            self.previous_hook = None

    def wait_left(self, now: float) -> float:
        """Wall seconds before this limit can be due (0: due now).  The thread's CPU
        clock runs no faster than the wall clock, so waiting that long is safe."""
        if self.done:
            return 0.0
        wall = self.wall_deadline - now
        if self.cpu is None:
            return max(0.0, min(self.deadline - now, wall))
        try:
            cpu = self.seconds - (self.cpu() - self.cpu_start)
        except OSError:  # the thread has ended
            return 0.0
        return max(0.0, min(cpu, wall))

    def enclosing_fired(self) -> bool:
        """Has a limit around this one fired?  Then the exception this limit caught
        may be that one's, and is passed on (that limit takes it)."""
        outer = self.outer
        while outer is not None:
            if outer.fired and not outer.done:
                return True
            outer = outer.outer
        return False

    def fire(self) -> bool:
        """Raise the limit in its thread (from the watchdog); True to try again later.

        The exception can be swallowed: delivered inside a finalizer or a GC
        callback (where Python only prints it), caught by a library's bare
        except, or taken by a nested limited() as its own (which passes it on).
        So it is raised again until the call has ended, at most MAX_FIRES times."""
        self.firing = True
        try:
            if self.done or not self.running or self.fires >= MAX_FIRES:
                return False
            if not self.thread.is_alive():
                return False
            self.fired = True
            self.fires += 1
            _set_async_exc(self.thread_id, _OutOfTime)
            return True
        finally:
            self.firing = False


def _quiet_when_swallowed(previous: Callable[[Any], None], unraisable: Any) -> None:
    """Python prints an exception it cannot raise (in a finalizer, a GC callback)
    as "Exception ignored in …".  For our own soft limit that is expected, and it
    is raised again; anything else is reported as before."""
    if unraisable.exc_type is _OutOfTime:
        return
    previous(unraisable)


class _Watchdog:
    """The one thread of a process that waits for every soft limit's deadline."""

    def __init__(self) -> None:
        self.requests: queue.SimpleQueue[_Limit] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._run, name="derive-soft-limits", daemon=True)
        self.thread.start()

    def watch(self, limit: _Limit) -> None:
        self.requests.put(limit)

    def _run(self) -> None:
        pending: list[tuple[float, int, _Limit]] = []  # a heap by deadline
        order = itertools.count()
        while True:
            wait = max(0.0, pending[0][0] - time.monotonic()) if pending else None
            try:
                limit = self.requests.get(timeout=wait)
            except queue.Empty:
                pass
            else:
                heapq.heappush(pending, (limit.deadline, next(order), limit))
            now = time.monotonic()
            while pending and pending[0][0] <= now:
                _, _, limit = heapq.heappop(pending)
                wait = 0.0 if limit.fired else limit.wait_left(now)
                if wait > 0:  # the thread has not spent its CPU budget yet
                    heapq.heappush(pending, (now + wait, next(order), limit))
                elif limit.fire():
                    heapq.heappush(pending, (now + REFIRE_SECONDS, next(order), limit))


_the_watchdog: _Watchdog | None = None
_innermost = threading.local()  # .limit: the innermost running limit of this thread


def _watchdog() -> _Watchdog:
    global _the_watchdog
    if _the_watchdog is None:
        _the_watchdog = _Watchdog()
    return _the_watchdog


def _forget_the_watchdog() -> None:
    # a forked child has no threads but the forking one: it starts its own
    # watchdog, and no limit of the parent's is running in it
    global _the_watchdog
    _the_watchdog = None
    _innermost.limit = None


os.register_at_fork(after_in_child=_forget_the_watchdog)
