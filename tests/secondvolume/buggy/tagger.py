"""A sequence tagger whose backward stops before its encoder."""
import sys
sys.path.append('..')
import numpy as np

from common.time_layers import TimeAffine, TimeEmbedding, TimeRNN, TimeSoftmaxWithLoss


class Encoder:
    def __init__(self, vocab_size, wordvec_size, hidden_size):
        rn = np.random.randn
        self.embed = TimeEmbedding((rn(vocab_size, wordvec_size) * 0.3).astype('f'))
        self.rnn = TimeRNN((rn(wordvec_size, hidden_size) / np.sqrt(wordvec_size)).astype('f'),
                           (rn(hidden_size, hidden_size) / np.sqrt(hidden_size)).astype('f'),
                           np.zeros(hidden_size, dtype='f'))
        self.params = self.embed.params + self.rnn.params
        self.grads = self.embed.grads + self.rnn.grads

    def forward(self, xs):
        return self.rnn.forward(self.embed.forward(xs))

    def backward(self, dhs):
        self.embed.backward(self.rnn.backward(dhs))


class TaggerEncoderLeftOut:
    """Bug: backward never reaches the encoder: its four arrays keep zero gradients; the output layer is right."""

    def __init__(self, vocab_size, wordvec_size, hidden_size):
        self.encoder = Encoder(vocab_size, wordvec_size, hidden_size)
        self.affine = TimeAffine((np.random.randn(hidden_size, vocab_size) / np.sqrt(hidden_size)).astype('f'),
                                 np.zeros(vocab_size, dtype='f'))
        self.loss_layer = TimeSoftmaxWithLoss()
        self.params = self.encoder.params + self.affine.params
        self.grads = self.encoder.grads + self.affine.grads

    def forward(self, xs, ts):
        return self.loss_layer.forward(self.affine.forward(self.encoder.forward(xs)), ts)

    def backward(self, dout=1):
        return self.affine.backward(self.loss_layer.backward(dout))
