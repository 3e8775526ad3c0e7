"""Helpers a course's exercise imports by their path from the repository root (no __init__.py anywhere)."""
import numpy as np


def sigmoid(z):
    return 1 / (1 + np.exp(-z))
