"""The PyTorch side of `gradlab bench`: the same functions, checked and trained the PyTorch way.

PyTorch is an optional comparison, never a dependency: nothing here is imported by `gradlab`
itself, and `available()` says whether the comparison can run at all. Every function returns a
zero-argument callable that does one timed unit of work, so `gradlab.bench.runner` can time both tools
alternately with the same clock.

Non-goals: GPUs, TorchScript or `torch.compile` (a user comparing checkers would not use them),
and changing PyTorch's thread settings (both tools run with their defaults on the same cores).
"""

from __future__ import annotations

import importlib
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from gradlab.kinds import Case

INSTALL_HINT = "pip install torch==2.13.0"


def available() -> bool:
    """Whether `import torch` works (imported lazily: importing gradlab must stay cheap)."""
    try:
        importlib.import_module("torch")
    except ImportError:
        return False
    return True


def version() -> str | None:
    try:
        return str(importlib.import_module("torch").__version__)
    except ImportError:
        return None


def threads() -> int | None:
    try:
        return int(importlib.import_module("torch").get_num_threads())
    except ImportError:
        return None


def composite_check(case: Case, fast_mode: bool) -> Callable[[], bool]:
    """`torch.autograd.gradcheck` on cross-entropy(softmax(sigmoid(x @ W + b)), t), x, W and b all
    requiring grad, float64, defaults otherwise (slow mode unless `fast_mode`)."""
    import torch
    import torch.nn.functional as F

    x, W, b = (torch.tensor(a, dtype=torch.float64, requires_grad=True)
               for a in (case.x, case.params["W"], case.params["b"]))
    t = torch.tensor(case.t, dtype=torch.int64)

    def loss(x: Any, W: Any, b: Any) -> Any:
        return F.cross_entropy(torch.sigmoid(x @ W + b), t)  # a batch mean, as the native layer's

    def run() -> bool:
        return bool(torch.autograd.gradcheck(loss, (x, W, b), fast_mode=fast_mode))

    return run


def _user_function(layer: str, case: Case) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """The function of the reference layer named `layer` ("Affine", "Convolution", "BatchNormalization")
    in PyTorch, float64, and its inputs (x and the parameters, all requiring grad, in the checker's order)."""
    import torch
    import torch.nn.functional as F

    inputs = tuple(torch.tensor(a, dtype=torch.float64, requires_grad=True)
                   for a in (case.x, *case.params.values()))
    if layer == "Affine":
        def f(x: Any, W: Any, b: Any) -> Any:
            return x.reshape(x.shape[0], -1) @ W + b
    elif layer == "Convolution":
        stride, pad = int(case.hyper["stride"]), int(case.hyper["pad"])

        def f(x: Any, W: Any, b: Any) -> Any:
            return F.conv2d(x, W, b, stride=stride, padding=pad)
    elif layer == "BatchNormalization":
        def f(x: Any, W: Any, b: Any) -> Any:  # W, b: gamma and beta
            # training mode, biased variance, the reference layer's epsilon (1e-7)
            return F.batch_norm(x, None, None, W, b, training=True, eps=1e-7)
    else:
        raise KeyError(f"no PyTorch function for {layer!r}")
    return f, inputs


def user_output(layer: str, case: Case) -> np.ndarray:
    """The PyTorch function's output on the case: the bench compares it with the user layer's, to be
    sure both tools check the same function."""
    f, inputs = _user_function(layer, case)
    return f(*inputs).detach().numpy()


def user_check(layer: str, case: Case, G: np.ndarray, fast_mode: bool) -> Callable[[], bool]:
    """`torch.autograd.gradcheck` on the scalar gradlab checks for the reference layer named `layer`,
    L = sum(G * layer(x; params)), x and every parameter requiring grad, float64, defaults otherwise
    (slow mode unless `fast_mode`): the same function, the same finite differences' float64 work."""
    import torch

    f, inputs = _user_function(layer, case)
    g = torch.tensor(G, dtype=torch.float64)

    def loss(*args: Any) -> Any:
        return (g * f(*args)).sum()

    def run() -> bool:
        return bool(torch.autograd.gradcheck(loss, inputs, fast_mode=fast_mode))

    return run


def mnist_epoch(x_train: np.ndarray, y_train: np.ndarray, *, hidden: int, lr: float, batch_size: int,
                max_shift: int, seed: int) -> Callable[[], float]:
    """One epoch of the trainer's default network in PyTorch on the CPU; the callable returns the
    seconds of the minibatch loop alone, as `TrainResult.epoch_seconds` does for gradlab.

    Same sizes (784-hidden-10, ReLU), float32, batch, Adam with the same cosine schedule, the same
    He initialisation, and the very same minibatches: they come from the trainer's own generator
    with the same seed (shuffling and 1-pixel shifts in numpy, on both sides).
    """
    import time

    import torch

    from gradlab.training.trainer import minibatches

    n_in, n_out = x_train.shape[1], int(y_train.max()) + 1
    rng = np.random.default_rng(seed)
    layers = []
    for fan_in, fan_out in ((n_in, hidden), (hidden, n_out)):
        lin = torch.nn.Linear(fan_in, fan_out)
        with torch.no_grad():  # the trainer's He init, drawn from the same generator
            W = (rng.standard_normal((fan_in, fan_out)) * np.sqrt(2.0 / fan_in)).astype(np.float32)
            lin.weight.copy_(torch.from_numpy(W.T.copy()))
            lin.bias.zero_()
        layers.append(lin)
    net = torch.nn.Sequential(layers[0], torch.nn.ReLU(), layers[1])
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    loss_fn = torch.nn.CrossEntropyLoss()
    total_steps = -(-len(x_train) // batch_size)

    def run() -> float:
        data_rng = np.random.default_rng(seed)
        t0 = time.perf_counter()
        loss_sum, correct = 0.0, 0
        batches = minibatches(x_train, y_train, batch_size=batch_size, max_shift=max_shift, rng=data_rng)
        for step, (xb, yb) in enumerate(batches):
            for group in opt.param_groups:  # the trainer's per-step cosine schedule
                group["lr"] = 0.5 * lr * (1.0 + math.cos(math.pi * step / total_steps))
            xt, yt = torch.from_numpy(xb), torch.from_numpy(yb.astype(np.int64))
            scores = net(xt)
            loss = loss_fn(scores, yt)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            # the same per-step bookkeeping as the numpy trainer: a float loss and a correct count
            loss_sum += float(loss.item()) * len(yb)
            correct += int((scores.argmax(dim=1) == yt).sum().item())
        return time.perf_counter() - t0

    return run
