"""Analysis: facts about an SSA function, read by the transforms. ops (what each statement
calls), kinds (number, array, container), shapes, activity, aliasing (writes into arrays and
their views: bindings, sharing, alias_flow), calls (user functions called, what they write
into); analysed gathers them."""
