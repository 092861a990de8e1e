"""What every trace reads off a primitive call: its name, the rule an operator takes, whether
it has no derivative, and the shape and dtype of a value.

In: the function of a primitive call (a ufunc, an operator, a NumPy or registered function)
and the values it takes or gives (numbers, arrays, traced values).
Out: ``_op_name`` (``numpy.sin``, a node's ``op``), ``_UFUNC_OF_OPERATOR`` (``operator.mul``
takes ``numpy.multiply``'s rule), ``_NONDIFF_OPERATORS`` (comparisons, logic, integer
division, guards: recorded without a derivative, never a missing rule), and ``_meta``
(shape, dtype name and kind) with ``_differentiable_kind`` (float or complex).
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..rules.registry import qualified_name
from .guards import GUARDS

# -- metadata of values -----------------------------------------------------------------------

_DTYPE_NAMES: dict = {}
_OP_NAMES: dict = {}


def _op_name(fn) -> str:
    name = _OP_NAMES.get(fn)
    if name is None:
        try:
            name = qualified_name(fn)
        except Exception:
            name = repr(fn)
        try:
            _OP_NAMES[fn] = name
        except TypeError:  # unhashable callables
            pass
    return name


def _meta(value) -> tuple[tuple, str, str]:
    """(shape, dtype name, dtype kind) of a value: a number, an array, or a traced value."""
    t = type(value)
    if t is float:
        return (), "float64", "f"
    if t is int:
        return (), "int64", "i"
    if t is bool:
        return (), "bool", "b"
    if t is complex:
        return (), "complex128", "c"
    dtype = getattr(value, "dtype", None)
    if dtype is None:
        return np.shape(value), type(value).__name__, "O"
    name = _DTYPE_NAMES.get(dtype)
    if name is None:
        name = _DTYPE_NAMES[dtype] = str(dtype)
    return value.shape, name, dtype.kind


def _differentiable_kind(kind: str) -> bool:
    return kind == "f" or kind == "c"


# -- operators --------------------------------------------------------------------------------

_UFUNC_OF_OPERATOR = {
    operator.add: np.add,
    operator.sub: np.subtract,
    operator.mul: np.multiply,
    operator.truediv: np.true_divide,
    operator.floordiv: np.floor_divide,
    operator.mod: np.remainder,
    operator.pow: np.power,
    operator.matmul: np.matmul,
    operator.neg: np.negative,
    operator.pos: np.positive,
    operator.abs: np.absolute,
    builtins.abs: np.absolute,
}
_NONDIFF_OPERATORS = {
    operator.lt,
    operator.le,
    operator.gt,
    operator.ge,
    operator.eq,
    operator.ne,
    operator.floordiv,
    operator.not_,
    operator.invert,
    operator.and_,
    operator.or_,
    operator.xor,
    np.less,
    np.less_equal,
    np.greater,
    np.greater_equal,
    np.equal,
    np.not_equal,
    np.floor_divide,
    *GUARDS.values(),  # a graph replayed on Duals or Tensors checks its path on their values
}
