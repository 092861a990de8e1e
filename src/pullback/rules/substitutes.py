"""Functions computed by others that the rule table differentiates.

In: registrations: ``defvariadic(np.meshgrid, meshgrid_of)`` (``fn(*xs, **kw)`` computed as
``meshgrid_of(xs, **kw)``, a function of one tuple) and ``defreplaced(name, replacement)``
(``fn(...)`` computed as ``replacement(...)`` with the same arguments: ``solve_ivp``, whose
result is an object, by a function returning a named tuple).
Out: ``variadic(fn) -> (what computes fn, whether it packs the arguments) | None``, which
tape and graph modes (``tape.traced.bind``) and source mode (``frontend.anf_calls``) consult
before a call, and the names registered, for ``pb.supported_functions()``.
"""

from __future__ import annotations

import types
from collections.abc import Callable
from typing import Any

from .registry import qualified_name

_BY_NAME: dict = {}  # qualified name -> (what computes it, whether it packs the arguments)
_SEEN: dict = {}  # id of a function asked about -> (the function, the answer)


def defvariadic(fn: Any, packed: Callable) -> None:
    """``fn(*xs, **kw)``, which takes any number of arrays (``np.meshgrid``), is computed as
    ``packed(xs, **kw)``, a function of one tuple that has the rule; every mode calls it so."""
    _BY_NAME[qualified_name(fn)] = (packed, True)
    _SEEN.clear()


def defreplaced(fn: Any, replacement: Callable) -> None:
    """``fn(...)`` (a function, or its qualified name, for a library imported only by the
    user) is computed as ``replacement(...)``, with the same arguments, which has the rule."""
    _BY_NAME[qualified_name(fn)] = (replacement, False)
    _SEEN.clear()


def variadic(fn: Any) -> tuple[Callable, bool] | None:
    """What computes ``fn`` and whether it takes the arguments packed, or None."""
    seen = _SEEN.get(id(fn))
    if seen is not None and seen[0] is fn:
        return seen[1]
    answer = None
    if callable(fn) and not isinstance(fn, str):
        try:
            answer = _BY_NAME.get(qualified_name(fn))
        except Exception:  # an object whose name cannot be read is no such function
            answer = None
    if not isinstance(fn, types.MethodType):  # bound methods are made anew at each access
        _SEEN[id(fn)] = (fn, answer)
    return answer


def substituted_names() -> set[str]:
    return set(_BY_NAME)
