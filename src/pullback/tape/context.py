"""The state a primitive call runs under: which traces are running, and where the call came from.

In: a trace entering or leaving (``with tracing(trace):``), ``with no_grad():``, a trace asking
for a new level, a trace recording a node.
Out: the innermost trace on this thread (``current_trace``), whether derivatives are recorded
(``grad_enabled``), the next trace level (``_levels``), and the user's file and line of the
call being recorded (``_where``).

Tracing state is per thread (``threading.local``): two threads can trace at once.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading

import numpy as np

__all__ = ["tracing", "current_trace", "grad_enabled", "no_grad"]

_levels = itertools.count(1)  # next() is atomic: traces made later get higher levels
_thread = threading.local()

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_LIBRARY_DIRS = (_PACKAGE_DIR, _NUMPY_DIR)
# pullback modules that hold user-level code (the demo's example), not library machinery
_USER_LEVEL_FILES = frozenset({os.path.join(_PACKAGE_DIR, "demo.py")})


# -- per-thread state -------------------------------------------------------------------------


class tracing:
    """Context manager: ``trace`` is the innermost transformation running on this thread
    (array creation inside it, ``np.zeros(3)``, makes constant Tensors of it)."""

    def __init__(self, trace):
        self.trace = trace

    def __enter__(self):
        stack = getattr(_thread, "traces", None)
        if stack is None:
            stack = _thread.traces = []
        stack.append(self.trace)
        return self.trace

    def __exit__(self, *exc):
        _thread.traces.pop()
        return False


def current_trace():
    """The innermost trace made current with ``tracing`` on this thread, or None."""
    stack = getattr(_thread, "traces", None)
    return stack[-1] if stack else None


def grad_enabled() -> bool:
    return not getattr(_thread, "no_grad", 0)


class no_grad:
    """Context manager: operations inside record nothing (``with pb.no_grad(): w -= lr * g``).

    In-place updates of a leaf (``w -= ...``) change its value; other results are plain values.
    """

    def __enter__(self):
        _thread.no_grad = getattr(_thread, "no_grad", 0) + 1
        return self

    def __exit__(self, *exc):
        _thread.no_grad -= 1
        return False


# -- where a call came from -------------------------------------------------------------------


def _user_frame():
    """The innermost frame outside pullback and NumPy: the user's call site."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_LIBRARY_DIRS) or filename in _USER_LEVEL_FILES:
            break
        frame = frame.f_back
    return frame


def _where(trace) -> tuple[str | None, int | None]:
    if trace.location is not None:
        return trace.location
    frame = _user_frame()
    if frame is None:
        return None, None
    return frame.f_code.co_filename, frame.f_lineno
