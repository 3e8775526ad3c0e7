# Sigmoid's forward allocates until the memory limit stops it (np.zeros takes fresh pages from the kernel, so
# the limit is met at once rather than after writing half a gigabyte, which under load outlasts the timeout).
class Sigmoid:
    def forward(self, x):
        hoard = []
        while True:
            hoard.append(np.zeros(50 * 2**20, dtype=np.uint8))

    def backward(self, dout):
        return dout
