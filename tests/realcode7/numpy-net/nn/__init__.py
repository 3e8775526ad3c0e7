from nn.layers import Affine, Sigmoid
