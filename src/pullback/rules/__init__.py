"""The one rule table every mode reads.

In: nothing; importing this package registers every rule (operators, ``math``, NumPy, ndarray
methods, builtins, and SciPy special functions by name, without importing SciPy).
Out: the lookup functions of ``registry``.

One module per family: ``elementwise`` (operators, ``math``, ufuncs), ``reductions``,
``statistics`` (quantiles, cov, select), ``linalg``, ``decompositions`` (``svd``, ``qr``,
``eig``, ``pinv``, ``cond``), ``shapes`` (and ``rearranging`` beside it), ``indexing``,
``interpolation``, ``nondiff``, ``methods``, ``scipy_special``, ``scipy_stats`` and
``scipy_stats_multivariate`` (the distributions' densities), ``scipy_integrate`` (``odeint``),
``complexes`` (``abs``, ``real``, ``imag``, ``conj``, ``angle``), ``fourier`` (``np.fft``),
``runtime_rules`` (the helpers generated code calls, for higher orders).
"""

from . import (  # noqa: F401  (registration by import)
    complexes,
    decompositions,
    elementwise,
    fourier,
    frozen,
    indexing,
    interpolation,
    linalg,
    methods,
    nondiff,
    rearranging,
    reductions,
    runtime_rules,
    scipy_integrate,
    scipy_special,
    scipy_stats,
    scipy_stats_multivariate,
    shapes,
    statistics,
)
from .registry import (
    Rule,
    all_rules,
    defmethod,
    defnondiff,
    defrule,
    is_nondiff,
    lookup,
    lookup_method,
    lookup_name,
    nondiff_functions,
    qualified_name,
    require,
    supported_functions,
)
from .registry import (
    elementwise as defelementwise,
)

__all__ = [
    "Rule",
    "all_rules",
    "defmethod",
    "defnondiff",
    "defrule",
    "defelementwise",
    "is_nondiff",
    "lookup",
    "lookup_method",
    "lookup_name",
    "nondiff_functions",
    "qualified_name",
    "require",
    "supported_functions",
]
