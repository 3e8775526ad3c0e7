"""Building a user's model small: the usual constructor arguments mapped to small, distinct sizes.

Sizes are drawn from the seed (`draw_sizes`): batch N, input D, one or two hidden layers, classes C,
all different from each other (square weights hide transposes; N = 1 hides a missing 1/N). The
arguments courses use are recognised by name (`input_dim`, `input_size`, `hidden_dim`,
`hidden_size_list`, `num_classes`, `output_size`, Nielsen's `sizes`, ...); `dtype` is float64;
a regularisation strength (`reg`, `weight_decay_lambda`) is made non-zero, so a gradient that forgets
it fails; a numeric weight scale is raised to 0.1 (CS231n's 1e-3 leaves every score near zero,
where a wrong gradient hides in rounding). An argument without a default that gradlab cannot size
is a `BuildError` saying what to do.
Non-goal: calling the model (that is `gradlab.models.adapters`).
"""

from __future__ import annotations

import inspect
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["REG", "VOCAB_SIZES", "BuildError", "NotRunnable", "Sizes", "build", "default_sizes", "described",
           "draw_sizes", "cost_objects", "norms_spelled_in", "not_runnable_here", "spelled", "switches_dropout_on",
           "variants"]

#: the regularisation strength every model is built with, where it takes one
REG = 0.1
#: the weight scale a numeric `weight_scale` / `weight_init_std` is set to
SCALE = 0.1
#: the side of image inputs (even, so 2x2 pooling fits; 3x3 filters leave 6)
IMAGE_SIDE = 8

INPUT = {"input_dim", "input_size", "n_input", "n_inputs", "num_inputs", "in_dim", "in_features", "n_in",
         "input_shape", "num_features", "n_features", "d_in", "in_size"}
HIDDEN = {"hidden_dim", "hidden_size", "n_hidden", "num_hidden", "hidden_units", "hidden", "hidden_layer_size"}
HIDDEN_LISTS = {"hidden_dims", "hidden_size_list", "hidden_sizes", "hidden_layers", "hidden_layer_sizes"}
OUTPUT = {"num_classes", "output_size", "output_dim", "n_output", "n_outputs", "num_outputs", "n_classes", "out_dim",
          "out_features", "n_out", "d_out", "out_size"}
LAYER_SIZES = {"sizes", "layer_sizes", "layers_dims", "layer_dims", "layers", "shape"}
REGULARISATION = {"reg", "weight_decay_lambda", "weight_decay", "lambd", "lmbda", "lambda_", "l2", "l2_reg",
                  "regularization_strength", "regularisation_strength", "reg_strength"}
SCALES = {"weight_scale", "weight_init_std", "init_std", "std"}
FILTERS = {"num_filters", "filter_num", "n_filters"}
#: a Nielsen-style network's cost object (`Network(sizes, cost)`): given the costs its module defines or imports
COSTS = {"cost", "cost_function", "cost_func", "costfunction"}
#: the second volume's word models: a vocabulary size, a word vector size, a context window, the corpus to sample
#: negative words from (`gradlab.models.second_volume`)
VOCAB_SIZES = {"vocab_size", "vocabulary_size", "n_vocab", "num_words", "n_words"}
WORD_VECTORS = {"wordvec_size", "word_vec_size", "embedding_size", "embed_size", "embedding_dim", "embed_dim",
                "emb_dim", "emb_size", "vec_size", "vector_size", "wordvec_dim", "word_vector_size"}
WINDOWS = {"window_size", "window"}
CORPORA = {"corpus"}
#: the vocabulary of a word model is larger than the classes: negative sampling draws 5 words other than the target
VOCAB_EXTRA = 6
#: a model built from a vocabulary (a word -> index dict) is a sequence model (CS231n's CaptioningRNN)
VOCABULARIES = {"word_to_idx", "word2idx", "word_to_id", "vocab", "vocabulary", "idx_to_word"}


class BuildError(Exception):
    """The model class cannot be built small; the message is one line saying what to do."""


class NotRunnable(BuildError):
    """The model cannot run on this machine (a module it needs is missing, it was written for a numpy that
    still had `np.int`): it is skipped, not failed; the message says why."""


def not_runnable_here(exc: BaseException) -> str | None:
    """Why `exc` (raised by the user's code) means the code cannot run here rather than that it is wrong: a
    missing module or extension, or numpy API since removed (`gradlab.conventions.calling.cannot_run_here`,
    the one reading layers share). None for a bug of the code's own."""
    from gradlab.conventions.calling import cannot_run_here

    return cannot_run_here(exc)


@dataclass(frozen=True)
class Sizes:
    N: int
    D: int
    hidden: tuple[int, ...]
    C: int
    #: (channels, side, side) when the model takes images, else None
    image: tuple[int, int, int] | None = None

    @property
    def input_shape(self) -> tuple[int, ...]:
        return self.image if self.image is not None else (self.D,)

    @property
    def vocab(self) -> int:
        """The vocabulary of a word model built at these sizes (distinct from D, hidden and C)."""
        return self.C + VOCAB_EXTRA + max(self.D, *self.hidden)


def draw_sizes(seed: int, case: int) -> Sizes:
    """Case `case` of run `seed`: distinct sizes; odd cases have two hidden layers (where a list is taken)."""
    rng = np.random.default_rng([seed, case, 11])
    N, C, H1, H2, D = (int(v) for v in rng.choice(np.arange(2, 10), size=5, replace=False))
    return Sizes(N=N, D=D, hidden=(H1,) if case % 2 == 0 else (H1, H2), C=C)


#: the batch at a model's own default sizes (kept small: its arrays may be large)
DEFAULT_SIZES_N = 3


def default_sizes(cls: type) -> Sizes | None:
    """The sizes a model's constructor defaults to (input, hidden, classes), for a model that cannot be
    built or run small; None when an input or output size has no default."""
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return None
    found: dict[str, Any] = {}
    for name, p in params.items():
        lname, d = name.lower(), p.default
        if lname in INPUT and (isinstance(d, int) or (isinstance(d, tuple) and len(d) == 3)):
            found["input"] = d
        elif lname in OUTPUT and isinstance(d, int):
            found["C"] = d
        elif lname in HIDDEN | HIDDEN_LISTS and isinstance(d, (int, list, tuple)):
            found["hidden"] = tuple(d) if isinstance(d, (list, tuple)) else (d,)
    if "input" not in found or "C" not in found:
        return None
    image = found["input"] if isinstance(found["input"], tuple) else None
    D = int(np.prod(image)) if image else int(found["input"])
    return Sizes(N=DEFAULT_SIZES_N, D=D, hidden=found.get("hidden", (1,)), C=found["C"], image=image)


#: options that switch on code paths of their own (CS231n's FullyConnectedNet, the textbook's
#: MultiLayerNetExtend): each is checked as a variant of the model, one at a time
_NORMS = ("batchnorm", "layernorm")
_SWITCHES = {"use_batchnorm": True, "use_dropout": True, "use_layernorm": True}
_KEEP_RATIOS = ("dropout_keep_ratio", "dropout", "keep_prob")


#: a normalisation's name as a string literal of the model's code ('batchnorm', 'batch_norm', 'layernorm', ...)
_NORM_LITERAL = re.compile(r"""['"]((?:batch|layer)_?norm(?:alization)?)['"]""", re.IGNORECASE)


def norms_spelled_in(cls: type) -> list[str]:
    """The values of `normalization` the model's own code compares with, batch norm's first: CS231n's
    'batchnorm' and 'layernorm', or a learner's 'batch_norm' (a value its code does not know would crash
    it, a false failure). CS231n's spelling when the code names none."""
    spelled = list(dict.fromkeys(m.group(1) for m in _NORM_LITERAL.finditer(_source_around(cls))))
    batch = next((n for n in spelled if n.lower().startswith("batch")), _NORMS[0])
    layer = next((n for n in spelled if n.lower().startswith("layer")), _NORMS[1])
    return [batch, layer]


def _source_around(cls: type) -> str:
    """The text of the file `cls.loss` was compiled from, then of the files of the functions its module imports
    (CS231n's layer_utils.py, where `norm_type == 'batch_norm'` may be written). The user's module has left
    sys.modules, so the files are found from the code objects."""
    loss = getattr(cls, "loss", None)
    code = getattr(loss, "__code__", None)
    if code is None:
        return ""
    files = [code.co_filename]
    for value in getattr(loss, "__globals__", {}).values():
        where = getattr(getattr(value, "__code__", None), "co_filename", None)
        if isinstance(where, str) and where not in files and "site-packages" not in where:
            files.append(where)
    texts = []
    for f in files[:20]:
        try:
            texts.append(Path(f).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            continue
    return "\n".join(texts)


def variants(cls: type) -> list[dict[str, Any]]:
    """The option sets a model is checked with: as built by default (`{}`), then with each normalisation
    and with dropout (keep probability 0.5) where its constructor offers them."""
    try:
        params = inspect.signature(cls).parameters
    except (TypeError, ValueError):
        return [{}]
    out: list[dict[str, Any]] = [{}]
    required_cost = next((p for n, p in params.items() if n.lower() in COSTS and p.default is p.empty), None)
    if required_cost is not None:  # one variant per cost the module offers (none: `build` says it is not checked)
        out = [{required_cost.name: c} for c in cost_objects(cls, required_cost)] or out
    if "normalization" in params:
        out += [{"normalization": n} for n in norms_spelled_in(cls)]
    out += [{name: value} for name, value in _SWITCHES.items() if name in params and params[name].default is False]
    out += [{name: 0.5} for name in _KEEP_RATIOS if name in params and params[name].default in (0, 1)]
    return out


def cost_objects(cls: type, param: inspect.Parameter) -> list[Any]:
    """The cost objects a Nielsen-style network can be given, as its own code would give them: the concrete
    classes (or instances) with `delta` and `fn` or `__call__` that its module defines or imports (also one
    attribute deep into an imported module), and the subclasses of the class its `cost` argument is annotated
    with (`cost: CostFunction`, whose concrete costs live in the package that defines it). A class whose
    `delta` is a staticmethod is passed itself (Nielsen's network2.py: `cost=CrossEntropyCost`), any other
    class an instance of it (`CrossEntropyCost()`); an abstract base, raising NotImplementedError, is not."""
    where = getattr(getattr(cls, "__init__", None), "__globals__", {})
    seen: list[Any] = [*where.values()]
    seen += [v for m in where.values() if inspect.ismodule(m) and _is_users(m) for v in vars(m).values()]
    if isinstance(param.annotation, type) and param.annotation.__module__ != "builtins":  # `cost: object` says none
        todo = [param.annotation]
        while todo:
            todo += type.__subclasses__(todo[0])
            seen.append(todo.pop(0))
    found: list[Any] = []
    for value in seen:
        cost = _as_cost(value)
        if cost is not None and not any(cost is f or type(cost) is type(f) is not type for f in found):
            found.append(cost)
    return found


def _is_users(module: Any) -> bool:
    """Whether a module is the user's code, not numpy's or the standard library's (those hold no cost)."""
    where = getattr(module, "__file__", None) or ""
    return bool(where) and "site-packages" not in where and not where.startswith(sys.base_prefix)


def _as_cost(value: Any) -> Any:
    """What a network is given for `value`, when it is a concrete cost class (or instance); else None."""
    klass = value if isinstance(value, type) else type(value)
    if klass.__module__ in ("builtins", "numpy") or not callable(getattr(klass, "delta", None)):
        return None
    if not callable(getattr(klass, "fn", None)) and not any("__call__" in vars(k) for k in klass.__mro__[:-1]):
        return None
    static = isinstance(inspect.getattr_static(klass, "delta"), (staticmethod, classmethod))
    try:
        cost = value if not isinstance(value, type) or static else value()
        probe = np.full((2, 1), 0.5)
        cost.delta(probe, probe, probe)
        (cost.fn if callable(getattr(cost, "fn", None)) else cost)(probe, probe)
    except NotImplementedError:  # an abstract base class: its subclasses are the costs
        return None
    except Exception:  # noqa: BLE001 - a concrete cost that fails on the probe: the check itself will say so
        pass
    return cost


def switches_dropout_on(options: dict[str, Any] | None) -> bool:
    """Whether a variant's options are the ones that switch dropout on."""
    return bool(options) and any(k in _KEEP_RATIOS or k == "use_dropout" for k in options or {})


def build(cls: type, sizes: Sizes, options: dict[str, Any] | None = None, *,
          for_check: bool = True) -> tuple[Any, dict[str, Any], Sizes]:
    """(the model, the arguments it was built with, the sizes, with images where it takes them);
    `options` (a variant) are passed as they are. Without `for_check` only the sizes are given (to
    train it): its own regularisation, weight scale and dtype stay."""
    try:
        signature = inspect.signature(cls)
    except (TypeError, ValueError):
        raise BuildError(f"{cls.__name__}: gradlab cannot read its constructor's arguments") from None
    kwargs, sizes = _arguments(cls, signature, sizes, options, for_check=for_check)
    return _constructed(cls, signature, kwargs), kwargs, sizes


def _arguments(cls: type, signature: inspect.Signature, sizes: Sizes, options: dict[str, Any] | None, *,
               for_check: bool) -> tuple[dict[str, Any], Sizes]:
    """(the constructor's arguments gradlab gives, by name; the sizes, with images where it takes them), or
    `NotRunnable` for an argument gradlab cannot give (a vocabulary, a cost object, a name it does not know)."""
    kwargs: dict[str, Any] = {}
    for name, p in signature.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if options and name in options:
            kwargs[name] = options[name]
            continue
        if name.lower() in INPUT and isinstance(p.default, tuple) and len(p.default) == 3 and sizes.image is None:
            sizes = Sizes(sizes.N, sizes.D, sizes.hidden, sizes.C, image=(min(int(p.default[0]), 3), IMAGE_SIDE,
                                                                           IMAGE_SIDE))
        value = _value_for(name.lower(), p.default, sizes)
        if not for_check and name.lower() not in INPUT | HIDDEN | HIDDEN_LISTS | OUTPUT | LAYER_SIZES:
            value = _KEEP if p.default is not p.empty else value
        if value is not _KEEP:
            kwargs[name] = value
        elif p.default is p.empty and name.lower() in VOCABULARIES:
            # CS231n's CaptioningRNN(word_to_idx, ...): its loss takes image features and captions, not loss(X, y)
            raise NotRunnable(f"{cls.__name__}({name}=?) takes a vocabulary: a captioning or language model, whose "
                              "loss takes sequences, not loss(X, y); gradlab does not build one, so it is not checked "
                              "(its layers are checked on their own)")
        elif p.default is p.empty and name.lower() in COSTS:
            # a Nielsen-style Network(sizes, cost) whose file gives no cost object gradlab can pass: nothing the
            # user wrote is wrong, gradlab only lacks the cost, so it is not checked rather than failed
            raise NotRunnable(f"{cls.__name__}({name}=?) takes a cost object, and its module defines or imports "
                              "none gradlab can pass (a class or object with delta and fn or __call__); not checked: "
                              f"give {name!r} a default, e.g. cost=CrossEntropyCost")
        elif p.default is p.empty:
            # gradlab's ignorance, not the user's bug: set aside with what to do, not failed
            raise NotRunnable(f"{cls.__name__}({name}=?): gradlab does not know what to give {name!r}, so it cannot "
                              "build the model; not checked: give it a default, or name it as courses do (input_dim, "
                              "hidden_dim, num_classes, sizes, ...)")
    return kwargs, sizes


def _constructed(cls: type, signature: inspect.Signature, kwargs: dict[str, Any]) -> Any:
    """`cls(**kwargs)`; what its constructor raises is said in one line, as gradlab's doing (`NotRunnable`) or the
    constructor's (`BuildError`). An ImportError passes through: the caller says what this machine lacks."""
    try:
        return cls(**kwargs)
    except ImportError:  # something this machine lacks: the caller says so, as for a layer
        raise
    except Exception as exc:  # the user's constructor: its error, in one line, is the message
        why = not_runnable_here(exc)
        if why is not None and not isinstance(exc, ImportError):
            raise NotRunnable(f"{why}; {described(cls, kwargs)} raised {type(exc).__name__}") from None
        said = (str(exc).splitlines() or [""])[0]
        guessed = [n for n, v in kwargs.items() if isinstance(signature.parameters[n].default, (list, tuple))
                   and not isinstance(v, (list, tuple))]
        if guessed or not kwargs:
            # gradlab's guess, not the user's bug: a number where the default is a list (num_filters=[32, 32], one per
            # layer), or a constructor that needs more than its own defaults (a configuration left at None)
            what = f"gave {', '.join(guessed)} one number where the default is a list" if guessed else \
                "gave no argument it knows"
            raise NotRunnable(f"{described(cls, kwargs)} raised {type(exc).__name__}: {said}; gradlab {what}, so it "
                              "cannot build the model; not checked") from None
        raise BuildError(f"{described(cls, kwargs)} raised {type(exc).__name__}: {said}; gradlab builds models small "
                         "by these arguments, so the constructor must accept them") from None


_KEEP = object()


def _value_for(name: str, default: Any, sizes: Sizes) -> Any:
    numeric_default = isinstance(default, (int, float)) and not isinstance(default, bool)
    if name in INPUT:
        return sizes.image if sizes.image is not None else sizes.D
    if name in HIDDEN:
        return list(sizes.hidden) if isinstance(default, (list, tuple)) else sizes.hidden[0]
    if name in HIDDEN_LISTS:
        return list(sizes.hidden)
    if name in OUTPUT:
        return sizes.C
    if name in VOCAB_SIZES:
        return sizes.vocab
    if name in WORD_VECTORS:
        return sizes.D
    if name in WINDOWS and (numeric_default or default is inspect.Parameter.empty):
        from gradlab.models.second_volume import WINDOW

        return WINDOW
    if name in CORPORA and (default is inspect.Parameter.empty or default is None):
        # every word of the vocabulary, some twice: the unigram counts negative sampling draws from are all non-zero
        return np.concatenate([np.arange(sizes.vocab), np.arange(sizes.vocab // 2)])
    if name in LAYER_SIZES and not numeric_default:
        return [sizes.D, *sizes.hidden, sizes.C]
    if name in REGULARISATION and (numeric_default or default is inspect.Parameter.empty):
        return REG
    if name == "dtype":
        return np.float64
    if name in SCALES and numeric_default:
        return SCALE
    if name == "seed":
        return 0
    if name in FILTERS:
        return 3
    if name == "filter_size":
        return 3
    if name == "conv_param" and isinstance(default, dict):
        return {**default, "filter_num": 3, "filter_size": 3}
    return _KEEP


def described(cls: type, kwargs: dict[str, Any]) -> str:
    """`TwoLayerNet(input_dim=7, hidden_dim=4, num_classes=3, reg=0.1)`, as it was built."""
    return f"{cls.__name__}({', '.join(f'{k}={spelled(v)}' for k, v in kwargs.items())})"


def spelled(value: Any) -> str:
    """An argument as the user would write it: np.float64 and a cost class by name, a cost instance as
    `LogLoss()` (not its `<losses.LogLoss object at 0x...>`), anything else by its repr."""
    said = getattr(value, "__name__", None) or repr(value)
    return f"{type(value).__name__}()" if said.startswith("<") else said
