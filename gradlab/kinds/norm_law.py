"""The forward law every normalisation obeys (`NormLaw`): in training, each normalised group's outputs are
γ·(x − mean)/σ + β with the mean and variance of the group's own values (N or N − 1, any usual eps). A forward
that normalises over other groups, with a backward to match, passes every gradient check; the law catches it and
names what it normalised over (a `Grouping`: batch norm's each feature over the batch, layer norm's each sample
over its features, ...), or which group breaks it. `law_input` draws the values the law is read on, `misfit`
measures each group's distance from it.

Non-goal: the backward (`gradlab.kinds.normalising` reads a dx path by path) and anything about one kind in
particular (its own module says which groupings are right and which are the usual wrong ones).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gradlab.core.kind import Case

#: what a group's fit may leave, relative to the size of its outputs (a float32 forward rounds at ~1e-7)
LAW_LEFT = 1e-4
#: the largest epsilon the law allows for, added to the variance or to its square root (the law's inputs have
#: variance >= 1 in a group; the usual epsilons are 1e-8 to 1e-3)
LAW_EPS = 2e-3


@dataclass(frozen=True)
class Grouping:
    """One way to normalise: `rows(case, a)` lays an array of the normalisation's input shape out as one
    normalised group a row; `label` says over what ("each feature over the batch"), `name` what it is called
    when it is the wrong one ("layer norm"). γ and β scale axis 1 of the input, or of `layout(case, a)` where
    the whole layer ran on a reshaped input (`x.reshape(-1, C)`; `rows` then takes that layout)."""

    label: str
    rows: Callable[[Case, np.ndarray], np.ndarray]
    name: str = ""
    layout: Callable[[Case, np.ndarray], np.ndarray] | None = None


def law_input(shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Values of variance >= 1 in every group, with an offset along every axis and a spread per index of axis 1,
    so that statistics taken over any other grouping than the right one differ from its own."""
    rng = np.random.default_rng([seed, 7])
    along = [tuple(n if a == axis else 1 for a in range(len(shape))) for axis, n in enumerate(shape)]
    x = (1.0 + rng.random(along[1])) * rng.standard_normal(shape)
    return x + sum(2.0 * rng.standard_normal(s) for s in along)


def misfit(case: Case, grouping: Grouping, a: np.ndarray, out: np.ndarray, seen: np.ndarray) -> np.ndarray:
    """Per group, how far the outputs seen are from γ·k·(a − mean)/std + β with one k in the group (1 for var
    over M and no eps, down to sqrt((M − 1)/M) for var over M − 1 and eps up to LAW_EPS of the variance), as a
    fraction of the outputs' size: 0 for a forward normalising over these groups."""
    if grouping.layout is not None:
        a, out, seen = (grouping.layout(case, v) for v in (a, out, seen))
    shape = (1, a.shape[1]) + (1,) * (a.ndim - 2)
    gamma, beta = (np.broadcast_to(case.params[p].reshape(shape), a.shape) for p in ("gamma", "beta"))
    x, t, g, b, m = (grouping.rows(case, v) for v in (a, out - beta, gamma, beta, seen.astype(np.float64)))
    M = x.shape[1]
    var = x.var(axis=1, keepdims=True)
    basis = g * m * (x - x.mean(axis=1, keepdims=True)) / np.sqrt(np.maximum(var, 1e-300))
    k = np.sum(t * m * basis, axis=1, keepdims=True) / np.maximum(np.sum(basis ** 2, axis=1, keepdims=True), 1e-300)
    low = np.sqrt((M - 1.0) / M * var / (var + LAW_EPS)) / (1.0 + LAW_EPS)
    left = np.linalg.norm(t * m - np.clip(k, low, 1.0 + LAW_LEFT) * basis, axis=1)
    return left / (np.linalg.norm(np.abs(basis) + m * (np.abs(b) + 1.0), axis=1) + 1e-300)


def _per_element(case: Case, grouping: Grouping, a: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The mean and the variance of each element's group under `grouping`, laid out as `a`; None when the grouping's
    rows are not a reordering of every element once."""
    index = grouping.rows(case, np.arange(a.size, dtype=np.float64).reshape(a.shape)).astype(np.int64)
    if index.size != a.size or np.unique(index).size != a.size:
        return None
    rows = a.reshape(-1)[index]
    mean, var = np.empty(a.size), np.empty(a.size)
    mean[index] = np.broadcast_to(rows.mean(axis=1, keepdims=True), rows.shape)
    var[index] = np.broadcast_to(rows.var(axis=1, keepdims=True), rows.shape)
    return mean.reshape(a.shape), var.reshape(a.shape)


@dataclass(frozen=True)
class NormLaw:
    """`Kind.forward_law` of a normalisation: in training, each group's outputs are γ·(x − mean)/σ + β with the
    mean and variance of the group's own values (N or N − 1, any usual eps, running statistics aside). A forward
    normalising over other groups, with a backward to match, passes every gradient check; this catches it and
    names what it normalised over (`couples-samples`, as DECISIONS has a normalisation over the wrong axis), or
    says which group breaks the law (`mismatch`). A forward that crashes or returns another shape on the law's
    input says nothing (the case's own forward is checked next).

    `shape(case)` is the law's input shape, `right` the kind's grouping (one `unit` a row) and `wrong` the
    usual mistakes; `law` and `right_way` are sentences. A sandwich names `pre`, the normalisation's input
    from the layer's input (`x @ W + b`), and `relu`: only the outputs a ReLU let through are then read."""

    shape: Callable[[Case], tuple[int, ...]]
    right: Grouping
    wrong: tuple[Grouping, ...]
    unit: str
    law: str
    right_way: str
    pre: Callable[[Case, np.ndarray], np.ndarray] | None = None
    relu: bool = False

    def __call__(self, forward: Callable[[np.ndarray], np.ndarray], case: Case) -> tuple[str, str] | None:
        x = law_input(self.shape(case), int(case.spec.get("seed", 0)))
        out = forward(x)
        a = x if self.pre is None else self.pre(case, x)
        if out.shape != a.shape or not np.all(np.isfinite(out)):
            return None
        seen = out > 0 if self.relu else np.ones(out.shape, dtype=bool)
        far = misfit(case, self.right, a, out, seen)
        if np.all(far <= LAW_LEFT):
            return None
        for other in self.wrong:
            if np.all(misfit(case, other, a, out, seen) <= LAW_LEFT):
                return ("couples-samples", f"forward normalised {other.label}: that is {other.name}. "
                        f"{self.right_way}")
        j, shape = int(np.argmax(far)), (1, -1) + (1,) * (a.ndim - 2)
        z = (out - case.params["beta"].reshape(shape)) / case.params["gamma"].reshape(shape)
        z = self.right.rows(case, z)[j][self.right.rows(case, seen)[j]]
        broken = (f"in training, {self.law}; {self.unit} {j} has (out − β)/γ of mean {z.mean():.4g} and standard "
                  f"deviation {z.std():.4g} over its {z.size} values, where 0 and 1 belong")
        mixed = self._statistics_apart(case, a, out, seen)
        if mixed is not None:
            return ("couples-samples", f"forward takes {mixed}. {self.right_way}")
        kept = self._kept_samples(forward, case, x, a, out)
        if kept is not None:  # measured: more precise than a broken law, whatever else the forward got wrong
            return ("couples-samples", f"forward mixes samples: the outputs of samples 0 to {kept - 1} changed when "
                    f"only samples {kept} to {x.shape[0] - 1} changed, where each sample is normalised on its own "
                    f"({broken}). {self.right_way}")
        return ("mismatch", f"{broken}: is x normalised {self.right.label}, as (x − mean) / sqrt(var + eps)?")

    def _statistics_apart(self, case: Case, a: np.ndarray, out: np.ndarray, seen: np.ndarray) -> str | None:
        """What the forward took over which groups, when its mean and its variance come from two different groupings
        (one of them a wrong one): (x − mean over A) / sqrt(var over B + eps), fitted to (out − β)/γ with one factor
        (var over N or N − 1, eps). A statistic over the wrong axis is a normalisation over the wrong axis, as
        DECISIONS.md has it: `couples-samples`. None when no pair fits (a grouping read in a layout is left out)."""
        groupings = [g for g in (self.right, *self.wrong) if g.layout is None]
        shape = (1, a.shape[1]) + (1,) * (a.ndim - 2)
        z = (out - case.params["beta"].reshape(shape)) / case.params["gamma"].reshape(shape)
        stats = {id(g): _per_element(case, g, a) for g in groupings}
        for m, v in ((m, v) for m in groupings for v in groupings if m is not v):
            of_mean, of_var = stats[id(m)], stats[id(v)]
            if of_mean is None or of_var is None:
                continue
            mean, var = of_mean[0], of_var[1]
            basis = (a - mean) / np.sqrt(np.maximum(var, 1e-300))
            k = float(np.sum(z * basis * seen)) / max(float(np.sum(basis * basis * seen)), 1e-300)
            left = float(np.linalg.norm((z - k * basis) * seen)) / max(float(np.linalg.norm(z * seen)), 1e-300)
            if 0.5 <= k <= 1.0 + LAW_LEFT and left <= LAW_EPS:
                return f"its mean {m.label} and its variance {v.label}"
        return None

    def _kept_samples(self, forward: Callable[[np.ndarray], np.ndarray], case: Case, x: np.ndarray, a: np.ndarray,
                      out: np.ndarray) -> int | None:
        """K when the right grouping keeps samples apart (each group lies in one sample, read off the grouping
        itself) and the outputs of samples 0..K-1 change when only the others change: the forward takes some
        statistic over the batch (a mean over axis 0 beside a variance over the features). None otherwise, or
        when the forward cannot be asked (another shape, a crash: the law's own sentence stands)."""
        N = x.shape[0]
        ids = np.broadcast_to(np.arange(N, dtype=np.float64).reshape((N,) + (1,) * (a.ndim - 1)), a.shape)
        if self.right.layout is not None:
            ids = self.right.layout(case, ids)
        groups = self.right.rows(case, ids)
        if N < 2 or not np.all(groups == groups[:, :1]):  # batch norm's groups span the batch: mixing is its job
            return None
        kept = N // 2
        other = x.copy()
        other[kept:] = law_input(x.shape, int(case.spec.get("seed", 0)) + 1)[kept:]
        try:
            out2 = np.asarray(forward(other), dtype=np.float64)
        except Exception:  # noqa: BLE001
            return None
        if out2.shape != out.shape or not np.all(np.isfinite(out2)):
            return None
        # round-off of a per-sample statistic never depends on other rows; a batch statistic moves them by O(1)
        scale = float(np.abs(out[:kept]).max(initial=0.0))
        return None if np.allclose(out2[:kept], out[:kept], rtol=1e-6, atol=1e-6 * scale) else kept
