"""Conventions of published code that session 29's reach study (issue 10) found gradlab could not take as published:
each test checks a folder of tests/reach13/ (this project's own files, written in the convention met in the wild, see
its README) as a new user would, and a twin with one bug per layer shows the check could have failed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gradlab.cases.check_many import check_paths

HERE = Path(__file__).parent / "reach13"


def _reports(path: Path, examples: int = 6) -> dict[str, tuple[str, list[str], str | None]]:
    outcome = check_paths([path], examples=examples, seed=0)
    assert outcome.errors == []
    return {r.name: (r.verdict, r.bug_codes, r.detected_layout) for r in outcome.reports}


@pytest.mark.parametrize(("folder", "right", "buggy"), [
    # the table kept as self.embedding_matrix, the only array of the table's shape: 'keeps no parameter W' (crashed)
    ("sole_array", {"Embedding": "pass"}, {"Embedding": ["scaled"]}),
    # Reshape(*shape) was built with no argument and reshaped to (N,): crashed
    ("star_shape", {"Reshape": "pass"}, {"Reshape": ["transposed"]}),
    # forward_propagate / back_propagate(output_error, learning_rate): no layer recognised
    ("propagate_names", {"FCLayer": "warn", "TanhLayer": "pass"},
     {"FCLayer": ["extra-batch-mean"], "TanhLayer": ["wrong-input"]}),
    # __call__(x) and call(x) beside backward: set aside as 'a backward and no forward'
    ("called_layers", {"ReLU": "pass", "Linear": "warn"}, {"ReLU": ["missing-mask"], "Linear": ["extra-batch-mean"]}),
    # Dense(units) and build(input_shape): set aside as a parameter-free namesake of the affine kind
    ("keras_build", {"Dense": "warn"}, {"Dense": ["extra-batch-mean"]}),
    # dgamma summed over axes (0, 1): one number on gradlab's rows, wrong-reduction
    ("sequence_norm", {"LayerNorm": "pass"}, {"LayerNorm": ["scaled"]}),
    # ConvLayer(..., step, zero_pad): its padding unknown, every padded case was refused
    ("conv_words", {"ConvLayer": "warn"}, {"ConvLayer": ["extra-batch-mean"]}),
    # backward returning (dx, {"dweight": ...}): 'returned dict, not a numpy array' (crashed); a Linear transposing
    # (B, S, D) was set aside as written for arrays of another number of axes
    ("dict_grads", {"Linear": "warn", "RMSNorm": "pass"}, {"Linear": ["extra-batch-mean"], "RMSNorm": ["sign-flip"]}),
    # forward(x) the softmax, loss(y) the cross-entropy, backward() dx: given an upstream gradient, crashed
    ("output_loss", {"SoftmaxLayer": "warn"}, {"SoftmaxLayer": ["missing-batch-mean"]}),
    # a Dense on one vector (np.outer(x, grad)) crashed on batches; a layer on one row (1, D), db = grad, whose own
    # update cannot apply a batch's gradients, failed wrong-reduction: each is a warning that says so
    ("one_sample", {"Dense": "warn", "FullyConnected": "warn"},
     {"Dense": ["scaled"], "FullyConnected": ["scaled", "wrong-reduction"]}),
    # Parameter objects whose .grad backward adds into (+=), Linear(in_chan, out_chan), an embedding table under a name
    # of its own: set aside (sizes not read as sizes; 'keeps no array')
    ("param_objects", {"Linear": "warn", "Embedding": "pass"},
     {"Linear": ["extra-batch-mean"], "Embedding": ["sign-flip"]}),
    # delta_weights += per sample, zeroed by update_parameters: zero-gradient (the deltas were not read as gradients)
    ("summed_deltas", {"FCLayer": "warn"}, {"FCLayer": ["transposed", "crashed"]}),
], ids=lambda v: v if isinstance(v, str) else "")
def test_a_convention_found_in_published_code_passes_its_right_layers_and_fails_its_buggy_twin(folder, right, buggy):
    assert {k: v for k, (v, _, _) in _reports(HERE / folder).items()} == right
    assert {k: codes for k, (v, codes, _) in _reports(HERE / f"{folder}_buggy").items() if v == "fail"} == buggy


def test_a_layer_norm_written_for_sequences_says_it_was_given_its_rows_as_sequences():
    from gradlab.conventions.sequences import SEQUENCE_LAYOUT

    assert _reports(HERE / "sequence_norm")["LayerNorm"][2] == SEQUENCE_LAYOUT
    assert _reports(HERE / "sequence_norm_buggy")["LayerNorm"][2] == SEQUENCE_LAYOUT


def test_rows_given_as_sequences_use_both_axes_where_the_batch_allows():
    from gradlab.conventions.sequences import sequence_shape

    # a sum over the batch axis alone or the time axis alone shows only where both are above one
    assert [sequence_shape(n) for n in (1, 2, 4, 6, 7, 9)] == [(1, 1), (1, 2), (2, 2), (2, 3), (1, 7), (3, 3)]


def test_a_layer_that_sums_over_every_axis_on_rows_is_still_wrong_reduction_when_sequences_do_not_explain_it(tmp_path):
    # a 2-D layer norm whose dgamma is one number: given as sequences it is one number still, so the rows stand
    (tmp_path / "norm.py").write_text(
        (HERE / "sequence_norm" / "layernorm.py").read_text().replace("sum(axis=(0, 1))", "sum()"))
    verdict, codes, layout = _reports(tmp_path)["LayerNorm"]
    assert (verdict, codes, layout) == ("fail", ["wrong-reduction"], None)


def test_a_convolution_whose_padding_has_a_name_of_its_own_is_given_padded_cases():
    outcome = check_paths([HERE / "conv_words"], examples=6, seed=0)
    (report,) = outcome.reports
    assert report.warnings and not any("padding" in w.message for w in report.warnings)


def test_only_a_sole_matrix_of_the_right_shape_is_taken_for_a_parameter_of_another_name():
    import numpy as np

    from gradlab.conventions.class_slots import find_slot
    from gradlab.core.protocol import LayerSignatureError

    class Table:
        def __init__(self, table, grad_table):
            self.table, self.grad_table = table, grad_table

    ours = np.zeros((4, 3))
    assert find_slot(Table(np.ones((4, 3)), np.ones((4, 3))), "W", ours, index=0, count=1).spelling == "table"
    twice = Table(np.ones((4, 3)), None)
    twice.other = np.ones((4, 3))  # two arrays of the shape: which one is the parameter cannot be told
    with pytest.raises(LayerSignatureError):
        find_slot(twice, "W", ours, index=0, count=1)


def test_gradients_returned_in_a_dict_are_read_by_the_parameter_each_key_names():
    from gradlab.conventions.returned_gradients import split_returned
    from gradlab.core.protocol import LayerCrash

    dx, grads = split_returned(("dx", {"grad_weight": 1, "d_bias": 2}), ["W", "b"], "Linear.backward")
    assert (dx, grads) == ("dx", {"W": 1, "b": 2})
    with pytest.raises(LayerCrash, match="none of them for parameter 'b'"):
        split_returned(("dx", {"W": 1, "cache": 2}), ["W", "b"], "Linear.backward")


def test_an_output_layer_holding_its_loss_is_its_activation_combined_with_the_loss():
    from gradlab.conventions.loss_methods import combined_kind, loss_method
    from gradlab.kinds import kind_for_class

    class SoftmaxLayer:
        def forward(self, x): ...
        def loss(self, y): ...
        def backward(self): ...

    class Softmax:  # an activation given an upstream gradient: no loss of its own
        def forward(self, x): ...
        def backward(self, dout): ...

    assert (loss_method(SoftmaxLayer), loss_method(Softmax)) == ("loss", None)
    assert combined_kind(kind_for_class("Softmax")) is kind_for_class("SoftmaxWithLoss")


def test_a_bias_gradient_keeping_the_batch_axis_is_still_wrong_reduction_without_an_update_that_says_one_sample(
        tmp_path):
    # the same db = grad in a layer with no update of its own: nothing in its code says it takes one sample at a time
    source = (HERE / "one_sample" / "layers.py").read_text()
    (tmp_path / "layers.py").write_text(source[: source.index("    def update(")])
    assert _reports(tmp_path)["FullyConnected"][:2] == ("fail", ["wrong-reduction"])


def test_the_untied_bias_convolution_is_built_with_its_number_of_kernels_under_a_learners_name():
    # Convolution(input_shape, kernel_size, kernel_depth): 'needs argument kernel_depth, which gradlab cannot supply'
    from gradlab.conventions.class_construction import construct
    from gradlab.kinds import build_case, kind_for_class

    class Convolution:
        def __init__(self, input_shape, kernel_size, kernel_depth):
            self.given = (tuple(input_shape), kernel_size, kernel_depth)

    kind = kind_for_class("Convolutional")
    case = build_case(kind, {"N": 1, **kind.batch_spec("class"), "seed": 0, "scale": 1.0})
    layer, _ = construct(Convolution, kind, case)
    assert layer.given[2] == case.hyper["depth"] and layer.given[1] == case.hyper["kernel_size"]
