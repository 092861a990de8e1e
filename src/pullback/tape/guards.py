"""Guards: what a replayed graph checks where the traced call took a Python value out of a
traced value (``bool(t)``, ``int(t)``, ``a[t]`` ...).

In: the value a guard node's input has on replay, and the Python value it had when traced
(recorded by ``ReverseTrace.guard`` in ``trace.py``).
Out: None where the two agree, else ``PathChangedError``: the replayed inputs take another path
through control flow. ``GUARDS`` maps each kind of conversion to its check; the checks carry
no derivative (``calls._NONDIFF_OPERATORS``) and symbolic mode reads them as conditions.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import PathChangedError
from .traced import _plain

__all__ = ["GUARDS"]


def _check_guard(converted, expected, what):
    if converted != expected and not (converted != converted and expected != expected):
        raise PathChangedError(
            f"the replayed inputs take another path through control flow: {what}() of a traced "
            f"value was {expected!r} when the graph was traced and is {converted!r} now; trace "
            "the function again for these inputs, or use pb.cond / pb.while_loop"
        )
    return None


def _guard_bool(value, expected):
    return _check_guard(bool(value), expected, "bool")


def _guard_int(value, expected):
    return _check_guard(int(value), expected, "int")


def _guard_index(value, expected):
    return _check_guard(operator.index(value), expected, "index")


def _guard_float(value, expected):
    return _check_guard(float(value), expected, "float")


def _guard_array(value, expected):
    """An array taken out of a graph (``plain[i]`` indexes with ``np.asarray(i)``)."""
    value = _plain(value)
    if np.shape(value) != np.shape(expected) or not np.array_equal(value, expected, equal_nan=True):
        raise PathChangedError(
            "the replayed inputs give other values where the traced call took a traced value "
            f"out of the graph (an index into a plain array, .item(), .tolist()): {expected!r:.60} "
            f"when traced, {value!r:.60} now; trace the function again for these inputs"
        )
    return None


def _guard_round(value, expected):
    return _check_guard(round(value), expected, "round")


GUARDS = {
    "bool": _guard_bool,
    "int": _guard_int,
    "index": _guard_index,
    "float": _guard_float,
    "round": _guard_round,
    "array": _guard_array,
}
