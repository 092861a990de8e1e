"""``map`` and ``filter`` read as the list comprehensions they compute.

In: a parsed function definition and a test ``is_builtin(name) -> bool`` that says whether a
name in it refers to Python's own ``map``/``filter`` (not a local or a global of that name).
Out: the definition rewritten in place: ``map(f, xs, ys)`` becomes
``[f(x, y) for x, y in zip(xs, ys)]`` (a lambda's body inlined: ``map(lambda v: v * w, xs)``
is ``[v * w for v in xs]``), ``filter(f, xs)`` becomes ``[x for x in xs if f(x)]``
(``filter(None, xs)``: ``if x``). Their results are consumed by the differentiated code (a
``for`` loop, ``list``, ``sum``, ``np.array``), so a list computes the same values; the
transforms then differentiate the comprehension, and ``f`` as any call (one known only when
running, such as a ``functools.partial``, through its own derivative).
"""

from __future__ import annotations

import ast


def builtin_test(fn, node: ast.FunctionDef):
    """``is_builtin(name)`` for ``rewrite``: whether ``name`` in ``node`` (the definition of
    ``fn``) is the builtin of that name, neither a local, a closure cell nor a global."""
    import builtins

    from .resolve import local_names

    own = local_names(node)
    free = set(getattr(getattr(fn, "__code__", None), "co_freevars", ()))
    glb = getattr(fn, "__globals__", {})

    def is_builtin(name: str) -> bool:
        if name in own or name in free:
            return False
        return glb.get(name, getattr(builtins, name, None)) is getattr(builtins, name, None)

    return is_builtin


def rewrite(node: ast.FunctionDef, is_builtin) -> None:
    """Rewrite the ``map``/``filter`` calls of ``node`` (see the module docstring)."""
    taken = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
    _Rewrite(is_builtin, taken).visit(node)
    ast.fix_missing_locations(node)


class _Rewrite(ast.NodeTransformer):
    def __init__(self, is_builtin, taken: set[str]):
        self.is_builtin = is_builtin
        self.taken = taken

    def fresh(self, base: str) -> str:
        name, k = base, 2
        while name in self.taken:
            name, k = f"{base}_{k}", k + 1
        self.taken.add(name)
        return name

    def visit_Call(self, node):
        self.generic_visit(node)
        func = node.func
        if not (isinstance(func, ast.Name) and func.id in ("map", "filter")) or node.keywords:
            return node
        if not self.is_builtin(func.id) or any(isinstance(a, ast.Starred) for a in node.args):
            return node
        if func.id == "map" and len(node.args) > 2 and not self.is_builtin("zip"):
            return node
        if func.id == "map" and len(node.args) >= 2:
            return ast.copy_location(self.mapped(node.args[0], node.args[1:]), node)
        if func.id == "filter" and len(node.args) == 2:
            return ast.copy_location(self.filtered(node.args[0], node.args[1]), node)
        return node

    def mapped(self, f, sequences):
        lam = f if isinstance(f, ast.Lambda) and _plain_params(f, len(sequences)) else None
        if lam is not None:
            names = [a.arg for a in lam.args.args]
            element = lam.body
        else:
            names = [self.fresh("item") for _ in sequences]
            element = ast.Call(
                func=f, args=[ast.Name(id=n, ctx=ast.Load()) for n in names], keywords=[]
            )
        return ast.ListComp(elt=element, generators=[_loop(names, sequences)])

    def filtered(self, f, sequence):
        item = self.fresh("item")
        if isinstance(f, ast.Constant) and f.value is None:
            test = ast.Name(id=item, ctx=ast.Load())
        elif isinstance(f, ast.Lambda) and _plain_params(f, 1):
            item = f.args.args[0].arg
            test = f.body
        else:
            test = ast.Call(func=f, args=[ast.Name(id=item, ctx=ast.Load())], keywords=[])
        loop = _loop([item], [sequence])
        loop.ifs = [test]
        return ast.ListComp(elt=ast.Name(id=item, ctx=ast.Load()), generators=[loop])


def _plain_params(lam: ast.Lambda, n: int) -> bool:
    a = lam.args
    return (
        len(a.args) == n
        and not a.posonlyargs
        and not a.kwonlyargs
        and a.vararg is None
        and a.kwarg is None
        and not a.defaults
    )


def _loop(names, sequences) -> ast.comprehension:
    if len(sequences) == 1:
        target = ast.Name(id=names[0], ctx=ast.Store())
        source = sequences[0]
    else:
        target = ast.Tuple(elts=[ast.Name(id=n, ctx=ast.Store()) for n in names], ctx=ast.Store())
        source = ast.Call(
            func=ast.Name(id="zip", ctx=ast.Load()), args=list(sequences), keywords=[]
        )
    return ast.comprehension(target=target, iter=source, ifs=[], is_async=0)
