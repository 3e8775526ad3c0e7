"""Hardswish, element-wise and parameter-free: x · min(max(x + 3, 0), 6) / 6, MobileNetV3's cheap swish.

Names: `Hardswish`/`HardSwish`/`HSwish`, `hardswish_forward/backward(x)`, and the PyTorch-book learners'
`hard_swish(x)` next to its derivative. Its derivative is 0 below -3, 1 above 3 and (2x + 3) / 6 between, with
kinks at ±3 (the checker's five-point look skips them); an input scale of 2 puts most values in the middle
piece, where a derivative taken as the linear piece alone shows.
"""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case

KIND = Kind("hardswish", ("hardswish", "hswish"), elementwise_case, draw_elementwise_shape,
            elementwise_batch_spec, function_stems=("hardswish", "hard_swish", "hswish"),
            scales=(1.0, 0.01, 30.0, 2.0))
