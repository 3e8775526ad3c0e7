"""The candidate families of session 30 for calls and helpers (issue 19: the held-out bar): each finds and verifies the
fix of a one-bug layer written here, its correct twin passes and gets no fix, the same layer with a second slip on
the same gradients gets none found rather than a guess, and without the family the right text is not proposed at all.

The layers are written for these tests, two styles a family (CS231n's and deeplearning.ai's functions, classes with a
module helper, the learners' activations built from a base class and functions defined in their constructor), not
copied from the zoo or a course: a sandwich's gradient copied past its activation, whose cache names only its role; a
helper called without the stride its other call passes; a window's start written without the stride inside an index;
a derivative evaluated at the input where the helper's function of it belongs.
"""

from __future__ import annotations

import re

import pytest
from fix_layers import (
    Layer,
    assert_a_second_slip_gets_none_found,
    assert_not_proposed_without_its_family,
    assert_the_correct_twin_gets_no_fix,
    assert_the_right_text_is_the_verified_fix,
)

from gradlab.fixes import context
from gradlab.fixes.arguments import argument_edits
from gradlab.fixes.passes import passed_through_edits
from gradlab.fixes.strides import stride_edits

_DLAI = '''\
def linear_forward(A, W, b):
    return W @ A + b, (A, W, b)


def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    return W.T @ dZ, dZ @ A_prev.T / m, np.sum(dZ, axis=1, keepdims=True) / m


def relu(Z):
    return np.maximum(0, Z), Z


def relu_backward(dA, cache):
    return dA * (cache > 0)


def sigmoid(Z):
    A = 1 / (1 + np.exp(-Z))
    return A, Z


def sigmoid_backward(dA, cache):
    s = 1 / (1 + np.exp(-cache))
    return dA * s * (1 - s)


def linear_activation_forward(A_prev, W, b, activation):
    Z, lin = linear_forward(A_prev, W, b)
    A, act = relu(Z) if activation == "relu" else sigmoid(Z)
    return A, (lin, act)


def linear_activation_backward(dA, cache, activation):
    lin_cache, act_cache = cache
    if activation == "relu":
        dZ = dA
    else:
        dZ = sigmoid_backward(dA, act_cache)
    return linear_backward(dZ, lin_cache)
'''

_STARTS = '''\
def _starts(size, k, stride=1):
    return list(range(0, size - k + 1, stride))


'''

LAYERS: dict[str, Layer] = {
    # deeplearning.ai's linear_activation_backward, its relu branch handing dA on as dZ
    "passed-dlai": Layer("linear_activation[relu]", passed_through_edits, _DLAI, "        dZ = dA\n",
                         "        dZ = relu_backward(dA, act_cache)\n",
                         "return linear_backward(dZ, lin_cache)", "return linear_backward(2 * dZ, lin_cache)"),
    # a CS231n sandwich whose helpers are private, its ReLU skipped in backward
    "passed-private": Layer("affine_relu", passed_through_edits, """\
def _affine_forward(x, w, b):
    return x @ w + b, (x, w)


def _affine_backward(dout, cache):
    x, w = cache
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)


def _relu_forward(x):
    return np.maximum(x, 0), x > 0


def _relu_backward(dout, mask):
    return dout * mask


def affine_relu_forward(x, w, b):
    a, first = _affine_forward(x, w, b)
    out, second = _relu_forward(a)
    return out, (first, second)


def affine_relu_backward(dout, cache):
    first_cache, second_cache = cache
    da = dout
    return _affine_backward(da, first_cache)
""", "    da = dout\n", "    da = _relu_backward(dout, second_cache)\n",
        "return _affine_backward(da, first_cache)", "return _affine_backward(-da, first_cache)"),
    # a function average pool whose backward walks the rows without the stride its forward passes
    "arguments-function": Layer("avg_pool", argument_edits, _STARTS + """\
def avg_pool_forward(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    rows, cols = _starts(H, ph, s), _starts(W, pw, s)
    out = np.zeros((N, C, len(rows), len(cols)))
    for a, r in enumerate(rows):
        for b, c in enumerate(cols):
            out[:, :, a, b] = x[:, :, r:r + ph, c:c + pw].mean(axis=(2, 3))
    return out, (x.shape, pool_param)


def avg_pool_backward(dout, cache):
    shape, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros(shape)
    rows, cols = _starts(shape[2], ph), _starts(shape[3], pw, s)
    for a, r in enumerate(rows):
        for b, c in enumerate(cols):
            dx[:, :, r:r + ph, c:c + pw] += dout[:, :, a, b, None, None] / (ph * pw)
    return dx
""", "_starts(shape[2], ph)", "_starts(shape[2], ph, s)", "/ (ph * pw)", "/ ph"),
    # the same helper in a class, its backward's columns walked at the default stride
    "arguments-class": Layer("AvgPool2D", argument_edits, _STARTS + """\
class AvgPool2D:
    def __init__(self, pool_h=2, pool_w=2, stride=2):
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.shape = x.shape
        rows = _starts(x.shape[2], self.pool_h, self.stride)
        cols = _starts(x.shape[3], self.pool_w, self.stride)
        out = np.zeros((x.shape[0], x.shape[1], len(rows), len(cols)))
        for a, r in enumerate(rows):
            for b, c in enumerate(cols):
                out[:, :, a, b] = x[:, :, r:r + self.pool_h, c:c + self.pool_w].mean(axis=(2, 3))
        return out

    def backward(self, dout):
        rows = _starts(self.shape[2], self.pool_h, self.stride)
        cols = _starts(self.shape[3], self.pool_w)
        dx = np.zeros(self.shape)
        for a, r in enumerate(rows):
            for b, c in enumerate(cols):
                share = dout[:, :, a, b, None, None] / (self.pool_h * self.pool_w)
                dx[:, :, r:r + self.pool_h, c:c + self.pool_w] += share
        return dx
""", "_starts(self.shape[3], self.pool_w)", "_starts(self.shape[3], self.pool_w, self.stride)",
        "/ (self.pool_h * self.pool_w)", "/ self.pool_w"),
    # a naive max pool routing each window's gradient to its argmax, the window's start written without the stride
    "stride-sum-function": Layer("max_pool", stride_edits, """\
def max_pool_forward_naive(x, pool_param):
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    N, C, H, W = x.shape
    out = np.zeros((N, C, 1 + (H - ph) // s, 1 + (W - pw) // s))
    for i in range(out.shape[2]):
        for j in range(out.shape[3]):
            out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].max(axis=(2, 3))
    return out, (x, pool_param)


def max_pool_backward_naive(dout, cache):
    x, pool_param = cache
    ph, pw, s = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
    dx = np.zeros_like(x)
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    window = x[n, c, i * s:i * s + ph, j * s:j * s + pw]
                    r, q = np.unravel_index(np.argmax(window), window.shape)
                    dx[n, c, i + r, j + q] += dout[n, c, i, j]
    return dx
""", "dx[n, c, i + r, j + q]", "dx[n, c, i * s + r, j * s + q]",
        "+= dout[n, c, i, j]", "+= 2 * dout[n, c, i, j]"),
    # a class average pool spreading each output's share over its window cell by cell
    "stride-sum-class": Layer("AvgPool2D", stride_edits, """\
class AvgPool2D:
    def __init__(self, pool_h=2, pool_w=2, stride=2):
        self.pool_h, self.pool_w, self.stride = pool_h, pool_w, stride

    def forward(self, x):
        self.shape = x.shape
        N, C, H, W = x.shape
        s, ph, pw = self.stride, self.pool_h, self.pool_w
        out = np.zeros((N, C, (H - ph) // s + 1, (W - pw) // s + 1))
        for i in range(out.shape[2]):
            for j in range(out.shape[3]):
                out[:, :, i, j] = x[:, :, i * s:i * s + ph, j * s:j * s + pw].mean(axis=(2, 3))
        return out

    def backward(self, dout):
        dx = np.zeros(self.shape)
        share = dout / (self.pool_h * self.pool_w)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                for u in range(self.pool_h):
                    for v in range(self.pool_w):
                        dx[:, :, i + u, j + v] += share[:, :, i, j]
        return dx
""", "dx[:, :, i + u, j + v]", "dx[:, :, i * self.stride + u, j * self.stride + v]",
        "share = dout / (self.pool_h * self.pool_w)", "share = dout / self.pool_h"),
    # the learners' activations built on one base class, tanh's derivative defined in the constructor at the input
    "helper-function-inner": Layer("Tanh", None, """\
class Activation:
    def __init__(self, activation, activation_prime):
        self.activation, self.activation_prime = activation, activation_prime

    def forward(self, input):
        self.input = input
        return self.activation(input)

    def backward(self, output_gradient, learning_rate):
        return output_gradient * self.activation_prime(self.input)


class Tanh(Activation):
    def __init__(self):
        def tanh(x):
            return np.tanh(x)

        def tanh_prime(x):
            return 1 - x ** 2

        super().__init__(tanh, tanh_prime)


class Sigmoid(Activation):
    def __init__(self):
        def sigmoid(x):
            return 1 / (1 + np.exp(-x))

        def sigmoid_prime(x):
            s = sigmoid(x)
            return s * (1 - s)

        super().__init__(sigmoid, sigmoid_prime)
""", "return 1 - x ** 2", "return 1 - np.tanh(x) ** 2",
        "return output_gradient * self.activation_prime", "return 2 * output_gradient * self.activation_prime"),
    # the same learners' style with the functions at the module's top, handed to the base class by name
    "helper-function-module": Layer("Tanh", None, """\
def tanh(x):
    return np.tanh(x)


def tanh_prime(x):
    return 1 - x ** 2


def relu(x):
    return np.maximum(x, 0)


def relu_prime(x):
    return (x > 0).astype(float)


class Activation:
    def __init__(self, activation, activation_prime):
        self.activation, self.activation_prime = activation, activation_prime

    def forward(self, input):
        self.input = input
        return self.activation(input)

    def backward(self, output_gradient, learning_rate):
        return output_gradient * self.activation_prime(self.input)


class Tanh(Activation):
    def __init__(self):
        super().__init__(tanh, tanh_prime)


class ReLU(Activation):
    def __init__(self):
        super().__init__(relu, relu_prime)
""", "return 1 - x ** 2", "return 1 - np.tanh(x) ** 2",
        "return output_gradient * self.activation_prime", "return 2 * output_gradient * self.activation_prime"),
}


def _without_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every helper read as a derivative: only the forward's functions are offered."""
    monkeypatch.setattr(context, "_DERIVATIVE", re.compile(""))


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_one_bug_layer_gets_the_right_text_as_its_verified_fix(family, tmp_path):
    assert_the_right_text_is_the_verified_fix(tmp_path, family, LAYERS[family])


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_the_correct_twin_passes_and_gets_no_fix(family, tmp_path):
    assert_the_correct_twin_gets_no_fix(tmp_path, family, LAYERS[family])


# the default run tries one family in four (every family with --thorough): each exhausts its search budget
@pytest.mark.sample(by=lambda family: sorted(LAYERS).index(family) // 4)
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_second_slip_on_the_same_gradients_gets_none_found_rather_than_a_guess(family, tmp_path):
    assert_a_second_slip_gets_none_found(tmp_path, family, LAYERS[family])


@pytest.mark.sample(every=4)  # one family in four by position: each family's fix is tested above either way
@pytest.mark.parametrize("family", sorted(LAYERS))
def test_without_the_family_the_right_text_is_not_proposed(family, tmp_path, monkeypatch):
    layer = LAYERS[family]
    assert_not_proposed_without_its_family(tmp_path, family, layer, monkeypatch,
                                           remove=_without_helpers if layer.generator is None else None)


def test_a_derivative_slip_in_a_subclass_is_fixed_in_its_own_helper_not_in_the_base_its_siblings_share(tmp_path):
    # `self.activation_prime(np.tanh(self.input))` in Activation.backward passes for Tanh and breaks Sigmoid
    from fix_layers import search
    layer = LAYERS["helper-function-inner"]
    fix = search(tmp_path, "helper-function-inner", layer, layer.source)
    assert fix is not None and fix.status == "verified" and "activation_prime(self.input)" in fix.new_text, \
        fix and fix.diff
