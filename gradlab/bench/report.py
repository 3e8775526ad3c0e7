"""Writing `gradlab bench` results: reports/bench.json, reports/bench.md and the scaling plot.

The Markdown states the machine (cores, CPU, BLAS), the versions and the load, lists each case
with both tools' medians and the ratio, compares them with the issue's bars, and explains what
changed each figure. Non-goal: timing anything (that is `gradlab.bench.runner`).
"""

from __future__ import annotations

import io
import json
import os
import platform
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np

from gradlab.bench import pytorch as bench_torch
from gradlab.reporting import plots

FIGURE = "figures/bench_scaling.png"

#: what changed each figure, in words. The figures themselves are the measured tables of each run's
#: reports/bench.md (and the ablation below them); timings written here would go stale in source.
#: how a full check of a user's layer spends fewer calls than two per element, said once in bench.md
SEPARATION = (
    "How a full check of a user's layer spends fewer than two forward calls per element, exactly. "
    "Stacking (unchanged): x of a per-sample layer, many perturbed copies of the batch in one call. Output "
    "separation (new, gradlab/core/separation.py): where moving one element of an array can only move one slice "
    "of the output (W[j, k] and b[k] of an affine layer move output column k; batch norm's x[i, d], gamma[d] and "
    "beta[d] output column d; a convolution's W[f, ...] and b[f] output channel f), one element of every slice "
    "is moved at once and each slice is read on its own. The layer proves the structure first: the elements of "
    "half the slices are moved, by each bit of the slice index and its complement (so every ordered pair of "
    "slices is separated at least once), and every other slice's outputs must stay bit for bit unchanged. The "
    "differences are then summed with G exactly as the element loop sums them: the very same numbers, bit for "
    "bit (the registry report does not change by a byte), from two calls per fiber instead of two per element. "
    "The complex step (new, gradlab/core/complex_step.py) covers what neither applies to (a loss layer's x, a "
    "parameter no output slice isolates): one call per element, trusted only after it matches central "
    "differences along random directions, and used only where a complex forward call costs less than 1.5 "
    "real ones: with this OpenBLAS a float64-by-complex matrix product costs about three real ones, so none of "
    "the headline layers uses it.")
CHANGES = {
    "affine_user_full": (
        "Before issue 15 the checker took two forward calls per element of W and b (16,516 calls in all; x was "
        "already stacked into one batch). Output separation (above): W costs 2 x 128 calls and b 2, plus 24 "
        "calls proving the structure; 286 in all. See the ablation."),
    "affine_user_fast": (
        "Before issue 15: W and b projected jointly on 3 random directions at ±d and ±d/2 (12 evaluations), and x "
        "checked by stacking 2 x 128 + 1 perturbed copies of the batch into one forward call 257 times the size. "
        "Now x joins the joint projection (when stacking would cost more forward work than the projection), and "
        "each direction is first judged on ±d alone with no truncation forgiven and a tolerance narrowed by the "
        "rounding the Richardson step would add, so that whatever it settles the ±d, ±d/2 test would pass too "
        "(gradlab/core/projection.py, `_Judge.strict`): a smooth layer costs 6 evaluations, and the half steps are "
        "taken only for an unsettled direction (a kink, strong curvature, a wrong gradient). The projection's work "
        "arrays are reused from check to check (fresh ones cost more in page faults than the evaluations), its "
        "vector products no longer go through BLAS (a multithreaded call on 12,352 elements waits for thread "
        "wake-ups on a busy machine), and the repeatability and independence comparisons take a bit-for-bit "
        "equality as the answer before calling np.allclose. The precision probe (issue 10: is the layer float32 "
        "inside?) is deferred until a value depends on it: a projection that disagrees, or passes with errors "
        "above rtol (float32 rounding looks like truncation to Richardson), measures it and redoes the "
        "projection at the precision found; a correct float64 layer's fast check spends no call on it (12 -> 8 "
        "forward calls). Mutation checks compare without NaN masks first (7x cheaper)."),
    "conv_user_full": (
        "x is stacked (one forward call on 2 x 192 + 1 copies of the batch: most of the time); output "
        "separation (above): W costs 2 x 27 calls instead of 2 x 108, b 2 instead of 8."),
    "conv_user_fast": ("As affine_user_fast: x joins the joint projection instead of a stacked batch 385 times the "
                       "size, and 6 evaluations settle it instead of 12."),
    "batchnorm_user_full": (
        "Batch norm couples samples, so x cannot be stacked, and it computes np.var, which drops the imaginary "
        "part (the complex step would be refused). Output separation (above): x costs 2 x 64 calls instead of "
        "2 x 2,048 (each feature's column is its own slice; the samples of a column are not), gamma and beta "
        "2 calls each."),
    "batchnorm_user_fast": "x, gamma and beta projected jointly: 6 evaluations instead of 12, and the projection's "
                           "own overhead cut, as in affine_user_fast.",
    "hooked_affine_sigmoid_ce_full": (
        "Not a user's layer: gradlab's own native layer with the vectorised `forward_perturbed` hook, which "
        "evaluates a chunk of up to 1,024 perturbations in one numpy pass (see gradlab/bench/cases.py). Kept to "
        "show what such a hook buys (the ablation); a user's layer never has it."),
    "hooked_affine_sigmoid_ce_fast": (
        "Not a user's layer: its `forward_replaced` hook evaluates fast mode's whole-array moves as one batched "
        "pass."),
    "registry": ("Output separation applies to the registry's affine, convolution, batch norm and embedding "
                 "arrays too; its numbers, and so the registry report, are unchanged bit for bit. Most buggy "
                 "entries stop at their first failing example, which is why the whole registry takes seconds."),
    "mnist_epoch": (
        "An epoch's time goes mostly to the Affine forward/backward matrix products, then Adam. The "
        "reference Relu now multiplies by its mask (x * mask) instead of boolean-mask indexing "
        "(`out[mask] = 0`), which had been a sizeable share of each step. The textbook Affine.backward "
        "still computes dx for the first layer, which nobody uses (a third of that layer's backward FLOPs); "
        "PyTorch skips it because the images do not require grad."),
}

_FAST_SHORTFALL = (
    "gradlab's fast mode calls the user's forward 8 times (the first forward, 3 random directions at ±d over x "
    "and the parameters jointly, and the sample-independence check; ±d/2 as well only for a direction ±d does "
    "not settle) and backward twice (the second shows whether backward keeps state), builds the layer through "
    "its adapter, and checks that nothing was written into x, dout or the parameters: none of which gradcheck "
    "does; `gradcheck(fast_mode=True)` evaluates PyTorch's own compiled operator 6 times, with its backward. "
    "Fewer directions would close the gap at the price of the guarantee (a wrong gradient survives each "
    "direction with probability about tolerance / error), and are not taken.")
#: why a bar is missed, when it is (see CHANGES)
SHORTFALLS = {
    "affine_user_fast": ("Both take about two milliseconds here, so a median can fall on either side of the bar. "
                         + _FAST_SHORTFALL),
    "conv_user_fast": (
        "The user's numpy convolution (im2col with np.pad) takes about 50 µs a forward call against about 10 µs "
        "for PyTorch's conv2d, so its 8 forward and 2 backward calls alone take most of gradcheck's whole time. "
        + _FAST_SHORTFALL),
    "batchnorm_user_fast": ("Both take about a millisecond here, so a median can fall on either side of the bar. "
                            + _FAST_SHORTFALL),
    "affine_user_full": (
        "A full check of a user's layer pays at least one forward call per fiber of every array; gradcheck "
        "slow mode two per element, plus one backward per output element for the analytic Jacobian. If this "
        "bar is missed, look at the load average below first."),
    "mnist_epoch": (
        "The remaining gap is the textbook Affine.backward computing dx for the first layer, which nobody "
        "uses (one matrix product of 128 × 800 × 784 per step that PyTorch skips), and Adam, which takes "
        "longer a step than torch.optim.Adam."),
}


def _blas() -> dict[str, Any]:
    """BLAS name/version from numpy's build config, and the live thread pools if threadpoolctl is there."""
    out: dict[str, Any] = {}
    try:
        config = np.show_config(mode="dicts")
        blas = config.get("Build Dependencies", {}).get("blas", {})
        out = {"name": blas.get("name"), "version": blas.get("version"),
               "config": blas.get("openblas configuration")}
    except TypeError:  # numpy < 1.26 prints only
        buffer = io.StringIO()
        with redirect_stdout(buffer):
            np.show_config()
        out = {"config": buffer.getvalue()[:500]}
    try:
        from threadpoolctl import threadpool_info

        out["threadpools"] = [{k: p.get(k) for k in ("internal_api", "version", "num_threads")}
                              for p in threadpool_info()]
    except ImportError:
        out["threadpools"] = None
    return out


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment() -> dict[str, Any]:
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    return {
        "cpu": _cpu_model(), "cores": os.cpu_count(), "cores_usable": affinity, "platform": platform.platform(),
        "python": sys.version.split()[0], "numpy": np.__version__, "torch": bench_torch.version(),
        "torch_threads": bench_torch.threads(), "blas": _blas(),
        "env_threads": {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
                        if k in os.environ},
    }


def _s(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x * 1e3:.1f} ms" if x < 1 else f"{x:.2f} s"


def _bar(case: dict[str, Any]) -> str:
    if "bar" not in case:
        return "(no bar)"
    met = case["bar_met"]
    verdict = "**met**" if met else "**missed**" if met is False else "not measured (no PyTorch)"
    if met is not None and not case.get("bar_robust", True):
        verdict += " (fragile: the best rounds say the opposite)"
    return f"{verdict}: {case['bar']}"


def markdown(results: dict[str, Any], figure: str | None) -> str:
    env = results["environment"]
    lines = ["# gradlab bench", ""]
    if results["quick"]:
        lines += ["> **--quick run**: one round per case, small registry and MNIST stand-ins. A smoke test of the "
                  "pipeline; these figures are not the benchmark.", ""]
    lines += ["The headline cases (`*_user_*`) are users' layers: the registry's reference class-style Affine, "
              "Convolution and BatchNormalization, checked through their adapters exactly as `gradlab check` "
              "checks a student's layer (no gradlab-specific hook), against `torch.autograd.gradcheck` on the same "
              "function, L = sum(G * layer(x)), G being the upstream gradient gradlab's checker draws, in float64. "
              "`hooked_*` is gradlab's own native layer with vectorised hooks that no user's layer has: a separate "
              "case, never the headline.", ""]
    lines += _summary_table(results)
    if not results["torch_available"]:
        lines += [f"PyTorch was not available, so there is no comparison: {results['torch_hint']}.", ""]
    lines += _case_sections(results)
    lines += _ablation_table(results["ablations"])
    lines += _scaling_section(results["scaling"], figure)
    lines += _machine_section(env, results["seconds"])
    return "\n".join(lines)


def _summary_table(results: dict[str, Any]) -> list[str]:
    """How the figures were timed, then one row per case: medians, ratio, best rounds, bar."""
    lines = [
        f"Each figure is the median of the timed rounds after {results['warmup_rounds']} discarded warm-up "
        "round(s); gradlab and PyTorch "
        f"are timed alternately in the same process ({results['repeats']} rounds per case; the registry at most 3). "
        "`ratio` = PyTorch seconds / gradlab seconds (above 1: gradlab is faster).", "",
        "The best round of each tool is shown too: on a shared machine a median can be one noisy round away.",
        "", "| case | gradlab | PyTorch | ratio | best rounds: gradlab / PyTorch (ratio) | gradlab forward calls "
        "| bar |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for c in results["cases"]:
        ratio = f"{c['ratio']:.2f}×" if c["ratio"] is not None else "—"
        best_ratio = f" ({c['ratio_min']:.2f}×)" if c["ratio_min"] is not None else ""
        best = f"{_s(c['gradlab_min_s'])} / {_s(c['torch_min_s'])}{best_ratio}"
        calls = f"{c['forward_calls']:,}" if "forward_calls" in c else "—"
        lines.append(f"| `{c['case']}` | {_s(c['gradlab_s'])} | {_s(c['torch_s'])} | {ratio} | {best} | {calls} "
                     f"| {_bar(c)} |")
    lines.append("")
    return lines


def _case_sections(results: dict[str, Any]) -> list[str]:
    """Each case's description and rounds, the bars it misses and why, and what changed its figure."""
    lines = ["## The cases", ""]
    for c in results["cases"]:
        runs = ", ".join(_s(r) for r in c["gradlab_runs"])
        truns = ", ".join(_s(r) for r in c["torch_runs"]) if c["torch_runs"] else "—"
        lines += [f"- **`{c['case']}`**: {c['description']}. PyTorch: {c['torch_what'] or 'none'}. "
                  f"Rounds: gradlab {runs}; PyTorch {truns}."]
    short = [c for c in results["cases"] if c.get("bar_met") is False or not c.get("bar_robust", True)]
    if short:
        lines += ["", "## Where it falls short", ""]
        for c in short:
            lines.append(f"- **`{c['case']}`** ({_bar(c)}). {SHORTFALLS.get(c['case'], '')}")
    lines += ["", "## What changed each figure", "", SEPARATION, ""]
    for c in results["cases"]:
        lines.append(f"- **`{c['case']}`**: {CHANGES.get(c['case'], '')}")
    return lines


def _ablation_table(ablations: list[dict[str, Any]]) -> list[str]:
    """Each case timed with and without one thing, alternately; nothing when not measured."""
    if not ablations:
        return []
    lines = ["", "## Ablation", "",
             f"Each row times one case with and without one thing, alternately ({ablations[0]['rounds']} rounds; "
             "everything else in the checker is the same in both).", "",
             "| case | without | time without | time with | forward calls without / with |",
             "| --- | --- | ---: | ---: | ---: |"]
    for a in ablations:
        calls = (f"{a['forward_calls_without']:,} / {a['forward_calls_with']:,}"
                 if "forward_calls_without" in a else "—")
        lines.append(f"| `{a['case']}` | {a['without']} | {_s(a['gradlab_s'])} | {_s(a['with_hook_s'])} | {calls} |")
    return lines


def _scaling_section(rows: list[dict[str, Any]], figure: str | None) -> list[str]:
    """Check time against layer size: the plot (or how to get it) and the table it is drawn from."""
    lines = ["", "## Check time against layer size", "",
             "A user's Affine (the reference class through its adapter), N = 32, D → M; elements = N·D + D·M + M; "
             "PyTorch's gradcheck on sum(G * (x @ W + b)).", ""]
    if figure:
        lines += [f"![check time against layer size]({figure})", ""]
    else:
        lines += ["(No plot: matplotlib is not installed; `pip install gradlab[plots]`.)", ""]
    lines += ["| D → M | elements | gradlab full | gradlab fast | torch slow | torch fast |",
              "| --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['D']} → {r['M']} | {r['elements']:,} | {_s(r['gradlab_full_s'])} | "
                     f"{_s(r['gradlab_fast_s'])} | {_s(r['torch_slow_s'])} | {_s(r['torch_fast_s'])} |")
    return lines


def _machine_section(env: dict[str, Any], seconds: float) -> list[str]:
    """The machine, BLAS, threads, versions and load the figures were measured under."""
    blas = env["blas"]
    lb, la = env["load_before"], env["load_after"]
    pools = blas.get("threadpools")
    return [
        "", "## Machine", "",
        f"- CPU: {env['cpu']}; {env['cores']} cores ({env['cores_usable']} usable by this process)",
        f"- BLAS (numpy): {blas.get('name')} {blas.get('version') or ''} {blas.get('config') or ''}".rstrip(),
        f"- BLAS threads: {pools if pools is not None else 'threadpoolctl not installed; library default'}; "
        f"PyTorch threads: {env['torch_threads'] if env['torch_threads'] is not None else '—'}; "
        f"thread variables set: {env['env_threads'] or 'none'}",
        f"- Versions: Python {env['python']}, numpy {env['numpy']}, torch {env['torch'] or 'not installed'}",
        f"- Load average (1, 5, 15 min): before {lb[0]:.2f}, {lb[1]:.2f}, {lb[2]:.2f}; "
        f"after {la[0]:.2f}, {la[1]:.2f}, {la[2]:.2f}",
        f"- Whole run: {seconds:.0f} s", "",
    ]


def scaling_plot(rows: list[dict[str, Any]], path: Path) -> Path | None:
    """Log-log plot of check time against elements checked, one line per tool and mode."""
    if not plots.available() or not rows:
        return None
    plt = plots.pyplot()
    fig, ax = plt.subplots(figsize=(6.4, 4.4))
    n = [r["elements"] for r in rows]
    for key, label, style in (("gradlab_full_s", "gradlab full", "o-"), ("gradlab_fast_s", "gradlab fast", "s-"),
                              ("torch_slow_s", "torch gradcheck (slow)", "o--"),
                              ("torch_fast_s", "torch gradcheck (fast_mode)", "s--")):
        ys = [r[key] for r in rows]
        if all(y is not None for y in ys):
            ax.loglog(n, ys, style, label=label)
    ax.set_xlabel("elements checked (x, W, b)")
    ax.set_ylabel("seconds per check (median)")
    ax.set_title("a user's Affine (through the adapter), N = 32: check time against size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def write_bench_report(results: dict[str, Any], out: Path | str) -> dict[str, Path]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    png = scaling_plot(results["scaling"], out / FIGURE)
    paths = {"json": out / "bench.json", "md": out / "bench.md"}
    paths["json"].write_text(json.dumps(results, indent=2) + "\n")
    paths["md"].write_text(markdown(results, FIGURE if png else None))
    if png:
        paths["png"] = png
    return paths
