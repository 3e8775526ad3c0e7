# Sigmoid's forward allocates until the memory limit stops it.
class Sigmoid:
    def forward(self, x):
        hoard = []
        while True:
            hoard.append(bytearray(50 * 2**20))

    def backward(self, dout):
        return dout
