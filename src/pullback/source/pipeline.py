"""One source transformation: a user function's derivative and its callees', in one module.

In: a user function, the parameters to differentiate, the flavour of derivative wanted
(``grad``, ``value_and_grad``, or a ``forward``/``backward`` pair for ``vjp``), ``has_aux``.
Out: a ``GeneratedModule`` (see ``codegen``) holding the generated functions.

This module strings the passes together: lookup -> parse -> resolve -> fence -> desugar ->
ANF (``front_end``, reusable by a forward transform) -> reverse -> optimize -> codegen.
User functions called with active arguments get a forward/backward pair in the same module
(requested through ``callee_pair``), which is how recursion works; one pair per function
passed to them as an argument (``specialize``).
"""

from __future__ import annotations

import ast
import builtins
import copy
import types

from .. import runtime
from ..errors import PullbackError
from .analysis import aliasing
from .analysis.specialize import fix_function_arguments
from .backend import codegen, release
from .backend.codegen import Piece, mark_adjoint
from .backend.optimize import Purity, inline_single_use, mark_user_statements, optimize
from .common.diagnostics import transformation_failure
from .common.naming import Namer
from .common.syntax import assign, function_def, name
from .dynamic import CALLS as DYNAMIC_CALLS
from .frontend import fence, generators, maps
from .frontend.anf import ANF
from .frontend.anf_expressions import bind_helpers
from .frontend.binding import PACKED, specialize_packed
from .frontend.desugar import Desugarer
from .frontend.lookup import function_source
from .frontend.namespace import Namespace
from .frontend.parse import parse_function
from .frontend.resolve import Scope, owner_class
from .transform.context import Context
from .transform.reverse import Reverse
from .transform.splice import Splicer


class Normalized:
    """A user function after the front end: normalized ``FunctionDef`` and its context."""

    def __init__(self, fn, src, scope, fdef, namer):
        self.fn = fn
        self.src = src
        self.scope = scope
        self.fdef = fdef
        self.namer = namer

    @property
    def params(self) -> list[str]:
        a = self.fdef.args
        return [x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]]


def _all_names(node) -> set[str]:
    out = set()
    for n in ast.walk(node):
        if isinstance(n, ast.Name):
            out.add(n.id)
        elif isinstance(n, ast.arg):
            out.add(n.arg)
    return out


class Transformation:
    def __init__(self, title: str):
        self.title = title
        self.module_namer = Namer(dir(builtins))
        self.ns = Namespace(self.module_namer)
        self.pieces: list[Piece] = []
        self.callees: dict = {}
        self.pending: list = []
        self.owners: dict = {}  # id(function) -> the class its self.m(...) calls resolve in
        # id(FunctionSource) -> the names the user's function mentions (kept visible for pdb)
        self.user_names: dict[int, set[str]] = {}
        # whether a backward sweep writes back arrays its forward sweep changed in place (so a
        # second backward call from the same forward call needs the forward sweep run again)
        self.restores = False

    # -- front end -------------------------------------------------------------------------
    def front_end(self, fn, fixed=None, callee=False) -> Normalized:
        """lookup, parse, resolve, fence, desugar and ANF: the normalized form of ``fn``;
        ``fixed``: parameters that hold a known function at every call (see
        ``fix_function_arguments``); ``callee``: ``fn`` is called by the differentiated code
        (a generator is then read as the list it yields, as nested ones always are)."""
        src = function_source(fn)
        node = parse_function(src)
        for inner in ast.walk(node):
            if isinstance(inner, ast.FunctionDef) and (inner is not node or callee):
                generators.as_list(inner)
        maps.rewrite(node, maps.builtin_test(fn, node))
        fixed = dict(fixed or {})
        arity = fixed.pop(PACKED, None)
        if arity is not None:  # g(w, *args) called as g(a, b, c): see binding
            specialize_packed(node, arity)
        scope = Scope.of(fn, node)
        if fixed:
            fix_function_arguments(node, scope, fixed)
        scope.owner = self.owners.get(id(fn)) or owner_class(fn)
        fence.check(node, scope, src)
        aliasing.check(node, scope, src, self.ns)
        # the function's own names are taken for globals too: a global bound later (a spliced
        # helper, say) must not be shadowed by a local of the same name
        names = self.user_names[id(src)] = _all_names(node)
        self.module_namer.taken |= names
        namer = _ChildNamer(self.module_namer, names)
        d = Desugarer(scope, src, namer)
        desugared = d.function(node)
        bind_helpers(self.ns, d)
        fdef = ANF(scope, src, namer, self.ns, d, self.owners).function(desugared)
        if not scope.generated:  # the user's statements run even where nothing reads them
            mark_user_statements(fdef)
        self.defaults(fn, fdef)
        return Normalized(fn, src, scope, fdef, namer)

    def defaults(self, fn, fdef):
        """Default values as constants, or as globals bound to the function's own defaults."""
        a = fdef.args
        # the function's own positional parameters (specialize_packed may add some after them)
        positional = [*a.posonlyargs, *a.args][: fn.__code__.co_argcount]
        values = list(fn.__defaults__ or ())
        new = []
        for arg, value in zip(positional[len(positional) - len(values) :], values, strict=False):
            new.append(self._default(arg.arg, value))
        a.defaults = new + [ast.Constant(None)] * (
            len(a.posonlyargs) + len(a.args) - len(positional)
        )
        kw = fn.__kwdefaults__ or {}
        a.kw_defaults = [
            self._default(x.arg, kw[x.arg]) if x.arg in kw else None for x in a.kwonlyargs
        ]

    def _default(self, param, value):
        if value is None or isinstance(value, (bool, int, float, str)):
            return ast.Constant(value)
        return name(self.ns.bind(f"{param}_default", value))

    # -- derivatives -----------------------------------------------------------------------
    def reverse(self, norm: Normalized, wrt: list[str]):
        ctx = Context(self.ns, norm.namer, norm.src, Splicer(self.ns, norm.namer), self.callee_pair)
        ctx.dynamic = DYNAMIC_CALLS
        rev = Reverse(norm.fdef, wrt, ctx).run()
        if rev.in_place:
            self.restores = True
        return rev

    def callee_pair(self, fn, active_params: tuple, at, fixed=None):
        """The names of the forward/backward pair of callee ``fn``, one per parameters to
        differentiate and functions passed to it (``fixed``: parameter -> function)."""
        fixed = fixed or {}
        key = (
            id(fn.__code__),
            id(fn),
            active_params,
            tuple((p, id(f)) for p, f in sorted(fixed.items())),
        )
        if key in self.callees:
            return self.callees[key][:2]
        base = fn.__name__ if fn.__name__ != "<lambda>" else "lambda"
        fwd = self.ns.bind(f"{base}_forward", object())
        bwd = self.ns.bind(f"{base}_backward", object())
        self.callees[key] = (fwd, bwd, fn, fixed)  # fixed: its functions stay alive
        self.pending.append((fn, active_params, fwd, bwd, fixed))
        return fwd, bwd

    def build_pending(self):
        while self.pending:
            fn, active, fwd, bwd, fixed = self.pending.pop(0)
            norm = self.front_end(fn, fixed, callee=True)
            rev = self.reverse(norm, list(active))
            self.pieces += split_pair(self, norm, rev, fwd, bwd)

    def finish(self) -> codegen.GeneratedModule:
        self.build_pending()
        namespace = self.ns.globals()
        for piece in self.pieces:
            keep = {n for n in _returned_names(piece.node)}
            users = self.user_names.get(id(piece.src))
            optimize(piece.node, namespace, keep, users)
            if users is not None:
                release.release_shape_tapes(piece.node, self.ns, users | keep)
                while release.release_products(piece.node, self.ns, users, keep):
                    purity = Purity(self.ns.globals())  # products read for their shape fold
                    inline_single_use(piece.node, purity, keep)
        namespace = self.ns.globals()  # releasing may have bound np.shape, unbroadcast_to
        module = codegen.generate(self.pieces, namespace, self.title)
        module.guards = tuple(self.ns.guards)
        for fwd_bwd in self.callees.values():
            fwd, bwd = fwd_bwd[:2]
            self.ns.bound[fwd] = module.functions.get(fwd)
            self.ns.bound[bwd] = module.functions.get(bwd)
        return module


class _ChildNamer(Namer):
    """A function's namer: unique within the function and against the module's globals."""

    def __init__(self, parent: Namer, taken):
        super().__init__(set(taken) | parent.taken)
        self.parent = parent

    def fresh(self, base: str) -> str:
        self.taken |= self.parent.taken
        out = super().fresh(base)
        self.parent.reserve(out)
        return out

    def reserve(self, name: str) -> None:
        super().reserve(name)
        self.parent.reserve(name)


def _returned_names(fdef) -> set[str]:
    out = set()
    for n in ast.walk(fdef):
        if isinstance(n, ast.Return) and n.value is not None:
            out |= {x.id for x in ast.walk(n.value) if isinstance(x, ast.Name)}
    return out


def _grads_expr(rev, wrt, single: bool):
    exprs = [rev.adjoint_of_param[p] for p in wrt]
    if single:
        return exprs[0]
    return ast.Tuple(elts=exprs, ctx=ast.Load())


def _seed(t: Transformation, rev):
    if not rev.output_active:
        output = getattr(rev, "output", None)
        if (isinstance(output, ast.Constant) and not isinstance(output.value, (int, float))) or (
            isinstance(output, ast.Name)
        ):
            # an output that does not depend on the arguments is still checked: grad refuses
            # one that is no number (None, a string) as it does an active one
            call = ast.Call(
                func=name(t.ns.bind("seed", runtime.adjoints.seed)),
                args=[copy.deepcopy(output)],
                keywords=[],
            )
            return [ast.Expr(value=call)]
        return []
    out = rev.output.id
    bar = rev_bar(rev, out)
    call = ast.Call(
        func=name(t.ns.bind("seed", runtime.adjoints.seed)), args=[name(out)], keywords=[]
    )
    return [assign(bar, call, None)]


def rev_bar(rev, v):
    return rev.bars[v] if hasattr(rev, "bars") and v in rev.bars else f"{v}_bar"


def _plain_args(names: list[str]) -> ast.arguments:
    return ast.arguments(
        posonlyargs=[],
        args=[ast.arg(arg=n) for n in names],
        vararg=None,
        kwonlyargs=[],
        kw_defaults=[],
        kwarg=None,
        defaults=[],
    )


def grad_piece(t: Transformation, norm: Normalized, rev, wrt, single, flavor, aux=None):
    mark_adjoint(rev.adjoint)
    grads = _grads_expr(rev, wrt, single)
    keep = []  # the adjoint sweep restores overwritten variables: keep the outputs first
    if aux is not None:
        aux_value = norm.namer.fresh("aux_value")
        keep.append(assign(aux_value, _copied(t, rev, name(aux)), None))
        aux = aux_value
    if flavor == "grad":
        result = grads if aux is None else ast.Tuple(elts=[grads, name(aux)], ctx=ast.Load())
    else:
        output = norm.namer.fresh("value")
        keep.append(assign(output, rev.output, None))
        value = (
            name(output)
            if aux is None
            else ast.Tuple(elts=[name(output), name(aux)], ctx=ast.Load())
        )
        result = ast.Tuple(elts=[value, grads], ctx=ast.Load())
    seed = _seed(t, rev)
    for stmt in seed:
        stmt._seed = True  # the backward sweep starts here (see codegen's source map)
    body = rev.inits + rev.primal + keep + seed + rev.adjoint + [ast.Return(value=result)]
    base = norm.fn.__name__ if norm.fn.__name__ != "<lambda>" else "lambda"
    fname = t.ns.bind(f"{flavor}_{base}", object())
    node = function_def(fname, norm.fdef.args, body)
    ast.copy_location(node, norm.fdef)
    doc = (
        f"{'Gradient' if flavor == 'grad' else 'Value and gradient'} of {base} "
        f"({norm.src.short_filename}:{norm.fdef.lineno}) with respect to {', '.join(wrt)}."
    )
    return Piece(node, norm.src, doc), fname


def split_pair(t: Transformation, norm: Normalized, rev, fwd: str, bwd: str, aux=None):
    """``fwd(*params) -> (value, saved)`` and ``bwd(saved, value_bar) -> adjoints``."""
    mark_adjoint(rev.adjoint)
    saved = norm.namer.fresh("saved")
    residuals = ast.Tuple(elts=[name(r) for r in rev.residuals], ctx=ast.Load())
    value = rev.output if aux is None else ast.Tuple(elts=[rev.output, name(aux)], ctx=ast.Load())
    value = _copied(t, rev, value)
    fwd_body = (
        rev.inits
        + rev.primal
        + [ast.Return(value=ast.Tuple(elts=[value, residuals], ctx=ast.Load()))]
    )
    fwd_node = ast.copy_location(function_def(fwd, norm.fdef.args, fwd_body), norm.fdef)
    out = rev.output.id if rev.output_active else norm.namer.fresh("output")
    out_bar = rev_bar(rev, out) if rev.output_active else norm.namer.fresh("output_bar")
    unpack = []
    if rev.residuals:
        target = ast.Tuple(elts=[name(r, ast.Store()) for r in rev.residuals], ctx=ast.Store())
        unpack = [ast.Assign(targets=[target], value=name(saved))]
    grads = ast.Tuple(elts=[rev.adjoint_of_param[p] for p in rev_wrt(rev)], ctx=ast.Load())
    bwd_body = unpack + rev.adjoint + [ast.Return(value=grads)]
    bwd_node = ast.copy_location(
        function_def(bwd, _plain_args([saved, out_bar]), bwd_body), norm.fdef
    )
    base = norm.fn.__name__
    return [
        Piece(
            fwd_node,
            norm.src,
            f"Forward sweep of {base}: its value and what its backward sweep needs.",
        ),
        Piece(
            bwd_node,
            norm.src,
            f"Backward sweep of {base}: the adjoints of "
            f"{', '.join(rev_wrt(rev))} from the adjoint of its value.",
            sweep="backward",
        ),
    ]


def _copied(t: Transformation, rev, value):
    """``value``, copied when it may hold an array the backward sweep writes back in place."""
    if not rev.in_place:
        return value
    helper = name(t.ns.bind("copy_value", runtime.copy_value))
    helper._static = True
    return ast.Call(func=helper, args=[value], keywords=[])


def rev_wrt(rev):
    return list(rev.adjoint_of_param)


def split_aux(t: Transformation, norm: Normalized) -> str:
    """With has_aux, make the function return its first output; returns the aux's name."""
    body = norm.fdef.body
    ret = body[-1]
    value_name = norm.namer.fresh("value")
    aux_name = norm.namer.fresh("aux")
    pair = ret.value
    if isinstance(pair, ast.Tuple) and len(pair.elts) != 2:
        from ..errors import PullbackTypeError

        raise PullbackTypeError(
            f"has_aux=True requires {norm.fdef.name} to return a pair (value, aux), but it "
            f"returns a tuple of {len(pair.elts)} (line {getattr(ret, 'lineno', '?')}); "
            "return (value, aux) or drop has_aux"
        )
    items = [
        assign(value_name, ast.Subscript(value=pair, slice=ast.Constant(0), ctx=ast.Load()), ret),
        assign(aux_name, ast.Subscript(value=pair, slice=ast.Constant(1), ctx=ast.Load()), ret),
    ]
    defining = None
    for s in body[:-1]:
        if (
            isinstance(s, ast.Assign)
            and isinstance(pair, ast.Name)
            and s.targets[0].id == pair.id
            and isinstance(s.value, ast.Tuple)
            and len(s.value.elts) == 2
        ):
            defining = s
    if defining is not None:
        items = [
            assign(value_name, defining.value.elts[0], ret),
            assign(aux_name, defining.value.elts[1], ret),
        ]
    elif not isinstance(pair, ast.Tuple):  # known only when it runs: check it is a pair
        from ..runtime.adjoints import aux_pair

        check = ast.Call(
            func=t.ns.ref(aux_pair), args=[pair, ast.Constant(norm.fdef.name)], keywords=[]
        )
        items.insert(0, ast.copy_location(ast.Expr(value=check), ret))
    norm.fdef.body = body[:-1] + items + [ast.Return(value=name(value_name))]
    return aux_name


def build(
    fn,
    wrt_positions: tuple[int, ...],
    single: bool,
    flavor: str,
    has_aux: bool,
    owner=None,
    fixed=None,
):
    """Run the whole pipeline; internal failures become errors at the user's function.
    ``fixed``: parameters holding functions known for this derivative (see ``specialize``)."""
    t = Transformation(f"{flavor} of {getattr(fn, '__qualname__', 'function')}")
    if owner is not None:
        t.owners[id(fn)] = owner
    norm = None
    try:
        norm = t.front_end(fn, fixed)
        params = norm.params
        for i in wrt_positions:
            if i >= len(params):
                from ..errors import PullbackValueError

                raise PullbackValueError(
                    f"argnums {i} is out of range for {fn.__name__}, which takes "
                    f"{len(params)} parameter(s)"
                )
        wrt = [params[i] for i in wrt_positions]
        aux = split_aux(t, norm) if has_aux else None
        rev = t.reverse(norm, wrt)
        if flavor in ("grad", "value_and_grad"):
            piece, fname = grad_piece(t, norm, rev, wrt, single, flavor, aux)
            t.pieces.append(piece)
            module = t.finish()
            return module, module.functions[fname]
        base = fn.__name__ if fn.__name__ != "<lambda>" else "lambda"
        fwd = t.ns.bind(f"{base}_forward", None)
        bwd = t.ns.bind(f"{base}_backward", None)
        t.pieces += split_pair(t, norm, rev, fwd, bwd, aux)
        module = t.finish()
        module.functions[bwd].__pullback_restores__ = t.restores
        return module, (module.functions[fwd], module.functions[bwd])
    except PullbackError:
        raise
    except Exception as exc:  # an internal failure: point at the user's code
        error = transformation_failure(exc, norm)
        raise error from (None if isinstance(exc, RecursionError) else exc)


__all__ = ["build", "Transformation", "Normalized", "types"]
