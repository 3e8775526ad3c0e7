"""Verified fixes in helper modules of the user's package (issue 19): the bug sits in a function the layer calls
from another module, so the fix edits that module, the JSON's `file` names it and `--fix` writes it there.

Two folder shapes, written here in the courses' conventions (not copied from them): CS231n's `cs231n/` package,
whose `layer_utils.py` calls `layers.py` through `from .layers import *`; the textbook's repository, whose
`common/layers.py` calls `common/functions.py` (`softmax`) and `common/util.py` (`col2im`), imported from the
repository root.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.conventions.discover import discover
from gradlab.fixes.source import helper_sites, locate

CS231N = {
    "cs231n/__init__.py": "",
    "cs231n/layers.py": '''\
import numpy as np


def affine_forward(x, w, b):
    out = x.reshape(len(x), -1) @ w + b
    return out, (x, w, b)


def affine_backward(dout, cache):
    x, w, b = cache
    dx = (dout @ w.T).reshape(x.shape)
    dw = x.reshape(len(x), -1).T @ dout
    db = dout.sum(axis=0)
    return dx, dw, db


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
''',
    "cs231n/layer_utils.py": '''\
from .layers import *


def affine_relu_forward(x, w, b):
    a, fc_cache = affine_forward(x, w, b)
    out, relu_cache = relu_forward(a)
    return out, (fc_cache, relu_cache)


def affine_relu_backward(dout, cache):
    fc_cache, relu_cache = cache
    da = relu_backward(dout, relu_cache)
    return affine_backward(da, fc_cache)
''',
}

TEXTBOOK = {
    "common/__init__.py": "",
    "common/functions.py": '''\
import numpy as np


def softmax(a):
    a = a - np.max(a, axis=-1, keepdims=True)
    e = np.exp(a)
    return e / np.sum(e, axis=-1, keepdims=True)


def cross_entropy_error(p, labels):
    if p.ndim == 1:
        p = p.reshape(1, -1)
        labels = labels.reshape(1, -1)
    if labels.size == p.size:
        labels = labels.argmax(axis=1)
    n = p.shape[0]
    return -np.sum(np.log(p[np.arange(n), labels] + 1e-7)) / n
''',
    "common/util.py": '''\
import numpy as np


def im2col(images, fh, fw, stride=1, pad=0):
    n, c, h, w = images.shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    padded = np.pad(images, [(0, 0), (0, 0), (pad, pad), (pad, pad)], "constant")
    cols = np.zeros((n, c, fh, fw, oh, ow))
    for i in range(fh):
        for j in range(fw):
            cols[:, :, i, j, :, :] = padded[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * oh * ow, -1)


def col2im(cols, shape, fh, fw, stride=1, pad=0):
    n, c, h, w = shape
    oh = (h + 2 * pad - fh) // stride + 1
    ow = (w + 2 * pad - fw) // stride + 1
    cols = cols.reshape(n, oh, ow, c, fh, fw).transpose(0, 3, 4, 5, 1, 2)
    images = np.zeros((n, c, h + 2 * pad + stride - 1, w + 2 * pad + stride - 1))
    for i in range(fh):
        for j in range(fw):
            images[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride] += cols[:, :, i, j, :, :]
    return images[:, :, pad:h + pad, pad:w + pad]
''',
    "common/layers.py": '''\
import numpy as np
from common.functions import *
from common.util import im2col, col2im


class SoftmaxWithLoss:
    def __init__(self):
        self.loss = None
        self.p = None
        self.t = None

    def forward(self, x, t):
        self.t = t
        self.p = softmax(x)
        self.loss = cross_entropy_error(self.p, self.t)
        return self.loss

    def backward(self, dout=1):
        n = self.t.shape[0]
        if self.t.size == self.p.size:
            return (self.p - self.t) * dout / n
        dx = self.p.copy()
        dx[np.arange(n), self.t] -= 1
        return dx * dout / n


class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W = W
        self.b = b
        self.stride = stride
        self.pad = pad

    def forward(self, x):
        fn, c, fh, fw = self.W.shape
        n, c, h, w = x.shape
        oh = 1 + (h + 2 * self.pad - fh) // self.stride
        ow = 1 + (w + 2 * self.pad - fw) // self.stride
        self.x = x
        self.cols = im2col(x, fh, fw, self.stride, self.pad)
        self.flat_W = self.W.reshape(fn, -1).T
        out = np.dot(self.cols, self.flat_W) + self.b
        return out.reshape(n, oh, ow, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        fn, c, fh, fw = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, fn)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.cols.T, dout).transpose(1, 0).reshape(fn, c, fh, fw)
        dcols = np.dot(dout, self.flat_W.T)
        return col2im(dcols, self.x.shape, fh, fw, self.stride, self.pad)
''',
}

#: (folder shape, the layer's file, the layer, the helper module holding the bug, the right line, the slip)
BUGS = {
    "cs231n-layers-db-summed-over-all-axes": (CS231N, "cs231n/layer_utils.py", "affine_relu", "cs231n/layers.py",
                                              "    db = dout.sum(axis=0)\n", "    db = dout.sum()\n"),
    "textbook-col2im-overwrites": (TEXTBOOK, "common/layers.py", "Convolution", "common/util.py",
                                   "stride] += cols", "stride] = cols"),
    "textbook-softmax-over-the-batch": (TEXTBOOK, "common/layers.py", "SoftmaxWithLoss", "common/functions.py",
                                        "np.sum(e, axis=-1, keepdims=True)", "np.sum(e, axis=0, keepdims=True)"),
}


def _write(folder: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")


def _buggy(tmp_path: Path, name: str) -> tuple[Path, str, Path]:
    shape, layer_file, layer, helper, right, slip = BUGS[name]
    _write(tmp_path, shape)
    path = tmp_path / helper
    text = path.read_text(encoding="utf-8")
    assert text.count(right) == 1
    path.write_text(text.replace(right, slip), encoding="utf-8")
    return tmp_path / layer_file, layer, path


@pytest.mark.parametrize("name", sorted(BUGS))
def test_a_bug_in_a_helper_module_gets_a_fix_of_that_module_which_fix_writes_there(name, tmp_path, capsys):
    layer_file, layer, helper = _buggy(tmp_path, name)
    before = layer_file.read_text(encoding="utf-8")
    out = tmp_path / "out.json"
    only = ["--only", layer, "--examples", "20"]
    assert main(["check", str(layer_file), *only, "--json", str(out)]) == 1
    (entry,) = [e for e in json.loads(out.read_text(encoding="utf-8"))["layers"] if e["name"] == layer]
    fix = entry["fix"]
    assert fix["status"] == "verified", fix
    assert Path(fix["file"]).resolve() == helper.resolve()
    assert fix["diff"].splitlines()[0] == f"--- {fix['file']}"
    assert len(fix["lines"]) == 1
    capsys.readouterr()
    assert main(["check", str(layer_file), *only, "--fix"]) == 1
    assert f"fixed {fix['file']}: line {fix['lines'][0]} ({layer})" in capsys.readouterr().out
    assert layer_file.read_text(encoding="utf-8") == before  # the layer's own file is not touched
    assert main(["check", str(layer_file), *only, "--no-fix-search"]) == 0


def test_the_json_diff_of_a_helper_module_fix_applies_with_patch(tmp_path):
    layer_file, layer, helper = _buggy(tmp_path, "cs231n-layers-db-summed-over-all-axes")
    out = tmp_path / "out.json"
    main(["check", str(layer_file), "--only", layer, "--examples", "20", "--json", str(out)])
    fix = json.loads(out.read_text(encoding="utf-8"))["layers"][0]["fix"]
    done = subprocess.run(["patch", "--batch", str(helper)], input=fix["diff"], text=True, capture_output=True,
                          check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "db = dout.sum(axis=0)" in helper.read_text(encoding="utf-8")


@pytest.mark.parametrize("shape", [CS231N, TEXTBOOK], ids=["cs231n", "textbook"])
def test_a_correct_package_gets_no_fix(shape, tmp_path):
    _write(tmp_path, shape)
    layer_file = tmp_path / ("cs231n/layer_utils.py" if shape is CS231N else "common/layers.py")
    out = tmp_path / "out.json"
    assert main(["check", str(layer_file), "--examples", "10", "--json", str(out)]) == 0
    assert all(e["fix"] is None for e in json.loads(out.read_text(encoding="utf-8"))["layers"])


def test_only_the_users_own_modules_are_helper_sites(tmp_path):
    """numpy's functions (an installed package) and gradlab's own are called by name too, but are nobody's bug."""
    _write(tmp_path, TEXTBOOK)
    layers = tmp_path / "common" / "layers.py"
    text = layers.read_text(encoding="utf-8")
    layers.write_text(text.replace("from common.util import im2col, col2im",
                                   "from common.util import im2col, col2im\nfrom numpy import pad\n"
                                   "from gradlab.functions.gradient import numeric_gradient")
                      .replace("        self.x = x\n", "        self.x = pad(x, 0)\n        if x.size < 0:\n"
                                                         "            numeric_gradient(np.sum, x)\n"), encoding="utf-8")
    (found,) = discover([layers])
    (conv,) = [e for e in found.entries if e.name == "Convolution"]
    site = locate(conv)
    assert site is not None
    assert [(s.path.name, set(s.exports)) for s in helper_sites(site)] == [
        ("util.py", {("im2col", "im2col"), ("col2im", "col2im")})]
