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
CHANGES = {
    "affine_sigmoid_ce_full": (
        "Without any hook the checker runs one forward pass per element (24,704 of them; see the ablation). "
        "The native layer's vectorised `forward_perturbed` evaluates a chunk of up to 1,024 perturbations in "
        "one numpy pass, because a perturbation of W[j, k] or b[k] moves column k of the pre-activation only "
        "and one of x[i, j] row i only. The sigmoid is computed by the tanh identity instead of "
        "exp(-logaddexp(0, -z)). Then the page faults: temporaries above malloc's mmap threshold "
        "(128 KB) come fresh from the OS on every call, so the hook works in sub-chunks under 64 KB and "
        "shares one unperturbed pass per call."),
    "affine_sigmoid_ce_fast": (
        "Fast mode first checked each of x, W and b along 8 random directions at ±d and ±d/2: 96 forward "
        "passes, one at a time. A new optional hook, `forward_replaced(target, arrays)` "
        "(gradlab/core/protocol.py), lets `gradlab/core/projection.py` hand a layer several whole-array moves "
        "at once; the moves go into one reused buffer, all directions of a chunk are compared with vector "
        "operations, Rademacher signs come from random bits rather than `rng.choice`, and batches are "
        "capped at 256 KB (bigger ones cost page faults). Then 3 directions instead of 8 (an error "
        "well above the tolerance survives one direction with probability ~ tolerance/|error|, so three "
        "make that cubed, and a failing projection is always re-checked element-wise): 36 "
        "evaluations against gradcheck's 6. Layers without the hook (students' layers) get one joint "
        "projection over all their arrays: an affine layer 128 -> 64 with N = 32 costs 16 forward calls."),
    "conv_full": ("Unchanged by this work: the reference Convolution through its class-style adapter, x by "
                  "stacked copies (a handful of forward calls), W and b one forward per element."),
    "registry": ("Unchanged by this work; most buggy entries stop at their first failing example, which is why "
                 "the whole registry takes seconds."),
    "mnist_epoch": (
        "An epoch's time goes mostly to the Affine forward/backward matrix products, then Adam. The "
        "reference Relu now multiplies by its mask (x * mask) instead of boolean-mask indexing "
        "(`out[mask] = 0`), which had been a sizeable share of each step. The textbook Affine.backward "
        "still computes dx for the first layer, which nobody uses (a third of that layer's backward FLOPs); "
        "PyTorch skips it because the images do not require grad."),
}


#: why a bar is missed, when it is (see CHANGES)
SHORTFALLS = {
    "affine_sigmoid_ce_fast": (
        "gradlab's fast mode evaluates the layer 36 times (x, W and b, 3 random directions each, at ±d and "
        "±d/2: the half step measures the truncation error, so the tolerance is derived rather than "
        "guessed), plus the checker's structural checks (a second backward, mutation and "
        "sample-independence checks), which gradcheck does not do. `gradcheck(fast_mode=True)` evaluates "
        "the function 6 times with one direction per input. Fewer directions or a single step would close "
        "the gap at the price of the guarantees above; left as it is."),
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
        "", "| case | gradlab | PyTorch | ratio | best rounds: gradlab / PyTorch (ratio) | bar |",
        "| --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for c in results["cases"]:
        ratio = f"{c['ratio']:.2f}×" if c["ratio"] is not None else "—"
        best_ratio = f" ({c['ratio_min']:.2f}×)" if c["ratio_min"] is not None else ""
        best = f"{_s(c['gradlab_min_s'])} / {_s(c['torch_min_s'])}{best_ratio}"
        lines.append(f"| `{c['case']}` | {_s(c['gradlab_s'])} | {_s(c['torch_s'])} | {ratio} | {best} | {_bar(c)} |")
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
    lines += ["", "## What changed each figure", ""]
    for c in results["cases"]:
        lines.append(f"- **`{c['case']}`**: {CHANGES.get(c['case'], '')}")
    return lines


def _ablation_table(ablations: list[dict[str, Any]]) -> list[str]:
    """The headline layer timed with and without its vectorised hook; nothing when not measured."""
    if not ablations:
        return []
    lines = ["", "Ablation: the headline layer with and without its vectorised hook, timed alternately "
             f"({ablations[0]['rounds']} rounds after a warm-up; the checker's own improvements "
             "apply to both).", "",
             "| case | hook | without it | with it |", "| --- | --- | ---: | ---: |"]
    for a in ablations:
        lines.append(f"| `{a['case']}` | `{a['without']}` | {_s(a['gradlab_s'])} | {_s(a['with_hook_s'])} |")
    return lines


def _scaling_section(rows: list[dict[str, Any]], figure: str | None) -> list[str]:
    """Check time against layer size: the plot (or how to get it) and the table it is drawn from."""
    lines = ["", "## Check time against layer size", "",
             "affine → sigmoid → softmax CE, N = 32, D → M; elements = N·D + D·M + M.", ""]
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
    ax.set_title("affine → sigmoid → softmax CE, N = 32: check time against size")
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
