"""The cache of generated derivatives, keyed by function identity.

In: a user function and what is asked of it (argnums, flavour, has_aux).
Out: the derivative built once per key. The key holds the function's code object, its
closure cells and its globals dict by identity, so a redefined function (new code object)
gets a new derivative while asking again for the same one costs a dictionary lookup.
A lock makes concurrent first requests build once.
"""

from __future__ import annotations

import threading

from .transform import build

_CACHE: dict = {}
_LOCK = threading.RLock()


def cached(fn, nums, single, flavor, has_aux, make, builder=None):
    code = getattr(fn, "__code__", None)
    cells = fn.__closure__ if code is not None else None
    key = (id(code), id(cells), id(getattr(fn, "__globals__", None)), id(fn), nums, single,
           flavor, has_aux)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] is code and hit[1] is fn:
        return hit[2]
    with _LOCK:
        hit = _CACHE.get(key)
        if hit is not None and hit[0] is code and hit[1] is fn:
            return hit[2]
        if code is None:
            from ..errors import SourceUnavailableError

            raise SourceUnavailableError(
                f"{fn!r} is not a Python function, so it has no source to transform; use "
                "mode='tape'")
        module, gen = (builder or build)(fn, nums, single, flavor, has_aux)
        result = make(module, gen)
        _CACHE[key] = (code, fn, result)
        return result


def clear() -> None:
    from . import _RECENT

    with _LOCK:
        _CACHE.clear()
        _RECENT.clear()
