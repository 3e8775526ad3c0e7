# An "identity" Relu whose backward is consistent with its (wrong) forward.
class Relu:
    def forward(self, x):
        return x.copy()

    def backward(self, dout):
        return dout.copy()
