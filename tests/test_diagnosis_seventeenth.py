"""One-bug layers of our own in the patterns gradlab misnamed on the fifteenth held-out set (issue 14), kept in
tests/realcode17; each reading is tested on the layer, not on the fixture's text:
- an attention whose backward scales the scores' gradient by another constant than forward scaled the scores: dWq
  and dWk are one factor off, and dx, the sum of the paths through Wq, Wk and Wv, is the true gradient with two of
  its terms scaled: `scaled` (it read as a dropped term), tested by the identity a path through x @ W satisfies;
- a hinge whose mask counts the clipped margins and the correct class as well (margins >= 0, then 1 - count at the
  correct class) is `misrouted`: on the smallest case it only shows zeros where gradient is due (read as a dropped
  term), and more samples show gradient sent where none is due as well, for dx and for a linear SVM's dW;
- a softmax classifier whose correct-class term is added to dW instead of subtracted is `sign-flip`: the part of dW
  that changes with the labels changes by -1 times the true change (asked of dx only, it read as a dropped term);
- a deeplearning.ai ReLU step whose mask is inverted is `misrouted` first: on the smallest case dx has one element,
  which any factor fits (it read as scaled), while dW and db show the route;
- an average pool whose backward spreads the windows' gradients with np.tile where np.repeat belongs is `misrouted`:
  each copy stays on its own axis, so no transpose moved it (it read as transposed, a split axis read in another
  order);
- a GRU step whose backward takes the candidate's derivative as 1 - np.tanh(cand)**2, cand already tanh's output, is
  `wrong-input` (it read as a dropped term), tested by a backward in which np.tanh reads its argument unchanged;
- a transposed convolution whose backward reads each position's segment of dout without the stride is `misrouted`:
  each wrong element's column of the Jacobian holds exactly the true terms, paired with other outputs' gradients
  (it read as a dropped term)."""

from __future__ import annotations

from pathlib import Path

from gradlab.cases.check_many import check_paths

HERE = Path(__file__).parent / "realcode17"


def _codes(name: str, examples: int = 6, layer: str | None = None) -> list[str]:
    reports = check_paths([HERE / name], examples=examples, seed=0).reports
    (report,) = [r for r in reports if layer is None or r.name == layer]
    assert report.verdict == "fail"
    return list(report.bug_codes)


def test_an_attention_whose_query_and_key_paths_are_scaled_names_dx_scaled_not_a_dropped_term():
    codes = _codes("naming_attention_scale.py")
    assert codes == ["scaled"], codes


def test_a_hinge_counting_clipped_margins_and_the_correct_class_is_misrouted_not_a_dropped_term():
    assert _codes("naming_hinge_flat_counted.py") == ["misrouted"]


def test_a_linear_svm_counting_clipped_margins_names_its_weight_gradient_misrouted():
    assert _codes("naming_linear_svm_flat_counted.py") == ["misrouted"]


def test_a_softmax_classifier_adding_its_label_term_to_dw_is_a_sign_flip():
    assert _codes("naming_softmax_classifier_label_sign.py") == ["sign-flip"]


def test_an_inverted_relu_mask_in_a_linear_activation_step_is_misrouted_not_a_factor_on_one_element():
    assert _codes("naming_dlai_relu_inverted.py", layer="linear_activation[relu]") == ["misrouted"]


def test_an_average_pool_spreading_its_windows_with_tile_is_misrouted_not_transposed():
    assert _codes("naming_avg_pool_tiled.py") == ["misrouted"]


def test_a_gru_step_taking_tanh_of_its_cached_candidate_again_is_wrong_input():
    assert _codes("naming_gru_step_tanh_twice.py") == ["wrong-input"]


def test_a_transposed_convolution_reading_its_segments_without_the_stride_is_misrouted():
    assert _codes("naming_conv_transpose1d_unstrided.py") == ["misrouted"]
