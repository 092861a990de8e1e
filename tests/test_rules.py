"""The rule table, checked entry by entry against finite differences.

For every entry of ``rule_specs.SPECS`` and every differentiable argument it passes, in float64
with a fixed seed and several random inputs:

(a) the argument's JVP agrees with central differences of the primal along a random direction,
    and is shaped like the output;
(b) its VJP agrees with the JVP: ``<vjp(u), v> == <u, jvp(v)>`` for random ``u`` and ``v``,
    where ``<a, b> = Re(sum(a * b))`` (complex arguments and outputs: the README's convention);
(c) its VJP is shaped like the argument;
(d) or, for an argument the rule has no derivative in (``runtime.no_derivative``: the shape
    parameter of ``gammainc``), its JVP and VJP both raise an error naming it.

The table must name every registered rule, so coverage cannot shrink unnoticed.
"""

from __future__ import annotations

import copy
import importlib
import math
import operator
import subprocess
import sys
import warnings
import zlib

import numpy as np
import pytest
from rule_specs import SPECS, sample

from pullback import runtime
from pullback.errors import MissingRuleError
from pullback.rules import (
    all_rules,
    is_nondiff,
    lookup,
    lookup_method,
    lookup_name,
    qualified_name,
    require,
    supported_functions,
)

TRIALS = 2  # random inputs per entry
STEP = 1e-6  # central-difference step

# -- values as trees: arrays and floats at the leaves of lists and tuples, None a zero ------------


def _is_sequence(x) -> bool:
    return isinstance(x, (list, tuple))


def is_float_tree(x) -> bool:
    """A value that has a derivative: floats and float arrays, or lists of them."""
    if _is_sequence(x):
        return len(x) > 0 and all(is_float_tree(item) for item in x)
    if isinstance(x, (bool, np.bool_)):
        return False
    if isinstance(x, (float, complex, np.floating, np.complexfloating)):
        return True
    return isinstance(x, np.ndarray) and x.dtype.kind in "fc"


def random_like(x, rng):
    if _is_sequence(x):
        return [random_like(item, rng) for item in x]
    if isinstance(x, float):
        return float(rng.normal())
    if np.iscomplexobj(x):  # a complex value moves in both real directions at once
        return rng.normal(size=np.shape(x)) + 1j * rng.normal(size=np.shape(x))
    return rng.normal(size=np.shape(x))


def moved(x, step, direction):
    """``x + step * direction``, keeping lists lists and Python floats floats."""
    if _is_sequence(x):
        items = [moved(a, step, d) for a, d in zip(x, direction, strict=True)]
        return type(x)._make(items) if hasattr(type(x), "_make") else type(x)(items)
    return x + step * direction


def difference(plus, minus, step):
    if plus is None and minus is None:  # an entry that is a symbolic zero on both sides
        return 0.0
    if isinstance(plus, (str, bool, int, np.integer)):  # a solver's message or step count
        return 0.0
    if _is_sequence(plus):
        return [difference(p, m, step) for p, m in zip(plus, minus, strict=True)]
    kind = complex if np.iscomplexobj(plus) or np.iscomplexobj(minus) else float
    return (np.asarray(plus, kind) - np.asarray(minus, kind)) / (2 * step)


def inner(a, b) -> float:
    if a is None or b is None:
        return 0.0
    if _is_sequence(a) or _is_sequence(b):
        assert len(a) == len(b), f"structure differs: {len(a)} vs {len(b)} entries"
        return sum(inner(x, y) for x, y in zip(a, b, strict=True))
    return float(np.real(np.sum(np.asarray(a) * np.asarray(b))))  # Re: the complex pairing


def magnitude(x):
    if x is None:
        return None
    if _is_sequence(x):
        return [magnitude(item) for item in x]
    return np.abs(x)


def assert_shaped_like(value, reference, what):
    """Same structure and leaf shapes (a None leaf, a symbolic zero, fits anything)."""
    if value is None:
        return
    if _is_sequence(reference):
        assert _is_sequence(value), f"{what}: expected a list of {len(reference)}, got {value!r}"
        assert len(value) == len(reference), f"{what}: {len(value)} entries, not {len(reference)}"
        for v, ref in zip(value, reference, strict=True):
            assert_shaped_like(v, ref, what)
        return
    assert np.shape(value) == np.shape(reference), (
        f"{what}: shape {np.shape(value)}, expected {np.shape(reference)}"
    )


def assert_close(value, expected, rtol, what):
    if _is_sequence(expected):
        value = [None] * len(expected) if value is None else value
        for v, e in zip(value, expected, strict=True):
            assert_close(v, e, rtol, what)
        return
    kind = complex if np.iscomplexobj(expected) or np.iscomplexobj(value) else float
    expected = np.asarray(expected, kind)
    value = np.zeros_like(expected) if value is None else np.asarray(value, kind)
    finite = np.abs(expected[np.isfinite(expected)])
    scale = 1.0 + (finite.max() if finite.size else 0.0)
    np.testing.assert_allclose(value, expected, rtol=rtol, atol=rtol * scale, err_msg=what)


def assert_same(value, expected, what):
    if _is_sequence(expected):
        assert len(value) == len(expected), what
        for v, e in zip(value, expected, strict=True):
            assert_same(v, e, what)
        return
    np.testing.assert_array_equal(value, expected, err_msg=what)


# -- the check of one rule at one input ------------------------------------------------------


def with_argument(rule, args, kwargs, param, value):
    """``args, kwargs`` with the argument bound to ``param`` replaced by ``value``."""
    if param in kwargs:
        return args, {**kwargs, param: value}
    args = list(args)
    args[rule.params.index(param)] = value
    return args, kwargs


def refuses(rule, i, direction, ans, args, kwargs) -> bool:
    """Whether the rule has no derivative in its i-th argument (``runtime.no_derivative``):
    then its VJP must refuse too, naming the function."""
    try:
        rule.jvp_fn(i)(direction, ans, *args, **kwargs)
    except MissingRuleError as error:
        if "with respect to its argument" not in str(error):
            raise
        with pytest.raises(MissingRuleError, match=f"argument '{rule.diff_params[i]}'"):
            rule.vjp_fn(i)(np.ones_like(ans), ans, *args, **kwargs)
        return True
    return False


def check_rule(rule, fn, args, kwargs, rng, rtol, label):
    ans = fn(*args, **kwargs)
    checked = 0
    for param, value in rule.diff_positions(args, kwargs).items():
        if not is_float_tree(value):
            continue
        i = rule.diff_params.index(param)
        what = f"{label}, argument {param!r}"
        direction = random_like(value, rng)
        if refuses(rule, i, direction, ans, args, kwargs):
            continue
        checked += 1

        tangent = rule.jvp_fn(i)(direction, ans, *args, **kwargs)
        assert_shaped_like(tangent, ans, f"{what}: JVP")
        plus_args, plus_kwargs = with_argument(
            rule, args, kwargs, param, moved(value, STEP, direction)
        )
        minus_args, minus_kwargs = with_argument(
            rule, args, kwargs, param, moved(value, -STEP, direction)
        )
        differences = difference(
            fn(*plus_args, **plus_kwargs), fn(*minus_args, **minus_kwargs), STEP
        )
        assert_close(tangent, differences, rtol, f"{what}: JVP vs differences")

        cotangent = random_like(ans, rng)
        adjoint = rule.vjp_fn(i)(cotangent, ans, *args, **kwargs)
        assert adjoint is not None or inner(cotangent, tangent) == 0, f"{what}: VJP is None"
        assert_shaped_like(adjoint, value, f"{what}: VJP")
        lhs, rhs = inner(adjoint, direction), inner(cotangent, tangent)
        scale = inner(magnitude(adjoint), magnitude(direction)) + inner(
            magnitude(cotangent), magnitude(tangent)
        )
        assert abs(lhs - rhs) <= 1e-9 * scale + 1e-12, (
            f"{what}: <vjp(u), v> = {lhs} but <u, jvp(v)> = {rhs}"
        )
    assert checked, f"{label}: the entry passes no differentiable argument"


def resolve(fn):
    """A spec's function; a dotted string (SciPy's) is imported, or the test skipped."""
    if isinstance(fn, str):
        module, _, name = fn.rpartition(".")
        if module.startswith("scipy.stats."):  # a method of a distribution: scipy.stats.norm
            module, _, owner = module.rpartition(".")
            return getattr(getattr(pytest.importorskip(module), owner), name)
        return getattr(pytest.importorskip(module), name)
    return fn


def through_method(spec, rng):
    """Sample the method's receiver and arguments; check its adapter against the method."""
    x = sample(spec.args[0], rng)
    args = [sample(a, rng) for a in spec.args[1:]]
    kwargs = {k: sample(v, rng) for k, v in spec.kwargs.items()}
    method = lookup_method(spec.method)
    assert method is not None, f"no method {spec.method!r}"
    if method.attribute:
        fn, fn_args, fn_kwargs = method.adapt(x)
        expected = getattr(x, spec.method)
    else:
        fn, fn_args, fn_kwargs = method.adapt(x, *args, **kwargs)
        expected = getattr(x, spec.method)(*args, **kwargs)
    assert_same(fn(*fn_args, **fn_kwargs), expected, f"{spec.id}: adapter result")
    return fn, list(fn_args), dict(fn_kwargs)


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_rule(spec):
    rng = np.random.default_rng(zlib.crc32(spec.id.encode()))
    for trial in range(TRIALS):
        if spec.method is not None:
            fn, args, kwargs = through_method(spec, rng)
            if is_nondiff(fn):
                continue
        else:
            fn = resolve(spec.fn)
            args = [sample(a, rng) for a in spec.args]
            kwargs = {k: sample(v, rng) for k, v in spec.kwargs.items()}
        rule = require(fn)
        if fn in WRITE_INTO_FIRST:
            fn = on_copies(fn)
        with np.errstate(all="raise", under="ignore"):
            check_rule(rule, fn, args, kwargs, rng, spec.rtol, f"{spec.id} trial {trial}")


# functions that write into their first argument and return it: checked on copies of it
WRITE_INTO_FIRST = (runtime.write_entry, runtime.add_to_entry)


def on_copies(fn):
    def call(x, *args, **kwargs):
        return fn(copy.deepcopy(x), *args, **kwargs)

    return call


# -- coverage --------------------------------------------------------------------------------


def in_the_table(obj) -> bool:
    """Whether a rule or method comes from the rule table (``pullback.rules``), not from a
    user's ``pb.defvjp`` or another part of the library (control-flow primitives, say)."""
    fn = getattr(obj, "vjp", None) or getattr(obj, "adapt", None)
    return getattr(fn, "__module__", "").startswith("pullback.rules.")


def table_rules():
    return [rule for rule in all_rules() if in_the_table(rule)]


def test_every_registered_name_has_a_spec():
    covered = {s.name for s in SPECS}
    table = [
        name
        for name in supported_functions()
        if in_the_table(lookup_name(name) or lookup_method(name.rpartition(".")[2]))
    ]
    missing = sorted(set(table) - covered)
    assert not missing, f"registered without an entry in tests/rule_specs.py: {missing}"


def test_every_spec_names_a_registered_function():
    registered = set(supported_functions())
    unknown = sorted({s.name for s in SPECS} - registered)
    assert not unknown, f"entries in tests/rule_specs.py for unregistered names: {unknown}"


def test_at_least_150_supported_functions():
    assert len(supported_functions()) >= 150


def test_each_rule_reachable_by_each_of_its_functions():
    for rule in table_rules():
        for fn in rule.fns:
            found = lookup_name(fn) if isinstance(fn, str) else lookup(fn)
            assert found is rule, f"{qualified_name(fn)} does not find its rule {rule.name}"


def test_rule_bodies_can_be_spliced():
    """Source mode splices a body: straight-line statements, one ``return`` at the end."""
    import ast

    from pullback.rules.registry import rule_ast

    for rule in table_rules():
        for fn in {rule.vjp, rule.jvp}:
            node = rule_ast(fn)
            returns = [n for n in ast.walk(node) if isinstance(n, ast.Return)]
            assert returns == [node.body[-1]], f"{rule.name}: {fn.__name__} returns early"
            nested = [n for n in ast.walk(node) if isinstance(n, (ast.FunctionDef, ast.Lambda))]
            assert nested == [node], f"{rule.name}: {fn.__name__} defines a function"
            params = {a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg)}
            stored = {
                n.id
                for n in ast.walk(node)
                if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            }
            assert not params & stored, f"{rule.name}: {fn.__name__} assigns to a parameter"


# -- lookup ----------------------------------------------------------------------------------


def test_lookup_of_unregistered_function_is_none_and_require_names_it():
    def mystery_function(x):
        return x

    assert lookup(mystery_function) is None
    assert lookup(np.i0) is None
    with pytest.raises(MissingRuleError, match="mystery_function") as raised:
        require(mystery_function)
    assert "mystery_function" in raised.value.name
    with pytest.raises(MissingRuleError, match="numpy.i0"):
        require(np.i0)


def test_aliases_resolve_to_one_rule():
    assert lookup(np.abs) is lookup(np.absolute) is lookup(abs) is lookup(operator.abs)
    assert lookup(np.divide) is lookup(np.true_divide) is lookup(operator.truediv)
    assert lookup(np.mod) is lookup(np.remainder) is lookup(operator.mod)
    assert lookup(np.max) is lookup(np.amax)
    assert lookup(np.sin) is lookup(math.sin)
    assert lookup(operator.matmul) is lookup(np.matmul)


def test_non_differentiable_functions():
    for fn in (
        len,
        int,
        range,
        np.shape,
        np.argmax,
        np.floor,
        np.round,
        np.less,
        operator.lt,
        operator.not_,
        operator.truth,
        operator.floordiv,
        math.floor,
        np.zeros,
        np.ones_like,
        np.eye,
        np.arange,
        np.isnan,
    ):
        assert is_nondiff(fn), qualified_name(fn)
        assert lookup(fn) is None, qualified_name(fn)
    assert not is_nondiff(np.sin) and not is_nondiff(float)
    # constructors whose values come from an argument have rules (a zero would be wrong)
    for fn in (np.full, np.full_like, np.linspace, np.logspace):
        assert not is_nondiff(fn) and lookup(fn) is not None, qualified_name(fn)


def test_scipy_is_not_imported_by_the_rule_table():
    code = "import sys, pullback.rules; print('scipy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_scipy_functions_find_their_rules():
    special = pytest.importorskip("scipy.special")
    for name in (
        "expit",
        "logit",
        "erf",
        "gammaln",
        "xlogy",
        "logsumexp",
        "softmax",
        "log_softmax",
        "psi",
        "polygamma",
        "gammainc",
        "iv",
    ):
        rule = lookup(getattr(special, name))
        assert rule is not None and rule.name == f"scipy.special.{name}", name
    assert lookup(special.digamma) is lookup(special.psi)
    assert lookup(special.zeta) is None
    assert is_nondiff(special.gammasgn)


# -- methods ---------------------------------------------------------------------------------


def test_method_adapters_give_the_function_form():
    x = np.arange(12.0).reshape(3, 4)
    fn, args, kwargs = lookup_method("sum").adapt(x, axis=0)
    assert fn is np.sum and args[0] is x and kwargs == {"axis": 0}
    fn, args, kwargs = lookup_method("reshape").adapt(x, 4, 3)
    assert fn is np.reshape and args[1] == (4, 3)
    fn, args, _ = lookup_method("T").adapt(x)
    assert fn is np.transpose and lookup_method("T").attribute
    fn, _, _ = lookup_method("astype").adapt(x, np.float32)
    assert fn is runtime.astype and lookup(fn) is not None
    fn, _, _ = lookup_method("astype").adapt(x, int)
    assert is_nondiff(fn)
    assert lookup_method("sort") is None  # in place: not a function of x


# -- conventions -----------------------------------------------------------------------------


def test_max_splits_the_gradient_evenly_among_ties():
    a = np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    rule = lookup(np.max)
    g = rule.vjp_fn(0)(1.0, np.max(a), a)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [0, 0, 0]])
    g = rule.vjp_fn(0)(np.ones(2), np.max(a, axis=1), a, axis=1)
    np.testing.assert_allclose(g, [[0, 0.5, 0.5], [0.5, 0, 0.5]])
    t = rule.jvp_fn(0)(np.arange(6.0).reshape(2, 3), np.max(a, axis=1), a, axis=1)
    np.testing.assert_allclose(t, [1.5, 4.0])
    maximum = lookup(np.maximum)
    assert maximum.vjp_fn(0)(1.0, 2.0, 2.0, 2.0) == 0.5 == maximum.vjp_fn(1)(1.0, 2.0, 2.0, 2.0)


def test_elementwise_jvp_is_shaped_like_the_output_under_broadcasting():
    x, y = np.ones((3, 1)), np.ones((1, 4))
    add = lookup(np.add)
    assert add.jvp_fn(0)(np.ones((3, 1)), x + y, x, y).shape == (3, 4)


def test_additem_matches_numpy_augmented_assignment_with_repeats():
    x = np.arange(5.0)
    index = np.array([0, 0, 3])
    v = np.array([10.0, 20.0, 30.0])
    expected = x.copy()
    expected[index] += v
    np.testing.assert_array_equal(runtime.additem(x, index, v), expected)
    np.testing.assert_array_equal(x, np.arange(5.0))  # the input is not mutated
    y = runtime.setitem(x, 1, 7.0)
    assert y[1] == 7.0 and x[1] == 1.0


def test_getitem_of_a_list_has_a_list_adjoint():
    rule = lookup(operator.getitem)
    xs = [1.0, np.ones(2), 3.0]
    assert rule.vjp_fn(0)(5.0, 1.0, xs, 0) == [5.0, None, None]
    assert rule.vjp_fn(0)([5.0, 6.0], xs[1:], xs, slice(1, None)) == [None, 5.0, 6.0]


def test_list_tangents_may_hold_none():
    arrays = [np.ones(2), np.ones(3)]
    rule = lookup(np.concatenate)
    t = rule.jvp_fn(0)([None, np.full(3, 2.0)], np.concatenate(arrays), arrays)
    np.testing.assert_array_equal(t, [0, 0, 2, 2, 2])
    split = lookup(np.split)
    parts = np.split(np.arange(6.0), 3)
    g = split.vjp_fn(0)([None, np.ones(2), None], parts, np.arange(6.0), 3)
    np.testing.assert_array_equal(g, [0, 0, 1, 1, 0, 0])


# -- outside the domain: NumPy's nan and inf, never an exception -----------------------------


def _numpy_elementwise():
    for rule in table_rules():
        if rule.kind != "elementwise":
            continue
        for fn in rule.fns:
            if isinstance(fn, np.ufunc) or getattr(fn, "__module__", "").startswith("numpy"):
                yield pytest.param(rule, fn, id=qualified_name(fn))


BAD_INPUTS = [-2.0, -1.0, 0.0, 1.0, np.inf, -np.inf, np.nan]


@pytest.mark.parametrize(("rule", "fn"), list(_numpy_elementwise()))
def test_elementwise_rules_outside_the_domain_do_not_raise(rule, fn):
    n = {np.clip: 3, np.nan_to_num: 1}.get(fn, len(rule.params))
    for bad in BAD_INPUTS:
        for value in (np.full(3, bad), bad):
            args = [value] * n
            if fn is np.where:
                args[0] = np.array([True, False, True])
            with warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                ans = fn(*args)
                for i in range(len(rule.diff_params)):
                    rule.vjp_fn(i)(np.ones_like(ans), ans, *args)
                    rule.jvp_fn(i)(np.ones_like(value), ans, *args)


def test_math_rules_at_the_edge_of_the_domain_do_not_raise():
    edge = [
        (math.sqrt, (0.0,)),
        (math.atan2, (0.0, 0.0)),
        (math.hypot, (0.0, 0.0)),
        (math.asin, (1.0,)),
        (math.acos, (-1.0,)),
        (math.acosh, (1.0,)),
        (operator.pow, (0.0, 0.5)),
        (operator.truediv, (np.ones(2), 0)),
    ]
    for fn, args in edge:
        rule = lookup(fn)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            ans = fn(*args)
            for i in range(len(rule.diff_params)):
                rule.vjp_fn(i)(1.0, ans, *args)


def test_outside_the_domain_gives_nan_or_inf():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        assert np.isinf(lookup(np.log).vjp_fn(0)(1.0, -np.inf, 0.0))
        assert np.isnan(lookup(np.sqrt).vjp_fn(0)(1.0, np.nan, -1.0))
        assert np.isnan(lookup(np.arcsin).vjp_fn(0)(1.0, np.nan, np.array(2.0)))
        zero = np.zeros(3)
        assert np.isnan(lookup(np.linalg.norm).vjp_fn(0)(1.0, 0.0, zero)).all()
        ones = np.ones(3)
        assert np.isnan(lookup(np.std).vjp_fn(0)(1.0, 0.0, ones)).all()


def test_runtime_reexports_every_rule_helper_unshadowed():
    from pullback.runtime import arrays, indexing, linalg, special

    for module in (arrays, indexing, linalg, special):
        for name in module.__all__:
            assert getattr(runtime, name) is getattr(module, name), f"runtime.{name} is shadowed"
    assert len(runtime.__all__) == len(set(runtime.__all__))


def test_importing_a_rule_module_registers_nothing_twice():
    modules = [m for m in sys.modules if m.startswith("pullback.rules.")]
    assert {"pullback.rules.elementwise", "pullback.rules.linalg"} <= set(modules)
    before = len(supported_functions())
    importlib.reload(importlib.import_module("pullback.rules.methods"))
    assert len(supported_functions()) == before
