"""deeplearning.ai's L-layer network, written as module functions rather than a class: `L_model_forward(X,
parameters) -> (AL, caches)`, `compute_cost(AL, Y)` and `L_model_backward(AL, Y, caches) -> grads` (course 1, week 4,
"Deep Neural Network for Image Classification", and its `dnn_app_utils`).

Samples are columns (X `(n_x, m)`), `parameters` holds `W1` `(n_1, n_x)`, `b1` `(n_1, 1)`, ... for every layer, the
last one a sigmoid unit (AL `(1, m)`, labels Y `(1, m)` of 0 and 1), and `grads` holds `dW1`, `db1`, ..., each the
gradient of the mean cost. gradlab checks the three together as one model, in the CS231n convention its model check
knows (`loss(X, y) -> (loss, grads)`): a class made here around the module's functions, its parameters drawn at the
sizes the check asks, X handed transposed and the labels as a row of 0 and 1. The model is named `L_model`.
Non-goal: the course's regularised or dropout variants (`compute_cost_with_regularization`, `forward_propagation_
with_dropout`), which take other arguments.
"""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType
from typing import Any

import numpy as np

__all__ = ["FUNCTIONS", "MODEL_NAME", "deep_model_of"]

#: the functions a module must define, as the course names them
FUNCTIONS = ("L_model_forward", "compute_cost", "L_model_backward")
#: the model's name in reports
MODEL_NAME = "L_model"


def deep_model_of(module: ModuleType) -> type | None:
    """A CS231n-convention model class running `module`'s L-layer functions, or None where it lacks one of them."""
    found: list[Callable[..., Any]] = [f for f in (getattr(module, name, None) for name in FUNCTIONS)
                                       if callable(f) and getattr(f, "__module__", None) == module.__name__]
    if len(found) != len(FUNCTIONS):
        return None
    forward, cost, backward = found

    class L_model:  # noqa: N801 - named as the course names the model (MODEL_NAME)
        """The module's L-layer network: `loss(X, y)` runs its forward, cost and backward (see the module)."""

        def __init__(self, input_dim: int = 4, hidden_dims: tuple[int, ...] = (5, 3), weight_scale: float = 0.5,
                     seed: int = 0) -> None:
            rng = np.random.default_rng(seed)
            sizes = [int(input_dim), *(int(h) for h in hidden_dims), 1]
            self.params: dict[str, np.ndarray] = {}
            for layer, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
                self.params[f"W{layer}"] = weight_scale * rng.standard_normal((n_out, n_in))
                self.params[f"b{layer}"] = 0.1 * rng.standard_normal((n_out, 1))

        def loss(self, X: np.ndarray, y: np.ndarray | None = None) -> Any:
            A0 = np.asarray(X, dtype=np.float64).reshape(len(X), -1).T
            AL, caches = forward(A0, self.params)
            if y is None:
                return np.asarray(AL).T
            Y = (np.asarray(y).reshape(1, -1) % 2).astype(np.float64)
            loss = float(np.squeeze(cost(AL, Y)))
            grads = backward(AL, Y, caches)
            return loss, {name: grads.get(f"d{name}") for name in self.params}

    L_model.__module__ = module.__name__
    return L_model
