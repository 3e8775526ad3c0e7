"""Training an MNIST multilayer perceptron built from class-style layers that passed the checks.

The trainer is handed the layer *classes* (``{"affine": Affine, "activation": Relu, "loss":
SoftmaxWithLoss}``, optionally ``"dropout"`` and ``"batchnorm"``) and never imports an
implementation itself: the point is to show that layers the harness verified really train.
Layers are used exactly as a course writes them: ``Affine(W, b)`` with ``forward(x)``,
``backward(dout)`` returning ``dx`` and leaving ``dW``/``db`` on the layer (the ``params``/``grads``
dict spelling works too); ``SoftmaxWithLoss`` with ``forward(x, t)`` and ``backward(dout=1)``;
``Dropout``/``BatchNormalization`` with ``forward(x, train_flg)``.

The default :class:`TrainConfig` is the benchmark network: it reaches at least 98.5 % test
accuracy in well under 60 s of training on 2 CPU cores (the measured run is ``reports/training.json``).

Non-goals: convolutional networks, GPUs, checkpoint/resume, plotting (reports draw the curves
from :class:`TrainResult`), and changing BLAS thread settings (left to the caller's environment).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.training.mnist import MnistData
from gradlab.training.optimizers import Adam, Momentum, make_optimizer

__all__ = ["TrainConfig", "TrainResult", "train", "save_weights", "load_weights", "predict"]

ACTIVATIONS = ("relu", "sigmoid", "tanh")
OPTIMIZERS = ("adam", "momentum")
EVAL_BATCH = 2000  # big enough to keep BLAS busy, small enough to bound memory on evaluation


@dataclass(frozen=True)
class TrainConfig:
    """Everything that decides the trained weights, given the data and the layer classes."""

    hidden: tuple[int, ...] = (800,)
    activation: str = "relu"  # picks the initialisation: He for relu, Xavier (Glorot) otherwise
    epochs: int = 8
    batch_size: int = 128
    optimizer: str = "adam"
    lr: float = 3e-3
    lr_schedule: str = "cosine"  # "cosine" (to 0 over all steps) or "constant"
    weight_decay: float = 0.0  # decoupled, on weight matrices only (see gradlab.training.optimizers)
    dropout: float = 0.0  # ratio after each hidden activation; needs a "dropout" layer class
    batchnorm: bool = False  # batch norm before each hidden activation; needs a "batchnorm" class
    max_shift: int = 1  # augmentation: each training image moves by up to this many pixels
    train_on_val: bool = False  # train on 60,000 digits; val accuracy is then *not* held out
    seed: int = 0
    dtype: str = "float32"

    def __post_init__(self) -> None:
        problems = []
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            problems.append(f"hidden={self.hidden!r} needs at least one positive size, e.g. (800,)")
        if self.activation not in ACTIVATIONS:
            problems.append(f"activation={self.activation!r} is not one of {ACTIVATIONS}")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"optimizer={self.optimizer!r} is not one of {OPTIMIZERS}")
        if self.lr_schedule not in ("cosine", "constant"):
            problems.append(f"lr_schedule={self.lr_schedule!r} is not 'cosine' or 'constant'")
        if self.epochs < 1 or self.batch_size < 1 or self.lr <= 0:
            problems.append("epochs, batch_size and lr must be positive")
        if not 0.0 <= self.dropout < 1.0:
            problems.append(f"dropout={self.dropout} must be in [0, 1)")
        if not 0 <= self.max_shift <= 8:
            problems.append(f"max_shift={self.max_shift} must be between 0 and 8 pixels")
        if np.dtype(self.dtype).kind != "f":
            problems.append(f"dtype={self.dtype!r} must be a float type such as 'float32'")
        if problems:
            raise ValueError("bad TrainConfig: " + "; ".join(problems))


@dataclass
class TrainResult:
    """What a training run produced. ``train_seconds`` is explained in :func:`train`."""

    config: TrainConfig
    test_accuracy: float
    val_accuracy: float
    val_held_out: bool  # False when config.train_on_val: then val accuracy is a training score
    train_seconds: float
    epoch_seconds: list[float] = field(default_factory=list)  # pure optimisation time per epoch
    train_loss: list[float] = field(default_factory=list)  # mean minibatch loss per epoch
    train_accuracy: list[float] = field(default_factory=list)  # on the (augmented) minibatches
    val_accuracy_curve: list[float] = field(default_factory=list)
    weights: dict[str, np.ndarray] = field(default_factory=dict)  # "W1", "b1", ...

    def summary(self) -> dict[str, Any]:
        """JSON-ready figures (no weights), for reports."""
        return {
            "config": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self.config).items()},
            "test_accuracy": self.test_accuracy,
            "val_accuracy": self.val_accuracy,
            "val_held_out": self.val_held_out,
            "train_seconds": self.train_seconds,
            "epoch_seconds": self.epoch_seconds,
            "train_loss": self.train_loss,
            "train_accuracy": self.train_accuracy,
            "val_accuracy_curve": self.val_accuracy_curve,
        }


# --------------------------------------------------------------------------- the network


def _param(layer: Any, name: str) -> np.ndarray:
    if hasattr(layer, name):
        return getattr(layer, name)
    return layer.params[name]


def _grad(layer: Any, name: str) -> np.ndarray:
    g = getattr(layer, "d" + name, None)
    if g is None and isinstance(getattr(layer, "grads", None), Mapping):
        g = layer.grads.get(name)
    if g is None:
        raise AttributeError(
            f"{type(layer).__name__} left no gradient for {name!r} after backward: "
            f"set self.d{name} (or self.grads[{name!r}])"
        )
    return g


class _Network:
    """An MLP as a list of layer objects plus a name → array map of the parameters they hold."""

    def __init__(self, layers: Mapping[str, type], config: TrainConfig, n_in: int, n_out: int,
                 rng: np.random.Generator) -> None:
        needed = ["affine", "activation", "loss"]
        if config.dropout:
            needed.append("dropout")
        if config.batchnorm:
            needed.append("batchnorm")
        missing = [role for role in needed if role not in layers]
        if missing:
            raise KeyError(f"layers has no class for {missing}; given roles: {sorted(layers)}")

        dtype = np.dtype(config.dtype)
        self.layers: list[tuple[str, Any]] = []  # (role, layer)
        # name -> (layer, attribute): where each parameter lives and where its gradient appears
        self.slots: dict[str, tuple[Any, str]] = {}
        sizes = [n_in, *config.hidden, n_out]
        for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:]), start=1):
            # He init keeps ReLU activations' variance constant; Glorot suits the saturating ones.
            gain = 2.0 if config.activation == "relu" else 1.0
            scale = np.sqrt(gain / fan_in) if config.activation == "relu" else np.sqrt(2.0 / (fan_in + fan_out))
            W = (rng.standard_normal((fan_in, fan_out)) * scale).astype(dtype)
            b = np.zeros(fan_out, dtype=dtype)
            self._add("affine", layers["affine"](W, b), {f"W{i}": "W", f"b{i}": "b"})
            if i == len(sizes) - 1:
                break
            if config.batchnorm:
                bn = layers["batchnorm"](np.ones(fan_out, dtype=dtype), np.zeros(fan_out, dtype=dtype))
                self._add("batchnorm", bn, {f"gamma{i}": "gamma", f"beta{i}": "beta"})
            self._add("activation", layers["activation"](), {})
            if config.dropout:
                self._add("dropout", layers["dropout"](config.dropout), {})
        self.loss = layers["loss"]()
        self.params = {name: _param(layer, attr) for name, (layer, attr) in self.slots.items()}

    def _add(self, role: str, layer: Any, params: dict[str, str]) -> None:
        self.layers.append((role, layer))
        for name, attr in params.items():
            self.slots[name] = (layer, attr)

    def scores(self, x: np.ndarray, train: bool) -> np.ndarray:
        for role, layer in self.layers:
            x = layer.forward(x, train_flg=train) if role in ("dropout", "batchnorm") else layer.forward(x)
        return x

    def backward(self) -> None:
        dout = self.loss.backward(1)
        for _, layer in reversed(self.layers):
            dout = layer.backward(dout)

    def grads(self) -> dict[str, np.ndarray]:
        return {name: _grad(layer, attr) for name, (layer, attr) in self.slots.items()}

    def check_params_shared(self) -> None:
        # In-place updates only reach the layer if it still holds the very array we update.
        for name, (layer, attr) in self.slots.items():
            if _param(layer, attr) is not self.params[name]:
                raise RuntimeError(
                    f"{type(layer).__name__} replaced its {attr!r} array during forward/backward; "
                    "keep the array given to __init__ (update it in place) so the optimizer can train it"
                )

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        return float(np.mean(_predict_scores(self, x).argmax(axis=1) == y))


def _predict_scores(net: _Network, x: np.ndarray) -> np.ndarray:
    return np.concatenate([net.scores(x[i:i + EVAL_BATCH], train=False) for i in range(0, len(x), EVAL_BATCH)])


# --------------------------------------------------------------------------- data feeding


def _shifted(x: np.ndarray, max_shift: int, rng: np.random.Generator) -> np.ndarray:
    """Each 28x28 image moved by its own random (dy, dx) in [-max_shift, max_shift], zero-filled."""
    n = len(x)
    k = 2 * max_shift + 1
    images = x.reshape(n, 28, 28)
    out = np.zeros_like(images)
    shift = rng.integers(0, k * k, size=n)
    # One slice copy per distinct shift rather than one fancy-indexed gather per pixel: 6x faster.
    for code in range(k * k):
        sel = np.flatnonzero(shift == code)
        if sel.size == 0:
            continue
        dy, dx = code // k - max_shift, code % k - max_shift
        out[sel, max(dy, 0):28 + min(dy, 0), max(dx, 0):28 + min(dx, 0)] = \
            images[sel, max(-dy, 0):28 + min(-dy, 0), max(-dx, 0):28 + min(-dx, 0)]
    return out.reshape(n, 784)


def minibatches(x: np.ndarray, y: np.ndarray, batch_size: int, max_shift: int,
                rng: np.random.Generator) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """One epoch's shuffled (and, with ``max_shift``, shifted) minibatches; the PyTorch bench reuses them."""
    order = rng.permutation(len(x))
    for i in range(0, len(x), batch_size):
        idx = order[i:i + batch_size]
        xb = x[idx]
        if max_shift:
            xb = _shifted(xb, max_shift, rng)
        yield xb, y[idx]


# --------------------------------------------------------------------------- training


def train(data: MnistData, layers: Mapping[str, type], config: TrainConfig | None = None, *,
          progress: bool = True) -> TrainResult:
    """Train an MLP made of ``layers`` on ``data``; return accuracies, curves and weights.

    ``train_seconds`` is the wall time from building the network to the end of the last epoch,
    *including* the per-epoch validation pass and augmentation, *excluding* data loading and the
    final test-set evaluation. ``epoch_seconds`` is the minibatch loop alone (forward, backward,
    update, augmentation), the figure to compare with another framework's epoch.

    Reproducible: the same seed, data, layer classes and BLAS thread count give the same weights
    (the thread count changes the summation order inside matrix products, so 1 and 2 threads
    differ in the last bits and then in the weights). numpy's global RNG, which textbook
    ``Dropout`` layers draw from, is seeded for the run and restored after.
    """
    from tqdm import tqdm  # imported here: importing gradlab must stay cheap

    config = config or TrainConfig()
    dtype = np.dtype(config.dtype)
    x_train, y_train, x_val = _training_arrays(data, config)
    n_classes = int(max(y_train.max(), data.y_val.max(), data.y_test.max())) + 1

    global_state = np.random.get_state()
    np.random.seed(config.seed)
    try:
        start = time.perf_counter()
        rng = np.random.default_rng(config.seed)
        net = _Network(layers, config, n_in=x_train.shape[1], n_out=n_classes, rng=rng)
        opt = make_optimizer(config.optimizer, config.lr, config.weight_decay)
        steps_per_epoch = -(-len(x_train) // config.batch_size)
        total_steps = steps_per_epoch * config.epochs
        result = TrainResult(config, float("nan"), float("nan"), not config.train_on_val, 0.0)

        step = 0
        bar = tqdm(range(config.epochs), desc="training", unit="epoch",
                   disable=None if progress else True)  # None: only when stderr is a terminal
        for _ in bar:
            t0 = time.perf_counter()
            loss_sum, correct, step = _train_epoch(net, opt, x_train=x_train, y_train=y_train, config=config,
                                                   rng=rng, first_step=step, total_steps=total_steps)
            result.epoch_seconds.append(time.perf_counter() - t0)
            result.train_loss.append(loss_sum / len(x_train))
            result.train_accuracy.append(correct / len(x_train))
            result.val_accuracy_curve.append(net.accuracy(x_val, data.y_val))
            bar.set_postfix(loss=f"{result.train_loss[-1]:.4f}", val=f"{result.val_accuracy_curve[-1]:.4f}")
        result.train_seconds = time.perf_counter() - start
    finally:
        np.random.set_state(global_state)

    result.val_accuracy = result.val_accuracy_curve[-1]
    result.test_accuracy = net.accuracy(np.asarray(data.x_test, dtype=dtype), data.y_test)
    result.weights = {name: p.copy() for name, p in net.params.items()}
    result.weights.update(_running_stats(net))
    return result


def _training_arrays(data: MnistData, config: TrainConfig) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_val) as the run uses them: validation digits added if ``train_on_val``,
    images contiguous in the configured dtype."""
    dtype = np.dtype(config.dtype)
    x_train, y_train = data.x_train, data.y_train
    if config.train_on_val:
        x_train = np.concatenate([x_train, data.x_val])
        y_train = np.concatenate([y_train, data.y_val])
    if config.max_shift and (x_train.ndim != 2 or x_train.shape[1] != 784):
        raise ValueError(f"augmentation needs flat 28x28 images (N, 784), got {x_train.shape}; set max_shift=0")
    x_train = np.ascontiguousarray(x_train, dtype=dtype)
    x_val = np.ascontiguousarray(data.x_val, dtype=dtype)
    return x_train, y_train, x_val


def _train_epoch(net: _Network, opt: Momentum | Adam, *, x_train: np.ndarray, y_train: np.ndarray, config: TrainConfig,
                 rng: np.random.Generator, first_step: int, total_steps: int) -> tuple[float, int, int]:
    """One pass over the training set, one optimizer step per minibatch.

    Returns the summed minibatch loss (each batch's mean times its size), the count of correct
    predictions, and the step number the next epoch starts from (the cosine schedule spans all epochs).
    """
    step = first_step
    loss_sum, correct = 0.0, 0
    for xb, yb in minibatches(x_train, y_train, batch_size=config.batch_size, max_shift=config.max_shift, rng=rng):
        if config.lr_schedule == "cosine":
            # math, not numpy: a numpy float64 lr would upcast float32 updates
            opt.lr = 0.5 * config.lr * (1.0 + math.cos(math.pi * step / total_steps))
        scores = net.scores(xb, train=True)
        loss_sum += float(net.loss.forward(scores, yb)) * len(yb)
        correct += int(np.count_nonzero(scores.argmax(axis=1) == yb))
        net.backward()
        opt.update(net.params, net.grads())
        if step == 0:
            net.check_params_shared()
        step += 1
    return loss_sum, correct, step


def _running_stats(net: _Network) -> dict[str, np.ndarray]:
    # Batch norm's running mean/var are part of the trained model though no optimizer touches them.
    stats = {}
    i = 0
    for role, layer in net.layers:
        if role == "batchnorm":
            i += 1
            for attr in ("running_mean", "running_var"):
                if getattr(layer, attr, None) is not None:
                    stats[f"{attr}{i}"] = np.asarray(getattr(layer, attr)).copy()
    return stats


def save_weights(result: TrainResult, path: Path | str) -> Path:
    """Write the trained weights ("W1", "b1", ...) to an ``.npz`` file; return its path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:  # an open file stops numpy from appending a second ".npz"
        # numpy's stub lets **kwds land on `allow_pickle: bool`; the keys here are W1, b1, ... only
        np.savez(f, **result.weights)  # type: ignore[arg-type]
    return path


def load_weights(path: Path | str) -> dict[str, np.ndarray]:
    """Read weights written by :func:`save_weights`."""
    with np.load(Path(path), allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def predict(weights: Mapping[str, np.ndarray], x: np.ndarray, activation: str = "relu") -> np.ndarray:
    """Class predictions of a saved MLP without batch norm or dropout, in plain numpy.

    For inspecting saved weights only; training and the reported accuracies use the verified layers.
    """
    acts: dict[str, Callable[[np.ndarray], np.ndarray]] = {
        "relu": lambda a: np.maximum(a, 0), "sigmoid": lambda a: 1 / (1 + np.exp(-a)), "tanh": np.tanh}
    n = sum(1 for k in weights if k.startswith("W"))
    h = np.asarray(x)
    for i in range(1, n + 1):
        h = h @ weights[f"W{i}"] + weights[f"b{i}"]
        if i < n:
            h = acts[activation](h)
    return h.argmax(axis=1)
