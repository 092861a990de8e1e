"""The spec table of the rule test: one or more entries for every registered rule.

An entry names a primitive (a function, a SciPy name, or an ndarray method), the arguments to
call it with (samplers drawing random inputs inside the function's domain, or constants) and
keyword arguments. ``tests/test_rules.py`` checks every entry's JVP against finite differences
and its VJP against its JVP, and fails when a registered name has no entry here.
"""

from __future__ import annotations

import builtins
import collections
import math
import operator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pullback import runtime
from pullback.runtime import ode_ivp

# -- samplers: callables rng -> value ------------------------------------------------------------


@dataclass(frozen=True)
class R:
    """A float array of ``shape``, uniform in [low, high] (a nonzero magnitude when signed)."""

    shape: tuple = ()
    low: float = -2.0
    high: float = 2.0
    signed: bool = False  # magnitude in [low, high], random sign: away from zero

    def __call__(self, rng):
        x = rng.uniform(self.low, self.high, self.shape)
        if self.signed:
            x = x * rng.choice([-1.0, 1.0], self.shape)
        return np.asarray(x)

    def __repr__(self):
        return f"R{self.shape}"


def r(*shape, low=-2.0, high=2.0):
    return R(shape, low, high)


def pos(*shape, low=0.5, high=2.0):
    return R(shape, low, high)


def nonzero(*shape):
    return R(shape, 0.5, 1.5, signed=True)


@dataclass(frozen=True)
class F:
    """A Python float, uniform in [low, high]."""

    low: float = -2.0
    high: float = 2.0

    def __call__(self, rng):
        return float(rng.uniform(self.low, self.high))

    def __repr__(self):
        return "F"


@dataclass(frozen=True)
class Distinct:
    """A float array with well separated entries (no ties for max, min, sort, inf-norms)."""

    shape: tuple = ()

    def __call__(self, rng):
        n = int(np.prod(self.shape))
        values = (rng.permutation(n) - n / 2) * 0.5 + rng.uniform(-0.1, 0.1, n)
        return values.reshape(self.shape)

    def __repr__(self):
        return f"Distinct{self.shape}"


def distinct(*shape):
    return Distinct(shape)


@dataclass(frozen=True)
class Wellcond:
    """Well-conditioned square matrices (for inv, det, solve); stacked when ``batch``."""

    n: int
    batch: tuple = ()

    def __call__(self, rng):
        return rng.normal(size=self.batch + (self.n, self.n)) + 3.0 * np.eye(self.n)

    def __repr__(self):
        return f"Wellcond{self.batch + (self.n, self.n)}"


@dataclass(frozen=True)
class SPD:
    """Symmetric positive definite matrices (for cholesky); stacked when ``batch``."""

    n: int
    batch: tuple = ()

    def __call__(self, rng):
        a = rng.normal(size=self.batch + (self.n, self.n))
        return a @ np.swapaxes(a, -1, -2) + self.n * np.eye(self.n)

    def __repr__(self):
        return f"SPD{self.batch + (self.n, self.n)}"


@dataclass(frozen=True)
class L:
    """A list (or tuple) of sampled values: a differentiable list argument."""

    items: tuple
    kind: type = list

    def __call__(self, rng):
        return self.kind(sample(item, rng) for item in self.items)

    def __repr__(self):
        return f"[{', '.join(map(repr, self.items))}]"


def lst(*items):
    return L(items)


@dataclass(frozen=True)
class C:
    """A complex array of ``shape``: real and imaginary parts uniform in [-2, 2]; with
    ``away`` its magnitude is at least 0.5 (for abs and angle, not differentiable at 0)."""

    shape: tuple = ()
    away: bool = False

    def __call__(self, rng):
        z = rng.uniform(-2.0, 2.0, self.shape) + 1j * rng.uniform(-2.0, 2.0, self.shape)
        if self.away:
            magnitude = np.abs(z)
            z = np.where(magnitude < 0.5, z / np.maximum(magnitude, 1e-3) * 0.5 + 0.5, z)
        return np.asarray(z)

    def __repr__(self):
        return f"C{self.shape}"


def c(*shape):
    return C(shape)


def cnz(*shape):
    return C(shape, away=True)


SAMPLERS = (R, F, Distinct, Wellcond, SPD, L, C)


def sample(value, rng):
    """Draw a sampler (inside a tuple too: odeint's ``args=``); return a constant unchanged."""
    if type(value) is tuple:
        return tuple(sample(v, rng) for v in value)
    return value(rng) if isinstance(value, SAMPLERS) else value


_Pair = collections.namedtuple("_Pair", "w b")
_PAIR = _Pair(np.zeros(2), np.zeros(3))  # a structure whose field is read: p.w


def _pair(items):
    return _Pair(*items)


# -- the table -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spec:
    """One check: ``fn(*args, **kwargs)`` with samplers drawn, or the method ``x.<method>``."""

    fn: Any  # a function, a "scipy.special.name" string, or None for a method
    args: tuple
    kwargs: dict = field(default_factory=dict)
    method: str | None = None
    rtol: float = 1e-5

    @property
    def name(self) -> str:
        from pullback.rules import qualified_name

        if self.method is not None:
            return f"numpy.ndarray.{self.method}"
        return qualified_name(self.fn)

    @property
    def id(self) -> str:
        args = ",".join(_short(a) for a in self.args)
        kwargs = ",".join(f"{k}={_short(v)}" for k, v in self.kwargs.items())
        return f"{self.name}({args}{',' if kwargs else ''}{kwargs})"


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array{value.shape}"
    text = repr(value)
    return text if len(text) < 24 else text[:21] + "..."


SPECS: list[Spec] = []


def spec(fns, *args, rtol=1e-5, keywords=None, **kwargs):
    """Entries for ``fns`` called with ``args`` and ``kwargs``; ``rtol`` is the check's own
    tolerance, ``keywords`` the function's keywords that clash with the names of ``spec``."""
    kwargs = {**kwargs, **(keywords or {})}
    for fn in fns if isinstance(fns, tuple) else (fns,):
        SPECS.append(Spec(fn, args, kwargs, rtol=rtol))


def method(name, *args, **kwargs):
    SPECS.append(Spec(None, args, kwargs, method=name))


# -- elementwise ---------------------------------------------------------------------------------

ANY = r(3, 4)
# fmt: off
UNARY = [
    (np.sin, ANY), (np.cos, ANY), (np.tan, r(3, 4, low=-1.2, high=1.2)),
    (np.arcsin, r(3, 4, low=-0.9, high=0.9)), (np.arccos, r(3, 4, low=-0.9, high=0.9)),
    (np.arctan, ANY), (np.sinh, ANY), (np.cosh, ANY), (np.tanh, ANY), (np.arcsinh, ANY),
    (np.arccosh, r(3, 4, low=1.2, high=3.0)), (np.arctanh, r(3, 4, low=-0.9, high=0.9)),
    (np.exp, ANY), (np.expm1, ANY), (np.exp2, ANY), (np.log, pos(3, 4)),
    (np.log1p, r(3, 4, low=-0.5, high=2.0)), (np.log2, pos(3, 4)), (np.log10, pos(3, 4)),
    (np.sqrt, pos(3, 4)), (np.cbrt, nonzero(3, 4)), (np.square, ANY),
    (np.reciprocal, nonzero(3, 4)), (np.absolute, nonzero(3, 4)), (np.fabs, nonzero(3, 4)),
    (np.negative, ANY), (np.positive, ANY), (np.deg2rad, ANY), (np.radians, ANY),
    (np.rad2deg, ANY), (np.degrees, ANY), (np.sinc, ANY),
]
for _fn, _x in UNARY:
    spec(_fn, _x)
spec(np.sin, F())
spec(np.sinc, np.array([0.0, 0.5, -1.5]))
spec((np.float64, builtins.float), F())

MATH_UNARY = [
    (math.sin, F()), (math.cos, F()), (math.tan, F(-1.2, 1.2)), (math.asin, F(-0.9, 0.9)),
    (math.acos, F(-0.9, 0.9)), (math.atan, F()), (math.sinh, F()), (math.cosh, F()),
    (math.tanh, F()), (math.asinh, F()), (math.acosh, F(1.2, 3.0)), (math.atanh, F(-0.9, 0.9)),
    (math.exp, F()), (math.expm1, F()), (math.log, F(0.5, 3.0)), (math.log1p, F(-0.5, 2.0)),
    (math.log2, F(0.5, 3.0)), (math.log10, F(0.5, 3.0)), (math.sqrt, F(0.5, 3.0)),
    (math.erf, F()), (math.erfc, F()), (math.fabs, F(0.5, 2.0)), (math.fabs, F(-2.0, -0.5)),
    (math.degrees, F()), (math.radians, F()), (operator.neg, F()), (operator.pos, F()),
    (operator.abs, F(-2.0, -0.5)), (builtins.abs, F(0.5, 2.0)),
]
# fmt: on
for _fn, _x in MATH_UNARY:
    spec(_fn, _x)
spec(math.log, F(0.5, 3.0), F(1.5, 3.0))
spec((operator.neg, operator.pos, operator.abs, builtins.abs), nonzero(3, 4))

# binary functions over broadcasting shape pairs: (3,1)+(1,4), scalar+array, (4,)+(3,4)
PAIRS = [((3, 4), (3, 4)), ((3, 1), (1, 4)), ((), (3,)), ((4,), (3, 4))]
BINARY = [
    ((np.add, operator.add), r, r),
    ((np.subtract, operator.sub), r, r),
    ((np.multiply, operator.mul), r, r),
    ((np.true_divide, operator.truediv), r, nonzero),
    ((np.power, np.float_power, operator.pow, builtins.pow), pos, r),
    ((np.remainder, operator.mod), r, pos),
    ((np.fmod,), r, pos),
    ((np.arctan2,), r, r),
    ((np.hypot,), r, r),
    ((np.logaddexp, np.logaddexp2), r, r),
    ((np.maximum, np.minimum, np.fmax, np.fmin), r, r),
    ((np.copysign,), r, nonzero),
]
for _fns, _x, _y in BINARY:
    for _xs, _ys in PAIRS:
        spec(_fns, _x(*_xs), _y(*_ys))
spec((operator.add, operator.sub, operator.mul, operator.truediv), F(), F(0.5, 2.0))
spec((operator.pow, builtins.pow, math.pow), F(0.5, 2.0), F())
spec((operator.pow, np.power), r(3, 4), 2)
spec((operator.pow, np.power), pos(3, 4), 3.0)
spec(np.power, r(3, 4), 0)
spec((operator.mod, math.fmod, math.copysign), F(), F(0.5, 2.0))
spec((math.atan2, math.hypot), F(), F())
spec((builtins.max, builtins.min), F(), F())
spec(np.fmax, np.array([1.0, np.nan, 3.0]), r(3))
spec(np.fmin, r(3), np.array([np.nan, 1.0, 3.0]))

spec(np.clip, r(3, 4), -0.5, 0.5)
spec(np.clip, r(3, 4), None, 0.5)
spec(np.clip, r(3, 4), r(3, 1, low=-1.0, high=-0.5), r(1, 4, low=0.5, high=1.0))
spec(np.clip, r(3, 4), a_min=r(4, low=-1.0, high=-0.5), a_max=1.0)
_CONDITION = np.array([[True, False, True, False], [False, False, True, True], [True] * 4])
spec(np.where, _CONDITION, r(3, 4), r(1, 4))
spec(np.where, _CONDITION, r(4), F())

# -- reductions ----------------------------------------------------------------------------------

for _fn in (np.sum, np.mean):
    spec(_fn, r(3, 4))
    spec(_fn, r(3, 4), axis=0)
    spec(_fn, r(2, 3, 4), axis=(0, 2))
    spec(_fn, r(3, 4), axis=-1, keepdims=True)
    spec(_fn, r(3, 4), keepdims=True)
spec(np.prod, nonzero(3, 4))
spec(np.prod, nonzero(3, 4), axis=1, keepdims=True)
spec(np.prod, nonzero(2, 3, 4), axis=(0, 2))
spec(np.prod, np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]]), axis=1)
for _fn in (np.max, np.amax, np.min, np.amin):
    spec(_fn, distinct(3, 4))
    spec(_fn, distinct(3, 4), axis=0)
    spec(_fn, distinct(2, 3, 4), axis=(0, 2), keepdims=True)
for _fn in (np.var, np.std):
    spec(_fn, r(3, 4))
    spec(_fn, r(3, 4), axis=0, ddof=1)
    spec(_fn, r(2, 3, 4), axis=(0, 2), keepdims=True)
spec(np.cumsum, r(3, 4))
spec(np.cumsum, r(3, 4), axis=1)
spec(np.cumsum, r(2, 3, 4), axis=-2)
spec(np.cumprod, nonzero(3, 4))
spec(np.cumprod, nonzero(3, 4), axis=0)
spec(np.average, r(3, 4))
spec((np.nansum, np.nanmean), r(3, 4))
spec((np.nansum, np.nanmean), np.array([[1.0, np.nan, 2.0], [np.nan, np.nan, 3.0]]), axis=1)
spec((np.nansum, np.nanmean), r(2, 3, 4), axis=(0, 2), keepdims=True)
spec(np.diff, r(5))
spec(np.diff, r(3, 5), 2)
spec(np.diff, r(3, 5), axis=0)
spec(np.diff, r(4), prepend=0.0, append=np.array([1.0, 2.0]))
spec(np.diff, r(3, 4), n=2, axis=1, prepend=np.ones((3, 2)))
spec(np.average, r(3, 4), axis=0, weights=pos(3, 4))
spec(np.average, r(3, 4), axis=1, weights=pos(4))
spec(np.average, r(3, 4), axis=1, weights=pos(4), keepdims=True)
spec(np.average, r(3, 4), weights=pos(3, 4))

spec(np.median, distinct(5))
spec(np.median, distinct(3, 4), axis=0)
spec(np.median, distinct(3, 4), axis=1, keepdims=True)
spec(np.median, distinct(2, 3, 4), axis=(0, 2))
spec(np.median, np.array([1.0, 3.0, 3.0, 0.5, 2.0]))  # ties share evenly
spec((np.quantile,), distinct(7), 0.3)
spec((np.quantile,), distinct(3, 5), np.array([0.1, 0.5, 0.9]), axis=1)
spec((np.quantile,), distinct(3, 5), 0.25, axis=0, keepdims=True)
spec((np.quantile,), distinct(3, 5), 0.6, method="nearest")
spec((np.quantile,), distinct(3, 5), np.array([0.2, 0.7]), method="midpoint", keepdims=True)
spec((np.percentile,), distinct(6), 40.0)
spec((np.percentile,), distinct(2, 3, 4), np.array([10.0, 75.0]), axis=(0, 2))
spec((np.percentile,), distinct(3, 4), 30.0, axis=-1, method="hazen")
spec(np.cov, r(3, 6))
spec(np.cov, r(6))
spec(np.cov, r(6), r(6))
spec(np.cov, r(6, 2), rowvar=False)
spec(np.cov, r(2, 5), r(5), bias=True)
spec(np.cov, r(2, 5), ddof=0, fweights=np.array([1, 2, 1, 3, 1]), aweights=pos(5))
spec(np.corrcoef, r(3, 6))
spec(np.corrcoef, r(6), r(6))
spec(np.corrcoef, r(6, 2), rowvar=False)
_CONDITIONS = [np.array([True, False, False, True]), np.array([True, True, False, False])]
spec(np.select, _CONDITIONS, lst(r(4), r(4)))
spec(np.select, _CONDITIONS, lst(r(3, 4), r(4)), r(3, 1))
spec(np.select, _CONDITIONS, lst(r(4), F()), F())
spec(np.piecewise, r(4), _CONDITIONS, [1.0, 2.0, 3.0])
spec(runtime.select_adjoint, r(3, 4), _CONDITIONS, lst(r(3, 4), r(4)))
spec(runtime.select_adjoint, r(4), _CONDITIONS, lst(r(4), F()))

# -- linear algebra --------------------------------------------------------------------------

for _a, _b in [
    ((3, 4), (4, 5)),
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((2, 3, 4), (5, 4, 2)),
]:
    spec(np.dot, r(*_a), r(*_b))
spec(np.dot, F(), r(3))
spec(np.dot, r(2, 3), r())
for _a, _b in [
    ((3, 4), (4, 5)),
    ((2, 3, 4), (4, 5)),
    ((4,), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((2, 1, 3, 4), (5, 4, 2)),
    ((4,), (4,)),
]:
    spec((np.matmul, operator.matmul), r(*_a), r(*_b))
spec(np.inner, r(3, 4), r(5, 4))
spec(np.inner, r(4), r(4))
spec(np.inner, r(2, 3, 4), r(4))
spec(np.inner, F(), r(3))
spec(np.outer, r(3), r(4))
spec(np.outer, r(2, 3), r(4))
spec(np.tensordot, r(3, 4), r(4, 5), axes=1)
spec(np.tensordot, r(3, 4, 5), r(4, 5, 2))
spec(np.tensordot, r(3, 4, 5), r(4, 2, 3), axes=([0, 1], [2, 0]))
spec(np.tensordot, r(3, 4), r(5, 2), axes=0)
for _subscripts, _shapes in [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ij->", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("iij->j", [(3, 3, 2)]),
    ("i,i", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,j->i", [(3, 4), (4,)]),
    ("ijk->ik", [(2, 3, 4)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (1, 4, 5)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ij,jk,kl,lm->im", [(2, 3), (3, 4), (4, 2), (2, 3)]),
    ("i,i->", [(4,), (1,)]),
]:
    spec(np.einsum, _subscripts, *(r(*s) for s in _shapes))
spec(np.einsum, "ij,jk->ik", r(3, 4), r(4, 5), optimize=True)
# the sublist form: operands interleaved with their labels (before: a zero derivative)
spec(np.einsum, r(3, 4), [0, 1], r(4, 5), [1, 2], [0, 2])
spec(np.einsum, r(3, 4), [0, 1], r(4, 5), [1, 2])
spec(np.einsum, r(3, 3), [0, 0], [0])
spec(np.einsum, r(2, 3, 4), [Ellipsis, 1], r(4, 2), [1, 0])
spec(np.einsum, r(3, 4), [1, 0])
spec(np.vdot, r(3, 4), r(12))
spec(np.kron, r(2, 3), r(3, 2))
spec(np.kron, r(3), r(2))
spec(np.kron, r(2), r(3, 2))
spec(np.cross, r(3), r(3))
spec(np.cross, r(4, 3), r(3))
spec(np.cross, r(3, 4), r(4, 3), axisa=0)
spec(np.cross, r(3, 4), r(3, 4), axis=0)
spec((np.linalg.eigh, np.linalg.eigvalsh), SPD(3))
spec((np.linalg.eigh, np.linalg.eigvalsh), SPD(3, (2,)), UPLO="U")
spec(np.linalg.matrix_power, Wellcond(3), 3)
spec(np.linalg.matrix_power, Wellcond(3, (2,)), 0)
spec(np.linalg.matrix_power, Wellcond(3), -2)
for _fn in (np.linalg.inv, np.linalg.det, np.linalg.slogdet):
    spec(_fn, Wellcond(3))
    spec(_fn, Wellcond(3, (2,)))
spec(np.linalg.solve, Wellcond(3), r(3))
spec(np.linalg.solve, Wellcond(3), r(3, 2))
spec(np.linalg.solve, Wellcond(3, (2,)), r(2, 3, 2))
spec(np.linalg.solve, Wellcond(3, (2,)), r(3))
spec(np.linalg.cholesky, SPD(3))
spec(np.linalg.cholesky, SPD(3, (2,)))
spec(np.linalg.cholesky, SPD(3), upper=True)
spec(np.trace, r(3, 3))
spec(np.trace, r(3, 4), 1)
spec(np.trace, r(2, 3, 3), axis1=1, axis2=2)
spec(np.trace, r(3, 2, 4), offset=-1, axis1=2, axis2=0)
spec(np.diag, r(4))
spec(np.diag, r(3), 1)
spec(np.diag, r(4, 4))
spec(np.diag, r(3, 4), k=-1)
spec(np.diagonal, r(3, 4))
spec(np.diagonal, r(3, 4), 1)
spec(np.diagonal, r(2, 3, 4), offset=-1, axis1=1, axis2=2)
spec(np.diagonal, r(3, 2, 4), axis1=2, axis2=0)
for _fn in (np.triu, np.tril):
    spec(_fn, r(4, 4))
    spec(_fn, r(3, 4), k=1)
    spec(_fn, r(2, 3, 3), -1)
spec(np.linalg.norm, r(5))
spec(np.linalg.norm, r(3, 4))
spec(np.linalg.norm, r(2, 3, 4))
spec(np.linalg.norm, r(3, 4), keepdims=True)
spec(np.linalg.norm, nonzero(5), 1)
spec(np.linalg.norm, distinct(5), np.inf)
spec(np.linalg.norm, distinct(5), -np.inf)
spec(np.linalg.norm, nonzero(5), 3)
spec(np.linalg.norm, nonzero(5), 0.5)
spec(np.linalg.norm, r(3, 4), axis=1)
spec(np.linalg.norm, nonzero(3, 4), 1, axis=0, keepdims=True)
spec(np.linalg.norm, distinct(3, 4), np.inf, axis=-1)
for _ord in ("fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf):
    spec(np.linalg.norm, distinct(3, 4), _ord)
spec(np.linalg.norm, distinct(2, 3, 4), "nuc", axis=(2, 0))
spec(np.linalg.norm, distinct(2, 3, 4), 1, axis=(1, 2), keepdims=True)
# decompositions: singular values and eigenvalues of random matrices are distinct
for _shape in ((3, 3), (4, 3), (3, 4), (2, 4, 3)):
    spec(np.linalg.svd, r(*_shape), full_matrices=False)
    spec(np.linalg.svd, r(*_shape), compute_uv=False)
    spec(np.linalg.pinv, r(*_shape))
    spec(np.linalg.cond, r(*_shape))
spec(np.linalg.svd, Wellcond(3))
spec(np.linalg.svd, r(2, 3, 4), False, False)
for _shape in ((3, 3), (5, 3), (2, 4, 2)):
    spec(np.linalg.qr, r(*_shape))
spec(np.linalg.qr, Wellcond(3), mode="reduced")
for _fn in (np.linalg.eig, np.linalg.eigvals):  # complex pairs and real spectra among them
    spec(_fn, r(3, 3))
    spec(_fn, r(4, 4))
    spec(_fn, Wellcond(3, (3,)))
    spec(_fn, SPD(3))
spec(np.linalg.pinv, Wellcond(3), rcond=1e-12)
for _p in (2, -2, "fro", "nuc", 1, -1, np.inf, -np.inf):
    spec(np.linalg.cond, Wellcond(3), _p)
spec(np.linalg.cond, Wellcond(3, (2,)), 1)

# -- shapes ----------------------------------------------------------------------------------

spec(np.reshape, r(3, 4), (2, 6))
spec(np.reshape, r(3, 4), -1)
spec(np.reshape, r(3, 4), (4, 3), order="F")
spec(np.ravel, r(3, 4))
spec(np.ravel, r(3, 4), order="F")
spec(np.transpose, r(2, 3, 4))
spec(np.transpose, r(2, 3, 4), (2, 0, 1))
spec(np.transpose, r(2, 3, 4), axes=(-1, 0, 1))
spec(np.swapaxes, r(2, 3, 4), 0, 2)
spec(np.moveaxis, r(2, 3, 4), 0, -1)
spec(np.moveaxis, r(2, 3, 4), (0, 1), (2, 0))
spec(np.expand_dims, r(3, 4), 1)
spec(np.expand_dims, r(3, 4), (0, 3))
spec(np.squeeze, r(3, 1, 4))
spec(np.squeeze, r(1, 3, 1), axis=2)
spec(np.broadcast_to, r(3, 1), (2, 3, 4))
spec(np.broadcast_to, F(), (3,))
spec(np.copy, r(3, 4))
spec(runtime.astype, r(3, 4), float)
spec(np.flip, r(3, 4))
spec(np.flip, r(3, 4), 1)
spec(np.roll, r(5), 2)
spec(np.roll, r(3, 4), (1, -1), axis=(0, 1))
spec(np.roll, r(3, 4), 5)
spec(np.sort, distinct(3, 4))
spec(np.sort, distinct(3, 4), axis=0)
spec(np.sort, distinct(3, 4), axis=None)
spec(np.concatenate, lst(r(2, 3), r(4, 3)))
spec(np.concatenate, lst(r(2, 3), r(2, 1), r(2, 2)), axis=1)
spec(np.concatenate, lst(r(2, 3), r(4)), axis=None)
spec(np.concatenate, L((r(2), r(3)), tuple))
spec(np.stack, lst(r(3), r(3)))
spec(list, r(3, 2))
spec(list, r(4))
spec(tuple, r(3, 2))
spec(np.stack, lst(r(2, 3), r(2, 3), r(2, 3)), axis=-1)
spec(np.hstack, lst(r(2), r(3)))
spec(np.hstack, lst(r(2, 3), r(2, 1)))
spec(np.hstack, lst(r(), r(2)))
spec(np.vstack, lst(r(3), r(3)))
spec(np.vstack, lst(r(2, 3), r(1, 3)))
spec(np.column_stack, lst(r(3), r(3, 2)))
spec(np.dstack, lst(r(3), r(3)))
spec(np.dstack, lst(r(2, 3), r(2, 3, 2)))
spec(np.append, r(2, 3), r(4))
spec(np.append, r(2, 3), r(1, 3), axis=0)
spec(np.take, r(5), [0, 3, 3])
spec(np.take, r(3, 4), np.array([[0, 1], [2, 2]]), axis=1)
spec(np.take, r(3, 4), [-1, 0, 5], axis=0, mode="wrap")
spec(np.take, r(3, 4), [7, 0], mode="clip")
spec(runtime.array_item, r(3, 4), (5,))
spec(runtime.array_item, r(3, 4), (2, 1))
spec(runtime.array_item, r(1, 1))
spec(runtime.array_tolist, r(3, 4))
spec(runtime.array_tolist, r(5))
spec(runtime.array_tolist, r())
spec(np.split, r(6, 2), 3)
spec(np.split, r(4, 5), [1, 3], axis=1)
spec(np.array_split, r(7), 3)
spec(np.tile, r(2, 3), (2, 1, 2))
spec(np.tile, r(3), 2)
spec(np.tile, r(2, 3), 2)
spec(np.repeat, r(2, 3), 2)
spec(np.repeat, r(2, 3), [1, 2, 3], axis=1)
spec(np.repeat, r(2, 3), 3, axis=0)
spec(np.pad, r(3, 4), ((1, 2), (0, 1)))
spec(np.pad, r(3, 4), 1, constant_values=3.0)
for _mode in ("edge", "reflect", "symmetric", "wrap"):
    spec(np.pad, r(3, 4), ((2, 1), (3, 2)), mode=_mode)
spec(np.pad, r(5), 2, "reflect")
for _fn in (np.atleast_1d, np.atleast_2d, np.atleast_3d):
    spec(_fn, r())
    spec(_fn, r(3))
spec(np.array, lst(F(), F(), F()))
spec(np.array, lst(r(3), r(3)))
spec(np.array, lst(lst(F(), F()), lst(F(), F())))
spec(np.array, r(3, 4))
spec(np.array, lst(F(), F()), ndmin=2)
spec(np.asarray, lst(F(), F()))
spec(np.asarray, r(3))

spec(np.rot90, r(3, 4))
spec(np.rot90, r(3, 4), 3)
spec(np.rot90, r(2, 3, 4), -1, (2, 0))
spec((np.fliplr, np.flipud), r(3, 4))
spec(np.flipud, r(5))
spec(np.rollaxis, r(2, 3, 4), 2)
spec(np.rollaxis, r(2, 3, 4), 0, 3)
spec(np.rollaxis, r(2, 3, 4, 5), -1, 1)
spec(np.hsplit, r(6), 3)
spec(np.hsplit, r(3, 4), [1, 3])
spec(np.vsplit, r(4, 3), 2)
spec(np.dsplit, r(2, 3, 4), [1])
spec(np.partition, distinct(7), 3)
spec(np.partition, distinct(3, 5), (1, 3), axis=1)
spec(np.partition, distinct(4, 3), 2, axis=0)
spec(np.partition, distinct(3, 4), 5, axis=None)
spec(builtins.sorted, lst(F(), F(), F(), F()))
spec(builtins.sorted, distinct(5), reverse=True)
spec(runtime.sorted_adjoint, lst(F(), F(), F()), lst(F(), F(), F()), np.array([2, 0, 1]))
spec(runtime.sorted_adjoint, lst(F(), F(), F()), r(3), np.array([1, 2, 0]))
spec(runtime.sorted_tangent, lst(F(), F(), F()), np.array([2, 0, 1]))
spec(runtime.sorted_tangent, r(3), np.array([1, 2, 0]))
spec(np.gradient, r(6))
spec(np.gradient, r(6), 0.5, edge_order=2)
spec(np.gradient, r(3, 4), 2.0, axis=1)
spec(np.gradient, r(3, 4))
spec(runtime.gradient_adjoint, r(6), r(6), 0.5)
spec(runtime.gradient_adjoint, lst(r(3, 4), r(3, 4)), r(3, 4), 1.0, None, 2)
spec(np.real_if_close, r(3, 4))
spec(np.real_if_close, c(3, 4))

# -- indexing --------------------------------------------------------------------------------

for _index in [
    2,
    -1,
    slice(1, 4),
    slice(None, None, 2),
    slice(None, None, -1),
    np.array([0, 2, 0, 4]),
    [1, 1, 3],
    np.array([True, False, True, True, False]),
]:
    spec(operator.getitem, r(5), _index)
for _index in [
    (1, slice(None)),
    (Ellipsis, 1),
    (None, 0),
    (slice(None), None, slice(1, 3)),
    np.array([0, 2, 0]),
    (np.array([0, 1, 1]), np.array([2, 3, 3])),
    np.array([[True, False, True, False]] * 3),
    (slice(None, None, -2), [0, 0]),
]:
    spec(operator.getitem, r(3, 4), _index)
spec(operator.getitem, r(), ())
spec(operator.getitem, lst(F(), F(), F()), 1)
spec(operator.getitem, lst(F(), r(2), F()), slice(0, 2))
spec(operator.getitem, L((F(), r(3)), tuple), -1)
_SETS = [
    (r(5), 2, F()),
    (r(5), slice(1, 3), r(2)),
    (r(5), slice(None, None, -2), r(1)),
    (r(3, 4), (Ellipsis, 1), r(3)),
    (r(3, 4), 0, r(4)),
    (r(3, 4), slice(None), r(4)),
    (r(3, 4), (slice(None), None, 1), r(3, 1)),
    (r(5), np.array([0, 0, 2]), r(3)),
    (r(5), [4, 1, 4, 4], r(4)),
    (r(3, 4), (np.array([0, 0, 2]), np.array([1, 1, 3])), r(3)),
    (r(3, 4), np.array([1, 1]), r(2, 4)),
    (r(3, 4), np.array([[True, False, True, False]] * 3), F()),
    (lst(F(), F(), F()), 1, F()),
]
for _x, _index, _v in _SETS:
    spec((runtime.setitem, runtime.additem), _x, _index, _v)
spec(runtime.setitem, lst(F(), F(), F()), slice(0, 2), lst(F(), F()))
# the in-place forms write into their first argument (test_rules calls them on copies)
spec(runtime.write_entry, r(5), 1, F())
spec(runtime.write_entry, r(3, 4), (slice(None), 2), r(3))
spec(runtime.add_to_entry, r(5), 1, F())
spec(runtime.add_to_entry, r(3, 4), 1, r(4))
spec(runtime.owned_adjoint, r(3, 4), r(3, 4))
spec(runtime.owned_adjoint, r(4), r(3, 4))
spec(runtime.copy_value, lst(r(2), F()))
spec(runtime.loop_sequence, r(3, 2))
spec(runtime.loop_sequence, lst(F(), F()))
spec(runtime.loop_sequence_adjoint, r(3, 2), r(3, 2))
spec(runtime.loop_sequence_tangent, r(3, 2), r(3, 2))

# -- polynomials and interpolation -----------------------------------------------------------

spec(np.polyval, r(4), r(3, 2))
spec(np.polyval, lst(F(), F(), F()), F())
spec(np.interp, r(6, low=-0.5, high=3.5), np.array([0.0, 1.0, 1.5, 3.0]), r(4))
spec(np.interp, r(6, low=-0.5, high=3.5), [0.0, 1.0, 1.5, 3.0], r(4), left=-1.0, right=5.0)
spec(np.interp, F(0.0, 3.0), [0.0, 1.0, 1.5, 3.0], lst(F(), F(), F(), F()))

# -- scipy.special (named by string: checked only where SciPy is installed) -----------------------

spec("scipy.special.expit", r(3, 4))
spec("scipy.special.logit", r(3, 4, low=0.1, high=0.9))
spec(("scipy.special.erf", "scipy.special.erfc", "scipy.special.ndtr"), r(3, 4))
spec("scipy.special.log_ndtr", r(3, 4, low=-5.0, high=3.0))
spec("scipy.special.erfinv", r(3, 4, low=-0.9, high=0.9))
spec("scipy.special.gammaln", pos(3, 4, low=0.5, high=5.0))
spec("scipy.special.xlogy", r(3, 4), pos(3, 4))
spec("scipy.special.xlogy", r(3, 1), pos(4))
spec("scipy.special.xlog1py", r(3, 4), r(3, 4, low=-0.5, high=2.0))
spec("scipy.special.logsumexp", r(3, 4))
spec("scipy.special.logsumexp", r(3, 4), axis=1)
spec("scipy.special.logsumexp", r(3, 4), axis=0, keepdims=True)
spec("scipy.special.logsumexp", r(3, 4), axis=1, b=np.array([0.5, 1.0, 2.0, 1.5]))
for _name in ("scipy.special.softmax", "scipy.special.log_softmax"):
    spec(_name, r(3, 4))
    spec(_name, r(3, 4), axis=1)
    spec(_name, r(2, 3, 4), axis=(0, 2))
_GAMMA_DOMAIN = pos(3, 4, low=0.5, high=5.0)
spec(("scipy.special.psi", "scipy.special.digamma"), _GAMMA_DOMAIN)
spec("scipy.special.psi", F(0.5, 5.0))
spec("scipy.special.polygamma", 1, _GAMMA_DOMAIN)
spec("scipy.special.polygamma", np.array([0, 1, 2, 3]), _GAMMA_DOMAIN)
spec("scipy.special.polygamma", np.array([0, 2, 3, 1]), pos(3, 1, low=0.5, high=5.0))
spec(("scipy.special.gamma", "scipy.special.rgamma"), pos(3, 4, low=0.5, high=4.0))
spec(("scipy.special.gamma", "scipy.special.rgamma"), r(3, 4, low=-2.8, high=-2.2))
spec(("scipy.special.beta", "scipy.special.betaln"), pos(3, 4, low=0.5, high=4.0), _GAMMA_DOMAIN)
spec(("scipy.special.beta", "scipy.special.betaln"), pos(3, 1), pos(4), rtol=1e-4)
spec("scipy.special.betaln", F(0.5, 4.0), pos(3))
spec("scipy.special.erfcinv", r(3, 4, low=0.1, high=1.9))
for _name in ("scipy.special.gammainc", "scipy.special.gammaincc"):
    spec(_name, pos(3, 4, low=0.5, high=4.0), pos(3, 4, low=0.2, high=5.0))  # a refuses
    spec(_name, 2.5, pos(3, 4, low=0.2, high=5.0))
    spec(_name, np.array([1, 2, 3, 4]), pos(3, 1, low=0.2, high=5.0))
_UNIT = r(3, 4, low=0.05, high=0.95)
spec("scipy.special.betainc", pos(3, 4, low=0.5, high=4.0), pos(3, 4, low=0.5, high=4.0), _UNIT)
spec("scipy.special.betainc", 1.5, 2.5, _UNIT)
spec("scipy.special.betainc", np.array([1, 2, 3, 4]), 3, r(3, 1, low=0.05, high=0.95))
spec(("scipy.special.i0", "scipy.special.i1", "scipy.special.j0", "scipy.special.j1"), r(3, 4))
spec(("scipy.special.i0", "scipy.special.j1"), F())
spec(("scipy.special.y0", "scipy.special.y1"), pos(3, 4, low=0.5, high=5.0))
for _name in ("scipy.special.iv", "scipy.special.ive", "scipy.special.jv"):
    spec(_name, np.array([0, 1, 2, 3]), r(3, 4, low=-3.0, high=3.0))
    spec(_name, 1.5, pos(3, 4, low=0.2, high=4.0))
    spec(_name, pos(3, 4, low=0.0, high=3.0), pos(3, 4, low=0.2, high=4.0))  # v refuses
    spec(_name, np.array([-1.5, 0.5, 2.0]), pos(4, 1, low=0.2, high=4.0))
spec("scipy.special.yn", np.array([0, 1, 2, 3]), pos(3, 4, low=0.5, high=5.0))
spec("scipy.special.yn", 2, pos(4, 1, low=0.5, high=5.0))
spec(runtime.digamma, _GAMMA_DOMAIN)
spec(runtime.gammaln, _GAMMA_DOMAIN)
spec(runtime.polygamma, np.array([0, 1, 2, 3]), _GAMMA_DOMAIN)
spec(runtime.betaln, pos(3, 1), pos(4))
spec((runtime.iv, runtime.ive, runtime.jv), np.array([0.0, 1.0, 2.5, 3.0]), pos(3, 4, high=4.0))
spec(runtime.yv, 1.5, pos(3, 4, high=4.0))
spec(runtime.ive, 2.0, r(3, 4))
_SCALE = pos(3, 4, low=0.5, high=2.0)
for _name in (
    "scipy.stats.norm.logpdf",
    "scipy.stats.norm.pdf",
    "scipy.stats.norm.cdf",
    "scipy.stats.norm.logcdf",
    "scipy.stats.norm.sf",
    "scipy.stats.laplace.logpdf",
    "scipy.stats.logistic.logpdf",
):
    spec(_name, r(3, 4))
    spec(_name, r(3, 4), r(3, 4), _SCALE)
    spec(_name, r(3, 4), loc=r(4), scale=1.5)
spec("scipy.stats.expon.logpdf", pos(3, 4))
spec("scipy.stats.expon.logpdf", pos(3, 4, low=1.0, high=3.0), r(4, low=-0.5, high=0.5), _SCALE)
spec("scipy.stats.t.logpdf", r(3, 4), pos(3, 4, low=1.0, high=8.0))
spec("scipy.stats.t.logpdf", r(3, 4), 3.5, loc=r(4), scale=_SCALE)
spec("scipy.stats.poisson.logpmf", np.array([0, 1, 3, 7]), pos(3, 4, low=0.5, high=5.0))
spec("scipy.stats.poisson.logpmf", np.array([2, 4, 6, 9]), pos(3, 1, low=0.5, high=5.0), loc=1)
spec("scipy.stats.gamma.logpdf", pos(3, 4, low=0.5, high=3.0), pos(3, 4, low=0.5, high=4.0))
spec("scipy.stats.gamma.logpdf", pos(3, 4, low=1.0, high=3.0), 2.5, r(4, low=-0.5, high=0.5), 1.5)
spec("scipy.stats.beta.logpdf", _UNIT, pos(3, 4, low=0.5, high=4.0), pos(3, 4, low=0.5, high=4.0))
spec("scipy.stats.beta.logpdf", _UNIT, 2.0, 3.0, loc=-0.5, scale=pos(3, 4, low=2.0, high=3.0))
for _name in ("scipy.stats.t.pdf", "scipy.stats.t.cdf", "scipy.stats.t.logcdf"):
    spec(_name, r(3, 4), pos(3, 4, low=1.0, high=8.0))  # df refuses in cdf and logcdf
    spec(_name, r(3, 4), 3.5, loc=r(4), scale=_SCALE)
for _name in ("scipy.stats.gamma.pdf", "scipy.stats.gamma.cdf", "scipy.stats.gamma.logcdf"):
    spec(_name, pos(3, 4, low=0.5, high=3.0), pos(3, 4, low=0.5, high=4.0))
    spec(_name, pos(3, 4, low=1.0, high=3.0), 2.5, r(4, low=-0.5, high=0.5), 1.5)
for _name in ("scipy.stats.beta.pdf", "scipy.stats.beta.cdf", "scipy.stats.beta.logcdf"):
    spec(_name, _UNIT, pos(3, 4, low=0.5, high=4.0), pos(3, 4, low=0.5, high=4.0))
    spec(_name, _UNIT, 2.0, 3.0, loc=-0.5, scale=pos(3, 4, low=2.0, high=3.0))
for _name in ("scipy.stats.expon.pdf", "scipy.stats.expon.cdf", "scipy.stats.expon.logcdf"):
    spec(_name, pos(3, 4))
    spec(_name, pos(3, 4, low=1.0, high=3.0), r(4, low=-0.5, high=0.5), _SCALE)
for _name in (
    "scipy.stats.laplace.pdf",
    "scipy.stats.laplace.cdf",
    "scipy.stats.laplace.logcdf",
    "scipy.stats.logistic.pdf",
    "scipy.stats.logistic.cdf",
    "scipy.stats.logistic.logcdf",
):
    spec(_name, r(3, 4))
    spec(_name, r(3, 4), r(3, 4), _SCALE)
    spec(_name, r(3, 4), loc=r(4), scale=1.5)
for _name in ("scipy.stats.poisson.cdf", "scipy.stats.poisson.logcdf"):
    spec(_name, np.array([0, 1, 3, 7]), pos(3, 4, low=0.5, high=5.0))
    spec(_name, np.array([1.0, 2.5, 6.0, 9.7]), pos(3, 1, low=0.5, high=5.0), loc=1)
for _name in ("scipy.stats.binom.cdf", "scipy.stats.binom.logcdf"):
    spec(_name, np.array([0, 1, 3, 8]), 9, r(3, 4, low=0.1, high=0.9))
    spec(
        _name, np.array([2.0, 4.5, 5, 7]), np.array([6, 7, 8, 9]), r(3, 1, low=0.1, high=0.9), loc=1
    )
spec("scipy.stats.poisson.pmf", np.array([0, 1, 3, 7]), pos(3, 4, low=0.5, high=5.0))
spec("scipy.stats.poisson.pmf", np.array([2, 4, 6, 9]), pos(3, 1, low=0.5, high=5.0), loc=1)
for _name in ("scipy.stats.binom.logpmf", "scipy.stats.binom.pmf"):
    spec(_name, np.array([0, 1, 3, 7]), 9, r(3, 4, low=0.1, high=0.9))
    spec(_name, np.array([2, 4, 5, 6]), np.array([6, 7, 8, 9]), r(3, 1, low=0.1, high=0.9), loc=1)
for _name in ("scipy.stats.multivariate_normal.logpdf", "scipy.stats.multivariate_normal.pdf"):
    spec(_name, r(3), r(3), SPD(3))
    spec(_name, r(5, 3), r(3), SPD(3))
    spec(_name, r(2, 4, 3), mean=r(3), cov=SPD(3))
    spec(_name, r(1, 2), r(2), SPD(2))  # one point of shape (1, d): a number
_SIMPLEX = r(3, low=0.1, high=0.3)  # three components, the fourth one minus their sum
for _name in ("scipy.stats.dirichlet.logpdf", "scipy.stats.dirichlet.pdf"):
    spec(_name, _SIMPLEX, pos(4, low=0.5, high=3.0))
    spec(_name, r(3, 5, low=0.1, high=0.3), pos(4, low=0.5, high=3.0))
    spec(_name, r(3, 1, low=0.1, high=0.3), pos(4, low=0.5, high=3.0))

spec(np.sign, nonzero(3, 4))
spec(np.sign, cnz(3, 4))


def _decay(y, t, k, force):  # the right-hand side of an ODE for odeint's entry
    return -k * y + force * np.cos(t)


spec(
    "scipy.integrate.odeint",
    _decay,
    pos(3, low=0.5, high=1.5),
    np.array([0.0, 0.4, 1.0]),
    args=(pos(3, low=0.5, high=2.0), 0.7),
    keywords={"rtol": 1e-12, "atol": 1e-12},
    rtol=1e-4,
)


def _decay_first(t, y, k, force):  # solve_ivp's order
    return _decay(y, t, k, force)


spec(
    ode_ivp.solve_ivp_of,
    _decay_first,
    (0.0, 1.0),
    pos(3, low=0.5, high=1.5),
    t_eval=np.array([0.1, 0.4, 0.9]),  # inside t_span, which the check moves
    args=(pos(3, low=0.5, high=2.0), 0.7),
    keywords={"rtol": 1e-12, "atol": 1e-12},
    rtol=1e-4,
)

# -- ndarray methods and attributes ------------------------------------------------------------

for _name in ("sum", "mean", "prod", "var", "std", "cumsum", "cumprod"):
    method(_name, nonzero(3, 4))
    method(_name, nonzero(3, 4), axis=0)
method("sum", r(3, 4), 1, keepdims=True)
method("var", r(3, 4), ddof=1)
method("std", r(3, 4), 0, None, None, 1)
for _name in ("max", "min"):
    method(_name, distinct(3, 4))
    method(_name, distinct(3, 4), axis=1)
method("reshape", r(3, 4), 4, 3)
method("reshape", r(3, 4), (2, 6))
method("reshape", r(3, 4), -1, order="F")
method("ravel", r(3, 4))
method("tolist", r(3, 4))
method("flatten", r(3, 4))
method("transpose", r(2, 3, 4))
method("transpose", r(2, 3, 4), 1, 0, 2)
method("transpose", r(2, 3, 4), (2, 0, 1))
method("T", r(3, 4))
method("mT", r(2, 3, 4))
method("swapaxes", r(2, 3, 4), 0, 2)
method("squeeze", r(3, 1, 4))
method("dot", r(3, 4), r(4, 2))
method("clip", r(3, 4), -0.5, 0.5)
method("clip", r(3, 4), max=0.5)
method("copy", r(3, 4))
method("astype", r(3, 4), float)
method("astype", r(3, 4), "float64")
method("astype", r(3, 4), int)
method("astype", r(3, 4), bool)
method("round", r(3, 4))
method("round", r(3, 4), 1)
method("trace", r(3, 3))
method("diagonal", r(3, 4), 1)
method("repeat", r(2, 3), 2, axis=1)
method("take", r(3, 4), [0, 2], axis=1)
method("item", r(1, 1))
method("item", r(3, 4), 7)
method("item", r(3, 4), 2, 3)
method("item", r(3, 4), (1, 2))
for _name in ("argmax", "argmin", "argsort", "nonzero", "all", "any"):
    method(_name, distinct(3, 4))
for _name in ("shape", "ndim", "size"):
    method(_name, r(3, 4))

# -- helpers that generated derivative code calls (differentiated again for higher orders) ---

from pullback.runtime import adjoints as _adjoints  # noqa: E402

spec(runtime.unbroadcast, r(3, 4), r(1, 4))
spec(runtime.unbroadcast, r(2, 3), r())
spec(runtime.unbroadcast_to, r(3, 4), (1, 4))
spec(runtime.unbroadcast_to, r(2, 3), ())
spec(_adjoints.unbroadcast_to, r(3, 4), (4,))
spec(_adjoints.conform_adjoint, r(), r(3, 4))
spec(_adjoints.conform_adjoint, r(4), r(3, 4))
spec(_adjoints.conform_adjoint, r(3, 4), r(4))
spec(_adjoints.conform_adjoint, r(3, 4), r(3, 4))
spec(runtime.broadcast_like, r(1, 4), r(3, 4))
spec(runtime.unreduce, r(4), r(3, 4), 0)
spec(runtime.unreduce, r(), r(3, 4))
spec(runtime.unreduce, r(3, 1), r(3, 4), 1, True)
spec(runtime.reduce_like, r(3, 4), r(4), 0)
spec(runtime.reduce_like, r(3, 4), r(3, 1), 1, True)
spec(runtime.getitem_adjoint, r(2), r(5), slice(1, 3))
spec(runtime.getitem_adjoint, r(3), r(5), np.array([0, 2, 0]))
# scatter_add adds into its first argument in place: start from None (a new buffer)
spec(_adjoints.scatter_add, None, r(5), slice(1, 3), r(2))
spec(_adjoints.scatter_add, None, r(5), np.array([0, 2, 0]), r(3))
spec(runtime.item_adjoint, r(2), r(5), slice(1, 3))
spec(runtime.getattr_adjoint, r(2), _PAIR, "w")
spec(runtime.getattr_tangent, L((r(2), r(3)), kind=_pair), _PAIR, "b")
spec(_adjoints.item, r(5), 2)
spec(_adjoints.add_adjoints, r(3), r(3))
spec(runtime.accumulate, r(3), r(3))
spec(_adjoints.adjoint_or_zeros, r(3), r(3))
spec(runtime.matrix_transpose, r(2, 3, 4))
spec(runtime.matmul_adjoint_a, r(3, 2), r(3, 4), r(4, 2))
spec(runtime.matmul_adjoint_a, r(2), r(4), r(4, 2))
spec(runtime.matmul_adjoint_b, r(3, 2), r(3, 4), r(4, 2))
spec(runtime.matmul_adjoint_b, r(3), r(3, 4), r(4))
spec(_adjoints.unbroadcast, r(3, 4), r(4))
# lst + lst concatenates, x + lst of an array x is NumPy's sum; lst * 2 repeats, x * lst multiplies
spec(_adjoints.head, lst(F(), F(), F()), lst(F(), F()), lst(F()))
spec(_adjoints.tail, lst(F(), F(), F()), lst(F(), F()), lst(F()))
spec(_adjoints.head, r(3, 2), r(3, 2), lst(F(), F()))
spec(_adjoints.tail, r(3, 2), r(3, 2), lst(F(), F()))
spec(_adjoints.tail, r(2), lst(F(), F()), r(2))
spec(runtime.head_adjoint, lst(F(), F()), lst(F(), F(), F()), lst(F(), F()), lst(F()))
spec(runtime.tail_adjoint, lst(F()), lst(F(), F(), F()), lst(F(), F()), lst(F()))
spec(runtime.head_adjoint, r(3, 2), r(3, 2), r(3, 2), lst(F(), F()))
spec(runtime.tail_adjoint, lst(F(), F()), r(3, 2), r(3, 2), lst(F(), F()))
spec(_adjoints.times_adjoint, lst(F(), F(), F(), F()), lst(F(), F()), 2)
spec(_adjoints.times_adjoint, r(3, 2), r(3, 2), lst(F(), F()))
spec(_adjoints.times_adjoint, r(3, 2), lst(F(), F()), r(3, 2))
spec(runtime.times_adjoint_adjoint, lst(F(), F()), lst(F(), F(), F(), F()), lst(F(), F()), 2)
spec(runtime.times_adjoint_adjoint, r(3, 2), r(3, 2), r(3, 2), lst(F(), F()))
spec(runtime.times_adjoint_adjoint, lst(F(), F()), r(3, 2), lst(F(), F()), r(3, 2))
# the gradient of np.linalg.norm as a function of x and of the norm (second order through a norm)
spec(runtime.norm_gradient, r(5), pos())
spec(runtime.norm_gradient, r(3, 4), pos(), "fro")
spec(runtime.norm_gradient, nonzero(5), pos(), 3)
spec(runtime.norm_gradient, r(3, 4), pos(3), None, 1)
spec(runtime.norm_gradient, r(3, 4), pos(3, 1), 2, 1, True)
spec(runtime.zero_region, r(5), slice(1, 3))
spec(runtime.setitem_adjoint_v, r(5), r(5), slice(1, 3), r(2))
spec(runtime.setitem_adjoint_v, r(5), r(5), np.array([0, 0, 2]), r(3))
spec(runtime.setitem_tangent_v, r(2), r(5), slice(1, 3), r(2))
spec(runtime.setitem_tangent_v, r(3), r(5), np.array([0, 0, 2]), r(3))
spec(_adjoints.add_at, lst(F(), F(), F()), 1, F())
spec(runtime.prefix_adjoint, lst(F(), F(), F()), lst(F(), F()))
spec(runtime.sum_tangent, r(1, 4), r(3, 4), r(1, 4), r(3, 4))
spec(runtime.sum_tangent, lst(F()), lst(F(), F()), lst(F()), lst(F(), F(), F()))
spec(runtime.split_tangent, r(3, 4), r(1, 4), r(1, 4), False)
spec(runtime.split_tangent, lst(F(), F(), F()), lst(F()), lst(F(), F()), True)
spec(runtime.add_into, r(3, 4), r(3, 4))
spec(runtime.safe_mul, r(3, 4), r(1, 4))
# np.pad's helpers: pad_adjoint's g is shaped like the padded array
spec(runtime.pad_adjoint, r(6), r(3), (1, 2))
spec(runtime.pad_adjoint, r(4, 7), r(2, 3), ((1, 1), (2, 2)), "reflect")
spec(runtime.pad_adjoint, r(7), r(4), (2, 1), "wrap")
spec(runtime.pad_tangent, r(3), (1, 2))
spec(runtime.pad_tangent, r(4), 2, "symmetric")
spec(runtime.pad_tangent, r(2, 3), 1, "edge")
# constructors whose values come from an argument (before: declared non-differentiable)
spec(np.full, (2, 3), F())
spec(np.full, (2, 3), r(3))
spec(np.full_like, r(2, 3), F())
spec(np.full_like, r(2, 3), r(2, 1))
spec(np.linspace, F(), F(), 5)
spec(np.linspace, F(), F(), 4, False)
spec(np.linspace, r(3), F(), 5)
spec(np.linspace, r(2, 3), r(3), 4, axis=-1)
spec(np.linspace, F(), F(), 1)
spec(np.logspace, F(), F(), 5)
spec(np.logspace, r(3), F(), 4, base=2.0)
# what np.c_ makes of each part (source mode reads np.c_[a, b] as a concatenation of these)
spec(runtime.as_column, r(3))
spec(runtime.as_column, F())
spec(runtime.as_column, r(2, 3))
spec(np.ptp, r(3, 4))
spec(np.ptp, r(3, 4), 1)
spec(np.ptp, r(3, 4), 0, keepdims=True)
spec(np.nan_to_num, r(3, 4))
spec(np.take_along_axis, r(3, 4), np.array([[0, 3, 3], [1, 1, 0], [2, 0, 2]]), 1)
spec(np.take_along_axis, r(3, 4), np.array([[0, 2, 1, 0]]), 0)
spec(np.take_along_axis, r(6), np.array([5, 0, 5]), None)
spec(
    runtime.take_along_axis_adjoint,
    r(3, 3),
    r(3, 4),
    np.array([[0, 3, 3], [1, 1, 0], [2, 0, 2]]),
    1,
)


# -- complex numbers: the pairing Re(sum(u * v)), holomorphic rules as they stand -----------------

for _fn in (np.absolute, np.angle):
    spec(_fn, cnz(3, 4))
spec(np.angle, cnz(3), deg=True)
spec(np.angle, nonzero(3))
spec((np.real, np.imag, np.conjugate), c(3, 4))
spec((np.real, np.imag), r(3, 4))
for _name in ("real", "imag"):
    method(_name, c(3, 4))
for _name in ("conj", "conjugate"):
    method(_name, c(3, 4))
for _fn in (np.sin, np.exp, np.log, np.sqrt, np.square, np.tanh, np.reciprocal):
    spec(_fn, cnz(3, 4))
spec((np.multiply, np.true_divide, np.add), c(3, 1), cnz(1, 4))
spec((np.multiply, np.add), r(3, 4), c(4))  # a real operand meets a complex one
spec(np.power, cnz(3), 3.0)
spec((np.sum, np.mean), c(3, 4), axis=0)
spec((np.var, np.std), c(3, 4), axis=1)
spec((np.matmul, np.dot), c(3, 4), c(4, 2))
spec(np.dot, c(), c(3))
spec(np.vdot, c(3, 4), c(12))
spec(np.vdot, r(3), c(3))
spec(np.linalg.norm, c(5))
spec(np.linalg.norm, c(3, 4), axis=1)
spec(np.linalg.norm, cnz(5), 3)
spec(np.linalg.norm, c(3, 4), "nuc")
spec(np.linalg.inv, Wellcond(3))
spec(np.einsum, "ij,jk->ik", c(2, 3), c(3, 4))
spec(runtime.abs_adjoint, r(3, 4), cnz(3, 4))
spec(runtime.abs_adjoint, r(3, 4), nonzero(3, 4))
spec(runtime.abs_tangent, c(3, 4), cnz(3, 4))
spec(runtime.abs_tangent, r(3, 4), nonzero(3, 4))
spec((runtime.sign_adjoint, runtime.sign_tangent), r(3, 4), nonzero(3, 4))
# (of a complex x it has no derivative by x: a third derivative of abs, refused)
spec(runtime.abs_curvature, r(3, 4), nonzero(3, 4), r(3, 4))
spec(runtime.conj, c(3, 4))
spec(runtime.conj, r(3, 4))
spec(runtime.real_part, c(3, 4))
spec(runtime.require_real, r(3, 4), "f")

# -- np.fft: every transform with its lengths, axes and norms -------------------------------------

for _fn, _x in ((np.fft.fft, c), (np.fft.ifft, c), (np.fft.rfft, r)):
    spec(_fn, _x(8))
    spec(_fn, _x(7))
    spec(_fn, _x(3, 6), axis=0)
    spec(_fn, _x(3, 6), 9)
    spec(_fn, _x(3, 6), 4, axis=-1, norm="ortho")
    spec(_fn, _x(5), norm="forward")
for _n, _shape in ((None, (5,)), (8, (5,)), (7, (5,)), (3, (5,)), (11, (3, 4))):
    spec(np.fft.irfft, c(*_shape), _n)
spec(np.fft.irfft, c(4, 3), axis=0, norm="ortho")
spec(np.fft.irfft, c(5), 6, norm="forward")
spec(np.fft.fft, r(6))  # a real input to a complex transform
for _fn in (np.fft.fftn, np.fft.ifftn, np.fft.fft2, np.fft.ifft2):
    spec(_fn, c(3, 4))
    spec(_fn, c(2, 3, 4), (5, 3), axes=(0, 2), norm="ortho")
spec(np.fft.fftn, c(2, 3, 4))
spec(np.fft.fftn, c(2, 3, 4), (4, 2), axes=(1, 2))
spec((np.fft.fftshift, np.fft.ifftshift), c(5))
spec((np.fft.fftshift, np.fft.ifftshift), r(4, 5), axes=1)
spec(runtime.fft_fit, c(3, 5), np.zeros((4, 3)), (0, 1))
spec(runtime.rfft_adjoint, c(3, 4), np.zeros((3, 7)), None, 1)
spec(runtime.rfft_adjoint, c(5), np.zeros(6), 8, -1, "ortho")
spec(runtime.irfft_adjoint, r(3, 8), np.zeros((3, 5)), None, 1)
spec(runtime.irfft_adjoint, r(7), np.zeros(4), 7, -1, "forward")

# np.meshgrid(*xs) is computed as runtime.meshgrid_of(xs) (registry.defvariadic)
spec(runtime.meshgrid_of, (r(3), r(4)))
spec(runtime.meshgrid_of, (r(3), r(2, 2), r(2)), indexing="ij")
spec(runtime.meshgrid_of, (r(3), r(4)), sparse=True)
spec(runtime.meshgrid_adjoint, (r(4, 3), r(4, 3)), (r(3), r(4)))
spec(runtime.meshgrid_adjoint, (r(3, 1), r(1, 4)), (r(3), r(4)), True, "ij")
spec(runtime.meshgrid_tangent, (r(3), r(4)), (r(3), r(4)))
spec(runtime.meshgrid_tangent, (r(3), r(4)), (r(3), r(4)), True, "ij")
