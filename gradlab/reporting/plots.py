"""Pictures for the registry report, drawn with matplotlib (an optional extra: `pip install gradlab[plots]`).

Each function writes one PNG and returns its path; none of them computes a verdict. Without
matplotlib, `available()` is False and nothing is drawn (the reports name the pictures anyway).

Figures under reports/ are tracked in git, but PNG bytes change with the matplotlib version. So each
PNG carries a digest of its input data (title, arrays) in its "Description" text chunk, and a figure
whose file already carries the digest of the data at hand is not drawn again (`draw_unless_current`).
Non-goal: interactive plots.
"""

from __future__ import annotations

import hashlib
import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
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


#: bump to redraw every figure after a change in how they are drawn (not in what they show)
STYLE = "1"
#: the y axis of a step-size curve unless told otherwise
STEP_CURVE_YLABEL = "max relative error vs analytic"
#: the PNG text chunk that holds a figure's data digest
DIGEST_KEY = "Description"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def digest(*parts: Any) -> str:
    """A fingerprint of a figure's input data: strings as they are, arrays (and numbers) quantised to
    1e-4 of their largest magnitude, far finer than a picture shows but blind to rounding noise (a
    gradient of 1e-17 where the truth is 0, a last bit that differs between BLAS builds)."""
    h = hashlib.sha256(f"gradlab-figure/{STYLE}".encode())
    for part in parts:
        h.update((f"s{part}" if isinstance(part, str) else _quantised(part)).encode() + b"\0")
    return h.hexdigest()[:32]


def _quantised(values: Any) -> str:
    a = np.asarray(values, dtype=float)
    finite = np.isfinite(a)
    top = float(np.abs(a[finite]).max()) if finite.any() else 0.0
    scale = 10.0 ** math.ceil(math.log10(top)) if top > 0 else 1.0  # a power of ten: stable under noise
    steps = np.round(np.where(finite, a, 0.0) / scale * 1e4).astype(np.int64)
    cells = [str(int(q)) if ok else str(v) for q, ok, v in zip(steps.ravel(), finite.ravel(), a.ravel())]
    return f"a{a.shape}x{scale:g}:" + ",".join(cells)


def stored_digest(path: Path) -> str | None:
    """The data digest a PNG written here carries (its tEXt chunk), or None (no file, not a PNG, no digest)."""
    try:
        data = Path(path).read_bytes()
    except OSError:
        return None
    if not data.startswith(PNG_SIGNATURE):
        return None
    pos = len(PNG_SIGNATURE)
    while pos + 8 <= len(data):
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if ctype == b"tEXt" and b"\0" in body:
            key, value = body.split(b"\0", 1)
            if key.decode("latin-1") == DIGEST_KEY:
                return value.decode("latin-1")
        elif ctype == b"IEND":
            break
        pos += 12 + length
    return None


@dataclass(frozen=True)
class Figure:
    """A picture of a report: its file name (relative to the report folder), the digest of its data,
    and `draw(path, data_digest=...)`. The name and digest are known without matplotlib."""

    name: str
    digest: str
    draw: Callable[..., Any] = field(repr=False, compare=False)

    def write(self, folder: Path) -> bool:
        """Draw under `folder` unless the file there already carries this digest; True when it drew."""
        path = Path(folder) / self.name
        if stored_digest(path) == self.digest:
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        self.draw(path, data_digest=self.digest)
        return True


def _save(fig: Any, path: Path, data_digest: str, dpi: int = 90) -> Path:
    """Write `fig` as a PNG that carries `data_digest` and no matplotlib version, then close it."""
    metadata = {"Software": None, DIGEST_KEY: data_digest} if data_digest else {"Software": None}
    fig.savefig(path, dpi=dpi, metadata=metadata)
    pyplot().close(fig)
    return path


def heatmap_figure(name: str, title: str, analytic: np.ndarray, numeric: np.ndarray) -> Figure:
    return Figure(name, digest("heatmap", title, analytic, numeric),
                  partial(heatmap, title=title, analytic=analytic, numeric=numeric))


def step_curve_figure(name: str, title: str, steps: Sequence[float], errors: Sequence[float],
                      ylabel: str = STEP_CURVE_YLABEL, tolerance: float | None = None) -> Figure:
    """See `step_curve`; without `ylabel` and `tolerance` the digest is what it always was."""
    logs = [np.log10(np.maximum(np.asarray(v, dtype=float), 1e-300)) for v in (steps, errors)]  # log-log axes
    extra = [] if ylabel == STEP_CURVE_YLABEL else [ylabel]
    extra += [] if tolerance is None else [f"tolerance {tolerance:.3g}"]
    return Figure(name, digest("step_curve", title, *logs, *extra),
                  partial(step_curve, title=title, steps=steps, errors=errors, ylabel=ylabel, tolerance=tolerance))


def training_curves_figure(name: str, curves: dict[str, Sequence[float]], title: str) -> Figure:
    parts = [p for key, values in curves.items() for p in (key, values)]
    return Figure(name, digest("training_curves", title, *parts), partial(training_curves, curves=curves, title=title))


def _as_2d(a: np.ndarray) -> np.ndarray:
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(a.shape[0], -1)


def heatmap(path: Path, title: str, analytic: np.ndarray, numeric: np.ndarray, data_digest: str = "") -> Path:
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
    return _save(fig, path, data_digest)


def step_curve(path: Path, title: str, steps: Sequence[float], errors: Sequence[float], data_digest: str = "",
               ylabel: str = STEP_CURVE_YLABEL, tolerance: float | None = None) -> Path:
    """Finite-difference error against step size on log-log axes: the V of truncation vs rounding.

    With a `tolerance` (a failing gradient's curve), a dashed line shows it and the y axis spans at least
    1e-13 to 10, so that an error flat far above the line reads as flat."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(5.5, 3.6), constrained_layout=True)
    ax.loglog(steps, errors, "o-")
    if tolerance is None:
        best = int(np.nanargmin(errors))
        ax.annotate(f"best h ≈ {steps[best]:.0e}", (steps[best], errors[best]), textcoords="offset points",
                    xytext=(10, 10))
    else:
        ax.axhline(tolerance, linestyle="--", color="grey", label=f"the check's rtol ({tolerance:.0e})")
        positive = [e for e in errors if e > 0]
        ax.set_ylim(min([1e-13, *positive]) / 2, max([10.0, *errors]) * 2)
        ax.legend(fontsize=8, loc="lower left")
    ax.set_xlabel("relative step h")
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    return _save(fig, path, data_digest)


def training_curves(path: Path, curves: dict[str, Sequence[float]], title: str = "MNIST training",
                    data_digest: str = "") -> Path:
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
    return _save(fig, path, data_digest)
