"""A word2vec CBOW as a learner writes the second volume's: one-hot contexts, weights drawn at scale 1, no predict."""
import sys
sys.path.append('..')
import numpy as np

from common.layers import MatMul, SoftmaxWithLoss


class PlainCBOW:
    def __init__(self, vocab_size, hidden_size):
        W_in = np.random.randn(vocab_size, hidden_size)
        W_out = np.random.randn(hidden_size, vocab_size)
        self.left, self.right = MatMul(W_in), MatMul(W_in)
        self.out = MatMul(W_out)
        self.loss_layer = SoftmaxWithLoss()
        self.params, self.grads = [], []
        for layer in (self.left, self.right, self.out):
            self.params += layer.params
            self.grads += layer.grads

    def forward(self, contexts, target):
        h = (self.left.forward(contexts[:, 0]) + self.right.forward(contexts[:, 1])) * 0.5
        return self.loss_layer.forward(self.out.forward(h), target)

    def backward(self, dout=1):
        dh = self.out.backward(self.loss_layer.backward(dout)) * 0.5
        self.left.backward(dh)
        self.right.backward(dh)
