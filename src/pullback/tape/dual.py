"""Forward mode by dual numbers: a value carrying its tangent, like ForwardDiff.jl.

In: primitive calls (through ``bind``, ``traced.py``) on ``Dual`` values.
Out: Duals whose tangent is the sum of the rule's per-argument JVPs (``Rule.jvp_fn``).

The rules are plain NumPy code, so they run on Duals too: run a tape's backward sweep on Dual
values and you get forward over reverse (Hessian-vector products, ``pb.hessian``).
"""

from __future__ import annotations

import operator
from collections.abc import Callable

import numpy as np

from ..errors import MissingRuleError, NonDifferentiableError
from ..rules.registry import add_tangents, is_nondiff, lookup
from ..runtime.structures import rebuild
from .calls import _NONDIFF_OPERATORS, _UFUNC_OF_OPERATOR, _meta, _op_name
from .context import _levels, _where
from .namespace import dispatching_rule_fn
from .text import traced_text
from .traced import _NO_KWARGS, TracedValue, _plain, bind, is_traced

__all__ = ["Dual", "ForwardTrace"]


class ForwardTrace:
    """Pushes tangents forward through each primitive call on its Duals."""

    __slots__ = ("level", "location", "__weakref__")

    def __init__(self):
        self.level = next(_levels)
        self.location = None

    def dual(self, primal, tangent) -> Dual:
        return Dual(primal, tangent, self)

    def constant(self, array: np.ndarray, every_dtype: bool = True):
        """A new plain float ``array`` as a constant Dual of this trace: its tangent is None, a
        symbolic zero, so that no rule is asked for the derivative in it (``gammainc``'s shape
        parameter has none); other dtypes stay plain. What is computed from constants alone
        is a constant again, so ``y = np.zeros(3); y[0] = x`` assigns functionally."""
        if array.dtype.kind not in "fc":
            return array
        return Dual(array, None, self)

    def process(self, fn: Callable, args: tuple, kwargs: dict):
        flags = [False, False, False]  # [has a tangent, older traced values remain, a constant]
        pairs = [self._unwrap(a, flags) for a in args]  # None: no tangent (no work at all)
        primal_args = tuple(p[0] for p in pairs)
        tangent_args = tuple(p[1] for p in pairs)
        if kwargs:
            primal_kwargs, _ = self._unwrap(kwargs, flags)
        else:
            primal_kwargs = _NO_KWARGS
        has_tangent, older, _ = flags
        call = bind if older else _call
        if not has_tangent:
            ans = call(fn, primal_args, primal_kwargs)
            return self.constant(ans) if flags[2] and type(ans) is np.ndarray else ans
        rule = lookup(fn)
        if rule is None and fn in _UFUNC_OF_OPERATOR:
            rule = lookup(_UFUNC_OF_OPERATOR[fn])
        if rule is None:
            if is_nondiff(fn) or fn in _NONDIFF_OPERATORS:
                return call(fn, primal_args, primal_kwargs)
            filename, lineno = _where(self)
            raise MissingRuleError(_op_name(fn), filename=filename, lineno=lineno)
        rule.check_arity(len(primal_args), primal_kwargs)
        if rule.writes_out(primal_args):
            raise NonDifferentiableError(
                f"{rule.name} with an out argument writes into an array in place, where its "
                "derivative cannot follow; assign the result instead"
            )
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
            if older or is_traced(t):
                jvp_fn = dispatching_rule_fn(jvp_fn)
            term = jvp_fn(t, ans, *primal_args, **primal_kwargs)
            if term is not None:
                tangent = term if tangent is None else add_tangents(tangent, term)
        return self._wrap(ans, tangent)

    def _wrap(self, ans, tangent):
        if tangent is None:
            return ans
        if isinstance(ans, (tuple, list)):
            wrapped = [self._wrap(a, t) for a, t in zip(ans, tangent, strict=True)]
            return rebuild(ans, wrapped)  # NumPy's namedtuple results (SlogdetResult) too
        kind = _meta(ans)[2]
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
            if x.traced_by is self:
                flags[0 if x.tangent is not None else 2] = True
                if isinstance(x.primal, TracedValue):
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
        if isinstance(x, tuple) and hasattr(t, "_fields"):  # a named tuple: entry by entry
            pairs = [self._unwrap(v, flags) for v in x]
            if all(p[1] is None for p in pairs):
                return t(*(p[0] for p in pairs)), None
            return t(*(p[0] for p in pairs)), t(*(p[1] for p in pairs))
        if isinstance(x, TracedValue):
            flags[1] = True
        return x, None

    def guard(self, dual: Dual, convert: Callable, what: str):
        return convert(dual.primal)


def _call(fn, args, kwargs):
    return fn(*args, **kwargs)


def _zero(primal):
    """A zero tangent for ``primal``: an array, a number, or a list read as an array."""
    shape = np.shape(primal) if type(primal) in (list, tuple) else getattr(primal, "shape", ())
    return 0.0 if shape == () else np.zeros(shape)


def _tangent_of_kwarg(value, trace):
    """The tangent a keyword argument carries: a Dual's, or a tuple or list of them (``args=``
    of ``odeint``), zeros standing for the entries without one; None where there is none."""
    if type(value) is Dual and value.traced_by is trace:
        return value.tangent
    if type(value) in (tuple, list) and value:
        entries = [_tangent_of_kwarg(v, trace) for v in value]
        if all(t is None for t in entries):
            return None
        primals = [v.primal if type(v) is Dual else v for v in value]
        pairs = zip(primals, entries, strict=True)
        return type(value)(_zero(p) if t is None else t for p, t in pairs)
    return None


class Dual(TracedValue):
    """A value with a tangent: ``Dual(x, x_dot)``; NumPy functions on it push the tangent on.

    Operators, indexing and ndarray methods come from ``TracedValue``.
    """

    __slots__ = ("primal", "tangent", "traced_by")

    def __init__(self, primal, tangent, trace: ForwardTrace):
        self.primal = primal
        self.tangent = tangent
        self.traced_by = trace

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
        if self.tangent is None and not isinstance(self.primal, TracedValue):
            # a constant (an array made inside the run, read by a primitive's callback): no
            # tangent to drop
            return np.asarray(self.primal, dtype=dtype)
        raise NonDifferentiableError(
            "cannot convert a dual number to a NumPy array: it would drop its tangent; use "
            "np.stack([...]) to build arrays of them"
        )

    @property
    def value(self):
        return self.primal

    def __setitem__(self, index, value) -> None:
        """``d[i] = v``: a functional update (the user's array is never written to)."""
        from ..runtime import setitem

        new = bind(setitem, (self, index, value))
        if type(new) is Dual:
            self.primal, self.tangent, self.traced_by = new.primal, new.tangent, new.traced_by
        else:  # v constant over a constant: a constant still
            self.primal, self.tangent = new, None

    @property
    def T(self):
        return bind(np.transpose, (self,))

    # -- conversions: branch decisions take the primal, dropping the tangent is refused -----
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

    # -- text: the primal's, marked as traced (see ``text``) ---------------------------------
    def __repr__(self) -> str:
        return traced_text(f"Dual({_plain(self.primal)!r}, {_plain(self.tangent)!r})")

    def __str__(self) -> str:
        return traced_text(str(_plain(self.primal)))

    def __format__(self, spec: str) -> str:
        return traced_text(format(_plain(self.primal), spec))

    # -- ndarray methods that differ from the rule table's ---------------------------------
    def reshape(self, *shape, **kwargs):
        if len(shape) == 1 and not isinstance(shape[0], int):
            shape = shape[0]
        return bind(np.reshape, (self, shape), kwargs)

    def copy(self):
        # a new Dual, not self: ``y = x.copy(); y[0] = v`` rebinds y's fields, never x's
        return Dual(self.primal, self.tangent, self.traced_by)

    def astype(self, dtype, **kwargs):
        return Dual(self.primal, self.tangent, self.traced_by)
