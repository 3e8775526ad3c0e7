"""`gradlab bench`: how fast gradlab checks and trains, next to PyTorch, timed in one process run.

Every case times a gradlab callable and (when PyTorch is installed) a PyTorch callable doing the
same work, alternately in the same loop (gradlab first on even rounds, PyTorch first on odd ones,
so neither always runs on a warmer cache), after one warm-up round that is discarded. A figure is
the median of the timed rounds. `run_bench` returns a JSON-ready dict; `gradlab.bench.report`
writes it as Markdown, JSON and a scaling plot.

Non-goals: asserting anything about the timings (the report compares them with the issue's bars,
tests never do), tuning BLAS or PyTorch threads, GPU timings.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from gradlab import __version__
from gradlab.bench import cases
from gradlab.bench import pytorch as bench_torch

Timer = Callable[[], float]  # does one unit of work, returns the seconds it took

#: the issue's bars, as (description, test on the case's figures)
BARS: dict[str, tuple[str, Callable[[dict[str, Any]], bool | None]]] = {
    "affine_sigmoid_ce_full": ("gradlab full check >= 10x faster than gradcheck slow mode",
                               lambda c: None if c["ratio"] is None else c["ratio"] >= 10.0),
    "affine_sigmoid_ce_fast": ("gradlab fast mode no slower than gradcheck(fast_mode=True)",
                               lambda c: None if c["ratio"] is None else c["ratio"] >= 1.0),
    "registry": ("whole registry checked in < 60 s on 2 cores", lambda c: c["gradlab_s"] < 60.0),
    "mnist_epoch": ("MNIST epoch no slower than 1.2x PyTorch's",
                    lambda c: None if c["ratio"] is None else c["gradlab_s"] <= 1.2 * c["torch_s"]),
}
#: layer sizes (D -> M, with N = 32) of the scaling plot
#: the id of the JSON document `run_bench` returns (reports/bench.json)
SCHEMA = "gradlab-bench/1"
SCALING = ((8, 4), (16, 8), (32, 16), (64, 32), (128, 64), (256, 128))
QUICK_SCALING = ((8, 4), (16, 8), (32, 16))
#: MNIST samples of the quick (smoke-test) epoch
QUICK_MNIST = 2560


def wall(fn: Callable[[], Any]) -> Timer:
    """A timer for a callable that does not time itself."""
    def timed() -> float:
        t0 = time.perf_counter()
        fn()
        return time.perf_counter() - t0
    return timed


def alternate(gradlab_timer: Timer, torch_timer: Timer | None, repeats: int,
              warmup: int = 1) -> tuple[list[float], list[float] | None]:
    """Time both alternately; the first `warmup` rounds are run and thrown away."""
    g: list[float] = []
    t: list[float] = []
    for i in range(warmup + repeats):
        order = [(g, gradlab_timer), (t, torch_timer)]
        if i % 2:
            order.reverse()
        for runs, timer in order:
            if timer is None:
                continue
            seconds = timer()
            if i >= warmup:
                runs.append(seconds)
    return g, (t if torch_timer is not None else None)


@dataclass
class Figure:
    """One case's figures."""

    case: str
    description: str
    gradlab_runs: list[float]
    torch_runs: list[float] | None
    torch_what: str | None = None
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        g = statistics.median(self.gradlab_runs)
        t = statistics.median(self.torch_runs) if self.torch_runs else None
        out: dict[str, Any] = {
            "case": self.case, "description": self.description, "gradlab_s": g, "torch_s": t,
            "ratio": (t / g) if t is not None and g > 0 else None, "torch_what": self.torch_what,
            "gradlab_runs": self.gradlab_runs, "torch_runs": self.torch_runs, "note": self.note,
        }
        # the best round as well: on a shared machine the median can be one noisy round away
        g_min, t_min = min(self.gradlab_runs), (min(self.torch_runs) if self.torch_runs else None)
        out.update(gradlab_min_s=g_min, torch_min_s=t_min,
                   ratio_min=(t_min / g_min) if t_min is not None and g_min > 0 else None)
        if self.case in BARS:
            text, test = BARS[self.case]
            out["bar"], out["bar_met"] = text, test(out)
            # "fragile" when the median and the best rounds fall on different sides of the bar
            best = test({"gradlab_s": g_min, "torch_s": t_min, "ratio": out["ratio_min"]})
            out["bar_robust"] = out["bar_met"] is None or best == out["bar_met"]
        return out


def _require(ok: bool, what: str) -> None:
    # a benchmark of a check that does not pass would time the wrong thing (a failure re-checks)
    if not ok:
        raise RuntimeError(f"bench case did not verify: {what}")


def _check_timer(run: Callable[[], Any], what: str) -> Timer:
    def timed() -> float:
        t0 = time.perf_counter()
        result = run()
        seconds = time.perf_counter() - t0
        _require(not result.failed if hasattr(result, "failed") else bool(result), what)
        return seconds
    return timed


def _composite_cases(repeats: int, torch_ok: bool, warmup: int) -> list[Figure]:
    case = cases.composite_case()
    n = case.x.size + sum(p.size for p in case.params.values())
    out = []
    for mode, fast in (("full", False), ("fast", True)):
        g = _check_timer(partial(cases.check_composite, case, mode), f"gradlab {mode} check")
        t = _check_timer(bench_torch.composite_check(case, fast), "gradcheck") if torch_ok else None
        g_runs, t_runs = alternate(g, t, repeats, warmup)
        what = "gradcheck(fast_mode=True)" if fast else "gradcheck (slow mode)"
        out.append(Figure(f"affine_sigmoid_ce_{mode}",
                          f"affine -> sigmoid -> softmax CE, N=32, 128 -> 64, float64, {n:,} elements, "
                          f"gradlab mode={mode!r}", g_runs, t_runs, what))
    return out


def _conv_case(repeats: int, torch_ok: bool, warmup: int) -> Figure:
    case = cases.conv_case()
    # the upstream gradient gradlab's checker draws for this case (check_case, seed 0), so both
    # tools check the very same scalar L = sum(G * conv(x))
    y_shape = (case.x.shape[0], case.params["W"].shape[0], case.x.shape[2], case.x.shape[3])
    G = np.random.default_rng([0, 1]).standard_normal(y_shape)
    g = _check_timer(lambda: cases.check_conv(case), "gradlab conv check")
    t = _check_timer(bench_torch.conv_check(case, G), "gradcheck conv") if torch_ok else None
    g_runs, t_runs = alternate(g, t, repeats, warmup)
    return Figure("conv_full", "reference Convolution (class style, via adapter), N=4, C=3, 8x8, 4 filters 3x3, "
                  "stride 1, pad 1, full element-wise check", g_runs, t_runs, "gradcheck on sum(G * conv2d)")


def _registry_case(repeats: int, quick: bool, warmup: int) -> Figure:
    from gradlab.cases.check_many import check_registry
    from gradlab.core.tolerances import DEFAULT_EXAMPLES

    examples = 2 if quick else DEFAULT_EXAMPLES
    g_runs, _ = alternate(wall(lambda: check_registry(examples=examples)), None, repeats, warmup)
    default = " (the default)" if examples == DEFAULT_EXAMPLES else ""
    return Figure("registry", f"check_registry(): every registry entry, {examples} hypothesis examples "
                  f"each{default}, one process", g_runs, None, None)


def _mnist_data(quick: bool) -> tuple[Any, str]:
    from gradlab.training.mnist import MnistData, MnistDataError, load_mnist

    if not quick:
        try:
            return load_mnist(), "the MNIST training digits"
        except MnistDataError as exc:
            reason = f"MNIST is not available ({exc}); MNIST-shaped random data instead"
    else:
        reason = f"--quick: {QUICK_MNIST} MNIST-shaped random images"
    rng = np.random.default_rng(0)
    n = QUICK_MNIST if quick else 50_000

    def images(k: int) -> np.ndarray:
        return rng.random((k, 784), dtype=np.float32)

    def labels(k: int) -> np.ndarray:
        return rng.integers(0, 10, size=k).astype(np.int64)

    return MnistData(images(n), labels(n), images(500), labels(500), images(500), labels(500)), reason


def _mnist_case(repeats: int, torch_ok: bool, quick: bool, warmup: int) -> Figure:
    from gradlab.conventions.registry import load_reference
    from gradlab.training.trainer import TrainConfig, train

    data, source = _mnist_data(quick)
    if quick:
        data = type(data)(data.x_train[:QUICK_MNIST], data.y_train[:QUICK_MNIST], data.x_val[:500],
                          data.y_val[:500], data.x_test[:500], data.y_test[:500])
    registry = load_reference()
    layers = {"affine": registry["Affine"].target, "activation": registry["Relu"].target,
              "loss": registry["SoftmaxWithLoss"].target}
    config = TrainConfig(epochs=1)

    def gradlab_epoch() -> float:
        return train(data, layers, config, progress=False).epoch_seconds[0]

    t = None
    if torch_ok:
        t = bench_torch.mnist_epoch(np.ascontiguousarray(data.x_train, dtype=np.float32), data.y_train,
                                    hidden=config.hidden[0], lr=config.lr, batch_size=config.batch_size,
                                    max_shift=config.max_shift, seed=config.seed)
    g_runs, t_runs = alternate(gradlab_epoch, t, repeats, warmup)
    return Figure("mnist_epoch", f"one training epoch, 784-{config.hidden[0]}-10 ReLU MLP, Adam, batch "
                  f"{config.batch_size}, float32, {len(data.x_train):,} images ({source}); minibatch loop only",
                  g_runs, t_runs, "torch.nn + torch.optim.Adam, same minibatches")


def _scaling(repeats: int, torch_ok: bool, quick: bool, warmup: int) -> list[dict[str, Any]]:
    """Check time against layer size for the scaling plot (fewer rounds for the slow big sizes)."""
    rows = []
    for i, (D, M) in enumerate(QUICK_SCALING if quick else SCALING):
        case = cases.composite_case(N=32, D=D, M=M)
        n = case.x.size + sum(p.size for p in case.params.values())
        rounds = min(repeats, 3) if n < 5000 else 1
        row: dict[str, Any] = {"D": D, "M": M, "N": 32, "elements": n}
        for mode, fast in (("full", False), ("fast", True)):
            g = _check_timer(partial(cases.check_composite, case, mode), f"gradlab {mode} {D}->{M}")
            t = _check_timer(bench_torch.composite_check(case, fast), "gradcheck") if torch_ok else None
            # the first size warms both tools up; later sizes reuse the warm process
            g_runs, t_runs = alternate(g, t, rounds, warmup=warmup if i == 0 else 0)
            row[f"gradlab_{mode}_s"] = statistics.median(g_runs)
            row[f"torch_{'fast' if fast else 'slow'}_s"] = statistics.median(t_runs) if t_runs else None
        rows.append(row)
    return rows


def _ablations(repeats: int) -> list[dict[str, Any]]:
    """The headline cases with and without the layer's vectorised hook, timed alternately: what the
    hook changed (the generic improvements to the checker apply to both)."""
    case = cases.composite_case()
    out = []
    for mode, hook, cls in (("full", "forward_perturbed", cases.AffineSigmoidCENoPerturbed),
                            ("fast", "forward_replaced", cases.AffineSigmoidCENoReplaced)):
        with_hook = _check_timer(partial(cases.check_composite, case, mode), f"{mode} with {hook}")
        without = _check_timer(partial(cases.check_composite, case, mode, cls), f"{mode} without {hook}")
        on, off = alternate(with_hook, without, repeats)
        out.append({"case": f"affine_sigmoid_ce_{mode}", "without": hook, "gradlab_s": statistics.median(off or on),
                    "with_hook_s": statistics.median(on), "rounds": repeats})
    return out


def run_bench(*, repeats: int = 5, quick: bool = False, progress: Callable[[str], None] | None = None,
              use_torch: bool = True) -> dict[str, Any]:
    """Time every case; return the JSON-ready results (see `gradlab.bench.report` for the files)."""
    from gradlab.bench.report import environment

    say = progress or (lambda message: None)
    torch_ok = use_torch and bench_torch.available()
    load_before = os.getloadavg()
    started = time.time()
    figures: list[Figure] = []
    warmup = 0 if quick else 1  # --quick is a smoke test of the pipeline, not a measurement
    say("affine -> sigmoid -> softmax CE: full and fast checks")
    figures += _composite_cases(repeats, torch_ok, warmup)
    say("convolution: full check")
    figures.append(_conv_case(repeats, torch_ok, warmup))
    say("registry: every entry")
    figures.append(_registry_case(min(repeats, 3), quick, warmup))
    say("MNIST: one epoch")
    figures.append(_mnist_case(repeats, torch_ok, quick, warmup))
    say("scaling: check time against layer size")
    scaling = _scaling(repeats, torch_ok, quick, warmup)
    ablations = [] if quick else _ablations(min(repeats, 3))
    return {
        "schema": SCHEMA, "gradlab": __version__, "quick": quick, "repeats": repeats, "warmup_rounds": warmup,
        "seconds": time.time() - started, "torch_available": torch_ok,
        "torch_hint": None if torch_ok else f"PyTorch is not installed: `{bench_torch.INSTALL_HINT}` (CPU build) "
                                             "adds the comparison",
        "environment": {**environment(), "load_before": list(load_before), "load_after": list(os.getloadavg())},
        "cases": [f.to_dict() for f in figures], "scaling": scaling, "ablations": ablations,
    }
