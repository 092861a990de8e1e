"""Errors about the user's code, pointing at the user's line.

In: a node of the user's syntax tree (its ``lineno``/``col_offset`` are the file's, see
``lookup``) and the ``FunctionSource`` it came from.
Out: ``UnsupportedSyntaxError`` / ``MissingRuleError`` / ``PullbackError`` instances with the
filename, line, column, the offending line, a caret and a hint.
"""

from __future__ import annotations

import ast

from ...errors import (
    MissingRuleError,
    NonDifferentiableError,
    PullbackError,
    UnsupportedSyntaxError,
)


def where(node: ast.AST | None, src) -> dict:
    """``filename``/``lineno``/``col_offset``/``line`` keywords for an error at ``node``."""
    if src is None:
        return {}
    lineno = getattr(node, "lineno", None) if node is not None else None
    col = getattr(node, "col_offset", None) if node is not None else None
    if lineno is None:
        lineno = src.first_lineno
    line = src.line(lineno)
    if col is not None:
        col += src.col_shift
    return {"filename": src.filename, "lineno": lineno, "col_offset": col, "line": line}


def unsupported(node, src, message: str, hint: str | None = None) -> UnsupportedSyntaxError:
    return UnsupportedSyntaxError(message, hint=hint, **where(node, src))


def missing_rule(name: str, node, src) -> MissingRuleError:
    return MissingRuleError(name, **where(node, src))


class InternalError(PullbackError):
    """An unexpected failure inside the source transformation, reported at the user's line."""


def internal(node, src, exc: BaseException) -> PullbackError:
    loc = where(node, src)
    place = f"{loc['filename']}:{loc['lineno']}" if loc else "the function"
    line = (loc.get("line") or "").strip()
    message = (
        f"pullback could not differentiate {place}"
        + (f" ({line!r})" if line else "")
        + f": internal error {type(exc).__name__}: {exc}. "
        "Please report this; meanwhile mode='tape' differentiates the same function."
    )
    return InternalError(message)


def transformation_failure(exc: BaseException, norm) -> PullbackError:
    """The error to raise for an unexpected exception while transforming the function that
    ``norm`` (a ``Normalized``, or None before the front end finished) holds: too deep a
    nesting is the user's to fix, anything else an internal failure at the user's line."""
    node = norm.fdef if norm is not None else None
    src = norm.src if norm is not None else None
    if isinstance(exc, RecursionError):
        return unsupported(node, src, f"the function is too deeply nested to transform ({exc})")
    return internal(node, src, exc)


def refuse_derivative_through_text(activity, src) -> None:
    """Raise where a number read back from a string formatted from a differentiated value
    (``float(f"{x}")``) reaches the output: its derivative would be silently lost."""
    if not activity.through_text:
        return
    value = min(activity.through_text.values(), key=lambda e: getattr(e, "lineno", 0))
    raise NonDifferentiableError(
        "a number read back from a string made of a differentiated value: a string cannot "
        "carry a derivative",
        hint="compute with the number itself; formatting it for printing or logging "
        '(print(f"{x}")) is fine where the string does not flow into the result',
        **where(value, src),
    )
