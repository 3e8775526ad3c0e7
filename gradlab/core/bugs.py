"""The bug-code vocabulary: part of the public result format, so the codes never change.

Each code carries a plain-words explanation and a hint at the fix; diagnosis picks the code,
reports, pytest messages and the grader print these texts.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class BugClass:
    code: str
    meaning: str
    hint: str


_TABLE = (
    BugClass("missing-batch-mean",
             "the analytic gradient is N times the true one: the 1/N of the batch-mean loss was left out",
             "divide the upstream gradient (or dx) by the batch size N exactly where the forward pass averages"),
    BugClass("extra-batch-mean",
             "the analytic gradient is 1/N of the true one: it was divided by the batch size once too often",
             "divide by N once, in the loss layer that takes the mean; layers above it must not divide again"),
    BugClass("scaled", "the analytic gradient, or one term of it, is off by a constant factor (in a normalisation, "
             "possibly one per normalised group)",
             "look for a missing or extra constant: the 2 of a squared error, a dropout keep-ratio, a slope; in a "
             "normalisation the 1/2 of d sqrt(v)/dv, a 1/N, N - 1 where the variance divides by N, eps or sigma "
             "left out of the backward or divided by twice"),
    BugClass("sign-flip", "the analytic gradient, or one term of it, has the wrong sign",
             "check the sign of the derivative (e.g. d(t - y)/dy = -1), of the upstream gradient, and of each "
             "subtracted term (a normalisation subtracts its mean's and its variance's paths)"),
    BugClass("transposed", "the right values sit in transposed positions",
             "check the order of the matrix product in the gradient named above: a weight's gradient is x.T @ "
             "dout (not dout.T @ x), an input's gradient is dout @ W.T (not dout @ W, which a square W, or a "
             "square block of a stacked one, accepts without an error); or the order of the axes in a "
             "transpose/reshape"),
    BugClass("wrong-reduction", "the gradient was summed over the wrong axis, or over all axes",
             "a parameter broadcast over the batch gets the sum over the batch axis only, e.g. db = dout.sum(axis=0)"),
    BugClass("wrong-shape", "the gradient's shape is not the shape of what it is the gradient of",
             "return a gradient with exactly the shape of its input or parameter; the diagnosis says how this one "
             "went wrong (not reshaped back to x.shape, an axis kept by keepdims=True, a slice that came out empty)"),
    BugClass("zero-gradient", "the analytic gradient is all zeros (or was never written) where the true one is not",
             "make sure backward computes and stores this gradient"),
    BugClass("dropped-term",
             "the analytic gradient matches the true one only in part: a term of a sum or product rule is "
             "missing, or a path was overwritten instead of accumulated",
             "write the derivative out term by term (product and chain rule: is every factor there, e.g. dout?) "
             "and add every path's contribution, with += or np.add.at where several paths reach one element"),
    BugClass("stale-parameters", "backward used or changed parameters that were modified during forward/backward",
             "compute every gradient from the parameters forward used; leave updates to the optimizer"),
    BugClass("mutates-input", "forward or backward wrote into an array it was given",
             "work on a copy (x = x.copy()) or build a new array instead of assigning into the argument"),
    BugClass("couples-samples", "one sample's output or gradient depends on another sample, or a normalisation "
             "(or its gradient) is taken over the wrong axis",
             "compute each sample's output from its own row only; reductions over the batch axis mix samples. A "
             "normalisation takes its statistics, and their paths in backward, over its own axis: batch norm over "
             "the batch (axis 0), layer norm over each sample's features (axis 1)"),
    BugClass("non-finite", "NaN or inf appeared for finite inputs",
             "exp of a large number overflows (exp(710) is inf), and a probability can underflow to 0, whose log is "
             "-inf: a softmax whose exp is not stabilised subtracts the row maximum first; one that is computes "
             "log-softmax as z - log(sum(exp(z))) with z = x - max, not log(softmax); an element-wise activation "
             "never takes exp of a large positive number (np.tanh; 1 / (1 + np.exp(-x)); np.logaddexp(0, x) for "
             "softplus)"),
    BugClass("crashed", "forward or backward raised, timed out or returned something that is not an array",
             "run the layer by hand on a small input and fix the error shown"),
    BugClass("mismatch", "the analytic gradient is wrong, and no simple pattern explains it",
             "derive the gradient again on paper for one element and compare with the code"),
    # added later (codes are only ever appended: the order of BUG_CODES is part of the format)
    BugClass("wrong-input",
             "the derivative is evaluated at the wrong array: the input where the output belongs, the "
             "pre-activation where the post-activation belongs, or the reverse",
             "check which cached array the derivative formula reads: tanh' = 1 - y**2 and sigmoid' = y * (1 - y) "
             "take the forward's output y, softplus' = sigmoid(x) and ELU's alpha * exp(x) take its input x; a "
             "normalisation's terms read x_hat, the normalised input forward cached, not x or x - mean"),
    BugClass("misrouted",
             "the gradient reaches positions that must get none, or the right values sit at the wrong positions",
             "send each output's gradient only to the elements that produced it: a max-pool window's maximum "
             "(the stored argmax), the units a ReLU mask let through (x > 0, not x <= 0); a recurrence's backward "
             "walks time from the last step back (reversed(range(T)))"),
    BugClass("missing-mask", "gradient flows where the forward zeroed or masked the output",
             "apply in backward the same mask forward applied, e.g. dx = dout * mask for dropout and "
             "dx = dout * (x > 0) for ReLU"),
)

BUGS: dict[str, BugClass] = {b.code: b for b in _TABLE}
BUG_CODES: tuple[str, ...] = tuple(BUGS)


def describe(code: str) -> BugClass:
    try:
        return BUGS[code]
    except KeyError:
        raise KeyError(f"unknown bug code {code!r}; known: {', '.join(BUG_CODES)}") from None
