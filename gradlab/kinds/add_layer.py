"""The textbook's addition node (vol. 1, chapter 5): out = x + y, element by element.

Names: `AddLayer()` and `Add` (DeZero's `Add(Function)` too, whose backward needs nothing `__call__` sets) with
`forward(x, y) -> x + y` and `backward(dout) -> (dx, dy)`, both the upstream gradient unchanged (the book writes
`dout * 1`). Not `AddGate`: the tutorials that use the name add a bias, `backward(x, b, dz)`. y has x's shape and
one row per sample, a forward argument (`Kind.forward_inputs`), checked as dx is. Class style only, as the
mul_layer kind says.
"""

from __future__ import annotations

from gradlab.core.kind import Kind
from gradlab.kinds.common import draw_elementwise_shape, elementwise_batch_spec
from gradlab.kinds.mul_layer import build

KIND = Kind("add_layer", ("addlayer", "add"), build, draw_elementwise_shape, elementwise_batch_spec,
            params=("y",), forward_inputs=("y",), batch_params=("y",))
