"""The front end: a user function's source, read, checked and normalized into a small core.

In: a Python function object.
Out: its ``FunctionDef`` in ANF (every operation on a line of its own, on names), its free
names resolved (``Scope``, ``Namespace``), unsupported constructs refused before anything
runs (``fence``), loops, exits, ``with pb.grad_of`` and comprehensions desugared.

Order: lookup (+ freshness) -> parse -> resolve -> fence -> desugar (+ exits, surgery) ->
anf (+ anf_expressions, anf_calls).
"""
