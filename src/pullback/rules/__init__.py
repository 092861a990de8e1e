"""The one rule table every mode reads.

In: nothing; importing this package registers every rule (NumPy, ``math``, operators, builtins,
and SciPy special functions when SciPy is importable).
Out: the lookup functions of ``registry``.
"""

from . import elementwise, reductions  # noqa: F401  (registration by import)
from .registry import (
    Rule,
    all_rules,
    defmethod,
    defnondiff,
    defrule,
    elementwise as defelementwise,
    is_nondiff,
    lookup,
    lookup_method,
    lookup_name,
    nondiff_functions,
    qualified_name,
    require,
    supported_functions,
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
