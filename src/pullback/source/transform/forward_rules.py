"""The tangents of calls of rules, spliced from the rule table, and products added in place.

In: a call of a primitive with a rule (``reverse.primitive_call``), which of its operands have
tangents and of what kinds (``forward_kinds``), the splicer of the rule table.
Out: ``RuleTangents``, the mixin of ``Forward`` that gives such a call's tangent (``rule_call``,
``rule_tangent``: a preamble, the tangent expression, its kind), and ``scale_in_place``, the
pass over a finished body that scales a fresh tangent in place.

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
"""

from __future__ import annotations

import ast
import copy
import operator

import numpy as np

from ... import runtime
from ...rules import registry
from ..analysis.activity import names_read
from ..common.algebra import simplify
from ..common.syntax import assign, loc, name
from ..frontend.anf_expressions import is_static
from .context import is_operator, lists_as_arrays, primitive_call, registry_bind
from .forward_kinds import DENSE, MAYBE, SPARSE, level

# rules whose JVP terms are fresh arrays of the output's shape (matrix products)
_FRESH_JVPS = (np.matmul, operator.matmul, runtime.matmul_adjoint_a, runtime.matmul_adjoint_b)


def _takes_array_likes(rule) -> bool:
    """Whether the rule's function is NumPy's, which reads a list or tuple as an array (not an
    operator sharing a ufunc's rule: ``(2.0,) + t`` concatenates)."""
    if is_operator(rule):
        return False
    fn = rule.fns[0]
    return isinstance(fn, np.ufunc) or (getattr(fn, "__module__", None) or "").startswith("numpy")


class RuleTangents:
    """Mixin of ``Forward``: the tangents of calls of rules."""

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
        read, args = lists_as_arrays(rule, bound, args, self.activity.sequences, self.ctx.helper)
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
            elif a.id in self.activity.sequences and n == 2 and is_operator(rule):
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
                mapping = dict(read)
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
                    mapping = dict(read)
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
