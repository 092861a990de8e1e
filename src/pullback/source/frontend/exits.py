"""Exits: ``break``, ``continue`` and early ``return`` lowered to flags or structured branches.

In: the statements of a function or loop body being desugared (``Desugarer`` drives it).
Out: the same statements without ``break``/``continue`` and with one ``return`` at the end: a
flag (``broke``, ``skip``, ``returned``) guards the rest of the block, or, where a branch
always returns, the rest moves into a structured ``if``/``else``.
"""

from __future__ import annotations

import ast
from typing import TYPE_CHECKING

from ..common.syntax import assign, call, loc, name

if TYPE_CHECKING:
    from .desugar import Desugarer


# -- break / continue / return -----------------------------------------------------------------


def _contains(stmts, kinds, into_loops: bool) -> bool:
    for s in stmts:
        for n in _walk_stmt(s, into_loops):
            if isinstance(n, kinds):
                return True
    return False


def _walk_stmt(s, into_loops):
    yield s
    if isinstance(s, ast.If):
        for c in s.body + s.orelse:
            yield from _walk_stmt(c, into_loops)
    elif isinstance(s, (ast.For, ast.While)) and into_loops:
        for c in s.body:
            yield from _walk_stmt(c, into_loops)


def always_returns(stmts) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, ast.Return):
        return True
    if isinstance(last, ast.If):
        return always_returns(last.body) and always_returns(last.orelse)
    return False


class ExitLowering:
    """Turn break/continue/early return into flags or structured branches (see module doc)."""

    def __init__(self, d: Desugarer):
        self.d = d
        self.namer = d.namer
        self.result = None
        self.returned = None
        self.flag_reads = 0

    def function_body(self, body, node):
        returns = [n for s in body for n in _walk_stmt(s, True) if isinstance(n, ast.Return)]
        if returns and not always_returns(body):  # Python's implicit return None at the end
            body = body + [loc(ast.Return(value=ast.Constant(None)), node)]
            returns.append(body[-1])
        simple = len(returns) == 1 and body and body[-1] is returns[0]
        if not returns or simple:
            if not returns:
                body = body + [loc(ast.Return(value=ast.Constant(None)), node)]
            return self.block(body, loop=None)
        self.result = self.namer.fresh("result")
        self.returned = self.namer.fresh("returned")
        lowered = self.block(body, loop=None)
        uses_flag = any(
            isinstance(n, ast.Name) and n.id == self.returned and isinstance(n.ctx, ast.Load)
            for s in lowered
            for n in ast.walk(s)
        )
        if uses_flag:
            lowered = [assign(self.returned, ast.Constant(False), node)] + lowered
        else:
            lowered = _drop_assignments(lowered, self.returned)
        if not always_returns(lowered):
            lowered.append(loc(ast.Return(value=name(self.result)), node))
        return lowered

    def block(self, stmts, loop) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for k, s in enumerate(stmts):
            rest = stmts[k + 1 :]
            if isinstance(s, ast.Return):
                value = s.value if s.value is not None else ast.Constant(None)
                if self.result is None:  # the single final return
                    out.append(s)
                    return out
                out.append(assign(self.result, value, s))
                out.append(assign(self.returned, ast.Constant(True), s))
                return out
            if isinstance(s, (ast.Break, ast.Continue)) and loop is _KEEP_EXITS:
                out.append(s)  # a structured exit, ending its branch (see _structured_exits)
                return out
            if isinstance(s, ast.Break):
                out.append(assign(loop["broke"], ast.Constant(True), s))
                return out
            if isinstance(s, ast.Continue):
                out.append(assign(loop["skip"], ast.Constant(True), s))
                return out
            if isinstance(s, ast.If):
                if loop is None and self.result is not None:
                    if always_returns(s.body) and rest:
                        s = loc(ast.If(test=s.test, body=s.body, orelse=s.orelse + rest), s)
                        rest = []
                    elif always_returns(s.orelse) and rest:
                        s = loc(ast.If(test=s.test, body=s.body + rest, orelse=s.orelse), s)
                        rest = []
                new = loc(
                    ast.If(
                        test=s.test,
                        body=self.block(s.body, loop) or [ast.Pass()],
                        orelse=self.block(s.orelse, loop),
                    ),
                    s,
                )
                if not new.orelse and all(isinstance(b, ast.Pass) for b in new.body):
                    new = None
                if new is not None:
                    out.append(new)
                flags = self.flags_set(s, loop)
            elif isinstance(s, ast.While):
                out.extend(self.while_loop(s))
                flags = self.flags_set(s, loop)
            elif isinstance(s, ast.For):
                out.extend(self.for_loop(s))
                flags = self.flags_set(s, loop)
            else:
                out.append(s)
                flags = []
            if flags and rest:
                guarded = self.block(rest, loop)
                if guarded:
                    out.append(loc(ast.If(test=_none_of(flags), body=guarded, orelse=[]), rest[0]))
                return out
            if isinstance(s, ast.If) and always_returns(s.body) and always_returns(s.orelse):
                return out
        return out

    def flags_set(self, s, loop) -> list[str]:
        flags = []
        if loop is not None and loop is not _KEEP_EXITS:
            if _contains([s], ast.Break, False) and not isinstance(s, (ast.For, ast.While)):
                flags.append(loop["broke"])
            if _contains([s], ast.Continue, False) and not isinstance(s, (ast.For, ast.While)):
                flags.append(loop["skip"])
        if self.result is not None and _contains([s], ast.Return, True):
            if not (isinstance(s, ast.If) and always_returns(s.body) and always_returns(s.orelse)):
                flags.append(self.returned)
        return flags

    def loop_ctx(self, s):
        ctx = {"broke": None, "skip": None}
        if _contains(s.body, ast.Break, False):
            ctx["broke"] = self.namer.fresh("broke")
        if _contains(s.body, ast.Continue, False):
            ctx["skip"] = self.namer.fresh("skip")
        returns = self.result is not None and _contains(s.body, ast.Return, True)
        return ctx, returns

    def stop_test(self, ctx, returns, test):
        flags = [f for f in (ctx["broke"], self.returned if returns else None) if f]
        if not flags:
            return test
        values = [ast.UnaryOp(op=ast.Not(), operand=name(f)) for f in flags] + [test]
        return ast.BoolOp(op=ast.And(), values=values)

    def body_with_skip(self, ctx, body):
        if ctx["skip"]:
            return [assign(ctx["skip"], ast.Constant(False), body[0])] + body
        return body

    def while_loop(self, s):
        ctx, returns = self.loop_ctx(s)
        body = self.body_with_skip(ctx, self.block(s.body, ctx))
        out = []
        if ctx["broke"]:
            out.append(assign(ctx["broke"], ast.Constant(False), s))
        test = self.stop_test(ctx, returns, s.test)
        out.append(loc(ast.While(test=test, body=body or [ast.Pass()], orelse=[]), s))
        return out

    def for_loop(self, s):
        exits = _contains(s.body, (ast.Break, ast.Continue), False)
        returns = self.result is not None and _contains(s.body, ast.Return, True)
        structured = _structured_exits(s.body) if exits and not returns else None
        if structured is not None:  # break/continue kept: a for loop that reads like the user's
            body = self.block(structured, _KEEP_EXITS)
            return [
                loc(ast.For(target=s.target, iter=s.iter, body=body or [ast.Pass()], orelse=[]), s)
            ]
        ctx, returns = self.loop_ctx(s)
        if not ctx["broke"] and not returns:
            body = self.body_with_skip(ctx, self.block(s.body, ctx))
            return [loc(ast.For(target=s.target, iter=s.iter, body=body, orelse=[]), s)]
        # a range loop that may stop early: a while loop over the range's positions
        out = []
        rng = self.namer.fresh("loop_range")
        pos = self.namer.fresh(f"{s.target.id}_position")
        out.append(assign(rng, s.iter, s))
        out.append(assign(pos, ast.Constant(0), s))
        if ctx["broke"]:
            out.append(assign(ctx["broke"], ast.Constant(False), s))
        more = ast.Compare(
            left=name(pos), ops=[ast.Lt()], comparators=[call(self.d.builtin("len"), name(rng))]
        )
        test = self.stop_test(ctx, returns, more)
        head = [
            assign(s.target.id, ast.Subscript(value=name(rng), slice=name(pos), ctx=ast.Load()), s),
            assign(pos, ast.BinOp(left=name(pos), op=ast.Add(), right=ast.Constant(1)), s),
        ]
        body = head + self.body_with_skip(ctx, self.block(s.body, ctx))
        out.append(loc(ast.While(test=test, body=body, orelse=[]), s))
        return out


_KEEP_EXITS = {"broke": None, "skip": None}  # the loop context of a structured for body


def _structured_exits(stmts):
    """``stmts`` (a loop body) with every ``break``/``continue`` ending its branch of an ``if``
    and the statements after that ``if`` moved into its other branch, so that an exit is
    always the last thing its iteration runs: ``if c: continue`` + ``rest`` becomes
    ``if c: continue else: rest``. None where an exit sits elsewhere (flags are used then)."""
    out = []
    for k, s in enumerate(stmts):
        if isinstance(s, (ast.Break, ast.Continue)):
            out.append(s)
            return out
        if isinstance(s, ast.If) and _contains([s], (ast.Break, ast.Continue), False):
            body, orelse = _structured_exits(s.body), _structured_exits(s.orelse)
            if body is None or orelse is None:
                return None
            body_exits, orelse_exits = _always_exits(body), _always_exits(orelse)
            if not (body_exits or orelse_exits):
                return None
            rest = stmts[k + 1 :]
            if rest and not (body_exits and orelse_exits):
                tail = _structured_exits(rest)
                if tail is None:
                    return None
                if body_exits:
                    orelse = orelse + tail
                else:
                    body = body + tail
            out.append(loc(ast.If(test=s.test, body=body or [ast.Pass()], orelse=orelse), s))
            return out
        if not isinstance(s, (ast.For, ast.While, ast.If)) and any(
            isinstance(n, (ast.Break, ast.Continue)) for n in ast.walk(s)
        ):
            return None  # an exit inside a with block, say
        out.append(s)
    return out


def _always_exits(stmts) -> bool:
    if not stmts:
        return False
    last = stmts[-1]
    if isinstance(last, (ast.Break, ast.Continue)):
        return True
    return isinstance(last, ast.If) and _always_exits(last.body) and _always_exits(last.orelse)


def _none_of(flags: list[str]) -> ast.expr:
    if len(flags) == 1:
        return ast.UnaryOp(op=ast.Not(), operand=name(flags[0]))
    return ast.UnaryOp(
        op=ast.Not(), operand=ast.BoolOp(op=ast.Or(), values=[name(f) for f in flags])
    )


def _drop_assignments(stmts, var):
    out = []
    for s in stmts:
        if (
            isinstance(s, ast.Assign)
            and isinstance(s.targets[0], ast.Name)
            and s.targets[0].id == var
        ):
            continue
        if isinstance(s, ast.If):
            s.body = _drop_assignments(s.body, var) or [ast.Pass()]
            s.orelse = _drop_assignments(s.orelse, var)
        elif isinstance(s, (ast.For, ast.While)):
            s.body = _drop_assignments(s.body, var) or [ast.Pass()]
        out.append(s)
    return out
