"""A learner's sandwich layer that takes the convolution's and the pooling's settings in one dict of its own."""


def conv_relu_pool_forward(x, w, b, sandwich_param):
    raise NotImplementedError("only its signature matters here: it is not the course's sandwich")


def conv_relu_pool_backward(dout, cache):
    raise NotImplementedError
