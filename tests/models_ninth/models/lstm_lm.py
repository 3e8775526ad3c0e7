"""A language model as the second volume builds one: word vectors drawn tiny (randn / 100), an LSTM, an affine layer."""
import sys
sys.path.append('..')
import numpy as np

from common.time_layers import TimeAffine, TimeEmbedding, TimeLSTM, TimeSoftmaxWithLoss


class LstmLM:
    lstm = TimeLSTM

    def __init__(self, vocab_size=1000, wordvec_size=50, hidden_size=50):
        V, D, H = vocab_size, wordvec_size, hidden_size
        rn = np.random.randn
        self.layers = [TimeEmbedding((rn(V, D) / 100).astype('f')),
                       self.lstm((rn(D, 4 * H) / np.sqrt(D)).astype('f'), (rn(H, 4 * H) / np.sqrt(H)).astype('f'),
                                 np.zeros(4 * H, dtype='f'), stateful=True),
                       TimeAffine((rn(H, V) / np.sqrt(H)).astype('f'), np.zeros(V, dtype='f'))]
        self.loss_layer = TimeSoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.layers:
            self.params += layer.params
            self.grads += layer.grads

    def predict(self, xs):
        for layer in self.layers:
            xs = layer.forward(xs)
        return xs

    def forward(self, xs, ts):
        return self.loss_layer.forward(self.predict(xs), ts)

    def backward(self, dout=1):
        dout = self.loss_layer.backward(dout)
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def reset_state(self):
        self.layers[1].reset_state()


class LstmLMVectorSize(LstmLM):
    """Its word vector size spelled as a learner does (Nokomon's SimpleRnnlm(vocab_size, vec_size, hidden_size))."""

    def __init__(self, vocab_size, vector_size, hidden_size):
        super().__init__(vocab_size, vector_size, hidden_size)
