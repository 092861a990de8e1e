"""Symbolic mode: a traced graph turned into a SymPy expression and differentiated by algebra.

In: a scalar function of scalar arguments written with plain ``np`` / ``math`` (or a ``Graph``).
Out: SymPy expressions (``expression``, ``derivative``), and the mode primitives ``vjp`` and
``jvp`` (with ``grad`` and ``value_and_grad``) that evaluate the derivative, lambdified to NumPy.

How: ``pb.trace`` runs the function once and records each primitive call as a graph node named
by its qualified name (``numpy.sin``, ``operator.mul``, ``math.log``); ``SYMPY_FUNCTIONS`` says
which SymPy function means the same; the output node's expression goes to ``sympy.diff``.

Control flow: a trace follows the branches and loop counts taken at the point it runs on, so an
expression (and its derivative) is exact on that path only. ``derivative(f, at=...)`` says
which point to trace at. The mode primitives check the path on every call: when the function's
value disagrees with the cached expression's, they trace the function again at the new point.

SymPy is imported inside the functions that need it; importing pullback never imports it.

The modules, each using only those above it:

- ``scalars``: loading SymPy, real-scalar checks, constants as exact SymPy numbers;
- ``table``: ``SYMPY_FUNCTIONS`` and ``SYMPY_CONDITIONS``, primitive name -> SymPy meaning;
- ``translate``: ``Translator`` and ``graph_expression``, graph nodes -> SymPy expressions;
- ``paths``: the tracer that follows one branch path, or explores every path for a Piecewise;
- ``expressions``: ``expression`` and ``derivative`` of a Python function;
- ``primitives``: ``vjp``, ``jvp``, ``grad``, ``value_and_grad``, ``hessian``, lambdified and
  cached per function and path.

>>> import numpy as np
>>> derivative(lambda x: np.log(x * x))      # doctest: +SKIP
2/x
"""

from __future__ import annotations

from .expressions import derivative, expression
from .primitives import grad, jvp, value_and_grad, vjp
from .primitives import hessian as hessian
from .table import SYMPY_CONDITIONS as SYMPY_CONDITIONS
from .table import SYMPY_FUNCTIONS
from .table import condition_of as condition_of
from .translate import Translator as Translator
from .translate import graph_expression

__all__ = [
    "expression",
    "derivative",
    "graph_expression",
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "SYMPY_FUNCTIONS",
]
