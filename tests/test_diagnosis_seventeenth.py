"""One-bug layers of our own in the patterns gradlab misnamed on the fifteenth held-out set (issue 14), kept in
tests/realcode17; each reading is tested on the layer, not on the fixture's text:
- an attention whose backward scales the scores' gradient by another constant than forward scaled the scores: dWq
  and dWk are one factor off, and dx, the sum of the paths through Wq, Wk and Wv, is the true gradient with two of
  its terms scaled: `scaled` (it read as a dropped term), tested by the identity a path through x @ W satisfies;
- a deeplearning.ai ReLU step whose mask is inverted is `misrouted` first: on the smallest case dx has one element,
  which any factor fits (it read as scaled), while dW and db show the route."""

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


def test_an_inverted_relu_mask_in_a_linear_activation_step_is_misrouted_not_a_factor_on_one_element():
    assert _codes("naming_dlai_relu_inverted.py", layer="linear_activation[relu]") == ["misrouted"]
