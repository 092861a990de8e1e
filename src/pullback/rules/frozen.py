"""Frozen distributions of ``scipy.stats`` taken apart: ``norm(0.3, scale=2.0)`` is the
instance ``scipy.stats.norm`` with the parameters ``(0.3,)`` and ``{"scale": 2.0}``.

In: any value (a global or captured value of a differentiated function, say).
Out: ``frozen_parts(value)``: ``(distribution, args, kwargs)`` such that
``distribution.logpdf(x, *args, **kwargs)`` is ``value.logpdf(x)``, with ``distribution`` the
very instance ``scipy.stats`` holds (whose methods have rules); None for any other value.

A univariate frozen object keeps its parameters as ``args`` and ``kwds``, and a fresh copy of the
distribution (found again by its name). A multivariate one keeps a copy of its distribution and
each parameter as an attribute of its own name (``mean``, ``cov``; ``alpha``): they are read by
the names of the parameters of the distribution's density.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any

from .registry import distribution_name

__all__ = ["frozen_parts"]


def frozen_parts(value: Any) -> tuple[Any, tuple, dict] | None:
    """``(distribution, args, kwargs)`` of a frozen distribution; None for any other value."""
    stats = sys.modules.get("scipy.stats")
    kind = type(value)
    if stats is None or not (kind.__module__ or "").startswith("scipy.stats"):
        return None
    if not kind.__name__.endswith("_frozen"):
        return None
    try:
        copy = getattr(value, "dist", None)
        args = getattr(value, "args", None)
        if copy is not None and isinstance(args, tuple):  # rv_frozen
            public = getattr(stats, getattr(copy, "name", ""), None)
            if type(public) is not type(copy) or distribution_name(public) is None:
                return None
            return public, args, dict(value.kwds)
        copy = getattr(value, "_dist", None)  # multi_rv_frozen
        public = next((m for m in vars(stats).values() if type(m) is type(copy)), None)
        if copy is None or public is None or distribution_name(public) is None:
            return None
        density = getattr(public, "logpdf", None) or getattr(public, "logpmf", None)
        names = list(inspect.signature(density).parameters)[1:]
        return public, (), {n: getattr(value, n) for n in names if hasattr(value, n)}
    except Exception:  # noqa: BLE001 - an object whose attributes raise: not taken apart
        return None
