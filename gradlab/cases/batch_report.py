"""What a batch-versus-per-sample run found, and what it means in plain words.

`BatchReport` holds the measured conventions (mean, sum or neither) of the loss and of every
gradient, whether the layer mixes samples, and the sentences `gradlab batch` prints; `judge` writes
those sentences from the measurements. `batch_document` is the `gradlab batch --json` document.
Non-goal: running the layer (that is `gradlab.cases.per_sample`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gradlab import __version__
from gradlab.conventions.registry import Entry
from gradlab.core.tolerances import PER_SAMPLE_RTOL
from gradlab.kinds import Kind

MEAN, SUM, NEITHER, UNDETERMINED = "mean", "sum", "neither", "undetermined"
UPSTREAMS = ("sum", "mean")

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

    @property
    def summary(self) -> str:
        """One line for a consistent layer (its sentences are for a layer that is not): what was measured."""
        if self.stochastic:
            return "draws its random mask per batch: not comparable sample by sample, so no 1/N verdict"
        if self.mixing_by_design:
            return "mixes samples by design, so no 1/N verdict"
        measured = ([self.loss] if self.loss is not None and self.upstream == "loss" else []) + list(self.gradients)
        groups: dict[str, list[str]] = {}
        for c in measured:
            groups.setdefault(c.convention, []).append(c.name)
        said = "; ".join(f"{_and(names)} {'is' if len(names) == 1 else 'are'} {_over(convention)}"
                         for convention, names in groups.items())
        through = " (a mean loss's 1/N arrives through dout)" if set(groups) == {SUM} and self.upstream == "sum" \
            else ""
        return f"{said}{through}: the 1/N is where it belongs"


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _over(convention: str) -> str:
    return {MEAN: "the mean of the per-sample values", SUM: "the sum of the per-sample values",
            UNDETERMINED: "zero (nothing to compare)"}.get(convention, convention)


#: the id of the JSON document `batch_document` builds
SCHEMA = "gradlab-batch/1"


def batch_document(reports: list[BatchReport], *, N: int, seed: int, loss: str, errors: list[str],
                   skipped: list[tuple[str, str]]) -> dict[str, Any]:
    """The `gradlab batch --json` document (schema `gradlab-batch/1`, see `gradlab.schemas`)."""
    return {"schema": SCHEMA, "gradlab": __version__, "N": N, "seed": seed, "loss": loss,
            "layers": [r.to_dict() for r in reports], "errors": list(errors),
            "skipped": [{"name": n, "reason": why} for n, why in skipped]}


def judge(entry: Entry, kind: Kind, N: int, *, upstream: str, top: Entry | None, loss: Convention,
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
        sample = "column" if entry.options.get("layout") == "columns" else "row"
        said.extend(_gradient_sentence(c, N, sample) for c in gradients)

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


def _gradient_sentence(c: Convention, N: int, sample: str = "row") -> str:
    """`sample`: what holds one sample in the user's dx, "row" or "column" (samples as columns)."""
    if c.convention == UNDETERMINED:
        return f"{c.name} is zero in the batch and in every sample: nothing to compare."
    if c.name == "dx":
        if c.convention == MEAN:
            return f"dx is the gradient of the mean: each {sample} is 1/{N} of that sample's dx alone."
        if c.convention == SUM:
            return f"dx is the gradient of the sum: each {sample} equals that sample's dx alone."
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
    if all(c.ratio is None or c.residual > PER_SAMPLE_RTOL for c in off):
        # no multiple of the per-sample gradients at all: no factor, no 1/N explains it, and saying so sent users
        # hunting for one in a backward whose bug is elsewhere (an overwritten sum, a bias summed over the wrong axis)
        return False, (f"{names} {is_} not the {loss.convention} of per-sample gradients, nor a multiple of it (see "
                       "above): no constant factor or misplaced 1/N explains that, so the bug is elsewhere "
                       "(`gradlab check` names it).")
    return False, (f"The loss is the {loss.convention} of per-sample losses but {names} "
                   f"{is_} not the {loss.convention} of per-sample gradients: look for a constant "
                   "factor (or a 1/N in the wrong place) in backward.")
