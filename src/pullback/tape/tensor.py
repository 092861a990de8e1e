"""The Tensor: an array (or number) whose NumPy operations are recorded for differentiation.

In: a value (``pb.tensor(x)``, a leaf that requires a gradient; ``pb.Tensor(x)``, a constant),
or a value and the ``Node`` that made it (``ReverseTrace``, ``trace.py``, makes these).
Out: NumPy functions, ufuncs, operators, indexing and ndarray methods on Tensors give Tensors,
each call recorded by the Tensor's trace (through ``bind``; arithmetic on a tape's Tensors
through a quicker path, ``_binary``); ``y.backward()`` fills ``x.grad`` of the leaves;
conversions to Python values (``bool``, ``int``, ``float``) either decide a branch (a guard in
a graph) or are refused where they would drop a derivative.

What ``Tensor`` shares with ``Dual`` (operators, ndarray methods) is ``TracedValue``
(``traced.py``); what is its own here: the NumPy protocols, derivatives and conversions.
"""

from __future__ import annotations

import operator

import numpy as np

from ..errors import (
    MissingRuleError,
    NonDifferentiableError,
    PullbackError,
    PullbackTypeError,
    PullbackValueError,
)
from ..graph.ir import Node
from ..rules.registry import lookup, lookup_method
from .backward import backward_into_leaves
from .calls import _UFUNC_OF_OPERATOR, _differentiable_kind, _meta
from .context import _thread, _where, grad_enabled
from .trace import EAGER, ReverseTrace
from .traced import _NO_KWARGS, TracedValue, _operand, _operators, _plain, bind

__all__ = ["Tensor", "tensor"]

_FLOAT_HINT = (
    "it would drop the derivative. Keep computing with the Tensor (np.sin(t), t * 2.0 ...); "
    "inside a function differentiated with pullback, math.* functions are recorded too. "
    "To build an array from Tensors use np.stack([...]); to write into one, "
    "pullback.runtime.setitem(a, index, t). Use t.value (or pb.stop_gradient) to take the "
    "number deliberately without its derivative."
)


# -- arithmetic on a tape's Tensors: the quick path -------------------------------------------

_OPERATOR_RULES: dict = {}  # operator or ufunc -> Rule (filled on first use; None: slow path)
_NUMBER_TYPES = (float, int)


def _operator_rule(fn):
    try:
        return _OPERATOR_RULES[fn]
    except KeyError:
        rule = lookup(fn)
        if rule is None and fn in _UFUNC_OF_OPERATOR:
            rule = lookup(_UFUNC_OF_OPERATOR[fn])
        if rule is not None:
            _OPERATOR_RULES[fn] = rule
        return rule


def _binary(fn, a, b):
    """``fn(a, b)`` for an operator: a quick path for a tape's Tensors and Python numbers."""
    ta = type(a)
    tb = type(b)
    if ta is list or ta is tuple or tb is list or tb is tuple:
        a, b = _operand(a), _operand(b)
        ta, tb = type(a), type(b)
    if ta is Tensor:
        trace = a.traced_by
        va, na = a.value, a.node
        if tb is Tensor:
            if b.traced_by is not trace:
                return bind(fn, (a, b))
            vb, nb = b.value, b.node
        elif tb is float or tb is int or tb is np.ndarray:
            vb, nb = b, None
        else:
            return bind(fn, (a, b))
    elif (ta is float or ta is int or ta is np.ndarray) and type(b) is Tensor:
        trace = b.traced_by
        va, na = a, None
        vb, nb = b.value, b.node
    else:
        return bind(fn, (a, b))
    if (
        trace.replayable
        or type(va) not in _NUMBER_TYPES
        and isinstance(va, TracedValue)
        or type(vb) not in _NUMBER_TYPES
        and isinstance(vb, TracedValue)
        or getattr(_thread, "no_grad", 0)
    ):
        return trace.process(fn, (a, b), _NO_KWARGS)
    ans = fn(va, vb)
    if na is None and nb is None:
        return ans
    rule = _operator_rule(fn)
    if rule is None:
        return trace.process(fn, (a, b), _NO_KWARGS)
    return trace.quick_record(fn, rule, (va if na is None else na, vb if nb is None else nb), ans)


def _unary(fn, a):
    """``fn(a)`` for a one-argument ufunc or operator on a tape's Tensor: the quick path."""
    trace = a.traced_by
    va = a.value
    node = a.node
    if (
        node is None
        or trace.replayable
        or type(va) is not float
        and isinstance(va, TracedValue)
        or getattr(_thread, "no_grad", 0)
    ):
        return trace.process(fn, (a,), _NO_KWARGS)
    rule = _operator_rule(fn)
    if rule is None:
        return trace.process(fn, (a,), _NO_KWARGS)
    return trace.quick_record(fn, rule, (node,), fn(va))


def _quick_operator(op):
    """``__op__`` and ``__rop__`` methods through ``_binary``'s quick path for a tape's Tensors."""
    return _operators(op, _binary)


# -- Tensor -----------------------------------------------------------------------------------


class Tensor(TracedValue):
    """An array (or number) whose NumPy operations are recorded for differentiation.

    >>> import numpy as np, pullback as pb
    >>> x = pb.tensor(2.0, requires_grad=True)
    >>> y = np.sin(x) * x
    >>> y.backward()
    >>> round(x.grad, 6)  # sin(2) + 2 cos(2)
    0.077004
    """

    __slots__ = ("value", "node", "traced_by", "_leaf")

    def __init__(self, value, node: Node | None = None, trace: ReverseTrace = EAGER):
        self.value = value
        self.node = node
        self.traced_by = trace
        self._leaf = None

    # -- NumPy protocols ---------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        out = kwargs.get("out")
        if out is not None:
            return _into_plain_array(ufunc, method, inputs, kwargs)
        if not kwargs and method == "__call__":
            if len(inputs) == 1:
                return _unary(ufunc, self)
            if len(inputs) == 2:
                return _binary(ufunc, *inputs)
        if method != "__call__":
            if any(isinstance(x, Tensor) and x.carries_derivative for x in inputs):
                filename, lineno = _where(self.traced_by)
                raise MissingRuleError(
                    f"numpy.{ufunc.__name__}.{method}",
                    filename=filename,
                    lineno=lineno,
                    hint="use the function form (np.sum, np.cumsum, np.prod ...), which has a rule",
                )
            return getattr(ufunc, method)(*(_plain(x) for x in inputs), **kwargs)
        return bind(ufunc, inputs, kwargs)

    def __array__(self, dtype=None, copy=None):
        if self.carries_derivative:
            raise NonDifferentiableError(
                f"cannot convert a Tensor that carries a derivative to a NumPy array: {_FLOAT_HINT}"
            )
        # (a plain array indexed by a traced index, a[i]: a graph's replay must check i)
        return np.asarray(self.traced_by.guard(self, _plain, "array"), dtype=dtype)

    # -- derivatives -----------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self.node is not None and not self.node.nondiff

    @property
    def carries_derivative(self) -> bool:
        node = self.node
        return node is not None and not node.nondiff and grad_enabled()

    @property
    def grad(self):
        """The gradient ``backward`` accumulated into this leaf (None before)."""
        return self._leaf.grad if self._leaf is not None else None

    @grad.setter
    def grad(self, value) -> None:
        if self._leaf is None:
            raise PullbackError("only leaf Tensors (made with pb.tensor) hold a .grad")
        self._leaf.grad = value

    # -- the tape --------------------------------------------------------------------------
    def backward(self, gradient=None) -> None:
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` of every leaf this Tensor depends on.

        ``gradient`` (the cotangent) defaults to 1.0 for a scalar.
        """
        if self.node is None or self.node.nondiff:
            raise PullbackError("backward() on a Tensor that does not depend on any leaf")
        if gradient is None:
            if np.ndim(self.value) != 0:
                raise PullbackTypeError(
                    f"backward() without a gradient needs a scalar, got shape {self.shape}; "
                    "pass the cotangent: t.backward(np.ones(t.shape))"
                )
            gradient = 1.0
        elif isinstance(gradient, (str, bytes)) or not isinstance(
            gradient, (int, float, complex, np.number, np.ndarray)
        ):
            raise PullbackTypeError(
                f"backward(gradient) takes a number or an array shaped like the Tensor "
                f"{self.shape}, got {type(gradient).__name__} {gradient!r:.40}"
            )
        elif np.shape(gradient) != tuple(self.shape):
            raise PullbackValueError(
                f"backward(gradient): the gradient has shape {np.shape(gradient)} but the Tensor "
                f"has shape {self.shape}; pass a gradient of the Tensor's shape"
            )
        backward_into_leaves(self.node, gradient)

    def detach(self) -> Tensor:
        """This value as a constant Tensor: no derivative flows through it."""
        return Tensor(self.value, None, self.traced_by)

    def numpy(self):
        """The value as a plain ndarray or number (no derivative)."""
        return _plain(self.value)

    def item(self, *index):
        """The value as a number. Inside a transformation it keeps its derivative, as source
        mode does (a traced scalar); on a ``pb.tensor`` outside one it is a plain Python
        number, deliberately without its derivative (``loss.item()``)."""
        if self.carries_derivative and self.traced_by is not EAGER:
            fn, args, kwargs = lookup_method("item").adapt(self, *index)
            return bind(fn, tuple(args), dict(kwargs))
        value = _plain(self.traced_by.guard(self, _plain, "array"))
        return value.item(*index) if hasattr(value, "item") else value

    def tolist(self):
        """``ndarray.tolist``: inside a transformation, nested lists of traced numbers that
        keep their derivatives; otherwise plain numbers (``item``)."""
        if self.carries_derivative and self.traced_by is not EAGER:
            return super().tolist()
        value = _plain(self.traced_by.guard(self, _plain, "array"))
        return value.tolist() if hasattr(value, "tolist") else value

    # -- conversions: branch decisions are fine, dropping a derivative is not --------------
    def __bool__(self) -> bool:
        return self.traced_by.guard(self, bool, "bool")

    def __int__(self) -> int:
        return self.traced_by.guard(self, int, "int")

    def __index__(self) -> int:
        return self.traced_by.guard(self, operator.index, "index")

    def __round__(self, ndigits=None):
        if ndigits is not None:  # np.round keeps the value an array: zero derivative
            return np.round(self, ndigits)
        return self.traced_by.guard(self, _round_value, "round")

    def __float__(self) -> float:
        if self.carries_derivative:
            raise NonDifferentiableError(f"float() of a Tensor: {_FLOAT_HINT}")
        return self.traced_by.guard(self, float, "float")

    def __complex__(self) -> complex:
        if self.carries_derivative:
            raise NonDifferentiableError(f"complex() of a Tensor: {_FLOAT_HINT}")
        return complex(_plain(self.value))

    def __repr__(self) -> str:
        what = ""
        if self.node is not None and not self.node.nondiff:
            what = (
                ", requires_grad=True" if self.node.op == "input" else f", grad_fn={self.node.op}"
            )
        return self._text(f"Tensor({_plain(self.value)!r}{what})")

    def _repr_pretty_(self, p, cycle: bool) -> None:
        from ..display import pretty_text

        pretty_text(str.__str__(repr(self)), p)

    def _repr_html_(self) -> str:
        """Its type, whether it is a leaf or what made it, its entries and its ``.grad``."""
        from ..display import value_html

        node = self.node
        if node is None or node.nondiff:
            tags = ["constant"]
        elif node.op == "input":
            tags = ["requires_grad"]
        else:
            tags = [f"grad_fn={node.op}"]
        parts = [] if self.grad is None else [("grad", _plain(self.grad))]
        return value_html("Tensor", _plain(self.value), tags, parts)

    # -- index assignment --------------------------------------------------------------------
    def __setitem__(self, index, value) -> None:
        from .. import runtime

        setitem = getattr(runtime, "setitem", None)
        if setitem is None:
            raise PullbackError(
                "index assignment into a Tensor needs pullback.runtime.setitem, which this "
                "version lacks; build the array with np.stack / np.concatenate instead"
            )
        node = self.node
        if node is not None and node.fn is operator.getitem and _is_basic_index(node.args[1]):
            raise PullbackError(
                "assignment into a slice of a Tensor: NumPy would write through to the array it "
                "was sliced from, which pullback's functional update cannot do; assign into the "
                "original instead (t[i, j] = v rather than row = t[i]; row[j] = v)"
            )
        new = bind(setitem, (self, index, value))
        if type(new) is Tensor:
            self.value, self.node, self.traced_by = new.value, new.node, new.traced_by
        else:
            self.value, self.node = new, None

    # -- operators: arithmetic takes the quick path ----------------------------------------
    __add__, __radd__ = _quick_operator(operator.add)
    __sub__, __rsub__ = _quick_operator(operator.sub)
    __mul__, __rmul__ = _quick_operator(operator.mul)
    __truediv__, __rtruediv__ = _quick_operator(operator.truediv)
    __pow__, __rpow__ = _quick_operator(operator.pow)
    __matmul__, __rmatmul__ = _quick_operator(operator.matmul)

    def __neg__(self):
        return _unary(operator.neg, self)

    # In-place operators rebind the name to a new Tensor (x += y is x = x + y), except that
    # under no_grad a leaf is updated in place, as in an optimizer step.
    def _inplace(self, fn, other):
        if self._leaf is not None and not grad_enabled():
            self.value = fn(self.value, _plain_operand(other))
            self._leaf.value = self.value
            return self
        return bind(fn, (self, other))

    def __iadd__(self, other):
        return self._inplace(operator.add, other)

    def __isub__(self, other):
        return self._inplace(operator.sub, other)

    def __imul__(self, other):
        return self._inplace(operator.mul, other)

    def __itruediv__(self, other):
        return self._inplace(operator.truediv, other)


ReverseTrace.tensor_type = Tensor  # what a reverse trace makes (see ReverseTrace)


def tensor(value, requires_grad: bool = True) -> Tensor:
    """A leaf Tensor; after ``y.backward()`` its ``.grad`` holds dy/d(leaf).

    >>> import pullback as pb
    >>> x = pb.tensor(3.0)
    >>> (x * x).backward(); x.grad
    6.0
    """
    if isinstance(value, Tensor):
        value = value.value
    if isinstance(value, (list, tuple)):
        value = np.asarray(value, dtype=float)
    if not requires_grad:
        return Tensor(value, None, EAGER)
    kind = _meta(value)[2]
    if not _differentiable_kind(kind):
        raise PullbackTypeError(
            f"only floating-point values can require a gradient, got {value!r}; "
            "pass a float (3.0) or an array of floats (.astype(float))"
        )
    return EAGER.input(value)


def _plain_operand(x):
    return x.value if type(x) is Tensor else x


def _is_basic_index(index) -> bool:
    parts = index if type(index) is tuple else (index,)
    return any(p is Ellipsis or p is None or type(p) is slice for p in parts) and not any(
        isinstance(p, (list, np.ndarray, Node)) for p in parts
    )


def _into_plain_array(ufunc, method, inputs, kwargs):
    """``a += t`` on a plain ndarray ``a``: refused when ``t`` carries a derivative."""
    for x in inputs:
        if isinstance(x, Tensor) and x.carries_derivative:
            raise NonDifferentiableError(
                f"writing a Tensor into a plain NumPy array (numpy.{ufunc.__name__} with out=) "
                f"would drop its derivative; write `a = a + t` instead of `a += t`, or use "
                f"np.stack / pullback.runtime.setitem"
            )
    plain_inputs = tuple(_plain(x) for x in inputs)
    out = kwargs["out"]
    kwargs = dict(kwargs, out=tuple(_plain(o) for o in out))
    result = getattr(ufunc, method)(*plain_inputs, **kwargs)
    return out[0] if len(out) == 1 and isinstance(out[0], Tensor) else result


def _round_value(value):
    """``round`` of a traced value's number: an int, as Python's round of a float gives."""
    return round(value.item() if isinstance(value, np.generic | np.ndarray) else value)
