"""The op record and the registry: each operation's math, written once.

An :class:`Op` holds an operation's forward and its derivative rule, both
written against a namespace ``m`` (see :mod:`autograd.ops._math`), so the one
definition serves a ``Value`` on floats, a ``Tensor`` on ndarrays, and
``create_graph=True`` on graph nodes, where the rule's own operations are
recorded and second derivatives need no rule of their own.

Two kinds of rule:

* ``derivative`` (elementwise ops): the local derivatives ``∂out/∂input``,
  one per input; the engine multiplies them by the upstream gradient (and
  undoes broadcasting). ``m.masked(cond, d)`` selects instead of multiplying;
  ``None`` means no gradient flows to that input.
* ``vjp`` (every other op, Tensor only): the vector-Jacobian product itself,
  ``g`` (the upstream gradient, shaped like the output) in, one contribution
  per input out (``None`` for an input that gets none).

Rules name what they need, and the registry binds it by name: the inputs (as
named by ``forward``), ``out`` (the op's result), the op's parameters, and
for ``vjp`` ``wants`` (which inputs need a gradient, to skip expensive ones)::

    define_op("tanh", forward=lambda m, x: m.tanh(x),
              derivative=lambda m, x, out: 1 - out * out)

An op is also a ``str`` equal to its label (``"tanh"``, ``"*"``, ``"ReLU"``):
that is the ``_op`` micrograd code reads, while the engine reads the record.
"""

from __future__ import annotations

import inspect
import keyword
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._math import ARRAY, FLOAT

__all__ = ["REGISTRY", "Op", "OpChecks", "define_op", "registered_ops"]

Rule = Callable[..., Any]
Sample = tuple[tuple[Any, ...], dict[str, Any]]  # (inputs, params) for a registry test


@dataclass(frozen=True)
class OpChecks:
    """How the registry-driven tests exercise an op (``tests/autograd/test_ops_registry.py``).

    ``domain``: one ``(low, high)`` interval per input where the op is smooth
    enough for finite differences; ``avoid``: per input, points (kinks,
    poles) to keep a margin from; ``params``: parameter values to test with;
    ``torch``: ``torch_fn(torch, *inputs, **params)`` computing the same op in
    PyTorch, or ``None`` (then ``torch_missing`` says why); ``samples``: for ops
    that are not elementwise, ``samples(rng)`` returns a list of
    ``(inputs, params)`` cases (inputs as float64 arrays); ``second_order``:
    whether gradgradcheck applies (False only where the first derivative is
    itself not differentiable in the sampled region, which none is today);
    ``avoid_ties``: keep two inputs a margin apart (``maximum`` is a kink where
    ``x == y``).
    """

    domain: tuple[tuple[float, float], ...] | None = None
    avoid: tuple[tuple[float, ...], ...] = ()
    params: Mapping[str, Any] = field(default_factory=dict)
    torch: Callable[..., Any] | None = None
    torch_missing: str = ""
    samples: Callable[[np.random.Generator], list[Sample]] | None = None
    second_order: bool = True
    avoid_ties: bool = False


class Op(str):
    """One operation of the engine: a ``str`` (its label) that is also its registry record.

    Attributes: ``name`` (registry key, e.g. ``"relu"``), ``label`` (what
    graphs show, e.g. ``"ReLU"``), ``inputs`` (input names), ``variadic``
    (takes any number of inputs), ``params`` and ``defaults``, ``forward``,
    ``derivative`` or ``vjp`` (the rule), ``engines`` (``{"value", "tensor"}``
    or ``{"tensor"}``), ``kind`` (``"operator"``, ``"function"``,
    ``"reduction"``, ``"shape"``, ``"linalg"``), ``method`` (the name of the
    ``Value``/``Tensor`` method it backs, if any), ``doc`` and ``checks``.

    Calling an op applies it: ``REGISTRY["tanh"](x)`` records a node when
    ``x`` is a ``Value`` or ``Tensor`` and returns a float or an ndarray for
    plain numbers or arrays.
    """

    name: str
    inputs: tuple[str, ...]
    variadic: bool
    params: tuple[str, ...]
    defaults: dict[str, Any]
    forward: Rule
    derivative: Rule | None
    vjp: Rule | None
    engines: frozenset[str]
    kind: str
    method: str | None
    activation: bool
    doc: str
    checks: OpChecks
    # Compiled adapters (see _adapter) and, for Value ops, the compiled methods (autograd.value)
    _forward: Callable[[Any, tuple[Any, ...], tuple[Any, ...]], Any]
    _derivative: Callable[[Any, Any, Any, tuple[Any, ...]], tuple[Any, ...]]
    _vjp: Callable[..., tuple[Any, ...]]
    _value_call: Callable[..., Any]
    _value_locals: Callable[..., tuple[Any, ...]]
    _value_methods: dict[str, Callable[..., Any]]
    _value_source: str | None

    def __new__(cls, label: str, **fields: Any) -> Op:
        self = str.__new__(cls, label)
        self.__dict__.update(fields)
        return self

    @property
    def label(self) -> str:
        """The text graphs show for this op (a plain ``str``)."""
        return str.__str__(self)

    @property
    def arity(self) -> int | None:
        """The number of inputs (``None`` for a variadic op)."""
        return None if self.variadic else len(self.inputs)

    @property
    def elementwise(self) -> bool:
        """True when the rule is a local ``derivative`` (elementwise, broadcasting op)."""
        return self.derivative is not None

    def __repr__(self) -> str:
        return f"<op {self.name} {self.label!r}>"

    def __reduce__(self) -> Any:  # ops pickle and copy as references into the registry
        return (_lookup, (self.name,))

    def __copy__(self) -> Op:
        return self

    def __deepcopy__(self, memo: Any) -> Op:
        return self

    # -- calling ---------------------------------------------------------------

    def split(  # type: ignore[override]  # an Op is a str only for its label
        self, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        """``(inputs, params)`` from a call's arguments, with the op's defaults filled in."""
        if self.variadic:
            inputs, rest = tuple(args), ()
        else:
            n = len(self.inputs)
            if len(args) < n:
                missing = ", ".join(self.inputs[len(args) :])
                raise TypeError(f"{self.name}() missing input(s): {missing}")
            inputs, rest = tuple(args[:n]), tuple(args[n:])
        if len(rest) > len(self.params):
            raise TypeError(
                f"{self.name}() takes {len(self.params)} parameter(s) "
                f"({', '.join(self.params) or 'none'}), got {len(rest)} extra argument(s)"
            )
        values: dict[str, Any] = dict(zip(self.params, rest))
        for key, value in kwargs.items():
            if key not in self.params:
                raise TypeError(
                    f"{self.name}() got an unexpected argument {key!r}; its parameters: "
                    f"{', '.join(self.params) or 'none'}"
                )
            if key in values:
                raise TypeError(f"{self.name}() got {key!r} twice")
            values[key] = value
        params = []
        for p in self.params:
            if p in values:
                params.append(values[p])
            elif p in self.defaults:
                params.append(self.defaults[p])
            else:
                raise TypeError(f"{self.name}() missing parameter {p!r}")
        return inputs, tuple(params)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if _ENGINES and not kwargs and not self.params and len(args) == len(self.inputs):
            # The common call, f(tensor, ...) with no parameters: straight to the Tensor engine
            # (what the general path below does for it, without its scans).
            tensor_module = _ENGINES[0]
            tensor_type = tensor_module.Tensor
            for a in args:
                if type(a) is tensor_type:
                    if "tensor" not in self.engines:
                        raise TypeError(f"{self.name} is not defined for Tensor")
                    return tensor_module.apply(self, args, ())
        if kwargs or self.params or self.variadic or len(args) != len(self.inputs):
            inputs, params = self.split(args, kwargs)
        else:
            inputs, params = args, ()  # what split() returns for these arguments
        if not _ENGINES:
            from .. import tensor as tensor_module
            from .. import value as value_module

            _ENGINES.extend((tensor_module, value_module))
        tensor_module, value_module = _ENGINES
        Tensor, Value = tensor_module.Tensor, value_module.Value
        if any(isinstance(a, Tensor) for a in inputs):
            if "tensor" not in self.engines:
                raise TypeError(f"{self.name} is not defined for Tensor")
            return tensor_module.apply(self, inputs, params)
        if any(isinstance(a, Value) for a in inputs):
            if "value" not in self.engines:
                raise TypeError(
                    f"{self.name} is defined for Tensor only; lift the Value with Tensor(v.data)"
                )
            return value_module.apply(self, inputs, params)
        scalar = all(a is None or isinstance(a, int | float | np.number) for a in inputs)
        if scalar and "value" in self.engines:
            return self._forward(FLOAT, inputs, params)
        with np.errstate(all="ignore"):
            return self._forward(ARRAY, inputs, params)

    def evaluator(self, namespace: Any) -> Callable[..., Any]:
        """``f(*inputs, *params)``: this op's forward evaluated in ``namespace``."""
        forward = self._forward

        def evaluate(*args: Any, **kwargs: Any) -> Any:
            inputs, params = self.split(args, kwargs)
            return forward(namespace, inputs, params)

        evaluate.__name__ = self.name
        evaluate.__doc__ = self.doc
        return evaluate


_ENGINES: list[Any] = []  # autograd.tensor and autograd.value, imported on the first call


def _lookup(name: str) -> Op:
    return REGISTRY[name]


# ----------------------------------------------------------------------------
# Binding a rule's parameters by name
# ----------------------------------------------------------------------------


def _rule_parameters(rule: Rule, what: str, op_name: str) -> list[inspect.Parameter]:
    if not callable(rule):
        raise TypeError(f"op {op_name!r}: {what} must be a function, got {type(rule).__name__}")
    try:
        parameters = list(inspect.signature(rule).parameters.values())
    except (TypeError, ValueError):
        raise TypeError(f"op {op_name!r}: cannot read the signature of its {what}") from None
    if not parameters or parameters[0].name != "m":
        raise TypeError(
            f"op {op_name!r}: {what} must take the math namespace 'm' as its first argument, "
            f"e.g. lambda m, x: m.exp(x)"
        )
    return parameters[1:]


def _forward_signature(
    forward: Rule, op_name: str
) -> tuple[tuple[str, ...], bool, tuple[str, ...], dict[str, Any]]:
    """Inputs (positional parameters without default), variadic flag, params and defaults."""
    inputs: list[str] = []
    params: list[str] = []
    defaults: dict[str, Any] = {}
    variadic = False
    for p in _rule_parameters(forward, "forward", op_name):
        if p.kind is p.VAR_POSITIONAL:
            variadic = True
            inputs.append(p.name)
        elif p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            if params:
                raise TypeError(f"op {op_name!r}: inputs must come before parameters in forward")
            inputs.append(p.name)
        elif p.kind is p.VAR_KEYWORD:
            raise TypeError(f"op {op_name!r}: forward cannot take **kwargs; name its parameters")
        else:
            params.append(p.name)
            if p.default is not p.empty:
                defaults[p.name] = p.default
    if not inputs:
        raise TypeError(f"op {op_name!r}: forward takes no input after 'm'")
    return tuple(inputs), variadic, tuple(params), defaults


def _adapter(
    rule: Rule,
    what: str,
    op_name: str,
    inputs: tuple[str, ...],
    variadic: bool,
    params: tuple[str, ...],
    head: tuple[str, ...],
    extra: dict[str, str],
) -> Callable[..., Any]:
    """Compile ``lambda <head>: rule(...)`` passing each of the rule's parameters by name.

    ``head`` are the adapter's own arguments (e.g. ``("m", "I", "O", "P")``);
    ``extra`` maps the other names a rule may ask for to adapter expressions
    (``{"out": "O"}``). Unknown names are an error here, when the op is defined.
    """
    parameters = _rule_parameters(rule, what, op_name)
    if what == "vjp":
        if not parameters or parameters[0].name != "g":
            raise TypeError(
                f"op {op_name!r}: vjp must take the upstream gradient 'g' after 'm', "
                "e.g. lambda m, g, x: (g * 2,)"
            )
        parameters = parameters[1:]
    sources = {name: f"I[{i}]" for i, name in enumerate(inputs) if not variadic}
    sources.update({name: f"P[{j}]" for j, name in enumerate(params)})
    sources.update(extra)
    arguments = ["m", "g"] if what == "vjp" else ["m"]
    if what == "forward":
        arguments = ["m"]
    for p in parameters:
        if p.kind is p.VAR_POSITIONAL:
            if not variadic:
                raise TypeError(
                    f"op {op_name!r}: {what} takes *{p.name} but the op is not variadic"
                )
            arguments.append("*I")
            continue
        if p.kind is p.VAR_KEYWORD:
            raise TypeError(f"op {op_name!r}: {what} cannot take **kwargs; name what it uses")
        if variadic and p.name == inputs[0]:
            source = "I"
        elif p.name in sources:
            source = sources[p.name]
        elif p.default is not p.empty:
            continue
        else:
            known = [*([] if variadic else inputs), *params, *extra]
            raise TypeError(
                f"op {op_name!r}: its {what} takes {p.name!r}, which is none of the names a "
                f"rule can use: {', '.join(known)}"
            )
        arguments.append(f"{p.name}={source}" if p.kind is p.KEYWORD_ONLY else source)
    source_code = f"lambda {', '.join(head)}: rule({', '.join(arguments)})"
    return eval(source_code, {"rule": rule})


# ----------------------------------------------------------------------------
# The registry
# ----------------------------------------------------------------------------

REGISTRY: dict[str, Op] = {}
_LABELS: dict[str, str] = {}
_ENGINE_HOOKS: list[Callable[[Op], None]] = []


def registered_ops(
    *, engine: str | None = None, kind: str | None = None, arity: int | None = None
) -> list[Op]:
    """The registered ops, in definition order, filtered by engine, kind and arity."""
    return [
        op
        for op in REGISTRY.values()
        if (engine is None or engine in op.engines)
        and (kind is None or op.kind == kind)
        and (arity is None or op.arity == arity)
    ]


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
        raise ValueError(f"an op's name must be a Python identifier, got {name!r}")


def _check_definition(
    name: str, label: Any, derivative: Rule | None, vjp: Rule | None, register: bool,
    replace: bool,
) -> None:
    """Refuse a definition that would be ambiguous, or a silent zero gradient."""
    _check_name(name)
    if register and name in REGISTRY and not replace:
        raise ValueError(f"an op named {name!r} is already registered; pass replace=True")
    if derivative is None and vjp is None:
        raise TypeError(
            f"op {name!r} has no derivative rule: pass derivative=... (local derivatives of an "
            "elementwise op) or vjp=... (a vector-Jacobian product); without one its gradient "
            "would silently be zero"
        )
    if derivative is not None and vjp is not None:
        raise TypeError(f"op {name!r}: pass derivative= or vjp=, not both")
    if not isinstance(label, str) or not label:
        raise ValueError(f"op {name!r}: label must be a non-empty string")
    owner = _LABELS.get(label)
    if register and owner is not None and owner != name:
        raise ValueError(f"op {name!r}: label {label!r} is already used by op {owner!r}")


def _compile_rules(op: Op) -> None:
    """Bind the rules' parameters by name, once: ``op._forward``, ``_derivative`` or ``_vjp``."""

    def compile_rule(rule: Rule, what: str, head: tuple[str, ...], extra: dict[str, str]) -> Any:
        return _adapter(rule, what, op.name, op.inputs, op.variadic, op.params, head, extra)

    op._forward = compile_rule(op.forward, "forward", ("m", "I", "P"), {})
    if op.derivative is not None:
        d = compile_rule(op.derivative, "derivative", ("m", "I", "O", "P"), {"out": "O"})
        op._derivative = (lambda m, I, O, P: (d(m, I, O, P),)) if len(op.inputs) == 1 else d
    else:
        assert op.vjp is not None
        op._vjp = compile_rule(
            op.vjp, "vjp", ("m", "g", "I", "O", "P", "W"), {"out": "O", "wants": "W"}
        )


def define_op(
    name: str,
    forward: Rule,
    derivative: Rule | None = None,
    *,
    vjp: Rule | None = None,
    label: str | None = None,
    doc: str = "",
    kind: str = "function",
    method: str | None = None,
    activation: bool = False,
    value: bool | None = None,
    checks: OpChecks | None = None,
    register: bool = True,
    replace: bool = False,
) -> Op:
    """Define an operation once, forward and derivative, and get first and second order.

    Args:
        name: a Python identifier, the op's key in :data:`REGISTRY`.
        forward: ``forward(m, x, ..., param=default)``; the inputs are its
            positional parameters without defaults, the op's parameters are
            the ones with defaults or keyword-only. Use ``m``'s functions
            (``m.exp``, ``m.where``, ...) so it runs on floats and arrays.
        derivative: for an elementwise op, the local derivative(s)
            ``∂out/∂input``: one value for one input, a tuple otherwise. It may
            use the inputs, ``out`` and the parameters by name, and must be
            written with differentiable operations (``m``'s functions and
            Python's operators): evaluated on graph nodes it gives the second
            derivative. ``m.masked(cond, d)``: ``d`` where ``cond``, an exact
            zero elsewhere; ``None``: no gradient for that input.
        vjp: instead of ``derivative``, for ops that are not elementwise:
            ``vjp(m, g, x, ..., out, wants, params)`` returns one contribution
            per input, shaped like the input (or like the output where the op
            broadcasts), ``None`` for none. Tensor only.
        label: what graphs show (default: ``name``); labels are unique.
        doc: the docstring, with the formula.
        kind: ``"function"``, ``"operator"``, ``"reduction"``, ``"shape"``, ``"linalg"``
            or ``"loss"``.
        method: attach the op as this method name to ``Value`` (elementwise
            ops; Tensor's methods are written out in its class).
        activation: list the op among the activation functions (``nn``,
            the command line's ``--activation``, the plots).
        value: whether the op works on ``Value`` (default: elementwise ops
            with one or two inputs).
        checks: how the registry-driven tests exercise the op (:class:`OpChecks`).
        register: add the op to :data:`REGISTRY` (the CLI, plots and tests read it).
        replace: allow redefining a registered name.

    Raises:
        TypeError: no rule, both rules, or a rule asking for a name the op
            does not have; a missing rule would be a silent zero gradient.

    Example::

        log1p = define_op(
            "log1p",
            forward=lambda m, x: m.log1p(x),
            derivative=lambda m, x: 1 / (1 + x),
            doc="log(1 + x), accurate near 0; derivative 1/(1 + x).",
        )
        log1p(Value(0.5))            # a Value node; .backward() works, so does create_graph
        log1p(Tensor([0.5, 2.0]))    # a Tensor node
    """
    label = name if label is None else label
    _check_definition(name, label, derivative, vjp, register, replace)
    inputs, variadic, params, defaults = _forward_signature(forward, name)
    if value is None:
        value = derivative is not None and not variadic and len(inputs) in (1, 2)
    if value and (derivative is None or variadic or len(inputs) not in (1, 2)):
        raise TypeError(f"op {name!r}: Value supports elementwise ops of one or two inputs")
    engines = frozenset({"value", "tensor"} if value else {"tensor"})
    op = Op(
        label,
        name=name,
        inputs=inputs,
        variadic=variadic,
        params=params,
        defaults=defaults,
        forward=forward,
        derivative=derivative,
        vjp=vjp,
        engines=engines,
        kind=kind,
        method=method,
        activation=activation,
        doc=doc or (getattr(forward, "__doc__", None) or ""),
        checks=checks or OpChecks(),
    )
    _compile_rules(op)
    for hook in _ENGINE_HOOKS:
        hook(op)
    if register:
        REGISTRY[name] = op
        _LABELS[label] = name
    return op


def iter_registry() -> Iterator[Op]:
    """Every registered op, in definition order."""
    return iter(list(REGISTRY.values()))
