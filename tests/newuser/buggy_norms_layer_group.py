# Layer norm and group norm as CS231n functions, with the closed-form backward most solutions derive:
# dx = (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)) / std over each normalised group. One mistake each.
import numpy as np


def _layernorm(x, gamma, beta, ln_param):
    eps = ln_param.get("eps", 1e-5)
    mean = x.mean(axis=1, keepdims=True)
    std = np.sqrt(x.var(axis=1, keepdims=True) + eps)
    xhat = (x - mean) / std
    return gamma * xhat + beta, (xhat, gamma, std)


# gradlab: kind=layernorm
def ln_unbiased_forward(x, gamma, beta, ln_param):
    return _layernorm(x, gamma, beta, ln_param)


def ln_unbiased_backward(dout, cache):
    # BUG: scaled  (the variance's term divided by D - 1: forward's x.var divides by D)
    xhat, gamma, std = cache
    D = dout.shape[1]
    dxhat = dout * gamma
    dvar_term = xhat * np.sum(dxhat * xhat, axis=1, keepdims=True) / (D - 1)
    dx = (dxhat - np.mean(dxhat, axis=1, keepdims=True) - dvar_term) / std
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


# gradlab: kind=layernorm
def ln_mean_term_added_forward(x, gamma, beta, ln_param):
    return _layernorm(x, gamma, beta, ln_param)


def ln_mean_term_added_backward(dout, cache):
    # BUG: sign-flip  (+ mean(dxhat): the mean is subtracted in forward, so is its term)
    xhat, gamma, std = cache
    dxhat = dout * gamma
    dx = (dxhat + np.mean(dxhat, axis=1, keepdims=True) - xhat * np.mean(dxhat * xhat, axis=1, keepdims=True)) / std
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


# gradlab: kind=layernorm
def ln_no_variance_term_forward(x, gamma, beta, ln_param):
    return _layernorm(x, gamma, beta, ln_param)


def ln_no_variance_term_backward(dout, cache):
    # BUG: dropped-term  (std treated as a constant: the variance's term is missing)
    xhat, gamma, std = cache
    dxhat = dout * gamma
    dx = (dxhat - np.mean(dxhat, axis=1, keepdims=True)) / std
    return dx, np.sum(dout * xhat, axis=0), np.sum(dout, axis=0)


# gradlab: kind=layernorm
def ln_dgamma_per_sample_forward(x, gamma, beta, ln_param):
    return _layernorm(x, gamma, beta, ln_param)


def ln_dgamma_per_sample_backward(dout, cache):
    # BUG: wrong-reduction  (dgamma summed over axis 1, the features, where gamma's gradient sums over the batch)
    xhat, gamma, std = cache
    dxhat = dout * gamma
    dx = (dxhat - np.mean(dxhat, axis=1, keepdims=True) - xhat * np.mean(dxhat * xhat, axis=1, keepdims=True)) / std
    return dx, np.sum(dout * xhat, axis=1), np.sum(dout, axis=0)


def _groupnorm(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    xg = x.reshape(N, G, C // G, H, W)
    mean = xg.mean(axis=(2, 3, 4), keepdims=True)
    std = np.sqrt(xg.var(axis=(2, 3, 4), keepdims=True) + eps)
    xhat = ((xg - mean) / std).reshape(N, C, H, W)
    return gamma * xhat + beta, (xhat, gamma, std, G)


def _group_terms(dout, xhat, gamma, G):
    N, C, H, W = dout.shape
    dxhat = (dout * gamma).reshape(N, G, C // G, H, W)
    return dxhat, xhat.reshape(N, G, C // G, H, W), (N, C, H, W)


# gradlab: kind=spatial_groupnorm
def gn_variance_term_added_forward(x, gamma, beta, G, gn_param):
    return _groupnorm(x, gamma, beta, G, gn_param)


def gn_variance_term_added_backward(dout, cache):
    # BUG: sign-flip  (+ xhat * mean(dxhat * xhat): the variance's term is subtracted)
    xhat, gamma, std, G = cache
    dxhat, xh, shape = _group_terms(dout, xhat, gamma, G)
    axes = (2, 3, 4)
    dx = (dxhat - dxhat.mean(axis=axes, keepdims=True) + xh * (dxhat * xh).mean(axis=axes, keepdims=True)) / std
    return dx.reshape(shape), np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True), np.sum(dout, axis=(0, 2, 3),
                                                                                          keepdims=True)


# gradlab: kind=spatial_groupnorm
def gn_mean_over_batch_forward(x, gamma, beta, G, gn_param):
    return _groupnorm(x, gamma, beta, G, gn_param)


def gn_mean_over_batch_backward(dout, cache):
    # BUG: couples-samples  (the mean's term averaged over axis 0 too: each sample's group is on its own)
    xhat, gamma, std, G = cache
    dxhat, xh, shape = _group_terms(dout, xhat, gamma, G)
    axes = (2, 3, 4)
    dx = (dxhat - dxhat.mean(axis=(0, 2, 3, 4), keepdims=True) - xh * (dxhat * xh).mean(axis=axes, keepdims=True)) / std
    return dx.reshape(shape), np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True), np.sum(dout, axis=(0, 2, 3),
                                                                                          keepdims=True)


# gradlab: kind=spatial_groupnorm
def gn_dbeta_all_axes_forward(x, gamma, beta, G, gn_param):
    return _groupnorm(x, gamma, beta, G, gn_param)


def gn_dbeta_all_axes_backward(dout, cache):
    # BUG: wrong-reduction  (dbeta summed over every axis: beta has one entry per channel)
    xhat, gamma, std, G = cache
    dxhat, xh, shape = _group_terms(dout, xhat, gamma, G)
    axes = (2, 3, 4)
    dx = (dxhat - dxhat.mean(axis=axes, keepdims=True) - xh * (dxhat * xh).mean(axis=axes, keepdims=True)) / std
    return dx.reshape(shape), np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True), np.sum(dout)


# gradlab: kind=spatial_groupnorm
def gn_divides_by_var_forward(x, gamma, beta, G, gn_param):
    return _groupnorm(x, gamma, beta, G, gn_param)


def gn_divides_by_var_backward(dout, cache):
    # BUG: scaled  (divided by std**2, the variance, where dx divides by std once)
    xhat, gamma, std, G = cache
    dxhat, xh, shape = _group_terms(dout, xhat, gamma, G)
    axes = (2, 3, 4)
    dx = (dxhat - dxhat.mean(axis=axes, keepdims=True) - xh * (dxhat * xh).mean(axis=axes, keepdims=True)) / std ** 2
    return dx.reshape(shape), np.sum(dout * xhat, axis=(0, 2, 3), keepdims=True), np.sum(dout, axis=(0, 2, 3),
                                                                                          keepdims=True)
