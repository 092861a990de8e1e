"""What every stage of source mode uses: errors at the user's line, names for generated
variables, syntax-tree builders, expression algebra, generated files on disk, the source map.

In: nothing from the stages (these modules import no stage).
Out: helpers the frontend, the analyses, the transforms and the back end all share.
"""
