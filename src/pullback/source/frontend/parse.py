"""Parse: the syntax tree of one user function, with the file's line numbers.

In: a ``FunctionSource`` (from ``lookup``).
Out: the ``ast.FunctionDef`` of the function (decorators dropped), or for a lambda an
equivalent ``FunctionDef`` whose body is ``return <expression>``. Every node's ``lineno`` is
the line in the user's file; ``col_offset`` is relative to the dedented text (add
``FunctionSource.col_shift`` for the file's column).

The text read may hold several candidates (two lambdas on one line, a nested def named like
its outer one): the one chosen is the one whose span holds every position the function's code
object records (``co_positions``), the innermost where several do. Where the code records no
columns and the candidates cannot be told apart, the function is refused, never guessed.
"""

from __future__ import annotations

import ast

from ...errors import SourceUnavailableError
from .lookup import FunctionSource


def parse_function(src: FunctionSource) -> ast.FunctionDef:
    fn = src.fn
    code = fn.__code__
    is_lambda = fn.__name__ == "<lambda>"
    tree = _parse_fragment(src.text)
    if is_lambda:
        lam = _lambda_of_fragment(tree, code, src) if tree is not None else None
        if lam is None:
            lam = _lambda_of_file(code, src)  # a lambda inside a larger statement
        if lam is None:
            if tree is None:
                raise SourceUnavailableError(
                    f"cannot parse the source of {fn.__qualname__}; use mode='tape'"
                )
            _choose(_lambdas(ast.walk(tree[0])), code, src, "lambda")  # says why
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
    if tree is None:
        raise SourceUnavailableError(
            f"cannot parse the source of {fn.__qualname__}; use mode='tape'"
        )
    tree, line_shift = tree
    ast.increment_lineno(tree, src.first_lineno - 1 + line_shift)
    defs = [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == fn.__name__
    ]
    node = _choose(defs, code, src, f"def {fn.__name__}")
    node.decorator_list = []
    return node


def _lambdas(nodes) -> list:
    return [n for n in nodes if isinstance(n, ast.Lambda)]


def _lambda_of_fragment(parsed, code, src: FunctionSource):
    """The lambda in the text of its own lines, or None where they hold no candidate."""
    tree, line_shift = parsed
    ast.increment_lineno(tree, src.first_lineno - 1 + line_shift)
    try:
        return _choose(_lambdas(ast.walk(tree)), code, src, "lambda")
    except SourceUnavailableError:
        return None


def _lambda_of_file(code, src: FunctionSource):
    """The lambda found in its whole file (one that is a value in a dict literal or an
    argument split over lines, whose own lines do not parse), or None. Columns are made
    relative to the dedented text, as for a fragment."""
    try:
        tree = ast.parse("".join(src.file_lines))
    except (SyntaxError, ValueError):
        return None
    line = code.co_firstlineno
    found = [n for n in _lambdas(ast.walk(tree)) if n.lineno <= line <= n.end_lineno]
    whole_file = FunctionSource(src.fn, src.filename, src.text, src.first_lineno, 0, src.file_lines)
    try:
        lam = _choose(found, code, whole_file, "lambda")
    except SourceUnavailableError:
        return None
    for n in ast.walk(lam):
        if hasattr(n, "col_offset"):
            n.col_offset -= src.col_shift
            if getattr(n, "end_col_offset", None) is not None:
                n.end_col_offset -= src.col_shift
    return lam


def _choose(found: list, code, src: FunctionSource, what: str):
    """The candidate node that compiled to ``code``; see the module docstring."""
    params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
    found = [n for n in found if [a.arg for a in _all_args(n.args)] == params]
    if not found:
        raise SourceUnavailableError(
            f"cannot find the {what} of {src.fn.__qualname__} in its source "
            f"({src.filename}:{code.co_firstlineno}); use mode='tape'"
        )
    positions = _positions(code)
    if positions:
        holding = [n for n in found if all(_holds(n, p, src.col_shift) for p in positions)]
        if holding:
            # the innermost: it starts last (a nested candidate starts inside its outer one)
            return max(holding, key=lambda n: (n.lineno, n.col_offset))
    if len(found) == 1:
        return found[0]
    same_line = [n for n in found if n.lineno == code.co_firstlineno]
    if len(same_line) == 1:
        return same_line[0]
    line = src.line(code.co_firstlineno) or ""
    raise SourceUnavailableError(
        f"{src.filename}:{code.co_firstlineno}: cannot tell which {what} of "
        f"{len(same_line or found)} in {line.strip()!r} is {src.fn.__qualname__}; "
        "give it a def of its own, or use mode='tape'"
    )


def _positions(code) -> list[tuple]:
    """The source spans (line, col, end line, end col) the instructions of ``code`` record,
    without the ones that point at no expression (the function's entry)."""
    positions = getattr(code, "co_positions", None)
    if positions is None:  # Python 3.10
        return []
    out = set()
    for line, end_line, col, end_col in positions():
        if None in (line, end_line, col, end_col):
            continue
        if line == end_line and col == end_col == 0:
            continue
        out.add((line, col, end_line, end_col))
    return sorted(out)


def _holds(node, position, col_shift: int) -> bool:
    line, col, end_line, end_col = position
    start = (node.lineno, node.col_offset + col_shift)
    end = (node.end_lineno, node.end_col_offset + col_shift)
    return start <= (line, col) and (end_line, end_col) <= end


def _all_args(args: ast.arguments):
    return [*args.posonlyargs, *args.args, *args.kwonlyargs]


def _parse_fragment(text: str):
    """``(tree, line shift)`` of ``text``; a lambda's lines may be part of a larger expression,
    so retry trimmed, or wrapped in parentheses opened on a line of its own (which keeps every
    column, at the cost of one line: the shift)."""
    try:
        return ast.parse(text), 0
    except SyntaxError:
        pass
    lines = text.splitlines()
    for end in range(len(lines), 0, -1):
        chunk = "\n".join(lines[:end]).rstrip().rstrip(",").rstrip("\\")
        for attempt, shift in (
            (chunk, 0),
            ("(\n" + chunk + "\n)", -1),
            (chunk + ")", 0),
            (chunk + "))", 0),
        ):
            try:
                return ast.parse(attempt), shift
            except SyntaxError:
                continue
    return None
