"""Language models as the second volume builds them: a stateful RNN between an embedding and an affine layer."""
import sys
sys.path.append('..')
import numpy as np

from common.time_layers import TimeAffine, TimeEmbedding, TimeRNN, TimeSoftmaxWithLoss


class RnnLM:
    def __init__(self, vocab_size=1000, wordvec_size=50, hidden_size=50):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = np.random.randn
        self.layers = [TimeEmbedding((rn(V, D) * 0.3).astype('f')),
                       TimeRNN((rn(D, H) / np.sqrt(D)).astype('f'), (rn(H, H) / np.sqrt(H)).astype('f'),
                               np.zeros(H, dtype='f'), stateful=True),
                       TimeAffine((rn(H, V) / np.sqrt(H)).astype('f'), np.zeros(V, dtype='f'))]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.layers:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, xs, ts):
        for layer in self.layers:
            xs = layer.forward(xs)
        return self.loss_layer.forward(xs, ts)

    def backward(self, dout=1):
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def reset_state(self):
        self.layers[1].reset_state()


class TiedRnnLM(RnnLM):
    """The output layer's weight is the embedding transposed (weight tying): word vectors as long as the state."""

    def __init__(self, vocab_size=1000, wordvec_size=50, hidden_size=50):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = np.random.randn
        embed_W = (rn(V, D) * 0.3).astype('f')
        self.layers = [TimeEmbedding(embed_W),
                       TimeRNN((rn(D, H) / np.sqrt(D)).astype('f'), (rn(H, H) / np.sqrt(H)).astype('f'),
                               np.zeros(H, dtype='f'), stateful=True),
                       TimeAffine(embed_W.T, np.zeros(V, dtype='f'))]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.layers:
            self.params += layer.params
            self.grads += layer.grads


class RnnLMWithoutReset(RnnLM):
    """A stateful language model without a reset_state of its own (its trainer resets the RNN layer itself)."""

    reset_state = None
