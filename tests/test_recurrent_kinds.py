"""CS231n assignment 3's recurrent layers: rnn_step, rnn, lstm_step, lstm, word_embedding, temporal_affine and
temporal_softmax_loss, checked as the course writes them, with the classic recurrent bugs named."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from gradlab.reference import a3_functions as a3

from gradlab.cases.per_sample import SUM, batch_vs_samples
from gradlab.cases.runner import check_entry
from gradlab.cli.main import main
from gradlab.conventions.adapters import adapt
from gradlab.conventions.discover import entry_for
from gradlab.conventions.registry import load_reference
from gradlab.core.results import FAIL, PASS
from gradlab.grading.forward_reference import check_forward, reference_output
from gradlab.kinds import KINDS, build_case

REFERENCE = Path(a3.__file__)
SPEC = {"N": 2, "T": 3, "D": 4, "H": 5, "seed": 3, "scale": 1.0}


def _failing_sentences(report) -> str:
    assert report.failing is not None
    return " ".join(g.diagnosis for g in report.failing.gradients if not g.passed)


def test_an_lstm_step_is_seen_as_next_h_and_next_c_joined_and_its_backward_gets_both_halves():
    kind = KINDS["lstm_step"]
    case = build_case(kind, SPEC)
    layer = adapt(entry_for(a3.lstm_step_forward, a3.lstm_step_backward), kind, case)
    out = layer.forward(case.x, None)
    h, c, _ = a3.lstm_step_forward(case.x, *(case.params[p] for p in kind.params))
    np.testing.assert_array_equal(out, np.concatenate([h, c], axis=1))
    G = np.random.default_rng(0).standard_normal(out.shape)
    dx, grads = layer.backward(G)
    expected = a3.lstm_step_backward(G[:, :5], G[:, 5:], a3.lstm_step_forward(case.x, *layer.params.values())[2])
    np.testing.assert_array_equal(dx, expected[0])
    np.testing.assert_array_equal(grads["prev_c"], expected[2])


def test_a_word_embedding_backward_that_returns_dW_alone_is_read_as_the_gradient_of_W():
    entry = entry_for(a3.word_embedding_forward, a3.word_embedding_backward)
    assert entry.kind == "embedding"
    report = check_entry(entry, examples=10, seed=0)
    assert report.verdict == PASS and set(report.worst) == {"dW"}


def test_temporal_softmax_loss_gets_its_labels_and_mask_as_its_own_arguments():
    kind = KINDS["temporal_softmax_loss"]
    case = build_case(kind, {"N": 3, "T": 4, "V": 5, "seed": 1})
    seen = {}

    def temporal_softmax_loss(x, y, mask, verbose=False):
        seen.update(y=y, mask=mask)
        return a3.temporal_softmax_loss(x, y, mask)

    adapt(entry_for(temporal_softmax_loss), kind, case).forward(case.x, case.t)
    assert seen["y"].shape == seen["mask"].shape == (3, 4)
    assert seen["y"].dtype.kind == "i" and seen["mask"].dtype == bool
    assert 0 < seen["mask"].sum() < seen["mask"].size


@pytest.mark.parametrize("name", ["rnn_step", "rnn", "lstm_step", "lstm"])
def test_a_sample_run_alone_takes_its_own_row_of_the_initial_hidden_state(name):
    report = batch_vs_samples(load_reference()[name], N=3)
    assert report.error is None and report.consistent, report.sentences
    assert {g.convention for g in report.gradients} == {SUM}


@pytest.mark.parametrize("entry, said", [
    ("rnn_overwrites_dwh", "share of time step 0 alone"),
    ("lstm_overwrites_dwx", "overwritten instead of summed"),
    ("lstm_step_cell_path_without_forget_gate", "without the forget gate"),
    ("temporal_softmax_loss_mask_ignored_in_dx", "masked time steps"),
])
def test_a_classic_recurrent_bug_is_said_in_its_own_words(entry, said):
    report = check_entry(load_reference()[entry], examples=20, seed=0)
    assert report.verdict == FAIL
    assert said in _failing_sentences(report)


def test_the_grader_compares_an_lstm_forward_with_the_course_gate_order():
    kind = KINDS["lstm"]
    case = build_case(kind, SPEC)
    out = reference_output(kind, case)
    assert out.shape == (2, 3, 5) and check_forward(kind, case, out).ok
    assert not check_forward(kind, case, out[:, ::-1]).ok


def test_a_course_file_of_recurrent_layers_is_checked_as_written(tmp_path, capsys):
    source = [line for line in REFERENCE.read_text().splitlines()
              if not line.startswith(("from gradlab", "register_pair", "@register"))]
    (tmp_path / "rnn_layers.py").write_text("\n".join(source) + "\n")
    assert main(["check", str(tmp_path / "rnn_layers.py"), "--examples", "10"]) == 0
    out = capsys.readouterr().out
    assert "7 passed, 0 warned, 0 failed, 0 skipped" in out


def test_a_backward_that_consumes_its_cache_over_the_time_steps_is_not_failed_for_it():
    def rnn_forward(x, h0, Wx, Wh, b):
        return a3.rnn_forward(x, h0, Wx, Wh, b)

    def rnn_backward(dh, cache):
        N, T, H = dh.shape
        dx, dh0 = np.zeros((N, T, cache[0][0].shape[1])), np.zeros((N, H))
        dWx, dWh, db = np.zeros_like(cache[0][2]), np.zeros_like(cache[0][3]), np.zeros(H)
        for t in reversed(range(T)):
            dx[:, t], dh0, dWx_t, dWh_t, db_t = a3.rnn_step_backward(dh[:, t] + dh0, cache.pop())
            dWx, dWh, db = dWx + dWx_t, dWh + dWh_t, db + db_t
        return dx, dh0, dWx, dWh, db

    report = check_entry(entry_for(rnn_forward, rnn_backward), examples=10, seed=0)
    assert report.verdict == PASS, report.bug_codes
