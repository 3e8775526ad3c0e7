"""The other layers an edit of a layer taking its activation as a string also edits.

deeplearning.ai's `linear_activation_backward(dA, cache, activation)` is checked once per string it handles, as
`linear_activation[relu]`, `linear_activation[sigmoid]` (`gradlab.conventions.activation_strings`): one function,
several layers. An edit that repairs the relu branch must leave the sigmoid branch as right as it was (calling
`relu_backward` in both branches makes relu pass and sigmoid fail). The fix search asks each of these layers that
passed before the edit to pass after it too.
Non-goal: layers that share a helper function in another way (a base class: `search._bases_still_pass`).
"""

from __future__ import annotations

from dataclasses import replace

from gradlab.conventions.activation_strings import Bound, activation_strings
from gradlab.conventions.registry import Entry

__all__ = ["other_strings"]


def other_strings(entry: Entry) -> list[Entry]:
    """`entry` bound to each other string both of its functions handle; [] for a layer not taking one."""
    if not isinstance(entry.target, tuple) or not all(isinstance(t, Bound) for t in entry.target):
        return []
    forward, backward = entry.target
    handled = [v for v in activation_strings(forward.fn, forward.argument)
               if v in activation_strings(backward.fn, backward.argument) and v != forward.value]
    stem = entry.name.split("[", 1)[0]
    return [replace(entry, name=f"{stem}[{v}]", target=(Bound(forward.fn, forward.argument, v),
                                                         Bound(backward.fn, backward.argument, v)))
            for v in handled]
