# Layers that look suspicious but whose backward is right (or only a style warning).
import numpy as np


class Relu:
    # NOT A BUG: mask taken from the output instead of the input (same set of positions)
    def forward(self, x):
        self.out = np.maximum(0, x)
        return self.out

    def backward(self, dout):
        return dout * (self.out > 0)


class Affine:
    # NOT A BUG: the params/grads dict spelling
    def __init__(self, W, b):
        self.params = {'W': W, 'b': b}
        self.grads = {'W': np.zeros_like(W), 'b': np.zeros_like(b)}

    def forward(self, x):
        self.x_shape = x.shape
        self.x = x.reshape(x.shape[0], -1)
        return self.x @ self.params['W'] + self.params['b']

    def backward(self, dout):
        self.grads['W'][...] = self.x.T @ dout
        self.grads['b'][...] = dout.sum(axis=0)
        return (dout @ self.params['W'].T).reshape(self.x_shape)


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    # NOT A BUG (warning at most): writes into dout
    dx = dout
    dx[cache <= 0] = 0
    return dx


def max_pool_forward_naive(x, pool_param):
    N, C, H, W = x.shape
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    Ho, Wo = 1 + (H - ph) // s, 1 + (W - pw) // s
    out = np.zeros((N, C, Ho, Wo))
    for i in range(Ho):
        for j in range(Wo):
            out[:, :, i, j] = x[:, :, i*s:i*s+ph, j*s:j*s+pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    # DEBATABLE: routes the gradient to every tied maximum (only differs at ties = kinks)
    x, pool_param = cache
    ph, pw, s = pool_param['pool_height'], pool_param['pool_width'], pool_param['stride']
    _, _, Ho, Wo = dout.shape
    dx = np.zeros_like(x)
    for i in range(Ho):
        for j in range(Wo):
            win = x[:, :, i*s:i*s+ph, j*s:j*s+pw]
            m = win.max(axis=(2, 3), keepdims=True)
            dx[:, :, i*s:i*s+ph, j*s:j*s+pw] += (win == m) * dout[:, :, i, j][:, :, None, None]
    return dx
