"""Errors raised inside generated code point back at the user's lines.

In: an exception that passed through generated derivative code, and the ``GeneratedModule``s
registered by ``codegen`` (by their linecache filename).
Out: the same exception with a note (``BaseException.add_note``, Python 3.11+) for each
generated frame in its traceback, naming the generated line and the user's file, line and text
it comes from. Python 3.10 has no notes; there the traceback alone shows the generated lines.

    numpy.linalg.LinAlgError: Singular matrix
    in the forward sweep of the derivative grad_bad, generated line 5 comes from model.py:18:
        z = np.linalg.inv(np.outer(y, y))
"""

from __future__ import annotations

import threading
import warnings
import weakref
from typing import NoReturn

import numpy as np

_MODULES: dict[str, weakref.ref] = {}
_LOCK = threading.Lock()


def register(module) -> None:
    """Remember a generated module so its frames can be mapped back (held weakly)."""
    with _LOCK:
        try:
            _MODULES[module.filename] = weakref.ref(module)
        except TypeError:  # not weak-referenceable: keep it
            _MODULES[module.filename] = lambda module=module: module


def annotate(error: BaseException) -> None:
    """Add a note to ``error`` for every generated frame of its traceback (once)."""
    if not hasattr(error, "add_note") or getattr(error, "_pullback_annotated", False):
        return
    try:
        error._pullback_annotated = True
    except AttributeError:
        return
    tb = error.__traceback__
    while tb is not None:
        code = tb.tb_frame.f_code
        ref = _MODULES.get(code.co_filename)
        module = ref() if ref is not None else None
        if module is not None:
            note = _note(module, code.co_name, tb.tb_lineno)
            if note:
                error.add_note(note)
        tb = tb.tb_next


def raise_users_exception(error: BaseException, f, args: tuple, kwargs=None) -> NoReturn:
    """Raise, for ``error`` raised by a derivative of ``f`` at ``args``, what the user should
    see (``users_exception``); called in the ``except`` clause that caught ``error``."""
    raise users_exception(error, f, args, kwargs)


def users_exception(error: BaseException, f, args: tuple, kwargs=None) -> BaseException:
    """What to raise for ``error``, raised by a derivative of ``f`` at ``args``: where the
    plain call ``f(*args)`` raises too, the user's own exception (its type, its message, a
    traceback at the user's line), not what the generated code met first (``None + 1.0``
    for an unbound local, a tangent's matmul ahead of the primal's); else ``error`` (also
    where the two are the same error: ``error``'s notes point at the user's line). The plain
    call runs on copies of array arguments, and only on this error path."""
    from ...errors import PullbackError

    if isinstance(error, PullbackError) or not isinstance(error, Exception):
        return error
    given = tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            f(*given, **(kwargs or {}))
    except Exception as own:
        if type(own) is type(error) and str(own) == str(error):
            return error  # the same error: its notes already point at the user's line
        own.__suppress_context__ = True
        return own
    return error


def module_of(filename: str):
    """The live generated module compiled under ``filename``, else None."""
    ref = _MODULES.get(filename)
    return ref() if ref is not None else None


def user_place(filename: str, lineno: int) -> tuple[str, int] | None:
    """The user's (file, line) that line ``lineno`` of generated ``filename`` comes from."""
    module = module_of(filename)
    return origin_of(module, lineno) if module is not None else None


def origin_of(module, lineno: int) -> tuple[str, int] | None:
    """The user's (file, line) of generated line ``lineno``, or of the nearest line above it
    that has one."""
    origin = module.origin(lineno)
    if origin is None:  # an adjoint line: its "# grad of:" comment says where it comes from
        for earlier in range(lineno - 1, 0, -1):
            origin = module.origin(earlier)
            if origin is not None:
                break
    return origin


def describe(filename: str, lineno: int) -> str | None:
    """``in the <sweep> sweep of the derivative <name>, generated line N comes from
    file:line:`` and the user's text, for line ``lineno`` of generated ``filename``; else None."""
    module = module_of(filename)
    return _note(module, None, lineno) if module is not None else None


def _note(module, function: str | None, lineno: int) -> str | None:
    from ..common.sourcemap import entry_at

    entry = entry_at(module, lineno)
    if entry is None:
        return None
    function = entry.function or function
    note = (
        f"in the {entry.sweep} sweep of the derivative {function}, generated line {lineno} "
        f"comes from {entry.filename}:{entry.lineno}"
    )
    return f"{note}:\n    {entry.text}" if entry.text else note
