"""A learner's pooling layers, loop by loop: CS231n's function-style max pool that finds each window's maximum again
in backward, CMU-style stride-1 max and mean pools kept as classes, and a global average pool. Correct; the fix tests
write one slip into a copy (the window's corner written where its maximum is, the minimum's position looked up, a flat
position's column taken with //, a mean pool's backward without the window's 1/(k*k), a global average pool dividing
by H + W)."""
import numpy as np


def max_pool_forward_naive(x, pool_param):
    size, step = pool_param["pool_height"], pool_param["stride"]
    N, C, H, W = x.shape
    Ho, Wo = (H - size) // step + 1, (W - size) // step + 1
    out = np.empty((N, C, Ho, Wo))
    for a in range(Ho):
        for b in range(Wo):
            top, left = a * step, b * step
            out[:, :, a, b] = x[:, :, top:top + size, left:left + size].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    size, step = pool_param["pool_height"], pool_param["stride"]
    N, C, Ho, Wo = dout.shape
    dx = np.zeros(x.shape)
    for n in range(N):
        for ch in range(C):
            for a in range(Ho):
                for b in range(Wo):
                    top, left = a * step, b * step
                    patch = x[n, ch, top:top + size, left:left + size]
                    dr, dc = np.unravel_index(patch.argmax(), patch.shape)
                    dx[n, ch, top + dr, left + dc] += dout[n, ch, a, b]
    return dx


class MaxPool2d_stride1:
    def __init__(self, kernel):
        self.kernel = kernel

    def forward(self, A):
        self.A = A
        k = self.kernel
        N, C, H, W = A.shape
        Z = np.empty((N, C, H - k + 1, W - k + 1))
        self.rows = np.empty(Z.shape, dtype=int)
        self.cols = np.empty(Z.shape, dtype=int)
        for i in range(Z.shape[2]):
            for j in range(Z.shape[3]):
                win = A[:, :, i:i + k, j:j + k].reshape(N, C, k * k)
                pos = win.argmax(axis=2)
                Z[:, :, i, j] = win.max(axis=2)
                self.rows[:, :, i, j] = i + pos // k
                self.cols[:, :, i, j] = j + pos % k
        return Z

    def backward(self, dLdZ):
        dLdA = np.zeros_like(self.A)
        N, C, Ho, Wo = dLdZ.shape
        for n in range(N):
            for c in range(C):
                for i in range(Ho):
                    for j in range(Wo):
                        dLdA[n, c, self.rows[n, c, i, j], self.cols[n, c, i, j]] += dLdZ[n, c, i, j]
        return dLdA


class MeanPool2d_stride1:
    def __init__(self, kernel):
        self.kernel = kernel

    def forward(self, A):
        self.A = A
        k = self.kernel
        Ho, Wo = A.shape[2] - k + 1, A.shape[3] - k + 1
        Z = np.empty(A.shape[:2] + (Ho, Wo))
        for i in range(Ho):
            for j in range(Wo):
                Z[:, :, i, j] = np.mean(A[:, :, i:i + k, j:j + k], axis=(2, 3))
        return Z

    def backward(self, dLdZ):
        k = self.kernel
        dLdA = np.zeros_like(self.A)
        for i in range(dLdZ.shape[2]):
            for j in range(dLdZ.shape[3]):
                dLdA[:, :, i:i + k, j:j + k] += dLdZ[:, :, i:i + 1, j:j + 1]
        return dLdA / (k * k)


def global_avg_pool_forward(x):
    return x.mean(axis=(2, 3)), x.shape


def global_avg_pool_backward(dout, cache):
    N, C, H, W = cache
    return np.repeat(np.repeat(dout[:, :, None, None], H, axis=2), W, axis=3) / (H * W)
