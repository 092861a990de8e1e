"""Forward transform: each statement followed by the statement computing its tangent.

In: a function in normalized form (``anf``), the parameters whose tangents are given, and a
``Context`` (namespace, namer, splicer, how to get a callee's JVP function).
Out: a ``ForwardResult``: the statements computing the primal and, interleaved, the tangents
(``x_dot`` is the tangent of ``x``), the output atom and the output tangent expression.

How it works:

- Only active variables (``activity``) get a tangent; a tangent known statically to be zero is
  never materialized. Where control flow joins a path with a tangent and one without, the
  path without gets ``x_dot = zero_tangent(x)`` (``None`` where ``x`` is ``None``).
- Inside containers a zero tangent stays symbolic: ``t = (x, c)`` with ``c`` inactive gets
  ``t_dot = (x_dot, None)``, and a list grows a ``None`` for an inactive item. Each tangent has a
  *kind*: ``DENSE`` (no ``None`` anywhere in it), ``SPARSE`` (a container that may hold
  ``None`` entries), ``MAYBE`` (may itself be ``None``: an entry read from a sparse container,
  the tangent of a recursive call), or for a tuple a tuple of its entries' kinds, ``ZERO``
  marking an entry without a tangent. ``t[1]`` with ``t``'s kind ``(DENSE, ZERO)`` has no
  tangent at all; kinds travel into callees (one JVP function per kinds of its tangent
  parameters) and back out with their results, so the JVP of a gradient's backward sweep knows
  which saved values have tangents. A term built from a ``MAYBE`` tangent is guarded
  (``term if x_dot is not None else None``). A zero never becomes an array of zeros, and the
  work it would feed (a matmul with an inactive input saved for a gradient's backward sweep,
  in a Hessian-vector product) is not emitted.
- A rule's JVP is spliced from the rule table: for an elementwise rule the tangent is
  ``x_dot * partial`` (``y_dot = x_dot * np.cos(x)``), broadcast to the output's shape only
  where another operand may give the output a larger shape; for any other rule its JVP body
  with the call's atoms substituted. A rule that cannot be spliced (a custom rule) is called.
- Where the first of several terms is a fresh product of the output's shape (it reads every
  operand), the others are added into it (``z_dot = x_dot * y`` then ``z_dot += y_dot * x``;
  ``add_into`` for matrix products and guarded terms): a large array is not allocated twice.
  Likewise ``y_dot = x_dot * partial`` of a one-argument rule scales ``x_dot`` in place where
  it is a fresh array read nowhere else (``scale_in_place``), and ``-u_dot`` is subtracted
  where it is summed instead of being materialized.
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
import operator
import types
from dataclasses import dataclass

import numpy as np

from ... import runtime
from ...errors import MissingRuleError
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
from ..common.algebra import simplify
from ..common.diagnostics import refuse_derivative_through_text, where
from ..common.syntax import assign, loc, name
from ..frontend.anf_expressions import NONDIFF_ATTRS, is_static
from ..frontend.binding import bind_arguments
from ..frontend.namespace import value_of
from .context import Context, assigned_names, primitive_call, registry_bind

_CONTAINER_METHODS = {"get", "pop", "copy", "values", "items"}
# rules whose JVP terms are fresh arrays of the output's shape (matrix products)
_FRESH_JVPS = (np.matmul, operator.matmul, runtime.matmul_adjoint_a, runtime.matmul_adjoint_b)


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


DENSE, SPARSE, MAYBE = 0, 1, 2  # tangent kinds, from surely a value to possibly None
ZERO = -1  # the kind of a tuple entry without a tangent: its tangent is None


def _is_operator(rule) -> bool:
    """Whether the rule is a Python operator's (``+``, ``*`` ...), perhaps shared with a ufunc."""
    return any(getattr(fn, "__module__", None) in ("_operator", "operator") for fn in rule.fns)


def _takes_array_likes(rule) -> bool:
    """Whether the rule's function is NumPy's, which reads a list or tuple as an array (not an
    operator sharing a ufunc's rule: ``(2.0,) + t`` concatenates)."""
    if _is_operator(rule):
        return False
    fn = rule.fns[0]
    return isinstance(fn, np.ufunc) or (getattr(fn, "__module__", None) or "").startswith("numpy")


def level(kind) -> int:
    """DENSE, SPARSE or MAYBE: what a kind says about the tangent as a whole."""
    if isinstance(kind, tuple):  # a tuple's kind entry by entry
        return DENSE if all(level(k) == DENSE for k in kind) else SPARSE
    return MAYBE if kind == ZERO else kind


def merge(a, b):
    """A kind true of tangents of either kind."""
    if a == b:
        return a
    if isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b):
        return tuple(merge(x, y) for x, y in zip(a, b, strict=True))
    return max(level(a), level(b))


class Forward:
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

    # -- symbolic zeros ----------------------------------------------------------------------
    def kind(self, v: str):
        return self.kinds.get(v, DENSE)

    def widen(self, v: str, kind) -> None:
        """Record that ``v``'s tangent may be of ``kind`` (kinds only widen: loops revisit)."""
        self.kinds[v] = merge(self.kinds[v], kind) if v in self.kinds else kind

    def guarded(self, v: str, expr: ast.expr) -> ast.expr:
        """``expr``, or ``None`` where the tangent of ``v`` is a symbolic zero at run time."""
        if level(self.kind(v)) != MAYBE:
            return expr
        test = ast.Compare(
            left=name(self.dot(v)), ops=[ast.IsNot()], comparators=[ast.Constant(None)]
        )
        return ast.IfExp(test=test, body=expr, orelse=ast.Constant(None))

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

    def tangent_or_none(self, e, state):
        """(tangent of ``e`` as an entry of a container, its kind): ``None`` for a zero."""
        if isinstance(e, ast.Name) and not is_static(e) and e.id in state:
            return name(self.dot(e.id)), self.kind(e.id)
        return ast.Constant(None), ZERO

    def container(self, entries, state, fixed=False):
        """(entries' tangents, the container's kind: entry by entry where ``fixed``)."""
        got = [self.tangent_or_none(e, state) for e in entries]
        kind = (
            tuple(k for _, k in got)
            if fixed
            else SPARSE
            if any(level(k) != DENSE for _, k in got)
            else DENSE
        )
        return [t for t, _ in got], kind

    def assign(self, s, state):
        v = s.targets[0].id
        state = set(state)
        if v not in self.activity.active:
            state.discard(v)
            return [s], state
        if isinstance(s.value, ast.Call) and is_static(s.value.func):
            fn = self.value_of(s.value.func)
            if (
                isinstance(fn, types.FunctionType)
                and registry.lookup(fn) is None
                and not registry.is_nondiff(fn)
            ):
                return self.callee(fn, s, v, state)
        self_reference = v in names_read(s.value)
        ans = self.namer.fresh(f"{v}_new") if self_reference else v
        pre, tangent, kind = self.tangent(s.value, ans, state, s, self.dot(v))
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
    def has(self, e, state) -> bool:
        return isinstance(e, ast.Name) and not is_static(e) and e.id in state

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

    def method(self, value, state, s):
        method = value.func.attr
        obj = value.func.value
        if not self.has(obj, state) or method in NONDIFF_METHODS:
            return [], None, DENSE
        kind = level(self.kind(obj.id))
        if method in IDENTITY_METHODS:
            return [], name(self.dot(obj.id)), kind
        if method in _CONTAINER_METHODS:
            call = ast.Call(
                func=ast.Attribute(value=name(self.dot(obj.id)), attr=method, ctx=ast.Load()),
                args=copy.deepcopy(value.args),
                keywords=copy.deepcopy(value.keywords),
            )
            if method in ("get", "pop") and kind != DENSE:
                kind = MAYBE  # an entry of a container that may hold symbolic zeros
            return [], self.guarded(obj.id, call), kind
        raise MissingRuleError(f"numpy.ndarray.{method}", **where(s, self.ctx.src))

    def rule_call(self, value):
        """(rule, args, keywords) when ``value`` is a primitive with a rule."""
        return primitive_call(value, self.value_of, self.ctx.src)

    def times_partial(self, t: ast.expr, partial: ast.expr) -> ast.expr:
        """``t * partial`` for a constant or a named partial, else ``safe_mul(t, partial)``: a
        zero tangent (a value constant so far, ``s = 0.0`` before ``s ** 0.2``) stays zero where
        the partial is inf or nan, as the adjoints do in reverse mode."""
        partial = simplify(partial)
        if isinstance(partial, (ast.Constant, ast.Name)) or (
            isinstance(partial, ast.UnaryOp)
            and isinstance(partial.operand, (ast.Constant, ast.Name))
        ):  # a constant, or a value of the function itself (the other factor of x * y)
            return simplify(ast.BinOp(left=t, op=ast.Mult(), right=partial))
        return ast.Call(func=self.ctx.helper("safe_mul"), args=[t, partial], keywords=[])

    def rule_tangent(self, rule, args, keywords, ans, state, target=None):
        bound = registry_bind(rule, args, keywords)
        n = len(rule.diff_params)
        splicer = self.ctx.splicer
        terms, pre, with_tangent = [], [], set()
        term_of: dict[str, ast.expr] = {}  # parameter -> its term
        negated: dict[int, ast.expr] = {}  # term k is minus this (see self.negations)
        guarded = 0  # terms that may be None at run time
        sparse = False  # an operand's tangent is a container that may hold symbolic zeros
        shaped_by: set[str] = set()  # operands a term already broadcasts against
        # the first term is a fresh array of the output's shape that later ones may add into
        in_place = rule.kind == "elementwise" or rule.fns[0] in _FRESH_JVPS
        for i, p in enumerate(rule.diff_params):
            a = bound.get(p)
            if not self.has(a, state):
                continue
            with_tangent.add(p)
            a_dot = name(self.dot(a.id))
            maybe = level(self.kind(a.id)) == MAYBE
            if level(self.kind(a.id)) == SPARSE and _takes_array_likes(rule):
                # np.sum([1.0, x]): NumPy reads the list as an array, so must its JVP the tangent
                a_dot = ast.Call(
                    func=self.ctx.helper("dense_tangent"), args=[a_dot, name(a.id)], keywords=[]
                )
            elif a.id in self.activity.sequences and n == 2 and _is_operator(rule):
                # lst <op> other: a sequence's operator (lst + lst, lst * 3) keeps the list of
                # tangents; NumPy's (x + lst of an array x) reads it as an array, zeros and all
                other = bound.get(rule.diff_params[1 - i])
                if other is not None:
                    a_dot = ast.Call(
                        func=self.ctx.helper("operand_tangent"),
                        args=[a_dot, name(a.id), copy.deepcopy(other)],
                        keywords=[],
                    )
                sparse = sparse or level(self.kind(a.id)) != DENSE
            else:
                sparse = sparse or level(self.kind(a.id)) != DENSE
            spliced = None
            if rule.kind == "elementwise":
                mapping = dict(bound)
                mapping["ans"] = name(ans)
                spliced = splicer.splice(rule.vjp, n, i, mapping)
                if spliced is not None:
                    stmts, partial = spliced
                    if isinstance(partial, ast.Constant) and partial.value is None:
                        continue
                    term = self.times_partial(a_dot, partial)
                    shaped_by |= set(names_read(partial))
                    in_place = (
                        in_place
                        and isinstance(term, ast.BinOp)
                        and (terms or self.covers(bound, rule, {a.id, *names_read(partial)}, ans))
                    )
            elif rule.kind == "general":
                got = splicer.entries(rule.jvp, n)
                if got is not None:
                    node = got[0]
                    jvp_params = [x.arg for x in node.args.args]
                    mapping = dict(bound)
                    for q in jvp_params:
                        if q.endswith("_dot"):
                            mapping[q] = ast.Constant(None)
                    mapping[f"{p}_dot"] = a_dot
                    mapping["ans"] = name(ans)
                    spliced = splicer.splice(rule.jvp, n, i, mapping)
                    if spliced is not None:
                        stmts, term = spliced
                        if isinstance(term, ast.Constant) and term.value is None:
                            continue
                        if maybe and stmts:  # the preamble reads the tangent: call instead
                            spliced = None
            if spliced is None:
                in_place = in_place and rule.kind != "elementwise"
                fn_ref = self.ctx.ref(rule.jvp_fn(i))
                term = ast.Call(
                    func=fn_ref,
                    args=[a_dot, name(ans), *copy.deepcopy(args)],
                    keywords=copy.deepcopy(keywords),
                )
            else:
                pre += stmts
            if maybe:
                term = self.guarded(a.id, term)
                guarded += 1
            elif spliced is not None and rule.kind == "elementwise" and a.id in self.negations:
                u_dot = name(self.dot(self.negations[a.id]))
                negated[len(terms)] = simplify(
                    ast.BinOp(left=u_dot, op=ast.Mult(), right=copy.deepcopy(partial))
                )
            terms.append(term)
            term_of[p] = term
        if not terms:
            return pre, None, DENSE
        kind = MAYBE if guarded == len(terms) else SPARSE if sparse else DENSE
        if rule.kind == "elementwise":
            if (
                rule is registry.lookup(operator.add)
                and len(rule.diff_params) == 2
                and (
                    guarded
                    or self.may_broadcast(bound, with_tangent, rule, shaped_by)
                    or (len(terms) == 2 and ast.dump(terms[0]) == ast.dump(terms[1]))
                )
            ):
                # a + b: numbers and arrays add, tuples and lists concatenate (x + x of a list
                # is not 2 * x_dot: it is twice as long)
                x, y = rule.diff_params
                sides = [term_of.get(x, ast.Constant(None)), term_of.get(y, ast.Constant(None))]
                total = ast.Call(
                    func=self.ctx.helper("sum_tangent"),
                    args=[*sides, copy.deepcopy(bound[x]), name(ans)],
                    keywords=[],
                )
                return pre, total, (MAYBE if guarded == len(terms) else SPARSE)
            if len(terms) == 2 and ast.dump(terms[0]) == ast.dump(terms[1]):  # x * x
                t = terms[0]
                if isinstance(t, ast.IfExp):  # guarded: double what the guard keeps
                    t.body = ast.BinOp(left=ast.Constant(2.0), op=ast.Mult(), right=t.body)
                    terms = [t]
                elif (
                    isinstance(t, ast.BinOp) and target is not None and target not in names_read(t)
                ):  # doubled in place
                    pre += [
                        assign(target, t, None),
                        ast.AugAssign(
                            target=name(target, ast.Store()), op=ast.Mult(), value=ast.Constant(2.0)
                        ),
                    ]
                    return pre, name(target), kind
                else:
                    terms = [ast.BinOp(left=ast.Constant(2.0), op=ast.Mult(), right=t)]
                guarded = min(guarded, 1)
            if (
                in_place
                and len(terms) > 1
                and not guarded
                and target is not None
                and not any(target in names_read(t) for t in terms)
            ):
                # x_dot * y + y_dot * x: the second product added into the first
                pre.append(assign(target, terms[0], None))
                for k, t in enumerate(terms[1:], 1):  # a - u_dot * h, not a + (-u_dot) * h
                    op, t = (ast.Sub(), negated[k]) if k in negated else (ast.Add(), t)
                    pre.append(ast.AugAssign(target=name(target, ast.Store()), op=op, value=t))
                return pre, name(target), kind
            helper = "add_into" if in_place and len(terms) == 2 else "add_adjoints"
            total = terms[0]
            for t in terms[1:]:
                total = (
                    ast.Call(func=self.ctx.helper(helper), args=[total, t], keywords=[])
                    if guarded
                    else ast.BinOp(left=total, op=ast.Add(), right=t)
                )
            if self.may_broadcast(bound, with_tangent, rule, shaped_by):
                total = ast.Call(
                    func=self.ctx.helper("broadcast_like"), args=[total, name(ans)], keywords=[]
                )
            elif (
                len(rule.params) == 1
                and isinstance(total, ast.BinOp)
                and isinstance(total.op, ast.Mult)
                and isinstance(total.left, ast.Name)
                and total.left.id in self.dots.values()
            ):
                total._scales = total.left.id  # y = f(x): y_dot may be x_dot scaled in place
            return pre, total, kind
        helper = "add_into" if in_place else "add_adjoints"
        total = terms[0]
        for t in terms[1:]:
            total = ast.Call(func=self.ctx.helper(helper), args=[total, t], keywords=[])
        return pre, total, kind

    def covers(self, bound, rule, names, ans) -> bool:
        """Whether a term reading ``names`` has the output's shape: it reads the output or
        every operand that is not a plain number."""
        if ans in names:
            return True
        for q in rule.params:
            other = bound.get(q)
            if isinstance(other, ast.Name) and not is_static(other) and other.id not in names:
                return False
            if other is not None and not isinstance(other, (ast.Name, ast.Constant)):
                return False
        return True

    def may_broadcast(self, bound, with_tangent, rule, shaped_by=frozenset()) -> bool:
        """Whether an operand without a tangent may give the output a larger shape."""
        if len(bound) < 2:
            return False
        mine = {bound[p].id for p in with_tangent} | set(shaped_by)
        for q, other in bound.items():
            if q in with_tangent or q not in rule.params:
                continue
            if isinstance(other, ast.Constant) and (
                other.value is None or isinstance(other.value, (int, float, bool, str))
            ):
                continue
            if isinstance(other, ast.Name) and not is_static(other) and other.id in mine:
                continue
            if is_static(other):
                obj = self.value_of(other)
                if isinstance(obj, (int, float)) or obj is None:
                    continue
            return True
        return False

    # -- calls of user functions -------------------------------------------------------------
    def callee(self, fn, s, v, state):
        value = s.value
        code = fn.__code__
        params = list(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
        bound = bind_arguments(fn, value, lambda e: self.has(e, state), self.ctx.src, s)
        active = tuple(p for p in params if p in bound and self.has(bound[p], state))
        state = set(state)
        if not active:
            state.discard(v)
            return [s], state
        kinds = tuple(self.kind(bound[p].id) for p in active)
        fixed = passed_functions(fn, bound, self.value_of)
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


def scale_in_place(body: list[ast.stmt], output: ast.expr) -> None:
    """``y_dot = x_dot * partial`` of a one-argument elementwise rule becomes
    ``x_dot *= partial; y_dot = x_dot`` where ``x_dot`` is a fresh array (assigned once, from
    arithmetic) that nothing else reads: the tangent of ``tanh(a + b)`` reuses the sum's."""
    stores: dict[str, int] = {}
    loads: dict[str, int] = {}
    fresh: set[str] = set()
    stored_in: dict[str, tuple] = {}  # the loops around a name's assignment
    looped: set[str] = set()  # read in a loop its assignment is outside: read more than once

    def census(n, loops: tuple) -> None:
        if isinstance(n, ast.Assign) and isinstance(n.targets[0], ast.Name):
            v = n.targets[0].id
            stores[v] = stores.get(v, 0) + 1
            stored_in[v] = loops
            if isinstance(n.value, (ast.BinOp, ast.UnaryOp)):
                fresh.add(v)
        elif isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
            loads[n.id] = loads.get(n.id, 0) + 1
            if n.id not in stored_in or not set(loops) <= set(stored_in[n.id]):
                looped.add(n.id)
        elif isinstance(n, (ast.For, ast.comprehension)):
            for t in ast.walk(n.target):
                if isinstance(t, ast.Name):
                    stores[t.id] = stores.get(t.id, 0) + 2  # never a candidate
        if isinstance(n, (ast.For, ast.While, ast.Lambda, ast.comprehension)):
            loops = (*loops, id(n))
        for child in ast.iter_child_nodes(n):
            census(child, loops)

    census(ast.Module(body=[*body, ast.Expr(value=output)], type_ignores=[]), ())

    def rewrite(stmts):
        out = []
        for s in stmts:
            for field in ("body", "orelse"):
                if isinstance(getattr(s, field, None), list):
                    setattr(s, field, rewrite(getattr(s, field)))
            x = getattr(getattr(s, "value", None), "_scales", None)
            if (
                isinstance(s, ast.Assign)
                and x is not None
                and x in fresh
                and stores.get(x) == 1
                and loads.get(x) == 1
                and x not in looped
            ):
                out.append(
                    loc(
                        ast.AugAssign(
                            target=name(x, ast.Store()), op=ast.Mult(), value=s.value.right
                        ),
                        s,
                    )
                )
                s.value = name(x)
            out.append(s)
        return out

    body[:] = rewrite(body)


__all__ = ["Forward", "ForwardContext", "ForwardResult"]
