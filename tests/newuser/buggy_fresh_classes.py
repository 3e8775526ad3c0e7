# Buggy class-style layers in learners' own styles (verbose loops, cached inputs, log-softmax),
# one mistake each; written for gradlab's new-user tests, not taken from any course.
import numpy as np


class Tanh:
    # BUG: wrong-input  (derivative 1 - t**2 taken of the cached input instead of the activation)
    def forward(self, inputs):
        self.inputs = inputs
        self.activation = np.tanh(inputs)
        return self.activation

    def backward(self, grad_output):
        local_grad = 1.0 - self.inputs * self.inputs
        return grad_output * local_grad


class Sigmoid:
    # BUG: wrong-input  (applied the sigmoid's derivative formula to the activation a second time)
    def forward(self, z):
        self.a = 1.0 / (1.0 + np.exp(-z))
        return self.a

    def backward(self, da):
        s = 1.0 / (1.0 + np.exp(-self.a))
        return da * s * (1.0 - s)


class Softplus:
    # BUG: wrong-input  (sigmoid of the output where the derivative is the sigmoid of the input)
    def forward(self, x):
        self.out = np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)
        return self.out

    def backward(self, dout):
        return dout / (1.0 + np.exp(-self.out))


class SoftmaxCrossEntropy:
    # BUG: missing-batch-mean  (log-softmax loss averaged over the batch, gradient not divided by N)
    def forward(self, logits, labels):
        shifted = logits - logits.max(axis=1, keepdims=True)
        self.log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        self.labels = labels
        n = logits.shape[0]
        return -self.log_probs[np.arange(n), labels].mean()

    def backward(self, dout=1.0):
        grad = np.exp(self.log_probs)
        grad[np.arange(grad.shape[0]), self.labels] -= 1.0
        return dout * grad


class Softmax:
    # BUG: dropped-term  (kept only the Jacobian's diagonal: dx = y * dout, the sum over classes left out)
    def forward(self, x):
        e = np.exp(x - np.max(x, axis=-1, keepdims=True))
        self.y = e / np.sum(e, axis=-1, keepdims=True)
        return self.y

    def backward(self, dout):
        return self.y * dout


class MaxPool:
    # BUG: misrouted  (every element of the window receives the gradient, not only its maximum)
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.x = x
        N, C, H, W = x.shape
        oh = (H - self.pool_h) // self.stride + 1
        ow = (W - self.pool_w) // self.stride + 1
        out = np.zeros((N, C, oh, ow))
        for i in range(oh):
            for j in range(ow):
                r, c = i * self.stride, j * self.stride
                window = x[:, :, r:r + self.pool_h, c:c + self.pool_w]
                out[:, :, i, j] = window.max(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros_like(self.x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                r, c = i * self.stride, j * self.stride
                dx[:, :, r:r + self.pool_h, c:c + self.pool_w] += dout[:, :, i, j][:, :, None, None]
        return dx


class AvgPool:
    # BUG: scaled  (the window's share 1/(pool_h*pool_w) left out of the backward)
    def __init__(self, pool_h, pool_w, stride=1, pad=0):
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.shape = x.shape
        N, C, H, W = x.shape
        oh = (H - self.pool_h) // self.stride + 1
        ow = (W - self.pool_w) // self.stride + 1
        out = np.zeros((N, C, oh, ow))
        for i in range(oh):
            for j in range(ow):
                r, c = i * self.stride, j * self.stride
                out[:, :, i, j] = x[:, :, r:r + self.pool_h, c:c + self.pool_w].mean(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros(self.shape)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                r, c = i * self.stride, j * self.stride
                dx[:, :, r:r + self.pool_h, c:c + self.pool_w] += dout[:, :, i, j][:, :, None, None]
        return dx


class Dropout:
    # BUG: missing-mask  (backward rescales by the keep ratio but forgets to zero the dropped units)
    def __init__(self, dropout_ratio=0.5):
        self.keep = 1.0 - dropout_ratio

    def forward(self, x, train_flg=True):
        if not train_flg:
            return x
        self.mask = (np.random.rand(*x.shape) < self.keep) / self.keep
        return x * self.mask

    def backward(self, dout):
        return dout / self.keep


class MeanSquaredError:
    # BUG: sign-flip  (differentiated (t - y)**2 with respect to t, not y)
    def forward(self, y, t):
        self.y, self.t = y, t
        return 0.5 * np.sum((y - t) ** 2) / y.shape[0]

    def backward(self, dout=1.0):
        return dout * (self.t - self.y) / self.y.shape[0]
