"""The textbook's function style: a sigmoid and its gradient, in a folder checked after ch05/."""
import numpy as np


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    return (1.0 - sigmoid(x)) * sigmoid(x)
