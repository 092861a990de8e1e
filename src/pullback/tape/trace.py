"""The recording trace: reverse mode's primitive calls become ``Node``s of the Graph IR.

In: a primitive call that ``bind`` (``traced.py``) hands to the newest trace among its
arguments, when that is a ``ReverseTrace``; its arguments hold this trace's ``Tensor``s
(``tensor.py``), plain values, and values of older traces.
Out: the call's value as a ``Tensor`` whose ``Node`` (``graph/ir.py``) records the call, its
rule, and the user's source line; ``nodes``, the record in execution order (the tape, or a
graph); and ``EAGER``, the trace of Tensors made by ``pb.tensor`` outside any transformation.

The two kinds of reverse trace differ in what they keep:

- tape (``replayable=False``): only calls that carry a derivative are recorded; everything
  else (comparisons, ``argmax``, constants) returns plain values;
- graph (``replayable=True``): every call that reads a traced value is recorded, so the graph
  can be replayed on new inputs; conversions to Python values (``bool(t)``, ``int(t)``) become
  guard nodes (``guards.py``) that check, on replay, that control flow takes the traced path.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from ..errors import MissingRuleError, NonDifferentiableError, PullbackError
from ..finite import ON as _CHECKS
from ..finite import check_recorded
from ..graph.ir import Node
from ..rules.registry import is_nondiff, lookup
from .calls import (
    _DTYPE_NAMES,
    _NONDIFF_OPERATORS,
    _UFUNC_OF_OPERATOR,
    _differentiable_kind,
    _meta,
    _op_name,
)
from .context import _levels, _thread, _user_frame, _where
from .guards import GUARDS
from .traced import (
    _NO_KWARGS,
    ITEM_RULE,
    GraphPrimitive,
    Primitive,
    TracedValue,
    _top_trace,
    bind,
    is_traced,
    item,
)

__all__ = ["ReverseTrace", "EAGER"]


class ReverseTrace:
    """Records primitive calls on its Tensors into Nodes (a tape, or a replayable graph)."""

    __slots__ = ("level", "nodes", "ids", "replayable", "location", "__weakref__")

    # The class of the Tensors it makes and recognizes: ``tensor.Tensor``, set there when that
    # module loads (``tensor.py`` builds on this module, so this one cannot import it).
    tensor_type: type

    def __init__(self, replayable: bool = False, keep: bool = True, first_id: int = 0):
        self.level = next(_levels)
        self.nodes: list[Node] | None = [] if keep else None
        self.ids = itertools.count(first_id)
        self.replayable = replayable
        self.location: tuple | None = None  # overrides the call site (gradient graphs)

    # -- inputs ------------------------------------------------------------------------------
    def input(self, value, name: str | None = None, diff: bool = True) -> TracedValue:
        """A new leaf Tensor of this trace: a graph input."""
        shape, dtype, kind = _meta(value)
        node = Node(next(self.ids), "input", None, shape=shape, dtype=dtype, name=name)
        node.value = value
        node.nondiff = not (diff and _differentiable_kind(kind))
        if self.nodes is not None:
            self.nodes.append(node)
        t = self.tensor_type(value, node, self)
        t._leaf = node
        return t

    def constant(self, array, every_dtype: bool = True):
        """A new plain ``array`` as a constant Tensor of this trace (of a float or complex
        dtype only, unless ``every_dtype``)."""
        if every_dtype or array.dtype.kind in "fc":
            return self.tensor_type(array, None, self)
        return array

    def wrap(self, node: Node, value=None) -> TracedValue:
        """A Tensor of this trace standing for an existing node (gradient graphs reuse them)."""
        return self.tensor_type(node.value if value is None else value, node, self)

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
            rule.check_arity(len(args), raw_kwargs)
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
        return self.tensor_type(ans, node, self)

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
        return self.tensor_type(ans, node, self)

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
            out.append(self.tensor_type(leaf, part, self))
        return unflatten(tree, out)

    def _unwrap(self, x, flags):
        """(raw value, record) of an argument: this trace's Tensors become values and Nodes."""
        t = type(x)
        if t is self.tensor_type:
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
        if isinstance(x, tuple) and hasattr(t, "_fields"):  # a named tuple (a rule's output
            # handed to its VJP): its values as the same type, its record as a plain tuple
            pairs = [self._unwrap(v, flags) for v in x]
            return t(*(p[0] for p in pairs)), tuple(p[1] for p in pairs)
        if t is slice:
            if is_traced(x.start) or is_traced(x.stop) or is_traced(x.step):
                flags[2] = True  # Python converts them with __index__ (a guard in graph mode)
            return x, x
        if is_traced(x):
            flags[2] = True
        return x, x

    # -- conversions to Python values ----------------------------------------------------------
    def guard(self, tensor: TracedValue, convert: Callable, what: str):
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
