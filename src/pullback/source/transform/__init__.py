"""The derivative transforms: from the normalized function and its facts to derivative code.

In: a function in ANF (``frontend``) and its analyses (``analysis``).
Out: ``ast`` statements of the derivative: a primal sweep and an adjoint sweep (``reverse``),
or the tangent code of forward mode (``forward``); rule bodies are spliced in by ``splice``.

- ``context``: what both transforms share (the namespace, rule calls and their arguments);
- reverse mode: ``reverse`` (the driver) with ``reverse_assign`` (straight-line adjoints),
  ``reverse_contributions`` (what a right-hand side gives its operands), ``reverse_loops``
  (branches, loops, tapes), ``grad_of`` (surgery blocks) and ``states`` (what is known of an
  adjoint: zero, a value, maybe ``None``);
- forward mode: ``forward`` (statements and loops) with ``forward_kinds`` (dense, sparse or
  maybe-``None`` tangents) and ``forward_rules`` (tangents of rule calls).
"""
