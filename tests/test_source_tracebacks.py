"""An error raised inside generated derivative code names the user's file, line and text."""

import sys

import numpy as np
import pytest

import pullback as pb

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="exception notes need 3.11")


def singular(x):
    y = np.sqrt(x)
    z = np.linalg.inv(np.outer(y, y))
    return np.sum(z)


def _notes(error):
    return "\n".join(getattr(error, "__notes__", []))


def test_forward_sweep_error_points_at_the_user_line():
    with pytest.raises(np.linalg.LinAlgError) as info:
        pb.grad(singular)(np.array([1.0, 4.0]))
    notes = _notes(info.value)
    assert f"{__file__}:{singular.__code__.co_firstlineno + 2}" in notes
    assert "z = np.linalg.inv(np.outer(y, y))" in notes


@pb.custom_vjp
def fragile(x):
    return x * 2.0


def _fragile_fwd(x):
    return x * 2.0, x


def _fragile_bwd(x, g):
    raise FloatingPointError("the backward sweep failed")


fragile.defvjp(_fragile_fwd, _fragile_bwd)


def uses_fragile(x):
    y = np.sin(x)
    z = fragile(y)
    return z * z


def test_backward_sweep_error_points_at_the_user_line():
    with pytest.raises(FloatingPointError) as info:
        pb.grad(uses_fragile)(0.3)
    notes = _notes(info.value)
    assert "uses_fragile" in notes or "z = fragile(y)" in notes
    assert __file__ in notes


def test_vjp_and_jvp_paths_are_annotated_too():
    with pytest.raises(np.linalg.LinAlgError) as info:
        pb.vjp(singular, np.array([1.0, 4.0]))
    assert "z = np.linalg.inv" in _notes(info.value)
    with pytest.raises(np.linalg.LinAlgError) as info:
        pb.jvp(singular, (np.array([1.0, 4.0]),), (np.ones(2),))
    assert "z = np.linalg.inv" in _notes(info.value)


def test_errors_outside_generated_code_get_no_note():
    with pytest.raises(TypeError) as info:
        pb.grad(singular)(3)
    assert not getattr(info.value, "__notes__", None)
