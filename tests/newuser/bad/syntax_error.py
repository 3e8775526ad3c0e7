import numpy as np
class Relu:
    def forward(self, x)
        return x
