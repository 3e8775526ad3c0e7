"""Word models with one bug each in their own backward."""
import sys
sys.path.append('..')
import numpy as np

from common.layers import Embedding, MatMul, SoftmaxWithLoss


class _Contexts:
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


class ContextsNotAveraged(_Contexts):
    """Bug: backward leaves out the 1 / (2 * window) of the average: W_in's gradient is scaled, W_out's right."""

    def backward(self, dout=1):
        dh = self.out_layer.backward(self.loss_layer.backward(dout))
        for layer in self.in_layers:
            layer.backward(dh)
        return None


class FirstContextOnly(_Contexts):
    """Bug: backward runs only the first context's layer: the shared W_in misses the other contexts' part."""

    def backward(self, dout=1):
        dh = self.out_layer.backward(self.loss_layer.backward(dout)) / len(self.in_layers)
        self.in_layers[0].backward(dh)
        return None


class SkipGramOneLoss:
    """Bug: the loss sums two context words' losses, backward takes only the first's: both matrices are wrong."""

    def __init__(self, vocab_size, hidden_size):
        W_in = (0.1 * np.random.randn(vocab_size, hidden_size)).astype('f')
        W_out = (0.1 * np.random.randn(hidden_size, vocab_size)).astype('f')
        self.in_layer = Embedding(W_in)
        self.out_layer = MatMul(W_out)
        self.loss_layers = [SoftmaxWithLoss(), SoftmaxWithLoss()]
        self.params = self.in_layer.params + self.out_layer.params
        self.grads = self.in_layer.grads + self.out_layer.grads

    def forward(self, contexts, target):
        s = self.out_layer.forward(self.in_layer.forward(target))
        return sum(layer.forward(s, contexts[:, i]) for i, layer in enumerate(self.loss_layers))

    def backward(self, dout=1):
        ds = self.loss_layers[0].backward(dout)
        self.in_layer.backward(self.out_layer.backward(ds))
        return None
