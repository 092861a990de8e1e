"""The library boundary: a call of a function of an installed package or of the standard
library that has no rule is a ``MissingRuleError`` at the user's line, in every direction;
source mode never transforms that library's code nor reports an error inside it."""

from __future__ import annotations

import statistics

import numpy as np
import pytest

import pullback as pb

scipy_integrate = pytest.importorskip("scipy.integrate")


def through_scipy(x):
    return scipy_integrate.trapezoid(x**2) * 2.0


def through_the_standard_library(x):
    return statistics.fmean([x, x * 2.0])


@pytest.mark.parametrize("f", [through_scipy, through_the_standard_library])
@pytest.mark.parametrize("direction", ["grad", "jvp"])
def test_a_library_function_without_rule_is_named_at_the_users_line(f, direction):
    x = np.array([0.5, 1.0, 2.0]) if f is through_scipy else 1.5
    with pytest.raises(pb.MissingRuleError) as info:
        if direction == "grad":
            pb.grad(f)(x)
        else:
            pb.jvp(f, (x,), (x,))
    message = str(info.value)
    assert "test_library_boundary.py" in message  # the user's call, not the library's code
    assert "site-packages" not in message and "/lib/python" not in message
    assert ("trapezoid" if f is through_scipy else "fmean") in message


def own_helper(x):
    return np.sin(x) * 2.0


def through_own_code(x):
    return own_helper(x) + x


def test_the_users_own_functions_are_still_transformed():
    assert pb.grad(through_own_code)(0.3) == pytest.approx(2.0 * np.cos(0.3) + 1.0)
