"""Output separation: the central differences of many elements from one pair of forward calls, exactly.

Where moving element `c` of an array can only move the outputs of "slice" `c` (an affine layer's
`W[j, k]` and `b[k]` move output column `k` only; batch norm's `x[i, d]` moves output column `d`
only; a per-sample layer's `x[i, j]` moves output row `i` only), one element of every slice can be
moved at once -- a *fiber* -- and each slice's outputs still show that slice's element alone: the
outputs of a whole fiber of central differences come from one pair of forward calls instead of one
pair per element (compressed Jacobians, Curtis, Powell & Reid 1974, for a structure proved first).
An affine layer 128 -> 64 then costs 2 * 128 calls for W instead of 2 * 8192.

The structure is never assumed, it is proved on the layer at hand (`find_structure`): a candidate
pairs axes of the array with output axes of the same length; the elements of half the slices are
moved at a time, chosen by each bit of the slice index and its complement, so that every ordered
pair of distinct slices is separated at least once, and the outputs of every slice not moved must
stay *bit for bit* as they were. Moves are random (continuous magnitudes of one to two steps,
random signs), so two dependencies cannot cancel. A layer that does not satisfy it (a softmax
couples every column, batch norm couples the samples) fails the proof, usually in its first call,
and its next candidate or the element loop is used instead.

Under a proved structure each slice's outputs are bit for bit those of a single-element
perturbation, and the rest of the output does not move, so `separated_gradient` builds the very
rows of differences the element loop (`numeric.batched_gradient`) builds and sums them with G in the
same chunks: the same numbers, bit for bit, from far fewer calls.
Non-goals: structures the layer does not prove, loss layers (a scalar output has no slices), and
layers in another process (their `forward_perturbed` hook already batches a chunk per round trip).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradlab.core import numeric

__all__ = ["Structure", "candidates", "find_structure", "gradient", "separated_gradient"]

#: candidate pairings tried per array, best first (a failing one usually costs one or two calls)
MAX_CANDIDATES = 6
#: float64 elements of the fibers' output differences kept at once (as `numeric.STACK_BUDGET`)
BUDGET = numeric.STACK_BUDGET


@dataclass(frozen=True)
class Structure:
    """A proved pairing: array axis `axes[i]` indexes the same slices as output axis `out_axes[i]`."""

    axes: tuple[int, ...]
    out_axes: tuple[int, ...]
    slices: int      # elements moved together (one per slice)
    fibers: int      # pairs of forward calls the gradient costs
    proof_calls: int  # forward calls spent proving it (failed candidates included)

    def describe(self) -> str:
        pairs = ", ".join(f"axis {a} -> output axis {o}" for a, o in zip(self.axes, self.out_axes))
        return f"{self.slices} elements per call ({pairs})"


def candidates(shape: tuple[int, ...], out_shape: tuple[int, ...]) -> list[tuple[tuple[int, ...], tuple[int, ...]]]:
    """Pairings of array axes with distinct output axes of the same length (> 1), best first: most
    elements per call, then axes aligned from the end (W's last axis and the output's), then by index."""
    options: list[tuple[tuple[int, ...], tuple[int, ...]]] = []

    def extend(axis: int, axes: tuple[int, ...], outs: tuple[int, ...]) -> None:
        if axis == len(shape):
            if axes:
                options.append((axes, outs))
            return
        extend(axis + 1, axes, outs)
        for o, n in enumerate(out_shape):
            if n == shape[axis] and n > 1 and o not in outs:
                extend(axis + 1, (*axes, axis), (*outs, o))

    extend(0, (), ())

    def rank(option: tuple[tuple[int, ...], tuple[int, ...]]) -> tuple[int, int, int]:
        axes, outs = option
        slices = int(np.prod([shape[a] for a in axes]))
        unaligned = sum(len(shape) - a != len(out_shape) - o for a, o in zip(axes, outs))
        moved = sum(a != o for a, o in zip(axes, outs))
        return (-slices, unaligned, moved)

    return sorted(options, key=rank)


def _slice_index(shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """For every element of an array of `shape` (flat, C order), the flat index of its slice: its
    coordinates along `axes`, in that order."""
    if not shape:
        return np.zeros(1, dtype=np.intp)
    coords = np.indices(shape).reshape(len(shape), -1)
    return np.ravel_multi_index(tuple(coords[a] for a in axes), tuple(shape[a] for a in axes)).astype(np.intp)


def _fiber_index(shape: tuple[int, ...], axes: tuple[int, ...]) -> np.ndarray:
    """For every element, the flat index of its fiber: its coordinates along the other axes."""
    rest = tuple(a for a in range(len(shape)) if a not in axes)
    if not rest:
        return np.zeros(int(np.prod(shape)), dtype=np.intp)
    return _slice_index(shape, rest)


def _output(evaluate: Callable[[], np.ndarray]) -> np.ndarray:
    return np.array(evaluate(), dtype=np.float64, copy=True)


def _proves(evaluate: Callable[[], np.ndarray], flat: np.ndarray, saved: np.ndarray, moves: np.ndarray,
            arr_slice: np.ndarray, out_slice: np.ndarray, y0: np.ndarray, slices: int) -> tuple[bool, int]:
    """Whether moving the elements of half the slices at a time leaves every other slice's outputs
    bit for bit unchanged (each bit of the slice index, and its complement); and the calls spent."""
    calls = 0
    y0f = y0.reshape(-1)
    for bit in range(max(1, int(slices - 1).bit_length())):
        for value in (1, 0):
            moved = ((arr_slice >> bit) & 1) == value
            kept = ((out_slice >> bit) & 1) != value
            if not moved.any() or not kept.any():
                continue
            flat[moved] = saved[moved] + moves[moved]
            calls += 1
            try:
                y = _output(evaluate)
            except Exception:  # the element loop will meet (and report) whatever this was
                return False, calls
            finally:
                flat[moved] = saved[moved]
            if y.size != y0f.size or not np.array_equal(y.reshape(-1)[kept], y0f[kept]):
                return False, calls
    return True, calls


def find_structure(evaluate: Callable[[], np.ndarray], arr: np.ndarray, y0: np.ndarray, h: np.ndarray, *,
                   rng: np.random.Generator) -> Structure | None:
    """The best pairing of `arr`'s axes with output axes that the layer proves (see the module
    docstring), or None. `evaluate()` must read `arr`, which is moved in place and restored bit for bit."""
    shape, out_shape = tuple(arr.shape), tuple(np.shape(y0))
    flat = arr.reshape(-1)
    if flat.size < 2 or not out_shape or not np.shares_memory(flat, arr):
        return None
    saved = flat.copy()
    # moves of one to two steps, random signs: every element really moves, and nothing cancels
    moves = h.reshape(-1) * (1.0 + rng.random(flat.size)) * rng.choice([-1.0, 1.0], size=flat.size)
    spent = 0
    try:
        for axes, outs in candidates(shape, out_shape)[:MAX_CANDIDATES]:
            slices = int(np.prod([shape[a] for a in axes]))
            fibers = flat.size // slices
            proof = 2 * max(1, int(slices - 1).bit_length())
            if proof + 2 * fibers >= 2 * flat.size or fibers * int(np.prod(out_shape)) > BUDGET:
                continue  # no cheaper than the element loop, or too much to keep
            ok, calls = _proves(evaluate, flat, saved, moves, _slice_index(shape, axes),
                                _slice_index(out_shape, outs), y0, slices)
            spent += calls
            if ok:
                return Structure(axes, outs, slices, fibers, spent)
    finally:
        flat[...] = saved
    return None


def separated_gradient(evaluate: Callable[[], np.ndarray], arr: np.ndarray, y0: np.ndarray, G: np.ndarray,
                       h: np.ndarray, structure: Structure) -> np.ndarray:
    """dL/d(arr), L = sum(G * y), by central differences a fiber at a time under a proved `structure`:
    bit for bit what `numeric.batched_gradient` returns, from 2 * `structure.fibers` forward calls."""
    shape, out_shape = tuple(arr.shape), tuple(np.shape(y0))
    flat = arr.reshape(-1)
    saved = flat.copy()
    plus, minus, half = numeric.exact_steps(saved, h.reshape(-1))
    arr_slice = _slice_index(shape, structure.axes)
    arr_fiber = _fiber_index(shape, structure.axes)
    out_size = int(np.prod(out_shape))
    # the output positions of each slice, and the elements of each fiber (one per slice)
    positions = np.argsort(_slice_index(out_shape, structure.out_axes), kind="stable").reshape(structure.slices, -1)
    members = np.argsort(arr_fiber, kind="stable").reshape(structure.fibers, structure.slices)
    diffs = np.empty((structure.fibers, out_size))
    try:
        for f, elements in enumerate(members):
            flat[elements] = plus[elements]
            yp = _output(evaluate).reshape(-1)
            flat[elements] = minus[elements]
            ym = _output(evaluate).reshape(-1)
            flat[elements] = saved[elements]
            np.subtract(yp, ym, out=diffs[f])
    finally:
        flat[...] = saved
    # element k's row of differences, as the element loop has it: its fiber's differences on its
    # slice's outputs, exact zeros elsewhere (y0 - y0); summed with G in the element loop's chunks
    Gf = np.asarray(G, dtype=np.float64).reshape(-1)
    grad = np.empty(flat.size)
    chunk = numeric.chunk_size(out_size)
    rows = np.zeros((min(chunk, flat.size), out_size))  # one buffer: fresh memory costs page faults
    for start in range(0, flat.size, chunk):
        idx = np.arange(start, min(flat.size, start + chunk))
        at = (np.arange(idx.size)[:, None], positions[arr_slice[idx]])
        rows[at] = diffs[arr_fiber[idx][:, None], at[1]]
        grad[idx] = (rows[:idx.size] @ Gf) / (2.0 * half[idx])
        rows[at] = 0.0
    return grad.reshape(shape)


def gradient(evaluate: Callable[[], np.ndarray], arr: np.ndarray, y0: np.ndarray, G: np.ndarray, h: np.ndarray, *,
             rng: np.random.Generator) -> tuple[np.ndarray, Structure] | None:
    """(dL/d(arr), the structure used) when the layer proves a structure worth using, else None."""
    structure = find_structure(evaluate, arr, y0, h, rng=rng)
    if structure is None:
        return None
    try:
        return separated_gradient(evaluate, arr, y0, G, h, structure), structure
    except Exception:  # a fiber the layer cannot take: the element loop meets (and reports) it itself
        return None

