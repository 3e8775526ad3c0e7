# Batch norm written as CS231n's computational graph, one node at a time: one mistake per backward.
# The forward is the same for all of them; each pair is named by a `# gradlab: kind=` comment.
import numpy as np


def _graph_forward(x, gamma, beta, bn_param):
    eps = bn_param.get("eps", 1e-5)
    N, D = x.shape
    mu = 1.0 / N * np.sum(x, axis=0)
    xmu = x - mu
    sq = xmu ** 2
    var = 1.0 / N * np.sum(sq, axis=0)
    sqrtvar = np.sqrt(var + eps)
    ivar = 1.0 / sqrtvar
    xhat = xmu * ivar
    out = gamma * xhat + beta
    return out, (xhat, gamma, xmu, ivar, sqrtvar, var, eps)


# gradlab: kind=batchnorm
def bn_dvar_sign_forward(x, gamma, beta, bn_param):
    return _graph_forward(x, gamma, beta, bn_param)


def bn_dvar_sign_backward(dout, cache):
    # BUG: sign-flip  (d(1/sqrtvar) written as +1/sqrtvar**2: the variance's path added instead of subtracted)
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = 1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / N * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    return dx1 + dx2, dgamma, dbeta


# gradlab: kind=batchnorm
def bn_dmu_sign_forward(x, gamma, beta, bn_param):
    return _graph_forward(x, gamma, beta, bn_param)


def bn_dmu_sign_backward(dout, cache):
    # BUG: sign-flip  (dmu = +sum(dx1): mu is subtracted in xmu = x - mu, so its gradient carries a minus)
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dxmu2 = 2 * xmu * (1.0 / N * np.ones((N, D)) * dvar)
    dx1 = dxmu1 + dxmu2
    dmu = np.sum(dx1, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    return dx1 + dx2, dgamma, dbeta


# gradlab: kind=batchnorm
def bn_no_variance_path_forward(x, gamma, beta, bn_param):
    return _graph_forward(x, gamma, beta, bn_param)


def bn_no_variance_path_backward(dout, cache):
    # BUG: dropped-term  (stopped at the xmu branch: the path through var never reaches dx)
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    dx1 = dxhat * ivar
    dmu = -1 * np.sum(dx1, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    return dx1 + dx2, dgamma, dbeta


# gradlab: kind=batchnorm
def bn_dmu_over_features_forward(x, gamma, beta, bn_param):
    return _graph_forward(x, gamma, beta, bn_param)


def bn_dmu_over_features_backward(dout, cache):
    # BUG: couples-samples  (dmu summed over axis 1, each sample's features, where mu is a mean over axis 0)
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dxmu2 = 2 * xmu * (1.0 / N * np.ones((N, D)) * dvar)
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=1, keepdims=True)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    return dx1 + dx2, dgamma, dbeta


# gradlab: kind=batchnorm
def bn_unbiased_forward(x, gamma, beta, bn_param):
    return _graph_forward(x, gamma, beta, bn_param)


def bn_unbiased_backward(dout, cache):
    # BUG: scaled  (the variance's node differentiated as 1/(N-1) * sum(sq): forward divided by N)
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dsq = 1.0 / (N - 1) * np.ones((N, D)) * dvar
    dxmu2 = 2 * xmu * dsq
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    return dx1 + dx2, dgamma, dbeta


# gradlab: kind=batchnorm
def bn_no_eps_forward(x, gamma, beta, bn_param):
    return _graph_forward(x, gamma, beta, bn_param)


def bn_no_eps_backward(dout, cache):
    # BUG: scaled  (sqrtvar recomputed as sqrt(var) in backward: forward's eps left out)
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    sqrtvar = np.sqrt(var)
    ivar = 1.0 / sqrtvar
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * ivar * dsqrtvar
    dxmu2 = 2 * xmu * (1.0 / N * np.ones((N, D)) * dvar)
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    dx2 = 1.0 / N * np.ones((N, D)) * dmu
    return dx1 + dx2, dgamma, dbeta


# gradlab: kind=batchnorm
def bn_dgamma_without_xhat_forward(x, gamma, beta, bn_param):
    return _graph_forward(x, gamma, beta, bn_param)


def bn_dgamma_without_xhat_backward(dout, cache):
    # BUG: mismatch  (dgamma = sum(dout), the beta node's formula: out = gamma * xhat needs dout * xhat)
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0)
    dgamma = np.sum(dout, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dxmu2 = 2 * xmu * (1.0 / N * np.ones((N, D)) * dvar)
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    return dx1 + 1.0 / N * np.ones((N, D)) * dmu, dgamma, dbeta


# gradlab: kind=batchnorm
def bn_dbeta_keepdims_forward(x, gamma, beta, bn_param):
    return _graph_forward(x, gamma, beta, bn_param)


def bn_dbeta_keepdims_backward(dout, cache):
    # BUG: wrong-shape  (dbeta summed with keepdims=True: shape (1, D) for beta's (D,))
    xhat, gamma, xmu, ivar, sqrtvar, var, eps = cache
    N, D = dout.shape
    dbeta = np.sum(dout, axis=0, keepdims=True)
    dgamma = np.sum(dout * xhat, axis=0)
    dxhat = dout * gamma
    divar = np.sum(dxhat * xmu, axis=0)
    dxmu1 = dxhat * ivar
    dsqrtvar = -1.0 / (sqrtvar ** 2) * divar
    dvar = 0.5 * 1.0 / np.sqrt(var + eps) * dsqrtvar
    dxmu2 = 2 * xmu * (1.0 / N * np.ones((N, D)) * dvar)
    dx1 = dxmu1 + dxmu2
    dmu = -1 * np.sum(dx1, axis=0)
    return dx1 + 1.0 / N * np.ones((N, D)) * dmu, dgamma, dbeta
