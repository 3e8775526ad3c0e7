"""What gradlab hands a layer's constructor for its source of random initial weights.

`Linear(d_in, d_out, rng)`, `Dense(n_in, n_out, seed)`: a library's layers draw their initial weights from an argument
the caller supplies. gradlab sets the layer's weights to the case's once it is built, so any source will do; it
must only be one the code can call.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["RANDOM_NAMES", "random_source"]

#: a constructor's source of random initial weights, by the names courses and libraries give it
RANDOM_NAMES = ("rng", "random_state", "generator", "random_generator", "seed", "rs", "key")


class _EitherRandom:
    """A numpy Generator that also answers RandomState's names (`rng.randn`, `rng.rand`, `rng.randint`): a layer's
    `rng` argument is called in either API, and which one the code expects cannot be read off its name."""

    def __init__(self) -> None:
        self._generator = np.random.default_rng(0)
        self._legacy = np.random.RandomState(0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._generator, name) if hasattr(self._generator, name) else getattr(self._legacy, name)


def random_source(name: str) -> Any:
    """A seed for an argument named as one (`seed`: np.random.seed, default_rng and RandomState all take an int),
    else a random generator answering both of numpy's APIs; a JAX-style `key` gets the seed too."""
    return 0 if name in ("seed", "key") else _EitherRandom()
