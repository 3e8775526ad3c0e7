"""Mish, element-wise and parameter-free: x · tanh(softplus(x)) (a smooth ReLU of detection models written from
scratch). Names: `Mish`, `MishActivation`, `mish_forward/backward(x)`. Exp of a large input overflows unless softplus
is written stably (np.logaddexp(0, x)): the extreme case asks for finite values there.
"""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case, exp_overflow_extremes

KIND = Kind("mish", ("mish", "mishactivation"), elementwise_case, draw_elementwise_shape, elementwise_batch_spec,
            function_stems=("mish",), extreme_specs=exp_overflow_extremes)
