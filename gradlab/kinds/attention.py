"""The second volume's Attention (chapter 8): AttentionWeight and WeightSum composed.

Names: `Attention()` with `forward(hs, h) -> c` and `backward(dc) -> (dhs, dh)`: hs (N, T, H), h (N, H),
a = softmax over T of hs[n, t] · h[n], c[n] = sum over t of a[n, t] * hs[n, t] (N, H). hs reaches c
twice (through the weights and as what is weighted): dhs is the sum of both paths, and a layer that
keeps one of them is dropped-term. h holds one row per sample and is a forward argument.
"""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.attention_weight import batch_spec, build, coupling_dropped, draw_shape
from gradlab.kinds.weight_sum import ATTENTION_SCALES

KIND = Kind(
    "attention", ("attention",), build, draw_shape, batch_spec,
    params=("h",), forward_inputs=("h",), batch_params=("h",), scales=ATTENTION_SCALES,
    explain=coupling_dropped,
)
