"""Per-sample versus batch: mean or sum, where the 1/N belongs, and which layers mix samples."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from gradlab.cli.main import main
from gradlab.cases.per_sample import MEAN, NEITHER, SUM, assert_batch_mean, batch_vs_samples
from gradlab.conventions.registry import load_reference

REF = load_reference()
Affine = REF["Affine"].target
SoftmaxWithLoss = REF["SoftmaxWithLoss"].target


class SoftmaxWithLossForgetsMean(SoftmaxWithLoss):
    """Averages the loss in forward but returns the gradient of the sum from backward."""

    def backward(self, dout=1):
        return super().backward(dout) * self.y.shape[0]


class SoftmaxWithLossSummed(SoftmaxWithLoss):
    """A sum loss whose backward is its gradient: consistent, if unusual."""

    def forward(self, x, t):
        return super().forward(x, t) * x.shape[0]

    def backward(self, dout=1):
        return super().backward(dout) * self.y.shape[0]


class AffineDividesByN(Affine):
    def backward(self, dout):
        dx = super().backward(dout)
        self.dW = self.dW / dout.shape[0]
        return dx


class AffineCentresTheBatch(Affine):
    def forward(self, x):
        return super().forward(x - x.mean(axis=0))


def conventions(report) -> dict[str, str]:
    return {c.name: c.convention for c in report.gradients}


def test_the_reference_softmax_with_loss_averages_its_loss_and_its_gradient() -> None:
    report = batch_vs_samples(SoftmaxWithLoss, N=4)
    assert report.loss.convention == MEAN and conventions(report) == {"dx": MEAN}
    assert report.consistent and "1/N is in the right place" in report.text


def test_the_function_style_softmax_loss_averages_too() -> None:
    report = batch_vs_samples(REF["softmax_loss"], N=3)
    assert report.loss.convention == MEAN and conventions(report) == {"dx": MEAN} and report.consistent


def test_an_affine_layer_under_softmax_with_loss_has_the_mean_of_per_sample_gradients() -> None:
    report = batch_vs_samples(Affine, loss=SoftmaxWithLoss, N=5)
    assert report.loss.convention == MEAN
    assert conventions(report) == {"dx": MEAN, "dW": MEAN, "db": MEAN} and report.consistent
    assert report.upstream == "SoftmaxWithLoss"


def test_an_affine_layer_alone_sums_per_sample_gradients_for_the_rows_of_dout() -> None:
    report = batch_vs_samples(Affine, N=4)
    assert conventions(report) == {"dx": SUM, "dW": SUM, "db": SUM} and report.consistent
    assert "leaves it to the loss" in report.text


def test_a_softmax_with_loss_that_forgets_the_1_over_N_in_backward_is_told_to_divide_dx_by_N() -> None:
    report = batch_vs_samples(SoftmaxWithLossForgetsMean, kind="softmax_with_loss", N=4)
    assert report.loss.convention == MEAN and conventions(report) == {"dx": SUM}
    assert not report.consistent
    assert ("Your loss averages over the batch (mean of per-sample losses) but dx is the gradient of the sum: "
            "divide dx by N in backward.") in report.sentences


def test_a_sum_loss_with_a_sum_gradient_is_consistent() -> None:
    report = batch_vs_samples(SoftmaxWithLossSummed, kind="softmax_with_loss", N=3)
    assert report.loss.convention == SUM and conventions(report) == {"dx": SUM} and report.consistent


def test_an_affine_layer_that_divides_by_N_itself_is_inconsistent_with_the_ratio_measured() -> None:
    report = batch_vs_samples(AffineDividesByN, kind="affine", N=4)
    dW = next(c for c in report.gradients if c.name == "dW")
    assert dW.convention == MEAN and dW.ratio == pytest.approx(0.25)
    assert not report.consistent and "remove the division by N" in report.text


def test_a_gradient_scaled_by_another_power_of_N_is_neither_with_its_ratio() -> None:
    class AffineDividesBySqrtN(Affine):
        def backward(self, dout):
            dx = super().backward(dout)
            self.dW = self.dW / np.sqrt(dout.shape[0])
            return dx

    report = batch_vs_samples(AffineDividesBySqrtN, kind="affine", N=4)
    dW = next(c for c in report.gradients if c.name == "dW")
    assert dW.convention == NEITHER and dW.ratio == pytest.approx(0.5) and not report.consistent
    assert "it is 0.5 x their sum" in report.text


def test_a_constant_factor_is_invisible_here_because_it_scales_batch_and_samples_alike() -> None:
    class AffineDoubled(Affine):  # a bug for `gradlab check`, not a 1/N question
        def backward(self, dout):
            dx = super().backward(dout)
            self.dW = 2 * self.dW
            return dx

    assert batch_vs_samples(AffineDoubled, kind="affine").consistent


def test_batch_normalization_mixes_samples_by_design_and_gets_no_verdict() -> None:
    report = batch_vs_samples(REF["BatchNormalization"], N=4)
    assert report.mixes_samples and report.mixing_by_design and report.consistent
    assert "mixes samples, by design" in report.text


def test_an_affine_layer_does_not_mix_samples() -> None:
    report = batch_vs_samples(Affine, N=4)
    assert not report.mixes_samples and report.max_mixing < 1e-12
    assert "treats samples independently" in report.text


def test_an_affine_layer_that_centres_the_batch_mixes_samples_and_is_flagged() -> None:
    report = batch_vs_samples(AffineCentresTheBatch, kind="affine", N=4)
    assert report.mixes_samples and not report.mixing_by_design and not report.consistent


def test_dropout_is_not_judged_per_sample_because_its_mask_is_drawn_per_batch() -> None:
    report = batch_vs_samples(REF["Dropout"], N=4)
    assert report.stochastic and report.consistent and "random" in report.text


def test_a_crashing_layer_is_reported_not_raised() -> None:
    class Broken(Affine):
        def backward(self, dout):
            raise RuntimeError("boom")

    report = batch_vs_samples(Broken, kind="affine")
    assert not report.consistent and "boom" in report.error


def test_reports_are_json_ready() -> None:
    report = batch_vs_samples(Affine, loss=SoftmaxWithLoss)
    data = report.to_dict()
    assert json.loads(json.dumps(data, allow_nan=False)) == data  # plain JSON types only: the round trip changes nothing
    # and the JSON says what the report says
    assert (data["layer"], data["upstream"], data["N"]) == ("Affine", "SoftmaxWithLoss", 4)
    assert data["loss"]["convention"] == MEAN and data["consistent"] is True
    assert {g["name"]: g["convention"] for g in data["gradients"]} == conventions(report) == {"dx": MEAN, "dW": MEAN,
                                                                                               "db": MEAN}
    assert data["sentences"] == list(report.sentences)


def test_assert_batch_mean_passes_correct_layers_under_a_mean_loss() -> None:
    for layer in (SoftmaxWithLoss, Affine, REF["conv"], REF["Embedding"]):
        assert_batch_mean(layer)


def test_assert_batch_mean_fails_with_the_sentence_when_backward_forgets_the_1_over_N() -> None:
    with pytest.raises(AssertionError, match="divide dx by N in backward"):
        assert_batch_mean(SoftmaxWithLossForgetsMean, kind="softmax_with_loss")


@pytest.mark.parametrize("kwargs, message", [
    pytest.param(dict(N=1), "at least 2", id="N-of-one"),
    pytest.param(dict(loss="median"), "loss must be", id="unknown-loss"),
    pytest.param(dict(loss=Affine), "not a loss layer", id="a-non-loss-on-top"),
])
def test_bad_arguments_are_refused_with_how_to_fix_them(kwargs: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        batch_vs_samples(Affine, **kwargs)


STUDENT = """
import numpy as np


class Affine:
    def __init__(self, W, b):
        self.W, self.b = W, b

    def forward(self, x):
        self.x = x
        return x @ self.W + self.b

    def backward(self, dout):
        self.dW, self.db = self.x.T @ dout, dout.sum(axis=0)
        return dout @ self.W.T


class BatchNormalization:
    def __init__(self, gamma, beta):
        self.gamma, self.beta = gamma, beta

    def forward(self, x):
        self.std = np.sqrt(x.var(axis=0) + 1e-7)
        self.xn = (x - x.mean(axis=0)) / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        N = dout.shape[0]
        self.dbeta, self.dgamma = dout.sum(axis=0), (self.xn * dout).sum(axis=0)
        dxn = self.gamma * dout
        return (N * dxn - dxn.sum(axis=0) - self.xn * (dxn * self.xn).sum(axis=0)) / (N * self.std)


class SoftmaxWithLoss:
    def forward(self, x, t):
        e = np.exp(x - x.max(axis=1, keepdims=True))
        self.y, self.t = e / e.sum(axis=1, keepdims=True), t
        return -np.sum(t * np.log(self.y)) / x.shape[0]

    def backward(self, dout=1):
        return dout * (self.y - self.t) / self.t.shape[0]
"""


def test_the_batch_command_prints_a_block_per_layer_and_exits_0_when_consistent(capsys, tmp_path: Path) -> None:
    student, out_json = tmp_path / "layers.py", tmp_path / "batch.json"
    student.write_text(STUDENT)
    assert main(["batch", str(student), "--N", "3", "--json", str(out_json)]) == 0
    out = capsys.readouterr().out
    # a consistent layer is one line (issue 14: four to six lines per passing layer were too many)
    assert "OK   SoftmaxWithLoss (class style, N=3): loss and dx are the mean of the per-sample values" in out
    assert "OK   BatchNormalization (class style, N=3): mixes samples by design" in out
    assert "OK   Affine (class style, N=3): dx, dW and db are the sum of the per-sample values" in out
    assert len(out.strip().splitlines()) == 4
    saved = json.loads(out_json.read_text())
    assert saved["N"] == 3 and [r["layer"] for r in saved["layers"]] == ["Affine", "BatchNormalization", "SoftmaxWithLoss"]


def test_the_batch_command_exits_1_for_a_loss_that_forgets_the_1_over_N(capsys, tmp_path: Path) -> None:
    student = tmp_path / "student.py"
    student.write_text(
        "import numpy as np\n\n"
        "class SoftmaxWithLoss:\n"
        "    def forward(self, x, t):\n"
        "        e = np.exp(x - x.max(axis=1, keepdims=True))\n"
        "        self.y, self.t = e / e.sum(axis=1, keepdims=True), t\n"
        "        return -np.sum(t * np.log(self.y)) / x.shape[0]\n\n"
        "    def backward(self, dout=1):\n"
        "        return dout * (self.y - self.t)\n")
    assert main(["batch", str(student)]) == 1
    assert "divide dx by N in backward" in capsys.readouterr().out


def test_the_batch_command_runs_a_class_loss_with_both_label_encodings(capsys, tmp_path: Path) -> None:
    """A 1/N forgotten only in the branch for index labels is found, though the one-hot branch is right."""
    student = tmp_path / "student.py"
    student.write_text(
        "import numpy as np\n\n"
        "class SoftmaxWithLoss:\n"
        "    def forward(self, x, t):\n"
        "        e = np.exp(x - x.max(axis=1, keepdims=True))\n"
        "        self.y, self.t, N = e / e.sum(axis=1, keepdims=True), t, x.shape[0]\n"
        "        if t.ndim == 2:\n"
        "            return -np.sum(t * np.log(self.y)) / N\n"
        "        return -np.sum(np.log(self.y[np.arange(N), t])) / N\n\n"
        "    def backward(self, dout=1):\n"
        "        N = self.y.shape[0]\n"
        "        if self.t.ndim == 2:\n"
        "            return dout * (self.y - self.t) / N\n"
        "        dx = self.y.copy()\n"
        "        dx[np.arange(N), self.t] -= 1\n"
        "        return dx\n")
    assert main(["batch", str(student)]) == 1
    out = capsys.readouterr().out
    assert "divide dx by N in backward" in out and "This is with index labels." in out


@pytest.mark.parametrize("argv", [["batch", "--N", "1"], ["batch", "no/such/file.py"]], ids=["N-of-one", "missing-path"])
def test_the_batch_command_exits_2_on_usage_errors(argv: list[str], capsys) -> None:
    assert main(argv) == 2
    assert "gradlab batch: error:" in capsys.readouterr().err


def test_the_batch_command_refuses_an_unknown_upstream_loss_with_status_2(capsys) -> None:
    assert main(["batch", "--loss", "median"]) == 2  # main returns argparse's status too
    assert "gradlab batch: error: argument --loss" in capsys.readouterr().err
