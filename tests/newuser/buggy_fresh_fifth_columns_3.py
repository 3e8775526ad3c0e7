# A fifth held-out set, part eight: deeplearning.ai's column layout (A (features, m), W (n_out, n_in),
# b (n_out, 1)), one mistake. Written for gradlab's new-user tests; the label was chosen before any run.
import numpy as np


def linear_forward(A, W, b):
    Z = W.dot(A) + b
    return Z, (A, W, b)


def linear_backward(dZ, cache):
    # BUG: transposed  (dW = A_prev . dZ^T / m: the (n_in, n_out) matrix where W is (n_out, n_in))
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = A_prev.dot(dZ.T) / m
    db = dZ.sum(axis=1, keepdims=True) / m
    dA_prev = W.T.dot(dZ)
    return dA_prev, dW, db
