"""The public source map: every generated line, traced to the user's line it comes from.

In: a source-mode derivative (what ``pb.grad(f)`` or ``pb.value_and_grad(f)`` returned, or a
generated function), whose ``GeneratedModule`` codegen filled with composed origins.
Out: ``source_map(df)``, one ``SourceLine`` per generated line that comes from a user line:
the user's file, line, text and whole statement, and whether the line runs in the forward or
the backward sweep. At higher order the origins are already composed (a gradient of a
gradient points at the user's own lines); ``via`` lists the generated lines passed through.

>>> import pullback as pb
>>> def f(x):
...     return x * x
>>> [(m.line, m.sweep) for m in pb.source_map(pb.grad(f))][:2]
[(1, 'forward'), (3, 'forward')]
"""

from __future__ import annotations

import ast
import linecache
import textwrap
from dataclasses import dataclass

from ...errors import PullbackTypeError


@dataclass(frozen=True)
class SourceLine:
    """Generated line ``line`` (text ``code``, in generated function ``function``) comes from
    line ``lineno`` of the user's ``filename`` (text ``text``, part of ``statement``) and runs
    in the ``sweep`` ("forward" or "backward"); ``via``: the generated lines in between at
    higher order, as ``(generated file, line, sweep)``, outermost first."""

    line: int
    code: str
    function: str
    filename: str
    lineno: int
    text: str
    statement: str
    sweep: str
    via: tuple = ()

    def __str__(self) -> str:
        return f"{self.line}: {self.code.strip()}  <- {self.where} ({self.sweep})"

    @property
    def where(self) -> str:
        """``file:line: text`` of the user's line."""
        return f"{self.filename}:{self.lineno}: {self.text}"


def module_of(df, who: str = "pb.source_map"):
    """The ``GeneratedModule`` of a source-mode derivative; a PullbackTypeError otherwise."""
    module = getattr(df, "__pullback_module__", None)
    if module is None or not hasattr(module, "source_map"):
        raise PullbackTypeError(
            f"{who} takes a source-mode derivative, what pb.grad(f) or pb.value_and_grad(f) "
            f"returned (mode='source'); got {type(df).__name__} {getattr(df, '__name__', df)!r:.60}"
            ". Tape and graph derivatives generate no code: use pb.trace(f, *args) to see a graph"
        )
    return module


def source_map(df) -> list[SourceLine]:
    """For every generated line of ``df`` that comes from a user line: where it comes from."""
    module = module_of(df)
    return lines_of(module)


def lines_of(module) -> list[SourceLine]:
    generated = module.text.splitlines()
    out = []
    for line in sorted(module.source_map):
        filename, lineno = module.source_map[line]
        out.append(
            SourceLine(
                line=line,
                code=generated[line - 1] if line <= len(generated) else "",
                function=module.owners.get(line) or "",
                filename=filename,
                lineno=lineno,
                text=linecache.getline(filename, lineno).strip(),
                statement=statement_at(filename, lineno),
                sweep=module.sweeps.get(line, "forward"),
                via=module.via.get(line, ()),
            )
        )
    return out


def entry_at(module, line: int) -> SourceLine | None:
    """The ``SourceLine`` of generated ``line``, or of the nearest line above it with one."""
    for earlier in range(line, 0, -1):
        if earlier in module.source_map:
            filename, lineno = module.source_map[earlier]
            generated = module.text.splitlines()
            return SourceLine(
                line=line,
                code=generated[line - 1] if line <= len(generated) else "",
                function=module.owners.get(line) or "",
                filename=filename,
                lineno=lineno,
                text=linecache.getline(filename, lineno).strip(),
                statement=statement_at(filename, lineno),
                sweep=module.sweeps.get(line, module.sweeps.get(earlier, "forward")),
                via=module.via.get(earlier, ()),
            )
    return None


_TREES: dict = {}  # (filename, text length) -> parsed module, or None where it does not parse


def statement_at(filename: str, lineno: int) -> str:
    """The user's whole statement on ``lineno`` (a compound statement's header only)."""
    lines = linecache.getlines(filename)
    if not 1 <= lineno <= len(lines):
        return ""
    key = (filename, sum(map(len, lines)))
    if key not in _TREES:
        try:
            _TREES[key] = ast.parse("".join(lines))
        except (SyntaxError, ValueError):
            _TREES[key] = None
    tree = _TREES[key]
    best = None
    if tree is not None:
        for node in ast.walk(tree):
            if isinstance(node, ast.stmt) and node.lineno <= lineno <= (node.end_lineno or 0):
                if best is None or node.lineno >= best.lineno:
                    best = node
    if best is None:
        return lines[lineno - 1].strip()
    end = best.end_lineno
    body = getattr(best, "body", None)
    if isinstance(body, list) and body and lineno < body[0].lineno:
        end = body[0].lineno - 1  # a header (def, for, if ...): the header lines alone
    return textwrap.dedent("".join(lines[best.lineno - 1 : end])).strip()
