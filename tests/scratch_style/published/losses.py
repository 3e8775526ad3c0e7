import numpy as np


def mse(y_true, y_pred):
    return np.mean(np.square(y_true - y_pred))


def mse_prime(y_true, y_pred):
    return 2 * (y_pred - y_true) / np.size(y_true)


def binary_cross_entropy(y_true, y_pred):
    terms = y_true * np.log(y_pred) + (1 - y_true) * np.log(1 - y_pred)
    return -np.mean(terms)


def binary_cross_entropy_prime(y_true, y_pred):
    return (y_pred - y_true) / (y_pred * (1 - y_pred)) / np.size(y_true)
