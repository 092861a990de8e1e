"""Source mode errors: rejected constructs, missing rules, misuse, internal failures."""

import inspect
import linecache
import traceback

import numpy as np
import pytest
import source_rejects

import pullback as pb
from pullback.source import cache
from pullback.source.common.files import is_generated


def _marked_line(fn):
    lines, first = inspect.getsourcelines(fn)
    for k, line in enumerate(lines):
        if "# REJECT" in line:
            return first + k
    raise AssertionError("no # REJECT marker")


@pytest.mark.parametrize("fn", source_rejects.REJECTED, ids=lambda f: f.__name__)
def test_rejected_with_line_and_caret(fn):
    with pytest.raises(pb.UnsupportedSyntaxError) as info:
        pb.grad(fn)
    err = info.value
    assert err.lineno == _marked_line(fn)
    assert err.filename.endswith("source_rejects.py")
    assert err.col_offset is not None
    text = str(err)
    assert "^" in text and err.line and err.line.strip() in text
    assert err.hint


@pytest.mark.parametrize("fn", source_rejects.REJECTED, ids=lambda f: f.__name__)
def test_rejection_is_a_pullback_error_only(fn):
    try:
        pb.grad(fn)
    except pb.PullbackError as err:
        assert not isinstance(
            err, (KeyError, AttributeError, NameError, IndexError, AssertionError)
        )
        assert err.__cause__ is None or isinstance(err.__cause__, pb.PullbackError)


def no_source_function():
    namespace = {}
    exec("def f(x):\n    return x * 2\n", namespace)
    return namespace["f"]


def test_no_source_suggests_tape():
    with pytest.raises(pb.SourceUnavailableError, match="mode='tape'"):
        pb.grad(no_source_function())


def opaque(x):
    return x


COMPILED = np.frompyfunc(opaque, 1, 1)  # a compiled function nobody wrote a rule for


def calls_builtin_without_rule(x):
    return np.sum(COMPILED(x) * x)


def test_missing_rule_names_function_and_hint():
    with pytest.raises(pb.MissingRuleError) as info:
        pb.grad(calls_builtin_without_rule)(np.ones(3))
    err = info.value
    assert "opaque" in str(err)
    assert "defvjp" in str(err) and "custom_vjp" in str(err)
    assert err.lineno == inspect.getsourcelines(calls_builtin_without_rule)[1] + 1


def vector_out(x):
    return x * 2.0


def test_non_scalar_output():
    with pytest.raises(pb.PullbackError) as info:
        pb.grad(vector_out)(np.ones(3))
    assert isinstance(info.value, TypeError)
    assert "vjp" in str(info.value) and "jacobian" in str(info.value)


def square(x):
    return x * x


def test_integer_argument_is_a_type_error():
    with pytest.raises(TypeError, match="integer"):
        pb.grad(square)(3)
    with pytest.raises(TypeError):
        pb.grad(square)(np.arange(3))


def raises_inside(x):
    y = x * 2.0
    z = np.log(y) + undefined_helper(y)  # noqa: F821
    return z


def test_traceback_shows_generated_line_and_maps_back():
    with pytest.raises(pb.PullbackError):
        pb.grad(raises_inside)


def fails_at_run_time(x):
    y = np.sqrt(x)
    z = y[5]
    return z * x


def test_exception_in_generated_code_has_readable_traceback():
    df = pb.grad(fails_at_run_time)
    with pytest.raises(IndexError) as info:
        df(np.ones(3))
    frames = traceback.extract_tb(info.value.__traceback__)
    generated = [f for f in frames if is_generated(f.filename)]
    assert generated, frames
    frame = generated[-1]
    assert frame.line and "[5]" in frame.line  # linecache serves the generated text
    assert linecache.getline(frame.filename, frame.lineno).strip() == frame.line.strip()
    module = df.__pullback_module__
    origin = module.origin(frame.lineno)
    user_line = inspect.getsourcelines(fails_at_run_time)[1] + 2
    assert origin == (__file__, user_line)
    assert inspect.getsource(df.__pullback_generated__).startswith("def grad_fails_at_run_time")


def test_cache_returns_same_function_and_is_cheap():
    df = pb.grad(square)
    assert pb.grad(square) is df
    import timeit

    per_call = min(timeit.repeat(lambda: pb.grad(square), number=2000, repeat=3)) / 2000
    assert per_call < 50e-6


def test_redefined_function_gets_new_derivative():
    namespace = {}
    code = "import numpy as np\ndef f(x):\n    return x * {k}\n"
    linecache.cache["<redefine-test>"] = (
        1,
        None,
        code.format(k=2).splitlines(True),
        "<redefine-test>",
    )
    exec(compile(code.format(k=2), "<redefine-test>", "exec"), namespace)
    first = pb.grad(namespace["f"])
    assert first(1.0) == 2.0
    linecache.cache["<redefine-test>"] = (
        1,
        None,
        code.format(k=3).splitlines(True),
        "<redefine-test>",
    )
    exec(compile(code.format(k=3), "<redefine-test>", "exec"), namespace)
    second = pb.grad(namespace["f"])
    assert second is not first
    assert second(1.0) == 3.0


def test_cache_is_keyed_by_argnums():
    def f(x, y):
        return x * y

    assert pb.grad(f, 0) is not pb.grad(f, 1)
    assert pb.grad(f, 1)(2.0, 3.0) == 2.0


def test_cache_clear():
    cache.clear()
    assert pb.grad(square)(3.0) == 6.0
