"""ReLU6, element-wise and parameter-free: min(max(x, 0), 6), the activation of MobileNet.

Names: `ReLU6`/`Relu6`, `relu6_forward/backward(x)`, and the PyTorch-book learners' `relu6(x)` next to its
derivative. Its two kinks, at 0 and at 6, are the checker's to find and skip (the five-point look), as ReLU's
one kink is: the input scales drawn put many values beyond 6, where the gradient must be 0.
"""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case

#: where ReLU6 clips from above
CAP = 6.0

KIND = Kind("relu6", ("relu6",), elementwise_case, draw_elementwise_shape, elementwise_batch_spec,
            function_stems=("relu6",), scales=(1.0, 0.01, 30.0, 5.0))
