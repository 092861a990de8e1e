"""The derivative transforms: from the normalized function and its facts to derivative code.

In: a function in ANF (``frontend``) and its analyses (``analysis``).
Out: ``ast`` statements of the derivative: a primal sweep and an adjoint sweep (``reverse``,
with ``grad_of`` surgery and the adjoint ``states``), or the tangent code of forward mode
(``forward``); rule bodies are spliced in by ``splice``.
"""
