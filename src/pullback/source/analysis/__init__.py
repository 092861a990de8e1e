"""Analyses of the normalized function: facts the transforms read, nothing rewritten.

In: a function in ANF (from ``frontend``).
Out: which variables carry derivatives (``activity``), which in-place updates are safe
(``aliasing``, ``inplace``), which functions are passed as arguments (``specialize``).
"""
