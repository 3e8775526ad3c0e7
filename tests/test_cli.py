"""The `gradlab` command as a user runs it: exit statuses, the JSON contract, clear one-line errors,
one spelling per output flag, pipes, progress bars, and what it leaves in the working directory."""

from __future__ import annotations

import functools
import io
import json
import os
import shlex
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from gradlab.cli.main import COMMANDS, build_parser, main

ROOT = Path(__file__).resolve().parents[1]
COMMAND_NAMES = [m.__name__.rsplit(".", 1)[-1] for m in COMMANDS]  # one module per subcommand, named after it

GOOD = """
    import numpy as np
    def affine_forward(x, w, b):
        out = x.reshape(x.shape[0], -1) @ w + b
        return out, (x, w)
    def affine_backward(dout, cache):
        x, w = cache
        dx = (dout @ w.T).reshape(x.shape)
        return dx, x.reshape(x.shape[0], -1).T @ dout, dout.sum(axis=0)
"""

BAD = """
    import numpy as np
    class SoftmaxWithLoss:
        def forward(self, x, t):
            z = x - x.max(axis=1, keepdims=True)
            logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
            self.p = np.exp(logp)
            self.t = t if t.ndim == 1 else t.argmax(axis=1)
            return -logp[np.arange(len(self.t)), self.t].mean()
        def backward(self, dout=1):
            d = self.p.copy()
            d[np.arange(len(self.t)), self.t] -= 1
            return d  # the 1/N of the mean is missing
"""


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    out = {}
    for name, src in (("good.py", GOOD), ("bad.py", BAD)):
        out[name] = tmp_path / name
        out[name].write_text(textwrap.dedent(src))
    return out


def test_a_file_of_correct_layers_exits_0(files, capsys):
    assert main(["check", str(files["good.py"]), "--examples", "10"]) == 0
    assert "PASS affine (function style, good.py)" in capsys.readouterr().out


def test_a_buggy_layer_exits_1_and_the_json_names_its_bug(files, tmp_path, capsys):
    out = tmp_path / "out.json"
    assert main(["check", str(files["bad.py"]), "--examples", "20", "--json", str(out), "--seed", "3"]) == 1
    data = json.loads(out.read_text())
    (layer,) = data["layers"]
    assert layer["name"] == "SoftmaxWithLoss"
    assert layer["convention"] == "class"
    assert layer["verdict"] == "fail"
    assert layer["bug_codes"] == ["missing-batch-mean"]
    assert layer["smallest_failing"].startswith("N=2")
    assert layer["passes_with"] == "N=1"
    assert layer["seed"] == 3
    grad = layer["gradients"]["dx"]
    assert set(grad) >= {"max_rel_error", "worst_index"}
    assert "missing-batch-mean" in capsys.readouterr().out


def test_every_layer_entry_in_the_json_carries_the_contract_fields(files, tmp_path):
    out = tmp_path / "out.json"
    main(["check", str(files["good.py"]), str(files["bad.py"]), "--examples", "5", "--json", str(out)])
    layers = json.loads(out.read_text())["layers"]
    assert sorted(layer["name"] for layer in layers) == ["SoftmaxWithLoss", "affine"]  # the loop below is not empty
    for layer in layers:
        assert {"name", "convention", "verdict", "bug_codes", "gradients", "smallest_failing", "seed"} <= set(layer)
        assert layer["verdict"] in ("pass", "fail", "warn")


BAD_INVOCATIONS = {
    "missing-path": (["check", "/no/such/file.py"], "/no/such/file.py"),
    "unknown-command": (["nope"], "nope"),
    "check-seed-minus-1": (["check", "--seed", "-1"], "--seed"),
    "check-seed-not-a-number": (["check", "--seed", "seven"], "--seed"),
    "check-examples-0": (["check", "--examples", "0"], "--examples"),
    "batch-N-1": (["batch", "--N", "1"], "--N"),
    "batch-seed-minus-1": (["batch", "--seed", "-1"], "--seed"),
    "report-examples-0": (["report", "--examples", "0"], "--examples"),
    "train-seed-minus-1": (["train", "--seed", "-1"], "--seed"),
    "train-epochs-0": (["train", "--epochs", "0"], "--epochs"),
    "train-batch-size-0": (["train", "--batch-size", "0"], "--batch-size"),
    "train-hidden-0": (["train", "--hidden", "128", "0"], "--hidden"),
    "train-examples-minus-5": (["train", "--examples", "-5"], "--examples"),
    "demo-epochs-0": (["demo", "--epochs", "0"], "--epochs"),
    "grade-jobs-0": (["grade", "class/", "--assignment", "classes", "--jobs", "0"], "--jobs"),
    "bench-repeats-0": (["bench", "--repeats", "0"], "--repeats"),
    "gradescope-without-assignment": (["gradescope"], "ASSIGNMENT"),
}


@pytest.mark.parametrize(("argv", "names"), BAD_INVOCATIONS.values(), ids=BAD_INVOCATIONS.keys())
def test_a_bad_invocation_exits_2_with_a_one_line_message_naming_the_culprit(argv, names, capsys):
    assert main(argv) == 2  # returned, not raised: main gives the status for argparse's errors too
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"gradlab{' ' + argv[0] if argv[0] in COMMAND_NAMES else ''}: error: "), err[0]
    assert names in err[0]


def test_a_file_that_does_not_import_is_reported_without_a_traceback(tmp_path, capsys):
    broken = tmp_path / "broken.py"
    broken.write_text("def f(:\n")
    assert main(["check", str(broken)]) == 1
    out = capsys.readouterr()
    assert "broken.py:1: syntax error" in out.out
    assert "Traceback" not in out.out + out.err


def test_python_dash_m_gradlab_is_the_same_command(files):
    proc = subprocess.run([sys.executable, "-m", "gradlab", "check", str(files["good.py"]), "--examples", "5"],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "PASS affine" in proc.stdout


def test_check_without_a_path_checks_the_reference_registry(capsys):
    assert main(["check", "--only", "Affine", "--only", "affine", "--examples", "5"]) == 0
    out = capsys.readouterr().out
    assert "PASS Affine (class style)" in out and "PASS affine (function style)" in out


# --------------------------------------------------------------------------- subprocess helpers


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a `gradlab` child: its cache in tmp_path, hypothesis left to gradlab."""
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_STORAGE_DIRECTORY"}
    return {**env, "GRADLAB_CACHE": str(tmp_path / "cache"), **extra}


GRADLAB = [sys.executable, "-m", "gradlab"]


# --------------------------------------------------------------------------- pipes


@pytest.mark.parametrize("buffering", ["buffered", "unbuffered"])
def test_a_reader_that_closes_at_once_gets_status_141_no_traceback_and_the_json_is_complete(
        files, tmp_path, buffering):
    out = tmp_path / "out.json"
    env = _env(tmp_path, **({"PYTHONUNBUFFERED": "1"} if buffering == "unbuffered" else {}))
    proc = subprocess.Popen([*GRADLAB, "check", str(files["bad.py"]), "--examples", "5", "--json", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, cwd=tmp_path)
    proc.stdout.close()  # the reader is gone before gradlab prints anything: every write hits a closed pipe
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert proc.wait(timeout=120) == 141, err
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert json.loads(out.read_text())["layers"][0]["bug_codes"] == ["missing-batch-mean"]


def test_gradlab_check_piped_into_head_prints_one_line_no_traceback_and_writes_the_json(tmp_path):
    out = tmp_path / "out.json"
    # three layers with -v print many lines after head has read its one and exited: the later writes meet a
    # closed pipe (the whole registry would too, in two minutes instead of seconds)
    command = f"{shlex.join([*FEW_LAYERS_GRADLAB, 'check', '-v', '--examples', '2', '--json', str(out)])} | head -1"
    proc = subprocess.run(["sh", "-c", command], capture_output=True, text=True, env=_env(tmp_path,
                          PYTHONUNBUFFERED="1"), cwd=tmp_path, timeout=300)
    assert len(proc.stdout.splitlines()) == 1
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr, proc.stderr
    assert len(json.loads(out.read_text())["layers"]) == FEW


# --------------------------------------------------------------------------- progress bars


#: the registry and the model zoo cut to their first entries in the progress bar's tests: the bar is what they test,
#: drawn the same over three layers as over all, and the whole registry's report (every zoo model checked, the heat
#: maps drawn afresh) is test_reports_policy's, which reads the zoo's reports the run shares
FEW = 3


def _few_layers(monkeypatch: pytest.MonkeyPatch) -> None:
    from gradlab.cases import check_many
    from gradlab.models import zoo

    few = dict(list(check_many.load_reference().items())[:FEW])
    monkeypatch.setattr(check_many, "load_reference", lambda: few)
    only = [e.name for e in zoo.load_model_zoo()[:1]]
    monkeypatch.setattr(zoo, "check_model_zoo", functools.partial(zoo.check_model_zoo, only=only))


#: `gradlab` in a child with `_few_layers`' cuts
FEW_LAYERS_GRADLAB = [sys.executable, "-c", f"""import sys, pytest
from gradlab.cli.main import main
sys.path.insert(0, {str(Path(__file__).parent)!r})
from test_cli import _few_layers
_few_layers(pytest.MonkeyPatch())
sys.exit(main(sys.argv[1:]))
"""]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("terminal", "flags", "bar"), [(False, [], False), (True, [], True),
                                                        (True, ["--no-progress"], False)],
                         ids=["not-a-terminal", "a-terminal", "a-terminal-with-no-progress"])
def test_a_progress_bar_is_drawn_only_on_a_terminal_and_never_with_no_progress(
        terminal, flags, bar, tmp_path, monkeypatch, capsys):
    _few_layers(monkeypatch)
    stderr = _Terminal() if terminal else io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    assert main(["report", "--examples", "1", "--no-fix-search", "--out", str(tmp_path / "reports"), *flags]) == 0
    text = stderr.getvalue()
    assert ("checking layers" in text) is bar, text[-300:]
    assert ("\r" in text) is bar


def test_a_progress_bar_never_reaches_stderr_of_a_child_whose_stderr_is_a_pipe(tmp_path):
    # no fix search: the bar is what is tested, and a fresh cache's search of every variant is slow
    argv = ["report", "--examples", "1", "--no-fix-search", "--out", str(tmp_path / "reports")]
    proc = subprocess.run([*FEW_LAYERS_GRADLAB, *argv],
                          capture_output=True, text=True, env=_env(tmp_path), cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "checking layers" not in proc.stderr and "\r" not in proc.stderr, proc.stderr


# --------------------------------------------------------------------------- the working directory


@pytest.mark.parametrize("argv", [
    ["check", "layers.py"],
    ["grade", "layers.py", "--assignment", "classes"],
    ["grade", "class", "--assignment", "classes", "--out", "../grades", "--jobs", "2"],  # in worker processes
], ids=["check", "grade-a-file", "grade-a-class-folder"])
def test_a_command_leaves_no_hypothesis_folder_in_the_working_directory(argv, tmp_path):
    work = tmp_path / "work"
    (work / "class").mkdir(parents=True)
    textbook = (ROOT / "tests" / "newuser" / "textbook_correct.py").read_text()
    (work / "layers.py").write_text(textbook)
    (work / "class" / "alice.py").write_text(textbook)
    proc = subprocess.run([*GRADLAB, *argv], capture_output=True, text=True, env=_env(tmp_path), cwd=work,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not (work / ".hypothesis").exists()
    assert {p.name for p in work.iterdir()} <= {"layers.py", "class", "__pycache__"}


def test_main_leaves_the_calling_process_s_hypothesis_home_as_it_found_it(files):
    from hypothesis import configuration

    before = configuration.storage_directory(intent_to_write=False).home_directory
    env_before = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY")
    assert main(["check", str(files["good.py"]), "--examples", "3"]) == 0
    assert configuration.storage_directory(intent_to_write=False).home_directory == before
    assert os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") == env_before


# --------------------------------------------------------------------------- spellings and help


@pytest.mark.parametrize(("argv", "dest", "value"), [
    (["gradescope", "classes", "--out", "a.zip"], "out", "a.zip"),
    (["gradescope", "classes", "-o", "a.zip"], "out", "a.zip"),
    (["gradescope", "classes", "--output", "a.zip"], "out", "a.zip"),
    (["gradescope", "classes"], "out", "autograder.zip"),
    (["data", "mnist", "--no-progress"], "no_progress", True),
    (["data", "mnist", "--quiet"], "no_progress", True),
    (["data", "mnist"], "no_progress", False),
], ids=["gradescope-out", "gradescope-o", "gradescope-output", "gradescope-default", "data-no-progress",
        "data-quiet", "data-default"])
def test_old_spellings_still_work_and_mean_the_same_as_the_new_one(argv, dest, value):
    assert getattr(build_parser().parse_args(argv), dest) == value


@pytest.mark.parametrize(("command", "old"), [("gradescope", "--output"), ("gradescope", "-o,"), ("data", "--quiet")])
def test_old_spellings_are_not_advertised_in_the_help(command, old, capsys):
    assert main([command, "--help"]) == 0
    assert old not in capsys.readouterr().out


def _readme_invocations() -> list[str]:
    lines, inside = [], False
    for line in (ROOT / "README.md").read_text().splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```bash"
        elif inside:
            command = line.split("&&")[-1].strip()
            if command.startswith("gradlab "):
                lines.append(command)
    return lines


def test_the_readme_documents_gradlab_invocations():
    assert len(_readme_invocations()) >= 10  # the next test is not vacuous


@pytest.mark.parametrize("line", _readme_invocations())
def test_every_invocation_the_readme_documents_parses(line):
    args = build_parser().parse_args(shlex.split(line, comments=True)[1:])
    assert callable(args.run)


def test_gradlab_help_lists_the_exit_statuses_and_the_output_flags(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "exit status:" in out
    for status in ("0", "1", "2", "130", "141"):
        assert any(line.split()[:1] == [status] for line in out.splitlines()), status
    for flag in ("--json FILE", "--out DIR", "--results PATH", "--no-progress"):
        assert flag in out


@pytest.mark.parametrize("command", COMMAND_NAMES)
def test_every_command_s_help_ends_with_its_exit_statuses(command, capsys):
    assert main([command, "--help"]) == 0
    out = capsys.readouterr().out
    tail = out[out.index("exit status:"):].splitlines()
    assert [line.split()[0] for line in tail[1:]] == ["0", *(["1"] if "  1  " in out else []), "2", "130", "141"]


# --------------------------------------------------------------------------- start-up


def test_the_command_line_never_imports_pytest(files):
    code = textwrap.dedent(f"""
        import contextlib, io, sys
        from gradlab.cli.main import main
        loaded = lambda: sorted(m for m in sys.modules if m.split(".")[0] in ("pytest", "_pytest"))
        assert not loaded(), ("at start-up", loaded())
        with contextlib.redirect_stdout(io.StringIO()):
            assert main(["--help"]) == 0
            assert main(["check", {str(files["good.py"])!r}, "--examples", "3"]) == 0
        assert not loaded(), ("after a check", loaded())
    """)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
