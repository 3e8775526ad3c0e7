"""Diagnosis of the right values at the wrong positions: an axis order (`transposed`) or another order (`misrouted`).

A gradient that holds exactly the true values in other positions is one of two bugs, told apart by the positions:
- `transposed`: the positions are an axis order of the array, as DESIGN.md has it: the values read with their axes
  transposed, or flattened and reshaped in another axis order (a (N, H, W, C) gradient reshaped to (N, C, H, W)
  without its transpose), an axis possibly split in two (the groups of a group norm);
  or the true gradient of dout read in another axis order (a max pool whose dout is flattened in (N, C, H, W) order
  beside argmax rows in (N, H, W, C) order: each window's maximum gets another window's value, and handed dout with
  its axes reordered, backward returns the true dx);
- `misrouted`, as DECISIONS.md has it ("the right values at the wrong positions"): any other order. An LSTM whose
  gate gradients are stacked i, f where f, i belongs holds dWx's columns in another order.
And a gradient computed from such a misrouted one (dx = da @ Wx.T from the LSTM's reordered da) is no permutation
of its own true values; the layer tells it: with the parameter's slices put in the order the misrouted gradient has
them (after the forward, in place, as `gradlab.core.transposed_parameter` transposes one), backward returns the true
gradient (`routed_through_a_parameter`).
Non-goal: values that are not the true ones moved about (factors, dropped terms: `gradlab.core.diagnose`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from itertools import permutations

import numpy as np

from gradlab.core.diagnose_axes import close
from gradlab.core.diagnose_where import Found, agrees, norm
from gradlab.core.evidence import Evidence
from gradlab.core.protocol import grad_name

__all__ = ["axis_order", "moved_values", "routed_through_a_parameter", "slices_permuted"]

#: axis orders are searched among arrays of at most this many axes (after one split): 5! = 120 orders
MAX_ORDER_AXES = 5
#: a parameter's slices are put in another order only for parameters up to this size (its true gradient: 2 calls
#: per element)
MAX_PARAMETER_SIZE = 256


def _factor_pairs(size: int) -> list[tuple[int, int]]:
    return [(k, size // k) for k in range(2, size) if size % k == 0]


def _splits(shape: tuple[int, ...]) -> Iterator[tuple[int, ...]]:
    """`shape` itself, then `shape` with one axis split in two or three factors (an axis read as (G, C // G), the
    flattened features of an N-D input read back as (d1, d2, d3)), or two axes split in two each."""
    yield shape
    for i, size in enumerate(shape):
        for k, rest in _factor_pairs(size):
            yield shape[:i] + (k, rest) + shape[i + 1:]
            for m, last in _factor_pairs(rest):
                yield shape[:i] + (k, m, last) + shape[i + 1:]
            for j in range(i + 1, len(shape)):
                for p, q in _factor_pairs(shape[j]):
                    yield shape[:i] + (k, rest) + shape[i + 1:j] + (p, q) + shape[j + 1:]


def axis_order(a: np.ndarray, n: np.ndarray) -> bool:
    """`a` is `n` read in another axis order: n (one axis possibly split) transposed, then reshaped to a's shape;
    or the same of a giving n."""
    if a.size != n.size:
        return False
    for first, second in ((n, a), (a, n)):
        for shape in _splits(first.shape):
            if len(shape) > MAX_ORDER_AXES:
                continue
            moved = first.reshape(shape)
            for order in permutations(range(moved.ndim)):
                if order != tuple(range(moved.ndim)) and close(moved.transpose(order).reshape(second.shape), second):
                    return True
    return False


def slices_permuted(a: np.ndarray, n: np.ndarray) -> tuple[int, list[int]] | None:
    """(axis, order) when a's slices along `axis` are n's in another order: a.take(order, axis) == ... read as
    a[j] == n[order[j]] along that axis; None otherwise. Equal slices of n (two zero columns) may go either way."""
    if a.shape != n.shape:
        return None
    for axis in range(a.ndim):
        if a.shape[axis] < 2:
            continue
        mine, theirs = np.moveaxis(a, axis, 0), np.moveaxis(n, axis, 0)
        scale = np.abs(n).max(initial=0.0)
        order: list[int] = []
        for j in range(mine.shape[0]):
            k = next((k for k in range(theirs.shape[0]) if k not in order and
                      np.all(np.abs(mine[j] - theirs[k]) <= 1e-4 * max(float(scale), 1e-300))), None)
            if k is None:
                break
            order.append(k)
        if len(order) == mine.shape[0] and order != sorted(order) and \
                not close(np.take(n, order, axis=axis), n):  # equal slices swapped are no move at all
            return axis, order
    return None


def _runs(order: list[int]) -> str:
    """Where the slices that moved came from, as ranges: 'index 0-1 holds what belongs at 2-3, 2-3 what belongs at
    0-1'."""
    moved = [(j, k) for j, k in enumerate(order) if j != k]
    parts, start = [], 0
    while start < len(moved):
        end = start
        while end + 1 < len(moved) and moved[end + 1][0] == moved[end][0] + 1 and \
                moved[end + 1][1] == moved[end][1] + 1:
            end += 1
        (j0, k0), (j1, k1) = moved[start], moved[end]
        parts.append((f"{j0}-{j1}", f"{k0}-{k1}") if j1 > j0 else (str(j0), str(k0)))
        start = end + 1
    said = [f"{here} what belongs at {there}" for here, there in parts[:4]]
    return "index " + said[0].replace(" what", " holds what", 1) + "".join(", " + p for p in said[1:]) + \
        (", ..." if len(parts) > 4 else "")


def _moved_block(a: np.ndarray, n: np.ndarray) -> tuple[slice, ...] | None:
    """The smallest box holding every element where a and n differ, when it is not all of them: a block computed
    apart (a stacked parameter's gate) is where the values moved."""
    scale = max(float(np.abs(n).max(initial=0.0)), float(np.abs(a).max(initial=0.0)), 1e-300)
    where = np.argwhere(np.abs(a - n) > 1e-4 * scale)
    if not len(where):
        return None
    box = tuple(slice(int(lo), int(hi) + 1) for lo, hi in zip(where.min(axis=0), where.max(axis=0)))
    return None if all(b.stop - b.start == size for b, size in zip(box, a.shape)) else box


def _orders(shape: tuple[int, ...]) -> Iterator[tuple[str, Callable[[np.ndarray], np.ndarray]]]:
    """Each way to read an array of `shape` in another axis order and keep its shape: transposed then reshaped, or
    reshaped to the permuted shape then transposed back (the two directions of one reinterpretation)."""
    if not 2 <= len(shape) <= MAX_ORDER_AXES:
        return
    for order in permutations(range(len(shape))):
        if order == tuple(range(len(shape))):
            continue
        permuted = tuple(shape[i] for i in order)
        back = tuple(int(i) for i in np.argsort(order))
        yield f"transpose{order}", partial(_transposed_then_reshaped, order=order, shape=shape)
        yield f"transpose{back}", partial(_reshaped_then_transposed, shape=permuted, order=back)


def _transposed_then_reshaped(G: np.ndarray, *, order: tuple[int, ...], shape: tuple[int, ...]) -> np.ndarray:
    return G.transpose(order).reshape(shape)


def _reshaped_then_transposed(G: np.ndarray, *, shape: tuple[int, ...], order: tuple[int, ...]) -> np.ndarray:
    return G.reshape(shape).transpose(order)


def upstream_in_another_order(name: str, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """dx is the true gradient of dout read in another axis order: handed dout with its axes reordered, backward
    returns the true dx (a max pool's dout flattened in (N, C, H, W) order beside argmax rows in (N, H, W, C) order:
    each window's maximum gets the right routing and another window's value)."""
    if ev is None or ev.G is None or ev.target != "x":
        return None
    G = np.asarray(ev.G, dtype=np.float64)
    for said, reorder in _orders(G.shape):
        got = ev.dx_for_upstream(reorder(G))
        if got is not None and got.shape == ev.x.shape and close(np.asarray(ev.show(got), dtype=np.float64), n):
            return Found("transposed", f"{name} holds exactly the right values, each output's at the position of "
                         f"another output: backward reads dout in another axis order (given dout.{said}, reshaped "
                         "back, it returns the true gradient). Transpose dout to the order forward's output had "
                         "before its own transpose (e.g. dout.transpose(0, 2, 3, 1) before dout.flatten(), where "
                         "forward's rows are (N, H, W, C))")
    return None


def _swapped_within(n: np.ndarray, splits: dict[int, tuple[int, int]]) -> tuple[np.ndarray, bool]:
    """n with each axis i in `splits` read as (k, rest) and read back as (rest, k) (np.tile's order where np.repeat's
    belongs), and whether n holds copies along one of those factors (each output's value spread over k elements)."""
    shape: list[int] = []
    for i, size in enumerate(n.shape):
        shape += list(splits[i]) if i in splits else [size]
    moved = n.reshape(shape)
    order, copies, at = list(range(len(shape))), False, 0
    for i in range(n.ndim):
        if i in splits:
            order[at], order[at + 1] = at + 1, at
            copies = copies or any(moved.shape[j] > 1 and close(moved, np.broadcast_to(moved.take([0], axis=j),
                                                                                 moved.shape)) for j in (at, at + 1))
            at += 2
        else:
            at += 1
    return moved.transpose(order).reshape(n.shape), copies


def copies_moved_within_axes(a: np.ndarray, n: np.ndarray) -> bool:
    """`a` is `n`, which holds copies of each output's gradient (a pooling window's, an upsampling's), with each copy
    read at another element of its own axis: every element keeps its axis, so no transpose moved it; the copies were
    spread in another order (np.tile where np.repeat belongs). One or two axes, each split in two factors."""
    if a.shape != n.shape or a.ndim > 6:
        return False
    axes = [(i, kr) for i, size in enumerate(n.shape) for kr in _factor_pairs(size)]
    for one in range(len(axes)):
        for two in [None, *range(one + 1, len(axes))]:
            picked = [axes[one]] + ([axes[two]] if two is not None else [])
            if len({i for i, _ in picked}) < len(picked):
                continue
            moved, copies = _swapped_within(n, dict(picked))
            if copies and close(moved, a):
                return True
    return False


def moved_values(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None = None) -> Found:
    """The sentence for a gradient whose values are exactly the true ones in other positions."""
    if copies_moved_within_axes(a, n):
        return Found("misrouted", f"{name} holds exactly the right values, but each output's gradient, copied over the "
                     "elements that produced it, sits at other elements of the same axes: the copies were spread in "
                     "another order, so each element gets another output's gradient (np.tile where np.repeat belongs)")
    if axis_order(a, n):
        return Found("transposed", f"{name} holds exactly the right values, in the wrong positions: an axis order "
                     "(a transpose or reshape) is off")
    found = upstream_in_another_order(name, n, ev)
    if found is not None:
        return found
    box = _moved_block(a, n)
    if box is not None and close(np.sort(a[box], axis=None), np.sort(n[box], axis=None)) and axis_order(a[box], n[box]):
        where = ", ".join(f"{b.start}:{b.stop}" for b in box)
        return Found("transposed", f"{name} holds exactly the right values, in the wrong positions within its block "
                     f"[{where}] (the rest is right): that block's axis order (a transpose or reshape) is off, as in a "
                     "stacked gate's d_cand.T @ x where x.T @ d_cand belongs")
    sliced = slices_permuted(a, n)
    if sliced is not None:
        axis, order = sliced
        return Found("misrouted", f"{name} holds the right values, with its slices along axis {axis} in another order "
                     f"({_runs(order)}): parts computed right were stacked or stored in the wrong order (gate "
                     "gradients stacked in another order than the forward's gates, time steps stored reversed)")
    return Found("misrouted", f"{name} holds exactly the right values, at the wrong positions, and in no axis order of "
                 f"{name} (a transpose or reshape would be one): each output's gradient went to elements that "
                 "belong to another output (e.g. dout flattened in another order than a max pool's stored argmax rows)")


def routed_through_a_parameter(name: str, a: np.ndarray, n: np.ndarray, ev: Evidence | None) -> Found | None:
    """`name` is computed from a gradient whose slices are in the wrong order: some parameter's gradient holds its
    true slices in another order, and with that parameter's slices put in the same order after the forward, backward
    returns the true `name` (dx = da @ Wx.T, from an LSTM's da with two gates' blocks swapped)."""
    if ev is None or ev.G is None or a.shape != n.shape:
        return None
    error = norm(a - n)
    for key, p in ev.layer.params.items():
        if key == ev.target or not isinstance(p, np.ndarray) or not np.issubdtype(p.dtype, np.floating) \
                or not 0 < p.size <= MAX_PARAMETER_SIZE or p.ndim < 1:
            continue
        pair = ev.gradient_pair(key)
        if pair is None:
            continue
        sliced = slices_permuted(*pair)
        if sliced is None:
            continue
        axis, order = sliced
        g = _backward_with_slices(ev, p, axis, order)
        if agrees(g, n, error):
            said = grad_name(ev.layer, key)
            return Found("misrouted", f"{name} is computed from a gradient routed to the wrong positions: {said} holds "
                         f"its true slices along axis {axis} in another order ({_runs(order)}), and with "
                         f"{said[1:] if said.startswith('d') else key}'s slices put in that order after the forward, "
                         f"backward returns the true {name}: parts computed right were stacked in the wrong order "
                         "(e.g. an LSTM's gate gradients stacked i, f where the forward's a[:, :H] is f)")
    return None


def _backward_with_slices(ev: Evidence, p: np.ndarray, axis: int, order: list[int]) -> np.ndarray | None:
    """The target's gradient (user's orientation) after the case's forward, with p's slices along `axis` put in
    `order` in place (the arrays a cache holds are the parameter itself); p put back after."""
    def reorder(q: np.ndarray, saved: np.ndarray) -> None:
        q[...] = np.take(saved, order, axis=axis)

    return ev.backward_with_altered(p, reorder)
