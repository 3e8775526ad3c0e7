"""A learner's numpy imitation of PyTorch's custom autograd functions: static forward(ctx, ...) and backward(ctx,
grad_output), what backward needs kept with ctx.save_for_backward. Correct; the fix tests write one slip into a copy
(a log-softmax's backward reading the log-probabilities where the probabilities belong, a linear function's weight
gradient transposed)."""
import numpy as np


class Function:
    """What the learner's functions inherit from: nothing but a name, as in torch."""


class AffineFunction(Function):
    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.T + bias

    @staticmethod
    def backward(ctx, grad_output):
        x, weight = ctx.saved_tensors
        grad_input = grad_output @ weight
        grad_weight = grad_output.T @ x
        grad_bias = grad_output.sum(axis=0)
        return grad_input, grad_weight, grad_bias


class LogSoftmaxFunction(Function):
    @staticmethod
    def forward(ctx, x):
        shifted = x - x.max(axis=1, keepdims=True)
        logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        ctx.save_for_backward(logp)
        return logp

    @staticmethod
    def backward(ctx, grad_output):
        (logp,) = ctx.saved_tensors
        probs = np.exp(logp)
        return grad_output - probs * grad_output.sum(axis=1, keepdims=True)


class SiLUFunction(Function):
    @staticmethod
    def forward(ctx, x):
        sig = 1.0 / (1.0 + np.exp(-x))
        ctx.save_for_backward(x, sig)
        return x * sig

    @staticmethod
    def backward(ctx, grad_output):
        x, sig = ctx.saved_tensors
        return grad_output * (sig + x * sig * (1 - sig))
