"""The spec table of SciPy's distributions: every (distribution, method) pair with a rule,
called unfrozen (``norm.logpdf(x, mu, sigma)``), frozen into a name (``d = norm(mu, sigma);
d.logpdf(x)``), frozen inline (``norm(mu, sigma).logpdf(x)``) and, for the functions of the
point, frozen at module level (``D = norm(0.3, 1.4)`` read by the function), in source, tape and
graph modes.

Each row gives the call's point and its parameters as a function of ``p``; for each variant and
mode, in float64: ``pb.grad`` against central differences, ``pb.jvp`` against the gradient and
``pb.hessian`` against central differences of the gradient (``fd.assert_first_and_second_order``),
at two parameter vectors, as a function of the parameters and (where the row says) of the point.
Source mode needs the functions' text, so the table is written out as a module (into a temporary
folder) and imported.

Also: a shape parameter of a cdf with no closed-form derivative raises ``MissingRuleError``
rather than giving zero, and a distribution method without a rule (``cauchy.logpdf``) raises
``MissingRuleError`` naming the user's line in every mode.
"""

from __future__ import annotations

import importlib.util
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from fd import assert_first_and_second_order

import pullback as pb

stats = pytest.importorskip("scipy.stats")

MODES = ("source", "tape", "graph")

_PRELUDE = '''
import numpy as np
from scipy import stats

DATA = np.array([0.3, -1.2, 2.0, 0.7])
GRID = np.array([[0.3, -1.2, 2.0, 0.7], [1.1, 0.2, -0.5, 1.6], [-0.8, 0.9, 0.4, 2.2]])
POSITIVE = np.array([0.4, 1.3, 2.2, 0.9])
UNIT = np.array([0.2, 0.45, 0.7, 0.9])
COUNTS = np.array([0, 2, 3, 7])
POINTS2 = np.array([[0.3, -1.2], [2.0, 0.7], [0.1, 0.2]])
SIMPLEX = np.array([[0.2, 0.1, 0.6], [0.3, 0.2, 0.1], [0.5, 0.7, 0.3]])  # columns: points


def spd(p):
    """A 2 x 2 covariance from three numbers (its Cholesky factor's entries)."""
    factor = np.array([[p[0], 0.0], [p[1], p[2]]])
    return factor @ factor.T + 0.1 * np.eye(2)


def simplex(v):
    """A point of the simplex from free numbers."""
    e = np.exp(v)
    return e / np.sum(e)
'''

# (id, distribution, method, point, parameters as a function of p, parameter vectors,
#  parameters for the functions of the point or None, points for those)
_NORMAL = ([0.2, 1.5], [-0.4, 0.8])
_POINTS = ([1.5, 2.5, 0.7], [0.4, 1.1, 2.8])
ROWS = [
    *[
        (f"norm_{m}", "norm", m, "DATA", "p[0], p[1]", _NORMAL, "0.3, 1.4", _POINTS)
        for m in ("logpdf", "pdf", "cdf", "logcdf", "sf")
    ],
    ("norm_logpdf_grid", "norm", "logpdf", "GRID", "p[:4], p[4]",
     ([0.1, -0.2, 0.3, 0.5, 1.3], [0.0, 0.4, -0.3, 0.2, 0.8]), None, None),
    ("norm_cdf_grid", "norm", "cdf", "GRID", "p[:, None], p[1] ** 2 + 0.5",
     ([0.1, -0.2, 0.3], [0.0, 0.4, -0.3]), None, None),
    ("t_logpdf", "t", "logpdf", "DATA", "p[2], p[0], p[1]",
     ([0.2, 1.5, 4.0], [-0.3, 0.9, 2.5]), "3.0, 0.1, 1.2", _POINTS),
    ("t_pdf", "t", "pdf", "DATA", "p[2], p[0], p[1]",
     ([0.2, 1.5, 4.0], [-0.3, 0.9, 2.5]), "3.0, 0.1, 1.2", _POINTS),
    *[
        (f"t_{m}", "t", m, "DATA", "3.5, p[0], p[1]", _NORMAL, "3.0, 0.1, 1.2", _POINTS)
        for m in ("cdf", "logcdf")
    ],
    *[
        (f"gamma_{m}", "gamma", m, "POSITIVE", "p[2], p[0], p[1]",
         ([-0.3, 1.2, 2.5], [0.1, 0.7, 1.4]), "2.5, 0.0, 1.3", _POINTS)
        for m in ("logpdf", "pdf")
    ],
    *[
        (f"gamma_{m}", "gamma", m, "POSITIVE", "2.5, p[0], p[1]",
         ([-0.3, 1.2], [0.1, 0.7]), "2.5, 0.0, 1.3", _POINTS)
        for m in ("cdf", "logcdf")
    ],
    *[
        (f"beta_{m}", "beta", m, "UNIT", "p[0], p[1], p[2], p[3]",
         ([1.5, 2.5, -0.1, 1.2], [2.2, 1.3, -0.2, 1.4]), "1.5, 2.5, 0.0, 3.0", _POINTS)
        for m in ("logpdf", "pdf")
    ],
    *[
        (f"beta_{m}", "beta", m, "UNIT", "1.5, 2.5, p[0], p[1]",
         ([-0.1, 1.2], [-0.2, 1.4]), "1.5, 2.5, 0.0, 3.0", _POINTS)
        for m in ("cdf", "logcdf")
    ],
    *[
        (f"expon_{m}", "expon", m, "POSITIVE", "p[0], p[1]",
         ([-0.3, 1.2], [0.1, 0.7]), "0.1, 1.3", _POINTS)
        for m in ("logpdf", "pdf", "cdf", "logcdf")
    ],
    *[
        (f"{d}_{m}", d, m, "DATA", "p[0], p[1]", _NORMAL, "0.25, 1.3", _POINTS)
        for d in ("laplace", "logistic")
        for m in ("logpdf", "pdf", "cdf", "logcdf")
    ],
    *[
        (f"poisson_{m}", "poisson", m, "COUNTS", "p[0]", ([1.7], [3.2]), None, None)
        for m in ("logpmf", "pmf", "cdf", "logcdf")
    ],
    *[
        (f"binom_{m}", "binom", m, "COUNTS", "9, p[0]", ([0.3], [0.55]), None, None)
        for m in ("logpmf", "pmf", "cdf", "logcdf")
    ],
    *[
        (f"mvn_{m}", "multivariate_normal", m, "POINTS2", "p[:2], spd(p[2:])",
         ([0.2, -0.3, 1.2, 0.3, 0.9], [-0.1, 0.4, 0.8, -0.2, 1.1]), "np.array([0.1, 0.2]), "
         "np.array([[1.5, 0.3], [0.3, 0.8]])", ([0.4, -0.2, 1.0, 0.1], [1.2, 0.3, -0.6, 0.5]))
        for m in ("logpdf", "pdf")
    ],
    *[
        (f"dirichlet_{m}", "dirichlet", m, "SIMPLEX", "np.exp(p)",
         ([0.2, 0.5, 0.9], [-0.3, 0.1, 0.4]), "np.array([1.5, 2.0, 3.0])",
         ([0.1, -0.4, 0.3], [0.5, 0.2, -0.6]))
        for m in ("logpdf", "pdf")
    ],
]  # fmt: skip

# a function of the point: the point as the call takes it, from the differentiated x
_POINT_OF = {"multivariate_normal": "np.reshape(x, (2, 2))", "dirichlet": "simplex(x)"}


def _module_text() -> str:
    out = [_PRELUDE]
    for row_id, dist, method, point, params, _, x_params, _ in ROWS:
        out.append(
            f"\n\ndef {row_id}_unfrozen(p):\n"
            f"    return np.sum(stats.{dist}.{method}({point}, {params}))\n"
            f"\n\ndef {row_id}_frozen(p):\n"
            f"    d = stats.{dist}({params})\n"
            f"    return np.sum(d.{method}({point}))\n"
            f"\n\ndef {row_id}_inline(p):\n"
            f"    return np.sum(stats.{dist}({params}).{method}({point}))\n"
        )
        if x_params is not None:
            at = _POINT_OF.get(dist, "x")
            out.append(
                f"\n\ndef {row_id}_of_x_unfrozen(x):\n"
                f"    return np.sum(np.sin(stats.{dist}.{method}({at}, {x_params})))\n"
                f"\n\ndef {row_id}_of_x_frozen(x):\n"
                f"    d = stats.{dist}({x_params})\n"
                f"    return np.sum(np.sin(d.{method}({at})))\n"
                f"\n\n{row_id.upper()} = stats.{dist}({x_params})\n"
                f"\n\ndef {row_id}_of_x_global(x):\n"
                f"    return np.sum(np.sin({row_id.upper()}.{method}({at})))\n"
            )
    return "".join(out)


def _load():
    folder = Path(tempfile.mkdtemp(prefix="pullback_stats_table_"))
    path = folder / "stats_table_cases.py"
    path.write_text(_module_text())
    spec = importlib.util.spec_from_file_location("stats_table_cases", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["stats_table_cases"] = module
    spec.loader.exec_module(module)
    return module


CASES_MODULE = _load()

CASES = []
for _row in ROWS:
    _id, _, _, _, _, _p, _x_params, _xs = _row
    for _variant in ("unfrozen", "frozen", "inline"):
        CASES.append((f"{_id}_{_variant}", _p))
    if _x_params is not None:
        for _variant in ("unfrozen", "frozen", "global"):
            CASES.append((f"{_id}_of_x_{_variant}", _xs))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("case", "inputs"), CASES, ids=[c[0] for c in CASES])
def test_gradient_jvp_and_hessian(case, inputs, mode):
    f = getattr(CASES_MODULE, case)
    rng = np.random.default_rng(5)
    for x in inputs:
        x = np.array(x, dtype=float)
        assert_first_and_second_order(f, x, mode, rng.normal(size=x.shape), hessian_rtol=1e-4)


def test_the_table_covers_every_distribution_rule():
    names = {n for n in pb.supported_functions() if n.startswith("scipy.stats.")}
    covered = {f"scipy.stats.{row[1]}.{row[2]}" for row in ROWS}
    assert names == covered, names ^ covered


def test_the_multivariate_methods_find_their_rules():
    from pullback.rules import lookup

    for dist in (stats.multivariate_normal, stats.dirichlet):
        for method in ("logpdf", "pdf"):
            rule = lookup(getattr(dist, method))
            assert rule is not None and rule.name.endswith(f".{method}")
    frozen = stats.multivariate_normal(np.zeros(2), np.eye(2))
    assert lookup(frozen.logpdf) is None  # a frozen one is taken apart by each mode instead


def _rebinds_a_parameter(p):
    mu = p[0]
    d = stats.norm(mu, p[1])
    mu = mu * 3.0  # the frozen distribution keeps the mu it was made with
    return np.sum(d.logpdf(np.array([0.5, 1.5]))) + mu


def _mean_left_out(x):
    return stats.multivariate_normal.logpdf(x, cov=np.array([[1.5, 0.3], [0.3, 0.8]]))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [_rebinds_a_parameter, _mean_left_out])
def test_frozen_parameters_and_defaults(f, mode):
    x = np.array([0.4, 1.3])
    assert_first_and_second_order(f, x, mode, np.array([0.3, -0.7]))


def _vector_cov(x):
    return stats.multivariate_normal.logpdf(x, np.zeros(2), np.array([1.5, 0.8]))


@pytest.mark.parametrize("mode", MODES)
def test_a_covariance_must_be_a_matrix(mode):
    with pytest.raises(pb.PullbackError, match=r"\(d, d\) matrix"):
        pb.grad(_vector_cov, mode=mode)(np.array([0.4, 1.3]))


def test_source_mode_calls_the_unfrozen_rules():
    for case, x in [
        ("norm_logpdf_frozen", [0.2, 1.5]),
        ("mvn_logpdf_inline", [0.2, -0.3, 1.2, 0.3, 0.9]),
        ("t_cdf_of_x_global", [1.5, 2.5, 0.7]),
    ]:
        df = pb.grad(getattr(CASES_MODULE, case))
        df(np.array(x))
        text = pb.source(df)
        assert ".logpdf(" in text or ".cdf(" in text, text
        for internal in ("_distn_infrastructure", "rv_frozen", "_multivariate", "asarray"):
            assert internal not in text, (case, internal)


def _cdf_in_shape(p):
    return np.sum(stats.gamma.cdf(np.array([0.5, 1.5]), p[0]))


def _frozen_cdf_in_shape(p):
    return np.sum(stats.t(p[0]).cdf(np.array([0.5, 1.5])))


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("f", [_cdf_in_shape, _frozen_cdf_in_shape])
def test_a_cdf_in_its_shape_parameter_refuses(f, mode):
    with pytest.raises(pb.MissingRuleError, match="with respect to its argument"):
        pb.grad(f, mode=mode)(np.array([2.5]))


def _cauchy(p):
    return np.sum(stats.cauchy.logpdf(np.array([0.5, 1.5]), p[0], p[1]))


def _frozen_cauchy(p):
    return np.sum(stats.cauchy(p[0], p[1]).logpdf(np.array([0.5, 1.5])))


def _frozen_ppf(p):
    d = stats.norm(p[0], p[1])
    return d.ppf(0.9)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(
    ("f", "name"),
    [
        (_cauchy, "scipy.stats.cauchy.logpdf"),
        (_frozen_cauchy, "scipy.stats.cauchy.logpdf"),
        (_frozen_ppf, "scipy.stats.norm.ppf"),
    ],
)
def test_a_method_without_a_rule_names_the_users_line(f, name, mode):
    with pytest.raises(pb.MissingRuleError, match=name) as info:
        pb.grad(f, mode=mode)(np.array([0.2, 1.5]))
    assert info.value.filename == __file__
    assert (info.value.line or "").strip().startswith("return")  # the user's line, not SciPy's


def test_a_method_without_a_rule_on_constants_runs():
    def f(p):
        return p[0] * stats.norm(0.0, 1.0).ppf(0.9) + stats.cauchy.logpdf(0.5)

    for mode in MODES:
        g = pb.grad(f, mode=mode)(np.array([0.2]))
        assert np.isclose(g[0], 1.2815515655446004)


def _frozen_in_branches(p):
    if p[0] > 0:
        d = stats.norm(p[0], p[1])
    else:
        d = stats.norm(p[0], 2.0 * p[1])
    return np.sum(d.logpdf(np.array([0.5, 1.5])))


def _frozen_anew_in_a_loop(p):
    s = 0.0
    d = stats.norm(p[0], p[1])
    for _ in range(3):
        s = s + np.sum(d.logpdf(np.array([0.5, 1.5])))
        d = stats.norm(s, p[1])
    return s


def _helper(d, x):
    return d.logpdf(x)


def _frozen_passed_on(p):
    d = stats.norm(p[0], p[1])
    return np.sum(_helper(d, np.array([0.5, 1.5])))


@pytest.mark.parametrize(
    ("f", "match"),
    [
        (_frozen_in_branches, "frozen on more than one path"),
        (_frozen_anew_in_a_loop, "frozen on more than one path"),
        (_frozen_passed_on, "no value to pass on"),
    ],
)
def test_source_mode_refuses_a_frozen_distribution_it_cannot_follow(f, match):
    with pytest.raises(pb.UnsupportedSyntaxError, match=match):
        pb.grad(f)(np.array([0.2, 1.5]))
    for mode in ("tape", "graph"):  # which run it
        g = pb.grad(f, mode=mode)(np.array([0.2, 1.5]))
        assert np.all(np.isfinite(g))


FROZEN_GLOBAL = stats.norm(0.3, 1.4)


def _draws_and_moments(p):
    d = stats.norm(0.0, 1.0)
    noise = d.rvs(size=3, random_state=0)  # constants: no derivative needed
    more = FROZEN_GLOBAL.rvs(3, random_state=1)
    return np.sum(p * noise) + np.sum(p * more) + FROZEN_GLOBAL.mean() * p[0]


def _draws_of_traced_parameters(p):
    d = stats.norm(p[0], p[1])
    return np.sum(d.rvs(size=3, random_state=0))


@pytest.mark.parametrize("mode", MODES)
def test_other_methods_of_a_frozen_distribution(mode):
    p = np.array([0.2, 1.5, 0.3])
    expected = stats.norm(0.0, 1.0).rvs(size=3, random_state=0)
    expected = expected + FROZEN_GLOBAL.rvs(3, random_state=1) + np.array([0.3, 0.0, 0.0])
    np.testing.assert_allclose(pb.grad(_draws_and_moments, mode=mode)(p), expected)
    with pytest.raises(pb.MissingRuleError, match="scipy.stats.norm.rvs"):
        pb.grad(_draws_of_traced_parameters, mode=mode)(p[:2])
