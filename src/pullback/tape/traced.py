"""Traced values and the one way a primitive runs on them, ``bind``.

In: a primitive call ``bind(fn, args, kwargs)``: a NumPy function or ufunc, an operator, a
``math`` function or a registered Python function (``Primitive``), whose arguments may hold
traced values: ``Tensor`` (reverse mode: tape and graph; ``tensor.py``) or ``Dual`` (forward
mode; ``dual.py``).
Out: the primitive's value, from the trace that handles the call: wrapped so its derivative
can be found later (``ReverseTrace.process``, ``trace.py``, records a node;
``ForwardTrace.process`` pushes a tangent on), or plain where no argument is traced. And
``TracedValue``, what Tensor and Dual share: NumPy functions, indexing, ndarray methods and
Python operators on them are calls of ``bind``.

Traces nest (grad of grad, forward over reverse). Every traced value belongs to a trace with a
level; the newest (highest) trace among a call's arguments handles the call and sees values of
older traces as constants, which the primitive's own call then hands down to their traces.

``bind`` finds the traces through ``TracedValue`` and ``TracedValue`` calls ``bind``, so the
two live here together, with the plain-value helpers (``_plain``, ``is_traced``).
"""

from __future__ import annotations

import operator
import sys
from collections.abc import Callable

import numpy as np

from ..rules.registry import lookup_method
from ..rules.substitutes import variadic
from .context import _LIBRARY_DIRS, _USER_LEVEL_FILES
from .text import traced_text

__all__ = [
    "TracedValue",
    "bind",
    "primitive",
    "Primitive",
    "GraphPrimitive",
    "is_traced",
]

_NO_KWARGS: dict = {}


# -- the one way a primitive runs -------------------------------------------------------------


def _top_trace(x, best):
    """The highest-level trace among the traced values in ``x`` (nested containers too)."""
    t = type(x)
    if t is tuple or t is list:
        for v in x:
            best = _top_trace(v, best)
        return best
    if t is dict:
        for v in x.values():
            best = _top_trace(v, best)
        return best
    if isinstance(x, TracedValue):  # a Tensor or a Dual
        trace = x.traced_by
        return trace if best is None or trace.level > best.level else best
    return best


def bind(fn: Callable, args: tuple, kwargs: dict = _NO_KWARGS):
    """Run primitive ``fn``; if traced values are among the arguments, the newest trace records
    (or differentiates) the call."""
    trace = _top_trace(args, None)
    if kwargs:
        trace = _top_trace(kwargs, trace)
    if trace is None:
        if isinstance(fn, Primitive):
            return fn.impl(*args, **kwargs)
        return fn(*args, **kwargs)
    if fn is item:  # a replayed projection: its tuple is already a tuple of traced leaves
        return item(*args)
    if isinstance(fn, GraphPrimitive) and not getattr(trace, "replayable", False):
        return fn.impl(*args, **kwargs)
    computed = variadic(fn) if not isinstance(fn, np.ufunc) else None
    if computed is not None:  # np.meshgrid(*xs): recorded as one call of a function of xs
        return trace.process(computed[0], (tuple(args),) if computed[1] else args, kwargs)
    return trace.process(fn, args, kwargs)


class Primitive:
    """A Python function that tracing treats as one primitive (one node), like a NumPy call.

    Called on plain values it runs; called on traced values, it is recorded or
    differentiated through its rule in the rule table (``registry.defrule(the_primitive, ...)``).
    """

    def __init__(self, impl: Callable, name: str | None = None):
        self.impl = impl
        self.__name__ = name or impl.__name__
        self.__qualname__ = self.__name__
        self.__module__ = impl.__module__
        self.__doc__ = impl.__doc__
        self.__wrapped__ = impl

    def __call__(self, *args, **kwargs):
        return bind(self, args, kwargs)

    def __repr__(self) -> str:
        return f"<primitive {self.__module__}.{self.__name__}>"


class GraphPrimitive(Primitive):
    """A primitive only in a replayable graph (one node there; a rule is optional: without
    one, a backward sweep that reaches it raises MissingRuleError). Everywhere else its
    implementation runs on the traced values themselves, as ordinary Python would."""


def primitive(impl: Callable) -> Primitive:
    """Decorator: make ``impl`` a primitive (see ``Primitive``)."""
    return Primitive(impl)


def item(value, k):
    """Leaf ``k`` (in pytree order) of a primitive's tuple, list or dict result."""
    if isinstance(value, (tuple, list, dict)):
        from ..pytree import flatten

        return flatten(value)[0][k]
    return value[k]


class _ItemRule:
    """Marks projection nodes; the backward sweep routes their adjoints to the parent."""

    name = "pullback.item"
    diff_params = ()


ITEM_RULE = _ItemRule()


# -- what traced values share -----------------------------------------------------------------

_NUMBER_CLASSES = (float, int, complex, bool)


def _operand(x):
    """An operator's operand as NumPy takes it beside a traced array: a list or tuple holding
    traced values is one array of them (``x * [t, u]``), stacked on the tape; one of plain
    numbers is a plain array (``[0.5, 1.0] / x``: a rule's derivative reads it so)."""
    if type(x) is list or type(x) is tuple:
        if _holds_traced(x):
            return bind(np.stack, ([_operand(v) for v in x],))
        return np.asarray(x)
    return x


def _holds_traced(x) -> bool:
    if isinstance(x, TracedValue):
        return True
    return (type(x) is list or type(x) is tuple) and any(_holds_traced(v) for v in x)


TRACED = object()  # _with_sequence's answer where the traced operation is what runs


def _plain_tree(x):
    if type(x) is list or type(x) is tuple:
        return type(x)(_plain_tree(v) for v in x)
    return _plain(x)


def _with_sequence(op, traced, other, reflected: bool):
    """Python's own answer to ``traced <op> other`` (``other <op> traced`` where
    ``reflected``) with a list or tuple ``other``, where ``traced`` stands for a number:
    ``0.5 + [1.0]`` and ``np.float64(2.0) * [1.0]`` raise TypeError as they do in a plain
    call (a traced value must not become a 0-d array that broadcasts), ``2 * [t]`` repeats;
    ``TRACED`` where the operation is NumPy's, to be traced (``np.float64(2.0) + [t]``)."""
    if type(other) is not list and type(other) is not tuple:
        return TRACED
    plain = _plain(traced.value)
    if type(plain) in _NUMBER_CLASSES:
        return op(other, plain) if reflected else op(plain, other)
    if isinstance(plain, np.generic):  # raises where the plain call raises; else traced below
        probe = _plain_tree(other)
        op(probe, plain) if reflected else op(plain, probe)
    return TRACED


def _operators(op, run):
    """``__op__`` and ``__rop__`` methods: Python's own answer where the operand is a list or
    tuple and Python decides (``_with_sequence``), else ``run(op, left, right)``."""

    def method(self, other):
        if type(other) is list or type(other) is tuple:
            answer = _with_sequence(op, self, other, False)
            if answer is not TRACED:
                return answer
        return run(op, self, other)

    def reflected(self, other):
        if type(other) is list or type(other) is tuple:
            answer = _with_sequence(op, self, other, True)
            if answer is not TRACED:
                return answer
        return run(op, other, self)

    return method, reflected


def _bind_operands(op, a, b):
    return bind(op, (_operand(a), _operand(b)))


def _bound_operator(op):
    """``__op__`` and ``__rop__`` methods: ``self <op> other`` and ``other <op> self`` as one
    primitive call each, through ``bind``."""
    return _operators(op, _bind_operands)


class TracedValue:
    """What ``Tensor`` and ``Dual`` (``dual.py``) share: NumPy functions, indexing, ndarray
    methods and Python operators on them are primitive calls through ``bind``.

    A subclass keeps the value it stands for (itself traced by an older trace, perhaps) in
    ``value`` and its trace in ``traced_by`` (not ``trace``: that name is ``ndarray.trace``, a
    method every ndarray method name must stay free for); ``Tensor`` takes a quicker path for
    arithmetic.
    """

    __slots__ = ()
    __array_priority__ = 1000.0

    @property
    def __class__(self):
        """To the user's code, the type of the value a traced value stands for (float,
        np.float64, np.ndarray ...), so ``isinstance(x, float)`` and ``isinstance(x,
        np.ndarray)`` answer as they do in a plain call and in source mode. ``type(x)`` still
        says what it is, and so does this to pullback's and NumPy's own code, which must tell
        a traced value from a plain one."""
        value = _plain(self.value)
        kind = type(value)
        if kind in _NUMBER_CLASSES or kind is np.ndarray or isinstance(value, np.generic):
            filename = sys._getframe(1).f_code.co_filename
            if not filename.startswith(_LIBRARY_DIRS) or filename in _USER_LEVEL_FILES:
                return kind
        return type(self)

    def tolist(self):
        """``ndarray.tolist``: nested lists of traced numbers, each keeping its derivative."""
        if self.ndim == 0:
            return self.item()
        return [part.tolist() for part in self]

    def __array_function__(self, func, types, args, kwargs):
        static = _STATIC_FUNCTIONS.get(func)
        if static is not None:
            return static(*args, **kwargs)
        return bind(func, args, kwargs)

    # -- shape and type ------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return getattr(self.value, "shape", ())

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=int))

    @property
    def dtype(self):
        dtype = getattr(self.value, "dtype", None)
        return np.result_type(self.value) if dtype is None else dtype

    def __len__(self) -> int:
        return len(self.value)

    def __iter__(self):
        for i in range(len(self.value)):
            yield self[i]

    # -- text: the value's, marked where it carries a derivative (see ``text``) -----------
    def __format__(self, spec: str) -> str:
        return self._text(format(_plain(self.value), spec))

    def __str__(self) -> str:
        return self._text(str(_plain(self.value)))

    def _text(self, text: str) -> str:
        return traced_text(text) if self.carries_derivative else text

    # -- indexing and methods of ndarray, through the rule table --------------------------
    def __getitem__(self, index):
        return bind(operator.getitem, (self, index))

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        method = lookup_method(name)
        if method is not None:
            if method.attribute:
                fn, args, kwargs = method.adapt(self)
                return bind(fn, tuple(args), dict(kwargs))

            def call_method(*args, **kwargs):
                fn, args, kwargs = method.adapt(self, *args, **kwargs)
                return bind(fn, tuple(args), dict(kwargs))

            call_method.__name__ = name
            return call_method
        fallback = _METHOD_FALLBACKS.get(name)
        if fallback is not None:
            return fallback(self)
        if hasattr(np.ndarray, name):
            raise AttributeError(
                f"Tensor has no method {name!r}: ndarray.{name} has no rule in the rule table "
                f"(pb.supported_functions() lists those that do); call t.value.{name}(...) to "
                "use it without a derivative"
            )
        raise AttributeError(f"'Tensor' object has no attribute {name!r}")

    # -- operators -----------------------------------------------------------------------
    __add__, __radd__ = _bound_operator(operator.add)
    __sub__, __rsub__ = _bound_operator(operator.sub)
    __mul__, __rmul__ = _bound_operator(operator.mul)
    __truediv__, __rtruediv__ = _bound_operator(operator.truediv)
    __floordiv__, __rfloordiv__ = _bound_operator(operator.floordiv)
    __mod__, __rmod__ = _bound_operator(operator.mod)
    __pow__, __rpow__ = _bound_operator(operator.pow)
    __matmul__, __rmatmul__ = _bound_operator(operator.matmul)

    def __neg__(self):
        return bind(operator.neg, (self,))

    def __pos__(self):
        return self

    # logic on boolean arrays (~np.isnan(t), m1 & m2): no derivative, but no error either
    __and__, __rand__ = _bound_operator(operator.and_)
    __or__, __ror__ = _bound_operator(operator.or_)
    __xor__, __rxor__ = _bound_operator(operator.xor)

    def __invert__(self):
        return bind(operator.invert, (self,))

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

    __hash__ = object.__hash__


# -- plain values -----------------------------------------------------------------------------


def _plain(value):
    """Strip every level of tracing from a value (for printing, .numpy(), .item())."""
    while isinstance(value, TracedValue):
        value = value.value
    return value


def is_traced(x) -> bool:
    """Whether ``x`` is a traced value (a Tensor or a Dual)."""
    return isinstance(x, TracedValue)


def _one_level_down(a):
    """The value a traced value stands for (traced itself by an older trace, perhaps)."""
    return a.value if isinstance(a, TracedValue) else a


# -- NumPy functions and ndarray methods answered without a rule of their own -----------------

# NumPy functions that read only a shape or a dtype: answered without recording anything
_STATIC_FUNCTIONS = {
    np.shape: lambda a: np.shape(_one_level_down(a)),
    np.ndim: lambda a: np.ndim(_one_level_down(a)),
    np.size: lambda a, axis=None: np.size(_one_level_down(a), axis),
    np.iscomplexobj: lambda x: np.iscomplexobj(_plain(x)),
    np.isrealobj: lambda x: np.isrealobj(_plain(x)),
    np.result_type: lambda *xs: np.result_type(*(_plain(x) for x in xs)),
}


def _numpy_method(name):
    fn = getattr(np, name)

    def method_of(t):
        def call_method(*args, **kwargs):
            return bind(fn, (t, *args), kwargs)

        call_method.__name__ = name
        return call_method

    return method_of


# Used while the rule table registers no method of that name: x.sum(...) is np.sum(x, ...).
_METHOD_FALLBACKS = {
    name: _numpy_method(name)
    for name in (
        "sum", "mean", "prod", "max", "min", "std", "var", "cumsum", "cumprod", "clip",
        "dot", "transpose", "reshape", "ravel", "squeeze", "round", "trace", "diagonal",
        "repeat", "conj", "argmax", "argmin", "all", "any", "nonzero", "sort", "argsort",
    )
}  # fmt: skip
_METHOD_FALLBACKS["T"] = lambda t: bind(np.transpose, (t,))
_METHOD_FALLBACKS["flatten"] = lambda t: lambda order="C": bind(np.ravel, (t,)).copy()
_METHOD_FALLBACKS["copy"] = lambda t: lambda order="C": bind(np.copy, (t,))
_METHOD_FALLBACKS["real"] = lambda t: bind(np.real, (t,))
_METHOD_FALLBACKS["imag"] = lambda t: bind(np.imag, (t,))
_METHOD_FALLBACKS["astype"] = lambda t: lambda dtype, **kw: bind(np.asarray, (t, dtype))
