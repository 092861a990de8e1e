"""Structured values in generated code: their entries by key, and a value rebuilt from entries.

In: tuples, lists, dicts, namedtuples (NumPy's ``SlogdetResult`` and ``EighResult`` among
them) and dataclass instances, whose entries may be ``None`` (a symbolic zero).
Out: ``entries(x)`` -> ``[(key, value)]`` (None for a value that is no container),
``rebuild(x, values)`` -> a value of ``x``'s type holding ``values``, and the adjoint and
tangent of an attribute read ``y = x.name``.

Adjoints and tangents hold ``None`` where they are zero, which a user's ``__init__``,
``__post_init__`` or a namedtuple's own ``__new__`` may refuse; so ``rebuild`` fills the fields
without calling them. The value a user sees is built through the constructor, by
``pullback.pytree``.

>>> from collections import namedtuple
>>> Pair = namedtuple("Pair", "w b")
>>> getattr_adjoint(2.0, Pair(1.0, 3.0), "b")
Pair(w=None, b=2.0)
"""

from __future__ import annotations

import dataclasses

__all__ = ["entries", "rebuild", "getattr_adjoint", "getattr_tangent"]


def _is_dataclass_value(x) -> bool:
    return dataclasses.is_dataclass(x) and not isinstance(x, type)


def entries(x):
    """``[(key, value)]`` of a container ``x`` (keys: positions, dict keys or field names);
    None for a value that is no container."""
    if isinstance(x, (tuple, list)):
        return list(enumerate(x))
    if isinstance(x, dict):
        return list(x.items())
    if _is_dataclass_value(x):
        return [(f.name, getattr(x, f.name)) for f in dataclasses.fields(x)]
    return None


def rebuild(x, values):
    """A value of ``x``'s type holding ``values`` (in ``entries(x)`` order), built without
    calling the type's constructor checks."""
    values = list(values)
    if isinstance(x, tuple) and hasattr(type(x), "_make"):  # a namedtuple
        return type(x)._make(values)
    if type(x) in (tuple, list):
        return type(x)(values)
    if isinstance(x, (tuple, list)):  # a subclass: its constructor takes an iterable
        return type(x)(values)
    if isinstance(x, dict):
        return dict(zip(x.keys(), values, strict=True))
    if _is_dataclass_value(x):
        out = object.__new__(type(x))
        for f, v in zip(dataclasses.fields(x), values, strict=True):
            object.__setattr__(out, f.name, v)
        return out
    raise TypeError(f"cannot rebuild a {type(x).__name__}")


def entry(x, key):
    """Entry ``key`` of the structured adjoint or tangent ``x`` (None where it has none):
    by field name for a namedtuple or dataclass, by key for a dict, by position otherwise."""
    if x is None:
        return None
    if isinstance(x, dict):
        return x.get(key)
    if isinstance(key, str):
        return getattr(x, key, None)
    try:
        return x[key]
    except (IndexError, KeyError, TypeError):
        return None


def getattr_adjoint(g, x, name):
    """The adjoint of ``x`` in ``y = x.name``: ``x``'s structure, ``g`` at field ``name`` and
    None (zero) elsewhere."""
    if g is None:
        return None
    keys = _field_names(x)
    if name not in keys:
        from ..errors import PullbackTypeError

        raise PullbackTypeError(
            f"cannot differentiate through .{name} of a {type(x).__name__}: only fields of "
            "dataclasses and namedtuples carry derivatives (not properties or other "
            f"attributes); read the field it is computed from, or compute .{name} in the "
            "function itself"
        )
    return rebuild(x, [g if key == name else None for key in keys])


def _field_names(x) -> list:
    if isinstance(x, tuple) and hasattr(type(x), "_fields"):
        return list(type(x)._fields)
    return [key for key, _ in entries(x) or ()]


def getattr_tangent(t, x, name):
    """The tangent of ``y = x.name`` from the tangent ``t`` of ``x``: its field ``name``, also
    where ``t`` is a plain tuple or list standing for the namedtuple ``x`` (a rule's tangent)."""
    if t is None:
        return None
    if isinstance(t, (tuple, list)) and not hasattr(t, name):  # entries by position
        return t[_field_names(x).index(name)]
    return entry(t, name)
