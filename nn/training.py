"""``fit()``: a small training loop with history, progress bar, callbacks and a NaN guard.

``nn`` does not depend on ``optim``: ``fit`` takes any optimizer object with
``zero_grad()`` and ``step()`` (e.g. ``optim.SGD(model.parameters(), lr=0.1)``).
"""

from __future__ import annotations

import math
import sys
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, cast

import numpy as np

import autograd
from autograd import Value, gc_paused, no_grad

from .data import BatchIterator
from .module import Module

__all__ = ["History", "Optimizer", "accuracy", "fit", "predict"]


class Optimizer(Protocol):
    """What ``fit`` needs of an optimizer."""

    def zero_grad(self) -> None: ...

    def step(self) -> None: ...


@dataclass
class History:
    """Per-epoch records of a :func:`fit` run (one entry per finished epoch).

    ``loss`` is the sample-weighted mean of the batch losses and ``accuracy``
    the metric on the outputs seen during the epoch (the model changes while
    they are produced, as in Keras). ``val_*`` are filled when validation data
    is given. ``stopped_early`` / ``stop_reason`` say why training ended before
    ``epochs`` (a non-finite loss or a callback).
    """

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    stopped_early: bool = False
    stop_reason: str = ""

    @property
    def epochs(self) -> int:
        """The number of finished epochs."""
        return len(self.loss)


Callback = Callable[[int, History], Any]


def accuracy(outputs: np.ndarray, targets: np.ndarray, threshold: float = 0.0) -> float:
    """Fraction of correct predictions.

    * ``outputs`` of shape ``(N, C)`` with ``C > 1``: the prediction is the argmax,
      compared with integer labels;
    * one output per sample: the prediction is ``output > threshold``, compared
      with ``targets > 0`` — so labels may be 0/1 or −1/+1. ``threshold = 0``
      suits scores and logits; use ``0.5`` for probabilities.
    """
    outputs, targets = np.asarray(outputs), np.asarray(targets)
    if outputs.ndim == 2 and outputs.shape[1] > 1:
        return float(np.mean(outputs.argmax(axis=1) == targets.reshape(-1)))
    return float(np.mean((outputs.reshape(-1) > threshold) == (targets.reshape(-1) > 0)))


def _is_scalar_model(model: Module) -> bool:
    params = model.parameters()
    return bool(params) and type(params[0]) is Value


def _forward(model: Module, X: np.ndarray, scalar: bool, dtype: Any) -> tuple[Any, np.ndarray]:
    """Run the model on a batch; return (outputs for the loss, outputs as an array)."""
    if scalar:
        outputs = [model(row) for row in X.tolist()]
        as_array = np.array(
            [[v.data for v in o] if isinstance(o, list) else o.data for o in outputs]
        )
        return outputs, as_array
    out = model(autograd.Tensor(np.asarray(X, dtype=dtype)))
    return out, np.asarray(out.data)


def predict(model: Module, X: Any) -> np.ndarray:
    """The model's outputs on ``X`` as a numpy array, computed under ``no_grad``."""
    scalar = _is_scalar_model(model)
    dtype = None if scalar else model.parameters()[0].data.dtype
    with no_grad():
        return _forward(model, np.asarray(X), scalar, dtype)[1]


def fit(
    model: Module,
    loss_fn: Callable[[Any, Any], Any],
    X: Any,
    y: Any,
    optimizer: Optimizer,
    epochs: int = 10,
    batch_size: int | str | None = None,
    seed: int | None = 0,
    progress: bool | None = None,
    callbacks: Sequence[Callback] = (),
    metric: Callable[[np.ndarray, np.ndarray], float] | None = accuracy,
    validation_data: tuple[Any, Any] | None = None,
) -> History:
    """Train ``model`` by minimising ``loss_fn(model(X_batch), y_batch)``; return its History.

    Each step: ``optimizer.zero_grad()``, forward, ``loss.backward()``,
    ``optimizer.step()`` — all inside :func:`autograd.gc_paused` (graphs have
    no reference cycles, so the cyclic collector only slows training; this is
    what makes scalar training fast).

    * ``model``: a Tensor model (called on a ``Tensor`` batch of the
      parameters' dtype) or a scalar model on ``Value`` (called once per row
      with a list of floats; the loss receives the list of outputs).
    * ``batch_size``: ``None``/``"full"`` (full batch), ``1`` (SGD) or ``N``
      (mini-batch), reshuffled each epoch from ``seed`` (see
      :class:`~nn.data.BatchIterator`).
    * ``progress``: a tqdm bar; ``None`` shows it only when stderr is a terminal.
    * ``callbacks``: each is called as ``cb(epoch, history)`` after every
      epoch; returning ``True`` stops training.
    * ``metric``: ``metric(outputs, targets) -> float`` recorded as
      ``accuracy`` (default :func:`accuracy`); ``None`` records nothing.
    * A non-finite loss (nan or inf) stops training *before* the update that
      would spread it into the parameters: a ``RuntimeWarning`` names the
      epoch and batch, and the history has ``stopped_early = True`` and the
      message in ``stop_reason``.

    Bad arguments (``epochs`` not an int >= 0, a model without parameters,
    an optimizer that holds none of the model's parameters) raise before
    anything changes.
    """
    _check_fit_arguments(model, loss_fn, optimizer, epochs)
    X, y = np.asarray(X), np.asarray(y)
    batches = BatchIterator(X, y, batch_size=batch_size, seed=seed)
    trainer = _Trainer(model, loss_fn, optimizer)
    history = History()
    if progress is None:
        progress = sys.stderr.isatty()
    from tqdm.auto import tqdm

    bar = tqdm(total=epochs, desc="fit", unit="epoch", disable=not progress)
    model.train()
    try:
        for epoch in range(epochs):
            if not trainer.train_epoch(batches, epoch, metric, history):
                warnings.warn(history.stop_reason, RuntimeWarning, stacklevel=2)
                return history
            if validation_data is not None:
                trainer.validate(validation_data, metric, history)
            _show_progress(bar, history)
            if _stopped_by_callback(callbacks, epoch, history):
                return history
    finally:
        bar.close()
    return history


def _check_fit_arguments(
    model: Module, loss_fn: Any, optimizer: Any, epochs: Any
) -> None:
    if not (
        callable(getattr(optimizer, "step", None))
        and callable(getattr(optimizer, "zero_grad", None))
    ):
        raise TypeError("fit needs an optimizer with step() and zero_grad(), e.g. optim.SGD")
    if not callable(loss_fn):
        raise TypeError(f"fit needs a loss function loss_fn(outputs, y), got {loss_fn!r:.60}")
    if isinstance(epochs, bool) or not isinstance(epochs, int | np.integer):
        raise TypeError(f"epochs must be an int >= 0, got {type(epochs).__name__} {epochs!r:.40}")
    if epochs < 0:
        raise ValueError(f"epochs must be >= 0, got {epochs}")
    params = model.parameters()
    if not params:
        raise ValueError(f"fit: the {type(model).__name__} has no parameters to train")
    groups = getattr(optimizer, "param_groups", None)
    if isinstance(groups, list):
        held = {id(p) for group in groups for p in group.get("params", ())}
        if held and not any(id(p) in held for p in params):
            raise ValueError(
                "fit: the optimizer holds none of this model's parameters, so training would "
                "change nothing; create it from this model, e.g. optim.SGD(model.parameters(), "
                "lr=0.1)"
            )


class _Trainer:
    """One model, loss and optimizer: the training step, an epoch, a validation pass."""

    def __init__(self, model: Module, loss_fn: Callable[[Any, Any], Any], optimizer: Any) -> None:
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.scalar = _is_scalar_model(model)
        self.dtype = None if self.scalar else model.parameters()[0].data.dtype

    def step(self, Xb: np.ndarray, yb: np.ndarray) -> tuple[float, np.ndarray]:
        """zero_grad, forward, loss; backward and update only for a finite loss.

        Returns the loss and the outputs as an array. All of it runs inside
        :func:`autograd.gc_paused` (graphs have no cycles to collect).
        """
        with gc_paused():
            self.optimizer.zero_grad()
            outputs, as_array = _forward(self.model, Xb, self.scalar, self.dtype)
            loss = self.loss_fn(outputs, yb)
            value = float(loss.item())
            if math.isfinite(value):
                loss.backward()
                self.optimizer.step()
            del loss, outputs
        return value, as_array

    def train_epoch(
        self,
        batches: BatchIterator,
        epoch: int,
        metric: Callable[[np.ndarray, np.ndarray], float] | None,
        history: History,
    ) -> bool:
        """One pass over the batches, recorded in ``history``; ``False`` if a bad loss stops it."""
        total, seen = 0.0, 0
        outs: list[np.ndarray] = []
        targets: list[np.ndarray] = []
        for b, (Xb, y_batch) in enumerate(batches):
            yb = cast(np.ndarray, y_batch)  # fit always batches targets with the inputs
            value, as_array = self.step(Xb, yb)
            if not math.isfinite(value):
                history.stopped_early = True
                history.stop_reason = (
                    f"fit stopped at epoch {epoch}, batch {b}: the loss is {value}. "
                    "Lower the learning rate, check the data for nan/inf, or use a "
                    "stable loss (cross_entropy on logits, binary_cross_entropy_with_logits)."
                )
                return False
            total += value * len(Xb)
            seen += len(Xb)
            outs.append(as_array)
            targets.append(yb)
        history.loss.append(total / seen)
        if metric is not None:
            history.accuracy.append(metric(np.concatenate(outs), np.concatenate(targets)))
        return True

    def validate(
        self,
        data: tuple[Any, Any],
        metric: Callable[[np.ndarray, np.ndarray], float] | None,
        history: History,
    ) -> None:
        """Record the loss (and metric) on ``data`` in eval mode, without recording a graph."""
        _validate(self.model, self.loss_fn, data, self.scalar, self.dtype, metric, history)


def _show_progress(bar: Any, history: History) -> None:
    postfix = {"loss": f"{history.loss[-1]:.4g}"}
    if history.accuracy:
        postfix["acc"] = f"{history.accuracy[-1]:.3f}"
    bar.set_postfix(postfix)
    bar.update(1)


def _stopped_by_callback(callbacks: Sequence[Callback], epoch: int, history: History) -> bool:
    for callback in callbacks:
        if callback(epoch, history) is True:
            history.stopped_early = True
            history.stop_reason = f"callback {callback!r} stopped training at epoch {epoch}"
            return True
    return False


def _validate(
    model: Module,
    loss_fn: Callable[[Any, Any], Any],
    data: tuple[Any, Any],
    scalar: bool,
    dtype: Any,
    metric: Callable[[np.ndarray, np.ndarray], float] | None,
    history: History,
) -> None:
    Xv, yv = np.asarray(data[0]), np.asarray(data[1])
    model.eval()
    try:
        with no_grad(), gc_paused():
            outputs, as_array = _forward(model, Xv, scalar, dtype)
            history.val_loss.append(float(loss_fn(outputs, yv).item()))
    finally:
        model.train()
    if metric is not None:
        history.val_accuracy.append(metric(as_array, yv))
