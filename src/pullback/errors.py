"""The errors pullback raises on purpose.

In: a message, and for errors about user code the place (filename, line, column) it points at.
Out: exceptions whose ``str`` shows the offending line with a caret and a hint.

Every deliberate error is a ``PullbackError``. Misuse of arguments additionally subclasses the
builtin ``TypeError`` or ``ValueError`` so ordinary ``except`` clauses keep working.
"""

from __future__ import annotations

import linecache
import re
import threading

__all__ = [
    "PullbackError",
    "SourceError",
    "UnsupportedSyntaxError",
    "MissingRuleError",
    "NonDifferentiableError",
    "SourceUnavailableError",
    "SourceChangedError",
    "PullbackTypeError",
    "PullbackValueError",
    "PathChangedError",
]


class PullbackError(Exception):
    """Base class of every error pullback raises deliberately."""


class SourceError(PullbackError):
    """An error about a place in the user's code: shows the line, a caret and a hint."""

    def __init__(
        self,
        message: str,
        *,
        filename: str | None = None,
        lineno: int | None = None,
        col_offset: int | None = None,
        hint: str | None = None,
        line: str | None = None,
    ):
        self.message = message
        self.filename = filename
        self.lineno = lineno
        self.col_offset = col_offset
        self.hint = hint
        if line is None and filename and lineno:
            line = linecache.getline(filename, lineno)
        self.line = line.rstrip("\n") if line else None
        super().__init__(self._render())

    def _render(self) -> str:
        parts = []
        where = ""
        if self.filename is not None:
            where = f"{self.filename}"
            if self.lineno is not None:
                where += f":{self.lineno}"
                if self.col_offset is not None:
                    where += f":{self.col_offset + 1}"
            where += ": "
        parts.append(f"{where}{self.message}")
        if self.line:
            stripped = self.line.lstrip()
            indent = len(self.line) - len(stripped)
            parts.append(f"    {stripped}")
            if self.col_offset is not None and self.col_offset >= indent:
                parts.append("    " + " " * (self.col_offset - indent) + "^")
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)


class UnsupportedSyntaxError(SourceError):
    """The user's function uses a construct that pullback cannot differentiate."""


class MissingRuleError(SourceError):
    """A function without a derivative rule was called on a value that needs a derivative."""

    def __init__(self, name: str, message: str | None = None, **where):
        self.name = name
        short = re.match(r"\w*", name.rsplit(".", 1)[-1]).group()  # "opaque (vectorized)"
        if name.startswith(("functools.partial(", "numpy.vectorize(")) or not short:
            default = (
                f"{name} wraps a function that source mode cannot see through: call the wrapped "
                "function itself in a def of your own (for np.vectorize, write it with NumPy's "
                "elementwise operations), or use mode='tape', which runs a partial's function"
            )
        else:
            default = (
                f"register a rule: pb.defvjp({short}, lambda g, ans, x: ...) "
                "and pb.defjvp(...), or decorate your own function with @pb.custom_vjp; "
                "pb.supported_functions() lists what has a rule"
            )
        hint = where.pop("hint", None) or default
        super().__init__(message or f"no derivative rule for {name}", hint=hint, **where)


class NonDifferentiableError(SourceError):
    """A derivative was asked of something that has none (an integer, a comparison...).

    Each one made while ``watching()`` is noted, so that a refusal the user's own
    ``try``/``except`` swallowed while tape or graph mode ran their code is raised again
    when the call returns, instead of a value computed without the refused step."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        noted = getattr(_WATCH, "noted", None)
        if noted is not None:
            noted.append(self)


_WATCH = threading.local()


class watching:
    """``with watching() as noted:`` collects the NonDifferentiableErrors made inside."""

    def __enter__(self) -> list:
        self.previous = getattr(_WATCH, "noted", None)
        _WATCH.noted = self.noted = []
        return self.noted

    def __exit__(self, *exc) -> None:
        _WATCH.noted = self.previous
        if self.previous is not None:
            self.previous.extend(self.noted)


class CompileError(SourceError):
    """``compile="numba"`` cannot be honoured: Numba is missing, an argument has a kind no
    compiled code takes, or Numba cannot type a line (named in the user's file)."""


class SourceUnavailableError(PullbackError):
    """The source of a function cannot be found (typed into a plain REPL, built with exec...)."""


class SourceChangedError(SourceUnavailableError):
    """A function's file was edited after it was imported: its text is not its code."""


class PullbackTypeError(PullbackError, TypeError):
    """Misuse of an argument's type: an integer to differentiate, a non-scalar output for grad."""


class PullbackValueError(PullbackError, ValueError):
    """Misuse of an argument's value."""


class PathChangedError(PullbackError):
    """A traced graph was replayed on inputs that take another path through control flow."""


class NonFiniteError(PullbackError, FloatingPointError):
    """The first NaN or Inf a derivative produced (``check_finite=True``, ``pb.debug_nans()``).

    ``sweep`` ("forward" or "backward"), the user's ``filename``, ``lineno`` and ``text``,
    the ``primitive`` (or its rule) that produced it, and for source mode ``generated_line``.
    """

    def __init__(
        self,
        message,
        *,
        sweep=None,
        filename=None,
        lineno=None,
        text=None,
        primitive=None,
        generated_line=None,
    ):
        super().__init__(message)
        self.sweep = sweep
        self.filename = filename
        self.lineno = lineno
        self.text = text
        self.primitive = primitive
        self.generated_line = generated_line
