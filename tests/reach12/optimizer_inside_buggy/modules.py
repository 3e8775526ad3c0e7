import numpy as np


class Adam:
    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.m = self.v = None
        self.t = 0

    def update(self, params, grads):
        if self.m is None:
            self.m = [np.zeros_like(p) for p in params]
            self.v = [np.zeros_like(p) for p in params]
        self.t += 1
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m[...] = self.beta1 * m + (1 - self.beta1) * g
            v[...] = self.beta2 * v + (1 - self.beta2) * g * g
            m_hat, v_hat = m / (1 - self.beta1 ** self.t), v / (1 - self.beta2 ** self.t)
            p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


class Module:
    """Each module owns an optimizer (Adam unless told otherwise) and a mode it is switched into by a call."""

    def __init__(self):
        self._optimizer = None
        self._training = False

    @property
    def optimizer(self):
        if self._optimizer is None:
            self._optimizer = Adam()
        return self._optimizer

    @optimizer.setter
    def optimizer(self, value):
        self._optimizer = value

    def is_training(self, value=None):
        if value is not None:
            self._training = value
        return self._training


class Linear(Module):
    def __init__(self, weight, bias):
        super().__init__()
        self.weight, self.bias = weight, bias

    def forward(self, x):
        self.x = x
        return x @ self.weight + self.bias

    def backward(self, grad):
        dx = grad @ self.weight.T
        self.optimizer.update([self.weight, self.bias], [self.x.T @ grad, grad.mean(axis=0)])
        return dx


class BatchNorm1d(Module):
    def __init__(self, gamma, beta, eps=1e-5, momentum=0.1):
        super().__init__()
        self.gamma, self.beta, self.eps, self.momentum = gamma, beta, eps, momentum
        self.running_mean, self.running_var = np.zeros_like(gamma), np.ones_like(gamma)

    def forward(self, x):
        if self.is_training():
            mean, var = x.mean(axis=0), x.var(axis=0)
            self.running_mean += self.momentum * (mean - self.running_mean)
            self.running_var += self.momentum * (var - self.running_var)
        else:
            mean, var = self.running_mean, self.running_var
        self.inv_std = 1.0 / np.sqrt(var + self.eps)
        self.x_hat = (x - mean) * self.inv_std
        return self.gamma * self.x_hat + self.beta

    def backward(self, grad):
        n = grad.shape[0]
        dx_hat = grad * self.gamma
        dx = self.inv_std / n * (n * dx_hat - dx_hat.sum(axis=0) - self.x_hat * (dx_hat * self.x_hat).sum(axis=0))
        self.optimizer.update([self.gamma, self.beta], [(grad * self.x_hat).sum(axis=0), -grad.sum(axis=0)])
        return dx
