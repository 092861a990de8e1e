"""Source mode reads the function the user runs: the right lambda of a line, the text the code
was compiled from, and refusals (not zeros) for what it cannot differentiate."""

from __future__ import annotations

import functools
import importlib
import inspect
import sys
import textwrap

import numpy as np
import pytest
from fd import assert_close, numeric_grad

import pullback as pb


@pytest.fixture
def module(tmp_path, monkeypatch):
    """Write ``text`` as a fresh module and import it."""
    monkeypatch.syspath_prepend(str(tmp_path))
    made = []

    def make(name, text):
        path = tmp_path / f"{name}.py"
        path.write_text(textwrap.dedent(text))
        made.append(name)
        importlib.invalidate_caches()
        return importlib.import_module(name), path

    yield make
    for name in made:
        sys.modules.pop(name, None)


# -- 1. several lambdas on one line ----------------------------------------------------------
LAMBDAS = """\
import numpy as np
fs = [lambda t: np.sin(t), lambda t: np.cos(t)]
sq = lambda t: t ** 3; dbl = lambda t: t * 2
pair = (lambda t: t * t, lambda t: t * t * t)
"""


@pytest.mark.parametrize("mode", ("source", "tape", "graph"))
@pytest.mark.parametrize("which", ("fs0", "fs1", "sq", "dbl", "pair0", "pair1"))
def test_each_lambda_of_a_line_gets_its_own_derivative(module, which, mode):
    mod, _ = module(f"lambdas_{which}_{mode}", LAMBDAS)
    f = {
        "fs0": mod.fs[0], "fs1": mod.fs[1], "sq": mod.sq, "dbl": mod.dbl,
        "pair0": mod.pair[0], "pair1": mod.pair[1],
    }[which]  # fmt: skip
    for x in (0.0, 0.7, -1.3):
        assert_close(pb.grad(f, mode=mode)(x), numeric_grad(f, (x,)))


# -- 2. the file changed since import ----------------------------------------------------------
def test_a_file_edited_after_import_is_refused(module):
    mod, path = module("edited_after_import", "def f(x):\n    return x * x\n")
    path.write_text("def f(x):\n    return x * x * x\n")
    assert mod.f(3.0) == 9.0
    with pytest.raises(pb.PullbackError, match="changed since it was imported") as info:
        pb.grad(mod.f)(3.0)
    assert "edited_after_import.py" in str(info.value)
    assert "reload" in str(info.value)
    importlib.reload(mod)
    assert pb.grad(mod.f)(3.0) == pytest.approx(27.0)


def test_a_derivative_built_before_the_edit_stays_that_of_the_running_code(module):
    mod, path = module("edited_after_grad", "def f(x):\n    return x * x\n")
    assert pb.grad(mod.f)(3.0) == pytest.approx(6.0)
    path.write_text("def f(x):\n    return x * x * x\n")
    assert pb.grad(mod.f)(3.0) == pytest.approx(6.0)  # f still computes x * x


def test_an_edit_elsewhere_in_the_file_is_not_a_change_of_the_function(module):
    mod, path = module("edited_elsewhere", "def f(x):\n    return x * x\n")
    path.write_text("def f(x):\n    return x * x\n\n\ndef g(x):\n    return x\n")
    assert pb.grad(mod.f)(3.0) == pytest.approx(6.0)


# -- 3. values that would reach a callee only through *args / **kwargs -------------------------
def takes_star_args(*args):
    return args[0] * 2.0


def takes_star_kwargs(**kw):
    return kw["a"] * 2.0


def two(a, b):
    return a * b


def through_star_args(x):
    return takes_star_args(x)


def through_star_kwargs(x):
    return takes_star_kwargs(a=x)


def star_call(x):
    t = (x, 2.0)
    return two(*t)


def double_star_call(x):
    kw = {"a": x, "b": 2.0}
    return two(**kw)


@pytest.mark.parametrize("mode", ["source", "tape", "graph"])
@pytest.mark.parametrize("f", [through_star_args, through_star_kwargs], ids=lambda f: f.__name__)
def test_a_value_through_a_callees_star_parameters_gets_its_derivative(f, mode):
    # the callee is specialized per call (binding.specialize_packed): not zero, not refused
    assert pb.grad(f, mode=mode)(1.5) == pytest.approx(2.0)
    assert pb.jvp(f, (1.5,), (1.0,), mode=mode)[1] == pytest.approx(2.0)


@pytest.mark.parametrize("f", [star_call, double_star_call], ids=lambda f: f.__name__)
def test_a_value_through_star_arguments_is_refused_not_zeroed(f):
    with pytest.raises(pb.UnsupportedSyntaxError) as info:
        pb.grad(f)(1.5)
    assert info.value.filename.endswith("test_trust_frontend.py")
    assert "*" in str(info.value)


def test_constants_through_star_arguments_still_work():
    def f(x):
        return takes_star_args(3.0) * x

    assert pb.grad(f)(1.5) == pytest.approx(6.0)


# -- 4. functions whose call returns an object, not a value -----------------------------------
async def coroutine(x):
    return x * x


def generator(x):
    yield x * x


async def async_generator(x):
    yield x * x


@pytest.mark.parametrize("mode", ("source", "tape", "graph"))
@pytest.mark.parametrize("f", [coroutine, generator, async_generator], ids=lambda f: f.__name__)
def test_coroutines_and_generators_are_refused(f, mode):
    with pytest.raises(pb.PullbackError):
        pb.grad(f, mode=mode)(2.0)


# -- 5. Numba dispatchers ---------------------------------------------------------------------
@pytest.mark.parametrize("mode", ("tape", "graph"))
def test_a_numba_function_gets_a_clear_error(mode):
    numba = pytest.importorskip("numba")

    @numba.njit
    def kernel(x):
        return x * x

    with pytest.raises(pb.PullbackError, match="Numba") as info:
        pb.grad(kernel, mode=mode)(2.0)
    assert "py_func" in str(info.value)


def test_a_numba_function_is_differentiated_in_source_mode():
    numba = pytest.importorskip("numba")

    @numba.njit
    def kernel(x):
        return x * x

    assert pb.grad(kernel)(2.0) == pytest.approx(4.0)  # its py_func, compiled by default


# -- 6. *args parameters and argnums ----------------------------------------------------------
def star_params(*xs):
    return xs[0] * xs[0]


def test_argnums_into_star_parameters_says_so():
    with pytest.raises(pb.PullbackError, match=r"\*xs"):
        pb.grad(star_params)(1.0)


# -- 7. methods of user objects ---------------------------------------------------------------
class Model:
    def __init__(self, scale):
        self.scale = scale

    def loss(self, x):
        return np.sum(self.scale * x * x)


MODEL = Model(1.5)


def through_a_global_object(x):
    return MODEL.loss(x)


def through_an_object_argument(m, x):
    return m.loss(x)


@pytest.mark.parametrize("mode", ("source", "tape", "graph"))
def test_methods_of_user_objects(mode):
    x = np.array([0.5, -1.0, 2.0])
    assert_close(pb.grad(through_a_global_object, mode=mode)(x), 3.0 * x)
    # the object's class is known only when running: the method is resolved at the call
    assert_close(pb.grad(through_an_object_argument, 1, mode=mode)(MODEL, x), 3.0 * x)
    tangent = pb.jvp(lambda x: through_an_object_argument(MODEL, x), (x,), (x,), mode=mode)[1]
    assert_close(tangent, 3.0 * np.sum(x * x))


# -- 8. wrapped callables are named readably ---------------------------------------------------
def cosh_of(a, x):
    return np.cosh(a * x)


PARTIAL = functools.partial(cosh_of, 2.0)
VECTORIZED = np.vectorize(lambda t: t * 2.0)


def calls_partial(x):
    return PARTIAL(x)


def calls_vectorized(x):
    return np.sum(VECTORIZED(x))


@pytest.mark.parametrize(
    "f, x, says",
    [
        (calls_partial, 1.0, "functools.partial(test_trust_frontend.cosh_of, ...)"),
        (calls_vectorized, np.ones(2), "numpy.vectorize("),
    ],
    ids=("partial", "vectorize"),
)
def test_wrapped_callables_are_named_readably(f, x, says):
    with pytest.raises(pb.PullbackError) as info:
        pb.grad(f)(x)
    text = str(info.value)
    assert says in text
    assert "pb.defvjp(" not in text  # no hint that is not code
    assert info.value.filename.endswith("test_trust_frontend.py")


def test_a_partial_runs_in_tape_mode():
    assert pb.grad(calls_partial, mode="tape")(1.0) == pytest.approx(2.0 * np.sinh(2.0))


# -- 9. inspect shows the derivative -----------------------------------------------------------
def square(x):
    return x * x


def test_inspect_getsource_of_a_derivative_is_its_generated_code():
    df = pb.grad(square)
    df(1.0)
    text = inspect.getsource(df)
    assert text.lstrip().startswith("def grad_square(")
    assert df.__name__ == "grad_square" or "square" in df.__name__
