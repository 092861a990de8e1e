"""Golden snapshots of generated source: a change in readability shows up in review.

Regenerate with PULLBACK_UPDATE_GOLDEN=1 python -m pytest tests/test_source_golden.py
"""

import os
from pathlib import Path

import pytest
from showcase import SHOWCASE

import pullback as pb

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", sorted(SHOWCASE))
def test_golden(name):
    fn, argnums, _ = SHOWCASE[name]
    text = pb.source(pb.grad(fn, argnums))
    path = GOLDEN / f"{name}.py"
    if os.environ.get("PULLBACK_UPDATE_GOLDEN") == "1" or not path.exists():
        path.write_text(text)
    assert text == path.read_text(), f"generated source of {name} changed; see {path}"


@pytest.mark.parametrize("name", sorted(n for n in SHOWCASE if SHOWCASE[n][2]))
def test_golden_runs(name):
    from fd import assert_close, numeric_grad

    fn, argnums, args = SHOWCASE[name]
    assert_close(pb.grad(fn, argnums)(*args), numeric_grad(fn, args, argnums))
