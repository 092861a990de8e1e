"""Parse: the syntax tree of one user function, with the file's line numbers.

In: a ``FunctionSource`` (from ``lookup``).
Out: the ``ast.FunctionDef`` of the function (decorators dropped), or for a lambda an
equivalent ``FunctionDef`` whose body is ``return <expression>``. Every node's ``lineno`` is
the line in the user's file; ``col_offset`` is relative to the dedented text (add
``FunctionSource.col_shift`` for the file's column).
"""

from __future__ import annotations

import ast

from ..errors import SourceUnavailableError
from .lookup import FunctionSource


def parse_function(src: FunctionSource) -> ast.FunctionDef:
    fn = src.fn
    code = fn.__code__
    is_lambda = fn.__name__ == "<lambda>"
    tree = _parse_fragment(src.text)
    if tree is None:
        raise SourceUnavailableError(
            f"cannot parse the source of {fn.__qualname__}; use mode='tape'"
        )
    ast.increment_lineno(tree, src.first_lineno - 1)
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    if is_lambda:
        found = [n for n in ast.walk(tree) if isinstance(n, ast.Lambda)]
        found = [n for n in found if [a.arg for a in _all_args(n.args)] == params] or found
        same_line = [n for n in found if n.lineno == code.co_firstlineno]
        found = same_line or found
        if not found:
            raise SourceUnavailableError(
                f"cannot find the lambda of {fn.__qualname__} in its source; use mode='tape'"
            )
        lam = found[0]
        ret = ast.Return(value=lam.body)
        ast.copy_location(ret, lam.body)
        node = ast.FunctionDef(
            name="lambda",
            args=lam.args,
            body=[ret],
            decorator_list=[],
            returns=None,
            type_comment=None,
        )
        ast.copy_location(node, lam)
        return node
    defs = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == fn.__name__
    ]
    if not defs:
        raise SourceUnavailableError(
            f"cannot find 'def {fn.__name__}' in its source; use mode='tape'"
        )
    node = defs[0]
    node.decorator_list = []
    return node


def _all_args(args: ast.arguments):
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


def _parse_fragment(text: str):
    """Parse ``text``; a lambda's lines may be part of a larger expression, so retry trimmed."""
    try:
        return ast.parse(text)
    except SyntaxError:
        pass
    lines = text.splitlines()
    for end in range(len(lines), 0, -1):
        chunk = "\n".join(lines[:end]).rstrip().rstrip(",").rstrip("\\")
        for attempt in (chunk, "(" + chunk + ")", chunk + ")", chunk + "))"):
            try:
                return ast.parse(attempt)
            except SyntaxError:
                continue
    return None
