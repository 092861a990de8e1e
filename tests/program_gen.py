"""Random differentiable programs, and random mutations of them, for the test suite.

In: a seed and an index.
Out: a ``Program``: the text of a module (helper functions, constants and ``f``), the arguments
to differentiate it at, and the features it uses. The same ``(seed, index)`` always gives the
same program, so a failure found by a large run is reproduced by::

    from program_gen import generate
    print(generate(seed, index).source)

The programs use what the README says source mode handles: helper functions and recursion with
a depth counter, closures and lambdas, ``for`` over ``range`` with ``break``/``continue``,
``while`` loops with data-dependent (bounded) conditions, early ``return``, index assignment into
new arrays, lists, dicts, comprehensions, tuple unpacking, conditional expressions, and smooth
NumPy and ``math`` functions on safe domains (``exp`` of bounded values, ``log(1 + x*x)``,
reductions, matmul with constant matrices, broadcasting). Inputs are scalars and 1-D arrays.

``probe_source(source)`` rewrites every comparison into a call that records its outcome and its
margin, so a test can choose inputs away from branch boundaries. ``mutations(source, rng)``
yields syntactically varied (often meaningless) programs: a swapped operator, a deleted
statement, a replaced name, ``global``, ``yield``, ``async``, ``lambda``, ``try``, ``with``,
``*args`` calls, a changed indentation, string operations.
"""

from __future__ import annotations

import ast
import random
from dataclasses import dataclass, field

SCALAR, VECTOR = "s", "v"


@dataclass
class Program:
    seed: int
    index: int
    source: str
    arg_types: tuple  # one of SCALAR / VECTOR per argument of f
    n: int  # length of the vectors
    features: set = field(default_factory=set)

    def sample_args(self, rng: random.Random) -> tuple:
        import numpy as np

        out = []
        for t in self.arg_types:
            if t == SCALAR:
                out.append(round(rng.uniform(-1.5, 1.5), 3))
            else:
                out.append(np.array([round(rng.uniform(-1.5, 1.5), 3) for _ in range(self.n)]))
        return tuple(out)


def _const(rng: random.Random) -> str:
    return repr(round(rng.uniform(0.1, 2.0), 2))


class _Writer:
    """Lines of a function body, with indentation."""

    def __init__(self):
        self.lines: list[str] = []
        self.depth = 1

    def add(self, line: str) -> None:
        self.lines.append("    " * self.depth + line)


class _Generator:
    def __init__(self, seed: int, index: int):
        self.rng = random.Random(f"{seed}:{index}")
        self.seed, self.index = seed, index
        self.n = self.rng.choice((2, 3, 4))
        self.features: set[str] = set()
        self.helpers: list[tuple[str, tuple, str]] = []  # (name, param types, return type)
        self.module_lines: list[str] = []
        self.counter = 0
        self.vec_consts: list[str] = []
        self.mat_consts: list[str] = []
        self.params: set[str] = set()  # arguments: never augmented (that would change the caller's)

    def fresh(self, stem: str) -> str:
        self.counter += 1
        return f"{stem}{self.counter}"

    # -- constants --------------------------------------------------------------------------

    def vec_const(self) -> str:
        if not self.vec_consts or self.rng.random() < 0.3:
            name = f"C{len(self.vec_consts)}"
            values = ", ".join(_const(self.rng) for _ in range(self.n))
            self.module_lines.append(f"{name} = np.array([{values}])")
            self.vec_consts.append(name)
        return self.rng.choice(self.vec_consts)

    def mat_const(self) -> str:
        if not self.mat_consts or self.rng.random() < 0.3:
            name = f"M{len(self.mat_consts)}"
            rows = ", ".join(
                "["
                + ", ".join(repr(round(self.rng.uniform(-1, 1), 2)) for _ in range(self.n))
                + "]"
                for _ in range(self.n)
            )
            self.module_lines.append(f"{name} = np.array([{rows}])")
            self.mat_consts.append(name)
        return self.rng.choice(self.mat_consts)

    # -- expressions ------------------------------------------------------------------------

    def names(self, env: dict, typ: str) -> list[str]:
        return [k for k, v in env.items() if v == typ]

    def expr(self, env: dict, typ: str, depth: int = 2) -> str:
        rng = self.rng
        names = self.names(env, typ)
        if depth <= 0 or rng.random() < 0.2:
            if names and rng.random() < 0.85:
                return rng.choice(names)
            if typ == SCALAR:
                return _const(rng)
            return self.vec_const()
        return self.scalar(env, depth) if typ == SCALAR else self.vector(env, depth)

    def unary(self, a: str, scalar: bool) -> str:
        rng = self.rng
        choice = rng.randrange(10)
        if scalar and choice == 9:
            self.features.add("math")
            fn = rng.choice(("sin", "cos", "tanh"))
            return f"math.{fn}({a})"
        if choice < 3:
            return f"np.{rng.choice(('sin', 'cos', 'tanh'))}({a})"
        if choice == 3:
            self.features.add("exp")
            return f"np.exp(np.{rng.choice(('tanh', 'sin'))}({a}))"
        if choice == 4:
            self.features.add("exp")
            return f"np.exp(-({a}) ** 2)"
        if choice == 5:
            self.features.add("log")
            return f"np.log(1.0 + ({a}) * ({a}))"
        if choice == 6:
            self.features.add("sqrt")
            return f"np.sqrt(1.0 + ({a}) ** 2)"
        if choice == 7:
            self.features.add("pow")
            return f"({a}) ** {rng.choice((2, 3))}"
        return f"np.tanh({a})"

    def binary(self, a: str, b: str) -> str:
        rng = self.rng
        choice = rng.randrange(5)
        if choice == 0:
            return f"{a} + {b}"
        if choice == 1:
            return f"{a} - {b}"
        if choice == 2:
            return f"({a}) * ({b})"
        if choice == 3:
            self.features.add("div")
            return f"({a}) / (1.5 + np.cos({b}))"
        self.features.add("div")
        return f"({a}) / (1.0 + ({b}) ** 2)"

    def scalar(self, env: dict, depth: int) -> str:
        rng = self.rng
        choice = rng.randrange(12)
        sub = depth - 1
        if choice < 3:
            return self.unary(self.expr(env, SCALAR, sub), True)
        if choice < 6:
            return self.binary(self.expr(env, SCALAR, sub), self.expr(env, SCALAR, sub))
        if choice == 6:
            v = self.expr(env, VECTOR, sub)
            self.features.add("reduce")
            kind = rng.randrange(5)
            if kind == 0:
                return f"np.sum({v})"
            if kind == 1:
                return f"np.mean({v})"
            if kind == 2:
                self.features.add("dot")
                return f"np.dot({v}, {self.vec_const()})"
            if kind == 3:
                self.features.add("matmul")
                return f"({v}) @ {self.vec_const()}"
            self.features.add("index")
            return f"({v})[{rng.randrange(-self.n, self.n)}]"
        if choice == 7:
            self.features.add("ifexp")
            return (
                f"({self.expr(env, SCALAR, sub)} if {self.cond(env)} "
                f"else {self.expr(env, SCALAR, sub)})"
            )
        if choice == 8:
            call = self.call(env, SCALAR, sub)
            if call:
                return call
        return self.binary(self.expr(env, SCALAR, sub), _const(rng))

    def vector(self, env: dict, depth: int) -> str:
        rng = self.rng
        choice = rng.randrange(10)
        sub = depth - 1
        if choice < 2:
            return self.unary(self.expr(env, VECTOR, sub), False)
        if choice == 8:  # an array with a list operand: NumPy's arithmetic, not the list's
            self.features.add("list operand")
            entries = ", ".join(
                self.expr(env, SCALAR, sub - 1) if rng.random() < 0.5 else _const(rng)
                for _ in range(self.n)
            )
            vec = self.expr(env, VECTOR, sub)
            op = rng.choice(("+", "*", "-"))
            if rng.random() < 0.5:
                return f"({vec}) {op} [{entries}]"
            return f"[{entries}] {op} ({vec})"
        if choice < 4:
            return self.binary(self.expr(env, VECTOR, sub), self.expr(env, VECTOR, sub))
        if choice == 4:
            self.features.add("broadcast")
            return f"({self.expr(env, VECTOR, sub)}) * ({self.expr(env, SCALAR, sub)})"
        if choice == 5:
            self.features.add("broadcast")
            return f"{self.expr(env, SCALAR, sub)} + {self.vec_const()}"
        if choice == 6:
            self.features.add("matmul")
            return f"{self.mat_const()} @ ({self.expr(env, VECTOR, sub)})"
        if choice == 7:
            self.features.add("slice")
            return f"({self.expr(env, VECTOR, sub)})[::-1]"
        call = self.call(env, VECTOR, sub)
        return call or self.unary(self.expr(env, VECTOR, sub), False)

    def call(self, env: dict, typ: str, depth: int) -> str | None:
        options = [h for h in self.helpers if h[2] == typ]
        options += [(k, v[1], v[2]) for k, v in env.items() if isinstance(v, tuple) and v[2] == typ]
        if not options:
            return None
        name, params, _ = self.rng.choice(options)
        args = [self.expr(env, p, depth) if p in (SCALAR, VECTOR) else p for p in params]
        return f"{name}({', '.join(args)})"

    def cond(self, env: dict) -> str:
        rng = self.rng
        op = rng.choice(("<", ">", "<=", ">="))
        return f"{self.expr(env, SCALAR, 1)} {op} {_const(rng) if rng.random() < 0.7 else '0.0'}"

    # -- statements -------------------------------------------------------------------------

    def assign(self, w: _Writer, env: dict, in_loop: bool = False) -> None:
        rng = self.rng
        typ = rng.choice((SCALAR, VECTOR))
        existing = [k for k in self.names(env, typ) if k not in self.params]
        if existing and rng.random() < 0.4:
            name = rng.choice(existing)
            if rng.random() < 0.5:
                self.features.add("augassign")
                op = rng.choice(("+=", "-=", "*="))
                value = self.expr(env, typ)
                if op == "*=":
                    value = f"np.tanh({value})"
                if typ == VECTOR:  # rebind: the array may be shared with an argument or constant
                    w.add(f"{name} = {name} {op[0]} ({value})")
                else:
                    w.add(f"{name} {op} {value}")
                return
        else:
            name = self.fresh("v" if typ == VECTOR else "a")
        w.add(f"{name} = {self.expr(env, typ)}")
        if not in_loop:
            env[name] = typ

    def statement(self, w: _Writer, env: dict, budget: int) -> None:
        rng = self.rng
        kind = rng.choice(
            (
                "assign",
                "assign",
                "unpack",
                "for",
                "while",
                "index",
                "list",
                "dict",
                "comp",
                "if",
                "return",
                "closure",
                "lambda",
            )
        )
        getattr(self, f"st_{kind}")(w, env)

    def st_assign(self, w, env):
        self.assign(w, env)

    def st_unpack(self, w, env):
        self.features.add("unpack")
        a, b = self.fresh("p"), self.fresh("q")
        w.add(f"{a}, {b} = {self.expr(env, SCALAR)}, {self.expr(env, SCALAR)}")
        env[a] = env[b] = SCALAR

    def st_for(self, w, env):
        rng = self.rng
        self.features.add("for")
        acc = self.fresh("acc")
        w.add(f"{acc} = {self.expr(env, SCALAR, 1)}")
        env[acc] = SCALAR
        i = self.fresh("i")
        count = rng.randint(1, 4)
        w.add(f"for {i} in range({count}):")
        w.depth += 1
        inner = dict(env)
        vecs = self.names(env, VECTOR)
        if vecs and count <= self.n and rng.random() < 0.6:
            self.features.add("index")
            elem = self.fresh("e")
            w.add(f"{elem} = {rng.choice(vecs)}[{i}]")
            inner[elem] = SCALAR
        if rng.random() < 0.4:
            flow = rng.choice(("break", "continue"))
            self.features.add(flow)
            w.add(f"if {self.cond(inner) if rng.random() < 0.6 else f'{i} == {count - 1}'}:")
            w.depth += 1
            if flow == "continue":
                w.add(f"{acc} = {acc} + 0.5")
            w.add(flow)
            w.depth -= 1
        step = self.expr(inner, SCALAR)
        if rng.random() < 0.5:
            w.add(f"{acc} = {acc} + {step} * {i}")
        else:
            w.add(f"{acc} = np.tanh({acc}) * ({step}) + {_const(rng)}")
        w.depth -= 1

    def st_while(self, w, env):
        rng = self.rng
        self.features.add("while")
        s, k = self.fresh("s"), self.fresh("k")
        w.add(f"{s} = 0.0")
        w.add(f"{k} = 0")
        w.add(f"while {s} < {round(rng.uniform(0.5, 3.0), 2)} and {k} < {rng.randint(2, 6)}:")
        w.depth += 1
        w.add(f"{s} = {s} + 0.2 + np.tanh({self.expr(env, SCALAR)}) ** 2")
        w.add(f"{k} += 1")
        w.depth -= 1
        env[s] = SCALAR

    def st_index(self, w, env):
        rng = self.rng
        self.features.add("setitem")
        y = self.fresh("y")
        vecs = self.names(env, VECTOR)
        if vecs and rng.random() < 0.4:
            w.add(f"{y} = {rng.choice(vecs)}.copy()")
        else:
            w.add(f"{y} = np.zeros({self.n})")
        i = self.fresh("j")
        w.add(f"for {i} in range({self.n}):")
        w.depth += 1
        inner = dict(env)
        inner[f"{y}[{i}]"] = SCALAR
        w.add(f"{y}[{i}] = {self.expr(env, SCALAR)} * ({i} + 1)")
        if rng.random() < 0.5:
            w.add(f"{y}[{i}] += {self.expr(inner, SCALAR)}")
        w.depth -= 1
        if rng.random() < 0.4:
            w.add(f"{y}[{rng.randrange(self.n)}] = {self.expr(env, SCALAR)}")
        env[y] = VECTOR

    def st_list(self, w, env):
        rng = self.rng
        self.features.add("list")
        lst, i = self.fresh("lst"), self.fresh("i")
        count = rng.randint(1, 3)
        w.add(f"{lst} = []")
        w.add(f"for {i} in range({count}):")
        w.depth += 1
        w.add(f"{lst}.append({self.expr(env, SCALAR)} + {i})")
        w.depth -= 1
        tot = self.fresh("t")
        if rng.random() < 0.5:
            w.add(f"{tot} = {lst}[{rng.randrange(count)}] * {lst}[-1]")
        else:
            item = self.fresh("item")
            w.add(f"{tot} = 0.0")
            w.add(f"for {item} in {lst}:")
            w.add(f"    {tot} = {tot} + {self.unary(item, True)}")
        env[tot] = SCALAR

    def st_dict(self, w, env):
        self.features.add("dict")
        d, t = self.fresh("d"), self.fresh("t")
        w.add(f"{d} = {{'a': {self.expr(env, SCALAR)}, 'b': {self.expr(env, SCALAR)}}}")
        if self.rng.random() < 0.5:
            w.add(f"{d}['c'] = {d}['a'] * {self.expr(env, SCALAR, 1)}")
            w.add(f"{t} = {d}['c'] + {d}['b']")
        else:
            w.add(f"{t} = {d}['a'] - np.sin({d}['b'])")
        env[t] = SCALAR

    def st_comp(self, w, env):
        rng = self.rng
        self.features.add("comprehension")
        c, k, t = self.fresh("c"), self.fresh("k"), self.fresh("t")
        inner = dict(env)
        inner[f"({k} * 0.5)"] = SCALAR
        body = self.expr(inner, SCALAR)
        cond = f" if {k} != 1" if rng.random() < 0.3 else ""
        w.add(f"{c} = [{body} for {k} in range({rng.randint(2, 4)}){cond}]")
        if rng.random() < 0.5:
            w.add(f"{t} = sum({c})")
        else:
            self.features.add("genexp")
            w.add(f"{t} = sum(z * z for z in {c})")
        env[t] = SCALAR

    def st_if(self, w, env):
        rng = self.rng
        self.features.add("if")
        r = self.fresh("r")
        w.add(f"{r} = {self.expr(env, SCALAR, 1)}")
        w.add(f"if {self.cond(env)}:")
        w.add(f"    {r} = {self.expr(env, SCALAR)}")
        if rng.random() < 0.4:
            w.add(f"elif {self.cond(env)}:")
            w.add(f"    {r} = {r} * {self.expr(env, SCALAR)}")
        if rng.random() < 0.6:
            w.add("else:")
            w.add(f"    {r} = {self.expr(env, SCALAR)} - {r}")
        env[r] = SCALAR

    def st_return(self, w, env):
        self.features.add("early_return")
        w.add(f"if {self.cond(env)}:")
        w.add(f"    return {self.result(env)}")

    def st_closure(self, w, env):
        self.features.add("closure")
        name, z = self.fresh("inner"), self.fresh("z")
        w.add(f"def {name}({z}):")
        inner = dict(env)
        inner[z] = SCALAR
        w.add(f"    return {self.expr(inner, SCALAR)} * {z}")
        env[name] = ("fn", (SCALAR,), SCALAR)

    def st_lambda(self, w, env):
        self.features.add("lambda")
        name, z = self.fresh("lam"), self.fresh("z")
        inner = dict(env)
        inner[z] = SCALAR
        w.add(f"{name} = lambda {z}: {self.expr(inner, SCALAR, 1)} + {z}")
        env[name] = ("fn", (SCALAR,), SCALAR)

    def result(self, env: dict) -> str:
        scalars = self.names(env, SCALAR)
        vectors = self.names(env, VECTOR)
        rng = self.rng
        terms = rng.sample(scalars, min(len(scalars), 3))
        for v in rng.sample(vectors, min(len(vectors), 2)):
            terms.append(f"np.sum({v})" if rng.random() < 0.5 else f"np.dot({v}, {v})")
        return " + ".join(terms) if terms else "0.0"

    # -- functions --------------------------------------------------------------------------

    def helper(self) -> list[str]:
        rng = self.rng
        name = self.fresh("helper")
        if rng.random() < 0.3:
            self.features.add("recursion")
            a, d = "a", "depth"
            env = {a: SCALAR}
            lines = [
                f"def {name}({a}, {d}):",
                f"    if {d} <= 0:",
                f"        return {a}",
                f"    return {name}({self.unary(a, True)} * 0.8 + {_const(rng)}, {d} - 1)",
            ]
            self.helpers.append((name, (SCALAR, str(rng.randint(1, 4))), SCALAR))
            return lines
        self.features.add("helper")
        params = tuple(rng.choice((SCALAR, VECTOR)) for _ in range(rng.randint(1, 2)))
        env = {f"u{k}": t for k, t in enumerate(params)}
        self.params = set(env)
        w = _Writer()
        for _ in range(rng.randint(0, 1)):
            self.statement(w, env, 0)
        ret = rng.choice((SCALAR, VECTOR))
        out = self.expr(env, ret)
        if ret == VECTOR and not self.names(env, VECTOR) and VECTOR not in out:
            pass
        w.add(f"return {out}")
        self.helpers.append((name, params, ret))
        return [
            f"def {name}({', '.join(env_name for env_name in list(env)[: len(params)])}):"
        ] + w.lines

    def program(self) -> Program:
        rng = self.rng
        functions = []
        for _ in range(rng.randint(0, 2)):
            functions.append(self.helper())
        arg_types = tuple(rng.choice((SCALAR, VECTOR)) for _ in range(rng.randint(1, 2)))
        params = ["x", "w"][: len(arg_types)]
        env: dict = dict(zip(params, arg_types, strict=True))
        self.params = set(params)
        w = _Writer()
        for _ in range(rng.randint(1, 4)):
            self.statement(w, env, 0)
        w.add(f"return {self.result(env)} + {self.expr(env, SCALAR, 1)}")
        functions.append([f"def f({', '.join(params)}):"] + w.lines)
        header = ["import math", "", "import numpy as np", ""] + self.module_lines
        body = "\n\n\n".join("\n".join(fn) for fn in functions)
        source = "\n".join(header) + "\n\n\n" + body + "\n"
        return Program(self.seed, self.index, source, arg_types, self.n, self.features)


def generate(seed: int, index: int) -> Program:
    """The program numbered ``index`` of the stream ``seed``."""
    return _Generator(seed, index).program()


# -- probing branch margins --------------------------------------------------------------------

PROBE_PRELUDE = """
_PROBE_RECORD = []


def _probe_cmp(left, op, right):
    import operator

    result = {"<": operator.lt, ">": operator.gt, "<=": operator.le, ">=": operator.ge,
              "==": operator.eq, "!=": operator.ne}[op](left, right)
    integral = all(isinstance(v, (int, np.integer)) for v in (left, right))
    margin = None if integral else float(np.min(np.abs(np.asarray(left) - np.asarray(right))))
    _PROBE_RECORD.append((bool(result), margin))
    return result
"""

_OPS = {ast.Lt: "<", ast.Gt: ">", ast.LtE: "<=", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}


class _Probe(ast.NodeTransformer):
    def visit_Compare(self, node):
        self.generic_visit(node)
        if len(node.ops) != 1 or type(node.ops[0]) not in _OPS:
            return node
        call = ast.Call(
            ast.Name("_probe_cmp", ast.Load()),
            [node.left, ast.Constant(_OPS[type(node.ops[0])]), node.comparators[0]],
            [],
        )
        return ast.copy_location(call, node)


def probe_source(source: str) -> str:
    """``source`` with each comparison recording ``(outcome, |left - right|)`` in
    ``_PROBE_RECORD``."""
    tree = _Probe().visit(ast.parse(source))
    return PROBE_PRELUDE + "\n" + ast.unparse(ast.fix_missing_locations(tree)) + "\n"


# -- mutations ---------------------------------------------------------------------------------

_BINOPS = [ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.FloorDiv, ast.Mod, ast.MatMult]
_CMPOPS = [ast.Lt, ast.Gt, ast.LtE, ast.GtE, ast.Eq, ast.NotEq]


def _f_def(tree: ast.Module) -> ast.FunctionDef:
    return [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "f"][-1]


def _bodies(tree: ast.AST) -> list[list]:
    out = []
    for node in ast.walk(tree):
        for attr in ("body", "orelse"):
            body = getattr(node, attr, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                if not isinstance(node, ast.Module):
                    out.append(body)
    return out


def _expressions(tree: ast.AST) -> list[ast.expr]:
    return [
        n
        for n in ast.walk(tree)
        if isinstance(n, (ast.BinOp, ast.Call, ast.Name, ast.UnaryOp, ast.Subscript))
        and not (isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load))
    ]


def _parse(text: str) -> ast.Module:
    return ast.parse(text)


def _replace(tree: ast.AST, target: ast.AST, new: ast.AST) -> None:
    for node in ast.walk(tree):
        for name, value in ast.iter_fields(node):
            if value is target:
                setattr(node, name, new)
                return
            if isinstance(value, list):
                for k, item in enumerate(value):
                    if item is target:
                        value[k] = new
                        return


def _m_swap_op(tree, rng):
    ops = [n for n in ast.walk(tree) if isinstance(n, (ast.BinOp, ast.Compare, ast.AugAssign))]
    if not ops:
        return False
    node = rng.choice(ops)
    if isinstance(node, ast.Compare):
        node.ops[0] = rng.choice(_CMPOPS)()
    else:
        node.op = rng.choice(_BINOPS)()
    return True


def _m_delete_stmt(tree, rng):
    body = rng.choice(_bodies(tree))
    del body[rng.randrange(len(body))]
    if not body:
        body.append(ast.Pass())
    return True


def _m_replace_name(tree, rng):
    names = [n for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)]
    if not names:
        return False
    pool = sorted({n.id for n in names}) + ["undefined_name", "len", "print", "np", "math", "f"]
    rng.choice(names).id = rng.choice(pool)
    return True


def _m_global(tree, rng):
    fn = _f_def(tree)
    stores = sorted(
        {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    )
    name = rng.choice(stores + ["C0", "gvar"]) if stores else "gvar"
    if name in {a.arg for a in fn.args.args}:
        name = "gvar"
    fn.body.insert(0, ast.Global([name]))
    return True


def _m_yield(tree, rng):
    body = rng.choice(_bodies(tree))
    body.insert(rng.randrange(len(body) + 1), ast.Expr(ast.Yield(ast.Name("x", ast.Load()))))
    return True


def _m_async(tree, rng):
    fns = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    fn = rng.choice(fns)
    new = ast.AsyncFunctionDef(
        fn.name, fn.args, fn.body, fn.decorator_list, fn.returns, fn.type_comment
    )
    if hasattr(fn, "type_params"):
        new.type_params = fn.type_params
    _replace(tree, fn, new)
    return True


def _m_lambda(tree, rng):
    exprs = _expressions(_f_def(tree))
    if not exprs:
        return False
    target = rng.choice(exprs)
    new = _parse(f"(lambda z: z * 2.0 + 1.0)({ast.unparse(target)})").body[0].value
    _replace(tree, target, new)
    return True


def _m_try(tree, rng):
    body = rng.choice(_bodies(tree))
    k = rng.randrange(len(body))
    handler = rng.choice(("pass", "raise", "x = 0.0"))
    wrapped = _parse(f"try:\n    pass\nexcept Exception:\n    {handler}").body[0]
    wrapped.body = [body[k]]
    body[k] = wrapped
    return True


def _m_with(tree, rng):
    body = rng.choice(_bodies(tree))
    k = rng.randrange(len(body))
    ctx = rng.choice(("np.errstate(all='ignore')", "open(__file__)"))
    wrapped = _parse(f"with {ctx}:\n    pass").body[0]
    wrapped.body = [body[k]]
    body[k] = wrapped
    return True


def _m_star_call(tree, rng):
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call) and n.args]
    if calls and rng.random() < 0.7:
        call = rng.choice(calls)
        call.args = [ast.Starred(ast.List(call.args, ast.Load()), ast.Load())]
        return True
    fn = _f_def(tree)
    kind = rng.choice(("vararg", "kwarg"))
    setattr(fn.args, kind, ast.arg(kind[:-3] + "s" if kind == "vararg" else "kwargs"))
    return True


def _m_string(tree, rng):
    consts = [
        n for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, float)
    ]
    exprs = _expressions(_f_def(tree))
    choice = rng.randrange(4)
    if choice == 0 and consts:
        rng.choice(consts).value = rng.choice(("abc", "1.5", ""))
        return True
    if not exprs:
        return False
    target = rng.choice(exprs)
    text = ast.unparse(target)
    new_text = [
        f"float(str({text}))",
        f"float(f'{{{text}}}')",
        f"{text} * len('ab' + 'c')",
        f"({text}) + 'suffix'",
    ][rng.randrange(4)]
    _replace(tree, target, _parse(new_text).body[0].value)
    return True


def _m_structural(tree, rng):
    """Odd statements: del, assert, nonlocal-free nested import, a bare expression, ``x = x.T``."""
    body = rng.choice(_bodies(tree))
    text = rng.choice(
        (
            "import math as m2",
            "assert True",
            "x = x * 1",
            "print",
            "x.T",
            "del C0",
            "return (x, x)",
            "return None",
            "return x",
        )
    )
    body.insert(
        rng.randrange(len(body) + 1),
        _parse(text).body[0]
        if "return" not in text
        else (ast.parse("def _():\n    " + text).body[0].body[0]),
    )
    return True


_AST_MUTATIONS = {
    "swap_op": _m_swap_op,
    "delete_stmt": _m_delete_stmt,
    "replace_name": _m_replace_name,
    "global": _m_global,
    "yield": _m_yield,
    "async": _m_async,
    "lambda": _m_lambda,
    "try": _m_try,
    "with": _m_with,
    "star_args": _m_star_call,
    "string": _m_string,
    "structural": _m_structural,
}


def _indent(source: str, rng: random.Random) -> str:
    lines = source.split("\n")
    candidates = [k for k, line in enumerate(lines) if line.startswith("    ")]
    if not candidates:
        return source
    k = rng.choice(candidates)
    lines[k] = lines[k][4:] if rng.random() < 0.6 else "    " + lines[k]
    return "\n".join(lines)


MUTATION_KINDS = tuple(_AST_MUTATIONS) + ("indent",)


def mutate(source: str, rng: random.Random, kind: str | None = None) -> tuple[str, str]:
    """``(kind, mutated source)``: one random mutation of ``source``."""
    kind = kind or rng.choice(MUTATION_KINDS)
    if kind == "indent":
        return kind, _indent(source, rng)
    tree = ast.parse(source)
    try:
        if not _AST_MUTATIONS[kind](tree, rng):
            return kind, source
    except SyntaxError:  # the new text does not parse (a quote nested in an f-string)
        return kind, source
    return kind, ast.unparse(ast.fix_missing_locations(tree)) + "\n"
