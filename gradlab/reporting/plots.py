"""Pictures for the registry report, drawn with matplotlib (an optional extra: `pip install gradlab[plots]`).

Each function writes one PNG and returns its path; none of them computes a verdict. Without
matplotlib, `available()` is False and the report says how to get the pictures.
Non-goal: interactive plots.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend; the bench report draws with it too."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display on servers and CI
    import matplotlib.pyplot as plt

    return plt


def _as_2d(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(a.shape[0], -1)


def heatmap(path: Path, title: str, analytic: np.ndarray, numeric: np.ndarray) -> Path:
    """analytic − numeric, element by element, on a diverging colour scale centred on zero."""
    plt = pyplot()
    diff = _as_2d(np.asarray(analytic, dtype=float) - np.asarray(numeric, dtype=float))
    limit = float(np.abs(diff).max()) or 1.0
    fig, axes = plt.subplots(1, 3, figsize=(9, 2.8), constrained_layout=True)
    for ax, data, name, cmap, lim in (
        (axes[0], _as_2d(numeric), "numeric", "viridis", None),
        (axes[1], _as_2d(analytic), "analytic", "viridis", None),
        (axes[2], diff, "analytic − numeric", "RdBu_r", limit),
    ):
        kwargs = {"vmin": -lim, "vmax": lim} if lim else {}
        im = ax.imshow(data, cmap=cmap, aspect="auto", interpolation="nearest", **kwargs)
        ax.set_title(name, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
        fig.colorbar(im, ax=ax, shrink=0.8)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def step_curve(path: Path, title: str, steps: Sequence[float], errors: Sequence[float]) -> Path:
    """Finite-difference error against step size on log-log axes: the V of truncation vs rounding."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.6), constrained_layout=True)
    ax.loglog(steps, errors, "o-")
    best = int(np.nanargmin(errors))
    ax.annotate(f"best h ≈ {steps[best]:.0e}", (steps[best], errors[best]), textcoords="offset points",
                xytext=(10, 10))
    ax.set_xlabel("relative step h")
    ax.set_ylabel("max relative error vs analytic")
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def training_curves(path: Path, curves: dict[str, Sequence[float]], title: str = "MNIST training") -> Path:
    """Loss and accuracy per epoch, side by side."""
    plt = pyplot()
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4), constrained_layout=True)
    for name, values in curves.items():
        epochs = np.arange(1, len(values) + 1)
        target = left if "loss" in name else right
        target.plot(epochs, values, "o-", label=name.replace("_", " "))
    left.set_xlabel("epoch")
    left.set_ylabel("loss")
    right.set_xlabel("epoch")
    right.set_ylabel("accuracy")
    for ax in (left, right):
        ax.grid(True, alpha=0.3)
        if ax.lines:
            ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
