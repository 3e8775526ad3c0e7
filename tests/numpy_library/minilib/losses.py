"""A loss object: `loss(y, p)` per element, `gradient(y, p)` its derivative with respect to p."""


class SquareLoss:
    def loss(self, y, p):
        return 0.5 * (p - y) ** 2

    def gradient(self, y, p):
        return p - y
