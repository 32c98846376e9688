"""Frontend: a Python function object in, its SSA function out.

source (the function object; source_text finds and parses its text, same_code checks it is the
code that runs, to_gast converts the tree; resolve: what a free name denotes) -> statements ->
local_defs (nested functions; higher_order: map, filter, sorted ... as loops) -> desugar
(control_flow, with iteration and walk_changes; shared_updates) -> to_ssa (reads_writes,
share_views); normalize runs them.  inline reads rule functions' bodies; piecewise rewrites
np.piecewise as the pieces it puts together (in normalize, before local_defs)."""
