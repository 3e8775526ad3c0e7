import numpy as np


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))
