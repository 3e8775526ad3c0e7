# A fifth held-out set, part six: deeplearning.ai's column layout (A of shape (features, m), W
# (n_out, n_in), b (n_out, 1); linear_backward returns dW and db as means over the m examples), one
# mistake. Written for gradlab's new-user tests; the label was chosen before any run.
import numpy as np


def linear_forward(A, W, b):
    Z = np.dot(W, A) + b
    cache = (A, W, b)
    return Z, cache


def linear_backward(dZ, cache):
    # BUG: missing-batch-mean  (dW = dZ . A_prev^T without the 1/m the course's mean cost puts there)
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = np.dot(dZ, A_prev.T)
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = np.dot(W.T, dZ)
    return dA_prev, dW, db
