"""Measure the grader on one-bug submissions built from the independently written files here.

Each submission is a correct file (textbook_correct.py or cs231n_correct.py) plus ONE buggy layer
taken from a buggy_*.py file; it is graded on an assignment of the layers the correct file has.
Prints, per submission, the expected code (from the `# BUG:` comment), the codes the grader gave,
and whether only the buggy layer lost points; then the totals. Run:

    python tests/newuser/grade_one_bug_submissions.py [WORKDIR]

Not a test (it takes about a minute); its figures go in closing notes.
"""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from test_new_user import expected_bugs  # noqa: E402  (the one parser of the `# BUG:` comments)

LAYER_FUNCTION = re.compile(r"^(?P<stem>[a-z0-9_]+?)_(forward|backward)(_[a-z0-9_]+)?$")
KNOWN = {
    "class": {"Affine", "Relu", "Sigmoid", "Tanh", "SoftmaxWithLoss", "BatchNormalization", "Dropout",
              "Convolution", "Pooling"},
    "function": {"affine", "relu", "sigmoid", "tanh", "batchnorm", "dropout", "conv", "max_pool",
                 "softmax_loss", "svm_loss"},
}


def layer_key(node: ast.stmt) -> str | None:
    if isinstance(node, ast.ClassDef):
        return node.name
    if isinstance(node, ast.FunctionDef):
        m = LAYER_FUNCTION.match(node.name)
        if m:
            return m["stem"]
        if node.name in ("softmax_loss", "svm_loss"):
            return node.name
    return None


def one_bug(correct: Path, buggy: Path, key: str) -> str:
    """The correct file, then the buggy file's helpers and its one layer `key` (which override)."""
    src = buggy.read_text()
    keep = [ast.get_source_segment(src, n) for n in ast.parse(src).body if layer_key(n) in (None, key)]
    return correct.read_text() + "\n\n# ---- one buggy layer ----\n" + "\n\n".join(k for k in keep if k) + "\n"


def grade(submission: Path, assignment: Path, out: Path) -> dict:
    subprocess.run(["gradlab", "grade", str(submission), "--assignment", str(assignment), "--results", str(out)],
                   capture_output=True, check=False)
    return json.loads(out.read_text())


def main(work: Path) -> None:
    rows = []
    for correct, pattern, convention in ((HERE / "textbook_correct.py", "buggy_classes_*.py", "class"),
                                         (HERE / "cs231n_correct.py", "buggy_functions_*.py", "function")):
        tree = ast.parse(correct.read_text())
        names = [k for k in dict.fromkeys(layer_key(n) for n in tree.body) if k in KNOWN[convention]]
        assignment = work / f"{convention}.toml"
        assignment.write_text(f'name = "onebug"\nconvention = "{convention}"\nseed = 7\nexamples = 12\n'
                              + "".join(f'\n[[layers]]\nname = "{n}"\npoints = 10\n' for n in names))
        full = grade(correct, assignment, work / f"{convention}_correct.json")
        print(f"{correct.name}: {full['score']} / {10 * len(names)}")
        for buggy in sorted(HERE.glob(pattern)):
            for key, code in expected_bugs(buggy).items():
                if key not in names:
                    continue
                submission = work / f"{buggy.stem}_{key}.py"
                submission.write_text(one_bug(correct, buggy, key))
                result = grade(submission, assignment, submission.with_suffix(".json"))
                lost: dict[str, float] = {}
                codes: set[str] = set()
                for t in result["tests"]:
                    layer = t["extra_data"]["layer"]
                    if t["score"] < t["max_score"]:
                        lost[layer] = lost.get(layer, 0) + t["max_score"] - t["score"]
                        if layer == key:
                            codes.update(t["extra_data"]["bug_codes"])
                rows.append((code in codes, set(lost) == {key}))
                print(f"{buggy.name}:{key} expected {code} got {sorted(codes)} "
                      f"only-its-layer-lost={set(lost) == {key}} score={result['score']}")
    right = sum(r for r, _ in rows)
    only = sum(o for _, o in rows)
    print(f"{len(rows)} one-bug submissions: only the buggy layer lost points in {only}; "
          f"right code in {right} ({right / len(rows):.0%})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="gradlab-onebug-")))
