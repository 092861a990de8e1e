"""Traced values and the one way a primitive runs on them.

In: a primitive call ``bind(fn, args, kwargs)``: a NumPy function or ufunc, an operator, a
``math`` function or a registered Python function, whose arguments may hold traced values:
``Tensor`` (reverse mode: tape and graph) or ``Dual`` (forward mode, ``dual.py``).
Out: the primitive's value, wrapped so its derivative can be found later: a ``Tensor`` whose
``Node`` (``graph/ir.py``) records the call and the user's source line, or a ``Dual`` whose
tangent the rule's JVP computed.

Traces nest (grad of grad, forward over reverse). Every traced value belongs to a trace with a
level; the newest (highest) trace among a call's arguments handles the call and sees values of
older traces as constants, which the primitive's own call then hands down to their traces.

The two kinds of reverse trace differ in what they keep:

- tape (``replayable=False``): only calls that carry a derivative are recorded; everything
  else (comparisons, ``argmax``, constants) returns plain values;
- graph (``replayable=True``): every call that reads a traced value is recorded, so the graph
  can be replayed on new inputs; conversions to Python values (``bool(t)``, ``int(t)``) become
  guard nodes that check, on replay, that control flow takes the traced path.
"""

from __future__ import annotations

import builtins
import itertools
import operator
import os
import sys
import threading
from collections.abc import Callable

import numpy as np

from ..errors import (
    MissingRuleError,
    NonDifferentiableError,
    PathChangedError,
    PullbackError,
    PullbackTypeError,
    PullbackValueError,
)
from ..finite import ON as _CHECKS
from ..finite import check_recorded
from ..graph.ir import Node
from ..rules.registry import is_nondiff, lookup, lookup_method, qualified_name
from .text import traced_text

__all__ = [
    "Tensor",
    "TracedValue",
    "ReverseTrace",
    "EAGER",
    "bind",
    "primitive",
    "Primitive",
    "GraphPrimitive",
    "no_grad",
    "grad_enabled",
    "tensor",
    "is_traced",
]

_levels = itertools.count(1)  # next() is atomic: traces made later get higher levels
_thread = threading.local()
_NO_KWARGS: dict = {}

_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
_NUMPY_DIR = os.path.dirname(os.path.abspath(np.__file__)) + os.sep
_LIBRARY_DIRS = (_PACKAGE_DIR, _NUMPY_DIR)
# pullback modules that hold user-level code (the demo's example), not library machinery
_USER_LEVEL_FILES = frozenset({os.path.join(_PACKAGE_DIR, "demo.py")})


# -- per-thread state -------------------------------------------------------------------------


class tracing:
    """Context manager: ``trace`` is the innermost transformation running on this thread
    (array creation inside it, ``np.zeros(3)``, makes constant Tensors of it)."""

    def __init__(self, trace):
        self.trace = trace

    def __enter__(self):
        stack = getattr(_thread, "traces", None)
        if stack is None:
            stack = _thread.traces = []
        stack.append(self.trace)
        return self.trace

    def __exit__(self, *exc):
        _thread.traces.pop()
        return False


def current_trace():
    """The innermost trace made current with ``tracing`` on this thread, or None."""
    stack = getattr(_thread, "traces", None)
    return stack[-1] if stack else None


def grad_enabled() -> bool:
    return not getattr(_thread, "no_grad", 0)


class no_grad:
    """Context manager: operations inside record nothing (``with pb.no_grad(): w -= lr * g``).

    In-place updates of a leaf (``w -= ...``) change its value; other results are plain values.
    """

    def __enter__(self):
        _thread.no_grad = getattr(_thread, "no_grad", 0) + 1
        return self

    def __exit__(self, *exc):
        _thread.no_grad -= 1
        return False


# -- where a call came from -------------------------------------------------------------------


def _user_frame():
    """The innermost frame outside pullback and NumPy: the user's call site."""
    frame = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_LIBRARY_DIRS) or filename in _USER_LEVEL_FILES:
            break
        frame = frame.f_back
    return frame


def _where(trace) -> tuple[str | None, int | None]:
    if trace.location is not None:
        return trace.location
    frame = _user_frame()
    if frame is None:
        return None, None
    return frame.f_code.co_filename, frame.f_lineno


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


# -- traces -----------------------------------------------------------------------------------


class ReverseTrace:
    """Records primitive calls on its Tensors into Nodes (a tape, or a replayable graph)."""

    __slots__ = ("level", "nodes", "ids", "replayable", "location", "__weakref__")

    def __init__(self, replayable: bool = False, keep: bool = True, first_id: int = 0):
        self.level = next(_levels)
        self.nodes: list[Node] | None = [] if keep else None
        self.ids = itertools.count(first_id)
        self.replayable = replayable
        self.location: tuple | None = None  # overrides the call site (gradient graphs)

    # -- inputs ------------------------------------------------------------------------------
    def input(self, value, name: str | None = None, diff: bool = True) -> Tensor:
        """A new leaf Tensor of this trace: a graph input."""
        shape, dtype, kind = _meta(value)
        node = Node(next(self.ids), "input", None, shape=shape, dtype=dtype, name=name)
        node.value = value
        node.nondiff = not (diff and _differentiable_kind(kind))
        if self.nodes is not None:
            self.nodes.append(node)
        t = Tensor(value, node, self)
        t._leaf = node
        return t

    def wrap(self, node: Node, value=None) -> Tensor:
        """A Tensor of this trace standing for an existing node (gradient graphs reuse them)."""
        return Tensor(node.value if value is None else value, node, self)

    # -- one primitive call --------------------------------------------------------------------
    def process(self, fn: Callable, args: tuple, kwargs: dict):
        flags = [False, False, False]  # [carries a derivative, reads a node, older traced]
        raw_args, rec_args = self._unwrap(args, flags)
        if kwargs:
            raw_kwargs, rec_kwargs = self._unwrap(kwargs, flags)
        else:
            raw_kwargs = rec_kwargs = _NO_KWARGS
        carries, reads_node, older = flags
        if carries and getattr(_thread, "no_grad", 0):
            carries = reads_node = False
        rule = lookup(fn)
        if rule is None and fn in _UFUNC_OF_OPERATOR:
            rule = lookup(_UFUNC_OF_OPERATOR[fn])
        nondiff = rule is None
        if carries and rule is not None and rule.positional is not None:
            rule.check_arity(len(args))
            if rule.writes_out(args):
                raise NonDifferentiableError(
                    f"{rule.name} with an out argument writes into an array in place, where its "
                    "derivative cannot follow; assign the result instead"
                )
        if nondiff and carries and not is_nondiff(fn) and fn not in _NONDIFF_OPERATORS:
            if not isinstance(fn, GraphPrimitive):
                filename, lineno = _where(self)
                raise MissingRuleError(_op_name(fn), filename=filename, lineno=lineno)
            nondiff = False  # recorded whole; a backward sweep reaching it will say so
        if older:  # values of older traces remain: their traces take the call in turn
            ans = bind(fn, raw_args, raw_kwargs)
        else:
            ans = fn(*raw_args, **raw_kwargs)
        if isinstance(fn, Primitive) and _top_trace(ans, None) is self:
            raise PullbackError(
                f"{_op_name(fn)} computed with a traced value it was not given as an argument "
                "(a closure over a traced variable?); pass every traced value it uses through "
                "its arguments (the loop variables of pb.while_loop, the operands of pb.cond)"
            )
        if not (carries or (reads_node and self.replayable)):
            return ans
        if not carries or nondiff:
            if not self.replayable:
                return ans
            nondiff = True
        return self._record(fn, rule, rec_args, rec_kwargs, ans, nondiff)

    def quick_record(self, fn, rule, rec_args, ans):
        """Record a differentiable call whose arguments were unwrapped by a quick path."""
        t = type(ans)
        if t is float:
            shape, dtype = (), "float64"
        else:
            dtype = getattr(ans, "dtype", None)
            if dtype is None or dtype.kind not in "fc" or isinstance(ans, tuple):
                return self._record(fn, rule, rec_args, _NO_KWARGS, ans, False)
            shape = ans.shape
            dtype = _DTYPE_NAMES.get(dtype) or _DTYPE_NAMES.setdefault(dtype, str(dtype))
        frame = _user_frame() if self.location is None else None
        if frame is None:
            filename, lineno = self.location or (None, None)
        else:
            filename, lineno = frame.f_code.co_filename, frame.f_lineno
        node = Node(
            next(self.ids), _op_name(fn), fn, rec_args, _NO_KWARGS, shape, dtype, filename, lineno
        )
        node.value = ans
        node.rule = rule
        if self.nodes is not None:
            self.nodes.append(node)
        if _CHECKS[0] and not self.location:  # pb.debug_nans(), check_finite (forward sweep)
            check_recorded(node)
        return Tensor(ans, node, self)

    def _record(self, fn, rule, rec_args, rec_kwargs, ans, nondiff):
        filename, lineno = _where(self)
        if isinstance(ans, (tuple, list, dict)):
            return self._record_many(fn, rule, rec_args, rec_kwargs, ans, nondiff, filename, lineno)
        shape, dtype, kind = _meta(ans)
        if kind == "O" and not nondiff:
            raise NonDifferentiableError(
                f"{_op_name(fn)} on a value that carries a derivative gave an array of Python "
                "objects; its derivative would be lost. Keep arrays in a float dtype "
                "(.astype(np.float64))",
                filename=filename,
                lineno=lineno,
            )
        if not _differentiable_kind(kind):
            if not self.replayable:
                return ans
            nondiff = True
        node = Node(
            next(self.ids), _op_name(fn), fn, rec_args, rec_kwargs, shape, dtype, filename, lineno
        )
        node.value = ans
        node.rule = rule
        node.nondiff = nondiff
        if self.nodes is not None:
            self.nodes.append(node)
        if _CHECKS[0] and not nondiff and not self.location:  # the forward sweep's checks
            check_recorded(node)
        return Tensor(ans, node, self)

    def _record_many(self, fn, rule, rec_args, rec_kwargs, ans, nondiff, filename, lineno):
        """A primitive returning a tuple, list or dict: one projection node per leaf."""
        from ..pytree import flatten, unflatten

        leaves, tree = flatten(ans)
        node = Node(
            next(self.ids), _op_name(fn), fn, rec_args, rec_kwargs, (), "tuple", filename, lineno
        )
        node.value = ans
        node.rule = rule
        node.nondiff = nondiff
        if self.nodes is not None:
            self.nodes.append(node)
        if _CHECKS[0] and not nondiff and not self.location:  # the forward sweep's checks
            check_recorded(node)
        out = []
        for k, leaf in enumerate(leaves):
            shape, dtype, kind = _meta(leaf)
            leaf_nondiff = nondiff or not _differentiable_kind(kind)
            if leaf_nondiff and not self.replayable:
                out.append(leaf)
                continue
            part = Node(
                next(self.ids),
                "pullback.item",
                item,
                (node, k),
                _NO_KWARGS,
                shape,
                dtype,
                filename,
                lineno,
            )
            part.value = leaf
            part.rule = ITEM_RULE
            part.nondiff = leaf_nondiff
            if self.nodes is not None:
                self.nodes.append(part)
            out.append(Tensor(leaf, part, self))
        return unflatten(tree, out)

    def _unwrap(self, x, flags):
        """(raw value, record) of an argument: this trace's Tensors become values and Nodes."""
        t = type(x)
        if t is Tensor:
            if x.traced_by is self:
                node = x.node
                value = x.value
                if type(value) is not float and isinstance(value, TracedValue):
                    flags[2] = True  # the value belongs to an older trace
                if node is None:
                    return value, value
                flags[1] = True
                if not node.nondiff:
                    flags[0] = True
                return value, node
            flags[2] = True
            return x, x
        if t is tuple or t is list:
            if not x:
                return x, x
            pairs = [self._unwrap(v, flags) for v in x]
            return t(p[0] for p in pairs), t(p[1] for p in pairs)
        if t is dict:
            pairs = {k: self._unwrap(v, flags) for k, v in x.items()}
            return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
        if t is slice:
            if is_traced(x.start) or is_traced(x.stop) or is_traced(x.step):
                flags[2] = True  # Python converts them with __index__ (a guard in graph mode)
            return x, x
        if is_traced(x):
            flags[2] = True
        return x, x

    # -- conversions to Python values ----------------------------------------------------------
    def guard(self, tensor: Tensor, convert: Callable, what: str):
        """``convert(value)``; in a replayable trace, a guard node checks it on replay."""
        result = convert(tensor.value)
        if self.replayable and tensor.node is not None:
            filename, lineno = _where(self)
            node = Node(
                next(self.ids),
                "pullback.guard",
                GUARDS[what],
                (tensor.node, result),
                _NO_KWARGS,
                (),
                "bool",
                filename,
                lineno,
            )
            node.nondiff = True
            if self.nodes is not None:
                self.nodes.append(node)
        return result


# The trace of Tensors made by pb.tensor outside any transformation: it keeps no node list
# (nodes live as long as the Tensors that reach them) and is shared read-only by all threads.
EAGER = ReverseTrace(replayable=False, keep=False)
EAGER.level = 0


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


def _round_value(value):
    """``round`` of a traced value's number: an int, as Python's round of a float gives."""
    return round(value.item() if isinstance(value, np.generic | np.ndarray) else value)


GUARDS = {
    "bool": _guard_bool,
    "int": _guard_int,
    "index": _guard_index,
    "float": _guard_float,
    "round": _guard_round,
    "array": _guard_array,
}


# -- dispatch ---------------------------------------------------------------------------------

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


def _top_trace(x, best):
    """The highest-level trace among the traced values in ``x`` (nested containers too)."""
    t = type(x)
    if t is Tensor:
        trace = x.traced_by
        if best is None or trace.level > best.level:
            return trace
        return best
    if t is tuple or t is list:
        for v in x:
            best = _top_trace(v, best)
        return best
    if t is dict:
        for v in x.values():
            best = _top_trace(v, best)
        return best
    if isinstance(x, TracedValue):  # a Dual
        trace = x.traced_by
        return trace if best is None or trace.level > best.level else best
    return best


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


def _operand(x):
    """An operator's operand as NumPy takes it: a list or tuple holding traced values is one
    array of them (``x * [t, u]``, or a list argument read as an array), stacked on the tape."""
    if (type(x) is list or type(x) is tuple) and _holds_traced(x):
        return bind(np.stack, ([_operand(v) for v in x],))
    return x


def _holds_traced(x) -> bool:
    if isinstance(x, TracedValue):
        return True
    return (type(x) is list or type(x) is tuple) and any(_holds_traced(v) for v in x)


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


# -- Tensor -----------------------------------------------------------------------------------

_NUMBER_CLASSES = (float, int, complex, bool)

_FLOAT_HINT = (
    "it would drop the derivative. Keep computing with the Tensor (np.sin(t), t * 2.0 ...); "
    "inside a function differentiated with pullback, math.* functions are recorded too. "
    "To build an array from Tensors use np.stack([...]); to write into one, "
    "pullback.runtime.setitem(a, index, t). Use t.value (or pb.stop_gradient) to take the "
    "number deliberately without its derivative."
)


def _number_with_sequence(traced, other) -> bool:
    """Whether ``traced <op> other`` is a Python number's operator with a list or tuple, which
    Python itself answers (``0.5 + [1.0]`` raises TypeError; NumPy would broadcast)."""
    return (type(other) is list or type(other) is tuple) and type(
        _plain(traced.value)
    ) in _NUMBER_CLASSES


def _bound_operator(op):
    """``__op__`` and ``__rop__`` methods: ``self <op> other`` and ``other <op> self`` as one
    primitive call each, through ``bind``."""

    def method(self, other):
        if _number_with_sequence(self, other):
            return op(_plain(self.value), other)
        return bind(op, (self, _operand(other)))

    def reflected(self, other):
        if _number_with_sequence(self, other):
            return op(other, _plain(self.value))
        return bind(op, (_operand(other), self))

    return method, reflected


def _quick_operator(op):
    """``__op__`` and ``__rop__`` methods through ``_binary``'s quick path for a tape's Tensors."""

    def method(self, other):
        if _number_with_sequence(self, other):
            return op(_plain(self.value), other)
        return _binary(op, self, other)

    def reflected(self, other):
        if _number_with_sequence(self, other):
            return op(other, _plain(self.value))
        return _binary(op, other, self)

    return method, reflected


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
        """To the user's code, the number's type where a traced value stands for a number
        (float, np.float64 ...), so ``isinstance(x, float)`` answers as it does in a plain call
        and in source mode. ``type(x)`` still says what it is, and so does this to pullback's
        and NumPy's own code, which must tell a traced number from a plain one."""
        value = _plain(self.value)
        kind = type(value)
        if kind in _NUMBER_CLASSES or isinstance(value, np.generic):
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
        from .backward import backward_into_leaves

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


def _plain(value):
    """Strip every level of tracing from a value (for printing, .numpy(), .item())."""
    while isinstance(value, TracedValue):
        value = value.value
    return value


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


def _one_level_down(a):
    """The value a traced value stands for (traced itself by an older trace, perhaps)."""
    return a.value if isinstance(a, TracedValue) else a


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


def is_traced(x) -> bool:
    """Whether ``x`` is a traced value (a Tensor or a Dual)."""
    return isinstance(x, TracedValue)
