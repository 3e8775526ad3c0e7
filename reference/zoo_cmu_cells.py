"""Buggy recurrent cells in the manner of CMU 11-785's mytorch: one classic bug each in the RNN cell's
`backward(delta, h_t, h_prev_l, h_prev_t)` (the batch average forgotten, tanh' taken at the previous state, one
bias's gradient never written) and the GRU cell's `backward(delta)` (the update gate's (h - n) written (n - h))."""

from gradlab.reference.cmu_cells import GRUCell, RNNCell
from gradlab.registry import register


@register("torch_rnn_cell", bug="missing-batch-mean", note="the weight gradients are not averaged over the batch")
class RNNCellSummed(RNNCell):
    def backward(self, delta, h_t, h_prev_l, h_prev_t):
        dz = self.activation.backward(delta, state=h_t)
        self.dW_ih += dz.T @ h_prev_l  # BUG: the course's gradients are batch means: / batch_size
        self.dW_hh += dz.T @ h_prev_t
        self.db_ih += dz.sum(axis=0)
        self.db_hh += dz.sum(axis=0)
        return dz @ self.W_ih, dz @ self.W_hh

@register("torch_rnn_cell", bug="wrong-input", note="tanh' at h_prev_t, the previous step's state")
class RNNCellTanhAtPrevState(RNNCell):
    def backward(self, delta, h_t, h_prev_l, h_prev_t):
        n = delta.shape[0]
        dz = self.activation.backward(delta, state=h_prev_t)  # BUG: tanh' belongs at this step's output h_t
        self.dW_ih += dz.T @ h_prev_l / n
        self.dW_hh += dz.T @ h_prev_t / n
        self.db_ih += dz.sum(axis=0) / n
        self.db_hh += dz.sum(axis=0) / n
        return dz @ self.W_ih, dz @ self.W_hh

@register("torch_rnn_cell", bug="zero-gradient", note="db_hh is never written")
class RNNCellNoHiddenBias(RNNCell):
    def backward(self, delta, h_t, h_prev_l, h_prev_t):
        n = delta.shape[0]
        dz = self.activation.backward(delta, state=h_t)
        self.dW_ih += dz.T @ h_prev_l / n
        self.dW_hh += dz.T @ h_prev_t / n
        self.db_ih += dz.sum(axis=0) / n  # BUG: b_hh receives the same gradient as b_ih
        return dz @ self.W_ih, dz @ self.W_hh

@register("torch_gru_cell", bug="sign-flip", note="dz from (n - h_prev_t) where h_t = (1 - z) * n + z * h_prev_t")
class GRUCellUpdateGateSign(GRUCell):
    def _gates(self, delta):
        dn = delta * (1 - self.z) * (1 - self.n ** 2)
        dz = delta * (self.n - self.hidden) * self.z * (1 - self.z)  # BUG: dh_t/dz = h_prev_t - n
        dr = dn * self.hn * self.r * (1 - self.r)
        return dn, dz, dr

