"""The computation graph: one IR for the run-time approaches (tape, graph, symbolic).

In: nodes appended in execution order by a tracer (tape mode records into it, ``pb.trace``
builds one, ``pb.gradients`` builds a gradient graph from the rule table).
Out: a ``Graph`` that prints as a listing, replays on new inputs, and is read by the renderers
(``graph/render.py``) and by symbolic mode.

A node is one primitive call. Its ``args`` and ``kwargs`` hold either other ``Node`` objects
(data dependences; possibly nested in lists/tuples, as for ``np.concatenate``) or constants.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..display import type_text
from ..finite import ON as _CHECKS
from ..finite import check_node, finite
from ..finite import enabled as checking
from ..runtime.structures import entries, rebuild

__all__ = [
    "Node",
    "Graph",
    "node_inputs",
    "map_nodes",
    "output_leaves",
    "node_type",
    "node_place",
]


@dataclass(eq=False, slots=True)
class Node:
    """One primitive call (``op``), or a graph input (``op == "input"``)."""

    id: int
    op: str  # qualified primitive name ("numpy.sin"), or "input"
    fn: Callable | None = None
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    shape: tuple = ()
    dtype: str = "float64"
    filename: str | None = None
    lineno: int | None = None
    name: str | None = None  # an input's parameter name, or a readable label
    value: Any = None  # the value seen while tracing (kept for shapes and symbolic mode)
    rule: Any = None  # the registry.Rule giving this primitive's derivative (None: none needed)
    nondiff: bool = False  # no derivative flows through it (comparisons, guards, argmax ...)
    grad: Any = None  # a tape-mode leaf's accumulated gradient (filled by Tensor.backward)
    adjoint: bool = False  # a rule's whole adjoint in a gradient graph (what checks check)
    # in a gradient graph: the id of the forward node whose VJP recorded this node (None: none)
    forward: int | None = None

    @property
    def label(self) -> str:
        return self.name or f"v{self.id}"

    def __repr__(self) -> str:
        return f"<Node {self.label} = {self.op}>"


def _walk(x: Any) -> Iterator[Node]:
    if isinstance(x, Node):
        yield x
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from _walk(v)
    else:
        for _, v in entries(x) or ():  # a dict or dataclass
            yield from _walk(v)


def node_inputs(node: Node) -> list[Node]:
    """The nodes ``node`` reads, in argument order."""
    return [*_walk(node.args), *_walk(node.kwargs)]


def _substitute(x: Any, value_of: Callable[[int], Any]) -> Any:
    """``map_nodes(x, lambda n: value_of(n.id))``, quick for the common flat tuple."""
    if type(x) is tuple:
        for v in x:
            if type(v) is not Node and entries(v) is not None:
                break
        else:
            return tuple(value_of(v.id) if type(v) is Node else v for v in x)
    return map_nodes(x, lambda n: value_of(n.id))


def output_leaves(x: Any) -> list:
    """The leaves of a (pytree) output structure, Nodes and constants, in ``pytree`` order.

    Unlike ``pytree.flatten`` it keeps a Node (a dataclass) whole; None is no leaf.
    """
    if isinstance(x, Node):
        return [x]
    if x is None:
        return []
    parts = entries(x)
    if parts is not None:  # a tuple, list, dict, namedtuple or dataclass of outputs
        return [leaf for _, v in parts for leaf in output_leaves(v)]
    return [x]


def map_nodes(x: Any, fn: Callable[[Node], Any]) -> Any:
    """Replace every Node inside a (nested) argument by ``fn(node)``."""
    if isinstance(x, Node):
        return fn(x)
    if type(x) is list:
        return [map_nodes(v, fn) for v in x]
    if type(x) is tuple:
        return tuple(map_nodes(v, fn) for v in x)
    parts = entries(x)
    if parts is not None:  # a dict, namedtuple or dataclass: rebuilt with its own type
        return rebuild(x, [map_nodes(v, fn) for _, v in parts])
    return x


@dataclass(eq=False)
class Graph:
    """A DAG of primitive calls in topological order, with inputs and (pytree) outputs."""

    inputs: list[Node]
    nodes: list[Node]
    outputs: Any  # a Node, a constant, or a pytree of them
    name: str = "f"
    in_tree: Any = None  # pytree.TreeDef of the traced call's arguments (None: flat inputs)
    # why a replay would not do what a call does (random draws, global writes); None: it would
    unreplayable: str | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def output_nodes(self) -> list[Node]:
        return list(_walk(self.outputs))

    def evaluate(self, *args: Any) -> Any:
        """Replay the recorded primitives on new inputs (given like the traced call's).

        Guard nodes check that the inputs take the traced path through control flow and raise
        ``PathChangedError`` otherwise. Traced values (tape Tensors, Duals) may be passed:
        each primitive then runs through ``bind`` and is recorded or differentiated in turn.
        """
        if self.unreplayable is not None:
            from ..errors import PullbackError

            raise PullbackError(
                f"graph {self.name} cannot be replayed: {self.unreplayable}; call the function "
                "itself (graph mode traces such a function again on every call)"
            )
        return self.run(*args)[0]

    def run(self, *args: Any, env: dict | None = None) -> tuple[Any, dict]:
        """``(outputs, env)``: replay, returning also every node's value by node id.

        Values already in ``env`` (node id -> value) are taken as they are, not recomputed:
        a gradient graph that shares its forward nodes reuses a forward replay this way.
        """
        from ..errors import PathChangedError, PullbackValueError
        from ..tape.traced import bind

        leaves = list(args)
        if self.in_tree is not None:
            from ..pytree import flatten

            leaves, tree = flatten(tuple(args))
            if tree != self.in_tree:
                raise PathChangedError(
                    f"graph {self.name} was traced for arguments structured as "
                    f"{self.in_tree}, got {tree}"
                )
        if len(leaves) != len(self.inputs):
            raise PullbackValueError(
                f"graph {self.name} takes {len(self.inputs)} input(s), got {len(leaves)}"
            )
        env = {} if env is None else env
        for node, value in zip(self.inputs, leaves, strict=True):
            if not getattr(node, "nondiff", False) and (
                value is None
                or isinstance(value, (str, bytes))
                or not (
                    isinstance(value, (numbers.Number, np.ndarray, np.generic))
                    or hasattr(value, "__array_ufunc__")
                )
            ):
                from ..errors import PullbackTypeError

                raise PullbackTypeError(
                    f"input {node.label} of graph {self.name} was traced with a number, got "
                    f"{type(value).__name__} {value!r:.40}; pass a number or an array"
                )
            if np.shape(value) != node.shape:
                raise PathChangedError(
                    f"input {node.label} of graph {self.name} was traced with shape "
                    f"{node.shape}, got {np.shape(value)}; trace the function again"
                )
            env[node.id] = value
        value_of = env.__getitem__
        node = None
        checks = _CHECKS[0] and checking()  # pb.debug_nans(), check_finite
        sweep = "backward" if self.name.startswith(("grad_", "vjp_")) else "forward"
        try:
            for node in self.nodes:
                if node.id in env:
                    continue
                args_now = _substitute(node.args, value_of)
                kwargs_now = _substitute(node.kwargs, value_of) if node.kwargs else node.kwargs
                env[node.id] = bind(node.fn, args_now, kwargs_now)
                if (
                    checks
                    and not node.nondiff
                    and (sweep == "forward" or getattr(node, "adjoint", False))
                    and not finite(env[node.id])
                ):  # a rule's whole adjoint, not its parts (which safe_mul may mask)
                    check_node(
                        env[node.id],
                        node,
                        sweep,
                        dict(
                            zip(
                                [
                                    getattr(a, "label", f"argument {k}")
                                    for k, a in enumerate(node.args)
                                ],
                                args_now,
                                strict=False,
                            )
                        ),
                    )
        except BaseException as error:  # name the user line that recorded the failing node
            if node is not None:
                from ..locate import annotate_node

                annotate_node(error, node, sweep, "graph")
            raise
        return _substitute(self.outputs, value_of), env

    def __call__(self, *args: Any) -> Any:
        return self.evaluate(*args)

    def __str__(self) -> str:
        """The listing: one line per primitive, ``v3: f64[3] = np.sin(x)  # model.py:4``."""
        params = ", ".join(f"{n.label}: {node_type(n)}" for n in self.inputs)
        lines = [f"graph {self.name}({params}):"]
        for node in self.nodes:
            if node.op == "input":
                continue
            shown = [_show(a) for a in node.args]
            shown += [f"{k}={_show(v)}" for k, v in node.kwargs.items()]
            where = f"  # {node_place(node)}" if node.lineno else ""
            lines.append(
                f"    {node.label}: {node_type(node)} = {_short(node.op)}({', '.join(shown)})"
                f"{where}"
            )
        lines.append(f"    return {_show(self.outputs)}")
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        from ..display import pretty_text

        pretty_text(f"graph {self.name}(...)" if cycle else str(self), p)

    def _repr_html_(self) -> str:
        """The drawing and the listing, for a notebook (``to_html`` makes a whole page)."""
        from .render import notebook_html

        return notebook_html(self)

    def to_dot(self, grad_graph: Graph | None = None) -> str:
        """Graphviz dot text for this graph (and ``grad_graph`` beside it); see ``render``."""
        from .render import to_dot

        return to_dot(self, grad_graph)

    def to_html(self, grad_graph: Graph | None = None) -> str:
        """A self-contained HTML page drawing this graph and its gradient graph side by side.

        Without ``grad_graph``, the gradient graph is ``pb.gradients(self)`` when this graph
        has one scalar output; otherwise the page shows the forward graph alone.
        """
        from .render import to_html

        return to_html(self, grad_graph)


def node_type(node: Node) -> str:
    """``f64[3]``, ``f64[]``: the dtype and shape of the value ``node`` stands for."""
    return type_text(node.dtype, node.shape)


def node_place(node: Node) -> str:
    """``model.py:4`` where ``node`` was recorded (``line 4`` without a file name)."""
    if not node.filename:
        return f"line {node.lineno}"
    name = node.filename.replace("\\", "/").rsplit("/", 1)[-1]
    return f"{name}:{node.lineno}"


def _short(op: str) -> str:
    for prefix in ("numpy.", "operator.", "builtins."):
        if op.startswith(prefix):
            return ("np." if prefix == "numpy." else "") + op[len(prefix) :]
    return op


def _show(x: Any) -> str:
    if isinstance(x, Node):
        return x.label
    if callable(x) and hasattr(x, "__name__") and not isinstance(x, np.ndarray):
        return x.__name__
    if isinstance(x, (list, tuple)):
        inner = ", ".join(_show(v) for v in x)
        return f"[{inner}]" if isinstance(x, list) else f"({inner}{',' if len(x) == 1 else ''})"
    if isinstance(x, np.ndarray):
        return f"array{x.shape}" if x.size > 4 else np.array2string(x, separator=", ")
    return repr(x)
