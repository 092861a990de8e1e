"""Straight-line adjoints of the reverse transform: one assignment, reversed.

In: an ANF assignment (``v = value``), whether it sits in a branch or loop, and the adjoint
states so far (``states``: each adjoint surely zero, a value, or maybe ``None``).
Out: the primal statements (with push/pop markers where ``v`` is overwritten in a loop, see
``reverse_loops``) and the adjoint statements: each contribution of ``value``'s operands
(``reverse_contributions``) added into their adjoint variables, ``None`` checked only where
an adjoint may be ``None``; the updated states.

- Each adjoint is known, statically, to be zero (never materialized), a value, or maybe
  ``None`` at run time (after a branch or a loop that may not have run); only the last needs
  ``None`` checks.
- ``x[i]`` read in a loop over a loop-invariant ``x``: its adjoint is added in place into the
  buffer allocated before the adjoint loop (``x_bar = scatter_add(x_bar, x, i, g)``), O(1) per
  read rather than a zeros array the size of ``x``.
- ``y[i] = v`` in a loop, where ``y`` is an array the function made (``inplace``): the forward
  sweep records the overwritten entry (``y_i_old = y[i].copy()``) and writes in place
  (``y = write_entry(y, i, v)``); the adjoint sweep takes ``v``'s adjoint from ``y_bar[i]``,
  zeroes that entry in a buffer it owns (``owned_adjoint`` before the loop) and writes the
  old entry back. Linear in the loop's length (a recurrence filling ``y`` over n = 4000:
  gradient / primal ~6, was ~31 with a copy of ``y`` per assignment).
- ``v = values.pop()`` and ``values.append(x)`` of an active list: the adjoint of the entry at
  the position the list's length gives.
"""

from __future__ import annotations

import ast
import copy
import re

from ...runtime import indexing
from ..analysis import inplace
from ..common.algebra import simplify
from ..common.naming import describe
from ..common.syntax import assign, loc, name, relocated
from .states import MAYBE, VALUE, ZERO


class Assignments:
    """The methods of ``Reverse`` (``reverse.py``) that reverse an assignment and add
    contributions into adjoint variables."""

    def is_active_append(self, s):
        c = s.value
        return (
            isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute)
            and c.func.attr == "append"
            and isinstance(c.func.value, ast.Name)
            and c.func.value.id in self.activity.active
            and c.args
            and self.activity.is_active(c.args[0])
        )

    def is_active_pop(self, value):
        return (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Attribute)
            and value.func.attr == "pop"
            and not value.args
            and not value.keywords
            and isinstance(value.func.value, ast.Name)
            and value.func.value.id in self.activity.active
        )

    def pop(self, s, v, st, push, pop, state, compound):
        """``v = values.pop()``: the popped entry's position receives ``v``'s adjoint."""
        lst = s.value.func.value.id
        length = self.namer.fresh(f"{lst}_length")
        measure = assign(
            length, ast.Call(func=self.ctx.builtin("len"), args=[name(lst)], keywords=[]), s
        )
        push_length, pop_length = self.markers(length, compound, s)
        primal = push + [s] + push_length + [measure]
        if st == ZERO:
            state.pop(v, None)
            return primal, pop_length + pop, state
        current = name(self.bar(lst)) if state.get(lst, ZERO) != ZERO else ast.Constant(None)
        added = ast.Call(
            func=self.ctx.helper("add_at"),
            args=[current, name(length), name(self.bar(v))],
            keywords=[],
        )
        code = [assign(self.bar(lst), added, s)]
        if st == MAYBE:
            if state.get(lst, ZERO) == ZERO:
                code = [
                    assign(self.bar(lst), ast.Constant(None), s),
                    loc(
                        ast.If(
                            test=ast.Compare(
                                left=name(self.bar(v)),
                                ops=[ast.IsNot()],
                                comparators=[ast.Constant(None)],
                            ),
                            body=[
                                assign(
                                    self.bar(lst),
                                    ast.Call(
                                        func=self.ctx.helper("add_at"),
                                        args=[name(self.bar(lst)), name(length), name(self.bar(v))],
                                        keywords=[],
                                    ),
                                    s,
                                )
                            ],
                            orelse=[],
                        ),
                        s,
                    ),
                ]
                state[lst] = MAYBE
        else:
            state[lst] = VALUE if state.get(lst, ZERO) != MAYBE else MAYBE
        if st != MAYBE and state.get(lst) is None:
            state[lst] = VALUE
        state.pop(v, None)
        return primal, code + pop_length + pop, state

    def append(self, s, state, compound):
        lst = s.value.func.value.id
        length = self.namer.fresh(f"{lst}_length")
        measure = assign(
            length, ast.Call(func=self.ctx.builtin("len"), args=[name(lst)], keywords=[]), s
        )
        push, pop = self.markers(length, compound, s)
        primal = push + [measure, s]
        if state.get(lst, ZERO) == ZERO:
            return primal, pop, state
        item = ast.Call(
            func=self.ctx.helper("item"), args=[name(self.bar(lst)), name(length)], keywords=[]
        )
        code = []
        state = dict(state)
        self.accumulate(s.value.args[0].id, item, True, state, code, s)
        return primal, code + pop, state

    def assign(self, s, state, compound):
        v = s.targets[0].id
        if v in self.in_place and self.loop_depth:
            kind = inplace.write_kind(s.value, v, self.value_of)
            if kind is not None:
                return self.write_in_place(s, v, kind, state)
        push, pop = self.markers(v, compound, s)
        active = v in self.activity.active
        st = state.get(v, ZERO)
        state = dict(state)
        if not active:
            state.pop(v, None)
            return push + [s], pop, state
        if self.is_active_pop(s.value):
            return self.pop(s, v, st, push, pop, state, compound)
        self._compound = compound
        contribs, pre, primal_stmt, extra = self.contributions(v, s.value, s)
        pre = [relocated(p, s) for p in pre]  # a rule's statements: the user's line
        primal = push + extra[0] + [primal_stmt]
        pop = extra[1] + pop
        if st == ZERO or not contribs:
            state.pop(v, None)
            return primal, pop, state
        code: list = []
        if st == MAYBE:
            before = []
            for t, _, _ in contribs:
                if t != v and state.get(t, ZERO) == ZERO:
                    before.append(loc(assign(self.bar(t), ast.Constant(None), s), s))
                    state[t] = MAYBE
            inner_state = dict(state)
            inner_state[v] = VALUE
            inner: list = list(pre)
            self.emit_contributions(v, contribs, inner_state, inner, s)
            for t in {t for t, _, _ in contribs}:
                if t != v:
                    state[t] = VALUE if state.get(t) == VALUE else MAYBE
            if any(t == v for t, _, _ in contribs):
                state[v] = MAYBE
            else:
                state.pop(v, None)
            test = ast.Compare(
                left=name(self.bar(v)), ops=[ast.IsNot()], comparators=[ast.Constant(None)]
            )
            code = before + [loc(ast.If(test=test, body=inner, orelse=[]), s)]
        else:
            code = list(pre)
            self.emit_contributions(v, contribs, state, code, s)
        for c in code:
            loc(c, s)
        return primal, code + pop, state

    def write_in_place(self, s, y, kind, state):
        """``y[index] = value`` (``+=`` for kind "add") into an array only this function holds:
        the forward sweep records the entry it overwrites and writes in place; the adjoint sweep
        takes ``value``'s adjoint from ``y_bar[index]``, zeroes that entry of ``y_bar`` (a buffer
        the adjoint owns, see ``own_in_place_adjoints`` in ``reverse_loops``) and writes the old
        entry back, so ``y`` holds at each point of the adjoint sweep what it held there in the
        forward sweep."""
        _, index, value = s.value.args
        entry = ast.Subscript(value=name(y), slice=copy.deepcopy(index), ctx=ast.Load())
        key = (y, s.lineno, s.col_offset, ast.dump(index))  # one name over loop-body reruns
        old = self.old_entries.get(key)
        if old is None:
            user_name = re.sub(r"_\d+$", "", y)  # y, not its SSA name y_2
            old = self.namer.fresh(f"{user_name}_{describe(index)}_old")
            self.old_entries[key] = old
        push, pop = self.markers(old, True, s)
        recorded = ast.Call(
            func=ast.Attribute(value=entry, attr="copy", ctx=ast.Load()), args=[], keywords=[]
        )
        writer = indexing.write_entry if kind == "set" else indexing.add_to_entry
        write = ast.Call(
            func=self._static_ref(writer), args=[name(y), copy.deepcopy(index), value], keywords=[]
        )
        primal = push + [assign(old, recorded, s), assign(y, write, s)]
        state = dict(state)
        code: list = []
        if y in self.activity.active and state.get(y, ZERO) != ZERO:
            y_bar = self.bar(y)
            inner: list = []
            if isinstance(value, ast.Name) and self.activity.is_active(value):
                taken = ast.Call(
                    func=self.ctx.helper("setitem_adjoint_v"),
                    args=[name(y_bar), name(y), copy.deepcopy(index), copy.deepcopy(value)],
                    keywords=[],
                )
                self.accumulate(value.id, taken, False, state, inner, s)
            if kind == "set":
                cleared = ast.Call(
                    func=self._static_ref(indexing.write_entry),
                    args=[name(y_bar), copy.deepcopy(index), ast.Constant(0.0)],
                    keywords=[],
                )
                inner.append(assign(y_bar, cleared, s))
            if state.get(y) == MAYBE and inner:
                test = ast.Compare(
                    left=name(y_bar), ops=[ast.IsNot()], comparators=[ast.Constant(None)]
                )
                inner = [loc(ast.If(test=test, body=inner, orelse=[]), s)]
            code += inner
        restore = ast.Call(
            func=self._static_ref(indexing.write_entry),
            args=[name(y), copy.deepcopy(index), name(old)],
            keywords=[],
        )
        code.append(assign(y, restore, s))
        for c in code:
            loc(c, s)
        return primal, code + pop, state

    def _sum(self, target: str, exprs: list) -> ast.expr:
        """The adjoints ``exprs`` of ``target`` added: with ``+``, or entry by entry where
        ``target`` is a list or tuple (``lst + lst``: ``+`` would concatenate them)."""
        if target not in self.activity.sequences:
            return _sum(exprs)
        out = exprs[0]
        for e in exprs[1:]:
            out = ast.Call(func=self.ctx.helper("add_adjoints"), args=[out, e], keywords=[])
        return out

    def emit_contributions(self, v, contribs, state, code, at):
        grouped: dict[str, list] = {}
        maybe: dict[str, bool] = {}
        for t, expr, m in contribs:
            grouped.setdefault(t, []).append(expr)
            maybe[t] = maybe.get(t, False) or m
        for t, exprs in grouped.items():
            if t != v:
                self.accumulate(t, self._sum(t, exprs), maybe[t], state, code, at)
        if v in grouped:
            state.pop(v, None)
            self.accumulate(v, self._sum(v, grouped[v]), maybe[v], state, code, at)
        else:
            state.pop(v, None)

    def accumulate(self, t, expr, maybe, state, code, at):
        tb = self.bar(t)
        st = state.get(t, ZERO)
        scatter = getattr(expr, "_scatter", None)
        if scatter is not None and st == VALUE and not maybe and t in self.owned:
            # x[i] read in a loop: add into the buffer allocated before the loop, in place
            x, index, g = (copy.deepcopy(e) for e in scatter)
            code.append(
                assign(
                    tb,
                    ast.Call(
                        func=self.ctx.helper("scatter_add"),
                        args=[name(tb), x, index, g],
                        keywords=[],
                    ),
                    at,
                )
            )
            return
        if st == ZERO:
            code.append(assign(tb, expr, at))
            state[t] = MAYBE if maybe else VALUE
        elif st == VALUE and not maybe and t in self.owned and t in self.activity.numeric:
            # a fresh zeros array only this loop adds into: accumulate in place
            code.append(
                loc(
                    ast.AugAssign(target=name(tb, ast.Store()), op=ast.Add(), value=simplify(expr)),
                    at,
                )
            )
        elif st == VALUE and not maybe and t in self.activity.numeric:
            code.append(
                assign(tb, simplify(ast.BinOp(left=name(tb), op=ast.Add(), right=expr)), at)
            )
        else:
            code.append(
                assign(
                    tb,
                    ast.Call(
                        func=self.ctx.helper("add_adjoints"), args=[name(tb), expr], keywords=[]
                    ),
                    at,
                )
            )
            state[t] = VALUE if (st == VALUE or not maybe) else MAYBE


def _sum(exprs):
    out = exprs[0]
    for e in exprs[1:]:
        out = ast.BinOp(left=out, op=ast.Add(), right=e)
    return out
