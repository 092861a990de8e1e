"""The backward sweep: adjoints flow from outputs to inputs through the rules' VJPs.

In: the nodes of a record in topological order, the outputs' cotangents (seeds), and how to
read a node's value (its recorded value in tape mode; a traced Tensor while a gradient graph
is built).
Out: a dict from node to adjoint, holding every input the outputs depend on.

The sweep is iterative, so a chain of any length works, and sums the adjoints of a node used
many times before passing them on. ``None`` is a symbolic zero: no adjoint, no work.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import MissingRuleError, NonDifferentiableError, PullbackError
from ..finite import ON as _CHECKS
from ..finite import check_adjoint
from ..finite import enabled as checking
from ..graph.ir import Node, map_nodes, node_inputs
from ..locate import annotate_node
from ..runtime import safe_mul, unbroadcast
from .namespace import dispatching_rule_fn
from .traced import ITEM_RULE, GraphPrimitive, bind, is_traced

__all__ = ["topological_order", "sweep", "backward_into_leaves"]


def _parents(node: Node) -> list[Node]:
    if node.kwargs:
        return node_inputs(node)
    out = []
    for a in node.args:
        t = type(a)
        if t is Node:
            out.append(a)
        elif t is tuple or t is list or t is dict:
            return node_inputs(node)
    return out


def topological_order(roots: list[Node]) -> list[Node]:
    """Every node the roots depend on, each after the nodes it reads (depth first, no recursion)."""
    order: list[Node] = []
    seen: set[int] = set()
    stack: list[tuple[Node, bool]] = [(r, False) for r in reversed(roots)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        for parent in _parents(node):
            if id(parent) not in seen:
                stack.append((parent, False))
    return order


class _Parts(dict):
    """Adjoints of some leaves of a primitive's tuple result, by leaf index."""


_SLOTS: dict[int, tuple] = {}


def _diff_slots(rule) -> tuple:
    """((i, position, name) for each differentiable parameter of ``rule``)."""
    slots = _SLOTS.get(id(rule))
    if slots is None:
        params = rule.params
        slots = tuple(
            (i, params.index(name) if name in params else len(params) + 10**6, name)
            for i, name in enumerate(rule.diff_params)
        )
        _SLOTS[id(rule)] = slots
    return slots


_PARTIALS: dict = {}


def _partial(rule, i: int):
    key = (id(rule), i)
    p = _PARTIALS.get(key)
    if p is None:
        p = _PARTIALS[key] = (rule.partial_fn(i), getattr(rule, "uses_ans", False))
    return p


def _elementwise_vjp(rule, i: int, position: int, g, ans, args):
    """``safe_mul(g, partial)``, summed down to the argument's shape only where it was broadcast.

    The same value as ``rule.vjp_fn(i)``, without its shape bookkeeping on scalars. On traced
    values (a second order) the partial runs with a dispatching namespace, as a general rule's
    VJP does, so that the runtime helpers it calls (``digamma``) record their own rules.
    """
    partial, uses_ans = _partial(rule, i)
    if is_traced(ans) or any(is_traced(a) for a in args):
        partial = dispatching_rule_fn(partial)
    d = partial(*args, ans=ans) if uses_ans else partial(*args)
    if type(d) is float or type(d) is int:
        adjoint = g * d
    elif is_traced(g) or is_traced(d):  # a gradient graph, a second order: one safe_mul node
        adjoint = bind(safe_mul, (g, d))
    else:
        adjoint = safe_mul(g, d)
    target = args[position]
    if type(adjoint) is float and type(target) is float:
        return adjoint
    if getattr(adjoint, "shape", ()) == getattr(target, "shape", ()):
        return adjoint
    return unbroadcast(adjoint, target)


def _has_node(x) -> bool:
    t = type(x)
    if t is Node:
        return not x.nondiff
    if t is tuple or t is list:
        return any(_has_node(v) for v in x)
    if t is dict:
        return any(_has_node(v) for v in x.values())
    return False


def _accumulate(grads: dict, node: Node, g) -> None:
    if g is None or node.nondiff:
        return
    old = grads.get(node)
    grads[node] = g if old is None else old + g


def _distribute(record, adjoint, grads: dict) -> None:
    """Give each Node inside an argument (possibly a list of them) its part of ``adjoint``."""
    if adjoint is None:
        return
    t = type(record)
    if t is Node:
        _accumulate(grads, record, adjoint)
    elif t is tuple or t is list:
        for r, a in zip(record, adjoint, strict=False):
            _distribute(r, a, grads)
    elif t is dict:
        for k, r in record.items():
            _distribute(r, adjoint[k], grads)


def _zero_like(x):
    shape = np.shape(x) if not hasattr(x, "shape") else x.shape
    return 0.0 if shape == () else np.zeros(shape)


def _assemble(node: Node, parts: _Parts):
    """The adjoint of a tuple-valued node from its leaves' adjoints (None where none).

    None, the symbolic zero, is what source mode passes for an unused leaf, so a rule sees the
    same cotangent in every mode (``eigh_adjoint`` skips the eigenvector term on it).
    """
    from ..pytree import flatten, unflatten

    leaves, tree = flatten(node.value)
    return unflatten(tree, [parts.get(k) for k in range(len(leaves))])


def _recorded_value(node: Node):
    return node.value


def sweep(
    order: list[Node],
    seeds: list[tuple[Node, Any]],
    value_of: Callable[[Node], Any] = _recorded_value,
    trace=None,
) -> dict[Node, Any]:
    """Adjoints of the inputs among ``order`` given the outputs' cotangents ``seeds``.

    ``trace``, when given, has its ``location`` set to each node's source line while that
    node's VJP runs, so the nodes a gradient graph records point at the line they differentiate.
    Each node recorded meanwhile gets that node's id as its ``forward``.
    """
    grads: dict[Node, Any] = {}
    for node, cotangent in seeds:
        if node is not None:
            _accumulate(grads, node, cotangent)
    recorded = value_of is _recorded_value
    traced_values = not recorded
    node = None
    checks = _CHECKS[0] and checking()  # pb.debug_nans(), check_finite
    try:
        for node in reversed(order):
            if node.op == "input" or node.nondiff:
                continue
            g = grads.pop(node, None)
            if g is None:
                continue
            rule = node.rule
            if rule is None:
                raise MissingRuleError(node.op, filename=node.filename, lineno=node.lineno)
            if rule is ITEM_RULE:
                parent, k = node.args
                parts = grads.get(parent)
                if parts is None:
                    parts = grads[parent] = _Parts()
                parts[k] = g if parts.get(k) is None else parts[k] + g
                continue
            if type(g) is _Parts:
                g = _assemble(node, g)
            if trace is not None:
                trace.location = (node.filename, node.lineno)
                first = len(trace.nodes) if trace.nodes is not None else 0
            if recorded:
                args = _values(node.args)
                kwargs = map_nodes(node.kwargs, _recorded_value) if node.kwargs else node.kwargs
                ans = node.value
            else:
                args = map_nodes(node.args, value_of)
                kwargs = map_nodes(node.kwargs, value_of) if node.kwargs else node.kwargs
                ans = value_of(node)
            node_args = node.args
            elementwise = rule.kind == "elementwise" and not kwargs
            for i, position, name in _diff_slots(rule):
                record = node_args[position] if position < len(node_args) else node.kwargs.get(name)
                if not _has_node(record):
                    continue
                if elementwise:
                    adjoint = _elementwise_vjp(rule, i, position, g, ans, args)
                elif traced_values or is_traced(ans) or is_traced(g):
                    adjoint = _traced_vjp(trace, rule, i, g, ans, args, kwargs)
                else:
                    adjoint = rule.vjp_fn(i)(g, ans, *args, **kwargs)
                if checks:
                    check_adjoint(adjoint, node, position, g, args)
                if (
                    trace is not None
                    and type(adjoint) is trace.tensor_type
                    and adjoint.node is not None
                ):
                    adjoint.node.adjoint = True  # what a check of the gradient graph checks
                _distribute(record, adjoint, grads)
            if trace is not None and trace.nodes is not None:
                for made in trace.nodes[first:]:  # the viewer links them to their forward node
                    made.forward = node.id
    except BaseException as error:  # name the user line that recorded the failing node
        if node is not None:
            annotate_node(error, node, "backward", "tape" if trace is None else "graph")
        raise
    if trace is not None:
        trace.location = None
    return grads


def _refused(error: BaseException) -> bool:
    """Whether ``error`` is (or was caused by) a traced value refusing to become an ndarray."""
    while error is not None:
        if isinstance(error, (NonDifferentiableError, MissingRuleError)):
            return True
        error = error.__cause__ or error.__context__
    return False


class OpaqueVJP(GraphPrimitive):
    """One argument's VJP of a rule recorded whole in a gradient graph: used where the rule's
    helpers cannot run on traced values (they write into a NumPy array in place)."""

    def __init__(self, rule, i: int):
        super().__init__(rule.vjp_fn(i), name=f"{rule.name}[{rule.diff_params[i]}]")
        self.__module__ = "vjp"


_OPAQUE: dict = {}


def _traced_vjp(trace, rule, i: int, g, ans, args, kwargs):
    """The rule's VJP on traced values: recorded primitive by primitive where its code allows,
    else (graph building) as one opaque node; with dual numbers, a clear error."""
    mark = len(trace.nodes) if trace is not None and trace.nodes is not None else None
    try:
        return dispatching_rule_fn(rule.vjp_fn(i))(g, ans, *args, **kwargs)
    except Exception as error:
        if not _refused(error):
            raise
        if mark is None:
            raise PullbackError(
                f"the VJP rule of {rule.name} cannot run on traced values (its helpers convert "
                "them to NumPy arrays or write into arrays in place), so it cannot be "
                "differentiated again here (forward over reverse, grad of grad)"
            ) from error
        del trace.nodes[mark:]
    opaque = _OPAQUE.get((id(rule), i))
    if opaque is None:
        opaque = _OPAQUE.setdefault((id(rule), i), OpaqueVJP(rule, i))
    return opaque(g, ans, *args, **kwargs)


def _values(args: tuple) -> tuple:
    for a in args:
        if type(a) is not Node and isinstance(a, (list, tuple, dict)):
            return map_nodes(args, _recorded_value)
    return tuple(a.value if type(a) is Node else a for a in args)


def backward_into_leaves(root: Node, cotangent) -> None:
    """``Tensor.backward``: add d(root)/d(leaf) to ``leaf.grad`` for every leaf."""
    order = topological_order([root])
    grads = sweep(order, [(root, cotangent)])
    for node, g in grads.items():
        if node.op != "input" or node.nondiff:
            continue
        if np.shape(g) != node.shape:
            g = np.broadcast_to(g, node.shape).copy()
        node.grad = g if node.grad is None else node.grad + g
