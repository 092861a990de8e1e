"""The back end: derivative code made short, lean and runnable.

In: the generated ``ast`` functions of a transform.
Out: optimized code (``optimize``, ``release`` of values kept only for their shape), code
specialized on argument kinds (``kinds``; ``lean``, with its passes ``lean_recompute`` and
``lean_liveness``), and Python text compiled into a module with comments and a source map
(``codegen``), whose errors point at the user's lines (``tracebacks``).
"""
