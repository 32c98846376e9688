"""Rules for the runtime helpers of rewritten statements (runtime/statements.py).

    without_item <-> without_item_grad   `del c[k]` and its cotangent, each linear in c
    generated_items                      the identity on the list a generator helper returns
    generated_tuple <-> tuple_items      tuple(...) of that list, and back
    enter_context, exit_context, try_path   no derivative, and never dropped or moved
"""
from s2s_ad import runtime as _ad
from s2s_ad.rules.registry import deffacts, defjvp, defstructural, defvjp, nondifferentiable

defvjp(_ad.without_item,
       lambda gbar, out, container, index: _ad.without_item_grad(gbar, container, index))
defjvp(_ad.without_item, lambda tdot, out, container, index: _ad.without_item(tdot, index))
defvjp(_ad.without_item_grad,
       lambda gbar, out, g, container, index: _ad.without_item(gbar, index))
defjvp(_ad.without_item_grad,
       lambda tdot, out, g, container, index: _ad.without_item_grad(tdot, container, index))
defvjp(_ad.generated_items, lambda gbar, out, items: gbar)
defjvp(_ad.generated_items, lambda tdot, out, items: _ad.generated_items(tdot))
# tuple(items) of a list: its cotangent a list again (None, a zero, stays None)
defvjp(_ad.generated_tuple, lambda gbar, out, items: _ad.tuple_items(gbar))
defjvp(_ad.generated_tuple, lambda tdot, out, items: _ad.generated_tuple(tdot))
defvjp(_ad.tuple_items, lambda gbar, out, items: _ad.generated_tuple(gbar))
defjvp(_ad.tuple_items, lambda tdot, out, items: _ad.tuple_items(tdot))
for _helper in (_ad.without_item, _ad.without_item_grad, _ad.generated_items,
                _ad.generated_tuple, _ad.tuple_items):
    defstructural(_helper)
    deffacts(_helper, kind="tuple")      # a list or a dict

nondifferentiable(_ad.enter_context, _ad.exit_context, _ad.try_path)
# the block's statements run between enter and exit; a try's path is found where it stands
deffacts(_ad.enter_context, _ad.exit_context, _ad.try_path, pure=False)
