import numpy as np


class Conv1d_stride1:
    def __init__(self, in_channels, out_channels, kernel_size, weight_init_fn=None, bias_init_fn=None):
        self.kernel_size = kernel_size
        self.W = np.random.normal(0.0, 1.0, (out_channels, in_channels, kernel_size))
        self.b = np.zeros(out_channels)
        self.dLdW = np.zeros(self.W.shape)
        self.dLdb = np.zeros(self.b.shape)

    def forward(self, A):
        self.A = A
        width = A.shape[2] - self.kernel_size + 1
        Z = np.zeros((A.shape[0], self.W.shape[0], width))
        for i in range(width):
            Z[:, :, i] = np.tensordot(A[:, :, i:i + self.kernel_size], self.W, axes=([1, 2], [1, 2]))
        return Z + self.b.reshape(1, -1, 1)

    def backward(self, dLdZ):
        width = dLdZ.shape[2]
        self.dLdW = np.zeros(self.W.shape)
        dLdA = np.zeros(self.A.shape)
        for i in range(width):
            self.dLdW += np.tensordot(dLdZ[:, :, i], self.A[:, :, i:i + self.kernel_size], axes=([0], [0]))
            dLdA[:, :, i:i + self.kernel_size] += np.tensordot(dLdZ[:, :, i], self.W, axes=([1], [0]))
        self.dLdb = dLdZ.sum(axis=(0, 2))
        return dLdA


class Conv1d:
    def __init__(self, in_channels, out_channels, kernel_size, stride, weight_init_fn=None, bias_init_fn=None):
        self.stride = stride
        self.conv1d_stride1 = Conv1d_stride1(in_channels, out_channels, kernel_size, weight_init_fn, bias_init_fn)

    def forward(self, A):
        Z = self.conv1d_stride1.forward(A)
        self.full_width = Z.shape[2]
        return Z[:, :, ::self.stride]

    def backward(self, dLdZ):
        upsampled = np.zeros(dLdZ.shape[:2] + (self.full_width,))
        upsampled[:, :, ::self.stride] = dLdZ
        return self.conv1d_stride1.backward(upsampled)
