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
