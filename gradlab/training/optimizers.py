"""Parameter-update rules for the MNIST trainer: SGD with momentum, and Adam.

Each optimizer is a small class with ``update(params, grads)``, where both are dicts keyed by
parameter name ("W1", "b1", ...). Arrays in ``params`` are updated **in place**, because the
layers hold those very arrays (``layer.W``) and must see the new values without being rebuilt.
State (velocities, moments) lives in the optimizer, keyed by the same names, so an update is a
pure function of (params, grads, state) that a test can check without any gradient.

Weight decay is decoupled (as in AdamW, Loshchilov & Hutter) and applies only to arrays with two
or more dimensions, i.e. weight matrices, never to biases or batch-norm scales/shifts.

Non-goals: learning-rate schedules (the trainer sets ``lr`` between steps), gradient clipping,
mixed precision, anything beyond what the MNIST network needs.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = ["Momentum", "Adam", "make_optimizer"]


def _check_same_keys(params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
    missing = set(params) - set(grads)
    if missing:
        raise KeyError(f"grads has no entry for {sorted(missing)}; every parameter needs a gradient")


def _decay(p: np.ndarray, lr: float, weight_decay: float) -> None:
    # Decoupled decay shrinks the weights directly; 1-D arrays (biases, gamma, beta) are exempt
    # because decaying them only fights the fit.
    if weight_decay and p.ndim >= 2:
        p *= 1.0 - lr * weight_decay


class Momentum:
    """SGD with momentum: ``v = momentum * v - lr * g``; ``p += v``."""

    def __init__(self, lr: float = 0.01, momentum: float = 0.9, weight_decay: float = 0.0) -> None:
        if lr <= 0 or not 0 <= momentum < 1 or weight_decay < 0:
            raise ValueError(
                f"Momentum(lr={lr}, momentum={momentum}, weight_decay={weight_decay}): "
                "need lr > 0, 0 <= momentum < 1, weight_decay >= 0"
            )
        self.lr = lr
        self.momentum = momentum
        self.weight_decay = weight_decay
        self.velocity: dict[str, np.ndarray] = {}

    def update(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        _check_same_keys(params, grads)
        for name, p in params.items():
            v = self.velocity.get(name)
            if v is None:
                v = self.velocity[name] = np.zeros_like(p)
            v *= self.momentum
            v -= self.lr * grads[name]
            _decay(p, self.lr, self.weight_decay)
            p += v


class Adam:
    """Adam (Kingma & Ba 2015) with bias correction folded into the step size."""

    def __init__(
        self,
        lr: float = 0.001,
        beta1: float = 0.9,
        beta2: float = 0.999,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        if lr <= 0 or not 0 <= beta1 < 1 or not 0 <= beta2 < 1 or eps <= 0 or weight_decay < 0:
            raise ValueError(
                f"Adam(lr={lr}, beta1={beta1}, beta2={beta2}, eps={eps}, weight_decay={weight_decay}): "
                "need lr > 0, 0 <= beta1, beta2 < 1, eps > 0, weight_decay >= 0"
            )
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.weight_decay = weight_decay
        self.steps = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}
        self._scratch: dict[str, np.ndarray] = {}

    def update(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        _check_same_keys(params, grads)
        self.steps += 1
        t = self.steps
        # Folding both bias corrections into one scalar saves two full-size temporaries per array.
        # float() keeps float32 arrays float32: a numpy float64 scalar would upcast the whole update.
        step = float(self.lr * np.sqrt(1.0 - self.beta2**t) / (1.0 - self.beta1**t))
        for name, p in params.items():
            g = grads[name]
            if name not in self.m:
                self.m[name] = np.zeros_like(p)
                self.v[name] = np.zeros_like(p)
                self._scratch[name] = np.empty_like(p)
            m, v, tmp = self.m[name], self.v[name], self._scratch[name]
            # Written with out= into one scratch array: the plain expression allocates nine
            # temporaries per parameter per step, which costs as much as the matrix products.
            m *= self.beta1
            np.multiply(g, 1.0 - self.beta1, out=tmp)
            m += tmp
            v *= self.beta2
            np.multiply(g, g, out=tmp)
            tmp *= 1.0 - self.beta2
            v += tmp
            _decay(p, self.lr, self.weight_decay)
            np.sqrt(v, out=tmp)
            tmp += self.eps
            np.divide(m, tmp, out=tmp)
            tmp *= step
            p -= tmp


def make_optimizer(name: str, lr: float, weight_decay: float = 0.0) -> Momentum | Adam:
    """Build an optimizer by name ('adam' or 'momentum'); an unknown name lists the known ones."""
    if name == "adam":
        return Adam(lr=lr, weight_decay=weight_decay)
    if name == "momentum":
        return Momentum(lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; choose 'adam' or 'momentum'")
