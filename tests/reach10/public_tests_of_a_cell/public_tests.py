"""A course's public tests, one pair per layer, each given the student's function (never an array)."""
import numpy as np


def softsign_cell_forward_test(target):
    out, _ = target(np.array([[0.0, 1.0]]))
    assert np.allclose(out, [[0.0, 0.5]]), "wrong output"


def softsign_cell_backward_test(target):
    dx = target(np.ones((1, 2)), np.array([[0.0, 1.0]]))
    assert np.allclose(dx, [[1.0, 0.25]]), "wrong gradient"
