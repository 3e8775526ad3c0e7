"""What the normalisation kinds share (batch, layer, spatial batch and group norm): the normalised output
under each epsilon courses use, over the axes a kind normalises, and the reading of a dx whose mean's or
variance's path is wrong (dropped, of the wrong sign, with N - 1, without eps, over the wrong axis). The
forward law every one of them obeys (`NormLaw`: each group's outputs are γ·(x − mean)/σ + β over its own
values) is `gradlab.kinds.norm_law`.

Non-goal: anything about one kind in particular (its own module says which axes, which shapes).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradlab.core.kind import Case

#: epsilons courses use; the reference's first
EPSILONS = (1e-5, 1e-7, 1e-8, 1e-6, 1e-4, 1e-3, 0.0)
#: a fit "explains" dx when what it leaves is below this fraction of ||a|| + ||n||
LEFT = 1e-6
#: a path's measured factor is a named one (0, -1, 1, N/(N-1)) within this
FACTOR_TOL = 1e-3
#: a path counts (its factor is read) when it holds at least this fraction of ||a|| + ||n||
COUNTS = 1e-3


def normalised(x: np.ndarray, axes: tuple[int, ...], gamma: np.ndarray, beta: np.ndarray) -> list[np.ndarray]:
    """γ·(x − mean)/sqrt(var + eps) + β, the mean and variance over `axes`, for each of `EPSILONS`."""
    mu, var = x.mean(axis=axes, keepdims=True), x.var(axis=axes, keepdims=True)
    return [gamma * (x - mu) / np.sqrt(var + eps) + beta for eps in EPSILONS]


def _stat_terms(rows: np.ndarray, diff: np.ndarray) -> tuple[float, float, float]:
    """Per normalised group (a row), `diff` fitted by a multiple of 1 and of x̂: the norms of the two fitted
    parts and of what is left over (1 and x̂ are orthogonal, so the fit is two projections)."""
    centred = rows - rows.mean(axis=1, keepdims=True)
    xhat = centred / np.maximum(np.sqrt(np.mean(centred ** 2, axis=1, keepdims=True)), 1e-300)
    mean_part = np.repeat(diff.mean(axis=1, keepdims=True), rows.shape[1], axis=1)
    var_part = xhat * np.sum(diff * xhat, axis=1, keepdims=True) / np.maximum(np.sum(xhat ** 2, axis=1,
                                                                                       keepdims=True), 1e-300)
    rest = diff - mean_part - var_part
    return float(np.linalg.norm(mean_part)), float(np.linalg.norm(var_part)), float(np.linalg.norm(rest))


@dataclass(frozen=True)
class Paths:
    """dx, in each normalised group, as (direct, mean's, variance's) coefficients on dx̂, 1 and u (the group's
    centred values scaled to mean square 1): dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ is exactly such a
    combination, whatever eps is. `left` is what the three leave unexplained (0 for any such combination)."""

    direct: np.ndarray  # (groups,)
    mean: np.ndarray
    var: np.ndarray
    left: float


def _paths(rows: np.ndarray, dxhat: np.ndarray, dx: np.ndarray) -> Paths:
    centred = rows - rows.mean(axis=1, keepdims=True)
    u = centred / np.maximum(np.sqrt(np.mean(centred ** 2, axis=1, keepdims=True)), 1e-300)
    coef = np.empty((rows.shape[0], 3))
    left = 0.0
    for g in range(rows.shape[0]):
        basis = np.stack([dxhat[g], np.ones(rows.shape[1]), u[g]], axis=1)
        c, *_ = np.linalg.lstsq(basis, dx[g], rcond=None)
        coef[g] = c
        left += float(np.sum((basis @ c - dx[g]) ** 2))
    return Paths(coef[:, 0], coef[:, 1], coef[:, 2], float(np.sqrt(left)))


def _ratio(got: np.ndarray, true: np.ndarray, counts: np.ndarray) -> float | None:
    """One factor relating `got` to `true` over the groups where the true path counts; None if none does or
    the groups disagree on it."""
    t, g = true[counts], got[counts]
    if not t.size:
        return None
    k = float(g @ t / (t @ t))
    return k if np.all(np.abs(g - k * t) <= FACTOR_TOL * np.abs(t)) else None


def _is(k: float | None, value: float) -> bool:
    return k is not None and abs(k - value) <= FACTOR_TOL * max(1.0, abs(value))


def _eps_left_out(rows: np.ndarray, true: Paths, got: Paths, scale: float) -> tuple[str, str] | None:
    """A backward whose σ is sqrt(var) where the forward's is sqrt(var + eps): in each group the direct part and
    the mean's path are then k = sqrt((var + eps) / var) times the true ones and the variance's path k**3 times,
    for one of the usual epsilons; predicted, and compared with the analytic dx's parts to LEFT."""
    var = np.mean(rows ** 2, axis=1) - np.mean(rows, axis=1) ** 2
    size = np.sqrt(rows.shape[1])
    for eps in EPSILONS[:-1]:
        k = np.sqrt((var + eps) / np.maximum(var, 1e-300))
        off = np.concatenate([got.direct - k * true.direct, got.mean - k * true.mean, got.var - k ** 3 * true.var])
        seen = np.concatenate([got.direct, got.mean, got.var]) - np.concatenate([true.direct, true.mean, true.var])
        # the parts' coefficients times the size of their vectors: dx̂'s and 1's and u's norms are ~ sqrt(size)
        if np.linalg.norm(off) * size <= LEFT * scale and np.linalg.norm(seen) > 100 * np.linalg.norm(off):
            return ("scaled", f"dx is too large by sqrt((var + eps) / var) in each group (up to {k.max():.6g} here, "
                    f"eps = {eps:g}): the backward divides by sqrt(var) where the forward divided by sqrt(var + eps); "
                    "use the same σ = sqrt(var + eps) in both")
    return None


def _power_of_sigma(true: Paths, got: Paths, path: str, scale: float) -> tuple[str, str] | None:
    """One path off by a power of σ, a different factor in each group (the rest right): (var + eps) ** -0.5
    where ** -1 belongs, a / std missing or doubled in that term."""
    t, g = (true.mean, got.mean) if path == "mean's" else (true.var, got.var)
    sigma = 1.0 / true.direct
    for p in (1.0, -1.0, 2.0, -2.0, 0.5, -0.5):
        want = sigma ** p * t
        if np.all(np.abs(g - want) <= FACTOR_TOL * np.abs(want) + COUNTS * scale) and not np.allclose(sigma ** p, 1.0):
            return ("scaled", f"the {path} path of dx is σ**{p:g} times the true one in each group (σ = sqrt(var + "
                    "eps)), the rest right: a power of σ in that term is off, e.g. (var + eps) ** -0.5 where ** -1 "
                    "belongs")
    return None


def _read_at(rows: np.ndarray, dxhat: np.ndarray, true: Paths, a: np.ndarray, n: np.ndarray,
             scale: float) -> tuple[str, str] | None:
    """The variance's path x̂·mean(dx̂·x̂)/σ computed with x or x − mean where x̂ belongs (in either place or
    both): each such dx is predicted from the true one, and one that matches the analytic dx is `wrong-input`."""
    sigma = 1.0 / true.direct[:, None]
    centred = rows - rows.mean(axis=1, keepdims=True)
    arrays = {"x̂": centred / sigma, "(x − mean)": centred, "x": rows}
    right = arrays["x̂"] * np.mean(dxhat * arrays["x̂"], axis=1, keepdims=True) / sigma
    for p_name, p in arrays.items():
        for q_name, q in arrays.items():
            if p_name == q_name == "x̂":
                continue
            predicted = n + right - p * np.mean(dxhat * q, axis=1, keepdims=True) / sigma
            if np.linalg.norm(predicted - a) <= LEFT * scale:
                what = p_name if p_name == q_name else f"{p_name} and {q_name}"
                return ("wrong-input", f"dx's variance path reads {what} where x̂ belongs: it is "
                        f"{p_name}·mean(dx̂·{q_name}) / σ, where the true one is x̂·mean(dx̂·x̂) / σ (x̂ = (x − mean) "
                        "/ σ, the normalised input the forward cached)")
    return None


def _per_element(case: Case, groups: Callable[[Case, np.ndarray], np.ndarray], per_group: np.ndarray) -> np.ndarray:
    """A value per normalised group (a row of `groups`) laid out in x's shape, each element its group's."""
    ids = groups(case, np.arange(case.x.size, dtype=np.float64).reshape(case.x.shape)).astype(int)
    flat = np.empty(case.x.size)
    flat[ids.reshape(-1)] = np.repeat(per_group, ids.shape[1])
    return flat.reshape(case.x.shape)


def _dgamma_read_at(case: Case, groups: Callable[[Case, np.ndarray], np.ndarray], analytic: np.ndarray,
                    numeric: np.ndarray, out: np.ndarray, upstream: np.ndarray) -> tuple[str, str] | None:
    """dγ = Σ dout·x̂ computed with another array of the forward where x̂ belongs (x − mean, x, 1/σ, σ, the
    output): `wrong-input`, read against the σ (of the usual epsilons) whose x̂ is the layer's output's."""
    gamma, beta = case.params.get("gamma"), case.params.get("beta")
    if gamma is None or beta is None or gamma.size != analytic.size or upstream.shape != case.x.shape or \
            out.shape != case.x.shape or case.x.ndim < 2 or gamma.size != case.x.shape[1]:
        return None
    spread = (1, -1, *([1] * (case.x.ndim - 2)))
    axes = tuple(a for a in range(case.x.ndim) if a != 1)
    rows = groups(case, case.x)
    centred = case.x - _per_element(case, groups, rows.mean(axis=1))
    scale = max(float(np.abs(numeric).max(initial=0.0)), 1e-300)
    for eps in EPSILONS:
        sigma = _per_element(case, groups, np.sqrt(rows.var(axis=1) + eps))
        xhat = centred / sigma
        if not np.allclose(gamma.reshape(spread) * xhat + beta.reshape(spread), out, rtol=1e-6, atol=1e-9):
            continue
        for name, y in (("(x − mean)", centred), ("x", case.x), ("1/σ", 1.0 / sigma), ("σ", sigma),
                        ("the output", out), ("x̂·γ", xhat * gamma.reshape(spread))):
            wrote = (upstream * y).sum(axis=axes).reshape(analytic.shape)
            if np.allclose(wrote, analytic, rtol=0.0, atol=1e-6 * scale) and \
                    not np.allclose(wrote, numeric, rtol=0.0, atol=1e-3 * scale):
                return ("wrong-input", f"dγ sums dout · {name} where dout · x̂ belongs: dγ = Σ dout · x̂ over every "
                        "axis but γ's, x̂ = (x − mean) / σ the normalised input the forward cached")
        return None
    return None


def _other_axis(case: Case, groups: Callable[[Case, np.ndarray], np.ndarray], diff: np.ndarray,
                scale: float, inv_sigma: np.ndarray | None = None) -> str | None:
    """Which axis `diff` (in x's shape) is constant along beyond its constant per normalised group: a mean's path
    taken along that axis instead of the group's. Only for 2-D x (N, D). `inv_sigma` (1/σ per group, the direct
    part's coefficient) lets that wrong mean be divided by its element's group's σ, as every path of dx is
    (dx = (dx̂ − mean(dx̂) − ...) / σ with the mean of dx̂ over each sample's features: constant along the wrong
    axis only once multiplied by σ)."""
    if diff.ndim != 2 or min(diff.shape) < 2:
        return None
    group_ids = groups(case, np.arange(diff.size, dtype=np.float64).reshape(diff.shape)).astype(int)
    own = np.zeros((diff.size, group_ids.shape[0]))
    for g, members in enumerate(group_ids):
        own[members, g] = 1.0
    flat = diff.reshape(-1)

    def left(extra: np.ndarray | None) -> float:
        basis = own if extra is None else np.concatenate([own, extra], axis=1)
        c, *_ = np.linalg.lstsq(basis, flat, rcond=None)
        return float(np.linalg.norm(basis @ c - flat))

    if left(None) <= LEFT * scale:
        return None  # a mean's path over the right axis, right or wrong in size: the path reading says which
    N, D = diff.shape
    weights = [np.ones(diff.size)]
    if inv_sigma is not None and inv_sigma.size == group_ids.shape[0]:
        weights.append(_per_element(case, groups, inv_sigma).reshape(-1))
    for axis, label in ((1, "axis 1 (each sample's features)"), (0, "axis 0 (the batch)")):
        ids = np.repeat(np.arange(N), D) if axis == 1 else np.tile(np.arange(D), N)
        for w in weights:
            extra = np.zeros((diff.size, int(ids.max()) + 1))
            extra[np.arange(diff.size), ids] = w
            if left(extra) <= LEFT * scale:
                return label
    return None


@dataclass(frozen=True)
class StatsPathReader:
    """`Kind.explain` for a normalisation: dx read path by path. In each normalised group the true dx is
    (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ, dx̂ = dout·γ: a direct part, the mean's path and the variance's path.
    The analytic dx fitted the same way says which path is wrong and how: missing (`dropped-term`), of the
    wrong sign (`sign-flip`), the variance's with N − 1 where the forward's has N (`scaled`), every part off by
    sqrt((var + eps) / var) in each group (eps left out of the backward: `scaled`), or γ left out (`scaled`);
    or a mean's path taken along another axis than the group's (`couples-samples`, as a normalisation over
    the wrong axis). Groups of one or two values say nothing (any difference is such a multiple there); a dx
    these do not explain is left to the general diagnosis.

    `groups(case, array)` lays an array of x's shape out as one row per normalised group; `where` says
    over what the statistics are taken."""

    groups: Callable[[Case, np.ndarray], np.ndarray]
    where: str
    #: `Kind.explain` protocol: the paths are sums of dout, so the reading needs it
    reads_upstream: bool = True

    def __call__(self, case: Case, target: str, analytic: np.ndarray, numeric: np.ndarray,
                 out: np.ndarray, upstream: np.ndarray | None = None) -> tuple[str, str] | None:
        if target == "gamma" and upstream is not None:
            return _dgamma_read_at(case, self.groups, analytic, numeric, out, upstream)
        if target != "x" or analytic.shape != case.x.shape:
            return None
        rows = self.groups(case, case.x)
        if rows.shape[1] < 3:
            return None
        scale = float(np.linalg.norm(analytic) + np.linalg.norm(numeric))
        gamma = case.params.get("gamma")
        if upstream is None or upstream.shape != case.x.shape or gamma is None or gamma.size != case.x.shape[1]:
            return self._without_upstream(case, rows, analytic, numeric, scale)
        spread = gamma.reshape(1, -1, *([1] * (case.x.ndim - 2)))
        dxhat = self.groups(case, upstream * spread)
        a, n = self.groups(case, analytic), self.groups(case, numeric)
        true, got = _paths(rows, dxhat, n), _paths(rows, dxhat, a)
        if got.left <= LEFT * scale and true.left <= LEFT * scale:
            found = _read_at(rows, dxhat, true, a, n, scale) or self._read(case, rows, true, got, gamma, scale)
            if found is not None:
                return found
        axis = _other_axis(case, self.groups, analytic - numeric, scale, true.direct)
        if axis is not None:
            return ("couples-samples", f"dx's mean path is taken along {axis}, the wrong axis: it belongs along "
                    f"the statistics' own (the mean and variance {self.where}), as dx = (dx̂ − mean(dx̂) − "
                    "x̂·mean(dx̂·x̂)) / σ takes both means there")
        return None

    def _read(self, case: Case, rows: np.ndarray, true: Paths, got: Paths, gamma: np.ndarray,
              scale: float) -> tuple[str, str] | None:
        size = rows.shape[1]
        found = _eps_left_out(rows, true, got, scale)
        if found is not None:
            return found
        direct = _ratio(got.direct, true.direct, np.abs(true.direct) > 0)
        if direct is not None:
            def counts(t: np.ndarray) -> np.ndarray:  # a path too small to read says nothing
                return np.abs(t) * np.sqrt(size) > COUNTS * scale

            mean, var = _ratio(got.mean, true.mean, counts(true.mean)), _ratio(got.var, true.var, counts(true.var))
            if _is(direct, 1.0) and (mean is None) != (var is None):
                return _power_of_sigma(true, got, "mean's" if mean is None else "variance's", scale)
            return self._parts(size, direct, mean, var)
        # each group off by its own factor k, every part alike: gamma left out (k = 1 / gamma), sigma divided by
        # twice (k = 1 / sigma) or not at all (k = sigma)
        k = got.direct / true.direct

        def off_by(got_part: np.ndarray, true_part: np.ndarray, factor: np.ndarray) -> bool:
            want = factor * true_part
            return bool(np.all(np.abs(got_part - want) <= FACTOR_TOL * np.abs(want) + COUNTS * scale))

        if not (off_by(got.mean, true.mean, k) and off_by(got.var, true.var, k)):
            return None
        # every part off by one factor per group: gamma left out, or sigma once too often or not at all
        g = self.groups(case, np.broadcast_to(gamma.reshape(1, -1, *([1] * (case.x.ndim - 2))), case.x.shape))
        if np.all(g == g[:, :1]) and np.allclose(k * g[:, 0], 1.0, rtol=FACTOR_TOL):
            return ("scaled", "dx is the true gradient divided by γ in each group: γ is left out of the backward, "
                    "which starts from dx̂ = dout · γ")
        sigma = 1.0 / true.direct
        if np.allclose(k * sigma, 1.0, rtol=FACTOR_TOL):
            return ("scaled", "dx is the true gradient divided by σ = sqrt(var + eps) once more in each group: the "
                    "backward divides by σ**2 (or var + eps) where dx = (...) / σ divides once")
        if np.allclose(k, sigma, rtol=FACTOR_TOL):
            return ("scaled", "dx is the true gradient times σ = sqrt(var + eps) in each group: the backward leaves "
                    "out the division by σ, dx = (dx̂ − mean(dx̂) − x̂·mean(dx̂·x̂)) / σ")
        return None

    def _parts(self, size: int, direct: float, mean: float | None, var: float | None) -> tuple[str, str] | None:
        """Each part of dx one factor of the true part, the same in every group: what is wrong with which."""
        if mean is None or var is None or (_is(direct, mean) and _is(direct, var)):
            return None  # unreadable, or the whole dx scaled alike: the general diagnosis says it
        said = {"direct part dx̂/σ": direct, "mean's path": mean, "variance's path": var}
        formula = (f"the mean and variance {self.where} depend on x too, so dx = (dx̂ − mean(dx̂) − "
                   "x̂·mean(dx̂·x̂)) / σ: the direct part dx̂/σ, then both paths subtracted")
        flipped = [p for p, k in said.items() if _is(k, -1.0)]
        if flipped:
            return ("sign-flip", f"dx has the {' and the '.join(flipped)} with the wrong sign: {formula}")
        dropped = [p for p, k in said.items() if _is(k, 0.0)]
        if dropped:
            overwritten = " (a `=` where `+=` belongs overwrote it)" if dropped[0].startswith("direct") else ""
            return ("dropped-term", f"dx differs from the true gradient by the {' and the '.join(dropped)} "
                    f"alone{overwritten}: {formula}")
        if _is(direct, 1.0) and _is(mean, 1.0) and _is(var, size / (size - 1.0)):
            return ("scaled", f"dx's variance path is {size / (size - 1.0):.4g} = M/(M − 1) times the true one (M = "
                    f"{size} values per group): the backward divides by M − 1 where the forward's variance (np.var) "
                    "divides by M")
        if _is(direct, 1.0) and _is(mean, 1.0) and _is(var, (size - 1.0) / size):
            return ("scaled", f"dx's variance path is {(size - 1.0) / size:.4g} = (M − 1)/M times the true one (M = "
                    f"{size} values per group): the forward's variance divides by M − 1 (ddof=1, the unbiased "
                    "estimate) where the backward differentiates one that divides by M; normalise with np.var's "
                    "default (ddof=0)")
        if _is(direct, 1.0) and _is(mean, var):
            return ("scaled", f"both paths of dx are {mean:.4g} times the true ones, the direct part right: their "
                    f"1/M counts something else where M = {size}, the number of values normalised together, belongs "
                    f"(e.g. the batch size in a layer norm, the features in a batch norm) ({formula})")
        wrong = [f"the {p} is {k:.4g} times the true one" for p, k in said.items() if not _is(k, 1.0)]
        return ("scaled", f"dx is right but for a factor on one part: {'; '.join(wrong)} ({formula})")

    def _without_upstream(self, case: Case, rows: np.ndarray, analytic: np.ndarray, numeric: np.ndarray,
                          scale: float) -> tuple[str, str] | None:
        """Without dout, only a path missing outright can be told (the difference is a multiple of 1 and x̂)."""
        diff = self.groups(case, analytic) - self.groups(case, numeric)
        mean_part, var_part, rest = _stat_terms(rows, diff)
        if rest > LEFT * scale or mean_part + var_part < 1e-4 * scale:
            return None
        paths = [name for name, part in (("mean's", mean_part), ("variance's", var_part)) if part > 1e-3 * scale]
        if not paths:
            return None
        which = " and the ".join(paths)
        return ("dropped-term", f"dx differs from the true gradient by the {which} path{'s' if len(paths) > 1 else ''}"
                                f" alone: the mean and variance {self.where} depend on x too, so dx = (dx̂ − "
                                "mean(dx̂) − x̂·mean(dx̂·x̂)) / σ, with both terms there")
