"""A corpus of ordinary user functions, grouped by feature, with sample arguments.

Every mode runs it: each case is differentiated with respect to ``argnums`` and compared with
central differences (``tests/fd.py``). ``modes`` lists the modes expected to handle the case
(source mode handles all; a run-time mode may skip a case marked otherwise).

    from corpus import CORPUS
    for case in CORPUS:
        pb.grad(case.fn, case.argnums, mode=...)(*case.args)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

import pullback as pb

RNG = np.random.default_rng(1)
VEC = RNG.uniform(0.5, 1.5, size=5)
MAT = RNG.normal(size=(3, 4))
MAT2 = RNG.normal(size=(4, 2))
SQ = RNG.normal(size=(3, 3)) + 3 * np.eye(3)
SCALE = 1.5


@dataclass
class Case:
    name: str
    fn: Callable
    args: tuple
    argnums: int | tuple = 0
    feature: str = ""
    modes: tuple = ("source", "tape", "graph")
    kwargs: dict = field(default_factory=dict)
    expected: Callable | None = None  # the gradient, where differences cannot give it


CORPUS: list[Case] = []


def case(feature, *args, argnums=0, modes=("source", "tape", "graph"), name=None, kwargs=None):
    def register(fn):
        CORPUS.append(Case(name or fn.__name__, fn, args, argnums, feature, modes,
                           kwargs or {}))
        return fn

    return register


# -- straight-line code ----------------------------------------------------------------------


@case("assignment", 3.0)
def intro(x):
    a = x * x
    b = np.log(a)
    return b


@case("assignment", VEC)
def intro_array(x):
    return np.sum(np.log(x * x))


@case("assignment", 0.7, 1.3, argnums=(0, 1))
def poly(x, y):
    return 3.0 * x**3 - x * y + y**2 / x - 2.0 * x + 1.0


@case("assignment", 0.4)
@case("assignment", VEC * 0.3, name="overwrite_array")
def overwrite(x):
    x = np.sin(x)
    x = x * x + 1.0
    y = x
    x = np.exp(-x)
    return np.sum(x * y)


@case("augmented assignment", 0.9)
def augmented(x):
    y = x
    y += 2.0 * x
    y *= x
    y -= 1.0
    y /= 2.0
    y **= 2
    return y


@case("tuple unpacking", 0.3, 0.8, argnums=(0, 1))
def unpacking(x, y):
    a, b = x * y, x + y
    a, b = b, a
    c, (d, e) = a, (b, x)
    return a * b + c * d - e


@case("aliasing", VEC)
def aliasing(x):
    y = x
    z = y * 2.0
    y = z + x
    return np.sum(y * x)


@case("math module", 0.6)
def math_fns(x):
    return math.sin(x) * math.exp(x) + math.log(1.0 + x) - math.tanh(x)


@case("builtins", -0.7)
def builtins_abs(x):
    return abs(x) * 2.0 + float(x) * x


@case("constants", 0.6)
def module_constant(x):
    return SCALE * x * np.pi


# -- branches --------------------------------------------------------------------------------


@case("if/elif/else", 0.5)
@case("if/elif/else", -0.5, name="branch_negative")
@case("if/elif/else", 2.5, name="branch_large")
def branch(x):
    if x > 2.0:
        y = x * x
    elif x > 0.0:
        y = np.sin(x)
        if y > 0.3:
            y = y * 3.0
    else:
        y = -x * 2.0
    return y * x


@case("conditional expression", 0.5)
@case("conditional expression", -0.5, name="ifexp_negative")
def ifexp(x):
    y = x * x if x > 0 else x * 3.0
    return y + (np.cos(x) if y < 1.0 else x)


@case("and/or/not", 0.5, 1.5, argnums=(0, 1))
@case("and/or/not", -0.5, 1.5, argnums=(0, 1), name="boolean_other")
def boolean(x, y):
    if x > 0 and y > 1 or not (x < -1):
        z = x * y
    else:
        z = x + y
    if not x > 0:
        z = z * 2.0
    return z


@case("chained comparison", 0.5)
@case("chained comparison", 1.5, name="chained_outside")
def chained(x):
    if 0.0 < x < 1.0:
        return x * x
    return x * 3.0


@case("early return", 0.5)
@case("early return", -0.5, name="early_return_negative")
def early_return(x):
    if x < 0:
        return -x * x
    y = np.exp(x)
    return y * x


# -- loops -----------------------------------------------------------------------------------


@case("while", 0.5)
def while_tanh(x):
    i = 0
    while i < 10:
        x = np.tanh(x)
        i += 1
    return x


@case("while, data-dependent", 0.3)
def while_data(x):
    y = x
    while y < 10.0:
        y = y * 1.7 + x
    return y


@case("for range", 0.4)
@case("for range", VEC * 0.2, name="for_range_array")
def for_range(x):
    y = 0.0
    for i in range(5):
        y = y + np.sin(x * i) * x
    return np.sum(y)


@case("for range, data-dependent bound", 0.8, 3)
def for_data_bound(x, n):
    y = x
    for i in range(1, n + 2):
        y = y * x + i
    return y


@case("for over array", VEC)
def for_array(x):
    total = 0.0
    for v in x:
        total = total + v * v
    return total


@case("for over list", 0.7)
def for_list(x):
    total = 0.0
    for c in [1.0, 2.0, x, x * x]:
        total = total + c * x
    return total


@case("zip and enumerate", VEC, VEC[::-1].copy(), argnums=(0, 1))
def zip_enumerate(x, y):
    total = 0.0
    for a, b in zip(x, y):
        total = total + a * b
    for i, a in enumerate(x):
        total = total + i * a * a
    return total


@case("nested loops", 0.3)
def nested_loops(x):
    y = x
    for i in range(3):
        for j in range(i + 1):
            y = y * np.cos(y) + x * j
    return y


@case("break", 0.5)
def loop_break(x):
    y = x
    for i in range(20):
        y = y * 1.5
        if y > 3.0:
            break
    return y


@case("continue", 0.5)
def loop_continue(x):
    y = 0.0
    for i in range(6):
        if i % 2 == 0:
            continue
        y = y + x ** i
    return y


@case("while with break and continue", 0.5)
def while_break_continue(x):
    i = 0
    y = x
    while True:
        i += 1
        if i == 2:
            continue
        y = np.sin(y) + x
        if i >= 5:
            break
    return y


@case("return inside a loop", 0.9)
@case("return inside a loop", 0.1, name="return_in_loop_late")
def return_in_loop(x):
    y = x
    for i in range(10):
        y = y * 2.0
        if y > 3.0:
            return y * x
    return -y


# -- calls -----------------------------------------------------------------------------------


def helper(a, b=2.0):
    return np.sin(a) * b


def square_plus(a, *, shift=0.0):
    return a * a + shift


@case("user function", 0.7)
def calls_helper(x):
    return helper(x) + helper(x * x, b=x) + square_plus(x, shift=1.0)


def power_rec(x, n):
    if n == 0:
        return 1.0
    return x * power_rec(x, n - 1)


@case("recursion", 1.3)
def recursion(x):
    return power_rec(x, 4)


@case("nested def closure", 0.6)
def nested_def(x):
    scale = x * 2.0

    def inner(v):
        return v * scale + np.sin(v)

    return inner(x) + inner(x * x)


def make_scaled(k):
    def scaled(x):
        return np.tanh(k * x) * x

    return scaled


closure_fn = make_scaled(1.7)
CORPUS.append(Case("factory closure", closure_fn, (0.4,), 0, "closure from a factory"))


@case("lambda", 0.6)
def with_lambda(x):
    sq = lambda v: v * v + 1.0  # noqa: E731
    return sq(x) * sq(2.0 * x)


@case("default and keyword arguments", 0.6)
def defaults(x, scale=3.0):
    return helper(a=x, b=scale) * scale


# -- containers ------------------------------------------------------------------------------


@case("lists", 0.5)
def lists(x):
    values = [x, x * 2.0]
    values.append(np.sin(x))
    total = 0.0
    for v in values:
        total = total + v * values[0]
    return total + values[-1]


@case("list comprehension", VEC)
def list_comprehension(x):
    squares = [v * v for v in x if v > 0.7]
    return sum(squares) + sum(np.sin(v) for v in x)


@case("max/min over generator", VEC)
def max_min(x):
    return max(v * v for v in x) - min(np.cos(v) for v in x) + max(x[0], x[1])


@case("dicts", 0.5)
def dicts(x):
    d = {"a": x, "b": x * x}
    d["c"] = d["a"] * d["b"]
    return d["c"] + d["b"]


@case("tuples", 0.5)
def tuples(x):
    t = (x, np.exp(x))
    u = t + (x,)
    return t[0] * t[1] + u[2]


@case("pytree argument", {"w": VEC, "b": 0.5})
def pytree_arg(params):
    return np.sum(np.tanh(params["w"] * 2.0 + params["b"]))


# -- arrays ----------------------------------------------------------------------------------


@case("array methods and attributes", MAT)
def array_methods(x):
    y = x.T @ x
    return y.sum() + x.reshape(-1).sum() * x.shape[0] + np.mean(x)


@case("slicing and fancy indexing", MAT)
def indexing(x):
    return np.sum(x[1:, ::2] ** 2) + np.sum(x[[0, 2], 1]) * x[0, 0]


@case("matmul", MAT, MAT2, argnums=(0, 1))
def matmul(a, b):
    return np.sum(np.tanh(a @ b))


@case("broadcasting", MAT, VEC[:4].copy(), argnums=(0, 1))
def broadcasting(a, b):
    return np.sum((a + b) * b)


@case("index assignment", VEC)
def index_assign(x):
    y = np.zeros(5)
    y[0] = x[1] * 2.0
    y[1:3] = x[2:4] * x[0]
    y[2] += x[4]
    return np.sum(y * x)


@case("index assignment into argument", VEC.copy(), modes=("source",))
def index_assign_arg(x):
    x[0] = x[1] * x[2]
    x[2] += 1.0
    return np.sum(x * x)


@case("index assignment in a loop", VEC)
def index_assign_loop(x):
    y = np.zeros(5)
    for i in range(5):
        y[i] = x[i] * y[i - 1] + x[i] if i > 0 else x[i]
    return np.sum(y)


@case("side effects", 0.5)
def side_effects(x):
    y = x * 2.0
    print("value", y)
    for i in range(2):
        print(i)
        y = y * x
    return y


def stopped(x):
    return x * pb.stop_gradient(x * x)


CORPUS.append(Case("stop_gradient", stopped, (0.5,), 0, "stop_gradient",
                   expected=lambda x: x * x))


# -- iteration: nested combinators, dicts, rows ------------------------------------------------


@case("iteration", 0.7)
def dict_keys_comprehension(x):
    acc = {"a": x, "b": x * 2}
    vals = [acc[k] ** 2 for k in acc]
    n = len(acc)
    has = 1.0 if "a" in acc else 0.0
    return sum(vals) / n + has * x


@case("iteration", VEC, VEC + 1.0, argnums=(0, 1))
def enumerate_zip(xs, ws):
    total = 0.0
    for i, (x, w) in enumerate(zip(xs, ws)):
        total = total + (i + 1) * x * w
    return total


@case("iteration", VEC, VEC + 1.0, argnums=(0, 1))
def zip_of_enumerate(xs, ws):
    total = 0.0
    for x, (i, w) in zip(xs, enumerate(ws, 1)):
        total = total + i * np.sin(x * w)
    return total


@case("iteration", VEC, VEC + 1.0, VEC * 2, argnums=(0, 1, 2))
def zip_three(xs, ws, bs):
    return sum(x * w + b for x, w, b in zip(xs, ws, bs))


@case("iteration", VEC)
def reversed_range(x):
    y = x
    for i in reversed(range(3)):
        y = y * (i + 1.0) + np.sin(y)
    return np.sum(y)


@case("iteration", VEC)
def range_step(x):
    total = 0.0
    for i in range(1, len(x), 2):
        total = total + x[i] * x[i - 1]
    return total


@case("iteration", VEC, VEC * 2, argnums=(0, 1))
def tuple_of_arrays(a, b):
    total = 0.0
    for v in (a, b, a * b):
        total = total + np.sum(v**2)
    return total


@case("iteration", MAT)
def matrix_rows(A):
    total = 0.0
    for row in A:
        total = total + np.sum(np.tanh(row)) * row[0]
    return total


@case("iteration", {"w": VEC, "b": MAT})
def dict_param_loops(params):
    total = 0.0
    for key in params:
        total = total + np.sum(params[key] ** 2)
    for _, v in params.items():
        total = total + np.sum(v)
    return total


@case("iteration", [0.3, 0.5, 0.9])
def reversed_list(xs):
    out = []
    for x in reversed(xs):
        out.append(x * x)
    return out[0] + 2.0 * out[-1]


# -- local functions as values: factories, aliases, higher-order, *args/**kwargs, starred ------


@case("local functions as values", 0.7)
def local_factory(x):
    def make(k):
        def g(v):
            return v * k

        return g

    g3 = make(3.0)
    g5 = make(5.0)
    return g3(x) * x + g5(x)


@case("local functions as values", 0.7)
def factory_of_lambda(x):
    def make(k):
        return lambda v: np.sin(v) * k

    f = make(2.0)
    h = f
    return h(x) + f(x * x)


@case("local functions as values", 0.7)
def function_arguments(x):
    def apply(fn, v):
        return fn(fn(v))

    def sq(v):
        return v * v + 0.1

    return apply(sq, x) + apply(np.tanh, x)


@case("local functions as values", 0.7)
def lambda_with_default(x):
    scale = lambda v, k=2.0: v * k  # noqa: E731
    return scale(x) + scale(x, k=3.0)


@case("local functions as values", 0.7)
def nested_varargs_kwargs(x):
    def total(*vals):
        s = 0.0
        for v in vals:
            s = s + v * v
        return s

    def forward(*args, **kwargs):
        return total(*args) * scaled(x, **kwargs)

    def scaled(a, b=1.0, **unused):
        return a * b

    return total(x, x * 2.0) + forward(x, 1.0, b=3.0, c=2.0)


@case("starred assignment", 0.7)
def starred_targets(x):
    first, *rest = [x, x * 2, x * 3]
    *init, last = (x, x + 1.0, x * x)
    a, *mid, b = [x, x * 2, x * 3, x * 4]
    return first * sum(rest) + last * init[0] + a * b * mid[1]


@case("starred assignment", VEC)
def starred_array(v):
    head, *tail, end = v
    return head * np.sum(tail) + end


# -- methods: bound, unbound, self.m(...), static and class methods, properties ---------------


class Model:
    """A model whose loss calls its own methods; its attributes are constants."""

    def __init__(self, scale):
        self.scale = scale
        self.W = np.array([[0.5, -0.2, 0.1], [0.1, 0.3, -0.4]])

    @property
    def shift(self):
        return self.scale * 0.5

    def features(self, w):
        return np.tanh(self.W @ w) * self.scale

    def loss(self, w):
        h = self.features(w)
        return np.sum(h**2) + self.shift * np.sum(w) + self.penalty(w) + Model.norm(w)

    def penalty(self, w):
        return 0.1 * self.squared(w) + type(self).weight() * np.sum(w)

    @staticmethod
    def squared(w):
        return np.sum(w**4)

    @classmethod
    def weight(cls):
        return 0.25

    @classmethod
    def norm(cls, w):
        return cls.weight() * np.sum(w * w)

    def scaled_loss(self, a, w):
        return a * self.loss(w)


class SmoothModel(Model):
    def penalty(self, w):
        return np.sum(np.sin(w))


MODEL = Model(2.0)
# bound methods (MODEL.loss) and subclass receivers: tests/test_source_methods.py
CORPUS.append(Case("unbound_method", Model.loss, (MODEL, VEC[:3]), 1, "methods"))


def calls_global_model(w):
    return MODEL.loss(w) * np.sum(w)


CORPUS.append(Case("global_instance_method", calls_global_model, (VEC[:3],), 0, "methods"))


# -- probed user code: physics, statistics, loops over shapes, mixed arguments ---------------


G_SCALE = 2.0


@case("physics and statistics", 0.5)
def verlet(x):
    state = (x, 0.0)
    dt = 0.1
    for _ in range(5):
        pos, vel = state
        acc = -np.sin(pos)
        vel = vel + dt * acc
        pos = pos + dt * vel
        state = (pos, vel)
    return state[0] ** 2 + state[1]


@case("physics and statistics", VEC)
def stats(x):
    n = len(x)
    mean = sum(x) / n
    var = sum((xi - mean) ** 2 for xi in x) / (n - 1)
    return math.sqrt(var) + abs(mean)


@case("physics and statistics", VEC[:2])
def solve_loop(b):
    M = np.array([[3.0, 0.5], [0.2, 2.0]])
    x = b
    for _ in range(3):
        x = np.linalg.solve(M, x + 0.1 * b)
    return np.sum(x ** 2)


@case("loops over shapes and 2-D arrays", 0.5)
def while_true(x):
    y = x
    k = 0
    while True:
        y = y * 0.9 + 0.1 * np.sin(y)
        k += 1
        if k >= 4:
            break
    return y


@case("loops over shapes and 2-D arrays", MAT)
def nested_2d(A):
    n, m = A.shape
    total = 0.0
    for i in range(n):
        for j in range(m):
            total = total + A[i, j] * (i + 1) * math.cos(A[i, j])
    return total


@case("loops over shapes and 2-D arrays", MAT)
def inplace_2d(A):
    B = np.zeros_like(A)
    for i in range(A.shape[0]):
        for j in range(A.shape[1]):
            B[i, j] = A[i, j] ** 2 + (B[i - 1, j] if i > 0 else 0.0)
    return np.sum(B)


@case("loops over shapes and 2-D arrays", VEC)
def range_len(x):
    total = 0.0
    for i in range(len(x) - 1):
        total = total + (x[i + 1] - x[i]) ** 2
    return total


@case("loops over shapes and 2-D arrays", VEC)
def shape_loop(x):
    total = 0.0
    for i in range(x.shape[0]):
        total = total + x[i] * x[-1 - i]
    return total


@case("loops over shapes and 2-D arrays", 0.5)
def chained_while(x):
    y = x
    i = 0
    while 0 <= i < 5 and y < 100.0:
        y = y * 1.5
        i += 1
    return y


@case("loops over shapes and 2-D arrays", 0.5)
def ternary_loop(x):
    y = 0.0
    for i in range(4):
        y = y + (x if i % 2 == 0 else -x) * i
    return y


@case("non-differentiable arguments and helpers", 0.5, "sq", 2, True)
def mixed_args(x, name="sq", n=3, flag=True, extra=None):
    y = x
    if name == "sq":
        y = y * y
    for _ in range(n):
        y = y + 0.1 * x
    if flag and extra is None:
        y = y * 2.0
    return y


@case("non-differentiable arguments and helpers", VEC)
def kwonly(x, *, scale=2.0, shift=0.5):
    return np.sum((x * scale + shift) ** 2)


@case("non-differentiable arguments and helpers", 0.5)
def default_global(x, s=G_SCALE):
    return x * s


@case("non-differentiable arguments and helpers", 0.5)
def math_np(x):
    return math.exp(-x) * np.cos(x) + math.log1p(x) + np.hypot(x, 1.0)


@case("non-differentiable arguments and helpers", VEC)
def any_all(x):
    if (x > 0).all():
        y = np.sum(np.log(x))
    else:
        y = np.sum(x)
    if np.any(x > 1.0):
        y = y * 2.0
    return y


@case("non-differentiable arguments and helpers", 0.5)
def isinst(x):
    if isinstance(x, float):
        return x * x
    return np.sum(x * x)


@case("non-differentiable arguments and helpers", 0.5)
def asserting(x):
    assert x > 0, "positive"
    return np.sqrt(x)


@case("non-differentiable arguments and helpers", 0.5)
def printing(x):
    y = x * 2
    print(f"y = {y:.3f}")
    return y * x


@case("non-differentiable arguments and helpers", 0.55)
def rounding(x):
    k = round(x * 3)
    return x * k + abs(x) * int(2.7)


@case("non-differentiable arguments and helpers", VEC)
def rng_inside(x):
    rng = np.random.default_rng(0)
    noise = rng.normal(size=x.shape)
    return np.sum((x + 0.1 * noise) ** 2)


@case("lists, dicts and comprehensions", VEC)
def cond_comp(x):
    return sum([v * 2 if v > 0.5 else v for v in x])


@case("lists, dicts and comprehensions", MAT)
def nested_comp(A):
    return sum([sum([a * a for a in row]) for row in A])


@case("lists, dicts and comprehensions", 0.5)
def list_len(x):
    items = [x, x * 2.0, np.sin(x)]
    return sum(items) / len(items)


@case("lists, dicts and comprehensions", 0.5)
def dict_values(x):
    d = {"a": x, "b": x * 3.0}
    return sum(d.values()) + max(d.values())


@case("lists, dicts and comprehensions", 0.5)
def lst_extend(x):
    out = [x]
    out = out + [x * 2]
    out += [x * 3]
    return sum(out)


@case("array functions", VEC)
def neg_index_slice(x):
    return np.sum(x[::-1][1:] * x[:-1])


@case("array functions", VEC)
def np_where(x):
    return np.sum(np.where(x > 0.5, x ** 2, -x))


@case("array functions", VEC)
def clip_max(x):
    return np.sum(np.clip(x, 0.2, 0.9)) + np.max(x) + x.max()


@case("array functions", MAT)
def matrix_ops(A):
    return np.trace(A @ A.T) + np.sum(A.sum(axis=0) ** 2) + np.max(np.abs(A))


# -- workloads -------------------------------------------------------------------------------


def mlp_loss(W1, b1, W2, b2, X, T):
    h = np.tanh(X @ W1 + b1)
    y = h @ W2 + b2
    return np.mean((y - T) ** 2)


_X = RNG.normal(size=(6, 4))
CORPUS.append(Case("mlp", mlp_loss, (RNG.normal(size=(4, 5)) * 0.3, np.zeros(5),
                                     RNG.normal(size=(5, 3)) * 0.3, np.zeros(3), _X,
                                     RNG.normal(size=(6, 3))), (0, 1, 2, 3), "mlp"))


def rnn_loss(Wx, Wh, b, xs, h0):
    h = h0
    for t in range(xs.shape[0]):
        h = np.tanh(xs[t] @ Wx + h @ Wh + b)
    return np.sum(h**2)


CORPUS.append(Case("rnn", rnn_loss, (RNG.normal(size=(3, 4)) * 0.3, RNG.normal(size=(4, 4)) * 0.3,
                                     np.zeros(4), RNG.normal(size=(5, 2, 3)), np.zeros((2, 4))),
                   (0, 1, 2), "rnn"))
