"""Frontend: a Python function object in, its SSA function out.

source (read and parse the function's source, resolve its free names) -> local_defs
(nested functions) -> desugar -> to_ssa; inline reads rule functions' bodies; piecewise
rewrites np.piecewise as the pieces it puts together (in normalize, before local_defs)."""
