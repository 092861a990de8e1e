"""ANF of calls: what a call calls, found before running, and the call flattened onto atoms.

In: an ``ast.Call`` of a desugared function, as ``ExpressionANF.simple`` meets it, and the
functions the statement pass knows by name (nested functions, aliases such as ``f = np.sin``).
Out: ``(statements, simple)`` like any expression (see ``anf_expressions``): ``f(a, k=b)``
with ``f`` a static reference or ``atom.method``, or the statements of what the call is
lowered to:

- a nested function's call: inlined (``anf.ANF.inline``), its ``*args``/``**kwargs``
  unpacked by position and key;
- ``self.m(a)``, ``obj.m(a)`` and bound methods: a call of the function behind the method
  (``m(self, a)``), differentiated like any other;
- ndarray methods of the rule table (``x.sum()``): the function the adapter names;
- ``d.values()``/``d.items()``: a list built by position over ``d``'s keys;
- ``sum``/``max``/``min`` over generators and lists, two-argument ``max``/``min``: loops;
- a distribution of ``scipy.stats`` frozen in the function (``d = norm(mu, sigma)``, its
  parameters kept in fresh names) and its methods (``d.logpdf(x)``, ``norm(mu, sigma).cdf(x)``):
  the unfrozen call ``norm.logpdf(x, mu, sigma)``, which has the rule; a method of a
  distribution without a rule (``cauchy.logpdf``) stays one call, which the transformation
  refuses (``MissingRuleError``) if it must differentiate it, never SciPy's code inlined.

A call whose callee is known only when running (a local name, a call's result) is kept as a
call of that atom, which the transforms differentiate through ``source.dynamic``; a function
parameter called is specialized per function passed; a nested function used as a value is
refused with a hint.
"""

from __future__ import annotations

import ast
import builtins
import copy
import types

from ...rules import registry, substitutes
from ...rules.frozen import frozen_parts
from ..common.diagnostics import unsupported
from ..common.naming import describe
from ..common.syntax import assign, call, loc, name
from .anf_expressions import ExpressionANF, is_static, mark_static
from .namespace import generated_target, value_of
from .resolve import MISSING, is_data

_PLAIN_METHODS = {
    "append",
    "copy",
    "keys",
    "values",
    "items",
    "astype",
    "item",
    "get",
    "index",
    "count",
}


class _Sym:
    """A stand-in for a value, passed to a method adapter to read how it rewrites a call."""

    def __init__(self, node):
        self.node = node


class CallANF(ExpressionANF):
    """The call part of the ANF pass: ``expr_Call`` and what it needs (see the module's
    docstring); ``anf.ANF`` adds the state it reads (``functions``, ``packed``, ``receiver``,
    ``owners``) and ``inline``."""

    # -- calls -----------------------------------------------------------------------------
    def alias(self, target: str, simple) -> bool:
        """``g = make(3.0)``, ``h = g``, ``f = np.sin``: remember that ``target`` names a
        function (so that ``target(x)`` is inlined or called) instead of assigning it."""
        fn = self.function_named(simple)
        if fn is None:
            self.functions.pop(target, None)
            return False
        self.functions[target] = fn
        return True

    def function_named(self, e):
        """The nested function's name or the static reference that ``e`` names, or None."""
        if isinstance(e, ast.Name) and not is_static(e):
            if e.id in self.functions:
                return self.functions[e.id]
            if e.id in self.local_functions and e.id in self.shadowed:
                return e.id
            return None
        if is_static(e) and callable(value_of(self.ns, e)):
            return e
        return None

    def unpacked(self, e: ast.Call) -> ast.Call:
        """``f(*args, **kwargs)`` with ``args``/``kwargs`` a nested function's packed parameters
        (a tuple or dict of known size) as ``f(args[0], args[1], k=kwargs["k"])``."""
        if not any(isinstance(a, ast.Starred) for a in e.args) and all(
            k.arg is not None for k in e.keywords
        ):
            return e
        args, keywords = [], []
        for a in e.args:
            if isinstance(a, ast.Starred):
                n = self.packed.get(getattr(a.value, "id", None))
                if not isinstance(n, int):
                    raise unsupported(
                        a,
                        self.src,
                        "star-arguments f(*args) are supported only "
                        "for the *args of a nested function",
                        "pass the arguments one by one",
                    )
                args += [
                    ast.Subscript(value=name(a.value.id), slice=ast.Constant(i), ctx=ast.Load())
                    for i in range(n)
                ]
            else:
                args.append(a)
        for k in e.keywords:
            if k.arg is None:
                keys = self.packed.get(getattr(k.value, "id", None))
                if not isinstance(keys, list):
                    raise unsupported(
                        k.value,
                        self.src,
                        "keyword unpacking f(**kwargs) is "
                        "supported only for the **kwargs of a nested function",
                        "pass the keywords one by one",
                    )
                keywords += [
                    ast.keyword(
                        arg=key,
                        value=ast.Subscript(
                            value=name(k.value.id), slice=ast.Constant(key), ctx=ast.Load()
                        ),
                    )
                    for key in keys
                ]
            else:
                keywords.append(k)
        return loc(ast.Call(func=e.func, args=args, keywords=keywords), e)

    def expr_Call(self, e, hint):
        e = self.unpacked(e)
        unfrozen = self.unfrozen_call(e)
        if unfrozen is not None:
            return self.simple(unfrozen, hint)
        func = e.func
        if isinstance(func, ast.Name) and func.id in self.functions:
            fn = self.functions[func.id]
            if isinstance(fn, str):
                return self.inline(self.local_functions[fn], e, hint)
            e = loc(ast.Call(func=copy.deepcopy(fn), args=e.args, keywords=e.keywords), e)
            func = e.func
        if (
            isinstance(func, ast.Name)
            and func.id in self.local_functions
            and func.id in self.shadowed
        ):
            return self.inline(self.local_functions[func.id], e, hint)
        as_function = self.method_call(e)
        if as_function is not None:
            return self.simple(as_function, hint)
        if (
            isinstance(func, ast.Attribute)
            and func.attr in ("values", "items")
            and not e.args
            and not e.keywords
            and self.static(func) is MISSING
        ):
            return self.dict_view(e, hint)
        target = value_of(self.ns, func) if is_static(func) else self.static(func)
        computed = substitutes.variadic(target) if target is not MISSING else None
        if computed is not None and not any(isinstance(a, ast.Starred) for a in e.args):
            # np.meshgrid(x, y): the rule table's function of the tuple (x, y)
            fn, packs = computed
            args = [ast.Tuple(elts=list(e.args), ctx=ast.Load())] if packs else list(e.args)
            call = ast.Call(func=mark_static(self.ns.ref(fn)), args=args, keywords=e.keywords)
            return self.expr_Call(loc(call, e), hint)
        if target is not MISSING and (
            registry.distribution_name(target) is not None
            or (  # norm.freeze(mu, sigma), the same as norm(mu, sigma)
                isinstance(target, types.MethodType)
                and target.__name__ == "freeze"
                and registry.distribution_name(target.__self__) is not None
            )
        ):
            return self.freeze(e, hint)
        if target is not MISSING:
            special = self.builtin_call(target, e, hint)
            if special is not None:
                return special
            self.refuse_local_function_arguments(e)
            p_func, fnode = self.simple(func)
            pre, args = self.atoms(e.args)
            p_kw, kws = self.keyword_atoms(e.keywords)
            pre += p_kw
            return p_func + pre, loc(ast.Call(func=fnode, args=args, keywords=kws), e)
        if isinstance(func, ast.Attribute):
            pre, obj = self.atom(func.value)
            p2, args = self.atoms(e.args)
            p_kw, kws = self.keyword_atoms(e.keywords)
            p2 += p_kw
            if func.attr not in _PLAIN_METHODS:
                method = registry.lookup_method(func.attr)
                if method is not None and not method.attribute:
                    out = self.adapt(method, obj, args, kws, e)
                    if out is not None:
                        p3, simple = out
                        return pre + p2 + p3, simple
            node = ast.Call(
                func=ast.Attribute(value=obj, attr=func.attr, ctx=ast.Load()),
                args=args,
                keywords=kws,
            )
            return pre + p2, loc(node, e)
        code = getattr(self.scope.fn, "__code__", None)
        params = (
            set(code.co_varnames[: code.co_argcount + code.co_kwonlyargcount])
            if code is not None
            else set()
        )
        if isinstance(func, ast.Name) and func.id in params:
            fname = getattr(self.scope.fn, "__name__", "f")
            error = unsupported(
                e,
                self.src,
                f"cannot tell what {func.id!r} calls before running: it is a "
                f"parameter of {fname}, and the function passed in is known only at the call",
                f"pass a module-level function (or NumPy's) for {func.id!r}, or fix it first: "
                f"pb.grad(lambda w: {fname}(my_function, w))",
            )
            error.function_parameter = func.id  # grad builds per function passed: see source
            raise error
        return self.dynamic_call(e)

    def dynamic_call(self, e: ast.Call):
        """``f(a, k=b)`` where ``f`` is known only when running (a function from a container
        or returned by a call, ``pb.grad(g)``): flattened onto atoms and marked, for the
        transforms to call its derivative through ``source.dynamic``."""
        pre, func = self.atom(e.func)
        p2, args = self.atoms(e.args)
        p_kw, kws = self.keyword_atoms(e.keywords)
        p2 += p_kw
        node = loc(ast.Call(func=func, args=args, keywords=kws), e)
        return pre + p2, node

    # -- frozen distributions ----------------------------------------------------------------
    def freeze(self, e: ast.Call, hint):
        """``norm(mu, sigma)``: the call on atoms, each name among them kept in a fresh name
        (a later ``mu = ...`` must not change the frozen distribution), and marked with what
        froze it, for ``remember_frozen`` and ``unfrozen_call``."""
        p_func, fnode = self.simple(e.func)
        pre, args = self.atoms(e.args)
        p_kw, kws = self.keyword_atoms(e.keywords)
        pre += p_kw

        def keep(atom):
            if not isinstance(atom, ast.Name) or is_static(atom):
                return atom
            kept = self.namer.fresh(f"{hint or 'frozen'}_parameter")
            pre.append(assign(kept, atom, self.at))
            self.shadowed.add(kept)
            return name(kept)

        args = [keep(a) for a in args]
        kws = [ast.keyword(arg=k.arg, value=keep(k.value)) for k in kws]
        node = loc(ast.Call(func=fnode, args=args, keywords=kws), e)
        dist = e.func
        if isinstance(dist, ast.Attribute) and dist.attr == "freeze":
            dist = dist.value
        node._frozen = (copy.deepcopy(dist), args, kws)
        return p_func + pre, node

    def remember_frozen(self, target: str, simple) -> bool:
        """For ``target = simple``: whether ``simple`` freezes a distribution, remembered for
        ``target``. No such assignment is generated (SciPy's freezing costs a millisecond):
        the name is refused as a value (``expr_Name``)."""
        frozen = getattr(simple, "_frozen", None)
        if frozen is None:
            self.frozen.pop(target, None)
            return False
        self.frozen[target] = frozen
        self.ever_frozen.add(target)
        return True

    def forget_frozen(self, body) -> None:
        """Names a loop body assigns: frozen or not, they change from one pass to the next."""
        for stmt in body:
            for n in ast.walk(stmt):
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
                    self.frozen.pop(n.id, None)

    def unfrozen_call(self, e: ast.Call):
        """``d.logpdf(x)`` for ``d`` frozen here, or ``norm(mu, sigma).logpdf(x)``, as
        ``norm.logpdf(x, mu, sigma)``: the method's own arguments, then the frozen ones (as
        SciPy's frozen methods pass them on; ``seed`` is the frozen object's alone). None for
        any other call, and for ``rvs`` given positional arguments, which SciPy puts after the
        frozen ones (``d.rvs(size=3)`` is ``norm.rvs(mu, sigma, size=3)``)."""
        func = e.func
        if not isinstance(func, ast.Attribute) or func.attr.startswith("_"):
            return None
        if func.attr == "rvs" and e.args:
            return None
        base = func.value
        if isinstance(base, ast.Name) and not is_static(base) and base.id in self.frozen:
            dist, args, kws = self.frozen[base.id]
        elif isinstance(base, ast.Call) and not is_static(base.func):
            base = self.unpacked(base)
            dist = base.func
            if isinstance(dist, ast.Attribute) and dist.attr == "freeze":
                dist = dist.value  # norm.freeze(mu, sigma).logpdf(x)
            if registry.distribution_name(self.static(dist)) is None:
                return None
            args, kws = base.args, base.keywords
        elif isinstance(base, ast.Name) and base.id in self.ever_frozen:
            raise unsupported(
                e,
                self.src,
                f"{base.id!r} holds a distribution frozen on more than one path (in the "
                "branches of an if, or anew in a loop), so which one this call uses is known "
                "only when it runs",
                f"freeze it where it is used, or call the method unfrozen: "
                f"norm.{func.attr}(x, loc, scale)",
            )
        elif (
            isinstance(base, ast.Name) and not is_static(base) and base.id not in self.scope.locals
        ):
            # a global or captured frozen distribution (read by name even once it is read as
            # data, ``D = module.D``, for another of its uses)
            value = self.scope.lookup(base.id)
            parts = None if value is MISSING else frozen_parts(value)
            if parts is None:
                return None
            self.ns.guard(self.scope.home(base.id), value)  # rebound: generated anew
            dist = mark_static(self.ns.ref(parts[0]))
            args = [self._parameter(a) for a in parts[1]]
            kws = [ast.keyword(arg=k, value=self._parameter(v)) for k, v in parts[2].items()]
        else:
            return None
        if is_static(dist):  # the method itself: a static reference the scope cannot read
            method = mark_static(self.ns.ref(getattr(value_of(self.ns, dist), func.attr)))
        else:
            method = ast.Attribute(value=copy.deepcopy(dist), attr=func.attr, ctx=ast.Load())
        keywords = [copy.deepcopy(k) for k in kws if k.arg != "seed"] + list(e.keywords)
        args = [*e.args, *(copy.deepcopy(a) for a in args)]
        return loc(ast.Call(func=loc(method, func), args=args, keywords=keywords), e)

    def _parameter(self, value):
        """A parameter of a frozen distribution known before running, as an expression."""
        if value is None or isinstance(value, (bool, int, float, str)):
            return ast.Constant(value)
        return mark_static(self.ns.ref(value))

    def refuse_local_function_value(self, simple, e) -> None:
        """A nested def used as a value (returned, put in a tuple or list): it is inlined where
        this function calls it, so the generated code holds no function to return."""
        named = self.function_named(simple) if isinstance(simple, ast.Name) else None
        if isinstance(named, str):
            shown = self.local_functions[named].name if named in self.local_functions else named
            raise unsupported(
                e,
                self.src,
                f"the nested function {shown!r} is used as a value (returned or stored): "
                "source mode inlines a nested function where it is called, so there is no "
                "function object to pass on",
                "call it in the function that defines it, or define it at module level with "
                "what it captures as parameters (a class with a __call__ method works too)",
            )

    def refuse_local_function_arguments(self, e: ast.Call) -> None:
        """A nested def or lambda passed to a module-level function: it is inlined where this
        function calls it, so it is no value the callee could call."""
        for a in [*e.args, *(k.value for k in e.keywords)]:
            named = self.function_named(a) if isinstance(a, ast.Name) else None
            if isinstance(named, str):
                raise unsupported(
                    a,
                    self.src,
                    f"the nested function {a.id!r} is passed to "
                    f"{ast.unparse(e.func)!r}: source mode passes module-level functions "
                    "(and NumPy's) to other functions, not nested ones",
                    f"define {a.id!r} at module level (its free values as extra parameters), "
                    f"or nest {ast.unparse(e.func)!r} in this function too",
                )

    def dict_view(self, e: ast.Call, hint):
        """``d.values()`` / ``d.items()`` as a list built by position over ``d``'s keys, so
        ``sum(d.values())``, ``max(...)`` and ``list(...)`` see a differentiable list."""
        pre, obj = self.atom(e.func.value)
        key = self.namer.fresh("key")
        keys = call(
            mark_static(self.builtin_ref("list")),
            call(ast.Attribute(value=copy.deepcopy(obj), attr="keys", ctx=ast.Load())),
        )
        value = ast.Subscript(value=copy.deepcopy(obj), slice=name(key), ctx=ast.Load())
        if e.func.attr == "items":
            value = ast.Tuple(elts=[name(key), value], ctx=ast.Load())
        comp = ast.ListComp(
            elt=value,
            generators=[
                ast.comprehension(target=name(key, ast.Store()), iter=keys, ifs=[], is_async=0)
            ],
        )
        p2, simple = self.simple(loc(comp, e), hint or "values")
        return pre + p2, simple

    def receiver_attribute(self, e):
        """What ``self.name`` names in the class of a method's receiver (a function, a
        property, a staticmethod ...), or None where it is not a class attribute."""
        if (
            self.receiver is None
            or not isinstance(e, ast.Attribute)
            or not (self.is_receiver(e.value) or self.is_receiver_class(e.value))
        ):
            return None
        return _class_attribute(self.scope.owner, e.attr)

    def is_receiver(self, e) -> bool:
        return isinstance(e, ast.Name) and e.id == self.receiver[0] and not is_static(e)

    def is_receiver_class(self, e) -> bool:
        """``type(self)`` in a method."""
        return (
            isinstance(e, ast.Call)
            and len(e.args) == 1
            and not e.keywords
            and self.receiver[1] == "instance"
            and self.is_receiver(e.args[0])
            and self.static(e.func) is builtins.type
        )

    def method_call(self, e):
        """``self.m(a)`` in a method, or ``obj.m(a)`` with ``obj.m`` a bound method known before
        running (``Model.create(a)``, a global ``model.predict(a)``), as a call of the function
        behind the method (``m(self, a)``), which is then differentiated like any other."""
        func = e.func
        if not isinstance(func, ast.Attribute):
            return self.bound_method_call(e)
        attr = self.receiver_attribute(func)
        if attr is not None:
            owner = self.scope.owner
            if isinstance(attr, staticmethod):
                fn, first = attr.__func__, []
            elif isinstance(attr, classmethod):
                fn, first = attr.__func__, [mark_static(self.ns.ref(owner))]
            elif isinstance(attr, types.FunctionType):
                fn = attr
                on_instance = self.receiver[1] == "instance" and self.is_receiver(func.value)
                first = [name(func.value.id)] if on_instance else []
            else:
                return None
        elif (
            isinstance(func.value, ast.Name)
            and not is_static(func.value)
            and func.value.id not in self.shadowed
            and not isinstance(self.scope.lookup(func.value.id), (type, types.ModuleType))
            and is_data(self.scope.lookup(func.value.id))
        ):
            # a method of a global or captured object (model.predict(x)), read when running
            if frozen_parts(self.scope.lookup(func.value.id)) is not None:
                return None  # D.rvs(3) of a frozen distribution: a primitive, not SciPy's code
            owner = type(self.scope.lookup(func.value.id))
            attr = _class_attribute(owner, func.attr)
            if isinstance(attr, staticmethod):
                fn, first = attr.__func__, []
            elif isinstance(attr, classmethod):
                fn, first = attr.__func__, [mark_static(self.ns.ref(owner))]
            elif isinstance(attr, types.FunctionType):
                fn, first = attr, [copy.deepcopy(func.value)]
            else:
                return None
        else:
            bound = value_of(self.ns, func) if is_static(func) else self.static(func)
            if not isinstance(bound, types.MethodType) or not isinstance(
                bound.__func__, types.FunctionType
            ):
                return None
            if (
                registry.lookup(bound) is not None
                or registry.distribution_name(bound.__self__) is not None
            ):
                return None  # a primitive (with a rule: scipy.stats.norm.logpdf, or not)
            fn = bound.__func__
            owner = bound.__self__ if isinstance(bound.__self__, type) else type(bound.__self__)
            first = [copy.deepcopy(func.value)]
        if not isinstance(fn, types.FunctionType):
            return None
        self.owners.setdefault(id(fn), owner)
        fnode = mark_static(self.ns.ref(fn))
        return loc(ast.Call(func=fnode, args=first + list(e.args), keywords=list(e.keywords)), e)

    def bound_method_call(self, e):
        """``m(a)`` where the name ``m`` holds a bound method (``m = model.loss``, or the
        derivative ``pb.grad(model.loss)``), as ``function(receiver, a)``."""
        bound = value_of(self.ns, e.func) if is_static(e.func) else self.static(e.func)
        bound = generated_target(bound)
        if not isinstance(bound, types.MethodType) or not isinstance(
            bound.__func__, types.FunctionType
        ):
            return None
        receiver = bound.__self__
        if registry.lookup(bound) is not None or registry.distribution_name(receiver):
            return None  # a primitive: norm.logpdf (or one without a rule, refused if needed)
        owner = receiver if isinstance(receiver, type) else type(receiver)
        self.owners.setdefault(id(bound.__func__), owner)
        first = [mark_static(self.ns.ref(receiver))]
        fnode = mark_static(self.ns.ref(bound.__func__))
        return loc(ast.Call(func=fnode, args=first + list(e.args), keywords=list(e.keywords)), e)

    def adapt(self, method, obj, args, kws, at):
        """Rewrite ``obj.method(args)`` with the rule table's adapter as a function call."""
        try:
            fn, new_args, new_kwargs = method.adapt(
                _Sym(obj), *[_Sym(a) for a in args], **{k.arg: _Sym(k.value) for k in kws}
            )
        except Exception:
            return None
        pre = []
        out_args = []
        for a in new_args:
            p, node = self._from_adapter(a)
            if node is None:
                return None
            pre += p
            out_args.append(node)
        out_kws = []
        for k, v in (new_kwargs or {}).items():
            p, node = self._from_adapter(v)
            if node is None:
                return None
            pre += p
            out_kws.append(ast.keyword(arg=k, value=node))
        fnode = mark_static(self.ns.ref(fn))
        return pre, loc(ast.Call(func=fnode, args=out_args, keywords=out_kws), at)

    def _from_adapter(self, v):
        if isinstance(v, _Sym):
            return [], v.node
        if v is None or isinstance(v, (bool, int, float, str)):
            return [], ast.Constant(v)
        if isinstance(v, (tuple, list)):
            pre, elts = [], []
            for x in v:
                p, node = self._from_adapter(x)
                if node is None:
                    return [], None
                pre += p
                elts.append(node)
            if all(isinstance(x, ast.Constant) for x in elts) and isinstance(v, tuple):
                return pre, ast.Tuple(elts=elts, ctx=ast.Load())
            kind = ast.Tuple if isinstance(v, tuple) else ast.List
            var = self.namer.fresh("shape" if isinstance(v, tuple) else "values")
            return pre + [assign(var, kind(elts=elts, ctx=ast.Load()), self.at)], name(var)
        return [], None

    def builtin_call(self, target, e, hint):
        """sum/max/min over generators and lists, two-argument max/min: lowered to loops."""
        if target not in (builtins.sum, builtins.max, builtins.min) or e.keywords:
            return None
        args = e.args
        if len(args) == 2 and target in (builtins.max, builtins.min):
            var = self.namer.fresh(hint or target.__name__)
            pre, (a, b) = self.atoms(args)
            better = ast.Gt() if target is builtins.max else ast.Lt()
            test = self.namer.fresh(describe(ast.Compare(left=b, ops=[better], comparators=[a])))
            stmts = pre + [
                assign(test, ast.Compare(left=b, ops=[better], comparators=[a]), e),
                loc(
                    ast.If(test=name(test), body=[assign(var, b, e)], orelse=[assign(var, a, e)]), e
                ),
            ]
            return stmts, name(var)
        if len(args) not in (1, 2) or (len(args) == 2 and target is not builtins.sum):
            return None
        source = args[0]
        if isinstance(source, (ast.GeneratorExp, ast.ListComp)):
            if target is builtins.sum:
                var = self.namer.fresh(hint or "total")
                start = args[1] if len(args) == 2 else ast.Constant(0)
                add = assign(var, ast.BinOp(left=name(var), op=ast.Add(), right=source.elt), e)
                stmts = [assign(var, start, e)] + self.comprehension_loops(source, [add])
                return self.block_in_place(stmts), name(var)
            pre, seq = self.atom(source, hint="values")
        else:
            pre, seq = self.atom(source, hint="values")
        return self.fold(target, seq, args[1] if len(args) == 2 else None, e, hint, pre)

    def fold(self, target, seq, start, e, hint, pre):
        var = self.namer.fresh(hint or target.__name__)
        i = self.namer.fresh("i")
        self.shadowed.update({var, i})
        seq_i = ast.Subscript(value=seq, slice=name(i), ctx=ast.Load())
        length = call(self.builtin_ref("len"), seq)
        if target is builtins.sum:
            init = assign(var, start or ast.Constant(0), e)
            body = [assign(var, ast.BinOp(left=name(var), op=ast.Add(), right=seq_i), e)]
            rng = call(self.builtin_ref("range"), length)
        else:
            init = assign(var, ast.Subscript(value=seq, slice=ast.Constant(0), ctx=ast.Load()), e)
            better = ast.Gt() if target is builtins.max else ast.Lt()
            body = [
                loc(
                    ast.If(
                        test=ast.Compare(
                            left=copy.deepcopy(seq_i), ops=[better], comparators=[name(var)]
                        ),
                        body=[assign(var, seq_i, e)],
                        orelse=[],
                    ),
                    e,
                )
            ]
            rng = call(self.builtin_ref("range"), ast.Constant(1), length)
        loop = loc(ast.For(target=name(i, ast.Store()), iter=rng, body=body, orelse=[]), e)
        return pre + self.block([init, loop]), name(var)


def _class_attribute(owner, attr: str):
    """``owner``'s own attribute ``attr`` (a function, a property, a staticmethod ...), looked
    up along its method resolution order without calling anything, or None."""
    for klass in owner.__mro__:
        if attr in klass.__dict__:
            return klass.__dict__[attr]
    return None
