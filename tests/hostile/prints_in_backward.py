# A correct Relu that prints 3 MiB in every backward call, and a Sigmoid whose last words are written
# without a newline just before it leaves with os._exit: the first keeps its points, the second's
# output is still reported.
import os
import sys


class Relu:
    def forward(self, x):
        self.mask = x <= 0
        out = x.copy()
        out[self.mask] = 0
        return out

    def backward(self, dout):
        print("y" * (3 * 2**20))
        dx = dout.copy()
        dx[self.mask] = 0
        return dx


class Sigmoid:
    def forward(self, x):
        sys.stdout.write("LAST WORDS")
        os._exit(3)

    def backward(self, dout):
        return dout
