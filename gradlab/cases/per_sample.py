"""Per-sample versus batch: is the batch gradient the mean of the per-sample gradients, or their sum?

The same data runs once as a batch of N and once as N batches of one. For every parameter the
batch gradient is compared with the sum of the N per-sample gradients (for dx, row i with sample
i's own dx): a ratio of 1 is the *sum* convention, 1/N the *mean*, anything else *neither*. For a
loss layer the batch loss is compared the same way with the per-sample losses, and the two
conventions must agree: a loss that averages must have gradients that average. That is the
answer to "where does the 1/N go", measured on the user's own layer, in one plain sentence.

What is differentiated (see `UPSTREAMS`):
- a loss layer: its own loss (dout = 1);
- a non-loss layer, `loss=None` or `"sum"`: `sum(G * y)` with the rows of one random G as the
  samples' upstream gradients, a *sum* over samples, so correct gradients are sums: the 1/N of a
  mean loss reaches a layer through dout, never from the layer itself;
- `loss="mean"`: the mean over samples of `sum(G_i * y_i)` (dout = G / N), a reference mean loss;
- `loss=<a loss layer>`: that loss stacked on the layer's output, e.g. Affine under SoftmaxWithLoss.

The run also tells whether the layer mixes samples (sample i's output differs between the batch
and the run alone): batch normalisation does by design, an affine layer must not.
Non-goals: finite differences (that is `gradlab.core.check`), and printing (that is `gradlab batch`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gradlab.conventions.adapters import adapt, grad_names
from gradlab.conventions.discover import entry_for
from gradlab.conventions.registry import Entry
from gradlab.core.protocol import LayerCrash, LayerSignatureError
from gradlab.core.tolerances import PER_SAMPLE_RTOL
from gradlab.kinds import KINDS, Case, Kind, build_case

MEAN, SUM, NEITHER, UNDETERMINED = "mean", "sum", "neither", "undetermined"
UPSTREAMS = ("sum", "mean")
#: a real 1/N, or a factor 2, is off by far more than the rounding of a different summation order

@dataclass(frozen=True)
class Convention:
    """How one batch quantity relates to its per-sample values: `ratio` = batch / sum of per-sample."""

    name: str          # "loss", "dx", "dW", ...
    convention: str    # MEAN, SUM, NEITHER or UNDETERMINED (everything zero)
    ratio: float | None
    residual: float    # relative size of the part not explained by one common ratio
    why: str = ""      # for NEITHER without a ratio: what made the comparison impossible

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "convention": self.convention, "ratio": self.ratio, "residual": self.residual,
                "why": self.why}


@dataclass(frozen=True)
class BatchReport:
    """Batch versus per-sample on one layer: the conventions, sample mixing, and what they mean."""

    layer: str
    kind: str
    style: str
    N: int
    upstream: str                     # "loss" (a loss layer), "sum", "mean", or the name of the loss on top
    loss: Convention | None
    gradients: tuple[Convention, ...] = ()
    mixes_samples: bool = False
    mixing_by_design: bool = False
    stochastic: bool = False
    max_mixing: float = 0.0
    consistent: bool = True
    sentences: tuple[str, ...] = ()
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"layer": self.layer, "kind": self.kind, "style": self.style, "N": self.N, "upstream": self.upstream,
                "loss": None if self.loss is None else self.loss.to_dict(),
                "gradients": [g.to_dict() for g in self.gradients], "mixes_samples": self.mixes_samples,
                "mixing_by_design": self.mixing_by_design, "stochastic": self.stochastic,
                "max_mixing": self.max_mixing, "consistent": self.consistent, "sentences": list(self.sentences),
                "error": self.error}

    @property
    def text(self) -> str:
        return " ".join(self.sentences)


def default_spec(kind: Kind, N: int, seed: int = 0, style: str = "class") -> dict[str, Any]:
    """A small, fixed shape spec for `kind` with batch size N (the kind's `batch_spec`)."""
    return {"N": N, **kind.batch_spec(style), "seed": seed}


def _as_entry(layer: Any, backward: Callable[..., Any] | None = None, kind: str | Kind | None = None) -> Entry:
    return layer if isinstance(layer, Entry) else entry_for(layer, backward, kind=kind)


def batch_vs_samples(layer: Any, backward: Callable[..., Any] | None = None, *, kind: str | Kind | None = None,
                     N: int = 4, seed: int = 0, loss: Any = None, case: Case | None = None) -> BatchReport:
    """Run `layer` on a batch of N and on each sample alone; report mean / sum / neither per gradient.

    `layer` is an `Entry` or anything `gradlab.conventions.discover.entry_for` accepts (a class, a forward and
    `backward` pair, a loss function). `loss` says what a non-loss layer is differentiated under:
    None or "sum" (dout rows), "mean" (dout / N), or a loss layer (class, function or Entry) put on top;
    a loss layer ignores "sum" and "mean" (its own loss is what is differentiated).
    """
    if not isinstance(N, int) or N < 2:
        raise ValueError(f"N must be an int of at least 2 (N = 1 cannot tell a mean from a sum), got {N!r}")
    entry = _as_entry(layer, backward, kind)
    k = KINDS[entry.kind]
    top = None
    if loss is not None and not (isinstance(loss, str) and loss in UPSTREAMS):
        if isinstance(loss, str):
            raise ValueError(f"loss must be None, 'sum', 'mean' or a loss layer, got {loss!r}")
        top = _as_entry(loss)
        if not KINDS[top.kind].is_loss:
            raise ValueError(f"loss={top.name!r} is a {top.kind} layer, not a loss layer")
    if k.is_loss and top is not None:  # "sum"/"mean" only concern non-loss layers; a loss is its own
        raise ValueError(f"{entry.name} is a loss layer itself; there is no loss to put on top of it")
    if case is None:
        case = build_case(k, default_spec(k, N, seed, entry.convention))
    elif case.N < 2:
        raise ValueError(f"the case has N={case.N}; a batch of at least 2 is needed")
    upstream = "loss" if k.is_loss else (top.name if top is not None else (loss or "sum"))
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return _compare(entry, k, case, upstream=upstream, top=top, seed=seed)
        except (LayerCrash, LayerSignatureError) as exc:
            return BatchReport(entry.name, k.name, entry.convention, case.N, upstream, None, consistent=False,
                               error=str(exc), sentences=(f"{entry.name} could not be run: {exc}",))


def assert_batch_mean(layer: Any, backward: Callable[..., Any] | None = None, *, kind: str | Kind | None = None,
                      N: int = 4, seed: int = 0, loss: Any = "mean") -> BatchReport:
    """pytest helper: under a mean loss (a loss layer's own, or `loss`), every batch gradient must be
    the mean of the per-sample gradients. Raises AssertionError with the plain-words report if not."""
    entry = _as_entry(layer, backward, kind)
    report = batch_vs_samples(entry, N=N, seed=seed, loss=None if KINDS[entry.kind].is_loss else loss)
    if report.mixing_by_design or report.stochastic:
        raise ValueError(f"{entry.name} mixes samples or draws random numbers per batch: per-sample gradients "
                         "do not add up to a batch gradient, so there is no mean to assert")
    wrong = [c for c in (report.loss, *report.gradients) if c is not None and c.convention not in (MEAN, UNDETERMINED)]
    if report.error or wrong or not report.consistent:
        raise AssertionError("\n".join((f"{entry.name}: the batch gradient is not the mean of per-sample gradients",
                                        *("  " + s for s in report.sentences))))
    return report


# ---------------------------------------------------------------- running the layer both ways


@dataclass
class _Run:
    y: np.ndarray
    L: float
    grads: dict[str, np.ndarray | None] = field(default_factory=dict)


def _sample(case: Case, i: int) -> Case:
    return Case(case.x[i:i + 1].copy(), None if case.t is None else case.t[i:i + 1].copy(),
                {k: v.copy() for k, v in case.params.items()}, dict(case.hyper), {**case.spec, "N": 1})


def _labels_for(top: Kind, y: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed + 1)
    if top.class_targets:
        if y.ndim != 2:
            raise LayerCrash("loss on top", f"{top.name} needs (N, C) scores, the layer gives shape {y.shape}")
        return np.eye(y.shape[1])[rng.integers(0, y.shape[1], size=y.shape[0])]
    return rng.standard_normal(y.shape)


def _run(entry: Entry, kind: Kind, case: Case, *, G: np.ndarray, upstream: str, top: Entry | None,
         t_top: np.ndarray | None, N_batch: int) -> _Run:
    layer = adapt(entry, kind, Case(case.x.copy(), case.t, {k: v.copy() for k, v in case.params.items()},
                                    dict(case.hyper), case.spec))
    x = case.x.astype(np.float64) if kind.x_differentiable else case.x
    y = np.array(layer.forward(x, case.t), dtype=np.float64)
    if kind.is_loss:
        L, dout = float(y), np.array(1.0)
    elif top is not None:
        tk = KINDS[top.kind]
        loss_layer = adapt(top, tk, Case(y.copy(), t_top, {}, {}, {"N": y.shape[0]}))
        L = float(np.asarray(loss_layer.forward(y.copy(), t_top)))
        d_top, _ = loss_layer.backward(np.array(1.0))
        got = None if d_top is None else np.shape(d_top)
        if got != y.shape:
            raise LayerCrash(f"{top.name}.backward", f"gave dx of shape {got} for scores {y.shape}")
        dout = np.asarray(d_top, dtype=np.float64)
    else:
        scale = 1.0 / N_batch if upstream == "mean" else 1.0
        L, dout = scale * float(np.vdot(G, y)), scale * G
    dx, grads = layer.backward(dout.copy())
    names = grad_names(layer, kind)
    out = {names["x"]: dx} if kind.x_differentiable else {}
    out.update({names[p]: g for p, g in grads.items()})
    return _Run(y, L, out)


def _fit(name: str, batch: np.ndarray, per: np.ndarray, N: int) -> Convention:
    """The one ratio r with batch ≈ r * per, and whether r is 1 (sum) or 1/N (mean)."""
    b, p = batch.reshape(-1), per.reshape(-1)
    nb, np_ = float(np.linalg.norm(b)), float(np.linalg.norm(p))
    tiny = 1e-12 * max(nb, np_, 1e-300)
    if nb <= 1e-300 and np_ <= 1e-300:
        return Convention(name, UNDETERMINED, None, 0.0)
    if np_ <= tiny:
        return Convention(name, NEITHER, None, 1.0, f"the per-sample {name} are all zero but the batch {name} is not")
    r = float(np.vdot(b, p) / np_**2)
    residual = float(np.linalg.norm(b - r * p) / max(nb, abs(r) * np_))
    if residual > PER_SAMPLE_RTOL:
        return Convention(name, NEITHER, r, residual)
    convention = SUM if abs(r - 1.0) <= PER_SAMPLE_RTOL else MEAN if abs(r * N - 1.0) <= PER_SAMPLE_RTOL else NEITHER
    return Convention(name, convention, r, residual)


def _compare(entry: Entry, kind: Kind, case: Case, *, upstream: str, top: Entry | None, seed: int) -> BatchReport:
    N = case.N
    probe = adapt(entry, kind, _sample(case, 0))
    y_shape = np.asarray(probe.forward(case.x[:1].astype(np.float64) if kind.x_differentiable else case.x[:1],
                                       None if case.t is None else case.t[:1])).shape
    G = np.random.default_rng(seed + 7).standard_normal((N, *y_shape[1:])) if not kind.is_loss else np.array(1.0)
    t_top = None
    if top is not None:
        t_top = _labels_for(KINDS[top.kind], np.empty((N, *y_shape[1:])), seed)
    batch = _run(entry, kind, case, G=G, upstream=upstream, top=top, t_top=t_top, N_batch=N)
    singles = [_run(entry, kind, _sample(case, i), G=G if kind.is_loss else G[i:i + 1], upstream=upstream, top=top,
                    t_top=None if t_top is None else t_top[i:i + 1], N_batch=1) for i in range(N)]

    loss = _fit("loss", np.array([batch.L]), np.array([sum(s.L for s in singles)]), N)
    loss = Convention("loss", loss.convention, loss.ratio, 0.0)
    gradients = []
    for name, g in batch.grads.items():
        per = [s.grads.get(name) for s in singles]
        if g is None or any(p is None for p in per):
            somewhere = g is not None or any(p is not None for p in per)
            gradients.append(Convention(name, NEITHER, None, 1.0, f"{name} was not computed (None)") if somewhere
                             else Convention(name, UNDETERMINED, None, 0.0))
            continue
        g = np.asarray(g, dtype=np.float64)
        if name == "dx":  # one row per sample: row i against sample i's own dx
            stacked = np.concatenate([np.asarray(p, dtype=np.float64).reshape(1, -1) for p in per])
            gradients.append(_fit(name, g.reshape(N, -1), stacked, N) if g.size == stacked.size else
                             Convention(name, NEITHER, None, 1.0,
                                        f"dx has {g.size} elements, the samples' {stacked.size}"))
        else:
            total = np.sum([np.asarray(p, dtype=np.float64) for p in per], axis=0)
            gradients.append(_fit(name, g, total, N) if g.shape == np.shape(total) else Convention(
                name, NEITHER, None, 1.0, f"{name} has shape {g.shape} in the batch, {np.shape(total)} per sample"))

    if kind.is_loss:  # a scalar output: mixing shows as dx rows that are no common multiple of their own dx
        dx = next((c for c in gradients if c.name == "dx"), None)
        mixing = 0.0 if dx is None or dx.convention != NEITHER or dx.ratio is None else dx.residual
    else:
        alone = np.concatenate([s.y.reshape(1, -1) for s in singles])
        scale = 1.0 + float(np.abs(batch.y).max(initial=0.0))
        mixing = float(np.abs(batch.y.reshape(N, -1) - alone).max(initial=0.0)) / scale \
            if alone.size == batch.y.size else 1.0
    mixes = mixing > 1e-9
    return _judge(entry, kind, N, upstream=upstream, top=top, loss=loss, gradients=tuple(gradients), mixes=mixes,
                  mixing=mixing)


# ---------------------------------------------------------------- plain words


def _judge(entry: Entry, kind: Kind, N: int, *, upstream: str, top: Entry | None, loss: Convention,
           gradients: tuple[Convention, ...], mixes: bool, mixing: float) -> BatchReport:
    name = entry.name
    designed = kind.mixes_samples
    said: list[str] = []
    if kind.is_loss:
        said.append(_loss_sentence(loss, N, "The loss"))
    elif top is not None:
        said.append(_loss_sentence(loss, N, f"Under {top.name}, the loss"))
    elif upstream == "mean":
        said.append(_loss_sentence(loss, N, "Under a mean loss (dout = G / N), the loss"))
    else:
        said.append("With an upstream gradient dout, what is differentiated is sum(dout * y), a sum over samples: "
                    "the 1/N of a mean loss arrives through dout, so this layer's gradients should be sums of "
                    "per-sample gradients.")
    if not kind.stochastic:  # a different random mask per run says nothing about the 1/N
        said.extend(_gradient_sentence(c, N) for c in gradients)

    consistent = True
    if kind.stochastic:
        said.append(f"{name} draws its random numbers for the whole batch at once, so a sample run alone gets a "
                    "different mask: per-sample results are not comparable here.")
    elif mixes and designed:
        said.append(f"{name} mixes samples, by design (it uses statistics of the whole batch; sample outputs "
                    f"change by up to {mixing:.2g} when run alone): its batch gradient is not meant to be a mean or "
                    "sum of per-sample gradients, so no 1/N verdict is given.")
    elif mixes:
        consistent = False
        what = "gradient" if kind.is_loss else "output"
        said.append(f"{name} mixes samples: the {what} for a sample differs between the batch run and running it "
                    f"alone (relative difference {mixing:.2g}); a layer of kind {kind.name} must treat every sample "
                    "on its own.")
    else:
        said.append(f"{name} treats samples independently: each sample's "
                    f"{'gradient' if kind.is_loss else 'output'} is the same alone as in the batch"
                    f"{', as it must be' if not designed else ''}.")
    if not kind.stochastic and not (mixes and designed) and consistent:
        consistent, verdict = _verdict(kind, top, loss, gradients, N)
        said.append(verdict)
    return BatchReport(name, kind.name, entry.convention, N, upstream, loss, gradients, mixes, designed,
                       kind.stochastic, mixing, consistent, tuple(said))


def _loss_sentence(loss: Convention, N: int, subject: str) -> str:
    if loss.convention == MEAN:
        return f"{subject} is the mean of the {N} per-sample losses."
    if loss.convention == SUM:
        return f"{subject} is the sum of the {N} per-sample losses."
    if loss.convention == UNDETERMINED:
        return f"{subject} is zero for the batch and for every sample: its convention cannot be told here."
    ratio = "" if loss.ratio is None else \
        f" (batch loss = {loss.ratio:.4g} x their sum; the mean would be {1 / N:.4g} x)"
    return f"{subject} is neither the mean nor the sum of the {N} per-sample losses{ratio}."


def _gradient_sentence(c: Convention, N: int) -> str:
    if c.convention == UNDETERMINED:
        return f"{c.name} is zero in the batch and in every sample: nothing to compare."
    if c.name == "dx":
        if c.convention == MEAN:
            return f"dx is the gradient of the mean: each row is 1/{N} of that sample's dx alone."
        if c.convention == SUM:
            return "dx is the gradient of the sum: each row equals that sample's dx alone."
    elif c.convention in (MEAN, SUM):
        return f"{c.name} is the {c.convention} of the {N} per-sample {c.name}."
    if c.ratio is None:
        return f"{c.name} cannot be compared with the per-sample {c.name}: {c.why}."
    if c.residual > PER_SAMPLE_RTOL:
        return (f"{c.name} is neither the mean nor the sum of the per-sample {c.name}: it is no common multiple of "
                f"them (relative residual {c.residual:.2g}).")
    twice = ", that is 1/N²: divided by N twice" if abs(c.ratio * N * N - 1.0) <= PER_SAMPLE_RTOL else ""
    return (f"{c.name} is neither the mean nor the sum of the per-sample {c.name}: it is {c.ratio:.4g} x their sum"
            f"{twice} (the mean would be {1 / N:.4g} x, the sum 1 x).")


def _verdict(kind: Kind, top: Entry | None, loss: Convention, gradients: tuple[Convention, ...],
             N: int) -> tuple[bool, str]:
    """Do the gradients follow the loss's convention? One sentence on where the 1/N belongs."""
    judged = [c for c in gradients if c.convention != UNDETERMINED]
    if loss.convention == UNDETERMINED:
        return True, "The loss is zero here, so its convention and its gradients' cannot be compared."
    if loss.convention == NEITHER:
        return False, ("The batch loss is neither the mean nor the sum of per-sample losses: make forward average "
                       "(or sum) the per-sample losses, then match backward to it.")
    off = [c for c in judged if c.convention != loss.convention]
    if not off:
        if kind.is_loss and loss.convention == MEAN:
            return True, ("The 1/N is in the right place: the loss averages over the batch and its gradient carries "
                          "the 1/N, so the layers below receive it through dout and must not divide by N again.")
        if kind.is_loss:
            return True, ("Loss and gradient agree: both sum over the batch; note that with a sum the step grows "
                          "with N (divide both the loss and dx by N for a mean).")
        if loss.convention == SUM:
            return True, ("The 1/N is in the right place: the layer leaves it to the loss above it, which passes "
                          "it down through dout.")
        return True, ("The 1/N is in the right place: the loss averages over the batch and the 1/N reaches every "
                      "gradient through dout, so the batch gradient is the mean of the per-sample gradients.")
    names = " and ".join(c.name for c in off)
    is_ = "is" if len(off) == 1 else "are"
    kinds_off = {c.convention for c in off}
    if kind.is_loss and loss.convention == MEAN and kinds_off == {SUM}:
        return False, (f"Your loss averages over the batch (mean of per-sample losses) but {names} {is_} the "
                       f"gradient of the sum: divide {names} by N in backward.")
    twice = all(c.ratio is not None and abs(c.ratio * N * N - 1.0) <= PER_SAMPLE_RTOL for c in off)
    if loss.convention == MEAN and twice:
        return False, (f"The loss averages over the batch but {names} {is_} divided by N twice (1/N² of the per-sample "
                       "sum): divide by N once, in the loss's backward, and nowhere else.")
    if kind.is_loss and loss.convention == SUM and kinds_off == {MEAN}:
        return False, (f"Your loss sums over the batch (sum of per-sample losses) but {names} {is_} the gradient "
                       f"of the mean: remove the division by N from backward, or divide the loss by N in forward.")
    if not kind.is_loss and top is None and loss.convention == SUM and kinds_off == {MEAN}:
        return False, (f"{names} {is_} divided by N inside this layer, but the 1/N of a mean loss already arrives "
                       f"through dout: with a mean loss {'it ends' if len(off) == 1 else 'they end'} up N times too "
                       "small; remove the division by N here.")
    if not kind.is_loss and loss.convention == MEAN and kinds_off == {SUM}:
        return False, (f"The loss averages over the batch but {names} {is_} the sum of per-sample gradients: the 1/N "
                       f"is lost between the loss and {names}; divide by N once, in the loss's backward.")
    return False, (f"The loss is the {loss.convention} of per-sample losses but {names} "
                   f"{is_} not the {loss.convention} of per-sample gradients: look for a constant "
                   "factor (or a 1/N in the wrong place) in backward.")
