"""The cache of generated derivatives, keyed by function identity.

In: a user function and what is asked of it (argnums, flavour, has_aux).
Out: the derivative built once per key. The key holds the function's code object, its
closure cells and its globals dict by identity, so a redefined function (new code object)
gets a new derivative while asking again for the same one costs a dictionary lookup.
A lock makes concurrent first requests build once.

User data (arrays, numbers, lists in globals or closures) is read by the generated code when it
runs. User functions and classes are bound when the derivative is generated, so each derivative
carries *guards* (``GeneratedModule.guards``): where each such name lives and what it held. A
derivative whose guards fail (a helper was redefined) is rebuilt, both when it is asked for
again and, for ``grad``/``value_and_grad``, when the function a user kept is called.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .pipeline import build

_CACHE: dict = {}
_LOCK = threading.RLock()


def cached(fn, nums, single, flavor, has_aux, make, builder=None, owner=None, fixed=None):
    """``make(module, generated)`` for ``fn``, built once per key. ``owner`` is the class whose
    methods ``self.m(...)`` calls in ``fn`` resolve to (a bound method's receiver's class);
    ``fixed``: parameters of ``fn`` holding the functions given (see ``specialize``)."""
    code = getattr(fn, "__code__", None)
    cells = fn.__closure__ if code is not None else None
    key = (
        id(code),
        id(cells),
        id(getattr(fn, "__globals__", None)),
        id(fn),
        nums,
        single,
        flavor,
        has_aux,
        owner,
        tuple((p, id(f)) for p, f in sorted(fixed.items())) if fixed else None,
    )
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is code and hit[1] is fn and not stale(hit[3]):
        return hit[2]
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is code and hit[1] is fn and not stale(hit[3]):
            return hit[2]
        if code is None:
            from ..errors import SourceUnavailableError

            raise SourceUnavailableError(
                f"{fn!r} is not a Python function, so it has no source to transform; use "
                "mode='tape'"
            )
        extra = {"owner": owner} if owner is not None else {}
        if fixed:
            extra["fixed"] = fixed
        module, gen = (builder or build)(fn, nums, single, flavor, has_aux, **extra)
        result = make(module, gen)
        guards = getattr(module, "guards", ())
        if guards and callable(result):
            result = _revalidating(
                result,
                guards,
                lambda: cached(fn, nums, single, flavor, has_aux, make, builder, owner, fixed),
            )
        _CACHE[key] = (code, fn, result, guards, fixed)  # fixed: its functions stay alive
        return result


_GONE = object()


def stale(guards) -> bool:
    """Whether a user name bound at transform time now holds something else."""
    for holder, key, obj in guards:
        if key is None:  # a closure cell
            try:
                current = holder.cell_contents
            except ValueError:
                return True
        else:
            current = holder.get(key, _GONE)
        if current is not obj:
            return True
    return False


def _revalidating(entry, guards, rebuild):
    """``entry``, rebuilt (once per change) when a function or class it was built with is
    rebound: the derivative a user holds keeps following the function."""
    current = [entry, guards]

    def derivative(*args, **kwargs):
        if stale(current[1]):
            fresh = rebuild()
            current[0] = fresh.__pullback_entry__
            current[1] = fresh.__pullback_guards__
            derivative.__dict__.update(current[0].__dict__)
        return current[0](*args, **kwargs)

    derivative.__name__ = entry.__name__
    derivative.__qualname__ = entry.__qualname__
    derivative.__doc__ = entry.__doc__
    derivative.__dict__.update(entry.__dict__)
    derivative.__pullback_entry__ = entry
    derivative.__pullback_guards__ = guards
    return derivative


_ON_CLEAR: list = []  # what else holds generated functions, emptied along with the cache


def on_clear(empty: Callable[[], None]) -> None:
    """Call ``empty()`` whenever the cache is cleared: a holder of generated functions (the
    entry points' memo of recent derivatives, ``pb.jvp``'s fast callers) registers itself, so
    that the cache needs to know none of them."""
    _ON_CLEAR.append(empty)


def clear() -> None:
    with _LOCK:
        _CACHE.clear()
        for empty in _ON_CLEAR:
            empty()
