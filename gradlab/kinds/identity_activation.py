"""The identity activation, element-wise and parameter-free: out = x, dx = dout (CMU 11-785's `Identity` in
`mytorch/nn/activation.py`, a network's last layer in regression). Names: `Identity`, `IdentityActivation`,
`identity_forward/backward(x)`.
Non-goal: the "Neural Networks from Scratch" book's `Activation_Linear` (a name a linear layer's kind would take).
"""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec, elementwise_case

KIND = Kind("identity_activation", ("identity", "identityactivation"), elementwise_case,
            draw_elementwise_shape, elementwise_batch_spec, function_stems=("identity",))
