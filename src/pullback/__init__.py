"""pullback: automatic differentiation for ordinary Python and NumPy code.

>>> import numpy as np, pullback as pb
>>> def f(x):
...     return np.log(x * x)
>>> round(pb.grad(f)(3.0), 6)
0.666667
"""

from . import (
    numeric,
    symbolic,  # SymPy is imported only when symbolic mode runs
)
from . import rules as _rules  # noqa: F401  (builds the rule table)
from .api import grad, hessian, hvp, jacobian, jvp, value_and_grad, vjp
from .compare import Comparison, compare
from .custom import custom_jvp, custom_vjp, defjvp, defvjp, grad_of, stop_gradient
from .errors import (
    CompileError,
    MissingRuleError,
    NonDifferentiableError,
    NonFiniteError,
    PathChangedError,
    PullbackError,
    SourceChangedError,
    SourceUnavailableError,
    UnsupportedSyntaxError,
)
from .finite import debug_nans
from .graph import Graph, cond, gradients, trace, while_loop  # before .tape: it records into
from .locate import install_warning_notes as _install_warning_notes
from .numeric import check_grads
from .rules import supported_functions
from .show import show
from .source import source  # the function pb.source(df); the mode is pullback.source
from .source.common.sourcemap import source_map
from .source.debug.debugger import debug  # pdb in the generated derivative
from .source.export import export  # a derivative as a standalone module
from .tape import Tensor, no_grad, tensor
from .view import view

_install_warning_notes()  # a warning raised in a derivative names the user's line and sweep

__version__ = "0.1.0"

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "jacobian",
    "hessian",
    "hvp",
    "supported_functions",
    "show",
    "trace",
    "gradients",
    "Graph",
    "while_loop",
    "cond",
    "Tensor",
    "tensor",
    "no_grad",
    "numeric",
    "check_grads",
    "symbolic",
    "compare",
    "Comparison",
    "custom_vjp",
    "custom_jvp",
    "defvjp",
    "defjvp",
    "stop_gradient",
    "grad_of",
    "source",
    "source_map",
    "debug",
    "export",
    "view",
    "PullbackError",
    "UnsupportedSyntaxError",
    "MissingRuleError",
    "NonDifferentiableError",
    "NonFiniteError",
    "CompileError",
    "debug_nans",
    "SourceChangedError",
    "SourceUnavailableError",
    "PathChangedError",
]
