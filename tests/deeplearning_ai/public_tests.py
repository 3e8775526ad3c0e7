"""Checks of the learner's functions, named like layers, as the course's public_tests.py has them."""

import numpy as np
from testCases import linear_backward_test_case, linear_forward_test_case


def linear_forward_test(target):
    A, W, b = linear_forward_test_case()
    Z, _ = target(A, W, b)
    assert np.allclose(Z, W @ A + b)


def linear_backward_test(target):
    dZ, cache = linear_backward_test_case()
    dA_prev, dW, db = target(dZ, cache)
    assert dW.shape == cache[1].shape and db.shape == cache[2].shape
