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
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from gradlab.cases.batch_report import (
    MEAN,
    NEITHER,
    SUM,
    UNDETERMINED,
    UPSTREAMS,
    BatchReport,
    Convention,
    judge,
)
from gradlab.cases.parameter_forms import forward_backward, parameter_form
from gradlab.conventions.adapters import adapt, grad_names
from gradlab.conventions.discover import entry_for, layout_options
from gradlab.conventions.registry import Entry
from gradlab.core.protocol import LayerCrash, LayerSignatureError
from gradlab.core.tolerances import PER_SAMPLE_RTOL
from gradlab.kinds import KINDS, Case, Kind, build_case

__all__ = ["MEAN", "NEITHER", "SUM", "UNDETERMINED", "UPSTREAMS", "BatchReport", "Convention", "assert_batch_mean",
           "batch_vs_samples", "default_spec"]

def default_spec(kind: Kind, N: int, seed: int = 0, style: str = "class") -> dict[str, Any]:
    """A small, fixed shape spec for `kind` with batch size N (the kind's `batch_spec`)."""
    return {"N": N, **kind.batch_spec(style), "seed": seed}


def _as_entry(layer: Any, backward: Callable[..., Any] | None = None, kind: str | Kind | None = None, *,
              layout: str | None = None, weights: str | None = None) -> Entry:
    """An entry for `layer`; `layout`/`weights` (None: the entry's own, rows for a new one) set its data layout."""
    if isinstance(layer, Entry):
        if layout is None and weights is None:
            return layer
        options = {k: v for k, v in layer.options.items() if k not in ("layout", "weights")}
        current = layer.options.get("layout", "rows"), layer.options.get("weights", "in_out")
        return replace(layer, options={**options, **layout_options(layout or current[0], weights or current[1])})
    return entry_for(layer, backward, kind=kind, layout=layout or "rows", weights=weights or "in_out")


def batch_vs_samples(layer: Any, backward: Callable[..., Any] | None = None, *, kind: str | Kind | None = None,
                     N: int = 4, seed: int = 0, loss: Any = None, case: Case | None = None,
                     layout: str | None = None, weights: str | None = None) -> BatchReport:
    """Run `layer` on a batch of N and on each sample alone; report mean / sum / neither per gradient.

    `layer` is an `Entry` or anything `gradlab.conventions.discover.entry_for` accepts (a class, a forward and
    `backward` pair, a loss function). `loss` says what a non-loss layer is differentiated under:
    None or "sum" (dout rows), "mean" (dout / N), or a loss layer (class, function or Entry) put on top;
    a loss layer ignores "sum" and "mean" (its own loss is what is differentiated). `layout="columns"`
    (with `weights="out_in"` for `Z = W @ X + b`) is for layers written for samples as columns; a
    loss layer on top is then taken to be written that way too. `case` is in gradlab's row layout.
    """
    if not isinstance(N, int) or N < 2:
        raise ValueError(f"N must be an int of at least 2 (N = 1 cannot tell a mean from a sum), got {N!r}")
    entry = _as_entry(layer, backward, kind, layout=layout, weights=weights)
    k = KINDS[entry.kind]
    top = None
    if loss is not None and not (isinstance(loss, str) and loss in UPSTREAMS):
        if isinstance(loss, str):
            raise ValueError(f"loss must be None, 'sum', 'mean' or a loss layer, got {loss!r}")
        top = _as_entry(loss, layout=layout, weights=weights)
        if not KINDS[top.kind].is_loss:
            raise ValueError(f"loss={top.name!r} is a {top.kind} layer, not a loss layer")
    if k.is_loss and top is not None:  # "sum"/"mean" only concern non-loss layers; a loss is its own
        raise ValueError(f"{entry.name} is a loss layer itself; there is no loss to put on top of it")
    if case is not None and case.N < 2:
        raise ValueError(f"the case has N={case.N}; a batch of at least 2 is needed")
    upstream = "loss" if k.is_loss else (top.name if top is not None else (loss or "sum"))
    if case is not None:
        return _compare_quietly(entry, k, case, upstream=upstream, top=top, seed=seed)
    spec = default_spec(k, N, seed, entry.convention)
    if entry.options.get("layout", "rows") != "columns":  # PReLU's one slope or one per feature, as check finds it
        spec.update(parameter_form(k, entry.convention, partial(forward_backward, entry, k)))
    # a loss of class labels is run with each encoding it may get: a 1/N forgotten in the branch for index
    # labels only shows with index labels. The first that disagrees is the report; one the layer refuses
    # (a CS231n loss takes indices only) says nothing
    # (a loss function of such a kind always gets indices from its adapter: one run says it all)
    both = len(k.label_encodings) > 1 and entry.convention == "class"
    reports = [_compare_quietly(entry, k, build_case(k, {**spec, "labels": e}), upstream=upstream, top=top, seed=seed)
               for e in (k.label_encodings if both else (spec.get("labels"),))]
    ran = [r for r in reports if r.error is None] or reports
    return next((r for r in ran if not r.consistent), ran[0])


def _compare_quietly(entry: Entry, k: Kind, case: Case, *, upstream: str, top: Entry | None,
                     seed: int) -> BatchReport:
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            report = _compare(entry, k, case, upstream=upstream, top=top, seed=seed)
        except (LayerCrash, LayerSignatureError) as exc:
            return BatchReport(entry.name, k.name, entry.convention, case.N, upstream, None, consistent=False,
                               error=str(exc), sentences=(f"{entry.name} could not be run: {exc}",))
    labels = case.spec.get("labels")
    if labels is not None and len(k.label_encodings) > 1 and entry.convention == "class" and not report.consistent:
        return replace(report, sentences=(*report.sentences, f"This is with {labels} labels."))
    return report


def assert_batch_mean(layer: Any, backward: Callable[..., Any] | None = None, *, kind: str | Kind | None = None,
                      N: int = 4, seed: int = 0, loss: Any = "mean", layout: str | None = None,
                      weights: str | None = None) -> BatchReport:
    """pytest helper: under a mean loss (a loss layer's own, or `loss`), every batch gradient must be
    the mean of the per-sample gradients. Raises AssertionError with the plain-words report if not.
    `layout`/`weights` as in `batch_vs_samples`."""
    entry = _as_entry(layer, backward, kind, layout=layout, weights=weights)
    report = batch_vs_samples(entry, N=N, seed=seed, loss=None if KINDS[entry.kind].is_loss else loss,
                              layout=layout, weights=weights)
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


def _sample(case: Case, i: int, rows: tuple[str, ...] = ()) -> Case:
    """Sample i alone; `rows` are the parameters with one row per sample (an RNN's h0), sliced like x."""
    return Case(case.x[i:i + 1].copy(), None if case.t is None else case.t[i:i + 1].copy(),
                {k: (v[i:i + 1] if k in rows else v).copy() for k, v in case.params.items()}, dict(case.hyper),
                {**case.spec, "N": 1})


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
    probe = adapt(entry, kind, _sample(case, 0, kind.batch_params))
    rowwise = {"dx", *(grad_names(probe, kind)[p] for p in kind.batch_params)}
    y_shape = np.asarray(probe.forward(case.x[:1].astype(np.float64) if kind.x_differentiable else case.x[:1],
                                       None if case.t is None else case.t[:1])).shape
    G = np.random.default_rng(seed + 7).standard_normal((N, *y_shape[1:])) if not kind.is_loss else np.array(1.0)
    t_top = None
    if top is not None:
        t_top = _labels_for(KINDS[top.kind], np.empty((N, *y_shape[1:])), seed)
    batch = _run(entry, kind, case, G=G, upstream=upstream, top=top, t_top=t_top, N_batch=N)
    singles = [_run(entry, kind, _sample(case, i, kind.batch_params), G=G if kind.is_loss else G[i:i + 1],
                    upstream=upstream, top=top, t_top=None if t_top is None else t_top[i:i + 1], N_batch=1)
               for i in range(N)]

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
        if name in rowwise:  # one row per sample: row i against sample i's own dx
            stacked = np.concatenate([np.asarray(p, dtype=np.float64).reshape(1, -1) for p in per])
            gradients.append(_fit(name, g.reshape(N, -1), stacked, N) if g.size == stacked.size else
                             Convention(name, NEITHER, None, 1.0,
                                        f"{name} has {g.size} elements, the samples' {stacked.size}"))
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
    return judge(entry, kind, N, upstream=upstream, top=top, loss=loss, gradients=tuple(gradients), mixes=mixes,
                  mixing=mixing)


# ---------------------------------------------------------------- plain words


