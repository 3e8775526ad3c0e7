"""Weights a model draws tiny, scaled up for its check: where every activation sits at its linear point, a wrong
derivative there is invisible.

The textbook's second volume draws its word vectors as `randn(V, D) / 100` (Rnnlm, BetterRnnlm, Seq2seq) and its
word2vec matrices as `0.01 * randn`; learners hard-code CS231n's `1e-3 * randn`. Fed such vectors, an LSTM's gates
all read sigmoid(~0.01) = 0.5 and its cell tanh(~0.01) = ~0.01, so a backward that writes `do *= 0.25` where
`o * (1 - o)` belongs, or takes the cell for its tanh, is off by ~1e-5 of its own gradient: below any tolerance,
whatever scale each parameter's gradient is judged at (each is already judged relative to its own largest element).
The cause is the point, not the tolerance: the check is made where the weights are of the scale a layer is built to
work at. A weight array (two or more axes) whose root mean square is below `TINY` is multiplied, in place, up to
`1 / sqrt(fan_in)` (a matrix's rows as courses store it, (in, out), its columns in Nielsen's (out, in); one filter's
elements for a convolution's (F, C, kh, kw)), the scale of LeCun's initialisation; zeros (a bias, a weight the
code sets to zero on purpose) and one-axis arrays stay. A tied view (BetterRnnlm's `embed_W.T`) is the same array
and is scaled with it. The report says which arrays were scaled.
Non-goal: any other change to the model; choosing labels the scaled model finds plausible (`gradlab.models.adapters`).
"""

from __future__ import annotations

import numpy as np

__all__ = ["TINY", "fan_in_scale", "scale_up_tiny", "said"]

#: a weight array whose root mean square is below this was drawn tiny (/100, 0.01 * randn, 1e-3 * randn); gradlab's
#: own weight_scale (0.1, `gradlab.models.build.SCALE`) and the book's 1/sqrt(n) initialisations are above it
TINY = 0.05


def fan_in_scale(shape: tuple[int, ...], *, rows_in: bool = True) -> float:
    """1 / sqrt(the inputs one output sums): a matrix's rows (stored (in, out)) or, with `rows_in` False, its
    columns (Nielsen's (out, in)); a convolution filter's C * kh * kw elements."""
    if len(shape) == 2:
        fan_in = shape[0] if rows_in else shape[1]
    else:
        fan_in = int(np.prod(shape[1:]))
    return 1.0 / float(np.sqrt(max(fan_in, 1)))


def scale_up_tiny(params: dict[str, np.ndarray], *, rows_in: bool = True) -> dict[str, tuple[float, float]]:
    """Each weight array of `params` drawn tiny multiplied in place to its fan-in scale (`fan_in_scale`);
    {name: (RMS before, after)} of those scaled."""
    scaled: dict[str, tuple[float, float]] = {}
    for name, arr in params.items():
        if arr.ndim < 2 or not arr.size or not np.issubdtype(arr.dtype, np.floating):
            continue
        rms = float(np.sqrt(np.mean(np.square(arr, dtype=np.float64))))
        target = fan_in_scale(arr.shape, rows_in=rows_in)
        if rms == 0.0 or not np.isfinite(rms) or rms >= TINY or target <= rms:
            continue
        arr *= target / rms
        scaled[name] = (rms, target)
    return scaled


def said(scaled: dict[str, tuple[float, float]]) -> str:
    """How a report says the arrays `scale_up_tiny` scaled: '' when none was."""
    if not scaled:
        return ""
    arrays = ", ".join(f"{name} (drawn at RMS {before:.2g}, checked at {after:.2g})"
                       for name, (before, after) in scaled.items())
    return (f"; weights drawn tiny scaled up for the check: {arrays} (at tiny weights every activation sits at its "
            "linear point, where a wrong derivative is invisible)")
