"""A layer's name read as words: the rule that finds a kind behind names no kind lists letter for letter.

Learners spell one layer many ways: `CrossEntropyLoss`, `Cross_Entropy`, `SoftmaxCE`, `Loss_MeanSquared`,
`LinearNaive`, `NumpyLinear`, `BCEWithLogitsLoss`, the nnfs book's fused classes with their words in either order
(`Loss_CategoricalCrossEntropy_Activation_Softmax`). The rule splits a name into words (at underscores, at a
lower-to-upper case change, before the last capital of an acronym), spells out the abbreviations courses use
(`ce` is cross-entropy, `bce` binary cross-entropy, `MSError` a mean squared error, an `error` a loss), and drops
the words that wrap a name without changing what it computes (`layer`, `naive`, `numpy` at either end). Then:
- a loss's words may come in any order, and `loss`, `error`, `with`, `activation` are optional: a loss is one
  function of its input and labels, and "softmax cross-entropy" and "cross-entropy of the softmax" name the same
  function;
- any other layer's words must keep their order (`ReluAffine` is no `affine_relu`: the order is the composition),
  and a name that says `loss` is only ever a loss.
Non-goal: guessing from what a class does (that is the `# gradlab: kind=...` comment's job).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["name_words", "spatial_dimensions", "spells", "words_in_order"]

#: camelCase and acronym boundaries: `BCEWithLogitsLoss` -> BCE, With, Logits, Loss; `BatchNorm1d` -> Batch, Norm1d
_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+[0-9]*[a-z]*|[A-Z]+[0-9]*[a-z]?|[0-9]+[a-z]*")
#: abbreviations spelled out, each also tried as written (a kind may list the short form itself)
_SPELLED = {"ce": "crossentropy", "bce": "binarycrossentropy", "cce": "categoricalcrossentropy",
            "xent": "crossentropy", "mse": "meansquarederror", "mae": "meanabsoluteerror", "avg": "average",
            # the mean's letters before a spelled-out word: `MSError`, `MAError`, `RMSNorm`'s root mean square
            "ms": "meansquared", "ma": "meanabsolute", "rms": "rootmeansquare",
            # a loss named for the error it measures: `SquaredError`, `CrossEntropyError`
            "error": "loss",
            # inside a CS231n sandwich's stem, `affine_batch_relu`, `affine_layer_relu`, the normalisation's short
            # name (at an end of a name, `layer` wraps it)
            "batch": "bn", "layer": "ln"}
#: words that wrap a name at either end: the nnfs book's `Layer_`, learners' `...Naive`, `Numpy...`
_WRAPPING = ("layer", "naive", "numpy", "np", "module", "vectorized", "vectorised")
#: words a loss's name may hold or leave out
_OPTIONAL_IN_LOSS = ("loss", "error", "with", "activation", "layer", "function")


def name_words(name: str) -> list[str]:
    """The lower-case words of `name`, the wrapping words at its ends removed."""
    words = [w.lower() for part in re.split(r"[^A-Za-z0-9]+", name) for w in _WORD.findall(part)]
    while len(words) > 1 and words[0] in _WRAPPING:
        words = words[1:]
    while len(words) > 1 and words[-1] in _WRAPPING:
        words = words[:-1]
    return words


def _spellings(word: str) -> tuple[str, ...]:
    return (word, _SPELLED[word]) if word in _SPELLED else (word,)


def words_in_order(words: list[str]) -> set[str]:
    """Every joined spelling of `words` in their order (each abbreviation as written and spelled out)."""
    out = {""}
    for word in words:
        out = {s + w for s in out for w in _spellings(word)}
    return out


def spells(target: str, words: Iterable[str]) -> bool:
    """Whether `words`, in some order, each as written or spelled out, concatenate to `target`; the words of
    `_OPTIONAL_IN_LOSS` may be left out. A search over positions of `target` (names hold a handful of words)."""
    needed = [w for w in words]
    if len(needed) > 8:
        return False

    def cover(at: int, left: tuple[str, ...]) -> bool:
        if at == len(target):
            return all(w in _OPTIONAL_IN_LOSS for w in left)
        for i, word in enumerate(left):
            if i and word == left[i - 1]:
                continue
            rest = left[:i] + left[i + 1:]
            if any(target.startswith(s, at) and cover(at + len(s), rest) for s in _spellings(word)):
                return True
        return False

    return bool(needed) and cover(0, tuple(sorted(needed)))


#: PyTorch's spelling of how many spatial axes a layer works over, at the end of a name: `max_pool2d`, `conv1d`
_DIMENSIONS = re.compile(r"^(?P<bare>[A-Za-z_]*[A-Za-z])_?(?P<count>[123])[dD]$")


def spatial_dimensions(name: str) -> tuple[str, int] | None:
    """`name` without its trailing dimension count, and the count: `max_pool2d` -> (max_pool, 2); None for a name
    that ends otherwise. The caller decides whether the kind the bare name spells works over that many axes."""
    m = _DIMENSIONS.match(name)
    return (m["bare"], int(m["count"])) if m else None
