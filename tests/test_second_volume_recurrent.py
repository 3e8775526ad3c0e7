"""The textbook's second volume's time layers: TimeRNN and TimeLSTM checked with `stateful=False` (their
default), TimeAffine and TimeEmbedding as the temporal affine and embedding kinds, as the book writes them."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
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
             "TimeSoftmaxWithLoss", "Simple_TimeSoftmaxWithLoss")
    assert {n: kind_for_class(n).name for n in names} == {
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
