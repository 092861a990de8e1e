"""Structured control flow: ``pb.while_loop`` and ``pb.cond``, one node each in a graph.

In: Python functions for the condition, the body or the branches, and the loop variables or
operands (scalars, arrays, tuples of them).
Out: the loop's final variables or the chosen branch's value.

In plain execution, tape mode and forward mode they simply run, as the Python ``while`` and
``if`` they stand for. In a traced graph each is a single node with its own rule, so a replay
on other inputs runs the loop as often as those inputs ask (no path guard) and a gradient
graph holds one node for the loop's adjoint:

- ``while_loop``'s VJP runs the loop forward recording its iterates, then the body's VJP (tape
  mode) backwards over them; its JVP carries the tangent through the body's JVP;
- ``cond``'s VJP and JVP are those of the branch the predicate picks.

The functions must get every traced value they use through the loop variables / operands;
a closure over one is refused in a graph (it would be an input the node does not show).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import PullbackError
from ..rules.registry import defrule
from ..runtime.structures import rebuild
from ..tape.traced import GraphPrimitive

__all__ = ["while_loop", "cond"]


def _is_sequence(state) -> bool:
    return isinstance(state, (tuple, list))


def _apply(fn: Callable, state):
    return fn(*state) if _is_sequence(state) else fn(state)


def _like(state, new):
    """The body's result given the type of the loop variables (tuple stays tuple)."""
    if _is_sequence(state):
        if not _is_sequence(new) or len(new) != len(state):
            raise PullbackError(
                f"the body of pb.while_loop must return {len(state)} loop variables like its "
                f"initial value, got {new!r}"
            )
        return rebuild(state, list(new))
    return new


def _run_loop(cond_fn, body_fn, init, iterates: list | None = None):
    state = init
    while bool(_apply(cond_fn, state)):
        if iterates is not None:
            iterates.append(state)
        state = _like(state, _apply(body_fn, state))
    return state


@GraphPrimitive
def while_loop(cond_fn: Callable, body_fn: Callable, init: Any) -> Any:
    """``while cond_fn(*vars): vars = body_fn(*vars)``; returns the final ``vars``.

    A tuple (or list) ``init`` holds the loop variables and is unpacked into the calls
    (``lambda i, x: ...``); any other value is passed as the one variable.

    >>> import numpy as np, pullback as pb
    >>> i, x = pb.while_loop(lambda i, x: i < 10, lambda i, x: (i + 1, np.tanh(x)), (0, 1.0))
    >>> i
    10
    """
    return _run_loop(cond_fn, body_fn, init)


def _zeros_for_none(g, state):
    from ..tape.backward import _zero_like

    if _is_sequence(state):
        return tuple(_zeros_for_none(a, s) for a, s in zip(g, state, strict=True))
    return _zero_like(state) if g is None else g


@GraphPrimitive
def while_loop_adjoint(g, cond_fn, body_fn, init):
    """The adjoint of ``while_loop``'s ``init``, given the adjoint ``g`` of its result."""
    from ..tape.mode import vjp

    iterates: list = []
    _run_loop(cond_fn, body_fn, init, iterates)
    seq = _is_sequence(init)
    g = _zeros_for_none(g, init)  # an unused loop variable's adjoint comes as None
    for state in reversed(iterates):
        primals = tuple(state) if seq else (state,)
        _, pullback = vjp(lambda *vs: _apply(body_fn, vs if seq else vs[0]), primals)
        adjoints = pullback(tuple(g) if seq else g)
        g = _zeros_for_none(adjoints if seq else adjoints[0], state)
    return rebuild(init, list(g)) if seq else g


@GraphPrimitive
def while_loop_tangent(init_dot, cond_fn, body_fn, init):
    """The tangent of ``while_loop``'s result given the tangent of ``init``."""
    from ..tape.mode import jvp

    seq = _is_sequence(init)
    state, tangent = init, init_dot
    while bool(_apply(cond_fn, state)):
        primals = tuple(state) if seq else (state,)
        tangents = tuple(tangent) if seq else (tangent,)
        state, tangent = jvp(lambda *vs: _apply(body_fn, vs if seq else vs[0]), primals, tangents)
        state = _like(init, state)
    return tangent


def while_loop_vjp(g, ans, cond_fn, body_fn, init):
    return while_loop_adjoint(g, cond_fn, body_fn, init)


def while_loop_jvp(init_dot, ans, cond_fn, body_fn, init):
    return while_loop_tangent(init_dot, cond_fn, body_fn, init)


defrule(while_loop, vjp=while_loop_vjp, jvp=while_loop_jvp, name="pullback.while_loop")


@GraphPrimitive
def cond_call(pred, true_fn, false_fn, operands):
    """``true_fn(*operands) if pred else false_fn(*operands)`` as one primitive."""
    return true_fn(*operands) if bool(pred) else false_fn(*operands)


def cond(pred: Any, true_fn: Callable, false_fn: Callable, *operands: Any) -> Any:
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)``; one node in a graph.

    >>> import numpy as np, pullback as pb
    >>> pb.cond(2.0 > 1.0, np.sin, np.cos, 0.0)
    0.0
    """
    return cond_call(pred, true_fn, false_fn, tuple(operands))


@GraphPrimitive
def cond_adjoint(g, pred, true_fn, false_fn, operands):
    """The adjoints of ``cond``'s operands: those of the branch ``pred`` picks."""
    from ..tape.mode import vjp

    branch = true_fn if bool(pred) else false_fn
    _, pullback = vjp(branch, tuple(operands))
    return tuple(pullback(g))


@GraphPrimitive
def cond_tangent(operands_dot, pred, true_fn, false_fn, operands):
    from ..tape.mode import jvp

    branch = true_fn if bool(pred) else false_fn
    return jvp(branch, tuple(operands), tuple(operands_dot))[1]


def cond_vjp(g, ans, pred, true_fn, false_fn, operands):
    return cond_adjoint(g, pred, true_fn, false_fn, operands)


def cond_jvp(operands_dot, ans, pred, true_fn, false_fn, operands):
    return cond_tangent(operands_dot, pred, true_fn, false_fn, operands)


defrule(cond_call, vjp=cond_vjp, jvp=cond_jvp, name="pullback.cond")

# graph listings name them as users call them: pullback.while_loop, pullback.cond ...
cond_call.__name__ = cond_call.__qualname__ = "cond"
for _primitive in (while_loop, while_loop_adjoint, while_loop_tangent, cond_call, cond_adjoint,
                   cond_tangent):  # fmt: skip
    _primitive.__module__ = "pullback"
