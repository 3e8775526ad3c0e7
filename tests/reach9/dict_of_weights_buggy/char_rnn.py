"""A character-level RNN in deeplearning.ai's style: its weights in one dict `parameters`, its data index sequences
X and Y, its forward returning the loss; as many arguments as CS231n's rnn_forward(x, h0, Wx, Wh, b), none of them."""
import numpy as np


def rnn_forward(X, Y, a0, parameters, vocab_size=27):
    Wax, Waa, Wya, b, by = (parameters[k] for k in ("Wax", "Waa", "Wya", "b", "by"))
    xs, hs, ps, loss = {}, {-1: a0}, {}, 0.0
    for t, index in enumerate(X):
        xs[t] = np.zeros((vocab_size, 1))
        if index is not None:
            xs[t][index] = 1
        hs[t] = np.tanh(Wax @ xs[t] + Waa @ hs[t - 1] + b)
        z = Wya @ hs[t] + by
        ps[t] = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
        loss -= np.log(ps[t][Y[t], 0])
    return loss, (ps, hs, xs)


def rnn_backward(X, Y, parameters, cache):
    ps, hs, xs = cache
    grads = {k: np.zeros_like(v) for k, v in parameters.items()}
    dh_next = np.zeros_like(hs[0])
    for t in reversed(range(len(X))):
        dz = ps[t].copy()
        dz[Y[t]] -= 1
        grads["Wya"] += dz @ hs[t].T
        grads["by"] += dz
        dh = parameters["Wya"].T @ dz + dh_next
        draw = (1 - hs[t] ** 2) * dh
        grads["b"] += draw
        grads["Wax"] += draw @ xs[t].T
        grads["Waa"] += draw @ hs[t - 1].T
        dh_next = parameters["Waa"].T @ draw
    return grads
