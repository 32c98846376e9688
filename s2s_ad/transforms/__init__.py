"""Transforms: an analysed SSA function in, the gast of its derivative out. forward (JVP),
reverse (VJP with a tape), batching (the batched Jacobian modes), program (the generated
functions of the called user functions); pipeline runs the stages in order, frontend to
codegen."""
