"""Word models as the second volume builds them: context layers sharing one input matrix."""
import sys
sys.path.append('..')
import numpy as np

from common.layers import Embedding, MatMul, SoftmaxWithLoss


class OneHotContexts:
    """Two one-hot context words through one shared matrix, averaged (contexts (N, 2, V), target (N, V))."""

    def __init__(self, vocab_size, hidden_size):
        W_in = (0.1 * np.random.randn(vocab_size, hidden_size)).astype('f')
        W_out = (0.1 * np.random.randn(hidden_size, vocab_size)).astype('f')
        self.in_layers = [MatMul(W_in), MatMul(W_in)]
        self.out_layer = MatMul(W_out)
        self.loss_layer = SoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.in_layers + [self.out_layer]:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, contexts, target):
        h = (self.in_layers[0].forward(contexts[:, 0]) + self.in_layers[1].forward(contexts[:, 1])) * 0.5
        return self.loss_layer.forward(self.out_layer.forward(h), target)

    def backward(self, dout=1):
        dh = self.out_layer.backward(self.loss_layer.backward(dout)) * 0.5
        for layer in self.in_layers:
            layer.backward(dh)
        return None


class WindowContexts:
    """2 * window_size context word ids through embeddings of one matrix, averaged (contexts (N, 2 * window))."""

    def __init__(self, vocab_size, hidden_size, window_size):
        W_in = (0.1 * np.random.randn(vocab_size, hidden_size)).astype('f')
        W_out = (0.1 * np.random.randn(hidden_size, vocab_size)).astype('f')
        self.in_layers = [Embedding(W_in) for _ in range(2 * window_size)]
        self.out_layer = MatMul(W_out)
        self.loss_layer = SoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in self.in_layers + [self.out_layer]:
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, contexts, target):
        h = sum(layer.forward(contexts[:, i]) for i, layer in enumerate(self.in_layers)) / len(self.in_layers)
        return self.loss_layer.forward(self.out_layer.forward(h), target)

    def backward(self, dout=1):
        dh = self.out_layer.backward(self.loss_layer.backward(dout)) / len(self.in_layers)
        for layer in self.in_layers:
            layer.backward(dh)
        return None
