"""A small library's layers: told their shapes when the model is built (D_in, D_out as tuples, the window as a
shape), parameters held in Parameter objects."""
import numpy as np
from parameter import Parameter


class Dense:
    def __init__(self, D_in=None, D_out=None):
        if len(D_in) != 1 or len(D_out) != 1:
            raise ValueError("Dense takes flat inputs")
        self.weights = Parameter((D_in[0], D_out[0]), scale=0.1)
        self.bias = Parameter(D_out)

    def forward(self, x, mode="train"):
        self.x = x
        return x @ self.weights.value + self.bias.value

    def backward(self, dout):
        self.weights.gradient = self.x.T @ dout
        self.bias.gradient = dout.sum(axis=0)
        return dout @ self.weights.value.T


class Flatten:
    def __init__(self, D_in=None):
        self.D_in = D_in

    def forward(self, x, mode="train"):
        return x.reshape(len(x), -1)

    def backward(self, dout):
        return dout.reshape(len(dout), *self.D_in)


class MaxPool2D:
    def __init__(self, filter_shape=None, stride=1):
        self.filter_shape, self.stride = filter_shape, stride

    def forward(self, x, mode="train"):
        self.x = x
        fh, fw = self.filter_shape
        s = self.stride
        N, C, H, W = x.shape
        out = np.zeros((N, C, (H - fh) // s + 1, (W - fw) // s + 1))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = x[:, :, i * s:i * s + fh, j * s:j * s + fw].max(axis=(2, 3))
        return out

    def backward(self, dout):
        fh, fw = self.filter_shape
        s = self.stride
        dx = np.zeros_like(self.x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                window = self.x[:, :, i * s:i * s + fh, j * s:j * s + fw]
                hit = window == window.max(axis=(2, 3), keepdims=True)
                dx[:, :, i * s:i * s + fh, j * s:j * s + fw] += hit * dout[:, :, i:i + 1, j:j + 1]
        return dx


class Conv2D:
    """Told its output shape by the model: gradlab cannot know it."""

    def __init__(self, D_in=None, output_volume=None, filter_shape=None, stride=1, pad=0):
        self.kernel = Parameter((output_volume[0], D_in[0], *filter_shape), scale=0.1)
        self.bias = Parameter(output_volume[:1])
        self.stride, self.pad = stride, pad

    def forward(self, x, mode="train"):
        raise NotImplementedError

    def backward(self, dout):
        raise NotImplementedError
