"""CMU 11-785 HW2's stride-1 convolution (our own file in its convention: W (C_out, C_in, K, K), no padding), whose
backward pads dLdZ by K where K - 1 belongs: the input gradient comes out moved by one pixel."""
import numpy as np


class Conv2d_stride1:
    def __init__(self, in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None):
        self.in_channels, self.out_channels, self.kernel_size = in_channels, out_channels, kernel_size
        self.W = np.random.normal(0, 1.0, (out_channels, in_channels, kernel_size, kernel_size))
        self.b = np.zeros(out_channels)

    def forward(self, A):
        self.A = A
        K = self.kernel_size
        out_h, out_w = A.shape[2] - K + 1, A.shape[3] - K + 1
        Z = np.zeros((A.shape[0], self.out_channels, out_h, out_w))
        for i in range(out_h):
            for j in range(out_w):
                Z[:, :, i, j] = np.tensordot(A[:, :, i:i + K, j:j + K], self.W, axes=([1, 2, 3], [1, 2, 3]))
        return Z + self.b[None, :, None, None]

    def backward(self, dLdZ):
        K = self.kernel_size
        self.dLdb = dLdZ.sum(axis=(0, 2, 3))
        self.dLdW = np.zeros_like(self.W)
        for i in range(K):
            for j in range(K):
                window = self.A[:, :, i:i + dLdZ.shape[2], j:j + dLdZ.shape[3]]
                self.dLdW[:, :, i, j] = np.tensordot(dLdZ, window, axes=([0, 2, 3], [0, 2, 3]))
        padded = np.pad(dLdZ, ((0, 0), (0, 0), (K, K), (K, K)))
        flipped = self.W[:, :, ::-1, ::-1]
        dLdA = np.zeros_like(self.A)
        for i in range(self.A.shape[2]):
            for j in range(self.A.shape[3]):
                dLdA[:, :, i, j] = np.tensordot(padded[:, :, i:i + K, j:j + K], flipped, axes=([1, 2, 3], [0, 2, 3]))
        return dLdA
