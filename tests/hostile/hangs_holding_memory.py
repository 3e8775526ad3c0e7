# Sigmoid's backward takes most of the memory limit and then never returns.
class Sigmoid:
    def forward(self, x):
        self.out = 1 / (1 + np.exp(-x))
        return self.out

    def backward(self, dout):
        held = np.ones((280 << 20) // 8)
        while True:
            held[0] += 1.0
