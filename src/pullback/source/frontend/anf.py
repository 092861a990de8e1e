"""ANF of statements, and the ANF pass: every operation on a line of its own, on names.

In: a desugared ``FunctionDef`` (see ``desugar``), its ``Scope``, the local functions recorded
by ``desugar`` and the module ``Namespace``.
Out: a ``FunctionDef`` in the normalized form every transformation reads:

- statements: ``name = simple``; ``simple`` as an expression statement (a call made for its
  side effect, such as ``print(...)`` or ``values.append(v)``); ``if atom: ... else: ...``;
  ``while atom: ...`` (the condition is computed before the loop and again at the end of the
  body, into the same name); ``for name in range(atoms): ...``; ``raise``; and a final
  ``return atom``.
- an *atom* is a local name, a constant (or a tuple of constants), or a *static reference*:
  a free name or attribute chain that names an object known before running (``np.pi``, a
  global constant, a helper function). ``is_atom`` says which.
- a *simple* expression is an atom, or one operation on atoms: ``a op b``, ``-a``,
  ``not a``, ``a < b``, ``f(a, k=b)`` with ``f`` a static reference or ``atom.method``,
  ``a[index]`` (the index built from atoms and slices of atoms), ``a.attr``, ``(a, b)``,
  ``[a, b]``, ``{k: a}``.

Nested calls, ``a if c else b``, ``and``/``or``, chained comparisons, comprehensions,
generator expressions in ``sum``/``max``/``min``, ndarray methods and attributes registered
in the rule table (``x.sum()``, ``x.T``) and calls of nested functions (inlined) are lowered
by the pass. Temporaries are named after what they hold (``x_times_y``, ``sin_x``, ``xs_t``).
Every statement keeps the source location of the user statement it came from.

Here: the pass (``ANF``; ``ANF.function`` is its entry point, with its state) and the
statements: blocks, assignments, branches (a constant test keeps one side), ``while`` and
``for`` loops, ``raise``, ``return``, ``with pb.grad_of`` (see ``surgery``) and the inlining
of a nested function where it is called. ``ANF`` inherits the flattening of expressions from
``anf_expressions.ExpressionANF`` (names, attributes, operators, subscripts, comprehensions,
lambdas) and of calls from ``anf_calls.CallANF`` (functions, methods, rule-table adapters,
``sum``/``max``/``min``).
"""

from __future__ import annotations

import ast
import copy

from ..common.diagnostics import unsupported
from ..common.naming import Namer, describe
from ..common.syntax import assign, function_def, loc, name
from .anf_calls import CallANF
from .anf_expressions import bind_helpers, is_atom, rename
from .desugar import Desugarer
from .exits import ExitLowering
from .namespace import Namespace
from .resolve import MISSING, Scope, local_names, receiver_kind


class ANF(CallANF):
    """The ANF pass over one function: ``ANF(...).function(desugared)``."""

    def __init__(
        self,
        scope: Scope,
        src,
        namer: Namer,
        ns: Namespace,
        desugarer: Desugarer,
        owners: dict | None = None,
    ):
        self.scope = scope
        self.src = src
        self.namer = namer
        self.ns = ns
        self.d = desugarer
        self.local_functions = desugarer.local_functions
        self.inlining: list[str] = []
        self.shadowed: set[str] = set(scope.locals)
        self.reads_at_call: dict[str, ast.expr] = {}
        self.owners = owners if owners is not None else {}  # id(function) -> its class
        self.receiver: tuple[str, str] | None = None  # ("self", "instance") in a method
        # a local name holding a function: a nested function's name, or a static reference
        self.functions: dict[str, str | ast.expr] = {}
        self.packed: dict[str, int | list[str]] = {}  # *args length, **kwargs keys (inlined)
        # a local name holding a frozen distribution (d = norm(mu, sigma)): what froze it
        self.frozen: dict[str, tuple] = {}
        self.ever_frozen: set[str] = set()  # names that held one somewhere (refused elsewhere)

    # -- statements ------------------------------------------------------------------------
    def function(self, node: ast.FunctionDef) -> ast.FunctionDef:
        self.shadowed |= local_names(node)
        self.receiver = _receiver(node, self.scope)
        body = self.block(node.body)
        body = [assign(v, e, node) for v, e in self.reads_at_call.items()] + body
        return ast.copy_location(function_def(node.name, node.args, body), node)

    def block(self, stmts):
        out = []
        for s in stmts:
            self.at = s
            out.extend(self.stmt(s))
        return out

    def stmt(self, s):
        if isinstance(s, ast.Assign):
            target = s.targets[0].id
            pre, simple = self.simple(s.value, hint=target)
            if self.remember_frozen(target, simple):
                return pre  # d = norm(mu, sigma): its methods' calls are made unfrozen
            if self.alias(target, simple):
                return pre
            return pre + [assign(target, simple, s)]
        if isinstance(s, ast.Expr):
            pre, simple = self.simple(s.value)
            if is_atom(simple):
                return pre
            return pre + [loc(ast.Expr(value=simple), s)]
        if isinstance(s, ast.If):
            pre, test = self.atom(s.test)
            if isinstance(test, ast.Constant):
                return pre + self.block(s.body if test.value else s.orelse)
            before = dict(self.frozen)
            body = self.block(s.body) or [loc(ast.Pass(), s)]
            after_body, self.frozen = self.frozen, before
            orelse = self.block(s.orelse)
            # a name frozen differently on the two paths: known on neither after the if
            self.frozen = {k: v for k, v in self.frozen.items() if after_body.get(k) is v}
            return pre + [loc(ast.If(test=test, body=body, orelse=orelse), s)]
        if isinstance(s, ast.While):
            cond = self.namer.fresh(
                describe(s.test) if not isinstance(s.test, ast.BoolOp) else "more"
            )
            pre, value = self.simple(s.test, hint=cond)
            compute = pre + [assign(cond, value, s)]
            self.forget_frozen(s.body)
            body = self.block(s.body)
            self.forget_frozen(s.body)
            again = copy.deepcopy(compute)
            return compute + [loc(ast.While(test=name(cond), body=body + again, orelse=[]), s)]
        if isinstance(s, ast.For):
            it = s.iter
            pre = []
            args = []
            assigned = {
                n.id
                for st in s.body
                for n in ast.walk(st)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            for a in it.args:
                p, at = self.atom(a)
                pre += p
                if isinstance(at, ast.Name) and at.id in assigned:
                    keep = self.namer.fresh(at.id + "_at_entry")
                    pre.append(assign(keep, at, s))
                    at = name(keep)
                args.append(at)
            rng = loc(ast.Call(func=self.builtin_ref("range"), args=args, keywords=[]), s)
            self.forget_frozen(s.body)
            body = self.block(s.body) or [loc(ast.Pass(), s)]
            self.forget_frozen(s.body)
            return pre + [loc(ast.For(target=s.target, iter=rng, body=body, orelse=[]), s)]
        if isinstance(s, ast.Return):
            pre, a = self.atom(
                s.value if s.value is not None else ast.Constant(None), hint="result"
            )
            return pre + [loc(ast.Return(value=a), s)]
        if isinstance(s, ast.Raise):  # kept as written: the free names it uses must resolve
            for part in (s.exc, s.cause):
                for n in ast.walk(part) if part is not None else ():
                    if isinstance(n, ast.Name) and n.id not in self.shadowed:
                        value = self.scope.lookup(n.id)
                        if value is not MISSING:
                            self.ns.bind_user(n.id, value)
            return [s]
        if isinstance(s, (ast.Break, ast.Continue)):
            return [s]
        if isinstance(s, ast.Pass):
            return []
        if isinstance(s, ast.With):
            from . import surgery  # a grad_of block: its body normalized like any block

            return surgery.anf(self, s)
        raise unsupported(s, self.src, f"{type(s).__name__} is not supported here")

    # -- nested functions ------------------------------------------------------------------
    def inline(self, fdef: ast.FunctionDef, e: ast.Call, hint):
        if fdef.name in self.inlining:
            raise unsupported(
                e,
                self.src,
                f"the nested function {fdef.name!r} calls itself; "
                "recursion is supported for module-level functions only",
                "define the function at module level",
            )
        params = [a.arg for a in [*fdef.args.posonlyargs, *fdef.args.args]]
        kwonly = [a.arg for a in fdef.args.kwonlyargs]
        vararg = fdef.args.vararg.arg if fdef.args.vararg else None
        kwarg = fdef.args.kwarg.arg if fdef.args.kwarg else None
        if len(e.args) > len(params) and vararg is None:
            raise unsupported(e, self.src, f"too many arguments for {fdef.name}()")
        given = dict(zip(params, e.args, strict=False))
        extra_keywords = []
        for k in e.keywords:
            if k.arg in params or k.arg in kwonly:
                given[k.arg] = k.value
            elif kwarg is not None:
                extra_keywords.append(k)
            else:
                raise unsupported(e, self.src, f"{fdef.name}() has no parameter {k.arg!r}")
        first_default = len(params) - len(fdef.args.defaults)
        defaults = dict(zip(params[first_default:], fdef.args.defaults, strict=True))
        defaults.update(
            {k: d for k, d in zip(kwonly, fdef.args.kw_defaults, strict=True) if d is not None}
        )
        renames = {n: self.namer.fresh(n) for n in local_names(fdef)}
        pre = []
        for p in params + kwonly:
            value = given.get(p, defaults.get(p))
            if value is None:
                raise unsupported(e, self.src, f"missing argument {p!r} for {fdef.name}()")
            p_stmts, simple = self.simple(value, hint=renames[p])
            pre += p_stmts
            if not self.alias(renames[p], simple):  # a function argument: its name
                pre.append(assign(renames[p], simple, e))
        if vararg is not None:  # *args: a tuple of known length
            p_stmts, extra = self.atoms(e.args[len(params) :])
            pre += p_stmts + [assign(renames[vararg], ast.Tuple(elts=extra, ctx=ast.Load()), e)]
            self.packed[renames[vararg]] = len(extra)
        if kwarg is not None:  # **kwargs: a dict of known keys
            p_stmts, values = self.atoms([k.value for k in extra_keywords])
            keys = [ast.Constant(k.arg) for k in extra_keywords]
            pre += p_stmts + [assign(renames[kwarg], ast.Dict(keys=keys, values=values), e)]
            self.packed[renames[kwarg]] = [k.arg for k in extra_keywords]
        body = [rename(copy.deepcopy(s), renames) for s in fdef.body]
        for s in body:  # nested definitions get fresh names too, per call
            for n in ast.walk(s):
                if isinstance(n, ast.FunctionDef) and n.name in renames:
                    n.name = renames[n.name]
        inner = Desugarer(self.scope, self.src, self.namer)
        inner.local_functions = self.local_functions
        lowered_fn = function_def(fdef.name, fdef.args, inner.block(body))
        self.shadowed |= set(self.local_functions)  # nested functions defined in the body
        self.d.needs_setitem |= inner.needs_setitem
        self.d.needs_loop_sequence |= inner.needs_loop_sequence
        self.d.builtins_used |= inner.builtins_used
        bind_helpers(self.ns, self.d)
        body = ExitLowering(inner).function_body(lowered_fn.body, e)
        self.shadowed |= {
            n.id
            for s in body
            for n in ast.walk(s)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
        }
        result = self.namer.fresh(hint or describe(e))
        final = body[-1]
        body = body[:-1] + [assign(result, final.value, final)]
        self.shadowed.update(renames.values())
        self.shadowed.add(result)
        self.inlining.append(fdef.name)
        try:
            out = self.block(body)
        finally:
            self.inlining.pop()
        return pre + out, name(result)


def _receiver(node: ast.FunctionDef, scope: Scope):
    """``(name, "instance" or "class")`` of a method's first parameter, when its class is known
    and the method never rebinds it; else None."""
    kind = receiver_kind(scope.owner, scope.fn)
    params = [*node.args.posonlyargs, *node.args.args]
    if kind is None or not params:
        return None
    first = params[0].arg
    for n in ast.walk(node):
        if isinstance(n, ast.Name) and n.id == first and not isinstance(n.ctx, ast.Load):
            return None
    return first, kind
