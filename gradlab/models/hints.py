"""A model's wrong gradient said in the model's own terms: the regularisation term, the activation's
derivative, the sizes of an outer product.

The core's diagnosis (`gradlab.core.diagnose`) names the bug of one array; a model knows more: which
array is a weight (with a regularisation strength), which layer sizes meet in its gradient, what the
pre-activations were. Each function here takes a failing result and returns a better code and sentence,
or None to keep the core's.
Non-goal: deciding pass or fail.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from gradlab.core.results import GradientResult

__all__ = ["activation_factor", "in_model_terms", "misshaped", "regularisation", "sigmoid_primes",
           "transposed_data_term"]

#: a difference explained by a multiple of W (or a per-unit factor) leaves at most this fraction unexplained
FIT_RTOL = 1e-4


def in_model_terms(result: GradientResult, convention: str, param: np.ndarray, grad_name: str, *, reg: float,
                   primes: np.ndarray | None = None) -> GradientResult:
    """`result` with the model's explanation in front of the core's, when one applies."""
    if result.passed or result.analytic is None or result.numeric is None:
        return result
    a, n = np.asarray(result.analytic, dtype=np.float64), np.asarray(result.numeric, dtype=np.float64)
    if a.shape != n.shape:
        sentence = _shape(convention, result.name, grad_name, param.shape, a.shape)
        if sentence is None:
            return result
        # the core's sentence starts with the same shapes: keep only what it adds
        core = result.diagnosis.split(f"{grad_name} has shape {a.shape} but should have {param.shape}", 1)[-1]
        core = core.lstrip(": ").strip()
        return replace(result, diagnosis=f"{sentence}; {core}" if core else sentence)
    for found in (regularisation(a, n, param, grad_name, reg), transposed_data_term(a, n, param, grad_name, reg),
                  activation_factor(a, n, primes, grad_name, convention)):
        if found is not None:
            code, sentence = found
            return replace(result, bug_code=code, diagnosis=sentence)
    return result


def regularisation(a: np.ndarray, n: np.ndarray, W: np.ndarray, grad_name: str, reg: float) -> tuple[str, str] | None:
    """a - n = k W: the regularisation term is missing (k = -reg or -2 reg), or has the wrong factor."""
    if W.ndim < 2 or reg <= 0 or not np.any(W):
        return None
    d = a - n
    k = float(np.vdot(d, W) / np.vdot(W, W))
    if np.linalg.norm(d - k * W) > FIT_RTOL * max(float(np.linalg.norm(d)), 1e-300):
        return None
    if any(abs(k + c * reg) <= 1e-3 * reg for c in (1.0, 2.0)):
        return "dropped-term", (f"{grad_name} lacks the regularisation term: it is the true gradient minus {-k:.4g} W "
                                f"(reg = {reg:g}); add the derivative of the penalty, {-k:.4g} * W")
    return "mismatch", (f"{grad_name} differs from the true gradient by exactly {k:.4g} W: the regularisation term has "
                        f"the wrong factor (reg = {reg:g}; the derivative of 0.5 * reg * sum(W**2) is reg * W)")


def transposed_data_term(a: np.ndarray, n: np.ndarray, W: np.ndarray, grad_name: str,
                         reg: float) -> tuple[str, str] | None:
    """A square weight whose gradient is the data term transposed plus a right regularisation term:
    a - reg W = (n - reg W)ᵀ. The core sees a gradient right on its diagonal only (`dropped-term`), because
    the reg W added after the transpose is not transposed; taking it out on both sides shows the swap."""
    if W.ndim != 2 or W.shape[0] != W.shape[1] or reg <= 0 or a.shape != W.shape:
        return None
    data_a, data_n = a - reg * W, n - reg * W
    scale = FIT_RTOL * max(float(np.linalg.norm(data_n)), 1e-300)
    if np.linalg.norm(data_a - data_n) <= scale or np.linalg.norm(data_a - data_n.T) > scale:
        return None
    return "transposed", (f"{grad_name} minus its regularisation term ({reg:g} W) is the transpose of the true "
                          "data gradient: the product is written with its operands swapped (dout.T · x where "
                          "x.T · dout belongs); the regularisation term itself is right")


def activation_factor(a: np.ndarray, n: np.ndarray, primes: np.ndarray | None, grad_name: str,
                      convention: str) -> tuple[str, str] | None:
    """Nielsen's delta not multiplied by sigmoid'(z): a ⊙ sigmoid'(z) (per unit of the layer) equals n."""
    if primes is None or convention != "nielsen" or a.ndim != 2 or a.shape[0] != primes.size:
        return None
    scale = 1e-6 * max(float(np.linalg.norm(n)), 1e-300)
    if np.linalg.norm(a * primes.reshape(-1, 1) - n) <= scale:
        return "dropped-term", (f"{grad_name} is right once multiplied by sigmoid'(z) of this layer, unit by unit: "
                                "delta was not multiplied by sigmoid_prime(z) here")
    if np.linalg.norm(a - n * primes.reshape(-1, 1)) <= scale:
        return "mismatch", (f"{grad_name} is the true gradient times sigmoid'(z) of this layer, unit by unit: delta "
                            "has a sigmoid_prime(z) too many (the cross-entropy cost's output delta is a - y, "
                            "without it)")
    return None


def sigmoid_primes(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray) -> list[np.ndarray]:
    """The derivative sigmoid'(z) of every layer of a Nielsen network for the sample x (to recognise a missing one)."""
    primes, a = [], x
    with np.errstate(over="ignore"):
        for W, b in zip(weights, biases):
            z = W @ a + b
            s = 1.0 / (1.0 + np.exp(-z))
            primes.append(s * (1 - s))
            a = s
    return primes


def misshaped(name: str, grad_name: str, got: tuple[int, ...], param: np.ndarray, convention: str) -> GradientResult:
    """A failing result for a gradient of the wrong shape, said in the model's sizes, without finite differences."""
    sentence = _shape(convention, name, grad_name, param.shape, tuple(got)) or \
        f"{grad_name} has shape {tuple(got)} but {name} is {param.shape}"
    if tuple(got) == param.shape[::-1]:
        sentence += " (the shape of its transpose)"
    return GradientResult(name=name, shape=param.shape, analytic_shape=tuple(got), passed=False, max_rel_error=1.0,
                          bug_code="wrong-shape", diagnosis=sentence)


def _shape(convention: str, name: str, grad_name: str, want: tuple[int, ...], got: tuple[int, ...]) -> str | None:
    """Which sizes meet in a weight gradient, in the convention's own words."""
    if len(want) != 2 or len(got) != 2:
        return None
    head = f"{grad_name} has shape {got} but {name} is {want}"
    if convention == "nielsen":
        out, inp = want
        if got[0] == out and got[1] != inp:
            return f"{head}: the outer product delta · aᵀ needs the activations of the layer below, a ({inp}, 1) column"
        if got[0] != out and got[1] == inp:
            return f"{head}: the outer product delta · aᵀ needs this layer's delta, a ({out}, 1) column"
        return f"{head}: nabla_w is delta ({out}, 1) times the activations of the layer below ({inp}, 1), transposed"
    inp, out = want
    if got[0] != inp and got[1] == out:
        return f"{head}: d{name} = xᵀ · dout needs the input of this layer, (N, {inp}), transposed"
    if got[0] == inp and got[1] != out:
        return f"{head}: d{name} = xᵀ · dout needs the upstream gradient of this layer's output, (N, {out})"
    return f"{head}: d{name} is the layer's input (N, {inp}), transposed, times its upstream gradient (N, {out})"
