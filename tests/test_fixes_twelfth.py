"""The candidate families of session 29 (issue 19: the held-out bar, and the registry's variants no family reached):
each finds and verifies the fix of a one-bug layer written here, its correct twin passes and gets no fix, the same
layer with a second slip on the same gradients gets none found rather than a guess, and without the family the right
text is not proposed at all.

The layers are written for these tests, two styles a family where the family reads both (a class keeping its arrays
in attributes, the second volume's `params`/`grads` lists, CS231n's `(dout, cache)` functions with loops), not
copied from the zoo or a course: a slope written as a number where the layer's setting belongs; two loop indices in
each other's place; a gradient bound over the list's slot; the product rule's second branch; a skip path's term.
"""

from __future__ import annotations

import pytest
from fix_layers import (
    Layer,
    assert_a_second_slip_gets_none_found,
    assert_not_proposed_without_its_family,
    assert_the_correct_twin_gets_no_fix,
    assert_the_right_text_is_the_verified_fix,
)

from gradlab.fixes.indices import index_order_edits
from gradlab.fixes.literals import literal_edits
from gradlab.fixes.productrule import product_rule_edits
from gradlab.fixes.rescale import size_edits
from gradlab.fixes.skips import skip_edits
from gradlab.fixes.slots import slot_edits

LAYERS: dict[str, Layer] = {
    # a leaky ReLU built with its slope, whose backward writes the textbook's 0.01 for it
    "literal-class": Layer("LeakyRelu", literal_edits, """\
class LeakyRelu:
    def __init__(self, negative_slope=0.3):
        self.negative_slope = negative_slope

    def forward(self, inputs):
        self.below = inputs <= 0
        out = inputs.copy()
        out[self.below] *= self.negative_slope
        return out

    def backward(self, upstream):
        local = np.ones_like(upstream)
        local[self.below] = 0.01
        return upstream * local
""", "local[self.below] = 0.01", "local[self.below] = self.negative_slope",
        "return upstream * local", "return upstream * local * 2"),
    # two loop indices of the weights read in each other's place, in a loop-written affine backward
    "index-order-loops": Layer("affine", index_order_edits, """\
def affine_forward(x, w, b):
    return x @ w + b, (x, w)


def affine_backward(dout, cache):
    x, w = cache
    N, D = x.shape
    M = w.shape[1]
    dx = np.zeros_like(x)
    for n in range(N):
        for d in range(D):
            for m in range(M):
                dx[n, d] += w[m, d] * dout[n, m]
    return dx, x.T @ dout, dout.sum(axis=0)
""", "w[m, d] * dout[n, m]", "w[d, m] * dout[n, m]", "w[m, d] * dout[n, m]", "w[m, d] * dout[m, n]"),
    # a class-style average pool over 2x2 windows, its upstream gradient read with the output's row and column swapped
    "index-order-class": Layer("AvgPool", index_order_edits, """\
class AvgPool:
    def __init__(self, pool_size=2):
        self.k = pool_size

    def forward(self, x):
        self.shape = x.shape
        b, ch, h, w = x.shape
        k = self.k
        return x[:, :, :h // k * k, :w // k * k].reshape(b, ch, h // k, k, w // k, k).mean(axis=(3, 5))

    def backward(self, grad):
        b, ch, h, w = self.shape
        k = self.k
        out = np.zeros(self.shape)
        for row in range(h // k):
            for col in range(w // k):
                out[:, :, row * k:(row + 1) * k, col * k:(col + 1) * k] = grad[:, :, col, row, None, None] / (k * k)
        return out
""", "grad[:, :, col, row, None, None]", "grad[:, :, row, col, None, None]",
        "/ (k * k)", "/ k"),
    # the second volume's list of gradients: the bias's rebound over its slot
    "slot-index": Layer("Affine", slot_edits, """\
class Affine:
    def __init__(self, W, b):
        self.params = [W, b]
        self.grads = [np.zeros_like(W), np.zeros_like(b)]

    def forward(self, x):
        W, b = self.params
        self.x = x
        return x @ W + b

    def backward(self, dout):
        W, b = self.params
        self.grads[0][...] = self.x.T @ dout
        self.grads[1] = dout.sum(axis=0)
        return dout @ W.T
""", "self.grads[1] = dout.sum(axis=0)", "self.grads[1][...] = dout.sum(axis=0)",
        "self.grads[0][...] = self.x.T @ dout", "self.grads[0][...] = dout.T @ self.x"),
    # the same list walked by a loop whose variable is rebound
    "slot-loop": Layer("MatMul", slot_edits, """\
class MatMul:
    def __init__(self, W):
        self.params, self.grads = [W], [np.zeros_like(W)]

    def forward(self, x):
        self.x = x
        return x @ self.params[0]

    def backward(self, dout):
        dW = self.x.T @ dout
        for slot, value in zip(self.grads, [dW]):
            slot = value
        return dout @ self.params[0].T
""", "            slot = value", "            slot[...] = value", "dW = self.x.T @ dout", "dW = dout.T @ self.x"),
    # CS231n-style functions: a SiLU whose backward keeps the sigmoid alone
    "product-rule-functions": Layer("silu", product_rule_edits, """\
def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def silu_forward(x):
    s = sigmoid(x)
    return x * s, (x, s)


def silu_backward(dout, cache):
    x, s = cache
    dx = dout * s
    return dx
""", "dx = dout * s", "dx = dout * (s + x * s * (1 - s))", "    return dx\n", "    return 2 * dx\n"),
    # a class keeping a tanh of its input and returning their product (x * tanh(x) under a swish's name of a learner)
    "product-rule-class": Layer("Swish", product_rule_edits, """\
class Swish:
    def _sigmoid(self, v):
        return 1.0 / (1.0 + np.exp(-v))

    def forward(self, inp):
        self.inp = inp
        self.gate = self._sigmoid(inp)
        return inp * self.gate

    def backward(self, grad_output):
        return self.gate * grad_output
""", "return self.gate * grad_output", "return (self.gate + self.inp * self.gate * (1 - self.gate)) * grad_output",
        "        return self.gate", "        return -self.gate"),
    # a residual block in functions: the skip path's dout dropped from dx
    "skip-functions": Layer("residual_block", skip_edits, """\
def residual_block_forward(x, w1, b1, w2, b2):
    a = x @ w1 + b1
    h = a * (a > 0)
    return h @ w2 + b2 + x, (x, w1, w2, a, h)


def residual_block_backward(dout, cache):
    x, w1, w2, a, h = cache
    dw2 = h.T @ dout
    db2 = dout.sum(axis=0)
    da = dout @ w2.T * (a > 0)
    dw1 = x.T @ da
    db1 = da.sum(axis=0)
    dx = da @ w1.T
    return dx, dw1, db1, dw2, db2
""", "dx = da @ w1.T", "dx = da @ w1.T + dout", "da = dout @ w2.T * (a > 0)", "da = dout @ w2.T"),
    # a class-style loss whose backward takes no argument: the mean's count divided by, the array forward kept
    "rescale-kept": Layer("BinaryCrossEntropy", size_edits, """\
class BinaryCrossEntropy:
    def forward(self, probs, labels):
        self.probs, self.labels = probs, labels
        return -np.mean(labels * np.log(probs) + (1 - labels) * np.log(1 - probs))

    def backward(self):
        return (self.probs - self.labels) / (self.probs * (1 - self.probs))
""", "(self.probs * (1 - self.probs))\n", "(self.probs * (1 - self.probs)) / self.probs.size\n",
        "(self.probs - self.labels)", "(self.labels - self.probs)"),
}

#: a layer written for samples as columns whose backward slipped, so that it crashes as rows and as columns alike: the
#: check cannot say which layout it is written for, and the fix is searched as columns too (no family of its own)
COLUMNS = Layer("DenseLayer", None, """\
class DenseLayer:
    def __init__(self, fan_in, fan_out):
        self.W = np.random.randn(fan_out, fan_in) * 0.1
        self.b = np.zeros((fan_out, 1))

    def forward(self, A):
        self.A = A
        return np.dot(self.W, A) + self.b

    def backward(self, dZ):
        self.dW = np.dot(dZ, self.A)
        self.db = np.sum(dZ, axis=1, keepdims=True)
        return np.dot(self.W.T, dZ)
""", "np.dot(dZ, self.A)", "np.dot(dZ, self.A.T)", "np.dot(self.W.T, dZ)", "np.dot(dZ, self.W)")


def test_a_column_style_layer_that_crashes_in_both_layouts_gets_its_fix_searched_as_columns(tmp_path):
    assert_the_right_text_is_the_verified_fix(tmp_path, "columns", COLUMNS)


def test_a_column_style_layer_with_a_second_slip_gets_none_found(tmp_path):
    assert_a_second_slip_gets_none_found(tmp_path, "columns", COLUMNS, budget=60)


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_one_bug_layer_of_each_new_family_gets_the_right_text_as_a_verified_fix(family, tmp_path):
    assert_the_right_text_is_the_verified_fix(tmp_path, family, LAYERS[family])


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_the_correct_twin_of_each_layer_passes_and_gets_no_fix(family, tmp_path):
    assert_the_correct_twin_gets_no_fix(tmp_path, family, LAYERS[family])


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_a_second_slip_on_the_same_gradients_gets_none_found_rather_than_a_guess(family, tmp_path):
    assert_a_second_slip_gets_none_found(tmp_path, family, LAYERS[family], budget=120)


@pytest.mark.parametrize("family", sorted(LAYERS))
def test_without_its_family_the_right_text_is_not_proposed(family, tmp_path, monkeypatch):
    layer = LAYERS[family]
    lines = 1
    assert_not_proposed_without_its_family(tmp_path, family, layer, monkeypatch, lines=lines)
