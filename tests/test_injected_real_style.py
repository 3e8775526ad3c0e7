"""One-line learner bugs injected into layers written in published courses' conventions (our own code, in
their style), named as the injection study on the real repositories found them (/tmp/p11 during the session:
a copy of each repository, one bug at a time, `gradlab check FILE --only LAYER`).

The second volume of the textbook stores gradients in place, `self.grads[1][...] = db`: numpy broadcasts
whatever is stored, so a bias gradient summed over all axes (a scalar) is not rejected by its shape; it
fills every element of b with the total of dout, and only the values show the bug."""

from __future__ import annotations

import numpy as np

from gradlab.cases.runner import check_entry
from gradlab.conventions.discover import entry_for
from gradlab.core.diagnose import diagnose_values
from gradlab.core.results import FAIL, PASS


class Affine:
    """Second-volume style: params and grads are lists, gradients copied in place."""

    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]
        self.x = None

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, _ = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum(axis=0)
        return dout @ W.T


class AffineBiasSummedOverAll(Affine):
    """The bias gradient summed over every axis: a scalar, broadcast into grads[1] by the in-place copy."""

    def backward(self, dout):
        W, _ = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1][...] = dout.sum()
        return dout @ W.T


class TimeAffine(Affine):
    """The same in time: (N, T, D) inputs flattened to rows, as the second volume's TimeAffine does."""

    def forward(self, x):
        W, b = self.params
        self.x = x
        return (x.reshape(-1, x.shape[-1]) @ W + b).reshape(*x.shape[:-1], -1)

    def backward(self, dout):
        W, _ = self.params
        rows, drows = self.x.reshape(-1, self.x.shape[-1]), dout.reshape(-1, dout.shape[-1])
        self.grads[0][...] = rows.T @ drows
        self.grads[1][...] = drows.sum(axis=0)
        return (drows @ W.T).reshape(self.x.shape)


class TimeAffineBiasSummedOverAll(TimeAffine):
    def backward(self, dout):
        W, _ = self.params
        rows, drows = self.x.reshape(-1, self.x.shape[-1]), dout.reshape(-1, dout.shape[-1])
        self.grads[0][...] = rows.T @ drows
        self.grads[1][...] = np.sum(drows)
        return (drows @ W.T).reshape(self.x.shape)


class RNN:
    """A second-volume RNN cell: forward(x, h_prev) -> h_next, backward(dh_next) -> (dx, dh_prev)."""

    def __init__(self, Wx, Wh, b):
        self.params = [Wx, Wh, b]
        self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

    def forward(self, x, h_prev):
        Wx, Wh, b = self.params
        h_next = np.tanh(h_prev @ Wh + x @ Wx + b)
        self.cache = (x, h_prev, h_next)
        return h_next

    def backward(self, dh_next):
        Wx, Wh, _ = self.params
        x, h_prev, h_next = self.cache
        dt = dh_next * (1 - h_next ** 2)
        self.grads[0][...] = x.T @ dt
        self.grads[1][...] = h_prev.T @ dt
        self.grads[2][...] = self._bias_gradient(dt)
        return dt @ Wx.T, dt @ Wh.T

    def _bias_gradient(self, dt):
        return dt.sum(axis=0)


class RNNBiasSummedOverAll(RNN):
    """db summed over the hidden axis as well: a scalar that grads[2][...] spreads over all of b."""

    def _bias_gradient(self, dt):
        return np.sum(dt)


def test_a_second_volume_affine_written_correctly_passes():
    report = check_entry(entry_for(Affine), examples=10, seed=0)
    assert report.verdict in (PASS, "warn"), report.bug_codes
    assert report.bug_codes == []


def test_a_bias_gradient_summed_over_all_axes_and_stored_in_place_is_a_wrong_reduction():
    report = check_entry(entry_for(AffineBiasSummedOverAll, kind="affine"), examples=10, seed=0)
    assert report.verdict == FAIL
    assert report.bug_codes == ["wrong-reduction"], report.bug_codes
    assert "broadcast" in str(report.to_dict())


def test_a_time_affine_bias_summed_over_all_axes_and_stored_in_place_is_a_wrong_reduction():
    report = check_entry(entry_for(TimeAffineBiasSummedOverAll, kind="temporal_affine"), examples=10, seed=0)
    assert report.verdict == FAIL
    assert report.bug_codes == ["wrong-reduction"], report.bug_codes


def test_a_broadcast_sum_is_named_only_when_it_explains_the_values():
    # the same sum spread over b, then one element nudged: no reduction of dout gives it, so it is not named one
    rng = np.random.default_rng(0)
    dout = rng.normal(size=(3, 4))
    true = dout.sum(axis=0)
    spread = np.full(4, dout.sum())
    assert diagnose_values("db", spread, true, np.zeros(4, bool), 3, upstream=dout).code == "wrong-reduction"
    nudged = spread.copy()
    nudged[1] += 0.5
    assert diagnose_values("db", nudged, true, np.zeros(4, bool), 3, upstream=dout).code != "wrong-reduction"


def test_a_second_volume_rnn_cell_written_correctly_passes():
    report = check_entry(entry_for(RNN), examples=10, seed=0)
    assert report.verdict in (PASS, "warn") and report.bug_codes == [], report.bug_codes


def test_an_rnn_bias_gradient_summed_from_the_intermediate_over_all_axes_is_a_wrong_reduction():
    # db is a sum of dt = dh_next * (1 - h**2), not of dout: only the true gradient itself, summed once more
    # and spread by the in-place store, explains it
    report = check_entry(entry_for(RNNBiasSummedOverAll, kind="rnn_step"), examples=10, seed=0)
    assert report.verdict == FAIL
    assert report.bug_codes == ["wrong-reduction"], report.bug_codes
    assert "summed over its axes" in str(report.to_dict())


def test_a_gradient_that_is_merely_constant_is_not_called_the_true_one_summed_further():
    rng = np.random.default_rng(1)
    true = rng.normal(size=5)
    assert diagnose_values("db", np.full(5, true.sum()), true, np.zeros(5, bool), 3).code == "wrong-reduction"
    assert diagnose_values("db", np.full(5, true.sum() + 1.0), true, np.zeros(5, bool), 3).code != "wrong-reduction"
