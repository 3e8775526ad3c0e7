"""The candidate families of whole kinds of slip, each in a small module of its own, in one list.

Each family looks at one statement of a function and the function around it, and proposes only where the
code shows the shape of its slip (an indexed `+=`, a name bound from `self.grads`, a penalty the loss names,
a padded array, ...), so each costs the search a few candidates, not one per reference.
Non-goal: ordering them (`gradlab.fixes.candidates` does, by the families the bug codes name).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from gradlab.fixes.accumulated import accumulated_edits
from gradlab.fixes.aliases import alias_edits
from gradlab.fixes.always import always_edits
from gradlab.fixes.arguments import argument_edits
from gradlab.fixes.biases import bias_sum_edits
from gradlab.fixes.blocks import block_sum_edits
from gradlab.fixes.bounds import bounds_edits
from gradlab.fixes.branches import branch_edits
from gradlab.fixes.caps import cap_edits
from gradlab.fixes.centre import centre_edits, named_centre_edits
from gradlab.fixes.chainfactor import chain_factor_edits
from gradlab.fixes.columns import column_edits
from gradlab.fixes.constants import constant_axis_edits
from gradlab.fixes.counts import size_name_edits
from gradlab.fixes.coupling import coupling_edits
from gradlab.fixes.crashes import crash_edits
from gradlab.fixes.crop import crop_edits
from gradlab.fixes.ddof import ddof_edits
from gradlab.fixes.derivatives import derivative_edits
from gradlab.fixes.dilation import dilation_edits
from gradlab.fixes.direction import direction_edits
from gradlab.fixes.divide import divide_edits
from gradlab.fixes.effects import no_effect_edits
from gradlab.fixes.expressions import Context
from gradlab.fixes.extremum import extremum_edits
from gradlab.fixes.flatindex import flat_index_edits
from gradlab.fixes.flatten import flatten_edits
from gradlab.fixes.flips import flip_edits
from gradlab.fixes.gaussian import gaussian_edits
from gradlab.fixes.indices import index_order_edits
from gradlab.fixes.inplace import inplace_edits
from gradlab.fixes.inverses import inverse_edits
from gradlab.fixes.jacobian import jacobian_edits
from gradlab.fixes.joins import join_edits
from gradlab.fixes.keepgrad import keep_gradient_edits
from gradlab.fixes.keepinput import keep_input_edits
from gradlab.fixes.keepoutput import keep_output_edits
from gradlab.fixes.keepshape import keep_shape_edits, kept_allocation_edits
from gradlab.fixes.keptlocal import kept_local_edits
from gradlab.fixes.keys import key_edits
from gradlab.fixes.lastaxes import last_axes_edits
from gradlab.fixes.layouts import layout_edits
from gradlab.fixes.leaks import leak_edits
from gradlab.fixes.leftover import leftover_edits
from gradlab.fixes.literals import literal_edits
from gradlab.fixes.lost_paths import lost_path_edits
from gradlab.fixes.margins import margin_edits
from gradlab.fixes.masks import count_edits, mask_edits
from gradlab.fixes.mirror import mirror_edits
from gradlab.fixes.offsets import offset_edits
from gradlab.fixes.operands import direct_term_edits, operand_path_edits, product_operand_edits
from gradlab.fixes.orders import reshape_order_edits
from gradlab.fixes.overrides import override_edits
from gradlab.fixes.ownoutput import own_output_edits
from gradlab.fixes.passes import passed_through_edits
from gradlab.fixes.penalty import penalty_edits
from gradlab.fixes.permutes import permute_edits
from gradlab.fixes.powers import power_edits
from gradlab.fixes.productrule import product_rule_edits
from gradlab.fixes.reapplied import reapplied_edits
from gradlab.fixes.rebuild import Edit
from gradlab.fixes.reductions import complement_edits, moved_axis_edits, unreduce_edits
from gradlab.fixes.renamed import renamed_edits
from gradlab.fixes.rescale import rescale_edits, size_edits
from gradlab.fixes.roots import root_edits
from gradlab.fixes.rowsum import row_sum_edits
from gradlab.fixes.saved import saved_edits
from gradlab.fixes.scales import forward_factor_edits
from gradlab.fixes.scatter import scatter_edits
from gradlab.fixes.secondterm import second_term_edits
from gradlab.fixes.shifted import bound_shift_edits
from gradlab.fixes.siblings import sibling_edits
from gradlab.fixes.signs import abs_sign_edits
from gradlab.fixes.sizes import size_product_edits
from gradlab.fixes.skips import skip_edits
from gradlab.fixes.slots import slot_edits
from gradlab.fixes.spread import spread_edits
from gradlab.fixes.squares import square_edits
from gradlab.fixes.stable import stable_edits
from gradlab.fixes.starts import zeros_start_edits
from gradlab.fixes.statistics import sibling_axis_edits
from gradlab.fixes.stores import store_edits
from gradlab.fixes.strides import stride_edits
from gradlab.fixes.subscripts import subscript_edits
from gradlab.fixes.sums import sum_edits
from gradlab.fixes.swaps import swap_edits
from gradlab.fixes.terms import term_factor_edits
from gradlab.fixes.unpack import unpack_edits
from gradlab.fixes.unravel import unravel_edits
from gradlab.fixes.unread import unread_edits
from gradlab.fixes.unused import unused_term_edits
from gradlab.fixes.updates import update_edits
from gradlab.fixes.upstream import upstream_edits
from gradlab.fixes.views import view_edits
from gradlab.fixes.windows import window_edits
from gradlab.fixes.zeros import product_edits

__all__ = ["GENERATORS", "family_edits"]

Generator = Callable[[ast.stmt, Context, ast.FunctionDef], Iterator[tuple[Edit, ...]]]
#: every family's generator
GENERATORS: tuple[Generator, ...] = (scatter_edits, inplace_edits, penalty_edits, mask_edits, upstream_edits,
                                     square_edits, unreduce_edits, complement_edits, crop_edits, flatten_edits,
                                     product_edits, moved_axis_edits, window_edits, view_edits, leak_edits,
                                     centre_edits, always_edits, count_edits, bounds_edits,
                                     unravel_edits, rescale_edits, root_edits, override_edits,
                                     constant_axis_edits, size_edits, reshape_order_edits,
                                     mirror_edits, subscript_edits, stride_edits, flip_edits,
                                     layout_edits, key_edits, unpack_edits, alias_edits,
                                     size_name_edits, column_edits, store_edits, crash_edits,
                                     stable_edits, update_edits, swap_edits, sum_edits,
                                     keep_shape_edits, cap_edits, divide_edits,
                                     accumulated_edits, power_edits, keep_input_edits,
                                     unread_edits, derivative_edits, branch_edits, keep_output_edits,
                                     join_edits, sibling_axis_edits, permute_edits, literal_edits,
                                     index_order_edits, slot_edits, product_rule_edits, skip_edits,
                                     coupling_edits, keep_gradient_edits, reapplied_edits,
                                     term_factor_edits, inverse_edits, forward_factor_edits,
                                     no_effect_edits, renamed_edits, bias_sum_edits, unused_term_edits,
                                     passed_through_edits, argument_edits, zeros_start_edits,
                                     dilation_edits, block_sum_edits, spread_edits, row_sum_edits,
                                     named_centre_edits, kept_allocation_edits, abs_sign_edits,
                                     direction_edits, bound_shift_edits, ddof_edits,
                                     gaussian_edits, jacobian_edits, sibling_edits, last_axes_edits,
                                     leftover_edits, offset_edits, extremum_edits, flat_index_edits,
                                     size_product_edits, second_term_edits, chain_factor_edits,
                                     margin_edits, saved_edits, kept_local_edits,
                                     own_output_edits, direct_term_edits, operand_path_edits, product_operand_edits,
                                     lost_path_edits)


def family_edits(stmt: ast.stmt, ctx: Context, func: ast.FunctionDef) -> Iterator[tuple[Edit, ...]]:
    for generate in GENERATORS:
        yield from generate(stmt, ctx, func)
