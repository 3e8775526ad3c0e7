"""The names learners give a class-style layer's forward and backward when they are not `forward` and `backward`.

Omar Aflak's "neural network from scratch" article and its forks write `forward_propagation(input_data)` /
`backward_propagation(output_error, learning_rate)`, and their learners respell them (`forward_propagate` /
`back_propagate`, `forward_propogation`); others call the layer as a function, `__call__(x)` or Keras' `call(x)`,
beside a `backward`. `gradlab.conventions.class_construction` gives the object built `forward`/`backward` as other
names of the same bound methods; the layer finder and the source reading take such a class for a layer.
Non-goal: building or calling the layer.
"""

from __future__ import annotations

from typing import Any

__all__ = ["PROPAGATION_METHODS", "PROPAGATION_PAIRS", "propagation_pair"]

#: the article's names for forward and backward
PROPAGATION_METHODS = ("forward_propagation", "backward_propagation")
#: forward and backward under other names learners give them: the article's and its forks' spellings (misspellings
#: included), and a layer called as a function, `__call__(x)` or Keras' `call(x)`, beside its backward
PROPAGATION_PAIRS = (PROPAGATION_METHODS, ("forward_propagate", "back_propagate"),
                     ("forward_propagate", "backward_propagate"), ("forward_prop", "backward_prop"),
                     ("forward_prop", "back_prop"), ("fwd_prop", "back_prop"),
                     ("forward_propogation", "backward_propogation"), ("forwardPropagation", "backwardPropagation"),
                     ("forward_propagation", "back_propagation"), ("__call__", "backward"), ("call", "backward"),
                     ("__call__", "delta"))


def propagation_pair(cls: Any) -> tuple[str, str] | None:
    """The names a class without `forward` gives its forward and backward (`PROPAGATION_PAIRS`), or None. A
    `__call__` counts only where the class or a base of its own defines it (every class object is callable)."""
    if not isinstance(cls, type) or callable(getattr(cls, "forward", None)):
        return None
    for pair in PROPAGATION_PAIRS:
        defined = [any(m in vars(k) for k in cls.__mro__[:-1]) for m in pair]
        if all(defined) and all(callable(getattr(cls, m, None)) for m in pair):
            return pair
    return None
