"""The built-in assignments of each curriculum grade submissions written as that course's students write
them, in its folder shape: CS231n's `cs231n/` package (layers.py, layer_utils.py, rnn_layers.py,
classifiers/ with relative imports) and the textbook's `common/` package (layers.py importing
common.functions and common.util; the second volume's time_layers.py importing common.np).

Submissions are generated in tmp_path from the project's own reference layers (their `register`
decorators left out, as a student's file has none), so a correct one must earn full marks; the same
with one bug loses that layer's gradient points under the bug's code; a layer left as the course's
template earns nothing and says it is not implemented yet. Few, small examples, and the plain process
sandbox: these tests are about names, conventions and folder shapes, not the jail.
"""

from __future__ import annotations

import ast
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from gradlab.cli.main import main
from gradlab.grading.assignment import BUILTIN, load_assignment
from gradlab.grading.grader import grade_submission
from gradlab.grading.grades import Grade, LayerGrade
from gradlab.grading.sandbox import jail

REFERENCE = Path(__file__).parent.parent / "reference"
#: cases per layer in these tests: the assignments' own counts are for students, not for the suite
EXAMPLES = 2
CURRICULA = ("cs231n-a1", "cs231n-a2", "cs231n-a3", "dlfs", "dlfs2")


def defs(module: str, *names: str) -> str:
    """The source of top-level functions and classes of `reference/<module>.py`, without decorators."""
    source = (REFERENCE / f"{module}.py").read_text(encoding="utf-8")
    found = {node.name: ast.get_source_segment(source, node) for node in ast.parse(source).body
             if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    missing = [n for n in names if n not in found]
    assert not missing, f"reference/{module}.py no longer defines {missing}"
    return "\n\n\n".join(str(found[n]) for n in names) + "\n"


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


NUMPY = "import numpy as np\n\n\n"


def cs231n_a1(root: Path) -> Path:
    """assignment1/: cs231n/layers.py, layer_utils.py and classifiers/{linear_svm,softmax}.py."""
    softmax_naive = textwrap.dedent('''
        def softmax_loss_naive(W, X, y, reg):
            loss = 0.0
            dW = np.zeros_like(W)
            N = X.shape[0]
            for i in range(N):
                scores = X[i] @ W
                scores = scores - np.max(scores)
                p = np.exp(scores) / np.sum(np.exp(scores))
                loss += -np.log(p[y[i]])
                p[y[i]] -= 1
                dW += np.outer(X[i], p)
            loss = loss / N + reg * np.sum(W * W)
            dW = dW / N + 2 * reg * W
            return loss, dW
        ''')
    return write(root / "assignment1", {
        "cs231n/__init__.py": "",
        "cs231n/layers.py": "from builtins import range\n" + NUMPY + defs(
            "functions", "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
            "svm_loss"),
        "cs231n/layer_utils.py": "from .layers import *\n\n\n" + defs(
            "a2_functions", "affine_relu_forward", "affine_relu_backward"),
        "cs231n/classifiers/__init__.py": "from .linear_svm import *\nfrom .softmax import *\n",
        "cs231n/classifiers/linear_svm.py": "from random import shuffle\n" + NUMPY + defs(
            "functions", "svm_loss_naive", "svm_loss_vectorized"),
        "cs231n/classifiers/softmax.py": "from random import shuffle\n" + NUMPY + softmax_naive + "\n\n" + defs(
            "functions", "softmax_loss_vectorized"),
    })


BATCHNORM_ALT = textwrap.dedent('''
    def batchnorm_backward_alt(dout, cache):
        mode, xhat, gamma, std = cache
        N = dout.shape[0]
        dbeta = dout.sum(axis=0)
        dgamma = np.sum(dout * xhat, axis=0)
        dx = gamma * (N * dout - dbeta - xhat * dgamma) / (N * std)
        return dx, dgamma, dbeta
    ''')


def cs231n_a2(root: Path) -> Path:
    """assignment2/: cs231n/layers.py (batchnorm_backward_alt reading batchnorm_forward's cache) and
    layer_utils.py composing them through `from .layers import *`."""
    return write(root / "assignment2", {
        "cs231n/__init__.py": "",
        "cs231n/layers.py": "from builtins import range\nimport math\n" + NUMPY + defs(
            "functions", "affine_forward", "affine_backward", "relu_forward", "relu_backward", "softmax_loss",
            "svm_loss", "batchnorm_forward", "batchnorm_backward", "dropout_forward", "dropout_backward",
            "conv_forward_naive", "conv_backward_naive", "max_pool_forward_naive", "max_pool_backward_naive")
        + BATCHNORM_ALT + "\n\n" + defs(
            "a2_functions", "_normalise", "_normalise_backward", "layernorm_forward", "layernorm_backward",
            "spatial_batchnorm_forward", "spatial_batchnorm_backward", "spatial_groupnorm_forward",
            "spatial_groupnorm_backward"),
        "cs231n/layer_utils.py": "from .layers import *\n\n\n" + defs(
            "a2_functions", "affine_relu_forward", "affine_relu_backward", "conv_relu_forward", "conv_relu_backward",
            "conv_relu_pool_forward", "conv_relu_pool_backward"),
    })


def cs231n_a3(root: Path) -> Path:
    """assignment3/: cs231n/rnn_layers.py."""
    return write(root / "assignment3", {
        "cs231n/__init__.py": "",
        "cs231n/rnn_layers.py": "from __future__ import print_function, division\nfrom builtins import range\n"
        + NUMPY + defs("a3_functions", "_sigmoid", "rnn_step_forward", "rnn_step_backward", "rnn_forward",
                       "rnn_backward", "lstm_step_forward", "lstm_step_backward", "lstm_forward", "lstm_backward",
                       "word_embedding_forward", "word_embedding_backward", "temporal_affine_forward",
                       "temporal_affine_backward", "temporal_softmax_loss"),
    })


def _textbook_common(functions: str) -> dict[str, str]:
    """common/functions.py (the book's helpers, written here) and common/util.py (im2col, col2im)."""
    util = defs("classes", "_im2col", "_col2im").replace("_im2col", "im2col").replace("_col2im", "col2im")
    return {"common/__init__.py": "", "common/functions.py": functions, "common/util.py": NUMPY + util}


FUNCTIONS_VOL1 = NUMPY + textwrap.dedent('''
    def sigmoid(x):
        return np.exp(-np.logaddexp(0, -x))
    ''')


def dlfs(root: Path) -> Path:
    """my_dlfs/: common/layers.py importing common.functions and common.util, as the book's does."""
    layers = defs("classes", "Relu", "Sigmoid", "Affine", "SoftmaxWithLoss", "Dropout", "BatchNormalization",
                  "Convolution", "Pooling")
    layers = layers.replace("_sigmoid(", "sigmoid(").replace("_im2col(", "im2col(").replace("_col2im(", "col2im(")
    return write(root / "my_dlfs", {
        **_textbook_common(FUNCTIONS_VOL1),
        "common/layers.py": "import numpy as np\nfrom common.functions import *\nfrom common.util import im2col, "
                            "col2im\n\n\n" + layers,
    })


#: the second volume's layers of common/layers.py, in its params/grads lists convention (written for these tests)
LAYERS_VOL2 = textwrap.dedent('''
    class Affine:
        def __init__(self, W, b):
            self.params = [W, b]
            self.grads = [np.zeros_like(W), np.zeros_like(b)]
            self.x = None

        def forward(self, x):
            W, b = self.params
            self.x = x
            return np.dot(x, W) + b

        def backward(self, dout):
            W, b = self.params
            self.grads[0][...] = np.dot(self.x.T, dout)
            self.grads[1][...] = np.sum(dout, axis=0)
            return np.dot(dout, W.T)


    class Sigmoid:
        def __init__(self):
            self.params, self.grads = [], []
            self.out = None

        def forward(self, x):
            self.out = sigmoid(x)
            return self.out

        def backward(self, dout):
            return dout * (1.0 - self.out) * self.out


    class Softmax:
        def __init__(self):
            self.params, self.grads = [], []
            self.out = None

        def forward(self, x):
            self.out = softmax(x)
            return self.out

        def backward(self, dout):
            dx = self.out * dout
            return dx - self.out * np.sum(dx, axis=1, keepdims=True)


    class SoftmaxWithLoss:
        def __init__(self):
            self.params, self.grads = [], []
            self.y = None
            self.t = None

        def forward(self, x, t):
            self.t = t
            self.y = softmax(x)
            if self.t.size == self.y.size:  # one-hot labels become indices
                self.t = self.t.argmax(axis=1)
            return cross_entropy_error(self.y, self.t)

        def backward(self, dout=1):
            batch_size = self.t.shape[0]
            dx = self.y.copy()
            dx[np.arange(batch_size), self.t] -= 1
            return dx * dout / batch_size


    class Dropout:
        def __init__(self, dropout_ratio=0.5):
            self.params, self.grads = [], []
            self.dropout_ratio = dropout_ratio
            self.mask = None

        def forward(self, x, train_flg=True):
            if train_flg:
                self.mask = np.random.rand(*x.shape) > self.dropout_ratio
                return x * self.mask
            return x * (1.0 - self.dropout_ratio)

        def backward(self, dout):
            return dout * self.mask


    class Embedding:
        def __init__(self, W):
            self.params = [W]
            self.grads = [np.zeros_like(W)]
            self.idx = None

        def forward(self, idx):
            W, = self.params
            self.idx = idx
            return W[idx]

        def backward(self, dout):
            dW, = self.grads
            dW[...] = 0
            np.add.at(dW, self.idx, dout)
            return None
    ''')

#: the second volume's time layers not among the reference's recurrent ones (written for these tests)
TIME_LAYERS_VOL2 = textwrap.dedent('''
    class TimeEmbedding:
        def __init__(self, W):
            self.params = [W]
            self.grads = [np.zeros_like(W)]
            self.layers = None

        def forward(self, xs):
            N, T = xs.shape
            self.layers = [Embedding(self.params[0]) for _ in range(T)]
            return np.stack([layer.forward(xs[:, t]) for t, layer in enumerate(self.layers)], axis=1)

        def backward(self, dout):
            grad = np.zeros_like(self.params[0])
            for t, layer in enumerate(self.layers):
                layer.backward(dout[:, t])
                grad += layer.grads[0]
            self.grads[0][...] = grad
            return None


    class TimeAffine:
        def __init__(self, W, b):
            self.params = [W, b]
            self.grads = [np.zeros_like(W), np.zeros_like(b)]
            self.x = None

        def forward(self, x):
            N, T, D = x.shape
            W, b = self.params
            self.x = x
            return (x.reshape(N * T, -1) @ W + b).reshape(N, T, -1)

        def backward(self, dout):
            N, T, D = self.x.shape
            W, b = self.params
            dout = dout.reshape(N * T, -1)
            self.grads[0][...] = self.x.reshape(N * T, -1).T @ dout
            self.grads[1][...] = dout.sum(axis=0)
            return (dout @ W.T).reshape(N, T, D)


    class TimeDropout:
        def __init__(self, dropout_ratio=0.5):
            self.params, self.grads = [], []
            self.dropout_ratio = dropout_ratio
            self.mask = None
            self.train_flg = True

        def forward(self, xs):
            if self.train_flg:
                flg = np.random.rand(*xs.shape) > self.dropout_ratio
                self.mask = flg.astype(np.float32) / (1.0 - self.dropout_ratio)
                return xs * self.mask
            return xs

        def backward(self, dout):
            return dout * self.mask
    ''')

FUNCTIONS_VOL2 = "from common.np import *\n\n\n" + textwrap.dedent('''
    def sigmoid(x):
        return 1 / (1 + np.exp(-x))


    def softmax(x):
        x = x - x.max(axis=-1, keepdims=True)
        return np.exp(x) / np.sum(np.exp(x), axis=-1, keepdims=True)


    def cross_entropy_error(y, t):
        if y.ndim == 1:
            t, y = t.reshape(1, t.size), y.reshape(1, y.size)
        if t.size == y.size:
            t = t.argmax(axis=1)
        batch_size = y.shape[0]
        return -np.sum(np.log(y[np.arange(batch_size), t] + 1e-7)) / batch_size
    ''')


def dlfs2(root: Path) -> Path:
    """my_dlfs2/: common/layers.py and common/time_layers.py, importing common.np (numpy, or cupy under
    common/config.py's GPU flag) and common.functions, as the book's do; chapter 4's
    negative_sampling_layer.py and chapter 8's attention_layer.py in their chapters' folders."""
    recurrent = defs("dlfs2_classes", "RNN", "TimeRNN", "LSTM", "TimeLSTM", "TimeSoftmaxWithLoss", "_gru_step",
                     "gru_step_backward", "GRU", "TimeGRU", "TimeBiLSTM", "TimeSigmoidWithLoss")
    losses = defs("dlfs2_classes", "MatMul", "SigmoidWithLoss").replace("_sigmoid(", "sigmoid(")
    attention = defs("dlfs2_classes", "WeightSum", "AttentionWeight", "Attention", "TimeAttention")
    chapter = "import sys\nsys.path.append('..')\nfrom common.np import *\n"
    return write(root / "my_dlfs2", {
        **_textbook_common(FUNCTIONS_VOL2),
        "common/config.py": "GPU = False\n",
        "common/np.py": "from common.config import GPU\n\nif GPU:\n    import cupy as np\n"
                        "else:\n    import numpy as np\n",
        "common/layers.py": "from common.np import *\nfrom common.functions import softmax, sigmoid, "
                            "cross_entropy_error\n\n\n" + LAYERS_VOL2 + "\n\n" + losses,
        "common/time_layers.py": "from common.np import *\nfrom common.layers import *\nfrom common.functions "
                                 "import sigmoid\n\n\n" + recurrent.replace("_sigmoid(", "sigmoid(") + "\n\n"
                                 + TIME_LAYERS_VOL2,
        "ch04/negative_sampling_layer.py": chapter + "\n\n" + defs("dlfs2_classes", "EmbeddingDot"),
        "ch08/attention_layer.py": chapter + "from common.functions import softmax\n\n\n"
                                   + attention.replace("_softmax_rows(", "softmax("),
    })


BUILDERS = {"cs231n-a1": cs231n_a1, "cs231n-a2": cs231n_a2, "cs231n-a3": cs231n_a3, "dlfs": dlfs, "dlfs2": dlfs2}


def graded(path: Path, name: str, sandbox: str = "process") -> Grade:
    assignment = load_assignment(name)
    return grade_submission(path, replace(assignment, examples=EXAMPLES, sandbox=sandbox))


def scores(grade: Grade) -> dict[str, tuple[float, list[str]]]:
    return {layer.required.name: (layer.score, layer.bug_codes) for layer in grade.layers}


def layer(grade: Grade, name: str) -> LayerGrade:
    return next(la for la in grade.layers if la.required.name == name)


def rewrite(file: Path, name: str, old: str | None, new: str) -> None:
    """Edit the top-level function or class `name` of `file`: `old` replaced by `new` once inside it, or
    (`old` None) the whole definition replaced by `new`."""
    source = file.read_text(encoding="utf-8")
    node = next(n for n in ast.parse(source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name == name)
    segment = str(ast.get_source_segment(source, node))
    if old is None:
        edited = textwrap.dedent(new).strip() + "\n"
    else:
        assert segment.count(old) == 1, f"{old!r} is not in {name} exactly once"
        edited = segment.replace(old, new)
    file.write_text(source.replace(segment, edited, 1), encoding="utf-8")


# Per curriculum: one bug, as students make it, in a layer no other graded layer composes (so only its own
# points may go) -- (file, function or class, the correct text, the buggy text, the layer, the gradient that
# loses its points, its code) -- and one layer left as the course's template: (file, its definitions).
BUGS = {
    "cs231n-a1": ("cs231n/classifiers/linear_svm.py", "svm_loss_vectorized", "+ 2 * reg * W", "+ reg * W",
                  "svm_loss_vectorized", "dW", "scaled"),
    "cs231n-a2": ("cs231n/layers.py", "batchnorm_backward_alt", "- dbeta - xhat * dgamma", "- dbeta",
                  "batchnorm_alt", "dx", "dropped-term"),
    "cs231n-a3": ("cs231n/rnn_layers.py", "rnn_backward", "dWh += dWh_t", "dWh = dWh_t", "rnn", "dWh",
                  "dropped-term"),
    "dlfs": ("common/layers.py", "Affine", "self.db = np.sum(dout, axis=0)", "self.db = np.sum(dout)", "Affine",
             "db", "wrong-reduction"),
    "dlfs2": ("common/time_layers.py", "TimeRNN", "dWx += x.T @ da", "dWx = x.T @ da", "TimeRNN", "dWx",
              "dropped-term"),
}
TEMPLATES = {
    # the course's own template shapes: the TODO left, None returned (or NotImplementedError raised), or
    # (the first assignment's) its placeholders returned, a loss of 0 and a zero dW
    "cs231n-a1": ("cs231n/classifiers/softmax.py", "softmax_loss_naive", "softmax_loss_naive", '''
        def softmax_loss_naive(W, X, y, reg):
            loss = 0.0
            dW = np.zeros_like(W)
            # TODO: compute the softmax loss and its gradient using explicit loops
            pass
            return loss, dW
        '''),
    "cs231n-a2": ("cs231n/layers.py", "layernorm_forward", "layernorm", '''
        def layernorm_forward(x, gamma, beta, ln_param):
            out, cache = None, None
            eps = ln_param.get("eps", 1e-5)
            # TODO: implement the training-time forward pass for layer norm
            pass
            return out, cache
        '''),
    "cs231n-a3": ("cs231n/rnn_layers.py", "word_embedding_forward", "word_embedding", '''
        def word_embedding_forward(x, W):
            out, cache = None, None
            # TODO: implement the forward pass for word embeddings
            pass
            return out, cache
        '''),
    "dlfs": ("common/layers.py", "Pooling", "Pooling", '''
        class Pooling:
            def __init__(self, pool_h, pool_w, stride=1, pad=0):
                self.pool_h, self.pool_w, self.stride, self.pad = pool_h, pool_w, stride, pad

            def forward(self, x):
                pass

            def backward(self, dout):
                pass
        '''),
    "dlfs2": ("common/time_layers.py", "GRU", "GRU", '''
        class GRU:
            def __init__(self, Wx, Wh, b):
                self.params = [Wx, Wh, b]
                self.grads = [np.zeros_like(Wx), np.zeros_like(Wh), np.zeros_like(b)]

            def forward(self, x, h_prev):
                raise NotImplementedError

            def backward(self, dh_next):
                raise NotImplementedError
        '''),
}


def test_every_curriculum_is_a_built_in_assignment_worth_100_points_with_hidden_tests():
    for name in CURRICULA:
        assignment = load_assignment(name)
        assert name in BUILTIN and assignment.name == name
        assert assignment.max_score == 100
        assert any(layer.hidden for layer in assignment.layers) and not all(layer.hidden for layer in assignment.layers)


@pytest.mark.parametrize("name", CURRICULA)
def test_a_correct_submission_in_the_course_folder_shape_gets_full_marks(tmp_path, name):
    grade = graded(BUILDERS[name](tmp_path), name)
    assert grade.score == grade.max_score == 100, scores(grade)
    assert all(la.found_as is not None for la in grade.layers)


@pytest.mark.parametrize("name", CURRICULA)
def test_one_bug_costs_its_gradient_points_under_its_code_and_a_template_earns_nothing(tmp_path, name):
    root = BUILDERS[name](tmp_path)
    file, definition, correct, buggy, buggy_layer, gradient, code = BUGS[name]
    rewrite(root / file, definition, correct, buggy)
    template_file, template_definition, template_layer, template = TEMPLATES[name]
    rewrite(root / template_file, template_definition, None, template)

    grade = graded(root, name)
    bug, todo = layer(grade, buggy_layer), layer(grade, template_layer)
    lost = [p for p in bug.parts if not p.passed]
    assert [p.component for p in lost] == [gradient] and bug.bug_codes == [code], scores(grade)
    assert todo.score == 0 and "not implemented yet" in todo.parts[0].message, [p.message for p in todo.parts]
    others = [la for la in grade.layers if la not in (bug, todo)]
    assert all(la.score == la.max_score for la in others), scores(grade)
    assert grade.score == pytest.approx(100 - todo.max_score - lost[0].max_score, abs=0.01)


def test_grade_lists_the_built_in_assignments_and_asks_for_what_is_missing(capsys):
    assert main(["grade", "--list-assignments"]) == 0
    out = capsys.readouterr().out
    for name in BUILTIN:
        assert f"{name}: " in out
    assert "cs231n-a3: CS231n assignment 3" in out and "rnn_step, rnn, word_embedding" in out
    assert main(["grade", "student.py"]) == 2
    assert "--list-assignments shows the built-in ones" in capsys.readouterr().err


@pytest.mark.parametrize("sandbox", ["process", "bwrap"])
def test_a_course_folder_is_graded_past_its_data_loaders_python2_names_and_a_file_that_cannot_be_imported(
        tmp_path, sandbox):
    if sandbox == "bwrap" and jail.probe() is not None:  # the jail sees only numpy: past must come from gradlab
        pytest.skip(f"bubblewrap cannot run here: {jail.probe()}")
    root = cs231n_a1(tmp_path)
    # the course's own helpers import what the jail has not; they define no layer, so they are not imported
    write(root, {"cs231n/data_utils.py": "from six.moves import cPickle as pickle\nfrom imageio import imread\n",
                 "cs231n/vis_utils.py": "import matplotlib.pyplot as plt\n"})
    svm = root / "cs231n/classifiers/linear_svm.py"
    svm.write_text("from past.builtins import xrange\n" + svm.read_text().replace(" in range(", " in xrange("))
    # a Python 2 print in one file costs that file's layers only (and those of the files importing it), and
    # says why
    layers = root / "cs231n/layers.py"
    layers.write_text(layers.read_text() + '\nprint "layers ready"\n')

    grade = graded(root, "cs231n-a1", sandbox)
    assert grade.sandbox == sandbox
    lost = {la.required.name: la.error for la in grade.layers if la.score < la.max_score}
    assert set(lost) == {"affine", "relu", "softmax_loss", "svm_loss"}, scores(grade)
    assert all("not imported: " in str(why) and "layers.py:" in str(why) and "syntax error" in str(why)
               for why in lost.values()), lost
    assert any(n.startswith("not imported: layers.py:") for n in grade.notes), grade.notes
    assert layer(grade, "svm_loss_naive").score == 15 and grade.score == 60


def test_a_course_folder_given_as_a_class_is_graded_as_asked_with_a_warning_naming_single(tmp_path, capsys):
    root = dlfs(tmp_path)
    out = tmp_path / "grades"
    assert main(["grade", str(root), "--assignment", "dlfs", "--sandbox", "process", "--out", str(out),
                 "--jobs", "1", "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "my_dlfs/common/ is a Python package" in err and "add --single" in err
    assert (out / "gradebook.csv").read_text().splitlines()[1].startswith("common,")  # graded as it was asked
    assert main(["grade", str(root), "--assignment", "dlfs", "--sandbox", "process", "--single"]) == 0
    assert "Python package" not in capsys.readouterr().err
