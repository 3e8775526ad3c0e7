"""Buggy layers whose one bug every gradient check passes (issue 14, "100% detected": false passes on held-out set
14), each caught by a rule of its own: a gradient no update can use (a (C,) dgamma for a (1, C, 1, 1) gamma), a
forward that disagrees with itself across modes (a dropout scaled in neither), a loss that counts what its mask
leaves out. CS231n's function style; correct counterparts in `a2_functions.py`, `functions.py` and `a3_functions.py`."""

import numpy as np

from gradlab.registry import register, register_pair


def spatial_groupnorm_forward(x, gamma, beta, G, gn_param):
    eps = gn_param.get("eps", 1e-5)
    N, C, H, W = x.shape
    grouped = x.reshape(N, G, -1)
    mean = grouped.mean(axis=2, keepdims=True)
    std = np.sqrt(grouped.var(axis=2, keepdims=True) + eps)
    xhat = ((grouped - mean) / std).reshape(N, C, H, W)
    return gamma * xhat + beta, (xhat, gamma, std, G)


def spatial_groupnorm_backward_dgamma_flat(dout, cache):
    xhat, gamma, std, G = cache
    N = dout.shape[0]
    dbeta = dout.sum(axis=(0, 2, 3), keepdims=True)
    dgamma = (dout * xhat).sum(axis=(0, 2, 3))  # BUG: gamma is (1, C, 1, 1); keepdims=True keeps that shape
    dxhat = (dout * gamma).reshape(N, G, -1)
    xg = xhat.reshape(N, G, -1)
    dx = (dxhat - dxhat.mean(axis=2, keepdims=True) - xg * (dxhat * xg).mean(axis=2, keepdims=True)) / std
    return dx.reshape(dout.shape), dgamma, dbeta


register_pair(spatial_groupnorm_forward, spatial_groupnorm_backward_dgamma_flat, kind="spatial_groupnorm",
              bug="wrong-shape", name="spatial_groupnorm_dgamma_flat",
              note="dgamma summed to (C,) where gamma is (1, C, 1, 1): gamma - lr * dgamma would be (1, C, 1, C)")


def dropout_forward_unscaled(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    if mode == "test":
        return x.copy(), (dropout_param, None)
    mask = np.random.rand(*x.shape) < p
    return x * mask, (dropout_param, mask)  # BUG: inverted dropout divides the kept units by p, as test passes x


def dropout_backward_unscaled(dout, cache):
    dropout_param, mask = cache
    return dout if dropout_param["mode"] == "test" else dout * mask


register_pair(dropout_forward_unscaled, dropout_backward_unscaled, kind="dropout", bug="scaled",
              name="dropout_scaled_in_neither_mode",
              note="training keeps p of the units unscaled and test passes x: the modes differ by p in expectation")


@register("temporal_softmax_loss", bug="missing-mask", name="temporal_softmax_loss_mask_nowhere")
def temporal_softmax_loss(x, y, mask, verbose=False):
    N, T, V = x.shape
    shifted = x - x.max(axis=2, keepdims=True)
    probs = np.exp(shifted) / np.exp(shifted).sum(axis=2, keepdims=True)
    picked = np.take_along_axis(probs, y[..., None], axis=2)[..., 0]
    loss = -np.sum(np.log(picked)) / N  # BUG: masked steps count; mask weighs each step's loss (and dx)
    dx = probs.copy()
    np.put_along_axis(dx, y[..., None], picked[..., None] - 1, axis=2)
    return loss, dx / N
