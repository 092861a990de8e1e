"""Codegen: Python text for generated functions, with comments, a source map and linecache.

In: generated ``FunctionDef`` nodes whose statements carry the user's line numbers (adjoint
statements are marked), the ``FunctionSource`` of each user function, and the globals to run in.
Out: a ``GeneratedModule``: the text (``# grad of: <original line>  (file.py:N)`` above each
group of adjoint statements), the compiled functions, a source map from generated line to
``(user file, user line)``, and the text written to a file of its own (``files``) and
registered in ``linecache``, so tracebacks, pdb and ``inspect.getsource`` show the generated code.
"""

from __future__ import annotations

import ast
import itertools
import math
import os
import threading
from dataclasses import dataclass, field

from ..common import files
from . import tracebacks

_counter = itertools.count(1)
_lock = threading.Lock()


@dataclass
class Piece:
    """One generated function and where its lines come from. ``sweep``: "backward" for a
    function that is all backward sweep (a vjp's backward half); else each statement says."""

    node: ast.FunctionDef
    src: object  # FunctionSource of the user function it derives from
    docstring: str | None = None
    sweep: str | None = None


@dataclass
class GeneratedModule:
    text: str
    filename: str
    functions: dict
    source_map: dict = field(default_factory=dict)  # generated line -> (user file, line)
    guards: tuple = ()  # user names bound at transform time (see Namespace.guards)
    sweeps: dict = field(default_factory=dict)  # generated line -> "forward" | "backward"
    owners: dict = field(default_factory=dict)  # generated line -> generated function's name
    via: dict = field(default_factory=dict)  # line -> ((generated file, line, sweep), ...)

    def origin(self, lineno: int):
        return self.source_map.get(lineno)


def mark_adjoint(stmts) -> None:
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.stmt):
                n._adjoint = True


class _Emitter:
    """Lines of text and, for each, the user's (file, line) it comes from, composed through
    generated code: a derivative of a derivative maps to the user's own lines."""

    def __init__(self):
        self.lines: list[str] = []
        self.source_map: dict[int, tuple] = {}
        self.sweeps: dict[int, str] = {}
        self.owners: dict[int, str] = {}
        self.via: dict[int, tuple] = {}
        self.src = None
        self.inner = None  # the generated module self.src is, when differentiating one
        self.last_comment = None
        self.sweep = "forward"
        self.owner = None

    def place(self, origin):
        """``(user file, line, via)`` of line ``origin`` of the function being emitted."""
        if self.inner is None:
            return self.src.filename, origin, ()
        place = tracebacks.origin_of(self.inner, origin)
        if place is None:
            return self.src.filename, origin, ()
        inner_sweep = self.inner.sweeps.get(origin, "forward")
        hop = (self.inner.filename, origin, inner_sweep)
        return place[0], place[1], (hop, *self.inner.via.get(origin, ()))

    def line(self, text: str, indent: int, origin=None):
        self.lines.append("    " * indent + text)
        n = len(self.lines)
        self.sweeps[n] = self.sweep
        self.owners[n] = self.owner
        if origin is not None and self.src is not None:
            filename, lineno, via = self.place(origin)
            self.source_map[n] = (filename, lineno)
            if via:
                self.via[n] = via

    def comment_for(self, s, indent):
        if getattr(s, "_bookkeeping", False):
            return
        if getattr(s, "_adjoint", False) or getattr(s, "_seed", False):
            self.sweep = "backward"
        if not getattr(s, "_adjoint", False):
            self.last_comment = None
            return
        lineno = getattr(s, "lineno", None)
        if lineno is None or self.src is None or lineno == self.last_comment:
            return
        text = (self.src.line(lineno) or "").strip()
        if not text:
            return
        self.last_comment = lineno
        filename, user_line, _ = self.place(lineno)
        short = filename.replace("\\", "/").rsplit("/", 1)[-1]
        self.line(f"# grad of: {text}  ({short}:{user_line})", indent, lineno)

    def stmts(self, stmts, indent):
        for s in stmts:
            self.stmt(s, indent)

    def stmt(self, s, indent):
        origin = getattr(s, "lineno", None)
        self.comment_for(s, indent)
        if isinstance(s, ast.If):
            self.line(f"if {ast.unparse(s.test)}:", indent, origin)
            mark = self.last_comment
            self.stmts(s.body, indent + 1)
            if s.orelse:
                self.line("else:", indent, origin)
                self.last_comment = mark
                self.stmts(s.orelse, indent + 1)
            self.last_comment = None
        elif isinstance(s, ast.For):
            self.line(f"for {ast.unparse(s.target)} in {ast.unparse(s.iter)}:", indent, origin)
            self.stmts(s.body, indent + 1)
            self.last_comment = None
        elif isinstance(s, ast.While):
            self.line(f"while {ast.unparse(s.test)}:", indent, origin)
            self.stmts(s.body, indent + 1)
            self.last_comment = None
        else:
            for _k, text in enumerate(_unparse(s).splitlines()):
                self.line(text, indent, origin)

    def function(self, piece: Piece):
        node = piece.node
        self.src = piece.src
        self.inner = tracebacks.module_of(piece.src.filename)
        self.last_comment = None
        self.sweep = piece.sweep or "forward"
        self.owner = node.name
        self.line(f"def {node.name}({ast.unparse(node.args)}):", 0, getattr(node, "lineno", None))
        if piece.docstring:
            self.line('"""' + piece.docstring + '"""', 1)
        self.stmts(node.body, 1)


def _unparse(s) -> str:
    """``ast.unparse``, writing ``a, b = x, None`` without the parentheses it adds."""
    if (
        isinstance(s, ast.Assign)
        and isinstance(s.value, ast.Tuple)
        and len(s.value.elts) > 1
        and not any(isinstance(e, ast.Starred) for e in s.value.elts)
    ):
        targets = " = ".join(_bare_tuple(t) for t in s.targets)
        return f"{targets} = {_bare_tuple(s.value)}"
    return ast.unparse(s)


def _bare_tuple(e) -> str:
    if isinstance(e, ast.Tuple) and len(e.elts) > 1:
        return ", ".join(ast.unparse(x) for x in e.elts)
    return ast.unparse(e)


class _Literals(ast.NodeTransformer):
    """Constants written as the expressions Python reads them as: the optimizer folds
    ``-2.0`` into ``Constant(-2.0)``, which ``ast.unparse`` writes without parentheses, so
    ``(-2.0) ** 2`` would come out as ``-2.0 ** 2``, that is ``-(2.0 ** 2)``."""

    def visit_Constant(self, e):
        return ast.copy_location(literal(e.value), e)


def literal(value) -> ast.expr:
    """An expression that unparses to text Python reads back as ``value``: a negative number
    is the negation of a positive one, a tuple a tuple display."""
    if isinstance(value, tuple):
        return ast.Tuple(elts=[literal(v) for v in value], ctx=ast.Load())
    if isinstance(value, frozenset):
        return ast.Call(
            func=ast.Name(id="frozenset", ctx=ast.Load()),
            args=[ast.Set(elts=[literal(v) for v in value])] if value else [],
            keywords=[],
        )
    if isinstance(value, complex) and not isinstance(value, bool):
        imag = ast.Constant(complex(0.0, abs(value.imag)))
        if value.real == 0 and math.copysign(1.0, value.real) > 0:
            return _negated(imag) if math.copysign(1.0, value.imag) < 0 else imag
        op = ast.Sub() if math.copysign(1.0, value.imag) < 0 else ast.Add()
        return ast.BinOp(left=literal(value.real), op=op, right=imag)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if isinstance(value, float) and value != value:  # nan: written as inf - inf
            return ast.BinOp(left=literal(math.inf), op=ast.Sub(), right=literal(math.inf))
        if math.copysign(1.0, value) < 0:
            return _negated(ast.Constant(type(value)(-value)))
    return ast.Constant(value)


def _negated(e) -> ast.expr:
    return ast.UnaryOp(op=ast.USub(), operand=e)


def _fill_locations(node, lineno):
    """Give every statement a line: its own, or else that of the statement around it."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.stmt, ast.expr)):
            if getattr(child, "lineno", None) is None:
                child.lineno = lineno
                child.col_offset = 0
            if isinstance(child, ast.stmt) and not hasattr(child, "type_comment"):
                child.type_comment = None
            _fill_locations(child, child.lineno)
        else:
            _fill_locations(child, lineno)


def generate(pieces: list[Piece], namespace: dict, title: str) -> GeneratedModule:
    """Emit, write to disk (and linecache) and run the generated functions."""
    for piece in pieces:
        _Literals().visit(piece.node)
        _fill_locations(piece.node, getattr(piece.node, "lineno", None) or 1)
    em = _Emitter()
    for k, piece in enumerate(pieces):
        if k:
            em.lines += ["", ""]
        em.function(piece)
    text = "\n".join(em.lines) + "\n"
    if os.environ.get("PULLBACK_CHECK_CODEGEN"):
        check_round_trip(pieces, text)
    with _lock:
        n = next(_counter)
    filename = files.place(title, text, n)
    code = compile(text, filename, "exec")
    exec(code, namespace)
    functions = {p.node.name: namespace[p.node.name] for p in pieces}
    module = GeneratedModule(text, filename, functions, em.source_map)
    module.sweeps, module.owners, module.via = em.sweeps, em.owners, em.via
    tracebacks.register(module)
    for fn in functions.values():
        fn.__pullback_module__ = module
    return module


def _dump(node) -> str:
    return ast.dump(node, include_attributes=False)


def round_trip_mismatches(pieces: list[Piece], text: str) -> list[tuple[str, str]]:
    """The statements of ``pieces`` that ``text`` does not say: ``(tree's dump, text's dump)``
    for each generated statement whose text parses back to another tree."""
    parsed = [s for s in ast.parse(text).body if isinstance(s, ast.FunctionDef)]
    out = []
    for piece, back in zip(pieces, parsed, strict=True):
        body = list(piece.node.body)
        if piece.docstring:
            body.insert(0, ast.Expr(value=ast.Constant(piece.docstring)))
        pairs = [(piece.node.args, back.args), *itertools.zip_longest(body, back.body)]
        for made, read in pairs:
            if made is None or read is None or _dump(made) != _dump(read):
                out.append((_dump(made) if made else "", _dump(read) if read else ""))
    return out


def check_round_trip(pieces: list[Piece], text: str) -> None:
    """Raise ``InternalError`` where the generated text would run something other than the
    generated tree (a debug check, on where ``PULLBACK_CHECK_CODEGEN`` is set)."""
    bad = round_trip_mismatches(pieces, text)
    if bad:
        from ..common.diagnostics import InternalError

        made, read = bad[0]
        raise InternalError(f"generated text does not say its tree:\n{made}\nreads as\n{read}")
