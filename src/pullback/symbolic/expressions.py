"""Symbolic mode's expressions: a Python function traced to SymPy, on every path it can take.

In: a scalar function of scalar arguments written with plain ``np`` / ``math`` (or a ``Graph``),
and the point to trace at (``at``; by default 0.7, 0.9, 1.1, ... for its parameters).
Out: ``expression`` and ``derivative`` (SymPy expressions, a ``Piecewise`` where the function
branches); for the mode primitives, ``_traced_path`` / ``_traced_expression`` (the expression of
the path taken at one point, with its conditions) and ``_diff`` (``sympy.diff`` with agreeing
``Piecewise`` cases merged).

How: the function is made a function of the chosen arguments only (``_point_function``) and
run by ``paths.follow`` (one path) or ``paths.explore`` (every path), with a ``Translator``
turning its graph into SymPy as it runs.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Any

from ..checks import _fname
from ..errors import PullbackError
from ..graph.ir import Graph
from .paths import explore, follow
from .scalars import _require_scalar, _sympy
from .translate import Translator, _symbols, graph_expression

__all__ = ["expression", "derivative"]


# -- tracing a function --------------------------------------------------------------------------


def _trace_function() -> Callable:
    """``pb.trace`` (graph mode), or tape mode's recorder, which builds the same ``Graph``."""
    import pullback

    trace = getattr(pullback, "trace", None)
    if not callable(trace):
        from ..tape import record as trace
    return trace


def _parameter_names(f: Callable) -> list[str] | None:
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        return None
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def _sample_point(f: Callable) -> tuple[float, ...]:
    """Where to trace when the caller gives no point: 0.7, 0.9, 1.1, ... per parameter."""
    try:
        params = inspect.signature(f).parameters.values()
    except (TypeError, ValueError):
        params = None
    if params is None or any(p.kind == p.VAR_POSITIONAL for p in params):
        raise PullbackError(
            f"cannot tell how many arguments {_fname(f)} takes; pass the point to trace at, "
            "e.g. derivative(f, at=(1.0, 2.0))"
        )
    required = [
        p
        for p in params
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty
    ]
    return tuple(0.7 + 0.2 * i for i in range(len(required)))


def _point_function(
    f: Callable, args: Sequence, kwargs: dict, positions: Sequence[int], has_aux: bool
) -> tuple[Callable, list, list]:
    """``f`` as a function of the arguments at ``positions`` only; their names and symbols."""
    args = list(args)

    def traced(*scalars):
        full = list(args)
        for i, s in zip(positions, scalars, strict=True):
            full[i] = s
        out = f(*full, **kwargs)
        return out[0] if has_aux else out

    names = _parameter_names(f) or []
    symbols = _symbols([names[i] if i < len(names) else f"x{i}" for i in positions])
    traced.__name__ = _fname(f)
    traced.__qualname__ = getattr(f, "__qualname__", traced.__name__)
    return traced, [s.name for s in symbols], symbols


def _translator_for(symbols: list) -> Callable:
    return lambda inputs: Translator(inputs, symbols)


def _traced_path(
    f: Callable, args: Sequence, kwargs: dict, positions: Sequence[int], has_aux: bool = False
) -> tuple[Any, list, list]:
    """``(expression, symbols, conditions)`` of the path ``f`` takes at ``args``."""
    traced, names, symbols = _point_function(f, args, kwargs, positions, has_aux)
    point = [args[i] for i in positions]
    path = follow(traced, point, names, _translator_for(symbols))
    return path.expression, symbols, path.conditions


def _traced_expression(
    f: Callable, args: Sequence, kwargs: dict, positions: Sequence[int], has_aux: bool = False
) -> tuple[Any, list]:
    """Trace ``f`` at ``args``; the expression of the path taken there, one symbol a position."""
    expr, symbols, _ = _traced_path(f, args, kwargs, positions, has_aux)
    return expr, symbols


def _every_path(f: Callable, point: Sequence) -> tuple[Any, list]:
    """The expression of ``f`` on every path: a ``Piecewise`` where it branches."""
    sp = _sympy()
    positions = range(len(point))
    traced, names, symbols = _point_function(f, point, {}, positions, False)
    pieces = explore(traced, point, names, symbols, _translator_for(symbols))
    if len(pieces) == 1:
        return pieces[0][0], symbols
    *first, (last, _) = pieces  # the pieces cover every case: the last holds where none else
    return sp.Piecewise(*first, (last, True)), symbols


def _diff(expr, *symbols):
    """``sympy.diff``; where a derivative is a ``Piecewise``, cases that agree are merged."""
    sp = _sympy()
    d = sp.diff(expr, *symbols)
    if d.has(sp.Piecewise):
        d = sp.piecewise_fold(d)
    return d


# -- public expressions ---------------------------------------------------------------------------


def _expression_and_symbols(f: Callable | Graph, at: Sequence | None) -> tuple[Any, list]:
    if isinstance(f, Graph):
        symbols = _symbols([n.label for n in f.inputs])
        return graph_expression(f, symbols), symbols
    point = tuple(at) if at is not None else _sample_point(f)
    for i, value in enumerate(point):
        _require_scalar(value, f"argument {i} of {_fname(f)}")
    return _every_path(f, point)


def expression(f: Callable | Graph, *, at: Sequence | None = None) -> Any:
    """The SymPy expression of scalar function ``f`` (or of a scalar ``Graph``).

    ``f`` is traced at ``at`` (default 0.7, 0.9, 1.1, ... for its parameters), then along
    every other branch it can take: where it branches on a comparison of symbolic values
    (``if``, conditional expressions, ``np.where``, ``min``/``max``), the expression is a
    ``Piecewise``. A loop whose number of iterations depends on the arguments, or an integer
    made of them (``range(int(x))``), has no finite formula and is refused with a
    ``PullbackError``. Integer arguments used as counts (``range(n)``) are held at their value.

    >>> import numpy as np
    >>> expression(lambda x: np.sin(x) * x)   # doctest: +SKIP
    x*sin(x)
    """
    return _expression_and_symbols(f, at)[0]


def derivative(
    f: Callable | Graph, wrt: int | str | Sequence[int | str] = 0, *, at: Sequence | None = None
) -> Any:
    """The derivative of scalar function ``f`` as a SymPy expression, by ``sympy.diff``.

    ``wrt`` picks the argument by position or name; a sequence differentiates repeatedly
    (``wrt=(0, 0)`` is the second derivative). The expression is ``expression(f, at=at)``:
    a ``Piecewise`` where ``f`` branches, refused where no finite formula describes ``f``.

    >>> import numpy as np, pullback as pb
    >>> pb.symbolic.derivative(lambda x: np.log(x * x))   # doctest: +SKIP
    2/x
    """
    expr, symbols = _expression_and_symbols(f, at)
    wrts = [wrt] if isinstance(wrt, (int, str)) else list(wrt)
    chosen = []
    for w in wrts:
        if isinstance(w, str):
            matches = [s for s in symbols if s.name == w]
            if not matches:
                names = ", ".join(s.name for s in symbols)
                raise PullbackError(f"wrt={w!r} names no argument; the arguments are {names}")
            chosen.append(matches[0])
        elif -len(symbols) <= w < len(symbols):
            chosen.append(symbols[w])
        else:
            raise PullbackError(f"wrt={w} is out of range for {len(symbols)} argument(s)")
    return _diff(expr, *chosen)
