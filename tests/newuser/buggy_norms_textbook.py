# Normalisation layers as classes in the textbook's manner (forward caches xc, std, xn; backward walks back
# through dxn, dxc, dstd, dvar, dmu): one mistake per class, each named by a `# gradlab: kind=` comment.
import numpy as np


class _Normalise:
    def __init__(self, gamma, beta, momentum=0.9, running_mean=None, running_var=None):
        self.gamma = gamma
        self.beta = beta
        self.momentum = momentum
        self.running_mean = running_mean
        self.running_var = running_var
        self.batch_size = None
        self.xc = None
        self.std = None
        self.xn = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x, train_flg=True):
        mu = x.mean(axis=0)
        self.xc = x - mu
        var = np.mean(self.xc ** 2, axis=0)
        self.std = np.sqrt(var + 10e-7)
        self.xn = self.xc / self.std
        self.batch_size = x.shape[0]
        return self.gamma * self.xn + self.beta


# gradlab: kind=batchnorm
class BatchNormOverwritesDxc(_Normalise):
    # BUG: dropped-term  (dxc = ... where dxc += ... belongs: the direct path through xc is overwritten)
    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc = (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / self.batch_size


# gradlab: kind=batchnorm
class BatchNormAddsDmu(_Normalise):
    # BUG: sign-flip  (dx = dxc + dmu / N: the mean is subtracted in forward, so its path is too)
    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc + dmu / self.batch_size


# gradlab: kind=batchnorm
class BatchNormDvarWithoutHalf(_Normalise):
    # BUG: scaled  (dvar = dstd / std: d sqrt(v) / dv = 1 / (2 sqrt(v)), the 1/2 is missing)
    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / self.batch_size


# gradlab: kind=batchnorm
class BatchNormDmuNotAveraged(_Normalise):
    # BUG: scaled  (dx = dxc - dmu: mu = mean(x), so each sample gets dmu / N)
    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu


# gradlab: kind=batchnorm
class BatchNormDgammaKeepdims(_Normalise):
    # BUG: wrong-shape  (dgamma keeps the summed axis: (1, D) where gamma is (D,))
    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0, keepdims=True)
        dxn = self.gamma * dout
        dxc = dxn / self.std
        dstd = -np.sum((dxn * self.xc) / (self.std * self.std), axis=0)
        dvar = 0.5 * dstd / self.std
        dxc += (2.0 / self.batch_size) * self.xc * dvar
        dmu = np.sum(dxc, axis=0)
        return dxc - dmu / self.batch_size


# gradlab: kind=batchnorm
class BatchNormClosedFormWithInput(_Normalise):
    # BUG: wrong-input  (closed form with the centred input xc where the normalised xn belongs)
    def backward(self, dout):
        N = self.batch_size
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        return (N * dxn - dxn.sum(axis=0) - self.xc * np.sum(dxn * self.xc, axis=0)) / (N * self.std)


# gradlab: kind=batchnorm
class BatchNormClosedFormNoGamma(_Normalise):
    # BUG: scaled  (closed form started from dout where dxn = gamma * dout belongs)
    def backward(self, dout):
        N = self.batch_size
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        return (N * dout - dout.sum(axis=0) - self.xn * np.sum(dout * self.xn, axis=0)) / (N * self.std)


# gradlab: kind=layernorm
class LayerNormStatsOverBatch:
    # BUG: couples-samples  (the variance's term summed over axis 0, the batch, not over each sample's features)
    def __init__(self, gamma, beta):
        self.gamma = gamma
        self.beta = beta
        self.xn = None
        self.std = None
        self.dgamma = None
        self.dbeta = None

    def forward(self, x):
        xc = x - x.mean(axis=1, keepdims=True)
        self.std = np.sqrt(np.mean(xc ** 2, axis=1, keepdims=True) + 1e-5)
        self.xn = xc / self.std
        return self.gamma * self.xn + self.beta

    def backward(self, dout):
        self.dbeta = dout.sum(axis=0)
        self.dgamma = np.sum(self.xn * dout, axis=0)
        dxn = self.gamma * dout
        D = dout.shape[1]
        return (D * dxn - dxn.sum(axis=1, keepdims=True) - self.xn * np.sum(dxn * self.xn, axis=0)) / (D * self.std)
