"""Reverse transform: a primal sweep that records, and an adjoint sweep that runs backwards.

In: a function in normalized form (``anf``), the parameters to differentiate, and a
``Context`` (namespace, namer, splicer, how to get a callee's derivative).
Out: a ``ReverseResult``: the primal sweep and the adjoint sweep as statement lists, the
output atom, the adjoint expression of each differentiated parameter, and the names the
adjoint sweep reads from the primal sweep (the residuals of a split forward/backward pair).

``Reverse`` here prepares the body and walks it backwards statement by statement; the passes
it dispatches to live beside it, each a class of methods ``Reverse`` inherits:

- ``reverse_assign.py`` (``Assignments``): straight-line adjoints, one assignment at a time,
  added into adjoint variables by their states (zero, a value, maybe ``None``);
- ``reverse_contributions.py`` (``Contributions``): what a right-hand side contributes to its
  operands' adjoints: rules spliced in, calls of user functions through their own pairs;
- ``reverse_loops.py`` (``Loops``): branches, loops and the tapes that record values across
  iterations for the backward loops;
- ``grad_of.py``: the body of ``with pb.grad_of(x)``, run in the adjoint sweep.

Top-level straight-line code is put in SSA form (a reassigned ``x`` becomes ``x_2``), so it
needs no tape; inside a loop ``x = f(x)`` becomes ``t = f(x); x = t`` where the derivative
reads the old ``x``.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from ..analysis import inplace
from ..analysis.activity import Activity, analyze, names_read
from ..common.diagnostics import refuse_derivative_through_text
from ..common.naming import describe
from ..common.syntax import assign, name
from ..frontend.anf_expressions import is_static
from ..frontend.namespace import value_of
from .context import Context, assigned_names, primitive_call, registry_bind
from .reverse_assign import Assignments
from .reverse_contributions import Contributions
from .reverse_loops import Loops
from .states import MAYBE, VALUE, ZERO


@dataclass
class ReverseResult:
    params: list[str]
    primal: list[ast.stmt]
    adjoint: list[ast.stmt]
    output: ast.expr
    output_active: bool
    adjoint_of_param: dict[str, ast.expr]
    residuals: list[str]
    activity: Activity
    inits: list[ast.stmt] = field(default_factory=list)
    bars: dict = field(default_factory=dict)
    in_place: set = field(default_factory=set)  # arrays written in place (see inplace.py)


class Reverse(Assignments, Contributions, Loops):
    """The reverse transform of one function: ``Reverse(fdef, wrt, ctx).run()``."""

    def __init__(self, fdef: ast.FunctionDef, wrt: list[str], ctx: Context):
        self.fdef = fdef
        self.wrt = wrt
        self.ctx = ctx
        self.ns = ctx.ns
        self.namer = ctx.namer
        self.bars: dict[str, str] = {}
        self.old_entries: dict = {}  # in-place write -> the name recording its old entry
        self.params = [
            a.arg for a in [*fdef.args.posonlyargs, *fdef.args.args, *fdef.args.kwonlyargs]
        ]

    # -- names -----------------------------------------------------------------------------
    def bar(self, v: str) -> str:
        if v not in self.bars:
            self.bars[v] = self.namer.fresh(f"{v}_bar")
        return self.bars[v]

    def value_of(self, e):
        return value_of(self.ns, e)

    # -- entry -----------------------------------------------------------------------------
    def run(self) -> ReverseResult:
        body = self.ssa(self.fdef.body)
        self.in_place = inplace.arrays_written_in_place(body, self.params, self.value_of)
        inplace.copy_other_writes(body, self.in_place, self.value_of, self._static_ref)
        body = [self.split_self_assignments(s, top=True) for s in body]
        body = [x for s in body for x in (s if isinstance(s, list) else [s])]
        ret = body[-1]
        assert isinstance(ret, ast.Return)
        output = ret.value
        out_name = output.id if isinstance(output, ast.Name) and not is_static(output) else None
        self.activity = analyze(
            ast.FunctionDef(name="f", args=self.fdef.args, body=body, decorator_list=[]),
            self.wrt,
            out_name,
            self.value_of,
        )
        refuse_derivative_through_text(self.activity, self.ctx.src)
        output_active = out_name is not None and out_name in self.activity.active
        state = {out_name: VALUE} if output_active else {}
        self.loop_depth = 0
        self.owned: set[str] = set()
        self.multiply_assigned = _multiply_assigned(body, self.params)
        primal, adjoint, state = self.block(body[:-1], state, compound=False)
        adjoint_of_param = {}
        for p in self.wrt:
            st = state.get(p, ZERO)
            if st == VALUE:
                adjoint_of_param[p] = name(self.bar(p))
            elif st == MAYBE:
                adjoint_of_param[p] = ast.Call(
                    func=self.ctx.helper("adjoint_or_zeros"),
                    args=[name(self.bar(p)), name(p)],
                    keywords=[],
                )
            else:
                adjoint_of_param[p] = ast.Call(
                    func=self.ctx.helper("zeros_like_value"), args=[name(p)], keywords=[]
                )
        primal, adjoint, residuals, inits = self.finish_markers(primal, adjoint, adjoint_of_param)
        return ReverseResult(
            self.params,
            primal,
            adjoint,
            output,
            output_active,
            adjoint_of_param,
            residuals,
            self.activity,
            inits,
            self.bars,
            self.in_place,
        )

    def _static_ref(self, obj) -> ast.expr:
        ref = self.ns.ref(obj)
        ref._static = True
        return ref

    # -- SSA for top-level straight-line code ------------------------------------------------
    def ssa(self, body):
        current: dict[str, str] = {}
        defined = set(self.params)
        out = []

        def rename(node, stores: bool):
            for n in ast.walk(node):
                if isinstance(n, ast.Name) and not is_static(n) and n.id in current:
                    if isinstance(n.ctx, ast.Load) or stores:
                        n.id = current[n.id]
            return node

        for s in body:
            if isinstance(s, ast.Assign):
                rename(s.value, stores=False)
                v = s.targets[0].id
                if v in defined:
                    new = self.namer.fresh(v)
                    current[v] = new
                    s.targets[0].id = new
                    v = new
                defined.add(v)
            elif isinstance(s, (ast.If, ast.For, ast.While)):
                rename(s, stores=True)
                defined |= assigned_names([s])
            else:
                rename(s, stores=False)
            out.append(s)
        return out

    # -- x = f(x) inside loops: keep the old x when the derivative reads it -----------------
    def split_self_assignments(self, s, top: bool):
        if isinstance(s, ast.If):
            s.body = self._split_list(s.body)
            s.orelse = self._split_list(s.orelse)
            return s
        if isinstance(s, (ast.For, ast.While)):
            s.body = self._split_list(s.body)
            return s
        if top or not isinstance(s, ast.Assign):
            return s
        v = s.targets[0].id
        if v in self.in_place and inplace.write_kind(s.value, v, self.value_of):
            return s  # written in place: the adjoint sweep restores the old entries
        if v not in names_read(s.value) or not self.reads_old_value(v, s.value):
            return s
        tmp = self.namer.fresh(describe(s.value))
        split = [assign(tmp, s.value, s), assign(v, name(tmp), s)]
        if getattr(s, "_user", False):  # still the user's statement: kept where it may raise
            for part in split:
                part._user = True
        return split

    def _split_list(self, stmts):
        out = []
        for s in stmts:
            r = self.split_self_assignments(s, top=False)
            out.extend(r if isinstance(r, list) else [r])
        return out

    def reads_old_value(self, v: str, value) -> bool:
        got = self.rule_call(value)
        if got is None:
            return not isinstance(value, (ast.Name, ast.Tuple, ast.List, ast.Dict))
        rule, args, keywords = got
        bound = registry_bind(rule, args, keywords)
        params_of_v = {p for p, a in bound.items() if isinstance(a, ast.Name) and a.id == v}
        n = len(rule.diff_params)
        fn = rule.vjp
        for i, p in enumerate(rule.diff_params):
            reads = self.ctx.splicer.reads(fn, n, i)
            if reads is None or reads & params_of_v:
                return True
            if p in params_of_v and rule.broadcasts and self.may_broadcast(bound, p, rule):
                return True
        return False

    def rule_call(self, value):
        """(rule, args, keywords) when ``value`` is a primitive with a rule."""
        return primitive_call(value, self.value_of, self.ctx.src)

    # -- blocks and statements -----------------------------------------------------------------
    def block(self, stmts, state, compound: bool):
        primal_parts = []
        adjoint = []
        for s in reversed(stmts):
            p, a, state = self.stmt(s, state, compound)
            primal_parts.append(p)
            adjoint.extend(a)
        primal = [x for part in reversed(primal_parts) for x in part]
        return primal, adjoint, state

    def stmt(self, s, state, compound):
        if isinstance(s, ast.Assign):
            return self.assign(s, state, compound)
        if isinstance(s, ast.If):
            return self.if_(s, state, compound)
        if isinstance(s, ast.For):
            return self.for_(s, state, compound)
        if isinstance(s, ast.While):
            return self.while_(s, state, compound)
        if isinstance(s, ast.Expr) and self.is_active_append(s):
            return self.append(s, state, compound)
        if isinstance(s, ast.With) and hasattr(s, "_grad_of"):
            from . import grad_of  # the block runs in the adjoint sweep, on x's adjoint

            return grad_of.reverse(self, s, state)
        return [s], [], state


def _multiply_assigned(body, params) -> set[str]:
    counts: dict[str, int] = {p: 1 for p in params}
    for s in body:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                counts[n.id] = counts.get(n.id, 0) + 1
    return {v for v, c in counts.items() if c > 1}
