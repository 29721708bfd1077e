"""Neural-network building blocks on ``autograd``: modules, activations, losses, data, training.

* :mod:`nn.module` — :class:`Module` (parameters, train/eval, state dicts, ``.npz`` files);
* :mod:`nn.model_file`, :mod:`nn.loading` — the model file format and :func:`load`, which
  rebuilds a saved ``MLP`` from its file alone (written all-or-nothing by
  :mod:`autograd.atomic_file`);
* :mod:`nn.functional` — activations and losses as functions (Value, list of Values, Tensor);
* :mod:`nn.activations`, :mod:`nn.losses` — the same as modules;
* :mod:`nn.layers` — Tensor ``Linear``, ``Sequential``, ``MLP``;
* :mod:`nn.scalar` — micrograd-compatible ``Neuron``, ``Layer``, ``MLP`` on ``Value``;
* :mod:`nn.perceptron` — Rosenblatt's perceptron and a differentiable sigmoid neuron;
* :mod:`nn.data` — toy data sets, batching, train/test split, the digits;
* :mod:`nn.training` — ``fit()`` and ``History``;
* :mod:`nn.lecture` — the lecture's 3-3-2 network and its chain-rule products;
* :mod:`nn.torch_bridge` — ``to_torch`` / ``from_torch`` (PyTorch is optional, imported lazily).
* ``Module.to_onnx(path, example)`` — an ONNX file (onnx is optional, imported lazily).

``nn`` does not import ``optim``: ``fit`` takes any object with ``step()`` and
``zero_grad()``.
"""

from . import functional, lecture, scalar, torch_bridge
from .activations import (
    Activation,
    Identity,
    LeakyReLU,
    LogSoftmax,
    Mish,
    ReLU,
    Sigmoid,
    Sign,
    Softmax,
    Softplus,
    Tanh,
)
from .data import (
    BatchIterator,
    load_digits,
    make_blobs,
    make_circles,
    make_logic_gate,
    make_moons,
    make_spirals,
    make_xor,
    standardize,
    train_test_split,
)
from .layers import MLP, Linear, Sequential
from .loading import load
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyFromProbsLoss,
    CrossEntropyLoss,
    HingeLoss,
    MSELoss,
)
from .model_file import ModelFileError
from .module import Module
from .perceptron import Perceptron, SigmoidNeuron
from .torch_bridge import from_torch, to_torch
from .training import History, accuracy, fit, predict

__all__ = [
    "MLP",
    "Activation",
    "BCELoss",
    "BCEWithLogitsLoss",
    "BatchIterator",
    "CrossEntropyFromProbsLoss",
    "CrossEntropyLoss",
    "HingeLoss",
    "History",
    "Identity",
    "LeakyReLU",
    "Linear",
    "LogSoftmax",
    "MSELoss",
    "Mish",
    "ModelFileError",
    "Module",
    "Perceptron",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "SigmoidNeuron",
    "Sign",
    "Softmax",
    "Softplus",
    "Tanh",
    "accuracy",
    "fit",
    "from_torch",
    "functional",
    "lecture",
    "load",
    "load_digits",
    "make_blobs",
    "make_circles",
    "make_logic_gate",
    "make_moons",
    "make_spirals",
    "make_xor",
    "predict",
    "scalar",
    "standardize",
    "to_torch",
    "torch_bridge",
    "train_test_split",
]
