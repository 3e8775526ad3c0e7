# A fifth held-out set, part seven: deeplearning.ai's column layout (A (features, m), W (n_out, n_in),
# b (n_out, 1)), one mistake. Written for gradlab's new-user tests; the label was chosen before any run.
import numpy as np


def linear_forward(A, W, b):
    return W @ A + b, (A, W, b)


def linear_backward(dZ, cache):
    # BUG: wrong-reduction  (db summed over axis 0, the units, giving one value per example: b is (n_out, 1))
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = (dZ @ A_prev.T) / m
    db = np.sum(dZ, axis=0, keepdims=True) / m
    dA_prev = W.T @ dZ
    return dA_prev, dW, db
