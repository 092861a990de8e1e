"""Tape mode's two primitives for ``pullback.api``: ``vjp`` (reverse) and ``jvp`` (forward).

In: a user function and its arguments (pytrees of floats and arrays); the function needs no
source: it runs as it is, on Tensors (reverse) or Duals (forward).
Out: ``vjp(f, primals) -> (value, vjp_fn)``, ``jvp(f, primals, tangents) -> (value, tangent)``,
and ``record(f, *args) -> Graph``: the tape of one call in the shared Graph IR.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import checks, pytree
from ..graph.ir import Graph
from ..locate import annotate_forward
from .backward import sweep, topological_order
from .context import tracing
from .dual import Dual, ForwardTrace
from .namespace import call_in_dispatching_namespace
from .tensor import Tensor
from .trace import ReverseTrace
from .traced import is_traced

__all__ = ["vjp", "jvp", "record", "split_duals"]


def _is_float_leaf(x) -> bool:
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return True
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc"
    return is_traced(x) and np.result_type(x.dtype).kind in "fc"


def _wrap_primals(trace: ReverseTrace, primals: tuple, names=None):
    """Each float leaf of each primal becomes an input Tensor of ``trace``."""
    wrapped, inputs = [], []
    for k, primal in enumerate(primals):
        leaves, tree = pytree.flatten(primal)
        new_leaves, nodes = [], []
        for j, leaf in enumerate(leaves):
            if _is_float_leaf(leaf):
                name = None
                if names is not None:
                    name = names[k] if len(leaves) == 1 else f"{names[k]}_{j}"
                t = trace.input(leaf, name=name)
                new_leaves.append(t)
                nodes.append(t.node)
            else:
                new_leaves.append(leaf)
                nodes.append(None)
        wrapped.append(pytree.unflatten(tree, new_leaves))
        inputs.append((tree, nodes))
    return wrapped, inputs


def _strip(x: Any, trace) -> Any:
    """Values of ``trace``'s Tensors inside a pytree (aux outputs are not differentiated)."""
    return pytree.tree_map(
        lambda v: v.value if type(v) is Tensor and v.traced_by is trace else v, x
    )


def vjp(f: Callable, primals: tuple, has_aux: bool = False):
    """``(f(*primals), vjp_fn[, aux])``: run ``f`` once on Tensors, sweep the tape per call."""
    trace = ReverseTrace(replayable=False, keep=False)
    wrapped, inputs = _wrap_primals(trace, tuple(primals))
    try:
        with tracing(trace):
            out, _ = call_in_dispatching_namespace(f, tuple(wrapped))
    except BaseException as error:  # name the user's line, as the forward sweep
        annotate_forward(error, "tape")
        raise
    aux = None
    if has_aux:
        out, aux = checks.check_aux_pair(out, checks._fname(f))
        aux = _strip(aux, trace)
    out_leaves, out_tree = pytree.flatten(out)
    out_nodes = []
    values = []
    for leaf in out_leaves:
        mine = type(leaf) is Tensor and leaf.traced_by is trace
        out_nodes.append(leaf.node if mine else None)
        values.append(leaf.value if mine else leaf)
    value = pytree.unflatten(out_tree, values)
    order = topological_order([n for n in out_nodes if n is not None])

    def vjp_fn(cotangent):
        ct_leaves = [cotangent] if out_tree.kind == "leaf" else pytree.flatten(cotangent)[0]
        grads = sweep(order, list(zip(out_nodes, ct_leaves, strict=False)))
        return tuple(
            pytree.unflatten(tree, [None if n is None else grads.get(n) for n in nodes])
            for tree, nodes in inputs
        )

    if has_aux:
        return value, vjp_fn, aux
    return value, vjp_fn


def record(f: Callable, *args: Any) -> Graph:
    """The tape of one call ``f(*args)``: the derivative-carrying primitives it ran, as a Graph.

    Unlike ``pb.trace`` it records only what carries a derivative and cannot be replayed on
    other inputs safely (no guards); it shows what tape mode differentiates.
    """
    import inspect

    try:
        names = list(inspect.signature(f).parameters)[: len(args)]
    except (TypeError, ValueError):
        names = [f"x{i}" for i in range(len(args))]
    trace = ReverseTrace(replayable=False)
    wrapped, inputs = _wrap_primals(trace, args, names)
    with tracing(trace):
        out, _ = call_in_dispatching_namespace(f, tuple(wrapped))
    outputs = pytree.tree_map(
        lambda v: (
            v.node if type(v) is Tensor and v.traced_by is trace and v.node is not None else v
        ),
        out,
    )
    input_nodes = [n for _, nodes in inputs for n in nodes if n is not None]
    nodes = [n for n in trace.nodes if n.op != "input"]
    return Graph(input_nodes, nodes, outputs, name=getattr(f, "__name__", "f"))


def _tangent_leaves(tangent, tree, n: int) -> list:
    if tangent is None or (tree.kind != "leaf" and pytree.is_leaf(tangent) and not tangent):
        return [None] * n
    leaves = pytree.flatten(tangent)[0]
    return leaves if len(leaves) == n else [None] * n


def _zero_tangent(x):
    shape = getattr(x, "shape", ())
    return 0.0 if shape == () else np.zeros(shape)


def jvp(f: Callable, primals: tuple, tangents: tuple):
    """``(f(*primals), tangent_out)``: run ``f`` once on dual numbers."""
    trace = ForwardTrace()
    args = []
    for primal, tangent in zip(primals, tangents, strict=True):
        leaves, tree = pytree.flatten(primal)
        t_leaves = _tangent_leaves(tangent, tree, len(leaves))
        new = []
        for leaf, t in zip(leaves, t_leaves, strict=True):
            if t is None or not _is_float_leaf(leaf):
                new.append(leaf)
            else:
                if np.shape(t) != np.shape(leaf):
                    t = np.broadcast_to(t, np.shape(leaf)) + np.zeros(np.shape(leaf))
                new.append(Dual(leaf, t, trace))
        args.append(pytree.unflatten(tree, new))
    with tracing(trace):
        out, _ = call_in_dispatching_namespace(f, tuple(args))
    return split_duals(out, trace, checks._fname(f))


def split_duals(out: Any, trace: ForwardTrace, fname: str = "f") -> tuple[Any, Any]:
    """``(value, tangent)`` of a function's output: ``trace``'s Duals split into primal and
    tangent, every other numeric leaf a constant (zero tangent). A leaf that is no number (a
    generator, a coroutine, a string) raises rather than getting a silent zero tangent."""
    out_leaves, out_tree = pytree.flatten(out)
    values, tangents_out = [], []
    for leaf in out_leaves:
        if type(leaf) is Dual and leaf.traced_by is trace and leaf.tangent is not None:
            values.append(leaf.primal)
            tangents_out.append(leaf.tangent)
        elif type(leaf) is Dual and leaf.traced_by is trace:  # a constant
            values.append(leaf.primal)
            tangents_out.append(_zero_tangent(leaf.primal))
        else:
            checks.check_numeric_output(leaf, fname, "pb.jvp")
            values.append(leaf)
            tangents_out.append(_zero_tangent(leaf))
    return pytree.unflatten(out_tree, values), pytree.unflatten(out_tree, tangents_out)
