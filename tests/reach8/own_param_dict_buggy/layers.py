"""Buggy twin: an affine forward that lost the course's bias argument, which is a crash, not another convention."""
import numpy as np


def affine_forward(x, w):
    return x @ w, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
