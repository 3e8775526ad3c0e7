"""Swish (SiLU), element-wise and parameter-free: `Swish` or `swish_forward/backward(x)`."""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, exp_overflow_extremes

KIND = Kind("swish", ("swish", "silu"), elementwise_case, draw_elementwise_shape, elementwise_batch_spec,
            function_stems=("swish", "silu"), extreme_specs=exp_overflow_extremes)
