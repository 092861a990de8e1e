"""Source lookup: find the text of a user function.

In: a Python function object (a ``def``, a lambda, a nested def, a function defined in an
IPython/Jupyter cell).
Out: a ``FunctionSource``: the filename, the dedented text, the file line of its first line,
the column shift removed by dedenting, and the file's lines (for error messages).
Raises ``SourceUnavailableError`` when the text cannot be found (built with exec, typed into a
plain REPL), and ``SourceChangedError`` when the file was edited after the function was
compiled (see ``freshness``).
"""

from __future__ import annotations

import inspect
import linecache
import textwrap
from dataclasses import dataclass, field

from ...errors import SourceUnavailableError
from .freshness import check_current


@dataclass
class FunctionSource:
    fn: object
    filename: str
    text: str  # dedented source of the def (decorators included) or of the lambda's lines
    first_lineno: int  # file line number of the first line of ``text``
    col_shift: int  # columns removed by dedenting
    file_lines: list[str] = field(default_factory=list)

    def line(self, lineno: int) -> str | None:
        if 1 <= lineno <= len(self.file_lines):
            return self.file_lines[lineno - 1].rstrip("\n")
        return None

    @property
    def short_filename(self) -> str:
        name = self.filename.replace("\\", "/")
        return name.rsplit("/", 1)[-1]


def _unavailable(fn, why: str) -> SourceUnavailableError:
    name = getattr(fn, "__qualname__", None) or repr(fn)
    return SourceUnavailableError(
        f"cannot find the source of {name} ({why}); source mode transforms a function's text. "
        "Use mode='tape' (or 'graph'), which needs only to run the function: "
        "pb.grad(f, mode='tape')"
    )


def function_source(fn) -> FunctionSource:
    """The source of ``fn``; see the module docstring."""
    code = getattr(fn, "__code__", None)
    if code is None:
        raise _unavailable(fn, "it is not a Python function")
    filename = code.co_filename
    check_current(fn, code, _current_lines(filename, getattr(fn, "__globals__", None)))
    lines: list[str] | None = None
    first = None
    try:
        lines, first = inspect.getsourcelines(fn)
    except (OSError, TypeError, IndexError, SyntaxError):
        lines = None
    if not lines:
        file_lines = linecache.getlines(filename)
        if not file_lines:
            raise _unavailable(fn, f"no text for {filename!r}")
        start = code.co_firstlineno - 1
        try:
            lines = inspect.getblock(file_lines[start:])
        except Exception:
            lines = file_lines[start:]
        first = code.co_firstlineno
    if first == 0:  # a module-level code object; not expected for functions
        first = 1
    text = "".join(lines)
    dedented = textwrap.dedent(text)
    shift = _common_indent(text)
    file_lines = linecache.getlines(filename) or text.splitlines(True)
    if not linecache.getlines(filename):
        # text known only through inspect (rare): number the lines of the text itself
        file_lines = [""] * (first - 1) + text.splitlines(True)
    return FunctionSource(fn, filename, dedented, first, shift, file_lines)


def _current_lines(filename: str, module_globals) -> list[str]:
    """The file's lines as ``inspect`` will read them: re-read where the file changed."""
    linecache.checkcache(filename)
    return linecache.getlines(filename, module_globals)


def _common_indent(text: str) -> int:
    indents = [len(ln) - len(ln.lstrip()) for ln in text.splitlines() if ln.strip()]
    return min(indents) if indents else 0
