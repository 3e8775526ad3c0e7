"""Sigmoid, element-wise and parameter-free: `Sigmoid` or `sigmoid_forward/backward(x)`."""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, exp_overflow_extremes

KIND = Kind("sigmoid", ("sigmoid",), elementwise_case, draw_elementwise_shape, elementwise_batch_spec,
            function_stems=("sigmoid",), extreme_specs=exp_overflow_extremes, training_role="activation")
