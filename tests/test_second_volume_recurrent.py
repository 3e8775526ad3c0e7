"""The textbook's second volume's recurrent layers as the book writes them: the steps RNN and LSTM (the
previous state a forward argument), TimeRNN and TimeLSTM checked with `stateful=False` (their default),
TimeAffine, TimeEmbedding, TimeDropout and TimeSoftmaxWithLoss."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.cli.main import main
from gradlab.conventions.discover import entry_for
from gradlab.core.results import PASS
from gradlab.kinds import kind_for_class


class Embedding:
    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]
        self.idx = None

    def forward(self, idx):
        self.idx = idx
        return self.params[0][idx]

    def backward(self, dout):
        dW, = self.grads
        dW[...] = 0
        np.add.at(dW, self.idx, dout)


class TimeEmbedding:
    """Keeps W twice, as self.W and as params[0], and its gradient in the grads list only."""

    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]
        self.W = W
        self.layers = []

    def forward(self, xs):
        self.layers = [Embedding(self.W) for _ in range(xs.shape[1])]
        return np.stack([layer.forward(xs[:, t]) for t, layer in enumerate(self.layers)], axis=1)

    def backward(self, dout):
        grad = 0
        for t, layer in enumerate(self.layers):
            layer.backward(dout[:, t])
            grad += layer.grads[0]
        self.grads[0][...] = grad


def test_the_second_volume_time_layers_are_known_by_their_class_names():
    names = ("TimeRNN", "TimeLSTM", "TimeAffine", "Simple_TimeAffine", "TimeEmbedding", "TimeDropout",
             "TimeSoftmaxWithLoss", "Simple_TimeSoftmaxWithLoss", "RNN", "LSTM", "GRU", "TimeGRU", "TimeBiLSTM")
    assert {n: kind_for_class(n).name for n in names} == {
        "RNN": "rnn_step", "LSTM": "lstm_step", "GRU": "gru_step", "TimeGRU": "time_gru", "TimeBiLSTM": "time_bilstm",
        "TimeRNN": "time_rnn", "TimeLSTM": "time_lstm", "TimeAffine": "temporal_affine",
        "Simple_TimeAffine": "temporal_affine", "TimeEmbedding": "embedding", "TimeDropout": "dropout",
        "TimeSoftmaxWithLoss": "time_softmax_with_loss", "Simple_TimeSoftmaxWithLoss": "time_softmax_with_loss"}


def test_a_parameter_kept_as_an_attribute_and_in_the_params_list_has_its_gradient_read_from_the_grads_list():
    report = check_entry(entry_for(TimeEmbedding), examples=10, seed=0)
    assert report.verdict == PASS, report.bug_codes


class TimeSoftmaxWithLoss:
    """As the book writes it: backward turns the cached softmax into dx in place (one backward per forward)."""

    def __init__(self):
        self.params, self.grads = [], []
        self.cache = None

    def forward(self, xs, ts):
        N, T, V = xs.shape
        ys = np.exp(xs - xs.max(axis=2, keepdims=True))
        ys = (ys / ys.sum(axis=2, keepdims=True)).reshape(N * T, V)
        self.cache = (ts.reshape(N * T), ys, (N, T, V))
        return -np.log(ys[np.arange(N * T), ts.reshape(N * T)]).mean()

    def backward(self, dout=1):
        ts, ys, (N, T, V) = self.cache
        dx = ys
        dx[np.arange(N * T), ts] -= 1
        dx *= dout / (N * T)
        return dx.reshape(N, T, V)


def test_a_loss_whose_backward_consumes_its_cached_softmax_is_not_failed_for_a_second_backward():
    report = check_entry(entry_for(TimeSoftmaxWithLoss), examples=10, seed=0)
    assert report.verdict == PASS, report.bug_codes


class RNN:
    """The book's one step: the previous state is a forward argument, the weights a params list."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]
        self.cache = None

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = np.tanh(np.dot(h_prev, Wh) + np.dot(x, Wx) + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, b = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next ** 2)
        self.grads[0][...] = np.dot(x.T, dt)
        self.grads[1][...] = np.dot(h_prev.T, dt)
        self.grads[2][...] = np.sum(dt, axis=0)
        return np.dot(dt, Wx.T), np.dot(dt, Wh.T)


def test_a_recurrent_step_class_gets_its_previous_state_in_forward_and_returns_its_gradient():
    report = check_entry(entry_for(RNN), examples=10, seed=0)
    assert report.verdict == PASS, report.bug_codes
    assert set(report.worst) == {"dx", "dprev_h", "grads[0]", "grads[1]", "grads[2]"}


def test_a_class_named_like_a_step_whose_forward_takes_no_state_is_skipped_not_failed(tmp_path, capsys):
    (tmp_path / "seq_layers.py").write_text(
        "class LSTM:\n"
        "    def forward(self, xs):\n        return xs\n\n"
        "    def backward(self, dhs):\n        return dhs\n")
    main(["check", str(tmp_path / "seq_layers.py")])
    out = capsys.readouterr().out
    assert "FAIL" not in out and "takes no previous state" in out
