"""What kind of callable a user asked a derivative of, refused before it runs if no mode can
differentiate it as given.

In: the callable passed to ``pb.grad`` (``vjp``, ``jvp``, ...) and the mode asked for.
Out: nothing for a plain function (or other callable); ``UnsupportedSyntaxError`` at the
``def`` for a coroutine or generator function, whose call returns an object, not a value;
``PullbackTypeError`` for a compiled Numba dispatcher outside numeric mode (its code is machine
code: nothing to read, and it cannot run on a tape's or a graph's tracers).
"""

from __future__ import annotations

import inspect
from typing import Any

from .errors import PullbackTypeError, UnsupportedSyntaxError

_KINDS = (
    (inspect.iscoroutinefunction, "an 'async def' function", "write a plain def"),
    (inspect.isasyncgenfunction, "an async generator", "return a list or an array"),
    (inspect.isgeneratorfunction, "a generator function (yield)", "return a list or an array"),
)


def check_kind(f: Any, who: str, mode: str | None = None) -> None:
    """Raise if ``f`` is a callable that ``who`` cannot differentiate in ``mode``."""
    for test, kind, hint in _KINDS:
        if test is inspect.isgeneratorfunction and mode in (None, "source"):
            continue  # source mode refuses the ``yield`` itself, at its line
        if test(f):
            code = getattr(inspect.unwrap(_function_of(f)), "__code__", None)
            name = getattr(f, "__qualname__", None) or getattr(f, "__name__", repr(f))
            raise UnsupportedSyntaxError(
                f"{name} is {kind}: calling it returns a {_returns(kind)}, not a value, so it "
                "cannot be differentiated",
                hint=hint,
                filename=getattr(code, "co_filename", None),
                lineno=getattr(code, "co_firstlineno", None),
            )
    py_func = numba_function(f)
    if py_func is not None and mode != "numeric":
        name = getattr(py_func, "__name__", "k")
        raise PullbackTypeError(
            f"{who} of {name}, a Numba-compiled function ({type(f).__name__}), is not "
            f"supported in mode={mode or 'source'!r}: its compiled code has no source to "
            f"transform and cannot run on traced values. Differentiate the Python function "
            f"it compiles instead: {who}({name}.py_func)"
        )


def numba_function(f: Any):
    """The Python function behind a Numba dispatcher (``@numba.njit``), else None."""
    if not type(f).__module__.startswith("numba"):
        return None
    return getattr(f, "py_func", None)


def _function_of(f):
    return getattr(f, "__func__", getattr(f, "func", f))


def _returns(kind: str) -> str:
    return "coroutine" if "async def" in kind else "generator"
