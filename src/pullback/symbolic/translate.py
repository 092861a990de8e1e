"""Symbolic mode's translator: graph nodes to SymPy expressions.

In: a ``Graph`` (or its nodes one at a time, in recorded order, as a tracer records them) and
one SymPy symbol per graph input.
Out: ``Translator`` (node by node: ``advance``, ``of``, the branch ``condition`` a node tests,
the ``conditions`` its guards check); ``graph_expression`` (the expression a scalar graph
computes, a ``Piecewise`` that is NaN where its path guards fail); ``_symbols`` (real SymPy
symbols named after the inputs).

How: each node's primitive is looked up in ``table.SYMPY_CONDITIONS`` and
``table.SYMPY_FUNCTIONS``; a node with no derivative (a guard, an integer size) enters as its
traced value, and is refused where that value depends on the arguments.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MissingRuleError, NonDifferentiableError, PullbackError, PullbackTypeError
from ..graph.ir import Graph, Node, node_inputs
from ..rules.registry import nondiff_functions
from ..tape.guards import GUARDS
from .scalars import _SCALARS_ONLY, _constant, _integral_input, _sympy
from .table import SYMPY_CONDITIONS, SYMPY_FUNCTIONS, _number, condition_of

__all__ = ["Translator", "graph_expression"]

_GUARD_KINDS = {fn: kind for kind, fn in GUARDS.items()}


def _node_place(node: Node) -> dict:
    return {"filename": node.filename, "lineno": node.lineno}


def graph_expression(graph: Graph, symbols: Sequence | None = None, output: Any = None) -> Any:
    """The SymPy expression a scalar graph computes, in ``symbols`` (one per graph input).

    Without ``symbols``, each input becomes a real symbol named after it; ``output`` (a node
    of the graph or a constant) defaults to the graph's output. A traced graph holds only on
    the path its guards check (``if x > 0`` taken when it was traced): its expression is then
    a ``Piecewise`` that is NaN where the guards fail, never the traced path's formula there.
    """
    sp = _sympy()
    if symbols is None:
        symbols = _symbols([n.label for n in graph.inputs])
    if len(symbols) != len(graph.inputs):
        raise PullbackError(
            f"graph {graph.name} has {len(graph.inputs)} input(s) but {len(symbols)} symbol(s) "
            "were given"
        )
    translator = Translator(graph.inputs, symbols)
    translator.advance(graph.nodes)
    expr = translator.of(graph.outputs if output is None else output, "the output")
    if translator.conditions:
        return sp.Piecewise((expr, sp.And(*translator.conditions)), (sp.nan, True))
    return expr


class Translator:
    """Graph nodes to SymPy expressions, one node at a time in recorded order.

    ``advance(nodes)`` translates the nodes not seen yet (a tracer calls it at each branch
    decision, so the condition's expression is known while the function runs); ``of(x)`` is
    the expression of a node or constant. Guard nodes of a traced graph add the condition they
    check to ``conditions``.
    """

    def __init__(self, inputs: Sequence[Node], symbols: Sequence):
        self.sp = _sympy()
        self.env: dict[int, Any] = {id(n): s for n, s in zip(inputs, symbols, strict=True)}
        self.held = set(nondiff_functions())
        self.conditions: list = []
        self.done = 0

    def advance(self, nodes: Sequence[Node]) -> None:
        for node in nodes[self.done :]:
            if id(node) not in self.env:
                self._translate(node)
        self.done = len(nodes)

    def of(self, value: Any, where: str):
        """The expression of ``value`` (a node translated already, or a constant)."""
        sp = self.sp
        if isinstance(value, Node):
            try:
                found = self.env[id(value)]
            except KeyError:
                raise PullbackError(
                    f"{where} reads {value.label}, which is not computed inside the graph"
                ) from None
            if isinstance(found, _Held):
                if found.depends:
                    node = found.node
                    raise NonDifferentiableError(
                        f"symbolic mode has no SymPy translation for {node.op}, and its value "
                        "depends on the arguments: a formula would freeze it at the traced point",
                        hint=(
                            f"add one: pullback.symbolic.SYMPY_FUNCTIONS[{node.op!r}] = "
                            "lambda sp, x: ...; or use mode='source'"
                        ),
                        **_node_place(node),
                    )
                found = self.env[id(value)] = _constant(sp, found.node.value, where)
            return found
        if isinstance(value, (np.ndarray, numbers.Number)):
            return _constant(sp, value, where)
        if isinstance(value, (list, tuple, dict)) and node_inputs(Node(0, "", args=(value,))):
            raise PullbackTypeError(f"{_SCALARS_ONLY}; {where} takes a {type(value).__name__}")
        return value  # an option such as dtype=float or axis=(): the translation may ignore it

    def condition(self, node: Node):
        """The condition ``bool(node)`` tests, as a SymPy boolean."""
        return condition_of(self.sp, self.of(node, "a branch condition"))

    def guard_condition(self, what: str, node: Node, result: Any):
        """What must hold for ``what(node)`` (``int``, ``round`` ...) to give ``result`` again."""
        sp = self.sp
        if what == "bool":
            c = self.condition(node)
            return c if result else sp.Not(c)
        e = _number(sp, self.of(node, f"{what}()"))
        r = sp.Integer(int(result)) if what != "float" else _constant(sp, result, "float()")
        if what in ("index", "float"):
            return sp.Eq(e, r)
        if what == "round":
            return sp.And(e > r - sp.Rational(1, 2), e < r + sp.Rational(1, 2))
        if r > 0:  # int() truncates towards zero
            return sp.And(e >= r, e < r + 1)
        if r < 0:
            return sp.And(e > r - 1, e <= r)
        return sp.And(e > -1, e < 1)

    def _translate(self, node: Node) -> None:
        sp = self.sp
        if node.op == "input":
            raise PullbackError(f"input {node.label} is not among the graph's inputs")
        where = f"{node.label} = {node.op}(...)"
        if node.op == "pullback.guard":
            self.env[id(node)] = _Held(node, False)
            kind = _GUARD_KINDS.get(node.fn)
            watched = node.args[0] if node.args else None
            if kind is None or not isinstance(watched, Node):
                return  # a guard on a non-numeric argument: no formula involved
            if kind != "bool" and _integral_input(watched):
                return  # range(n) of an integer argument: held at its value
            self.conditions.append(self.guard_condition(kind, watched, node.args[1]))
            return
        translate = SYMPY_CONDITIONS.get(node.op) or SYMPY_FUNCTIONS.get(node.op)
        numeric = node.op not in SYMPY_CONDITIONS
        if translate is None and (getattr(node, "nondiff", False) or node.op in self.held):
            depends = any(self._depends(n) for n in node_inputs(node))
            self.env[id(node)] = _Held(node, depends)  # a guard, argmax, an integer size ...
            return
        if tuple(node.shape) != ():
            raise PullbackTypeError(
                f"{_SCALARS_ONLY}; {where} has shape {tuple(node.shape)}"
                + (f" (line {node.lineno})" if node.lineno else "")
            )
        if translate is None:
            raise MissingRuleError(
                node.op,
                f"symbolic mode has no SymPy translation for {node.op}",
                hint=(
                    f"add one: pullback.symbolic.SYMPY_FUNCTIONS[{node.op!r}] = "
                    "lambda sp, x: ...; or use mode='source'"
                ),
                **_node_place(node),
            )
        args = [self.of(a, where) for a in node.args]
        kwargs = {k: self.of(v, where) for k, v in node.kwargs.items() if v is not None}
        if numeric:
            args = [_number(sp, a) for a in args]
            kwargs = {k: _number(sp, v) for k, v in kwargs.items()}
        try:
            self.env[id(node)] = translate(sp, *args, **kwargs)
        except TypeError as err:
            raise MissingRuleError(
                node.op,
                f"symbolic mode cannot translate this call of {node.op} ({err})",
                hint="use mode='source' for this function",
                **_node_place(node),
            ) from None

    def _depends(self, node: Node) -> bool:
        found = self.env.get(id(node))
        if isinstance(found, _Held):
            return found.depends
        return bool(getattr(found, "free_symbols", None))


@dataclass
class _Held:
    """A node no derivative flows through: it enters expressions as its traced value."""

    node: Node
    depends: bool  # its value depends on the graph's inputs


def _symbols(names: Sequence[str]) -> list:
    sp = _sympy()
    seen: set[str] = set()
    out = []
    for i, name in enumerate(names):
        name = name if name and name not in seen else f"x{i}"
        seen.add(name)
        out.append(sp.Symbol(name, real=True))
    return out
