"""Functions passed as arguments: a callee's derivative built for the functions it is given.

In: a call's bound arguments (``rk2(force, y, h)``), and later the callee's parsed
``FunctionDef`` and ``Scope``.
Out: the parameters bound to functions known before running (``passed_functions``), and the
callee's syntax tree reading those parameters as free names bound to the functions
(``fix_function_arguments``), so ``force(y)`` in ``rk2`` is differentiated as a call of that
function. The transformation keys a callee's derivative by these functions
(``Transformation.callee_pair``, ``ForwardTransformation.callee_jvp``): one derivative of
``rk2`` per function passed.
"""

from __future__ import annotations

import ast

from ..frontend.anf_expressions import is_static
from ..frontend.resolve import Scope, local_names


def _all_names(node) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.arg for n in ast.walk(node) if isinstance(n, ast.arg)
    }


def passed_functions(fn, bound: dict, value_of) -> dict:
    """The parameters of callee ``fn`` that a call passes a function known before running
    (``rk2(force, y, h)`` with ``force`` a module-level function, ``np.sin``, a lambda the
    caller defined ...), and which ``fn`` never rebinds: parameter -> function. The callee's
    derivative is built for those functions (``callee_pair``), as if it named them itself."""
    out = {}
    for p, a in bound.items():
        if not is_static(a):
            continue
        obj = value_of(a)
        if callable(obj) and not isinstance(obj, type):
            out[p] = obj
    return out


def fix_function_arguments(node: ast.FunctionDef, scope: Scope, fixed: dict) -> None:
    """Make ``node``'s reads of each parameter in ``fixed`` read a free name bound to its
    function instead (the function's own name where it is free, else ``<param>_fn``); the
    parameter stays, unused, so callers pass the same arguments."""
    taken = local_names(node) | _all_names(node)
    for p, fn in fixed.items():
        if any(
            isinstance(n, ast.Name) and n.id == p and not isinstance(n.ctx, ast.Load)
            for n in ast.walk(node)
        ):
            continue  # rebound in the body: not always the caller's function
        own = getattr(fn, "__name__", "")
        new = own if own.isidentifier() and own not in taken else f"{p}_fn"
        k = 2
        while new in taken:
            new = f"{p}_fn_{k}"
            k += 1
        taken.add(new)
        scope.fixed[new] = fn
        for n in ast.walk(node):
            if isinstance(n, ast.Name) and n.id == p and isinstance(n.ctx, ast.Load):
                n.id = new
