import numpy as np


def linear_forward(X, W, b):
    """Rows: X (B, D_in) @ W (D_in, D_out) + b (D_out,), shapes checked first."""
    if X.ndim != 2 or W.ndim != 2 or b.ndim != 1:
        raise ValueError("expected X (B, D_in), W (D_in, D_out), b (D_out,)")
    return X @ W + b, (X, W)


def linear_backward(dZ, cache):
    X, W = cache
    return dZ @ W.T, X.T @ dZ, dZ.mean(axis=0)
