"""Training a user's whole model on MNIST with gradlab's optimizer, after its gradients passed.

The model is built at MNIST's sizes (784 inputs, the hidden sizes asked for, 10 classes; its own
regularisation, weight scale and dtype kept) and trained on the 50,000 training digits in its own
convention: CS231n's `loss(X, y) -> (loss, grads)` and the textbook's `gradient(x, t)` on mini-batches
of rows; a Nielsen network's `backprop(x, y)` sample by sample as columns, the mini-batch's gradients
averaged, as its own `update_mini_batch` does. gradlab's optimizer (`gradlab.training.optimizers`)
updates the model's own arrays in place. Accuracy is read off CS231n's `loss(X)` scores, the
textbook's `predict(x)`, Nielsen's `feedforward` (all columns at once where it broadcasts).

Defaults (`DEFAULTS`, documented in the README): a Nielsen network 784-30-10 with SGD, eta = 3.0,
mini-batches of 10, 30 epochs, its quadratic cost, as in the book, on all 60,000 labelled digits;
CS231n and textbook models 784-100-10 with Adam, lr 1e-3, mini-batches of 100, 5 epochs on the 50,000
training digits; the learning rate decays to 0 on a cosine.
Non-goal: checking the model (that is `gradlab.models.check`; the command refuses a failing model first).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

from gradlab.models.adapters import convention_of, parameters_of, seeded
from gradlab.models.build import BuildError, Sizes, build, described
from gradlab.models.errors import ModelError
from gradlab.models.nielsen import backprop_of, feedforward_of, nielsen_nablas
from gradlab.training.mnist import MnistData
from gradlab.training.optimizers import Adam, Momentum

__all__ = ["DEFAULTS", "BuildError", "ModelError", "ModelTrainConfig", "accuracy", "defaults_for", "scores",
           "train_model"]

EVAL_BATCH = 1000


@dataclass(frozen=True)
class ModelTrainConfig:
    hidden: tuple[int, ...] = (100,)
    epochs: int = 5
    batch_size: int = 100
    optimizer: str = "adam"  # "sgd" (plain: gradlab's Momentum with momentum 0) or "adam"
    lr: float = 1e-3
    #: "cosine": the learning rate falls from lr to 0 over all steps (the last epochs settle instead of
    #: jumping around a minimum at full step size); "constant": lr throughout, as the book has it
    lr_schedule: str = "cosine"
    #: train on all 60,000 labelled digits (the validation accuracy is then not held out; the test one is)
    train_on_val: bool = False
    seed: int = 0


DEFAULTS = {
    "nielsen": ModelTrainConfig(hidden=(30,), epochs=30, batch_size=10, optimizer="sgd", lr=3.0, train_on_val=True),
    "cs231n": ModelTrainConfig(),
    "textbook": ModelTrainConfig(),
}


def defaults_for(cls: type, **overrides: Any) -> ModelTrainConfig:
    """The convention's defaults, with the options given (None leaves a default)."""
    convention = convention_of(cls) or "cs231n"
    return replace(DEFAULTS[convention], **{k: v for k, v in overrides.items() if v is not None})


def train_model(cls: type, data: MnistData, config: ModelTrainConfig, *,
                progress: Callable[[str], None] | None = None) -> dict[str, Any]:
    """Train `cls` on `data`; the training summary (`gradlab-training/1` fields, without weights' path)
    and the trained arrays under "arrays". Raises `BuildError` or `ModelError` with a one-line message."""
    convention = convention_of(cls)
    if convention is None:
        raise ModelError(f"{cls.__name__} is not a model in a convention gradlab knows")
    with seeded(config.seed):
        model, kwargs, _ = build(cls, Sizes(N=config.batch_size, D=784, hidden=config.hidden, C=10),
                                 for_check=False)
    params, _ = parameters_of(convention, model)
    step = _stepper(convention, model)
    opt: Momentum | Adam = Momentum(lr=config.lr, momentum=0.0) if config.optimizer == "sgd" else Adam(lr=config.lr)
    rng = np.random.default_rng(config.seed)
    curves: dict[str, list[float]] = {"train_loss": [], "train_accuracy": [], "val_accuracy": []}
    seconds: list[float] = []
    x, y = data.x_train.astype(np.float64), data.y_train
    if config.train_on_val:
        x, y = np.concatenate([x, data.x_val.astype(np.float64)]), np.concatenate([y, data.y_val])
    total = config.epochs * -(-len(y) // config.batch_size)
    steps = 0
    for epoch in range(config.epochs):
        start = time.perf_counter()
        order = rng.permutation(len(y))
        for i in range(0, len(y), config.batch_size):
            if config.lr_schedule == "cosine":
                opt.lr = 0.5 * config.lr * (1.0 + math.cos(math.pi * steps / total))
            batch = order[i:i + config.batch_size]
            opt.update(params, step(x[batch], y[batch]))
            steps += 1
        seconds.append(time.perf_counter() - start)
        subset = order[:EVAL_BATCH]
        curves["train_loss"].append(_loss(convention, model, x[subset], y[subset]))
        curves["train_accuracy"].append(accuracy(convention, model, x[subset], y[subset]))
        curves["val_accuracy"].append(accuracy(convention, model, data.x_val, data.y_val))
        if progress:
            progress(f"epoch {epoch + 1}/{config.epochs}: validation accuracy {curves['val_accuracy'][-1]:.4f} "
                     f"({seconds[-1]:.1f} s)")
    return {
        "config": {**{k: list(v) if isinstance(v, tuple) else v for k, v in asdict(config).items()},
                   "model": described(cls, kwargs), "convention": convention},
        "test_accuracy": accuracy(convention, model, data.x_test, data.y_test),
        "val_accuracy": curves["val_accuracy"][-1], "val_held_out": not config.train_on_val,
        "train_seconds": float(sum(seconds)), "epoch_seconds": seconds, "curves": curves,
        "arrays": {k: np.array(v) for k, v in params.items()},
    }


def _stepper(convention: str, model: Any) -> Callable[[np.ndarray, np.ndarray], dict[str, np.ndarray]]:
    """The mean gradient of one mini-batch, keyed like `parameters_of`."""
    if convention == "cs231n":
        return lambda xb, yb: model.loss(xb, yb)[1]
    if convention == "textbook":
        return lambda xb, yb: model.gradient(xb, yb)
    n = len(model.weights)

    def nielsen(xb: np.ndarray, yb: np.ndarray) -> dict[str, np.ndarray]:
        total = {f"weights[{i}]": np.zeros(w.shape) for i, w in enumerate(model.weights)}
        total.update({f"biases[{i}]": np.zeros(b.shape) for i, b in enumerate(model.biases)})
        for xs, ys in zip(xb, yb):
            nabla_b, nabla_w = nielsen_nablas(backprop_of(model)(xs.reshape(-1, 1), _one_hot(ys)), model)
            for i in range(n):
                total[f"weights[{i}]"] += nabla_w[i]
                total[f"biases[{i}]"] += nabla_b[i]
        return {k: v / len(yb) for k, v in total.items()}

    return nielsen


def _one_hot(label: int) -> np.ndarray:
    e = np.zeros((10, 1))
    e[int(label)] = 1.0
    return e


def scores(convention: str, model: Any, x: np.ndarray) -> np.ndarray:
    """Class scores (N, 10) of `x`, in evaluation mode, in chunks."""
    out = []
    for i in range(0, len(x), EVAL_BATCH):
        xb = x[i:i + EVAL_BATCH].astype(np.float64)
        if convention == "cs231n":
            out.append(np.asarray(model.loss(xb)))
        elif convention == "textbook":
            out.append(np.asarray(model.predict(xb)))
        else:
            out.append(_feedforward_columns(model, xb))
    return np.concatenate(out)


def _feedforward_columns(model: Any, xb: np.ndarray) -> np.ndarray:
    try:  # Nielsen's feedforward broadcasts its (n, 1) biases over columns: all samples at once
        a = np.asarray(feedforward_of(model)(xb.T))
        if a.shape == (10, len(xb)):
            return a.T
    except ValueError:
        pass
    return np.stack([np.asarray(feedforward_of(model)(s.reshape(-1, 1))).reshape(-1) for s in xb])


def accuracy(convention: str, model: Any, x: np.ndarray, y: np.ndarray) -> float:
    return float(np.mean(scores(convention, model, x).argmax(axis=1) == y))


def _loss(convention: str, model: Any, x: np.ndarray, y: np.ndarray) -> float:
    if convention == "cs231n":
        return float(model.loss(x, y)[0])
    if convention == "textbook":
        return float(model.loss(x, y))
    a = scores(convention, model, x)
    return float(np.mean(0.5 * np.sum((a - np.eye(10)[y]) ** 2, axis=1)))

