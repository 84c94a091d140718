"""Time limits: a soft limit on one SymPy call, and a budget the tiers share out.

SymPy takes no timeouts, and one unlucky ``simplify`` can run for minutes.
``limited`` runs a call under a timer that raises an asynchronous exception in
the calling thread, so the call stops where it is and the tier gets None; a
``Clock`` is a deadline whose remaining time is divided between tiers.  The
worker process around the engine adds the hard limit.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


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
        with _time_limit(seconds):
            return fn()
    except _OutOfTime:
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
def _time_limit(seconds: float) -> Iterator[None]:
    thread_id = threading.get_ident()
    lock = threading.Lock()
    state = {"done": False, "fired": False}

    def fire() -> None:
        with lock:
            if not state["done"]:
                state["fired"] = True
                _set_async_exc(thread_id, _OutOfTime)

    timer = threading.Timer(seconds, fire)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        with lock:
            state["done"] = True
            if state["fired"]:  # fired but maybe not delivered yet: withdraw it
                _clear_async_exc(thread_id, None)
        timer.cancel()
