"""Layouts and conventions of published course code met on session 24's held-out repositories (issue 10): each
test checks a folder of tests/realcode7/ (this project's own files, written the way those repositories are laid
out, see its README) as a new user would, and next to each fix a variant that must still fail shows the check
could have failed."""

from __future__ import annotations

import sys
from pathlib import Path

from gradlab.cases.check_many import check_paths
from gradlab.conventions.imports import package_of

HERE = Path(__file__).parent / "realcode7"


def _check(path: Path, examples: int = 6):
    outcome = check_paths([path], examples=examples, seed=0)
    verdicts = {(r.name, Path(r.source).name): r for r in outcome.reports}
    return outcome, verdicts


def test_a_clone_whose_dashed_root_holds_an_init_file_is_imported_from_that_root_so_its_package_resolves():
    # `numpy-net/__init__.py` cannot make `numpy-net` a package (no import statement can name it): the package
    # is nn/, whose __init__ imports `from nn.layers import ...`, and whose modules import siblings by bare name
    assert package_of(HERE / "numpy-net" / "nn" / "layers.py") == (HERE / "numpy-net", "nn.layers")
    outcome, verdicts = _check(HERE / "numpy-net")
    assert outcome.errors == []
    assert {name for name, _ in verdicts} == {"Affine", "Sigmoid"}
    assert all(r.verdict in ("pass", "warn") for r in verdicts.values()), {k: r.bug_codes for k, r in verdicts.items()}
    assert "nn" not in sys.modules and "activation_math" not in sys.modules  # nothing of the user's left behind


def test_a_copied_common_folder_without_init_that_imports_relatively_is_imported_as_a_namespace_package():
    common = HERE / "01-second-volume" / "common"
    assert package_of(common / "layers.py") == (HERE / "01-second-volume", "common.layers")
    assert package_of(common / "functions.py") is None  # no relative import: a plain module, as before
    outcome, verdicts = _check(HERE / "01-second-volume")
    assert outcome.errors == []
    assert {name for name, _ in verdicts} == {"Affine", "Sigmoid"}
    assert all(r.verdict in ("pass", "warn") for r in verdicts.values())


def test_python_2_pooling_whose_sizes_are_a_division_of_integers_is_set_aside_as_python_2_code_not_failed():
    outcome, verdicts = _check(HERE / "winter2016")
    assert verdicts == {}
    (name, reason), = [s for s in outcome.skipped if s[0] == "max_pool"]
    assert "written for Python 2" in reason and "xrange" in reason and "//" in reason, reason


def test_the_same_division_in_python_3_code_is_its_own_bug_and_still_fails_as_crashed():
    _, verdicts = _check(HERE / "python3_course")
    report = verdicts[("max_pool", "layers.py")]
    assert report.verdict == "fail" and report.bug_codes == ["crashed"], report.bug_codes
    assert "Python 2" not in str(report.to_dict())


def test_a_first_chapter_layer_whose_backward_is_an_empty_stub_is_not_implemented_yet_not_crashed():
    outcome, verdicts = _check(HERE / "first_chapter")
    skipped = dict(outcome.skipped)
    assert "not implemented yet: backward is empty" in skipped["Sigmoid"]
    assert "not implemented yet: backward is empty" in skipped["Affine"]
    # a backward that computes something but forgot its dout argument is written code that crashes
    tanh = verdicts[("Tanh", "forward_net.py")]
    assert tanh.verdict == "fail" and tanh.bug_codes == ["crashed"]


def test_a_name_numpy_never_had_is_the_codes_own_crash_while_a_removed_alias_is_set_aside_as_older_numpy():
    outcome, verdicts = _check(HERE / "gpu_copy")
    embedding = verdicts[("Embedding", "layers.py")]
    assert embedding.verdict == "fail" and embedding.bug_codes == ["crashed"]
    assert "asnumpy" in str(embedding.to_dict()) and "older numpy" not in str(embedding.to_dict())
    reason = dict(outcome.skipped)["Relu"]
    assert "written for an older numpy" in reason and "float" in reason
