"""Aliasing: refuse in-place updates whose effect another variable would see.

In: the parsed (fenced) ``FunctionDef``, its ``Scope`` and ``FunctionSource``.
Out: nothing when every in-place update is safe to rewrite as a new value; otherwise an
``UnsupportedSyntaxError`` at the update.

``desugar`` rewrites ``y += v`` as ``y = y + v`` and ``y[i] = v`` as ``y = setitem(y, i, v)``
(a copy): right when ``y`` is the only name for its object, silently different when it is not.
In Python, after ``y = x; y += 1`` an array ``x`` has changed too, and after ``ys = [x];
ys[0] += 1`` so has ``x``. This pass tracks, statement by statement, which abstract objects
each name may refer to (a points-to analysis over allocation sites): ``y = x``, ``y = x[i]``,
``y = x.T`` or ``np.asarray(x)`` share ``x``'s object (but ``y = x[i, j]``, one index per axis
of an ``x`` made by ``np.zeros((n, m))``, is a number of its own); ``[x, z]`` is a new
container holding ``x``'s and ``z``'s; ``xs.append(x)`` puts ``x``'s object into ``xs``'s;
arithmetic and other calls make new objects. An update is refused when an object it writes
into may be reached later through another name (read after the update, or anywhere in an
enclosing loop).

What it accepts: ``total = 0.0; total += x[i]``, ``y = np.zeros(n); y[i] = v``,
``x = x.copy(); x[0] = v``, and updating a parameter that no other name shares (the caller's
array is then left unchanged, as the rest of source mode assumes). It does not know types, so
``b = a; b += 1.0`` on floats is refused too when ``a`` is read later; the hint says what to
write instead.
"""

from __future__ import annotations

import ast

from .diagnostics import unsupported

# calls and attributes that may return their argument itself or a view of it
_VIEW_FUNCTIONS = {
    "asarray",
    "asanyarray",
    "ascontiguousarray",
    "asfortranarray",
    "reshape",
    "ravel",
    "transpose",
    "squeeze",
    "swapaxes",
    "moveaxis",
    "rollaxis",
    "expand_dims",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_to",
    "diagonal",
    "real",
    "imag",
    "view",
    "split",
    "array_split",
    "hsplit",
    "vsplit",
    "dsplit",
}
_VIEW_ATTRIBUTES = {"T", "mT", "real", "imag", "flat", "base"}
_VIEW_METHODS = {
    "reshape",
    "ravel",
    "transpose",
    "squeeze",
    "swapaxes",
    "view",
    "diagonal",
    "__array__",
    "get",
    "values",
    "items",
    "keys",
}
_ADDING_METHODS = {"append", "extend", "insert", "add", "update", "setdefault"}


def check(node: ast.FunctionDef, scope, src, ns) -> None:
    """Raise UnsupportedSyntaxError at the first in-place update another name would see;
    insert a check that runs with the derivative where only the value's type can tell."""
    a = _Aliasing(node, scope, src)
    a.run()
    a.insert_checks(ns)


class _Aliasing:
    def __init__(self, node, scope, src):
        self.node = node
        self.scope = scope
        self.src = src
        self.contents: dict = {}  # object -> objects it may hold
        self.loops: list = []  # enclosing loops of the statement being analyzed
        self.rests: list = []  # what runs after it, block by enclosing block
        self.checks: dict = {}  # id(statement) -> (statement, value to check, other name)

    # -- objects -----------------------------------------------------------------------------
    @staticmethod
    def fresh(node):
        """The object made where ``node`` runs (one abstract object per place in the code)."""
        return ("new", id(node))

    def reach(self, objs) -> set:
        """Objects ``objs`` and everything they may hold, transitively."""
        out = set(objs)
        todo = list(objs)
        while todo:
            for inner in self.contents.get(todo.pop(), ()):
                if inner not in out:
                    out.add(inner)
                    todo.append(inner)
        return out

    def points_to(self, e, state) -> set:
        """The objects expression ``e`` may evaluate to."""
        if isinstance(e, ast.Name):
            if e.id in state:
                return set(state[e.id])
            return {("free", e.id)}
        if isinstance(e, ast.Subscript) and self.picks_one_entry(e):
            return {self.fresh(e)}  # y[i, j] of a 2-D array: a number, not a view
        if isinstance(e, (ast.Subscript, ast.Starred)):
            return self.reach(self.points_to(e.value, state))
        if isinstance(e, ast.Attribute):
            if e.attr in _VIEW_ATTRIBUTES:
                return self.points_to(e.value, state)
            return {self.fresh(e)}
        if isinstance(e, (ast.Tuple, ast.List, ast.Dict)):
            obj = self.fresh(e)
            elts = e.values if isinstance(e, ast.Dict) else e.elts
            held = set()
            for x in elts:
                held |= self.points_to(x, state)
            self.contents[obj] = self.contents.get(obj, set()) | held
            return {obj}
        if isinstance(e, ast.IfExp):
            return self.points_to(e.body, state) | self.points_to(e.orelse, state)
        if isinstance(e, ast.BoolOp):
            out = set()
            for x in e.values:
                out |= self.points_to(x, state)
            return out
        if isinstance(e, ast.NamedExpr):
            return self.points_to(e.value, state)
        if isinstance(e, ast.Call):
            f = e.func
            fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
            if isinstance(f, ast.Attribute) and fname in _VIEW_METHODS:
                return self.reach(self.points_to(f.value, state))
            if fname in _VIEW_FUNCTIONS and e.args:
                return self.points_to(e.args[0], state)
            if fname == "array" and any(k.arg == "copy" for k in e.keywords) and e.args:
                return self.points_to(e.args[0], state)
        return {self.fresh(e)}

    def picks_one_entry(self, e: ast.Subscript) -> bool:
        """``y[i]`` / ``y[i, j]`` with one integer per axis of an array ``y`` that is always
        made by ``np.zeros``/``ones``/``empty``/``full`` with a shape of known length."""
        if not isinstance(e.value, ast.Name) or e.value.id not in self.ndims:
            return False
        parts = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        scalar = all(
            isinstance(p, (ast.Name, ast.BinOp, ast.UnaryOp))
            or (isinstance(p, ast.Constant) and type(p.value) is int)
            for p in parts
        )
        return scalar and len(parts) == self.ndims[e.value.id]

    # -- statements ----------------------------------------------------------------------------
    def run(self):
        self.ndims = _allocated_ndims(self.node)
        a = self.node.args
        state = {p.arg: {("param", p.arg)} for p in [*a.posonlyargs, *a.args, *a.kwonlyargs]}
        self.block(self.node.body, state)

    def block(self, stmts, state):
        for k, s in enumerate(stmts):
            self.rests.append(stmts[k + 1 :])
            try:
                state = self.stmt(s, state)
            finally:
                self.rests.pop()
        return state

    def bind(self, target, objs, state):
        if isinstance(target, ast.Name):
            state[target.id] = set(objs)
        elif isinstance(target, (ast.Tuple, ast.List)):
            inner = self.reach(objs)
            for t in target.elts:
                self.bind(t.value if isinstance(t, ast.Starred) else t, inner, state)

    def stmt(self, s, state):
        state = {k: set(v) for k, v in state.items()}
        if isinstance(s, ast.Assign):
            if (
                len(s.targets) == 1
                and isinstance(s.targets[0], (ast.Tuple, ast.List))
                and isinstance(s.value, (ast.Tuple, ast.List))
                and len(s.value.elts) == len(s.targets[0].elts)
            ):
                values = [self.points_to(v, state) for v in s.value.elts]
                for t, v in zip(s.targets[0].elts, values, strict=True):
                    self.bind(t, v, state)
                return state
            objs = self.points_to(s.value, state)
            for t in s.targets:
                if isinstance(t, ast.Subscript):
                    self.update(s, t, False, state)
                    self.add_contents(t.value, objs, state)
                else:
                    self.bind(t, objs, state)
            return state
        if isinstance(s, ast.AnnAssign) and s.value is not None:
            if isinstance(s.target, ast.Subscript):
                self.update(s, s.target, False, state)
            else:
                self.bind(s.target, self.points_to(s.value, state), state)
            return state
        if isinstance(s, ast.AugAssign):
            self.update(s, s.target, True, state)
            return state
        if isinstance(s, ast.Expr) and isinstance(s.value, ast.Call):
            f = s.value.func
            if isinstance(f, ast.Attribute) and f.attr in _ADDING_METHODS:
                held = set()
                for x in s.value.args:
                    held |= self.points_to(x, state)
                self.add_contents(f.value, held, state)
            return state
        if isinstance(s, ast.If):
            s1 = self.block(s.body, state)
            s2 = self.block(s.orelse, state)
            return _join(s1, s2)
        if isinstance(s, (ast.For, ast.While)):
            return self.loop(s, state)
        if isinstance(s, ast.With):
            return self.block(s.body, state)
        return state

    def loop(self, s, state):
        self.loops.append(s)
        try:
            head = state
            for _ in range(8):
                inner = {k: set(v) for k, v in head.items()}
                if isinstance(s, ast.For):
                    it = s.iter
                    counted = (
                        isinstance(it, ast.Call)
                        and isinstance(it.func, ast.Name)
                        and it.func.id == "range"
                    )
                    objs = {self.fresh(s)} if counted else self.reach(self.points_to(it, inner))
                    self.bind(s.target, objs, inner)
                end = self.block(s.body, inner)
                new_head = _join(head, end)
                if new_head == head:
                    break
                head = new_head
            return head
        finally:
            self.loops.pop()

    def add_contents(self, container, objs, state):
        for obj in self.points_to(container, state):
            self.contents[obj] = self.contents.get(obj, set()) | set(objs)

    # -- the check -------------------------------------------------------------------------------
    def observers(self, written, y, state) -> list[str]:
        """Names other than ``y`` read after the current statement that reach ``written``."""
        later = set()
        for rest in self.rests:
            later |= _names_read(rest)
        for loop in self.loops:
            later |= _names_read([loop])
        out = []
        for z in sorted(later - {y}):
            seen = self.reach(state[z]) if z in state else {("free", z)}
            if seen & written:
                out.append(z)
        return out

    def update(self, s, target, augmented: bool, state):
        base = target
        while isinstance(base, ast.Subscript):
            base = base.value
        if not isinstance(base, ast.Name):
            return
        y = base.id
        objs = self.points_to(base, state)
        if isinstance(target, ast.Name):
            # y += v changes y's object only when it is mutable (an array, a list): a check
            # when the derivative runs tells floats (fine) from arrays (refused)
            shared = self.observers(objs, y, state)
            if shared:
                self.checks[id(s)] = (s, ast.Name(id=y, ctx=ast.Load()), shared[0])
            state[y] = {self.fresh(s)}
            return
        shared = self.observers(objs, y, state)
        if shared:
            self.refuse(s, target, y, shared[0], augmented)
        if augmented:  # ys[i] += v also updates the element ys[i] itself, if it is mutable
            shared = self.observers(self.reach(objs) - objs, y, state)
            if shared:
                element = ast.Subscript(
                    value=ast.Name(id=base.id, ctx=ast.Load()), slice=target.slice, ctx=ast.Load()
                )
                self.checks[id(s)] = (s, element, shared[0])

    def refuse(self, s, target, y, z, augmented):
        code = ast.unparse(target)
        op = f"{_op(s)}=" if augmented else "="
        raise unsupported(
            s,
            self.src,
            f"'{code} {op} ...' writes into {y!r} in place, but {y!r} may share its value "
            f"with {z!r}, which is used afterwards: in Python {z!r} would change too, and "
            "source mode's derivative would not see that",
            f"copy first: {y} = {y}.copy() (or build {y} with its own np.zeros / list)",
        )

    def insert_checks(self, ns):
        """Put ``check_unshared(value, ...)`` before each update that needs one."""
        if not self.checks:
            return
        from ..runtime.aliasing import check_unshared

        helper = ns.bind("check_unshared", check_unshared)

        def visit(stmts):
            out = []
            for s in stmts:
                for field in ("body", "orelse"):
                    if isinstance(getattr(s, field, None), list):
                        setattr(s, field, visit(getattr(s, field)))
                if id(s) in self.checks:
                    _, value, other = self.checks[id(s)]
                    func = ast.Name(id=helper, ctx=ast.Load())
                    func._static = True
                    call = ast.Call(
                        func=func,
                        args=[
                            value,
                            ast.Constant(other),
                            ast.Constant(self.src.filename),
                            ast.Constant(s.lineno),
                            ast.Constant(s.col_offset + self.src.col_shift),
                        ],
                        keywords=[],
                    )
                    out.append(ast.copy_location(ast.Expr(value=call), s))
                out.append(s)
            return out

        self.node.body = visit(self.node.body)
        for n in ast.walk(self.node):
            if "lineno" in n._attributes and not hasattr(n, "lineno"):
                ast.copy_location(n, self.node)


_ALLOCATORS = {"zeros", "ones", "empty", "full"}


def _allocated_ndims(node) -> dict[str, int]:
    """Names bound only to ``np.zeros(shape)`` (``ones``, ``empty``, ``full``) with a shape of
    known length (a tuple display, or one size: ``n``, ``len(x)``, ``x.shape[0]``), and never
    to anything else: their number of axes."""
    found: dict[str, set] = {}
    for n in ast.walk(node):
        targets = []
        if isinstance(n, ast.Assign):
            targets = [(t, n.value) for t in n.targets]
        elif isinstance(n, (ast.AugAssign, ast.AnnAssign)):
            targets = [(n.target, None)]
        elif isinstance(n, (ast.For, ast.comprehension)):
            targets = [(n.target, None)]
        elif isinstance(n, ast.NamedExpr):
            targets = [(n.target, None)]
        elif isinstance(n, ast.arguments):
            for a in [*n.posonlyargs, *n.args, *n.kwonlyargs]:
                found.setdefault(a.arg, set()).add(None)
        for t, value in targets:
            if isinstance(t, ast.Name):
                found.setdefault(t.id, set()).add(_ndim_of(value))
            else:
                for inner in ast.walk(t):
                    if (
                        isinstance(inner, ast.Name)
                        and t is not None
                        and not isinstance(t, ast.Subscript)
                    ):
                        found.setdefault(inner.id, set()).add(None)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1 and None not in v}


def _ndim_of(value):
    if not isinstance(value, ast.Call) or not value.args:
        return None
    f = value.func
    fname = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", None)
    if fname not in _ALLOCATORS:
        return None
    shape = value.args[0]
    if isinstance(shape, ast.Tuple):
        return None if any(isinstance(e, ast.Starred) for e in shape.elts) else len(shape.elts)
    if (
        isinstance(shape, (ast.BinOp, ast.Subscript))
        or (isinstance(shape, ast.Constant) and type(shape.value) is int)
        or (isinstance(shape, ast.Call) and getattr(shape.func, "id", None) == "len")
    ):
        return 1
    return None


def _op(s) -> str:
    if not isinstance(s, ast.AugAssign):
        return ""
    ops = {
        ast.Add: "+",
        ast.Sub: "-",
        ast.Mult: "*",
        ast.Div: "/",
        ast.Pow: "**",
        ast.MatMult: "@",
        ast.FloorDiv: "//",
        ast.Mod: "%",
    }
    return ops.get(type(s.op), "op")


def _join(a: dict, b: dict) -> dict:
    out = {k: set(v) for k, v in a.items()}
    for k, v in b.items():
        out[k] = out.get(k, set()) | v
    return out


def _names_read(stmts) -> set[str]:
    out = set()
    for s in stmts:
        for n in ast.walk(s):
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load):
                out.add(n.id)
            elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                out.add(n.target.id)
    return out
