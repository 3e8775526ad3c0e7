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
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from gradlab import __version__
from gradlab.bench import cases
from gradlab.bench import pytorch as bench_torch
from gradlab.kinds import affine

Timer = Callable[[], float]  # does one unit of work, returns the seconds it took

def _ratio_at_least(bar: float) -> Callable[[dict[str, Any]], bool | None]:
    return lambda c: None if c["ratio"] is None else c["ratio"] >= bar


#: the issue's bars, as (description, test on the case's figures)
BARS: dict[str, tuple[str, Callable[[dict[str, Any]], bool | None]]] = {
    "affine_user_full": ("a user's Affine (through the adapter): full check >= 6x faster than gradcheck slow mode",
                         _ratio_at_least(6.0)),
    **{f"{key}_user_fast": (f"a user's {name} (through the adapter): fast mode no slower than "
                            "gradcheck(fast_mode=True)", _ratio_at_least(1.0))
       for key, (name, _, _) in cases.USER_LAYERS.items()},
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
    #: more JSON fields for this case (the user layers' forward and backward calls per check)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        g = statistics.median(self.gradlab_runs)
        t = statistics.median(self.torch_runs) if self.torch_runs else None
        out: dict[str, Any] = {
            "case": self.case, "description": self.description, "gradlab_s": g, "torch_s": t,
            "ratio": (t / g) if t is not None and g > 0 else None, "torch_what": self.torch_what,
            "gradlab_runs": self.gradlab_runs, "torch_runs": self.torch_runs, "note": self.note, **self.extra,
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


#: what each user layer is, for the descriptions
USER_DESCRIPTIONS = {
    "Affine": "reference Affine (class style, through its adapter, no hook), N=32, 128 -> 64",
    "Convolution": "reference Convolution (class style, through its adapter, no hook), N=4, C=3, 8x8, 4 filters "
                   "3x3, stride 1, pad 1",
    "BatchNormalization": "reference BatchNormalization (class style, through its adapter, no hook), training mode, "
                          "N=64, D=32",
}


def _user_cases(repeats: int, torch_ok: bool, warmup: int) -> list[Figure]:
    """The headline: each user layer checked as `gradlab check` checks it, full and fast, against
    gradcheck on the same function (L = sum(G * layer), G the checker's own upstream gradient)."""
    out = []
    for key in cases.USER_LAYERS:
        uc = cases.user_case(key)
        G = uc.upstream()
        if torch_ok:  # both tools must check the same function
            ours, theirs = uc.output(), bench_torch.user_output(uc.entry.name, uc.case)
            if ours.shape != theirs.shape or not np.allclose(ours, theirs, rtol=1e-10, atol=1e-12):
                raise RuntimeError(f"bench case {key}: the PyTorch function differs from the user layer")
        for mode, fast in (("full", False), ("fast", True)):
            g = _check_timer(partial(uc.check, mode), f"gradlab {mode} check of {uc.entry.name}")
            t = (_check_timer(bench_torch.user_check(uc.entry.name, uc.case, G, fast), "gradcheck") if torch_ok
                 else None)
            g_runs, t_runs = alternate(g, t, repeats, warmup)
            calls = uc.calls(mode)
            what = "gradcheck(fast_mode=True)" if fast else "gradcheck (slow mode)"
            out.append(Figure(f"{key}_user_{mode}",
                              f"{USER_DESCRIPTIONS[uc.entry.name]}, float64, {uc.elements:,} elements, "
                              f"gradlab mode={mode!r}: {calls['forward']:,} forward and {calls['backward']} "
                              "backward calls",
                              g_runs, t_runs, f"{what} on sum(G * f)",
                              extra={"forward_calls": calls["forward"], "backward_calls": calls["backward"],
                                     "elements": uc.elements}))
    return out


def _composite_cases(repeats: int, torch_ok: bool, warmup: int) -> list[Figure]:
    """The native layer with gradlab's vectorised hooks: a separate case, never the headline."""
    case = cases.composite_case()
    n = case.x.size + sum(p.size for p in case.params.values())
    out = []
    for mode, fast in (("full", False), ("fast", True)):
        g = _check_timer(partial(cases.check_composite, case, mode), f"gradlab {mode} check")
        t = _check_timer(bench_torch.composite_check(case, fast), "gradcheck") if torch_ok else None
        g_runs, t_runs = alternate(g, t, repeats, warmup)
        what = "gradcheck(fast_mode=True)" if fast else "gradcheck (slow mode)"
        out.append(Figure(f"hooked_affine_sigmoid_ce_{mode}",
                          f"NOT a user's layer: gradlab's native affine -> sigmoid -> softmax CE with the vectorised "
                          f"`forward_perturbed`/`forward_replaced` hooks, N=32, 128 -> 64, float64, {n:,} elements, "
                          f"gradlab mode={mode!r}", g_runs, t_runs, what))
    return out


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
    """Check time of a user's Affine against its size, for the scaling plot (fewer rounds for the
    slow big sizes)."""
    from dataclasses import replace

    rows = []
    uc0 = cases.user_case(affine.KIND.name)
    for i, (D, M) in enumerate(QUICK_SCALING if quick else SCALING):
        spec = {**cases.USER_LAYERS[affine.KIND.name][2], "in_shape": (D,), "out": M}
        uc = replace(uc0, case=uc0.kind.case(spec))
        G = uc.upstream()
        rounds = min(repeats, 3) if uc.elements < 5000 else 1
        row: dict[str, Any] = {"D": D, "M": M, "N": spec["N"], "elements": uc.elements}
        for mode, fast in (("full", False), ("fast", True)):
            g = _check_timer(partial(uc.check, mode), f"gradlab {mode} {D}->{M}")
            t = _check_timer(bench_torch.user_check("Affine", uc.case, G, fast), "gradcheck") if torch_ok else None
            # the first size warms both tools up; later sizes reuse the warm process
            g_runs, t_runs = alternate(g, t, rounds, warmup=warmup if i == 0 else 0)
            row[f"gradlab_{mode}_s"] = statistics.median(g_runs)
            row[f"torch_{'fast' if fast else 'slow'}_s"] = statistics.median(t_runs) if t_runs else None
        rows.append(row)
    return rows


def _ablations(repeats: int) -> list[dict[str, Any]]:
    """What one thing changed, timed alternately with and without it (the rest of the checker is the
    same in both): output separation and the complex step on a user's Affine, and each vectorised
    hook on the hooked layer."""
    out = []
    uc = cases.user_case(affine.KIND.name)

    def without_separation() -> Any:
        with cases.element_loop_only():
            return uc.check("full")

    with cases.element_loop_only():
        loop_calls = uc.calls("full")["forward"]
    now, before = alternate(_check_timer(partial(uc.check, "full"), "user Affine full"),
                            _check_timer(without_separation, "user Affine full, element loop"), repeats)
    out.append({"case": "affine_user_full",
                "without": "output separation and the complex step (two calls per element, as before issue 15)",
                "gradlab_s": statistics.median(before or now), "with_hook_s": statistics.median(now), "rounds": repeats,
                "forward_calls_without": loop_calls, "forward_calls_with": uc.calls("full")["forward"]})
    case = cases.composite_case()
    for mode, hook, cls in (("full", "forward_perturbed", cases.AffineSigmoidCENoPerturbed),
                            ("fast", "forward_replaced", cases.AffineSigmoidCENoReplaced)):
        with_hook = _check_timer(partial(cases.check_composite, case, mode), f"{mode} with {hook}")
        without = _check_timer(partial(cases.check_composite, case, mode, cls), f"{mode} without {hook}")
        on, off = alternate(with_hook, without, repeats)
        out.append({"case": f"hooked_affine_sigmoid_ce_{mode}", "without": f"the `{hook}` hook",
                    "gradlab_s": statistics.median(off or on), "with_hook_s": statistics.median(on),
                    "rounds": repeats})
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
    say("users' layers (Affine, Convolution, BatchNormalization through the adapters): full and fast checks")
    figures += _user_cases(repeats, torch_ok, warmup)
    say("the hooked native layer (not a user's layer): full and fast checks")
    figures += _composite_cases(repeats, torch_ok, warmup)
    say("registry: every entry")
    figures.append(_registry_case(min(repeats, 3), quick, warmup))
    say("MNIST: one epoch")
    figures.append(_mnist_case(repeats, torch_ok, quick, warmup))
    say("scaling: a user's Affine, check time against layer size")
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
