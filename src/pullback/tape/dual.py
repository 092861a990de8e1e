"""Forward mode by dual numbers: a value carrying its tangent, like ForwardDiff.jl.

In: primitive calls (through ``core.bind``) on ``Dual`` values.
Out: Duals whose tangent is the sum of the rule's per-argument JVPs (``Rule.jvp_fn``).

The rules are plain NumPy code, so they run on Duals too: run a tape's backward sweep on Dual
values and you get forward over reverse (Hessian-vector products, ``pb.hessian``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from ..errors import MissingRuleError, NonDifferentiableError
from ..rules.registry import is_nondiff, lookup
from . import core
from .core import _NO_KWARGS, _UFUNC_OF_OPERATOR, _op_name, _plain, _where, bind
from .namespace import dispatching_rule_fn

__all__ = ["Dual", "ForwardTrace"]


class ForwardTrace:
    """Pushes tangents forward through each primitive call on its Duals."""

    __slots__ = ("level", "location", "__weakref__")

    def __init__(self):
        self.level = next(core._levels)
        self.location = None

    def dual(self, primal, tangent) -> Dual:
        return Dual(primal, tangent, self)

    def process(self, fn: Callable, args: tuple, kwargs: dict):
        flags = [False, False]  # [has a tangent, older traced values remain]
        pairs = [self._unwrap(a, flags) for a in args]  # None: no tangent (no work at all)
        primal_args = tuple(p[0] for p in pairs)
        tangent_args = tuple(p[1] for p in pairs)
        if kwargs:
            primal_kwargs, _ = self._unwrap(kwargs, flags)
        else:
            primal_kwargs = _NO_KWARGS
        has_tangent, older = flags
        call = bind if older else _call
        if not has_tangent:
            return call(fn, primal_args, primal_kwargs)
        rule = lookup(fn)
        if rule is None and fn in _UFUNC_OF_OPERATOR:
            rule = lookup(_UFUNC_OF_OPERATOR[fn])
        if rule is None:
            if is_nondiff(fn) or fn in core._NONDIFF_OPERATORS:
                return call(fn, primal_args, primal_kwargs)
            filename, lineno = _where(self)
            raise MissingRuleError(_op_name(fn), filename=filename, lineno=lineno)
        ans = call(fn, primal_args, primal_kwargs)
        tangent = None
        params = rule.params
        for i, name in enumerate(rule.diff_params):
            position = params.index(name) if name in params else len(params)
            if position < len(tangent_args):
                t = tangent_args[position]
            else:
                t = _tangent_of_kwarg(kwargs.get(name), self)
            if t is None:
                continue
            jvp_fn = rule.jvp_fn(i)
            if older or core.is_traced(t):
                jvp_fn = dispatching_rule_fn(jvp_fn)
            term = jvp_fn(t, ans, *primal_args, **primal_kwargs)
            if term is not None:
                tangent = term if tangent is None else tangent + term
        return self._wrap(ans, tangent)

    def _wrap(self, ans, tangent):
        if tangent is None:
            return ans
        if isinstance(ans, (tuple, list)):
            return type(ans)(self._wrap(a, t) for a, t in zip(ans, tangent, strict=True))
        kind = core._meta(ans)[2]
        if kind not in "fc":
            return ans
        shape = getattr(ans, "shape", ())
        if getattr(tangent, "shape", ()) != shape:  # a tangent that broadcasts: make it whole
            tangent = np.broadcast_to(tangent, shape) + np.zeros(shape)
        return Dual(ans, tangent, self)

    def _unwrap(self, x, flags):
        """(primals, tangents) of an argument; tangents are None where zero."""
        t = type(x)
        if t is Dual:
            if x.trace is self:
                flags[0] = True
                if isinstance(x.primal, core._TRACED_TYPES):
                    flags[1] = True
                return x.primal, x.tangent
            flags[1] = True
            return x, None
        if t is tuple or t is list:
            if not x:
                return x, None
            pairs = [self._unwrap(v, flags) for v in x]
            primals = t(p[0] for p in pairs)
            if all(p[1] is None for p in pairs):
                return primals, None
            return primals, t(p[1] if p[1] is not None else _zero(p[0]) for p in pairs)
        if t is dict:
            pairs = {k: self._unwrap(v, flags) for k, v in x.items()}
            return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
        if core._is_traced(x):
            flags[1] = True
        return x, None

    def guard(self, dual: Dual, convert: Callable, what: str):
        return convert(dual.primal)


def _call(fn, args, kwargs):
    return fn(*args, **kwargs)


def _zero(primal):
    return 0.0 if getattr(primal, "shape", ()) == () else np.zeros(primal.shape)


def _tangent_of_kwarg(value, trace):
    if type(value) is Dual and value.trace is trace:
        return value.tangent
    return None


class Dual:
    """A value with a tangent: ``Dual(x, x_dot)``; NumPy functions on it push the tangent on."""

    __slots__ = ("primal", "tangent", "trace")
    __array_priority__ = 1000.0

    def __init__(self, primal, tangent, trace: ForwardTrace):
        self.primal = primal
        self.tangent = tangent
        self.trace = trace

    # -- NumPy protocols ---------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if kwargs.get("out") is not None:
            raise NonDifferentiableError(
                f"writing a dual number into a plain NumPy array (numpy.{ufunc.__name__} with "
                "out=) would drop its tangent; write `a = a + d` instead of `a += d`"
            )
        if method != "__call__":
            return getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)
        return bind(ufunc, inputs, kwargs)

    def __array__(self, dtype=None, copy=None):
        raise NonDifferentiableError(
            "cannot convert a dual number to a NumPy array: it would drop its tangent; use "
            "np.stack([...]) to build arrays of them"
        )

    def __array_function__(self, func, types, args, kwargs):
        static = _STATIC.get(func)
        if static is not None:
            return static(*args, **kwargs)
        return bind(func, args, kwargs)

    # -- shape and type ----------------------------------------------------------------------
    @property
    def value(self):
        return self.primal

    @property
    def shape(self) -> tuple:
        return getattr(self.primal, "shape", ())

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    @property
    def dtype(self):
        dtype = getattr(self.primal, "dtype", None)
        return np.result_type(self.primal) if dtype is None else dtype

    @property
    def T(self):
        return bind(np.transpose, (self,))

    def __len__(self) -> int:
        return len(self.primal)

    def __iter__(self):
        for i in range(len(self.primal)):
            yield self[i]

    def __bool__(self) -> bool:
        return bool(self.primal)

    def __int__(self) -> int:
        return int(self.primal)

    def __index__(self) -> int:
        return operator.index(self.primal)

    def __round__(self, ndigits=None):
        return round(self.primal, ndigits) if ndigits is not None else round(self.primal)

    def __float__(self) -> float:
        raise NonDifferentiableError(
            "float() of a dual number would drop its tangent; keep computing with it "
            "(np.sin(d), d * 2.0 ...)"
        )

    def __repr__(self) -> str:
        return f"Dual({self.primal!r}, {self.tangent!r})"

    def __format__(self, spec: str) -> str:
        return format(_plain(self.primal), spec)

    __hash__ = object.__hash__

    def __getitem__(self, index):
        return bind(operator.getitem, (self, index))

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        return core.Tensor.__getattr__(self, name)  # the same method table

    def reshape(self, *shape, **kwargs):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return bind(np.reshape, (self, shape), kwargs)

    def copy(self):
        return self

    def astype(self, dtype, **kwargs):
        return self

    def __add__(self, other):
        return bind(operator.add, (self, other))

    def __radd__(self, other):
        return bind(operator.add, (other, self))

    def __sub__(self, other):
        return bind(operator.sub, (self, other))

    def __rsub__(self, other):
        return bind(operator.sub, (other, self))

    def __mul__(self, other):
        return bind(operator.mul, (self, other))

    def __rmul__(self, other):
        return bind(operator.mul, (other, self))

    def __truediv__(self, other):
        return bind(operator.truediv, (self, other))

    def __rtruediv__(self, other):
        return bind(operator.truediv, (other, self))

    def __floordiv__(self, other):
        return bind(operator.floordiv, (self, other))

    def __rfloordiv__(self, other):
        return bind(operator.floordiv, (other, self))

    def __mod__(self, other):
        return bind(operator.mod, (self, other))

    def __rmod__(self, other):
        return bind(operator.mod, (other, self))

    def __pow__(self, other):
        return bind(operator.pow, (self, other))

    def __rpow__(self, other):
        return bind(operator.pow, (other, self))

    def __matmul__(self, other):
        return bind(operator.matmul, (self, other))

    def __rmatmul__(self, other):
        return bind(operator.matmul, (other, self))

    def __neg__(self):
        return bind(operator.neg, (self,))

    def __pos__(self):
        return self

    def __abs__(self):
        return bind(operator.abs, (self,))

    def __lt__(self, other):
        return bind(operator.lt, (self, other))

    def __le__(self, other):
        return bind(operator.le, (self, other))

    def __gt__(self, other):
        return bind(operator.gt, (self, other))

    def __ge__(self, other):
        return bind(operator.ge, (self, other))

    def __eq__(self, other):
        return bind(operator.eq, (self, other))

    def __ne__(self, other):
        return bind(operator.ne, (self, other))


def _primal_of(a):
    return a.primal if type(a) is Dual else a


_STATIC = {
    np.shape: lambda a: np.shape(_primal_of(a)),
    np.ndim: lambda a: np.ndim(_primal_of(a)),
    np.size: lambda a, axis=None: np.size(_primal_of(a), axis),
    np.iscomplexobj: lambda x: np.iscomplexobj(_plain(x)),
    np.isrealobj: lambda x: np.isrealobj(_plain(x)),
    np.result_type: lambda *xs: np.result_type(*(_plain(x) for x in xs)),
}

core._register_traced_type(Dual)
