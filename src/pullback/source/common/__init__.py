"""What every stage of source mode uses: errors at the user's line (``diagnostics``), names
for generated variables (``naming``), syntax-tree builders (``syntax``), expression algebra
(``algebra``), generated files on disk (``files``), the source map (``sourcemap``).

In: nothing from the stages (these modules import no stage).
Out: helpers the frontend, the analyses, the transforms and the back end all share.
"""
