"""Values that remember the operation that made them; every operation is a Function whose call records its
inputs and (weakly) its outputs, so that backward can read them."""

import weakref

import numpy as np


class Value:
    def __init__(self, data):
        if not isinstance(data, np.ndarray):
            raise TypeError(f"Value takes an ndarray, got {type(data).__name__}")
        self.data = data
        self.grad = None
        self.maker = None

    def backward(self):
        # gradients are Values too, so that a backward can itself be differentiated
        if self.grad is None:
            self.grad = Value(np.ones_like(self.data))
        pending = [self.maker] if self.maker is not None else []
        while pending:
            fn = pending.pop()
            upstream = [out().grad for out in fn.outputs]
            grads = fn.backward(*upstream)
            if not isinstance(grads, tuple):
                grads = (grads,)
            for value, grad in zip(fn.inputs, grads):
                value.grad = grad if value.grad is None else value.grad + grad
                if value.maker is not None:
                    pending.append(value.maker)

    def __add__(self, other):
        return Add()(self, lift(other, self))

    @property
    def shape(self):
        return self.data.shape

    @property
    def T(self):
        return Transpose()(self)

    def __mul__(self, other):
        return Mul()(self, lift(other, self))

    __rmul__ = __mul__

    def __sub__(self, other):
        return Sub()(self, lift(other, self))

    def __rsub__(self, other):
        return Sub()(lift(other, self), self)

    def __matmul__(self, other):
        return Dot()(self, lift(other, self))


def lift(value, like):
    if isinstance(value, Value):
        return value
    return Value(np.asarray(value, dtype=like.data.dtype))


class Function:
    def __call__(self, *given):
        inputs = [lift(v, Value(np.zeros(()))) for v in given]
        results = self.forward(*(v.data for v in inputs))
        if not isinstance(results, tuple):
            results = (results,)
        outputs = [Value(np.asarray(r)) for r in results]
        for out in outputs:
            out.maker = self
        self.inputs = inputs
        self.outputs = [weakref.ref(out) for out in outputs]
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs):
        raise NotImplementedError

    def backward(self, *gys):
        raise NotImplementedError


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, gy):
        a, b = self.inputs
        return gy * b, gy * a


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, gy * -1.0


class Dot(Function):
    def forward(self, a, b):
        return a @ b

    def backward(self, gy):
        a, b = self.inputs
        return gy @ b.T, a.T @ gy


class Transpose(Function):
    def forward(self, a):
        return a.T

    def backward(self, gy):
        return gy.T
