"""A ReLU over the library's own Matrix."""
from matrix import Matrix


class ReLU:
    def forward(self, inputs: Matrix):
        self.inputs = inputs
        self.outputs = inputs.map(lambda v: max(0.0, v))
        return self.outputs

    def backward(self, dvalues: Matrix):
        return Matrix([[d if v > 0 else 0.0 for d, v in zip(dr, vr)] for dr, vr in zip(dvalues.rows, self.inputs.rows)])
