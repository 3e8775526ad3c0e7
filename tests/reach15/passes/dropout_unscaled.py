"""CS231n's inverted dropout (p the keep probability); ONE bug: the training path forgets / p in forward, and its
backward matches that forward, while test mode passes x through unscaled: a unit's expected output is p * x in
training and x at test (held-out set 14, b034)."""

import numpy as np


def dropout_forward(x, dropout_param):
    p, mode = dropout_param["p"], dropout_param["mode"]
    if "seed" in dropout_param:
        np.random.seed(dropout_param["seed"])
    mask = None
    if mode == "train":
        mask = np.random.rand(*x.shape) < p  # BUG: inverted dropout divides the kept units by p
        out = x * mask
    elif mode == "test":
        out = x
    return out.astype(x.dtype, copy=False), (dropout_param, mask)


def dropout_backward(dout, cache):
    dropout_param, mask = cache
    if dropout_param["mode"] == "train":
        dx = dout * mask
    elif dropout_param["mode"] == "test":
        dx = dout
    return dx
