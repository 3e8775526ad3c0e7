"""Softplus, log(1 + eˣ), element-wise and parameter-free: `Softplus` or `softplus_forward/backward(x)`."""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, exp_overflow_extremes

KIND = Kind("softplus", ("softplus",), elementwise_case, draw_elementwise_shape, elementwise_batch_spec,
            function_stems=("softplus",), extreme_specs=exp_overflow_extremes)
