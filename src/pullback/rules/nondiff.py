"""Functions without a derivative: comparisons, rounding, integer results, constructors, shapes.

In: nothing. Out: registered non-differentiable functions: their outputs are constants (their
derivative is zero wherever it exists), so every mode treats them as such instead of failing
for want of a rule.
"""

import builtins
import math
import operator

import numpy as np

from ..runtime import astype_integer
from ..runtime.adjoints import aux_pair
from .registry import defnondiff

# fmt: off
# comparisons and logic
defnondiff(
    operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
    operator.not_, operator.truth, operator.is_, operator.is_not, operator.contains,
    np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
    np.logical_and, np.logical_or, np.logical_not, np.logical_xor,
    np.isnan, np.isinf, np.isfinite, np.isclose, np.allclose, np.array_equal,
    np.all, np.any, math.isnan, math.isinf, math.isfinite, math.isclose,
    builtins.bool, builtins.isinstance, builtins.all, builtins.any, aux_pair,
)

# integer-valued results: rounding, signs, integer division, bit operations, positions
defnondiff(
    np.floor, np.ceil, np.trunc, np.round, np.around, np.rint, np.fix, np.signbit,
    np.heaviside, np.floor_divide, operator.floordiv, math.floor, math.ceil, math.trunc,
    builtins.round, builtins.int, builtins.divmod, np.divmod, astype_integer,
    operator.and_, operator.or_, operator.xor, operator.invert, operator.lshift, operator.rshift,
    operator.index,
    np.argmax, np.argmin, np.argsort, np.argwhere, np.nonzero, np.flatnonzero,
    np.searchsorted, np.digitize, np.count_nonzero,
)

# shapes and sizes
defnondiff(
    builtins.len, builtins.range, np.shape, np.ndim, np.size, np.broadcast_shapes,
    np.result_type,
)

# constructors of constant arrays (np.full, np.full_like, np.linspace and np.logspace carry
# the derivative of their values: rules/shapes.py)
defnondiff(
    np.zeros, np.ones, np.empty, np.zeros_like, np.ones_like, np.empty_like,
    np.eye, np.identity, np.arange, np.tri,
    np.indices,
)
# fmt: on
