"""A learner's ML-From-Scratch-style activation objects, called for their output and asked for their derivative at the
input with gradient(x). Correct; the fix tests write one slip into a copy (an ELU's derivative below zero written with
alpha times the input where its own output plus alpha belongs)."""
import numpy as np


class ELU:
    def __init__(self, alpha=0.2):
        self.alpha = alpha

    def __call__(self, x):
        return np.where(x > 0, x, self.alpha * np.expm1(x))

    def gradient(self, x):
        return np.where(x > 0, 1.0, self.__call__(x) + self.alpha)
