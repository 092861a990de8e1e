"""Seeing and debugging a derivative: the checked twin that names the first NaN at its
source line, pdb straight into generated code, a recorded run and the side-by-side page.

In: a generated module (from ``backend``) and, for the page, one run of it.
Out: checked functions (``checked``), a debugger session (``debugger``), the recording
(``recording``) and the HTML page (``viewpage``, with ``highlight`` and ``page_style``).
"""
