"""The corpus of ordinary user functions in tape and graph modes, against source mode."""

import numpy as np
import pytest
from corpus import CORPUS

import pullback as pb

# Cases a run-time mode refuses on purpose, with a clear error rather than a wrong gradient.
REFUSED = {
    "builtins_abs": "float(x) must return a Python float: the derivative through it cannot be "
    "kept at run time, so tape and graph modes raise NonDifferentiableError",
}


def _param(case, mode):
    marks = ()
    if case.name in REFUSED:
        marks = pytest.mark.xfail(reason=REFUSED[case.name], raises=pb.PullbackError, strict=True)
    return pytest.param(case, mode, id=f"{mode}-{case.name}", marks=marks)


CASES = [_param(case, mode) for case in CORPUS for mode in ("tape", "graph") if mode in case.modes]


def _leaves(x):
    return pb.pytree.flatten(x)[0] if isinstance(x, (tuple, list, dict)) else [x]


@pytest.mark.parametrize("case,mode", CASES)
def test_corpus_agrees_with_source_mode(case, mode):
    want = pb.grad(case.fn, case.argnums, mode="source")(*case.args, **case.kwargs)
    got = pb.grad(case.fn, case.argnums, mode=mode)(*case.args, **case.kwargs)
    for g, w in zip(_leaves(got), _leaves(want), strict=True):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-10)


HESSIAN_CASES = [
    pytest.param(case, id=case.name)
    for case in CORPUS
    if "tape" in case.modes
    and case.name not in REFUSED
    and case.expected is None  # stop_gradient: a constant at every order, not its differences
    and isinstance(case.argnums, int)
    and np.ndim(case.args[case.argnums]) <= 1
    and np.size(case.args[case.argnums]) <= 8
    and not isinstance(case.args[case.argnums], (tuple, list, dict))
]


@pytest.mark.parametrize("case", HESSIAN_CASES)
def test_corpus_hessian_in_tape_mode_agrees_with_differences(case):
    """Forward over reverse in tape mode (dual numbers through the recorded backward sweep)."""
    hessian = pb.hessian(case.fn, case.argnums, mode="tape")(*case.args, **case.kwargs)
    gradient = pb.grad(case.fn, case.argnums, mode="source")
    numeric = pb.jacobian(lambda *a: gradient(*a, **case.kwargs), case.argnums, mode="numeric")(
        *case.args
    )
    np.testing.assert_allclose(hessian, numeric, rtol=1e-5, atol=1e-5)
