"""Helpers that generated code calls, imported there as `_ad`.

Each helper is small and has derivative rules of its own (rules/runtime_rules.py), so generated
code can itself be differentiated again (Hessian-vector products, double backpropagation).

Contents:
    unbroadcast(g, x)        reduce a cotangent to the shape of x (sum over broadcast axes)
    broadcast_like(t, z)     broadcast a tangent to the shape of z
    zeros_like(x)            zero of any value: float, array, tuple, list, dict
    add(a, b)                a + b for values and containers (accumulation of adjoints)
    add_at(buf, index, g)    buf with g added at buf[index]; new value, buf untouched
    item_of(adj, index, like)   adj[index], zeros like `like` at a key a dict's adjoint lacks
    sum_grad(g, x, axis, keepdims)   spread the cotangent of a sum back over x
    scalar_like(v, x)        v converted to the kind of x (Python float stays float)
    attribute(x, name)       x.name; attribute_grad(g, x, name) its cotangent in x (objects.py)
    rule_result(v, like, rule)   v, where a user's rule gave it like's shape (user_rules.py)
    check_unshared(name, a, *others)   stop where an argument written into is another too
    with_field(x, name, v)   `x.name = v` as a new object; field_cleared(g, like, name) its
                             derivative in x

The helpers live in modules by who calls them: core (what the transforms emit), and what the
derivative rules inline: arrays (indexing, reductions, scans, assembling and splitting),
products (matrix and tensor products, einsum), linalg (np.linalg and scipy.linalg), special
(Fourier, interpolation, histograms, special functions); user_rules (the check of
what a user's rule returns); batched (jacfwd and jacrev).
Generated code reads each as an attribute of this package, so each is imported here by name.
"""
from s2s_ad.runtime.core import (unbroadcast, reduction_plan, broadcast_like, zeros_like, add,
                                 pow_slope, pow_slope_db, div, add_at, item_of, sum_grad, check_assertion,
                                 aux_pair, grad_seed, sign, MISSING_ITEM, saved_item,
                                 restore_item, copy_of, spread, scalar_like, keys_of,
                                 check_walked, raise_exception, formatted, push_errstate,
                                 pop_errstate, sorted_order, index_of_min, index_of_max,
                                 attribute, attribute_grad, record, record_fields,
                                 record_fields_grad, unpacked_grad, unsupported)
from s2s_ad.runtime.fields import with_field, field_cleared, updated_field, tangent_field
from s2s_ad.runtime.objects import register_pytree
from s2s_ad.runtime.statements import (enter_context, exit_context, without_item,
                                      without_item_grad, generated_items, generated_tuple,
                                      tuple_items, try_path)
from numpy import ravel as flat_items     # `a.flat` read (normalize.py): np.ravel, its rules
from numpy import asarray as as_array     # np.piecewise's x (frontend/piecewise.py): its rules
from numpy import dot as multi_dot_pair     # np.linalg.multi_dot of two (normalize.py): np.dot
from numpy.linalg import norm as norm_of_axes     # np.linalg.matrix_norm (normalize.py)
from s2s_ad.runtime.arrays import (inverse_axes, last_writes, prod_others, max_grad, max_jvp,
                                   quantile_weights, quantile_axes, cumsum_grad, diff_grad,
                                   weights_shape, diagonal_grad, stack_split, stack_join,
                                   array_grad, tile_grad, repeat_grad, rollaxis_dest, pad_grad,
                                   take_grad, take_along_axis_grad, select_grad,
                                   along_axis_index, gradient, gradient_grad, piecewise_masks,
                                   piecewise_start, piecewise_place, running_extremum_index)
from s2s_ad.runtime.products import (matmul_grad_a, matmul_grad_b, matmul_grad_b_steps,
                                     matmul_grad_a_steps, unbroadcast_steps, dot_grad_a,
                                     dot_grad_b, tensordot_grad_a, tensordot_grad_b,
                                     inner_grad_a, inner_grad_b, kron_grad_a, kron_grad_b,
                                     convolve_grad_a, convolve_grad_b, einsum_subscripts,
                                     einsum_spec, einsum_expand, einsum_collapse, einsum)
from s2s_ad.runtime.special import (fit_axis, irfft_weights, interp_slope, interp_fp_grad,
                                    histogram_bin, histogram_weights_grad, polygamma,
                                    sinc_derivative)
from s2s_ad.runtime.linalg import (tuple_like, reduced_svd, reduced_qr, distinct_eigenvalues,
                                   largest_entries, full_rank, norm_form, singular_values_used,
                                   banded_dense, dense_banded, lu_pivots_matrix)
from s2s_ad.runtime.layout import (meshgrid_axis, meshgrid_other_axes, meshgrid_shape, one_item,
                                   kept_mask, inserted_labels, along_axes, fft_axes,
                                   full_widths, correlate2d_widths, dct_matrices,
                                   multi_dot_three, swapped_norm, block_split,
                                   block_join)
from s2s_ad.runtime.user_rules import rule_result
from s2s_ad.runtime.arguments import check_unshared
from s2s_ad.runtime.batched import (batch_axis, batch_axes, batch_reshape, unbroadcast_batch,
                                    broadcast_batch, sum_grad_batch)
