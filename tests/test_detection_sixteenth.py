"""Four one-bug layers that passed gradlab's check on the fourteenth held-out set (issue 14, "100% detected"): false
passes, the worst outcome for a checker. Each is recreated in tests/reach15/passes/ (this project's own files, in the
convention named) and must now fail with the code that fits it; the general rule each failure rests on is tested on a
right twin too, which must keep passing:
- a parameter's gradient must be usable to update it: `param - lr * grad` keeps param's shape, or the gradient has
  the wrong shape (a group norm's dgamma summed without keepdims=True, (C,) for a (1, C, 1, 1) gamma);
- a loss with a mask must not see the masked steps: moving only their scores leaves it as it was (a temporal softmax
  loss whose mask is applied nowhere, its dx right for its own loss);
- a dropout's two modes agree in expectation: what a unit gives in training, on average, is what it gives at test (an
  inverted dropout that forgets / p in forward, its backward matching, and passes x unscaled at test).
The fourth, a Keras-like Dense(input_size, output_size) whose backward(output_gradient, learning_rate) updates its bias
by the whole upstream gradient, fails wrong-reduction where the update rebinds the bias (it takes the batch's shape,
and gradlab reads the gradient as before - after at learning rate 1). Written in place on a (1, out) bias, the update
raises on every batch of two or more, so the layer is checked one sample at a time, where it is right: the same code
as the article's FCLayer and the videos' Dense that train one sample at a time (test_kinds_scratch_style,
test_layout_detection), which no check of the layer alone can tell apart.
"""

from __future__ import annotations

from pathlib import Path

from gradlab.cases.check_many import check_paths

HERE = Path(__file__).parent / "reach15" / "passes"


def _verdict(path: Path) -> tuple[str, list[str], str]:
    outcome = check_paths([path], examples=6, seed=0)
    assert outcome.errors == [] and outcome.skipped == []
    (report,) = outcome.reports
    said = "" if report.failing is None else " ".join(
        [g.diagnosis for g in report.failing.gradients if not g.passed] + [f.message for f in report.failing.findings])
    return report.verdict, report.bug_codes, said


def test_a_group_norm_whose_dgamma_lost_its_kept_axes_fails_wrong_shape_and_says_the_shape_to_give_it():
    verdict, codes, said = _verdict(HERE / "groupnorm_dgamma_flat.py")
    assert (verdict, codes[:1]) == ("fail", ["wrong-shape"])
    assert "(1, " in said and "dgamma" in said


def test_a_temporal_softmax_loss_that_applies_its_mask_nowhere_fails_missing_mask_by_its_forward():
    # its dx is right for its own loss: the gradient checks pass, the law of the forward does not
    verdict, codes, said = _verdict(HERE / "temporal_mask_ignored.py")
    assert (verdict, codes[:1]) == ("fail", ["missing-mask"])
    assert "masked time steps" in said


def test_a_temporal_softmax_loss_that_averages_over_the_unmasked_steps_still_passes(tmp_path):
    # the mask applied, with another normalisation than CS231n's / N: moving masked scores changes nothing
    path = tmp_path / "per_step_mean.py"
    path.write_text((HERE / "temporal_mask_ignored.py").read_text()
                    .replace("loss = -np.sum(np.log(probs[rows, labels])) / N",
                             "keep = mask.reshape(N * T)\n    loss = -np.sum(keep * np.log(probs[rows, labels])) / N")
                    .replace("dscores /= N", "dscores *= keep[:, None] / N"))
    assert _verdict(path)[:2] == ("pass", [])


def test_a_dropout_scaled_in_neither_mode_fails_scaled_by_its_two_modes_side_by_side():
    verdict, codes, said = _verdict(HERE / "dropout_unscaled.py")
    assert (verdict, codes[:1]) == ("fail", ["scaled"])
    assert "evaluation mode" in said


TEXTBOOK = """
import numpy as np


class Dropout:
    def __init__(self, dropout_ratio=0.5):
        self.dropout_ratio = dropout_ratio
        self.mask = None

    def forward(self, x, train_flg=True):
        if train_flg:
            self.mask = np.random.rand(*x.shape) > self.dropout_ratio
            return x * self.mask
        return x * {test_scale}

    def backward(self, dout):
        return dout * self.mask
"""


def test_the_textbooks_dropout_scaled_at_test_passes_and_one_that_forgets_that_scale_fails(tmp_path):
    path = tmp_path / "dropout.py"
    path.write_text(TEXTBOOK.format(test_scale="(1.0 - self.dropout_ratio)"))
    assert _verdict(path)[:2] == ("pass", [])
    path.write_text(TEXTBOOK.format(test_scale="1.0"))
    verdict, codes, _ = _verdict(path)
    assert (verdict, codes[:1]) == ("fail", ["scaled"])


def test_a_dense_layer_whose_bias_update_takes_the_whole_upstream_gradient_fails_wrong_reduction():
    verdict, codes, said = _verdict(HERE / "dense_bias_per_sample.py")
    assert (verdict, codes[:1]) == ("fail", ["wrong-reduction"])
    assert "batch axis" in said
