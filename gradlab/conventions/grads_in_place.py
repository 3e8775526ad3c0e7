"""A second-volume layer whose backward replaces an array of its `grads` list instead of writing into it.

The textbook's second volume builds `self.grads = [np.zeros_like(W), ...]` once, in the constructor, and its
backward writes into those arrays (`self.grads[0][...] = dW`): a model gathers the arrays when it is built
(`self.grads += layer.grads`) and its optimizer reads them there. A backward that assigns `self.grads[0] = dW`
puts a new array in the layer's list; the gradient's values are right, but the array the model holds stays the
zeros it was built with, so that parameter never trains. gradlab reads `grads` afresh after each backward, so the
values alone cannot show it: the identity of the arrays does.

The check reports such a note only where the gradients' values are right (`gradlab.core.adapter_notes`): wrong
values are the bug to show first. Only lists built that way are judged (a `params` list and a `grads` list of the
same length holding arrays of their parameters' shapes before backward): a dict of gradients, or a list the
backward builds anew (`self.grads = [dW, db]`), is another convention, read fresh by its own optimizer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from gradlab.conventions.gradient_shapes import ShapeNote
from gradlab.core.results import FAIL

__all__ = ["held_gradient_arrays", "replaced_gradient_notes"]


def held_gradient_arrays(obj: Any) -> tuple[list[Any], list[np.ndarray]] | None:
    """The layer's `grads` list and its arrays before backward, when the layer keeps them as the second volume
    does (one preallocated array per entry of its `params` list, of that parameter's shape); else None."""
    params, grads = getattr(obj, "params", None), getattr(obj, "grads", None)
    if not (isinstance(params, list) and isinstance(grads, list) and 0 < len(params) == len(grads)):
        return None
    if not all(isinstance(p, np.ndarray) and isinstance(g, np.ndarray) and p.shape == g.shape
               for p, g in zip(params, grads)):
        return None
    return grads, list(grads)


def replaced_gradient_notes(obj: Any, held: tuple[list[Any], list[np.ndarray]] | None) -> list[ShapeNote]:
    """One `zero-gradient` failure per entry of the same `grads` list that backward replaced with another array."""
    if held is None or getattr(obj, "grads", None) is not held[0]:
        return []
    grads, before = held
    name = type(obj).__name__
    return [ShapeNote("zero-gradient", FAIL, (
        f"{name}.backward replaced grads[{i}] with a new array (self.grads[{i}] = ...) instead of writing into the "
        f"one its constructor made (self.grads[{i}][...] = ...): a model that gathered the layer's grads when it "
        f"was built (self.grads += layer.grads) keeps the old array, never written, so that parameter never "
        "trains (the values themselves are right)"), f"grads[{i}]")
        for i, (now, was) in enumerate(zip(grads, before)) if now is not was]

