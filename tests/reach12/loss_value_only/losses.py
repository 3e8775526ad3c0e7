import numpy as np


def _reduce(values, how):
    return {"mean": np.mean, "sum": np.sum}[how](values, axis=0)


def mse_loss(y_hat, y, how="mean"):
    """The value only: the model's backward writes its gradient."""
    loss = (y_hat - y) ** 2
    loss = _reduce(loss, how)
    return loss
