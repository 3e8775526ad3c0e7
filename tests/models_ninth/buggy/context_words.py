"""The CBOW of models/context_words.py with one bug."""
import sys
sys.path.append('..')

from models.context_words import PlainCBOW


class CBOWRightContextNotHalved(PlainCBOW):
    """The right context's layer is given the gradient of the sum, not of the average (the 0.5 left out there)."""

    def backward(self, dout=1):
        dh = self.out.backward(self.loss_layer.backward(dout))
        self.left.backward(dh * 0.5)
        self.right.backward(dh)
