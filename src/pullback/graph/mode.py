"""Graph mode's primitives for ``pullback.api``: trace once, build the gradient graph once, replay.

In: a user function and its arguments.
Out: ``vjp``, ``jvp``, ``value_and_grad`` and ``grad`` (the last two of graph mode's own, so
the trace cache sees the user's function rather than a per-call wrapper).

The cache is keyed by function identity and the arguments' structure, shapes and dtypes
(and the values of non-numeric arguments). A cached graph is reused only while

- its guards hold (a replay that would take another path traces again), and
- the values the function reads from its globals, closure and ``self`` are unchanged: those
  are baked into the graph as constants, so a changed weight array means a new trace.
  (Values reached only through other objects or functions are not checked.)

A trace that drew random numbers or wrote a global (``effects.py``) is not cached: such a
function is traced afresh on every call, as a plain call would run it.
"""

from __future__ import annotations

import threading
import types
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import api, checks, generic, pytree, results
from ..errors import PathChangedError
from ..tape import mode as tape_mode
from ..tape.context import current_trace, tracing
from ..tape.dual import Dual, ForwardTrace
from ..tape.mode import split_duals
from ..tape.traced import is_traced
from .differentiate import vjp_graph
from .ir import Graph, Node, output_leaves
from .tracing import trace

__all__ = ["vjp", "jvp", "value_and_grad", "grad", "traced"]

_LOCK = threading.Lock()
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


# -- what a cached graph silently depends on ----------------------------------------------------


def read_values(f) -> list:
    """The non-function values ``f`` reads from its globals, closure cells and ``self``."""
    values = []
    func = getattr(f, "__func__", f)
    code = getattr(func, "__code__", None)
    if code is not None:
        g = func.__globals__
        for name in code.co_names:
            if name in g:
                values.append(g[name])
        for cell in func.__closure__ or ():
            try:
                values.append(cell.cell_contents)
            except ValueError:
                pass
    owner = getattr(f, "__self__", None)
    if owner is not None and hasattr(owner, "__dict__"):
        values.extend(vars(owner).values())
    return [
        v
        for v in values
        if not isinstance(
            v, (types.ModuleType, types.FunctionType, type, types.BuiltinFunctionType)
        )
    ]


def _fingerprint(value):
    leaves = pytree.flatten(value)[0] if isinstance(value, (list, tuple, dict)) else [value]
    prints = []
    for leaf in leaves:
        if isinstance(leaf, np.ndarray):
            prints.append(("array", leaf.copy()))
        elif isinstance(leaf, (int, float, complex, str, bool, np.generic, type(None))):
            prints.append(("value", leaf))
        else:
            prints.append(("id", id(leaf)))
    return id(value), prints


def _same_print(a, b) -> bool:
    if a[0] != b[0] or len(a[1]) != len(b[1]):
        return False
    for (kind_a, va), (kind_b, vb) in zip(a[1], b[1], strict=True):
        if kind_a != kind_b:
            return False
        if kind_a == "array":
            nan = va.dtype.kind in "fc" and vb.dtype.kind in "fc"  # (text arrays have none)
            if va.shape != vb.shape or not np.array_equal(va, vb, equal_nan=nan):
                return False
        elif kind_a == "value":
            if type(va) is not type(vb) or not (va == vb or (va != va and vb != vb)):
                return False
        elif va != vb:
            return False
    return True


class _Entry:
    """A traced graph, what it read from outside, and graphs derived from it."""

    def __init__(self, graph: Graph, environment: list):
        self.graph = graph
        self.environment = environment
        self.derived: dict = {}
        self.lock = threading.Lock()

    def still_valid(self, f) -> bool:
        now = [_fingerprint(v) for v in read_values(f)]
        return len(now) == len(self.environment) and all(
            _same_print(a, b) for a, b in zip(now, self.environment, strict=True)
        )

    def derive(self, key, build: Callable[[], Graph]) -> Graph:
        with self.lock:
            graph = self.derived.get(key)
            if graph is None:
                graph = self.derived[key] = build()
            return graph


def _signature(args: tuple):
    """A hashable key of the arguments' structure, shapes and dtypes; None: do not cache."""
    leaves, tree = pytree.flatten(args)
    parts: list = [tree]
    for leaf in leaves:
        if is_traced(leaf):
            return None  # nested transformations trace afresh
        if isinstance(leaf, np.ndarray):
            parts.append(("array", leaf.shape, leaf.dtype.str))
        elif isinstance(leaf, (bool, int, float, complex, np.generic)):
            parts.append((type(leaf).__name__, np.shape(leaf)))
        else:
            try:
                hash(leaf)
                parts.append(("static", type(leaf).__name__, leaf))
            except TypeError:
                parts.append(("id", id(leaf)))
    try:
        key = tuple(parts)
        hash(key)
    except TypeError:
        return None
    return key


def _trace_values(graph: Graph) -> tuple[Any, dict]:
    env = {n.id: n.value for n in graph.inputs}
    env.update((n.id, n.value) for n in graph.nodes)
    return _outputs_of(graph.outputs, env), env


def _outputs_of(outputs, env: dict):
    from .ir import map_nodes

    return map_nodes(outputs, lambda n: env[n.id])


def traced(f: Callable, args: tuple) -> tuple[_Entry, Any, dict]:
    """(cache entry, outputs, every node's value by id) of ``f(*args)``: replayed or traced."""
    key = _signature(args)
    entries = None
    if key is not None:
        try:
            with _LOCK:
                entries = _CACHE.setdefault(f, {})
        except TypeError:  # not weakly referenceable
            entries = None
    if entries is not None:
        entry = entries.get(key)
        if entry is not None and entry.still_valid(f):
            try:
                out, env = entry.graph.run(*args)
                return entry, out, env
            except PathChangedError:
                pass
    graph = trace(f, *args)
    entry = _Entry(graph, [_fingerprint(v) for v in read_values(f)])
    if entries is not None and graph.unreplayable is None:
        entries[key] = entry
    out, env = _trace_values(graph)
    return entry, out, env


# -- the mode primitives --------------------------------------------------------------------------


def _nested() -> bool:
    """Whether a derivative is asked inside a function being traced (``pb.grad`` inside the
    differentiated code): the inner function's values (its closure, its arguments) belong to
    the outer trace, and a graph of the inner function would bake them in as constants. Such a
    call is differentiated as tape mode does, its operations recorded by the outer trace."""
    return current_trace() is not None


def vjp(f: Callable, primals: tuple, has_aux: bool = False):
    """``(value, vjp_fn[, aux])`` by replaying the traced graph and its VJP graph."""
    if _nested():
        return tape_mode.vjp(f, primals, has_aux)
    entry, out, env = traced(f, tuple(primals))
    graph = entry.graph
    if has_aux:
        value, aux = checks.check_aux_pair(out, checks._fname(f))
        differentiated = graph.outputs[0]
    else:
        value, aux = out, None
        differentiated = graph.outputs
    vg = entry.derive(("vjp", has_aux), lambda: vjp_graph(graph, differentiated))
    is_node = [type(leaf) is Node for leaf in output_leaves(differentiated)]
    primal_leaves = pytree.flatten(tuple(primals))[0]
    single = not isinstance(differentiated, (tuple, list, dict))

    def vjp_fn(cotangent):
        ct_leaves = [cotangent] if single else pytree.flatten(cotangent)[0]
        cts = [ct for ct, node in zip(ct_leaves, is_node, strict=False) if node]
        adjoints, _ = vg.run(*primal_leaves, *cts, env=dict(env))
        return tuple(adjoints)

    if has_aux:
        return value, vjp_fn, aux
    return value, vjp_fn


def _input_ranges(graph: Graph, nargs: int) -> list[range]:
    sizes = [c.num_leaves for c in graph.in_tree.children] if graph.in_tree else [1] * nargs
    ranges, start = [], 0
    for size in sizes:
        ranges.append(range(start, start + size))
        start += size
    return ranges


def value_and_grad(f: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """``(value, gradient)`` from one replay of the cached graph and its gradient graph."""

    def value_and_gradient(*args, **kwargs):
        if _nested():
            return api.value_and_grad(f, argnums, mode="tape", has_aux=has_aux)(*args, **kwargs)
        nums = checks._normalize_argnums(argnums, len(args))
        for i in nums:
            checks.check_differentiable(args[i], f"argument {i} of {checks._fname(f)}")
        fn = f if not kwargs else (lambda *a: f(*a, **kwargs))
        entry, out, env = traced(fn, args)
        graph = entry.graph
        value = checks.check_aux_pair(out, checks._fname(f))[0] if has_aux else out
        checks.check_scalar_output(value, checks._fname(f))
        checks.check_real_output(value, checks._fname(f), "pb.grad")
        ranges = _input_ranges(graph, len(args))
        wrt = [j for i in nums for j in ranges[i]]
        differentiated = graph.outputs[0] if has_aux else graph.outputs
        gg = entry.derive(
            ("grad", tuple(nums), has_aux),
            lambda: vjp_graph(graph, differentiated, cotangents=False, wrt=wrt),
        )
        flat, _ = gg.run(*args, env=dict(env))
        grads = []
        position = 0
        for i in nums:
            size = len(ranges[i])
            subtree = graph.in_tree.children[i]
            g = pytree.unflatten(subtree, list(flat[position : position + size]))
            grads.append(results.match_tree(g, args[i]))
            position += size
        gradient = grads[0] if isinstance(argnums, int) else tuple(grads)
        value = results._scalar(value)
        return ((value, out[1]), gradient) if has_aux else (value, gradient)

    value_and_gradient.__name__ = f"value_and_grad_{checks._fname(f)}"
    value_and_gradient.__wrapped__ = f
    return value_and_gradient


def grad(f: Callable, argnums=0, has_aux: bool = False) -> Callable:
    """The gradient from ``value_and_grad``'s replay."""
    return generic.grad_from_value_and_grad(value_and_grad(f, argnums, has_aux), f, has_aux)


def jvp(f: Callable, primals: tuple, tangents: tuple):
    """``(value, tangent)``: the traced graph replayed on dual numbers."""
    if _nested():
        return tape_mode.jvp(f, primals, tangents)
    entry, _, _ = traced(f, tuple(primals))
    tr = ForwardTrace()
    args = []
    for primal, tangent in zip(primals, tangents, strict=True):
        leaves, tree = pytree.flatten(primal)
        if tangent is None or (tree.kind != "leaf" and pytree.is_leaf(tangent)):
            t_leaves = [None] * len(leaves)
        else:
            t_leaves = pytree.flatten(tangent)[0]
        new = []
        for leaf, t in zip(leaves, t_leaves, strict=True):
            kind = np.result_type(leaf).kind if not is_traced(leaf) else "f"
            if t is None or kind not in "fc":
                new.append(leaf)
            else:
                shape = np.shape(leaf)
                if np.shape(t) != shape:
                    t = np.broadcast_to(t, shape) + np.zeros(shape)
                new.append(Dual(leaf, t, tr))
        args.append(pytree.unflatten(tree, new))
    with tracing(tr):
        out = entry.graph.run(*args)[0]
    return split_duals(out, tr, checks._fname(f))
