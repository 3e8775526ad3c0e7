"""Files are imported as their own code expects: as part of their package, with helper modules next
to them or a repository root above them importable, and nothing left behind afterwards."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from gradlab.conventions.discover import discover
from gradlab.conventions.imports import LoadError, load_module, package_of, search_roots

SIGMOID_HELPER = "import numpy as np\n\n\ndef sigmoid(x):\n    return 1 / (1 + np.exp(-x))\n"
SIGMOID_LAYER = '''
class Sigmoid:
    def forward(self, x):
        self.out = sigmoid(x)
        return self.out

    def backward(self, dout):
        return dout * (1.0 - self.out) * self.out
'''
RELU_FUNCTIONS = '''
import numpy as np


def relu_forward(x):
    return np.maximum(0, x), x


def relu_backward(dout, cache):
    return dout * (cache > 0)
'''
SANDWICH = '''
from .layers import *


def relu_twice_forward(x):
    a, c1 = relu_forward(x)
    b, c2 = relu_forward(a)
    return b, (c1, c2)
'''


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _names(found) -> list[str]:
    return sorted(e.name for f in found for e in f.entries)


def test_a_file_that_imports_its_repository_roots_package_is_found_from_anywhere(tmp_path, monkeypatch):
    repo = _tree(tmp_path / "book", {
        "common/functions.py": SIGMOID_HELPER,
        "common/layers.py": "from common.functions import *\n" + SIGMOID_LAYER,
        "ch05/net.py": "import sys, os\nsys.path.append(os.pardir)\nfrom common.layers import Sigmoid\n",
    })
    monkeypatch.chdir(tmp_path)  # not the repository: os.pardir points nowhere useful
    found = discover([repo / "common" / "layers.py", repo / "ch05" / "net.py"])
    assert [f.error for f in found] == [None, None]
    assert _names(found) == ["Sigmoid"]  # net.py only imports it: not its own layer
    assert search_roots(repo / "common" / "layers.py") == [repo / "common", repo]


def test_a_module_inside_a_package_is_imported_as_part_of_it_so_relative_imports_work(tmp_path):
    repo = _tree(tmp_path / "assignment2", {
        "cs231n/__init__.py": "", "cs231n/layers.py": RELU_FUNCTIONS, "cs231n/layer_utils.py": SANDWICH,
    })
    found = discover([repo / "cs231n"])
    assert [f.error for f in found] == [None, None, None]
    assert package_of(repo / "cs231n" / "layer_utils.py") == (repo, "cs231n.layer_utils")
    assert "relu" in _names(found)


def test_two_packages_with_the_same_name_in_different_folders_never_meet(tmp_path):
    first = _tree(tmp_path / "assignment1", {"cs231n/__init__.py": "", "cs231n/layers.py": RELU_FUNCTIONS})
    second = _tree(tmp_path / "assignment2", {"cs231n/__init__.py": "", "cs231n/layers.py": RELU_FUNCTIONS.replace(
        "cache > 0", "cache >= 0")})
    a = load_module(first / "cs231n" / "layers.py")
    b = load_module(second / "cs231n" / "layers.py")
    assert Path(a.__file__).resolve() != Path(b.__file__).resolve()
    assert "cache >= 0" not in Path(a.__file__).read_text() and "cache >= 0" in Path(b.__file__).read_text()


def test_a_helper_module_next_to_the_file_is_importable_and_sys_is_left_as_it_was(tmp_path):
    folder = _tree(tmp_path / "project", {"functions.py": SIGMOID_HELPER,
                                          "layers.py": "from functions import sigmoid\n" + SIGMOID_LAYER})
    before_path, before_modules = list(sys.path), set(sys.modules)
    module = load_module(folder / "layers.py")
    assert module.Sigmoid().forward(__import__("numpy").zeros(2)).tolist() == [0.5, 0.5]
    assert sys.path == before_path
    assert not {m for m in set(sys.modules) - before_modules if m in ("functions", "layers")}


def test_a_missing_module_star_imported_is_named_with_its_line_and_where_gradlab_looked(tmp_path):
    path = _tree(tmp_path / "p", {"layers.py": "import numpy as np\nfrom common.nowhere import *\n"}) / "layers.py"
    with pytest.raises(LoadError) as info:
        load_module(path)
    message = str(info.value)
    assert message.startswith("layers.py imports 'common") and "(line 2)" in message
    assert "searched" in message and "\n" not in message


def test_an_installed_package_probing_for_an_optional_module_is_told_it_is_absent(tmp_path):
    # scipy and numpy try optional imports in try/except: a stand-in there would change what they do
    path = _tree(tmp_path / "q", {"layers.py": "import numpy as np\nimport scipy.special\n"}) / "layers.py"
    module = load_module(path)
    assert getattr(module, "__gradlab_stand_ins__", ()) == ()


def test_a_module_with_an_odd_path_attribute_does_not_break_the_cleanup(tmp_path):
    # torch registers modules whose __path__ cannot be iterated; loading a file that imports one must work
    _tree(tmp_path / "odd", {"weird.py": "class _NotIterable:\n    def __iter__(self):\n        raise TypeError('no')\n"
                                          "__path__ = _NotIterable()\n__file__ = None\n",
                             "layers.py": "import weird\n" + RELU_FUNCTIONS})
    module = load_module(tmp_path / "odd" / "layers.py")
    assert module.relu_forward is not None


def test_a_root_that_only_a_sibling_module_needs_is_found_and_the_error_names_the_sibling(tmp_path, monkeypatch):
    repo = _tree(tmp_path / "book", {
        "common/functions.py": SIGMOID_HELPER,
        "ch07/net.py": "import sys, os\nsys.path.append(os.pardir)\nfrom common.functions import sigmoid\n",
        "ch07/layers.py": "from net import *\n" + SIGMOID_LAYER,
        "ch08/net.py": "from common.nowhere import thing\n",
        "ch08/layers.py": "from net import *\n" + SIGMOID_LAYER,
    })
    monkeypatch.chdir(tmp_path)
    (found,) = discover([repo / "ch07" / "layers.py"])
    assert found.error is None and _names([found]) == ["Sigmoid"]
    with pytest.raises(LoadError, match=r"^layers.py \(through net.py\) imports 'common.nowhere' \(line 1\)"):
        load_module(repo / "ch08" / "layers.py")


def test_the_local_modules_a_single_file_needs_are_listed_with_a_base_that_holds_them_all(tmp_path):
    from gradlab.conventions.imports import local_modules

    repo = _tree(tmp_path / "book", {
        "common/__init__.py": "",
        "common/functions.py": SIGMOID_HELPER,
        "common/layers.py": "from common.functions import *\n" + SIGMOID_LAYER,
        "ch05/net.py": "import numpy as np\nfrom common.layers import Sigmoid\nfrom helpers import thing\n",
        "ch05/helpers.py": "thing = 1\n",
        "ch05/unrelated.py": "raise SystemExit('never needed')\n",
    })
    base, files = local_modules(repo / "ch05" / "net.py")
    assert base == repo.resolve()
    assert {f.relative_to(base).as_posix() for f in files} == {
        "ch05/net.py", "ch05/helpers.py", "common/__init__.py", "common/layers.py", "common/functions.py"}


def test_a_symbolic_link_never_travels_with_a_submission(tmp_path):
    from gradlab.conventions.imports import local_modules

    secret = _tree(tmp_path / "elsewhere", {"answers.py": "SOLUTION = 42\n"}) / "answers.py"
    folder = _tree(tmp_path / "student", {"layers.py": "from answers import SOLUTION\n"})
    (folder / "answers.py").symlink_to(secret)
    _, files = local_modules(folder / "layers.py")
    assert [f.name for f in files] == ["layers.py"]


def test_modules_from_a_folder_the_users_code_put_on_sys_path_leave_with_the_import(tmp_path):
    # two projects whose code appends its own library folder, each with a `common` package: the second must get
    # its own, not the first one's left in sys.modules
    for project, value in (("one", 1), ("two", 2)):
        lib = tmp_path / project / "lib" / "common"
        lib.mkdir(parents=True)
        (lib / "__init__.py").write_text(f"VALUE = {value}\n")
        main = tmp_path / project / "app" / "main.py"
        main.parent.mkdir()
        main.write_text(f"import sys\nsys.path.insert(0, {str(lib.parent)!r})\nimport common\nVALUE = common.VALUE\n")
        assert load_module(main).VALUE == value
        assert "common" not in sys.modules
