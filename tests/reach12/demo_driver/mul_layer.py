class MulLayer:
    """The textbook's first layer: x * y, with the demo that drives it below."""

    def forward(self, x, y):
        self.x, self.y = x, y
        return x * y

    def backward(self, dout):
        return dout * self.y, dout * self.x


def show_forward(mul_layer):
    # how much two apples cost with tax, one multiplication at a time
    return mul_layer.forward(mul_layer.forward(100, 2), 1.1)


def show_backward(mul_layer):
    return mul_layer.backward(1)
