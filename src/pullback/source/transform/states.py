"""What the reverse transform knows of an adjoint at a point of the code.

``ZERO``: surely zero (no adjoint variable yet); ``VALUE``: surely a value; ``MAYBE``: a
value or ``None``, known only at run time.
"""

ZERO, VALUE, MAYBE = "zero", "value", "maybe"
