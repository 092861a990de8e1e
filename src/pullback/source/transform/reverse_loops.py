"""Loops, branches and tapes of the reverse transform.

In: an ``if``, ``for`` or ``while`` of the ANF body and the adjoint states at its end; after
the whole body is reversed, the primal and adjoint sweeps with their push/pop markers.
Out: the primal statement and its adjoint (``if c`` on the recorded ``c``; a loop run
backwards), the states joined over branches or taken to a fixed point over a loop's
iterations; then the markers turned into tapes where the adjoint sweep reads the variable,
the residuals and the tape initializations.

How it works:

- Inside loops and branches a variable the adjoint sweep reads is pushed on its own stack
  (``x_stack.append(x)``) before each overwrite and popped back in the adjoint sweep
  (``x = x_stack.pop()``): at the reverse of a statement every variable holds the value it had
  right after that statement ran. ``markers`` places a push/pop pair; ``finish_markers`` keeps
  the pairs of variables the adjoint sweep reads and drops the rest.
- ``for i in range(...)`` reverses to ``for i in reversed(range(...))``; a ``while`` loop counts
  its iterations and reverses to ``for _ in range(count)``; ``if c`` reverses to ``if c`` on the
  recorded ``c``.
- Tapes built for speed: a counted loop ``for i in range(n)`` (not inside another loop, ``i``
  not reassigned) records into lists sized by its trip count, ``x_tape = [None] * n``, written
  ``x_tape[i] = x`` and read back ``x = x_tape[i]``: a fixed-size structure indexed by the loop
  counter, the shape a compiler such as Numba wants. Other loops (``while``, nested loops) use
  ``x_stack.append(x)`` / ``x_stack.pop()``. Measured on CPython (``benchmarks/bench_source.py``
  and the W5 RNN): the indexed list is a little faster than append/pop (scalar loop kernel
  gradient/primal 5.2 -> 4.9; W5 gradient/hand-written 1.19-1.21 -> 1.13-1.18); a NumPy float
  array per scalar variable (``np.empty(n)``, chosen by a first-iteration type check) is
  slower (5.9 on the kernel: every store and load boxes a NumPy scalar), so it is not used
  while the generated code runs on CPython.
- A loop that writes arrays in place gives each written array's adjoint a buffer of its own
  before its adjoint loop (``own_in_place_adjoints``).
"""

from __future__ import annotations

import ast
import copy
import itertools

from ...runtime import indexing
from ..common.syntax import assign, loc, name
from ..frontend.anf_expressions import is_static
from .context import assigned_names
from .states import MAYBE, VALUE, ZERO

_marker_ids = itertools.count()


class Loops:
    """The methods of ``Reverse`` (``reverse.py``) that reverse branches and loops and record
    values for the adjoint sweep."""

    # -- recording markers ---------------------------------------------------------------------
    def markers(self, v, compound, at=None):
        if not compound:
            return [], []
        if not self.loop_depth and v not in self.multiply_assigned:
            return [], []
        ident = next(_marker_ids)
        push, pop = _mark("push", v, ident), _mark("pop", v, ident)
        if at is not None:
            ast.copy_location(push, at)
            ast.copy_location(pop, at)
        return [push], [pop]

    # -- adjoint buffers of a loop that writes in place ----------------------------------------
    def own_in_place_adjoints(self, loop, state):
        """Before the adjoint of a loop that writes arrays in place: give each written array's
        adjoint a buffer of its own (a copy; zeros when it is zero), which the loop's adjoint
        then changes in place. Returns (statements, names newly owned)."""
        written = assigned_names(loop.body) & self.in_place & self.activity.active
        code, owned = [], set()
        for y in sorted(written):
            st = state.get(y, ZERO)
            if st == VALUE and y in self.owned:
                continue
            current = name(self.bar(y)) if st != ZERO else ast.Constant(None)
            call = ast.Call(
                func=self._static_ref(indexing.owned_adjoint), args=[current, name(y)], keywords=[]
            )
            code.append(assign(self.bar(y), call, loop))
            state[y] = VALUE
            owned.add(y)
        self.owned |= owned
        return code, owned

    # -- control flow ------------------------------------------------------------------------
    def join(self, states, branches_code, at):
        keys = set().union(*states)
        out = {}
        for k in keys:
            sts = [st.get(k, ZERO) for st in states]
            if all(x == sts[0] for x in sts):
                if sts[0] != ZERO:
                    out[k] = sts[0]
                continue
            out[k] = MAYBE
            for st, code in zip(sts, branches_code, strict=False):
                if st == ZERO:
                    code.append(assign(self.bar(k), ast.Constant(None), at))
        return out

    def if_(self, s, state, compound):
        p1, a1, s1 = self.block(s.body, dict(state), True)
        p2, a2, s2 = self.block(s.orelse, dict(state), True)
        new_state = self.join([s1, s2], [a1, a2], s)
        primal = [loc(ast.If(test=s.test, body=p1 or [ast.Pass()], orelse=p2), s)]
        if not a1 and not a2:
            return primal, [], new_state
        adj = loc(ast.If(test=copy.deepcopy(s.test), body=a1 or [ast.Pass()], orelse=a2), s)
        if not a1:
            adj = loc(
                ast.If(
                    test=ast.UnaryOp(op=ast.Not(), operand=copy.deepcopy(s.test)),
                    body=a2,
                    orelse=[],
                ),
                s,
            )
        return primal, [adj], new_state

    def loop_body(self, body, state, assigned, at, bound_before):
        """Reverse a loop body to a fixed point of the adjoint states at its head."""
        self.loop_depth += 1
        try:
            return self._loop_body(body, state, assigned, at, bound_before)
        finally:
            self.loop_depth -= 1

    def _loop_body(self, body, state, assigned, at, bound_before):
        head = dict(state)
        materialize = set()
        owned_before = set(self.owned)
        for _ in range(6):
            self.owned = owned_before | {k for k in materialize if state.get(k, ZERO) == ZERO}
            primal, adjoint, exit_state = self.block(copy.deepcopy(body), dict(head), True)
            new_head = dict(head)
            changed = False
            for k in set(head) | set(exit_state):
                h, e = head.get(k, ZERO), exit_state.get(k, ZERO)
                if h == e or h == MAYBE:
                    continue
                if h == ZERO and e == VALUE and k not in assigned and k in bound_before:
                    materialize.add(k)
                    new_head[k] = VALUE
                else:
                    new_head[k] = MAYBE
                changed = True
            head = new_head
            if not changed:
                break
        self.owned = owned_before
        before = []
        for k in sorted(materialize):
            if state.get(k, ZERO) == ZERO:
                before.append(
                    assign(
                        self.bar(k),
                        ast.Call(
                            func=self.ctx.helper("zeros_like_value"), args=[name(k)], keywords=[]
                        ),
                        at,
                    )
                )
        for k, h in head.items():
            if h == MAYBE and state.get(k, ZERO) == ZERO:
                before.append(assign(self.bar(k), ast.Constant(None), at))
        for k, h in head.items():
            if h == MAYBE and exit_state.get(k, ZERO) == ZERO:
                adjoint.append(assign(self.bar(k), ast.Constant(None), at))
        return primal, adjoint, head, before

    def _loop_parts(self, s, state, assigned):
        """``loop_body`` of loop ``s``, with the adjoint buffers it owns set up around it:
        (primal, adjoint, head, before)."""
        bound_before = set(self.params) | self._defined_outside(assigned)
        state = dict(state)
        owning, owned = self.own_in_place_adjoints(s, state)
        try:
            primal, adjoint, head, before = self.loop_body(s.body, state, assigned, s, bound_before)
        finally:
            self.owned -= owned
        return primal, adjoint, head, owning + before

    def _iteration_counter(self, s, compound):
        """A counter of the iterations that ran: (name, push, pop, ``name = name + 1``)."""
        count = self.namer.fresh("iterations")
        push, pop = self.markers(count, compound, s)
        increment = assign(
            count, ast.BinOp(left=name(count), op=ast.Add(), right=ast.Constant(1)), s
        )
        increment._counter = True
        return count, push, pop, increment

    def for_(self, s, state, compound):
        assigned = assigned_names(s.body) | {s.target.id}
        primal, adjoint, head, before = self._loop_parts(s, state, assigned)
        new_primal = [
            loc(ast.For(target=s.target, iter=s.iter, body=primal or [ast.Pass()], orelse=[]), s)
        ]
        if not adjoint:
            return new_primal, [], head
        iterated = copy.deepcopy(s.iter)
        push, pop = [], []
        if _breaks(s.body):  # count the iterations that ran: the adjoint runs those backwards
            count, push, pop, increment = self._iteration_counter(s, compound)
            new_primal[0].body.insert(0, increment)
            new_primal = push + [assign(count, ast.Constant(0), s)] + new_primal
            if len(iterated.args) == 1:  # range(n)[:count] is range(count)
                iterated.args = [name(count)]
            else:
                iterated = ast.Subscript(
                    value=iterated, slice=ast.Slice(upper=name(count)), ctx=ast.Load()
                )
        rev = ast.Call(func=self.ctx.builtin("reversed"), args=[iterated], keywords=[])
        adj = loc(ast.For(target=copy.deepcopy(s.target), iter=rev, body=adjoint, orelse=[]), s)
        return new_primal, before + [adj] + pop, head

    def while_(self, s, state, compound):
        primal, adjoint, head, before = self._loop_parts(s, state, assigned_names(s.body))
        if not adjoint:
            return (
                [loc(ast.While(test=s.test, body=primal or [ast.Pass()], orelse=[]), s)],
                [],
                head,
            )
        count, push, pop, increment = self._iteration_counter(s, compound)
        new_primal = push + [
            assign(count, ast.Constant(0), s),
            loc(ast.While(test=s.test, body=primal + [increment], orelse=[]), s),
        ]
        counter = self.namer.fresh("iteration")
        rng = ast.Call(func=self.ctx.builtin("range"), args=[name(count)], keywords=[])
        adj = loc(ast.For(target=name(counter, ast.Store()), iter=rng, body=adjoint, orelse=[]), s)
        return new_primal, before + [adj] + pop, head

    def _defined_outside(self, assigned):
        every = assigned_names(self.fdef.body)
        return every - assigned

    # -- recording -----------------------------------------------------------------------------
    def finish_markers(self, primal, adjoint, adjoint_of_param):
        """Turn push/pop markers into stack operations where the adjoint sweep reads the
        variable; drop the rest. Returns (primal, adjoint, residuals, inits)."""
        primal_vars = set(self.params) | assigned_names(primal)
        needed: set[str] = set()
        while True:
            reads = set()
            for s in adjoint + [ast.Expr(value=e) for e in adjoint_of_param.values()]:
                _collect_reads(s, reads, needed)
            new = reads & primal_vars
            if new <= needed:
                break
            needed |= new
        adjoint = _drop_idle(adjoint, needed)
        stacks: dict[str, str] = {}
        tapes = _counted_tapes(primal, needed)  # v -> the counted loop that records it

        def stack(v):
            if v not in stacks:
                stacks[v] = self.namer.fresh(f"{v}_tape" if v in tapes else f"{v}_stack")
            return stacks[v]

        def convert(stmts):
            out = []
            for s in stmts:
                m = getattr(s, "_marker", None)
                if m:
                    kind, v, _ = m
                    if v not in needed:
                        continue
                    if v in tapes:  # v_tape[i] = v ... v = v_tape[i]
                        slot = ast.Subscript(
                            value=name(stack(v)), slice=name(tapes[v].target.id), ctx=ast.Load()
                        )
                        if kind == "push":
                            slot.ctx = ast.Store()
                            out.append(
                                ast.copy_location(ast.Assign(targets=[slot], value=name(v)), s)
                            )
                        else:
                            restore = assign(v, slot, s)
                            restore._bookkeeping = True
                            out.append(restore)
                        continue
                    if kind == "push":
                        call = ast.Call(
                            func=ast.Attribute(value=name(stack(v)), attr="append", ctx=ast.Load()),
                            args=[name(v)],
                            keywords=[],
                        )
                        out.append(ast.copy_location(ast.Expr(value=call), s))
                    else:
                        call = ast.Call(
                            func=ast.Attribute(value=name(stack(v)), attr="pop", ctx=ast.Load()),
                            args=[],
                            keywords=[],
                        )
                        restore = assign(v, call, s)
                        restore._bookkeeping = True
                        out.append(restore)
                    continue
                if isinstance(s, ast.If):
                    s.body = convert(s.body) or [ast.Pass()]
                    s.orelse = convert(s.orelse)
                elif isinstance(s, (ast.For, ast.While)):
                    s.body = convert(s.body) or [ast.Pass()]
                    recorded = sorted(v for v, loop in tapes.items() if loop is s)
                    for v in recorded:  # sized by the trip count, known at loop entry
                        count = copy.deepcopy(s.iter.args[0])
                        size = ast.BinOp(
                            left=ast.List(elts=[ast.Constant(None)], ctx=ast.Load()),
                            op=ast.Mult(),
                            right=count,
                        )
                        out.append(assign(stack(v), size, s))
                out.append(s)
            return out

        primal = convert(primal)
        adjoint = convert(adjoint)
        inits = [assign(st, ast.List(elts=[], ctx=ast.Load()), self.fdef) for st in stacks.values()]
        defined = set(self.params)
        none_inits = []
        for s in primal:
            if isinstance(s, (ast.If, ast.For, ast.While)):
                inside = assigned_names([s])
                for v in sorted((inside & (needed | set(stacks))) - defined):
                    none_inits.append(assign(v, ast.Constant(None), self.fdef))
                defined |= inside
            else:
                defined |= assigned_names([s])
        residuals = sorted(needed | set(stacks.values()))
        return primal, adjoint, residuals, inits + none_inits


def _mark(kind: str, var: str, ident: int) -> ast.stmt:
    node = ast.Expr(value=ast.Constant(value=f"{kind}:{var}"))
    node._marker = (kind, var, ident)
    return node


def _breaks(body) -> bool:
    """Whether a loop body may ``break`` out of its loop (not out of an inner one)."""
    for s in body:
        if isinstance(s, ast.Break):
            return True
        if isinstance(s, ast.If) and (_breaks(s.body) or _breaks(s.orelse)):
            return True
    return False


def _counted_tapes(primal, needed) -> dict:
    """Recorded variables pushed at one place only, directly in a counted loop
    ``for i in range(n)`` that is not inside another loop (through ``if``s, not through inner
    loops) and whose ``i`` the body never reassigns: at most one push per iteration, so their
    tape is a list of ``n`` slots indexed by ``i``."""
    sites: dict[str, list] = {}

    def visit(stmts, loop, depth):
        for s in stmts:
            m = getattr(s, "_marker", None)
            if m is not None:
                if m[0] == "push" and m[1] in needed:
                    sites.setdefault(m[1], []).append(loop if depth == 1 else None)
                continue
            if isinstance(s, ast.If):
                visit(s.body, loop, depth)
                visit(s.orelse, loop, depth)
            elif isinstance(s, (ast.For, ast.While)):
                counted = isinstance(s, ast.For) and depth == 0 and _counted(s)
                visit(s.body, s if counted else None, depth + 1)

    visit(primal, None, 0)
    return {v: loops[0] for v, loops in sites.items() if len(loops) == 1 and loops[0]}


def _counted(loop: ast.For) -> bool:
    """``for i in range(n)``, with ``i`` left alone by the body."""
    it = loop.iter
    return (
        isinstance(it, ast.Call)
        and isinstance(it.func, ast.Name)
        and it.func.id == "range"
        and len(it.args) == 1
        and not it.keywords
        and isinstance(loop.target, ast.Name)
        and isinstance(it.args[0], (ast.Name, ast.Constant))
        and loop.target.id not in assigned_names(loop.body)
    )


def _is_marker(s) -> bool:
    return getattr(s, "_marker", None) is not None


def _idle(s, needed) -> bool:
    """A statement of the adjoint sweep that does nothing the derivative needs."""
    m = getattr(s, "_marker", None)
    if m is not None:
        return m[1] not in needed
    if isinstance(s, ast.Pass):
        return True
    if isinstance(s, ast.If):
        return all(_idle(x, needed) for x in s.body + s.orelse)
    if isinstance(s, ast.For):
        return all(_idle(x, needed) for x in s.body)
    return False


def _drop_idle(stmts, needed):
    out = []
    for s in stmts:
        if _idle(s, needed):
            continue
        if isinstance(s, ast.If):
            s.body = _drop_idle(s.body, needed) or [ast.Pass()]
            s.orelse = _drop_idle(s.orelse, needed)
        elif isinstance(s, ast.For):
            s.body = _drop_idle(s.body, needed) or [ast.Pass()]
        out.append(s)
    return out


def _collect_reads(s, reads, needed):
    """Names the statement reads, not counting stack bookkeeping of unneeded variables."""
    if _is_marker(s) or _idle(s, needed):
        return
    if isinstance(s, ast.If):
        reads.update(n.id for n in ast.walk(s.test) if isinstance(n, ast.Name) and not is_static(n))
        for x in s.body + s.orelse:
            _collect_reads(x, reads, needed)
        return
    if isinstance(s, ast.For):
        reads.update(n.id for n in ast.walk(s.iter) if isinstance(n, ast.Name) and not is_static(n))
        for x in s.body:
            _collect_reads(x, reads, needed)
        return
    for n in ast.walk(s):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and not is_static(n):
            reads.add(n.id)
