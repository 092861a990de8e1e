"""Forward transform: each statement followed by the statement computing its tangent.

In: a function in normalized form (``anf``), the parameters whose tangents are given, and a
``Context`` (namespace, namer, splicer, how to get a callee's JVP function).
Out: a ``ForwardResult``: the statements computing the primal and, interleaved, the tangents
(``x_dot`` is the tangent of ``x``), the output atom and the output tangent expression.

This module walks the statements, branches and loops, gives the tangent of each right-hand
side (names, entries and fields of containers, container literals) and calls the JVPs of user
functions. ``Forward`` inherits the kinds of tangents and their symbolic zeros
(``forward_kinds.TangentKinds``) and the tangents of calls of rules
(``forward_rules.RuleTangents``).

How it works:

- Only active variables (``activity``) get a tangent; a tangent known statically to be zero is
  never materialized. Where control flow joins a path with a tangent and one without, the
  path without gets ``x_dot = zero_tangent(x)`` (``None`` where ``x`` is ``None``); a
  ``break`` or ``continue`` sets them before it leaves.
- Inside containers a zero tangent stays symbolic, and each tangent has a *kind* saying where
  it may be ``None`` (``forward_kinds``); kinds travel into callees and back out with their
  results.
- Lists get lists of tangents: ``xs.append(v)`` appends ``v_dot`` to ``xs_dot`` and
  ``v = xs.pop()`` pops ``v_dot`` with it. This is how the tape stacks of a generated
  gradient are differentiated (Hessians are forward over reverse).
- A call of a user function calls that function's own generated JVP function
  (``g_jvp(a, b, a_dot=a_dot)`` returns the value and its tangent), which makes recursion work.
  One is generated per callee, set of tangent parameters and kinds of their tangents.
"""

from __future__ import annotations

import ast
import copy
import types
from dataclasses import dataclass

from ...errors import MissingRuleError, UnsupportedSyntaxError
from ...rules import registry
from ..analysis.activity import (
    BINOPS,
    IDENTITY_METHODS,
    NONDIFF_METHODS,
    UNARYOPS,
    Activity,
    analyze,
    names_read,
)
from ..analysis.specialize import passed_functions
from ..common.diagnostics import refuse_derivative_through_text, where
from ..common.syntax import assign, loc, name, relocated
from ..frontend.anf_expressions import NONDIFF_ATTRS, is_static
from ..frontend.binding import PACKED, bind_arguments, callee_parameters
from ..frontend.boundary import is_library
from ..frontend.namespace import value_of
from .context import Context, assigned_names
from .forward_kinds import _CONTAINER_METHODS as CONTAINER_METHODS
from .forward_kinds import DENSE, MAYBE, SPARSE, ZERO, TangentKinds, level
from .forward_rules import RuleTangents, scale_in_place


@dataclass
class ForwardResult:
    body: list[ast.stmt]
    output: ast.expr
    output_tangent: ast.expr
    activity: Activity
    dots: dict
    output_kind: object = 2  # MAYBE: the kind of the output's tangent (see Forward.kind)


class ForwardContext(Context):
    """What the forward transform needs from its surroundings: the reverse transform's
    context, with a way to get a callee's JVP in place of its forward/backward pair."""

    def __init__(self, ns, namer, src, splicer, callee_jvp):
        super().__init__(ns, namer, src, splicer, callee_pair=None)
        self.callee_jvp = callee_jvp


class Forward(TangentKinds, RuleTangents):
    """The forward transform of one function: ``run`` gives its ``ForwardResult``."""

    def __init__(self, fdef: ast.FunctionDef, wrt: list[str], ctx: ForwardContext):
        self.fdef = fdef
        self.wrt = wrt
        self.ctx = ctx
        self.namer = ctx.namer
        self.dots: dict[str, str] = {}
        self.kinds: dict = {}  # variable -> kind of its tangent (DENSE if absent)
        # v -> u where v_dot = -u_dot, both unchanged since: a sum may subtract u_dot's term
        self.negations: dict[str, str] = {}
        self.params = [
            a.arg for a in [*fdef.args.posonlyargs, *fdef.args.args, *fdef.args.kwonlyargs]
        ]

    # -- names -----------------------------------------------------------------------------
    def dot(self, v: str) -> str:
        if v not in self.dots:
            self.dots[v] = self.namer.fresh(f"{v}_dot")
        return self.dots[v]

    def value_of(self, e):
        return value_of(self.ctx.ns, e)

    # -- entry -----------------------------------------------------------------------------
    def run(self) -> ForwardResult:
        for p in self.wrt:
            self.dot(p)
            self.kinds.setdefault(p, DENSE)  # a later assignment widens, never narrows
        body = self.fdef.body
        ret = body[-1]
        assert isinstance(ret, ast.Return)
        output = ret.value
        out_name = output.id if isinstance(output, ast.Name) and not is_static(output) else None
        self.activity = analyze(self.fdef, self.wrt, out_name, self.value_of)
        refuse_derivative_through_text(self.activity, self.ctx.src)
        self.none_valued = {
            t.id
            for n in ast.walk(self.fdef)
            if isinstance(n, ast.Assign)
            and isinstance(n.value, ast.Constant)
            and n.value.value is None
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        state = {p for p in self.wrt}
        self.defined = set(self.params)
        stmts, state = self.block(body[:-1], state)
        if out_name is not None and out_name in state:
            out_dot = name(self.dot(out_name))
        else:
            out_dot = ast.Call(
                func=self.ctx.helper("zero_tangent"), args=[copy.deepcopy(output)], keywords=[]
            )
        out_kind = self.kind(out_name) if out_name is not None and out_name in state else MAYBE
        scale_in_place(stmts, out_dot)
        return ForwardResult(stmts, output, out_dot, self.activity, self.dots, out_kind)

    # -- blocks ------------------------------------------------------------------------------
    def block(self, stmts, state):
        out = []
        for s in stmts:
            new, state = self.stmt(s, state)
            out.extend(new)
            self.defined |= assigned_names([s])
        return out, state

    def stmt(self, s, state):
        if isinstance(s, ast.Assign):
            return self.assign(s, state)
        if isinstance(s, ast.If):
            return self.if_(s, state)
        if isinstance(s, (ast.For, ast.While)):
            return self.loop(s, state)
        if isinstance(s, ast.Expr):
            return self.expr_stmt(s, state)
        if isinstance(s, ast.With):  # a grad_of block belongs to the backward sweep only
            return [], state
        return [s], state

    def materialize(self, v, at, defined) -> ast.stmt:
        if v in defined:
            value = ast.Call(func=self.ctx.helper("zero_tangent"), args=[name(v)], keywords=[])
        else:
            value = ast.Constant(None)
        if v not in defined or v in self.none_valued:  # zero_tangent(None) is None
            self.widen(v, MAYBE)
        return assign(self.dot(v), value, at)

    def if_(self, s, state):
        self.negations.clear()  # they hold along straight-line code only
        defined = set(self.defined)
        body, s1 = self.block(s.body, set(state))
        self.defined = set(defined)
        orelse, s2 = self.block(s.orelse, set(state))
        self.defined = defined | assigned_names([s])
        joined = s1 | s2
        for v in sorted(joined - s1):
            _at_end_and_exits(body, self.materialize(v, s, defined | assigned_names(s.body)))
        for v in sorted(joined - s2):
            _at_end_and_exits(orelse, self.materialize(v, s, defined | assigned_names(s.orelse)))
        node = loc(ast.If(test=s.test, body=body or [ast.Pass()], orelse=orelse), s)
        return [node], joined

    def loop(self, s, state):
        self.negations.clear()
        defined = set(self.defined)
        head = set(state)
        for _ in range(8):
            self.defined = set(defined) | assigned_names(s.body)
            _, exit_state = self.block(copy.deepcopy(s.body), set(head))
            if exit_state <= head:
                break
            head |= exit_state
        self.defined = set(defined) | assigned_names(s.body)
        body, exit_state = self.block(s.body, set(head))
        for v in sorted(head - exit_state):
            _at_end_and_exits(body, self.materialize(v, s, self.defined))
        before = [self.materialize(v, s, defined) for v in sorted(head - state)]
        self.defined = defined | assigned_names([s])
        if isinstance(s, ast.For):
            node = ast.For(target=s.target, iter=s.iter, body=body or [ast.Pass()], orelse=[])
        else:
            node = ast.While(test=s.test, body=body or [ast.Pass()], orelse=[])
        return before + [loc(node, s)], head

    # -- statements --------------------------------------------------------------------------
    def expr_stmt(self, s, state):
        c = s.value
        if (
            isinstance(c, ast.Call)
            and isinstance(c.func, ast.Attribute)
            and isinstance(c.func.value, ast.Name)
            and not is_static(c.func.value)
            and c.func.value.id in self.activity.active
        ):
            lst = c.func.value.id
            out = [s]
            if lst not in state:
                out.insert(0, self.materialize(lst, s, self.defined))
                state = state | {lst}
            if c.func.attr == "append" and len(c.args) == 1:
                item, kind = self.tangent_or_none(c.args[0], state)
                self.widen(lst, SPARSE if level(kind) != DENSE else DENSE)
                call = ast.Call(
                    func=ast.Attribute(value=name(self.dot(lst)), attr="append", ctx=ast.Load()),
                    args=[item],
                    keywords=[],
                )
                return out + [loc(ast.Expr(value=call), s)], state
            if c.func.attr == "pop":
                call = ast.Call(
                    func=ast.Attribute(value=name(self.dot(lst)), attr="pop", ctx=ast.Load()),
                    args=copy.deepcopy(c.args),
                    keywords=[],
                )
                return out + [loc(ast.Expr(value=call), s)], state
        return [s], state

    def assign(self, s, state):
        v = s.targets[0].id
        state = set(state)
        if v not in self.activity.active:
            state.discard(v)
            return [s], state
        if isinstance(s.value, ast.Call) and is_static(s.value.func):
            fn = self.value_of(s.value.func)
            self.ctx.refuse_dynamic_again(fn, s)
            if (
                isinstance(fn, types.FunctionType)
                and registry.lookup(fn) is None
                and not registry.is_nondiff(fn)
            ):
                if is_library(fn):  # the library boundary: a primitive without a rule
                    raise MissingRuleError(registry.qualified_name(fn), **where(s, self.ctx.src))
                return self.callee(fn, s, v, state)
        if self.is_dynamic(s.value, state):
            return self.dynamic(s, v, state)
        self_reference = v in names_read(s.value)
        ans = self.namer.fresh(f"{v}_new") if self_reference else v
        pre, tangent, kind = self.tangent(s.value, ans, state, s, self.dot(v))
        pre = [relocated(p, s) for p in pre]  # a rule's statements: the user's line
        self.negations = {k: u for k, u in self.negations.items() if v not in (k, u)}
        if tangent is None:
            state.discard(v)
            return [s], state
        state.add(v)
        self.widen(v, kind)
        if (
            isinstance(tangent, ast.UnaryOp)
            and isinstance(tangent.op, ast.USub)
            and isinstance(tangent.operand, ast.Name)
            and not self_reference
        ):
            u = next((u for u, d in self.dots.items() if d == tangent.operand.id), None)
            if u is not None and u in state and level(self.kind(u)) != MAYBE:
                self.negations[v] = u
        if isinstance(tangent, ast.Name) and tangent.id == self.dot(v):  # summed in place
            return [s, *pre], state
        tangent_stmt = assign(self.dot(v), tangent, s)
        if self_reference:
            parts = [assign(ans, s.value, s), assign(v, name(ans), s)]
            if getattr(s, "_user", False):  # still the user's statement: kept where it may raise
                for part in parts:
                    part._user = True
            return [parts[0], *pre, tangent_stmt, parts[1]], state
        return [s, *pre, tangent_stmt], state

    # -- tangents of one right-hand side -----------------------------------------------------
    def tangent(self, value, ans, state, s, target=None):
        """(preamble, tangent expression or None for a zero tangent, its kind) of ``value``;
        the preamble may compute the tangent into ``target`` (then the expression names it)."""
        if isinstance(value, ast.Name):
            if not self.has(value, state):
                return [], None, DENSE
            return [], name(self.dot(value.id)), self.kind(value.id)
        if isinstance(value, ast.Subscript):
            if not self.has(value.value, state):
                return [], None, DENSE
            c = value.value.id
            entry = ast.Subscript(
                value=name(self.dot(c)), slice=copy.deepcopy(value.slice), ctx=ast.Load()
            )
            kind = self.kind(c)
            k = value.slice.value if isinstance(value.slice, ast.Constant) else None
            if isinstance(kind, tuple) and isinstance(k, int) and -len(kind) <= k < len(kind):
                if kind[k] == ZERO:  # known to have no tangent
                    return [], None, DENSE
                return [], entry, kind[k]
            return [], self.guarded(c, entry), (DENSE if level(kind) == DENSE else MAYBE)
        if isinstance(value, ast.Attribute):  # a field: p.w of a dataclass or namedtuple
            if value.attr in NONDIFF_ATTRS or not self.has(value.value, state):
                return [], None, DENSE
            c = value.value.id
            field = ast.Call(
                func=self.ctx.helper("getattr_tangent"),
                args=[name(self.dot(c)), copy.deepcopy(value.value), ast.Constant(value.attr)],
                keywords=[],
            )
            return [], self.guarded(c, field), MAYBE  # a field may hold a symbolic zero
        # an active container always gets a container of tangents (it may grow later)
        if isinstance(value, (ast.Tuple, ast.List)):
            elts, kind = self.container(value.elts, state, isinstance(value, ast.Tuple))
            return [], type(value)(elts=elts, ctx=ast.Load()), kind
        if isinstance(value, ast.Dict):
            values, kind = self.container(value.values, state)
            return [], ast.Dict(keys=copy.deepcopy(value.keys), values=values), kind
        if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.UAdd):
            return self.tangent(value.operand, ans, state, s, target)
        if (
            isinstance(value, ast.Call)
            and not is_static(value.func)
            and isinstance(value.func, ast.Attribute)
        ):
            return self.method(value, state, s)
        got = self.rule_call(value)
        if got is not None:
            rule, args, keywords = got
            return self.rule_tangent(rule, args, keywords, ans, state, target)
        if isinstance(value, ast.Call) and is_static(value.func):
            fn = self.value_of(value.func)
            if registry.is_nondiff(fn):
                return [], None, DENSE
            raise MissingRuleError(registry.qualified_name(fn), **where(s, self.ctx.src))
        if (
            isinstance(value, (ast.BinOp, ast.UnaryOp))
            and not isinstance(value.op, ast.Not)
            and any(self.has(n, state) for n in ast.walk(value))
        ):
            fn = BINOPS.get(type(value.op)) or UNARYOPS.get(type(value.op))
            if fn is not None and registry.is_nondiff(fn):
                return [], None, DENSE
            raise MissingRuleError(f"operator {type(value.op).__name__}", **where(s, self.ctx.src))
        return [], None, DENSE

    # -- calls of user functions -------------------------------------------------------------
    def is_dynamic(self, value, state) -> bool:
        """Whether ``value`` calls a callee known only when running with an operand that has a
        tangent (a local name's function, an object's method that no rule or container
        method covers)."""
        if not isinstance(value, ast.Call) or is_static(value.func):
            return False
        operands = [*value.args, *(k.value for k in value.keywords)]
        if isinstance(value.func, ast.Attribute):
            obj, method = value.func.value, value.func.attr
            if method in NONDIFF_METHODS or method in IDENTITY_METHODS:
                return False
            if method == "get" and len(value.args) <= 2 and not value.keywords:
                return False  # a dict's entry or its default: forward_kinds
            if self.has(obj, state):
                return method not in CONTAINER_METHODS
            return any(self.has(a, state) for a in operands)
        if not isinstance(value.func, ast.Name) or self.ctx.dynamic is None:
            return False
        if self.has(value.func, state):
            raise UnsupportedSyntaxError(
                f"{value.func.id!r} is a function made from differentiated values; its "
                "derivative with respect to what it captured is not followed",
                hint="pass those values to the function as arguments",
                **where(value, self.ctx.src),
            )
        return any(self.has(a, state) for a in operands)

    def dynamic(self, s, v, state):
        """``v, v_dot = call_tangent(f, active, tangents, ...)`` for a callee known only when
        running (see ``source.dynamic``)."""
        value = s.value
        if self.ctx.dynamic is None:
            raise UnsupportedSyntaxError(
                f"cannot tell what {ast.unparse(value.func)!r} calls before running",
                hint="call a function by its name",
                **where(s, self.ctx.src),
            )
        active, dots = [], []
        if isinstance(value.func, ast.Attribute) and self.has(value.func.value, state):
            active.append(-1)  # the receiver: the bound method's first argument
            dots.append(self.tangent_or_none(value.func.value, state)[0])
        for k, a in enumerate(value.args):
            if self.has(a, state):
                active.append(k)
                dots.append(self.tangent_or_none(a, state)[0])
        for kw in value.keywords:
            if self.has(kw.value, state):
                active.append(kw.arg)
                dots.append(self.tangent_or_none(kw.value, state)[0])
        call = ast.Call(
            func=self.ctx.ref(self.ctx.dynamic.call_tangent),
            args=[
                copy.deepcopy(value.func),
                ast.Tuple(elts=[ast.Constant(a) for a in active], ctx=ast.Load()),
                ast.Tuple(elts=dots, ctx=ast.Load()),
                *copy.deepcopy(value.args),
            ],
            keywords=copy.deepcopy(value.keywords),
        )
        target = ast.Tuple(
            elts=[name(v, ast.Store()), name(self.dot(v), ast.Store())], ctx=ast.Store()
        )
        state = set(state)
        state.add(v)
        self.widen(v, MAYBE)  # None where the callee's output does not depend on the operands
        return [loc(ast.Assign(targets=[target], value=call), s)], state

    def callee(self, fn, s, v, state):
        value = s.value
        bound = bind_arguments(fn, value, lambda e: self.has(e, state), self.ctx.src, s)
        params, arity = callee_parameters(fn, value)
        active = tuple(p for p in params if p in bound and self.has(bound[p], state))
        state = set(state)
        if not active:
            state.discard(v)
            return [s], state
        kinds = tuple(self.kind(bound[p].id) for p in active)
        fixed = passed_functions(fn, bound, self.value_of)
        if arity is not None:
            fixed[PACKED] = arity
        jvp_name, dot_params, out_kind = self.ctx.callee_jvp(fn, active, kinds, fixed)
        func = name(jvp_name)
        func._static = True
        dots = [ast.keyword(arg=dot_params[p], value=name(self.dot(bound[p].id))) for p in active]
        call = ast.Call(
            func=func, args=copy.deepcopy(value.args), keywords=copy.deepcopy(value.keywords) + dots
        )
        target = ast.Tuple(
            elts=[name(v, ast.Store()), name(self.dot(v), ast.Store())], ctx=ast.Store()
        )
        state.add(v)
        self.widen(v, out_kind)  # MAYBE for a recursive call: its kind is not known yet
        return [loc(ast.Assign(targets=[target], value=call), s)], state


def _at_end_and_exits(stmts: list, stmt) -> None:
    """Run ``stmt`` at the end of ``stmts`` and before each ``break``/``continue`` in it (not
    in inner loops): an exit leaves the block early, and its tangents must be set there too."""
    _before_exits(stmts, stmt)
    if not (stmts and isinstance(stmts[-1], (ast.Break, ast.Continue))):
        stmts.append(stmt)


def _before_exits(stmts: list, stmt) -> None:
    for s in stmts:
        if isinstance(s, ast.If):
            _before_exits(s.body, stmt)
            _before_exits(s.orelse, stmt)
    if stmts and isinstance(stmts[-1], (ast.Break, ast.Continue)):
        stmts.insert(len(stmts) - 1, copy.deepcopy(stmt))


__all__ = ["Forward", "ForwardContext", "ForwardResult"]
