"""`gradlab train --model FILE:CLASS`: a user's whole model, checked, then trained on (here: generated) digits."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from gradlab.cli.main import main
from gradlab.schemas import schema
from gradlab.training import mnist

MODELS = Path(__file__).parent / "models"


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def digits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Separable fake digits: each class lights its own rows of pixels."""
    monkeypatch.setattr(mnist, "IDX_TRAIN_SPLIT", 400)
    rng = np.random.default_rng(1)

    def images(labels: np.ndarray) -> np.ndarray:
        x = rng.integers(0, 60, (labels.size, 28, 28))
        for i, c in enumerate(labels):
            x[i, 2 * c: 2 * c + 3, 4:24] = 250
        return x

    folder = tmp_path / "idx"
    folder.mkdir()
    train_y, test_y = rng.integers(0, 10, 500), rng.integers(0, 10, 100)
    for name, arr in (("train-images-idx3-ubyte.gz", images(train_y)), ("train-labels-idx1-ubyte.gz", train_y),
                      ("t10k-images-idx3-ubyte.gz", images(test_y)), ("t10k-labels-idx1-ubyte.gz", test_y)):
        _write_idx(folder / name, arr)
    return folder


@pytest.mark.parametrize("spec, options", [
    ("nielsen_nets.py:Network", ["--epochs", "3", "--lr", "1.0", "--batch-size", "1"]),
    ("cs231n_nets.py:TwoLayerNet", ["--epochs", "3", "--hidden", "20", "--lr", "0.03"]),
    ("textbook_nets.py:TwoLayerNet", ["--epochs", "3", "--hidden", "20", "--lr", "0.03"]),
], ids=["nielsen", "cs231n", "textbook"])
def test_a_verified_model_trains_and_writes_the_training_report(digits, tmp_path, spec, options, capsys):
    out, figures = tmp_path / "reports", tmp_path / "out.json"
    args = ["train", "--model", str(MODELS / spec), "--data", str(digits), "--out", str(out), "--json", str(figures),
            "--no-progress", *options]
    assert main(args) == 0, capsys.readouterr()
    doc = json.loads(figures.read_text())
    jsonschema.Draft202012Validator(schema("gradlab-training/1")).validate(doc)
    assert doc["test_accuracy"] > 0.8 and len(doc["epoch_seconds"]) == 3  # chance is 0.1
    assert doc["layers"][0].startswith(spec.split(":")[1]) and (out / "model_weights.npz").exists()
    assert "test accuracy" in capsys.readouterr().out


def test_a_nielsen_network_trains_with_the_books_defaults(digits, tmp_path):
    out, figures = tmp_path / "reports", tmp_path / "out.json"
    assert main(["train", "--model", f"{MODELS / 'nielsen_nets.py'}:Network", "--data", str(digits), "--out",
                 str(out), "--json", str(figures), "--no-progress", "--epochs", "1"]) == 0
    config = json.loads(figures.read_text())["config"]
    assert (config["hidden"], config["optimizer"], config["lr"], config["batch_size"]) == ([30], "sgd", 3.0, 10)
    assert config["model"] == "Network(sizes=[784, 30, 10])"


def test_a_model_whose_gradients_fail_is_refused_with_its_bug_code_and_origin(digits, tmp_path, capsys):
    status = main(["train", "--model", f"{MODELS / 'nielsen_nets.py'}:NetworkForgetsSigmoidPrime", "--data",
                   str(digits), "--out", str(tmp_path), "--no-progress"])
    err = capsys.readouterr().err
    assert status == 1
    assert "refusing to train NetworkForgetsSigmoidPrime" in err and "[dropped-term]" in err
    assert "the error first appears at weights[0]" in err and not (tmp_path / "training.json").exists()


@pytest.mark.parametrize("spec, message", [
    ("nielsen_nets.py", "write FILE:CLASS"),
    ("nielsen_nets.py:Nope", "defines no model class 'Nope' (models found: Network, "),
    ("missing.py:Network", "no such file"),
], ids=["no-class", "unknown-class", "no-file"])
def test_a_bad_model_spec_is_a_one_line_usage_error(spec, message, tmp_path, capsys):
    assert main(["train", "--model", str(MODELS / spec), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_layer_training_keeps_its_defaults_when_no_model_is_given(digits, tmp_path):
    shutil.rmtree(tmp_path / "reports", ignore_errors=True)
    figures = tmp_path / "out.json"
    assert main(["train", "--data", str(digits), "--out", str(tmp_path / "reports"), "--json", str(figures),
                 "--epochs", "1", "--examples", "3", "--no-progress"]) == 0
    config = json.loads(figures.read_text())["config"]
    assert config["hidden"] == [800] and config["optimizer"] == "adam" and config["batch_size"] == 128


def test_train_with_the_users_own_layers_from_a_file(digits, tmp_path):
    figures = tmp_path / "out.json"
    assert main(["train", "--layers", str(MODELS / "textbook_layers.py"), "--data", str(digits), "--out",
                 str(tmp_path / "reports"), "--json", str(figures), "--hidden", "32", "--epochs", "2",
                 "--examples", "5", "--no-progress"]) == 0
    doc = json.loads(figures.read_text())
    assert doc["layers"] == ["Affine", "Relu", "SoftmaxWithLoss"] and doc["test_accuracy"] > 0.8


def test_a_users_layer_that_fails_its_check_is_refused_before_training(digits, tmp_path, capsys):
    bad = tmp_path / "my_layers.py"
    bad.write_text((MODELS / "textbook_layers.py").read_text().replace("self.dW = self.x.T @ dout",
                                                                       "self.dW = self.x.T @ dout / 2"))
    assert main(["train", "--layers", str(bad), "--data", str(digits), "--out", str(tmp_path / "r"), "--examples",
                 "5", "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert "refusing to train with Affine from" in err and "[scaled]" in err
