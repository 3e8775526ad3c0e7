"""An instance normalisation layer as a learner writes it for images (N, C, H, W): statistics of each channel of
each sample over H and W, γ and β per channel, built from the number of channels."""
import numpy as np


class InstanceNorm2d:
    def __init__(self, num_features, eps=1e-5):
        self.gamma = np.ones(num_features)
        self.beta = np.zeros(num_features)
        self.eps = eps

    def forward(self, x):
        mu = x.mean(axis=(2, 3), keepdims=True)
        var = x.var(axis=(2, 3), keepdims=True)
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (x - mu) * self.inv_std
        self.xc = x - mu
        return self.gamma[None, :, None, None] * self.x_hat + self.beta[None, :, None, None]

    def backward(self, dout):
        M = dout.shape[2] * dout.shape[3]
        self.dgamma = np.sum(dout * self.x_hat, axis=(0, 2, 3))
        self.dbeta = np.sum(dout, axis=(0, 2, 3))
        dxhat = dout * self.gamma[None, :, None, None]
        dx = (M * dxhat - dxhat.sum(axis=(2, 3), keepdims=True)
              - self.x_hat * np.sum(dxhat * self.x_hat, axis=(2, 3), keepdims=True)) * self.inv_std / M
        return dx
