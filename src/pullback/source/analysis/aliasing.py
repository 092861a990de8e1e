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
import copy

from ..common.diagnostics import unsupported

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
        # an entry read ``x[i]`` / ``x[i, j]`` (integer indices, x's number of axes unknown):
        # a number when x has as many axes, else a view of x. Its abstract object -> the
        # objects x may be, the read itself, and where its value went (statement, target)
        self.entries: dict = {}
        self.entry_reads: dict = {}
        self.flows: dict = {}
        # id(statement) -> (statement, {target text: check to run after it}) for the entry
        # reads that an update was accepted on, checked to be numbers when the derivative runs
        self.after: dict = {}
        self.made: set | None = None  # objects the value being evaluated makes (see age)

    # -- objects -----------------------------------------------------------------------------
    def fresh(self, node):
        """The object made where ``node`` runs (one abstract object per place in the code);
        noted in ``self.made`` while an assignment's value is being evaluated."""
        obj = ("new", id(node))
        if self.made is not None:
            self.made.add(obj)
        return obj

    def reach(self, objs, through_entries=True) -> set:
        """Objects ``objs`` and everything they may hold, transitively; an entry read stands
        for the object it was read from too, unless ``through_entries`` is False (it is then
        taken to be the number it is when its array has as many axes as it has indices)."""
        out = set(objs)
        todo = list(objs)
        while todo:
            obj = todo.pop()
            inner = self.contents.get(obj, set())
            if through_entries:
                inner = inner | self.entries.get(obj, set())
            for x in inner:
                if x not in out:
                    out.add(x)
                    todo.append(x)
        return out

    def expand(self, objs) -> set:
        """``objs`` and, for an entry read among them, the objects it was read from: writing
        into ``row[k]`` after ``row = m[i]`` shows ``row`` is a view, so it writes into ``m``."""
        out = set(objs)
        todo = list(objs)
        while todo:
            for x in self.entries.get(todo.pop(), ()):
                if x not in out:
                    out.add(x)
                    todo.append(x)
        return out

    def points_to(self, e, state, entries=None) -> set:
        """The objects expression ``e`` may evaluate to. With a list ``entries``, an entry read
        whose value ``e`` passes on (``x[i]``, ``x[i] if c else 0.0``) is an object of its own,
        appended to ``entries``; the caller records where its value goes (``flows``)."""
        if isinstance(e, ast.Name):
            if e.id in state:
                return set(state[e.id])
            return {("free", e.id)}
        if isinstance(e, ast.Subscript) and self.picks_one_entry(e):
            return {self.fresh(e)}  # y[i, j] of a 2-D array: a number, not a view
        if (
            isinstance(e, ast.Subscript)
            and entries is not None
            and _integer_index(e)
            and e.value.id not in self.ndims  # else too few indices: a view
        ):
            obj = ("entry", id(e))
            bases = self.reach(self.points_to(e.value, state))
            self.entries[obj] = self.entries.get(obj, set()) | bases
            self.entry_reads[obj] = e
            entries.append(obj)
            return {obj}
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
            return self.points_to(e.body, state, entries) | self.points_to(e.orelse, state, entries)
        if isinstance(e, ast.BoolOp):
            out = set()
            for x in e.values:
                out |= self.points_to(x, state, entries)
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
                for t, v in zip(s.targets[0].elts, s.value.elts, strict=True):
                    self.assign(s, t, v, state)
                return state
            for t in s.targets:
                self.assign(s, t, s.value, state)
            return state
        if isinstance(s, ast.AnnAssign) and s.value is not None:
            self.assign(s, s.target, s.value, state)
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

    def assign(self, s, target, value, state):
        """``target = value`` in statement ``s``: bind a name, or store into a container."""
        entries = []
        if isinstance(target, ast.Name):
            self.made = set()
            before = {k: set(v) for k, v in self.contents.items()}
            try:
                objs = self.points_to(value, state, entries)
            finally:
                made, self.made = self.made, None
            self.age(made & objs, state, before)
            self.bind(target, objs, state)
            self.record(entries, s, target)
        elif isinstance(target, ast.Subscript):
            self.update(s, target, False, state)
            if isinstance(target.value, ast.Name) and target.value.id in self.ndims:
                return  # a store into an array the function made copies the value
            plain = isinstance(target.value, ast.Name) and not _calls(target.slice)
            objs = self.points_to(value, state, entries if plain else None)
            self.add_contents(target.value, objs, state)
            self.record(entries, s, target)
        else:
            self.bind(target, self.points_to(value, state), state)

    def age(self, made, state, before):
        """Recency: the object a place makes now is not the one it made before (``v =
        u.copy()`` at the top of a loop whose last line is ``u = v``). Objects this ``value``
        makes stay ``("new", place)`` for the name they are bound to; what other names (and
        containers) held from earlier runs of that place becomes ``("old", place)``, one
        object for all those earlier runs."""
        if not made:
            return
        older = {o: ("old", o[1]) for o in made}

        def renamed(objects):
            return {older.get(o, o) for o in objects}

        for name in state:
            state[name] = renamed(state[name])
        for key in list(self.contents):
            if key not in made:  # what other objects hold: the older objects
                self.contents[key] = renamed(self.contents[key])
        for key in made:  # the older objects hold what the place's objects held before; the
            if key in before:  # new one keeps that too (more than it holds: on the safe side)
                old_key = older[key]
                self.contents[old_key] = self.contents.get(old_key, set()) | renamed(before[key])
        for key in list(self.entries):
            self.entries[key] = renamed(self.entries[key])

    def record(self, entries, s, target):
        for obj in entries:
            self.flows.setdefault(obj, {})[(id(s), ast.dump(target))] = (s, target)

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
    def observers(self, written, y, state, through_entries=True) -> list[str]:
        """Names other than ``y`` read after the current statement that reach ``written``."""
        later = set()
        for rest in self.rests:
            later |= _names_read(rest)
        for loop in self.loops:
            later |= _names_read([loop])
        out = []
        for z in sorted(later - {y}):
            seen = self.reach(state[z], through_entries) if z in state else {("free", z)}
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
        written = self.expand(objs)
        shared = self.observers(written, y, state, through_entries=False)
        if shared:
            self.refuse(s, target, y, shared[0], augmented)
        for z in self.observers(written, y, state):
            # shared only through entry reads: accepted where each is a number when run
            for obj in self.reach(state.get(z, ())):
                if obj in self.entries:
                    self.presume_number(obj, y)
        if augmented:  # ys[i] += v also updates the element ys[i] itself, if it is mutable
            shared = self.observers(self.reach(objs) - objs, y, state)
            if shared:
                element = ast.Subscript(
                    value=ast.Name(id=base.id, ctx=ast.Load()), slice=target.slice, ctx=ast.Load()
                )
                self.checks[id(s)] = (s, element, shared[0])

    def presume_number(self, obj, y):
        """Check, after each statement that an entry read's value went to, that it is a
        number (not a view), when the derivative runs."""
        read = ast.unparse(self.entry_reads[obj])
        for s, target in self.flows.get(obj, {}).values():
            key = ast.unparse(target)
            self.after.setdefault(id(s), (s, {}))[1].setdefault(key, (target, read, y))

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
        """Put ``check_unshared(value, ...)`` before each update that needs one, and
        ``check_entry(value, ...)`` after each statement whose entry read must be a number."""
        if not self.checks and not self.after:
            return
        from ...runtime import aliasing as runtime_aliasing

        def helper(fn_name):
            func = ast.Name(id=ns.bind(fn_name, getattr(runtime_aliasing, fn_name)), ctx=ast.Load())
            func._static = True
            return func

        def where(s):
            return [
                ast.Constant(self.src.filename),
                ast.Constant(s.lineno),
                ast.Constant(s.col_offset + self.src.col_shift),
            ]

        def checked(s, fn_name, args):
            call = ast.Call(func=helper(fn_name), args=args + where(s), keywords=[])
            return ast.copy_location(ast.Expr(value=call), s)

        def after(s):
            out = []
            for target, read, y in self.after[id(s)][1].values():
                if isinstance(target, ast.Name):
                    args = [ast.Name(id=target.id, ctx=ast.Load())]
                    fn_name = "check_entry"
                else:
                    args = [
                        ast.Name(id=target.value.id, ctx=ast.Load()),
                        copy.deepcopy(target.slice),
                    ]
                    fn_name = "check_stored_entry"
                shown = f"{ast.unparse(target)} = {read}"
                out.append(checked(s, fn_name, args + [ast.Constant(shown), ast.Constant(y)]))
            return out

        def visit(stmts):
            out = []
            for s in stmts:
                for field in ("body", "orelse"):
                    if isinstance(getattr(s, field, None), list):
                        setattr(s, field, visit(getattr(s, field)))
                if id(s) in self.checks:
                    _, value, other = self.checks[id(s)]
                    out.append(checked(s, "check_unshared", [value, ast.Constant(other)]))
                out.append(s)
                if id(s) in self.after:
                    out.extend(after(s))
            return out

        self.node.body = visit(self.node.body)
        for n in ast.walk(self.node):
            if "lineno" in n._attributes and not hasattr(n, "lineno"):
                ast.copy_location(n, self.node)


def _integer_index(e: ast.Subscript) -> bool:
    """``x[i]``, ``x[i - 1, j]``: a name indexed without slices, so a number where ``x`` has as
    many axes as indices (else a view, or a copy for an array index)."""
    return isinstance(e.value, ast.Name) and not any(
        isinstance(n, (ast.Slice, ast.Starred)) for n in ast.walk(e.slice)
    )


def _calls(e) -> bool:
    return any(isinstance(n, ast.Call) for n in ast.walk(e))


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
