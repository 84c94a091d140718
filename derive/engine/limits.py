"""Time limits: a soft limit on one SymPy call, and a budget the tiers share out.

SymPy takes no timeouts, and one unlucky ``simplify`` can run for minutes.
``limited`` runs a call under a timer that raises an asynchronous exception in
the calling thread, so the call stops where it is and the tier gets None; a
``Clock`` is a deadline whose remaining time is divided between tiers.  The
worker process around the engine adds the hard limit.
"""

from __future__ import annotations

import ctypes
import functools
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

REFIRE_SECONDS = 0.05  # after a soft limit, how often it is raised again until it takes


class _OutOfTime(BaseException):
    """Raised asynchronously in the working thread at a soft limit (BaseException: SymPy's
    ``except Exception`` blocks must not swallow it)."""


class Clock:
    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds

    def left(self) -> float:
        return self.deadline - time.monotonic()

    def share(self, fraction: float) -> Clock:
        return Clock(max(self.left(), 0.0) * fraction)


def limited(fn: Callable[[], Any], seconds: float) -> Any:
    """fn() or None when it raised or ran longer than seconds."""
    if seconds <= 0:
        return None
    try:
        with _time_limit(seconds) as fired:
            return fn()
    except _OutOfTime:
        if not fired():  # an enclosing limited() call's limit: let it reach that call
            raise
        return None
    except Exception:  # noqa: BLE001 - SymPy raises anything (StopIteration, PolynomialError, ...)
        return None
    except RecursionError:
        return None


# Own prototypes (not argtypes on the shared ctypes.pythonapi attribute other modules use).
_set_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.py_object)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)
_clear_async_exc = ctypes.PYFUNCTYPE(ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p)(
    ("PyThreadState_SetAsyncExc", ctypes.pythonapi)
)


@contextmanager
def _time_limit(seconds: float) -> Iterator[Callable[[], bool]]:
    """Raise _OutOfTime in this thread after `seconds`; yields "has it fired?"."""
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}
    timers: list[threading.Timer] = []

    def arm(delay: float) -> None:
        timer = threading.Timer(delay, fire)
        timer.daemon = True
        timers.append(timer)
        timer.start()

    def fire() -> None:
        with lock:
            if state["done"]:
                return
            state["fired"] = True
            _set_async_exc(thread_id, _OutOfTime)
            # The exception can be swallowed: delivered inside a finalizer or a GC
            # callback (where Python only prints it), caught by a library's bare
            # except, or taken by a nested limited() as its own.  Raise it again
            # until this call has ended, or the soft limit would silently be gone.
            arm(REFIRE_SECONDS)

    previous_hook = sys.unraisablehook
    sys.unraisablehook = functools.partial(_quiet_when_swallowed, previous_hook)
    with lock:
        arm(seconds)
    try:
        yield lambda: state["fired"]
    finally:
        with lock:
            state["done"] = True
            if state["fired"]:  # fired but maybe not delivered yet: withdraw it
                _clear_async_exc(thread_id, None)
            for timer in timers:
                timer.cancel()
        sys.unraisablehook = previous_hook


def _quiet_when_swallowed(previous: Callable[[Any], None], unraisable: Any) -> None:
    """Python prints an exception it cannot raise (in a finalizer, a GC callback)
    as "Exception ignored in …".  For our own soft limit that is expected, and it
    is raised again; anything else is reported as before."""
    if unraisable.exc_type is _OutOfTime:
        return
    previous(unraisable)
