"""The MNIST trainer and its optimizers, on small generated data (never the real MNIST).

The trainer is given the reference class-style layers, as the registry would give it layers that
passed their checks.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gradlab.training.mnist import MnistData
from gradlab.training.optimizers import Adam, Momentum, make_optimizer
from gradlab.reference.classes import (
    Affine,
    BatchNormalization,
    Dropout,
    Relu,
    SoftmaxWithLoss,
    Tanh,
)
from gradlab.training.trainer import TrainConfig, load_weights, predict, save_weights, train

LAYERS = {"affine": Affine, "activation": Relu, "loss": SoftmaxWithLoss,
          "dropout": Dropout, "batchnorm": BatchNormalization}
SMALL = TrainConfig(hidden=(32,), epochs=2, batch_size=64, lr=3e-3, seed=7)


def _separable(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 28x28 images, each class a bright 10x4 block in its own place of a 2x5 grid.

    The blocks are wider than the trainer's 1-pixel shifts, so augmentation keeps the classes apart.
    """
    rng = np.random.default_rng(seed)
    means = np.zeros((10, 28, 28), dtype=np.float32)
    for c in range(10):
        top, left = 2 + 13 * (c // 5), 2 + 5 * (c % 5)
        means[c, top:top + 10, left:left + 4] = 0.8
    y = rng.integers(0, 10, n)
    x = means[y].reshape(n, 784) + 0.3 * rng.standard_normal((n, 784), dtype=np.float32)
    return np.clip(x, 0.0, 1.0).astype(np.float32), y.astype(np.int64)


@pytest.fixture(scope="module")
def data() -> MnistData:
    (xtr, ytr), (xva, yva), (xte, yte) = _separable(2000, 0), _separable(300, 1), _separable(300, 2)
    return MnistData(xtr, ytr, xva, yva, xte, yte)


def test_two_epochs_on_separable_data_reach_high_accuracy(data: MnistData) -> None:
    result = train(data, LAYERS, SMALL, progress=False)
    assert result.test_accuracy >= 0.95 and result.val_accuracy >= 0.95
    assert len(result.train_loss) == len(result.val_accuracy_curve) == len(result.epoch_seconds) == 2
    assert result.train_loss[1] < result.train_loss[0]
    assert result.val_held_out and result.train_seconds >= sum(result.epoch_seconds) > 0
    assert result.weights["W1"].shape == (784, 32) and result.weights["W1"].dtype == np.float32


def test_same_seed_gives_identical_weights_and_a_different_seed_does_not(data: MnistData) -> None:
    config = TrainConfig(hidden=(16,), epochs=1, batch_size=100, dropout=0.2, seed=3)
    first = train(data, LAYERS, config, progress=False)
    second = train(data, LAYERS, config, progress=False)
    other = train(data, LAYERS, TrainConfig(hidden=(16,), epochs=1, batch_size=100, dropout=0.2, seed=4),
                  progress=False)
    for name, w in first.weights.items():
        np.testing.assert_array_equal(w, second.weights[name], err_msg=name)
    assert not np.array_equal(first.weights["W1"], other.weights["W1"])


def test_training_leaves_numpys_global_random_state_alone(data: MnistData) -> None:
    np.random.seed(123)
    expected = np.random.rand()
    np.random.seed(123)
    train(data, LAYERS, TrainConfig(hidden=(8,), epochs=1, dropout=0.5, max_shift=0), progress=False)
    assert np.random.rand() == expected


@pytest.mark.parametrize(
    "config",
    [
        TrainConfig(hidden=(24, 24), activation="tanh", optimizer="momentum", lr=0.05, epochs=2),
        TrainConfig(hidden=(24,), batchnorm=True, dropout=0.1, epochs=2),
        TrainConfig(hidden=(24,), train_on_val=True, lr_schedule="constant", max_shift=0, epochs=2),
    ],
    ids=["tanh-momentum-deep", "batchnorm-dropout", "train-on-val"],
)
def test_other_configurations_train_too(data: MnistData, config: TrainConfig) -> None:
    layers = {**LAYERS, "activation": Tanh} if config.activation == "tanh" else LAYERS
    result = train(data, layers, config, progress=False)
    assert result.test_accuracy >= 0.9
    assert result.val_held_out is not config.train_on_val
    if config.batchnorm:
        assert {"gamma1", "beta1", "running_mean1", "running_var1"} <= set(result.weights)


def test_saved_weights_reload_and_predict_like_the_trained_network(data: MnistData, tmp_path: Path) -> None:
    result = train(data, LAYERS, SMALL, progress=False)
    path = save_weights(result, tmp_path / "out" / "mlp.npz")
    weights = load_weights(path)
    assert path.name == "mlp.npz" and sorted(weights) == ["W1", "W2", "b1", "b2"]
    accuracy = float(np.mean(predict(weights, data.x_test) == data.y_test))
    assert accuracy == pytest.approx(result.test_accuracy, abs=1e-9)


def test_missing_layer_role_is_named_before_training(data: MnistData) -> None:
    with pytest.raises(KeyError, match="dropout"):
        train(data, {"affine": Affine, "activation": Relu, "loss": SoftmaxWithLoss},
              TrainConfig(dropout=0.5), progress=False)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"activation": "gelu"}, "activation="),
        ({"optimizer": "sgd"}, "optimizer="),
        ({"hidden": ()}, "hidden="),
        ({"dropout": 1.0}, "dropout="),
        ({"dtype": "int32"}, "dtype="),
    ],
    ids=["unknown-activation", "unknown-optimizer", "no-hidden-layer", "dropout-one", "integer-dtype"],
)
def test_bad_config_is_refused_with_the_field_named(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        TrainConfig(**kwargs)


class _Rebinding(Affine):
    """A layer that replaces its W instead of keeping the array it was given."""

    def backward(self, dout):
        dx = super().backward(dout)
        self.W = self.W.copy()
        return dx


def test_layer_that_replaces_its_weights_is_reported(data: MnistData) -> None:
    with pytest.raises(RuntimeError, match="replaced its 'W' array"):
        train(data, {**LAYERS, "affine": _Rebinding}, SMALL, progress=False)


# --------------------------------------------------------------------------- optimizers


@pytest.mark.parametrize("make", [lambda: Adam(lr=0.1), lambda: Momentum(lr=0.05)], ids=["adam", "momentum"])
def test_optimizer_minimises_a_quadratic_in_place(make) -> None:
    target = np.array([[1.0, -2.0], [0.5, 3.0]], dtype=np.float32)
    params = {"W": np.zeros((2, 2), dtype=np.float32), "b": np.full(3, 4.0, dtype=np.float32)}
    arrays = dict(params)
    opt = make()
    for _ in range(300):
        # gradient of 0.5 * |W - target|^2 + 0.5 * |b|^2
        opt.update(params, {"W": params["W"] - target, "b": params["b"].copy()})
    assert params["W"] is arrays["W"] and params["b"] is arrays["b"]
    assert params["W"].dtype == np.float32
    np.testing.assert_allclose(params["W"], target, atol=2e-2)
    np.testing.assert_allclose(params["b"], 0.0, atol=2e-2)


def test_adam_first_step_moves_each_parameter_by_the_learning_rate() -> None:
    # With bias correction, step one is lr * sign(g) whatever the gradient's scale.
    p = {"W": np.zeros((2, 2))}
    Adam(lr=0.01).update(p, {"W": np.array([[0.1, -5.0], [2.0, -1e2]])})
    np.testing.assert_allclose(p["W"], [[-0.01, 0.01], [-0.01, 0.01]], rtol=1e-4)


def test_weight_decay_shrinks_matrices_but_not_biases() -> None:
    p = {"W": np.ones((2, 2)), "b": np.ones(2)}
    Momentum(lr=0.1, weight_decay=0.5).update(p, {"W": np.zeros((2, 2)), "b": np.zeros(2)})
    np.testing.assert_allclose(p["W"], 0.95)
    np.testing.assert_allclose(p["b"], 1.0)


def test_missing_gradient_and_unknown_optimizer_are_named() -> None:
    with pytest.raises(KeyError, match="b"):
        Adam().update({"W": np.zeros(2), "b": np.zeros(2)}, {"W": np.zeros(2)})
    with pytest.raises(ValueError, match="'adam' or 'momentum'"):
        make_optimizer("rmsprop", 0.1)
