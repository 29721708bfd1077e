"""``chainrule train DATASET``: train an MLP, write its loss curve, boundary, metrics and weights.

Two engines:

* ``--engine tensor`` (default): :class:`nn.MLP` on ``Tensor`` batches with
  ``n_classes`` outputs and the cross-entropy loss on logits.
* ``--engine value``: micrograd-style :class:`nn.scalar.MLP` on ``Value``
  scalars (ReLU hidden layers only). Binary data sets use one output and
  the binary cross-entropy on the logit, ``softplus(z) − y·z`` (stable,
  labels 0/1; the prediction is ``z > 0``); multi-class data sets use one
  output per class and the cross-entropy. One node per scalar operation
  makes it slow: it is meant for the small 2-D sets and refuses ``digits``.
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import math
import random
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from autograd.ops import activations

from .errors import CLIError
from .output import check_out_dir, remove_if_empty, write_bytes, write_files

__all__ = ["DATASETS", "OPTIMIZERS", "add_train_arguments", "make_optimizer", "run_train"]


@dataclass(frozen=True)
class DatasetSpec:
    """How to make a data set and its defaults."""

    make: Callable[[int, float | None, int], tuple[np.ndarray, np.ndarray]] | None
    samples: int | None
    noise: float | None
    two_d: bool
    features: int
    classes: int


def _moons(n: int, noise: float | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from nn import make_moons

    return make_moons(n, noise=noise, seed=seed)


def _circles(n: int, noise: float | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from nn import make_circles

    return make_circles(n, noise=noise, factor=0.5, seed=seed)


def _xor(n: int, noise: float | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from nn import make_xor

    return make_xor(n, noise=noise, seed=seed)


def _spirals(n: int, noise: float | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from nn import make_spirals

    return make_spirals(n, n_classes=2, noise=0.2 if noise is None else noise, seed=seed)


def _blobs(n: int, noise: float | None, seed: int) -> tuple[np.ndarray, np.ndarray]:
    from nn import make_blobs

    return make_blobs(n, centers=3, cluster_std=1.0 if noise is None else noise, seed=seed)


DATASETS: dict[str, DatasetSpec] = {
    "moons": DatasetSpec(_moons, 200, 0.1, True, 2, 2),
    "circles": DatasetSpec(_circles, 200, 0.05, True, 2, 2),
    "xor": DatasetSpec(_xor, 200, None, True, 2, 2),
    "spirals": DatasetSpec(_spirals, 300, 0.2, True, 2, 2),
    "blobs": DatasetSpec(_blobs, 200, 1.0, True, 2, 3),
    "digits": DatasetSpec(None, None, None, False, 64, 10),
}

# name -> (factory(params, lr), default lr)
OPTIMIZERS: dict[str, tuple[Callable[[list[Any], float], Any], float]] = {}


def _register_optimizers() -> None:
    from optim import SGD, Adagrad, Adam, RMSprop

    OPTIMIZERS.update(
        {
            "sgd": (lambda p, lr: SGD(p, lr=lr), 0.1),
            "momentum": (lambda p, lr: SGD(p, lr=lr, momentum=0.9), 0.05),
            "adagrad": (lambda p, lr: Adagrad(p, lr=lr), 0.1),
            "rmsprop": (lambda p, lr: RMSprop(p, lr=lr), 0.01),
            "adam": (lambda p, lr: Adam(p, lr=lr), 0.01),
        }
    )


OPTIMIZER_NAMES = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
MAX_PARAMETERS = 10_000_000
DEFAULT_EPOCHS = {"tensor": 100, "value": 20}
TENSOR_ACTIVATIONS = tuple(activations(trainable=True))  # from the op registry


def make_optimizer(name: str, params: list[Any], lr: float | None) -> tuple[Any, float]:
    """The optimizer ``name`` (momentum = SGD with momentum 0.9) and the learning rate used."""
    if not OPTIMIZERS:
        _register_optimizers()
    factory, default_lr = OPTIMIZERS[name]
    rate = default_lr if lr is None else lr
    return factory(params, rate), rate


def _is_ascii_integer(text: str) -> bool:
    """Only 0-9: ``str.isdigit`` also accepts ``²`` and other digits ``int()`` refuses."""
    return text.isascii() and text.isdigit()


def _parse_hidden(text: str) -> list[int]:
    parts = [p.strip() for p in text.replace(" ", ",").split(",") if p.strip()]
    if not parts:
        raise CLIError(f"--hidden {text!r}: give layer sizes such as 16,16")
    sizes = []
    for p in parts:
        if not _is_ascii_integer(p) or not 1 <= int(p) <= 4096:
            raise CLIError(
                f"--hidden {text!r}: {p!r} is not a layer size (an integer 1…4096); e.g. 16,16"
            )
        sizes.append(int(p))
    return sizes


def _parse_batch(text: str, n_train: int) -> int | str:
    if text.lower() == "full":
        return "full"
    if not _is_ascii_integer(text) or int(text) < 1:
        raise CLIError(f"--batch-size {text!r}: use 'full', 1 (SGD) or a mini-batch size N")
    size = int(text)
    if size > n_train:
        raise CLIError(
            f"--batch-size {size} is larger than the {n_train} training samples; "
            f"use 'full' or a size up to {n_train}"
        )
    return size


def _validate(args: argparse.Namespace) -> None:
    """Every check that needs no data, before the output directory is touched."""
    if args.epochs is None:
        args.epochs = DEFAULT_EPOCHS[args.engine]
    if args.epochs < 1 or args.epochs > 100_000:
        raise CLIError(f"--epochs {args.epochs}: use a number of epochs from 1 to 100000")
    if args.lr is not None and not (math.isfinite(args.lr) and args.lr > 0):
        raise CLIError(f"--lr {args.lr}: the learning rate must be a positive number")
    if not 0 <= args.seed < 2**32:
        raise CLIError(f"--seed {args.seed}: use an integer from 0 to 2**32 - 1")
    if args.samples is not None and not 10 <= args.samples <= 100_000:
        raise CLIError(f"--samples {args.samples}: use 10 … 100000 samples")
    if args.noise is not None and not (math.isfinite(args.noise) and args.noise >= 0):
        raise CLIError(f"--noise {args.noise}: use a number >= 0")
    if not 0.05 <= args.test_size <= 0.9:
        raise CLIError(f"--test-size {args.test_size}: use a fraction from 0.05 to 0.9")
    if args.engine == "value":
        if args.dataset == "digits":
            raise CLIError(
                "digits (1,797 images of 64 pixels) is far too large for --engine value, "
                "which builds one graph node per scalar operation; use --engine tensor"
            )
        if args.activation != "relu":
            raise CLIError(
                f"--activation {args.activation} needs --engine tensor; the value engine's "
                "micrograd-style MLP (nn.scalar) uses ReLU"
            )
    if args.animate and not DATASETS[args.dataset].two_d:
        raise CLIError(
            f"--animate draws the decision boundary in the plane; {args.dataset} is not 2-D "
            "(use moons, circles, xor, spirals or blobs)"
        )
    if args.dataset == "digits" and (args.samples is not None or args.noise is not None):
        raise CLIError("--samples and --noise do not apply to digits (a fixed data set)")
    n_params = count_parameters(_layer_sizes(args))
    if n_params > MAX_PARAMETERS:
        raise CLIError(
            f"--hidden {args.hidden}: the MLP {'-'.join(map(str, _layer_sizes(args)))} would "
            f"have {n_params:,} parameters; chainrule train allows up to {MAX_PARAMETERS:,}: "
            "use fewer or smaller hidden layers"
        )
    if args.onnx:
        _check_onnx(args.engine)


def _layer_sizes(args: argparse.Namespace) -> list[int]:
    """[inputs, *hidden, outputs]: the value engine gives a binary problem one output."""
    spec = DATASETS[args.dataset]
    n_out = 1 if args.engine == "value" and spec.classes == 2 else spec.classes
    return [spec.features, *args.hidden_sizes, n_out]


def count_parameters(sizes: list[int]) -> int:
    """Weights and biases of a fully connected MLP with these layer sizes."""
    return sum(n_in * n_out + n_out for n_in, n_out in itertools.pairwise(sizes))


def _check_onnx(engine: str) -> None:
    """``--onnx``: the tensor engine and the onnx package, checked before any training."""
    if engine != "tensor":
        raise CLIError("--onnx needs --engine tensor (Value models have no ONNX export)")
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise CLIError("--onnx needs the onnx package: pip install 'chainrule[onnx]'") from None


def _load(args: argparse.Namespace) -> tuple[np.ndarray, np.ndarray]:
    spec = DATASETS[args.dataset]
    if spec.make is None:
        from nn import load_digits

        try:
            return load_digits()
        except ImportError as exc:
            raise CLIError(" ".join(str(exc).split()), exit_code=1) from None
    n = args.samples or spec.samples
    noise = spec.noise if args.noise is None else args.noise
    return spec.make(n, noise, args.seed)


def _build_model(args: argparse.Namespace, n_in: int, n_classes: int) -> tuple[Any, Any, list[int]]:
    """(model, loss function, layer sizes)."""
    import nn

    if args.engine == "tensor":
        sizes = [n_in, *args.hidden_sizes, n_classes]
        model = nn.MLP(sizes, activation=args.activation, seed=args.seed)
        return model, nn.CrossEntropyLoss(), sizes
    random.seed(args.seed)  # nn.scalar draws weights with Python's random, as micrograd
    n_out = 1 if n_classes == 2 else n_classes
    sizes = [n_in, *args.hidden_sizes, n_out]
    model = nn.scalar.MLP(n_in, sizes[1:])
    loss = nn.BCEWithLogitsLoss() if n_out == 1 else nn.CrossEntropyLoss()
    return model, loss, sizes


def _png(fig: Any) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=120)
    return buffer.getvalue()


def run_train(args: argparse.Namespace) -> int:
    """Train, print a summary, write loss.png, decision_boundary.png, metrics.json, model.npz.

    With ``--animate`` also training.gif; with ``--onnx`` also model.onnx (checked before
    training: tensor engine, onnx installed).
    """
    args.hidden_sizes = _parse_hidden(args.hidden)
    _validate(args)
    out_dir, created = check_out_dir(args.out)
    try:
        return _train(args, out_dir)
    except BaseException:
        remove_if_empty(created)
        raise


@dataclass
class _Data:
    """The data set and its stratified train/test split."""

    X: np.ndarray
    y: np.ndarray
    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray

    @property
    def n_classes(self) -> int:
        return int(self.y.max()) + 1


@dataclass
class _Result:
    """A finished run: what ``nn.fit`` recorded and the accuracies of the trained model."""

    history: Any
    seconds: float
    train_accuracy: float
    test_accuracy: float
    movie: Any = None  # a viz.TrainingMovie with --animate

    @property
    def final_loss(self) -> float:
        return self.history.loss[-1] if self.history.loss else float("nan")


def _train(args: argparse.Namespace, out_dir: Path) -> int:
    data = _split(args)
    batch = _parse_batch(args.batch_size, len(data.X_train))
    model, loss_fn, sizes = _build_model(args, data.X.shape[1], data.n_classes)
    optimizer, lr = make_optimizer(args.optimizer, model.parameters(), args.lr)
    n_params = sum(int(np.size(p.data)) for p in model.parameters())
    arch = "-".join(str(s) for s in sizes)
    print(
        f"chainrule train {args.dataset}: {len(data.X_train)} train / {len(data.X_test)} test "
        f"samples, {args.engine} MLP {arch} ({args.activation}, {n_params:,} parameters), "
        f"{args.optimizer} lr={lr:g}, batch {batch}, {args.epochs} epochs",
        flush=True,
    )
    # numpy's overflow/invalid warnings would print source paths; divergence is checked instead.
    with np.errstate(all="ignore"):
        result = _fit(args, model, loss_fn, optimizer, data, batch, lr)
        targets = _output_files(args, out_dir, model, data, result, sizes, n_params, lr, batch)
    write_files(targets)
    print(
        f"final loss {result.final_loss:.4g} | train accuracy {100 * result.train_accuracy:.1f}% "
        f"| test accuracy {100 * result.test_accuracy:.1f}% | {result.seconds:.2f} s"
    )
    names = ", ".join(p.name for p in targets)
    print(f"wrote {names} to {out_dir}")
    return 0


def _split(args: argparse.Namespace) -> _Data:
    import nn

    X, y = _load(args)
    X_train, X_test, y_train, y_test = nn.train_test_split(
        X, y, test_size=args.test_size, seed=args.seed, stratify=True
    )
    return _Data(X, y, X_train, X_test, y_train, y_test)


def _fit(
    args: argparse.Namespace, model: Any, loss_fn: Any, optimizer: Any, data: _Data,
    batch: int | str, lr: float,
) -> _Result:
    """Train with ``nn.fit``; a diverged run (nan/inf loss or parameters) is a CLIError, exit 1."""
    import nn

    progress = None if args.progress == "auto" else args.progress == "on"
    movie = _movie(args, model, data.X, data.y) if args.animate else None
    started = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        history = nn.fit(
            model, loss_fn, data.X_train, data.y_train, optimizer, epochs=args.epochs,
            batch_size=batch, seed=args.seed, progress=progress,
            validation_data=(data.X_test, data.y_test),
            callbacks=[movie] if movie is not None else [],
        )
    seconds = time.perf_counter() - started
    _check_not_diverged(history, model, args.epochs, lr)
    for w in caught:
        print(f"chainrule: warning: {' '.join(str(w.message).split())}", file=sys.stderr)
    return _Result(
        history,
        seconds,
        nn.accuracy(nn.predict(model, data.X_train), data.y_train),
        nn.accuracy(nn.predict(model, data.X_test), data.y_test),
        movie,
    )


def _check_not_diverged(history: Any, model: Any, epochs: int, lr: float) -> None:
    """A nan/inf loss (fit stopped) or nan/inf parameters: one line, exit 1, nothing written."""
    if history.stopped_early:  # the command passes no callbacks: only a non-finite loss stops
        where, what = f"in epoch {history.epochs + 1} of {epochs}", "the loss"
    elif not all(np.isfinite(np.asarray(p.data)).all() for p in model.parameters()):
        where, what = f"in epoch {history.epochs} of {epochs}", "the parameters"
    else:
        return
    raise CLIError(
        f"training diverged {where}: {what} became nan or inf; lower --lr (it was {lr:g}) and "
        "run again. Nothing was written",
        exit_code=1,
    )


def _output_files(
    args: argparse.Namespace, out_dir: Path, model: Any, data: _Data, result: _Result,
    sizes: list[int], n_params: int, lr: float, batch: int | str,
) -> dict[Path, Any]:
    """{path: writer} for loss.png, decision_boundary.png (2-D data), metrics.json, model.npz."""
    import nn
    from viz.plots import plot_decision_boundary, plot_loss_curves

    history = result.history
    arch = "-".join(str(s) for s in sizes)
    curves = {"train": history.loss}
    if history.val_loss:
        curves["test"] = history.val_loss
    loss_fig = plot_loss_curves(
        curves,
        xlabel="epoch",
        log=bool(history.loss) and min(history.loss) > 0,
        title=f"{args.dataset}: {args.engine} MLP {arch}, {args.optimizer} lr={lr:g}",
    )
    targets: dict[Path, Any] = {out_dir / "loss.png": write_bytes(_png(loss_fig))}
    if data.X.shape[1] == 2:
        boundary = plot_decision_boundary(
            lambda grid: nn.predict(model, grid),
            data.X,
            data.y,
            resolution=200 if args.engine == "tensor" else 60,
            title=f"{args.dataset}: test accuracy {100 * result.test_accuracy:.1f}%",
        )
        targets[out_dir / "decision_boundary.png"] = write_bytes(_png(boundary))
    if result.movie is not None:
        targets[out_dir / "training.gif"] = result.movie.save
    metrics = _metrics(args, data, result, sizes, n_params, lr, batch)
    targets[out_dir / "metrics.json"] = write_bytes((json.dumps(metrics, indent=2) + "\n").encode())
    targets[out_dir / "model.npz"] = model.save
    if args.onnx:  # any batch size; the input is "input", the logits "output"
        targets[out_dir / "model.onnx"] = lambda path: model.to_onnx(path, data.X_train[:1])
    return targets


def _metrics(
    args: argparse.Namespace, data: _Data, result: _Result, sizes: list[int], n_params: int,
    lr: float, batch: int | str,
) -> dict[str, Any]:
    history = result.history
    return {
        "dataset": args.dataset,
        "engine": args.engine,
        "layer_sizes": sizes,
        "activation": args.activation,
        "parameters": n_params,
        "loss": "bce_with_logits" if sizes[-1] == 1 else "cross_entropy",
        "optimizer": args.optimizer,
        "lr": lr,
        "batch_size": batch,
        "epochs": history.epochs,
        "stopped_early": history.stopped_early,
        "final_loss": _finite_or_none(result.final_loss),
        "final_test_loss": _finite_or_none(history.val_loss[-1]) if history.val_loss else None,
        "train_accuracy": result.train_accuracy,
        "test_accuracy": result.test_accuracy,
        "seconds": round(result.seconds, 3),
        "n_train": len(data.X_train),
        "n_test": len(data.X_test),
        "loss_history": [_finite_or_none(v) for v in history.loss],
        "args": {k: v for k, v in vars(args).items() if k not in ("func", "hidden_sizes")},
    }


def _movie(args: argparse.Namespace, model: Any, X: np.ndarray, y: np.ndarray) -> Any:
    """A TrainingMovie of the decision boundary and the losses, with the untrained model first."""
    import nn
    from viz import TrainingMovie

    movie = TrainingMovie(
        lambda grid: nn.predict(model, grid),
        X,
        y,
        epochs=args.epochs,
        resolution=80 if args.engine == "tensor" else 30,
        title=f"{args.dataset}, {args.optimizer}",
    )
    movie.record(-1, [])
    return movie


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def add_train_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``train`` subcommand's arguments."""
    parser.add_argument("dataset", metavar="DATASET", choices=list(DATASETS),
                        help="one of: " + ", ".join(DATASETS))
    parser.add_argument("--hidden", default="16,16",
                        help="hidden layer sizes, comma separated (default: 16,16)")
    parser.add_argument("--activation", default="relu", choices=TENSOR_ACTIVATIONS,
                        help="hidden activation (default: relu; the value engine has relu only)")
    parser.add_argument("--optimizer", default="adam", choices=OPTIMIZER_NAMES,
                        help="default: adam (momentum = SGD with momentum 0.9)")
    parser.add_argument("--lr", type=float, default=None,
                        help="learning rate (default per optimizer: sgd 0.1, momentum 0.05, "
                        "adagrad 0.1, rmsprop 0.01, adam 0.01)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the data (default: 100; 20 with --engine value)")
    parser.add_argument("--batch-size", default="32",
                        help="'full' (full-batch GD), 1 (SGD) or N (mini-batch; default: 32)")
    parser.add_argument("--engine", default="tensor", choices=("tensor", "value"),
                        help="tensor (numpy arrays, default) or value (micrograd-style scalars)")
    parser.add_argument("--seed", type=int, default=0, help="seed for data, weights, batches")
    parser.add_argument("--samples", type=int, default=None,
                        help="number of samples for the generated data sets")
    parser.add_argument("--noise", type=float, default=None,
                        help="noise of the generated data set (blobs: cluster std)")
    parser.add_argument("--test-size", type=float, default=0.25,
                        help="fraction held out for testing (default: 0.25)")
    parser.add_argument("--progress", default="auto", choices=("auto", "on", "off"),
                        help="progress bar (auto: only when stderr is a terminal)")
    parser.add_argument("--animate", action="store_true",
                        help="also write training.gif: the decision boundary and the loss "
                        "curve over the epochs (2-D data sets)")
    parser.add_argument("--onnx", action="store_true",
                        help="also write model.onnx (tensor engine; needs "
                        "pip install 'chainrule[onnx]')")
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="directory for loss.png, decision_boundary.png, metrics.json, "
                        "model.npz (created if needed)")
