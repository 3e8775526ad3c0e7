"""A learner's numpy imitation of torch.autograd.Function: static forward(ctx, ...) and backward(ctx, grad)."""
import numpy as np


class Ctx:
    def save_for_backward(self, *arrays):
        self.saved_tensors = arrays


class Function:
    @classmethod
    def apply(cls, *inputs):
        ctx = Ctx()
        return cls.forward(ctx, *inputs), ctx


class LinearFunction(Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return np.dot(x, weight.T) + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        return np.dot(grad_output, weight), np.dot(grad_output.T, x), grad_output.sum(axis=0)


class ReLUFunction(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.mask = x > 0
        return np.where(ctx.mask, x, 0.0)

    @staticmethod
    def backward(ctx, grad_output):
        return grad_output * ctx.mask


class SigmoidFunction(Function):
    @staticmethod
    def forward(ctx, x):
        out = 1.0 / (1.0 + np.exp(-x))
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, grad_output):
        (out,) = ctx.saved_tensors
        return grad_output * out * (1.0 - out)
