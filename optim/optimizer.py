"""The :class:`Optimizer` base: parameter groups, ``zero_grad``, ``step``, ``state_dict``.

An optimizer works on any parameter with ``.data`` and ``.grad`` (duck
typing): a scalar :class:`autograd.Value` (``.data`` a float, ``.grad`` a
float) or an array parameter such as :class:`autograd.Tensor` (``.data`` a
numpy array, ``.grad`` an array or ``None``). Parameters whose ``grad`` is
``None`` are skipped by ``step()``.

Speed for scalar models: within a group, all ``Value`` parameters form one
*block*. ``step()`` gathers their data and gradients into float64 arrays,
runs the optimizer's update once on the whole block (its state lives in
arrays, one entry per parameter) and writes the floats back. A 10,000-
parameter scalar model therefore pays one vectorised update, not 10,000
Python-level ones. Array parameters are updated one by one, in place, with
``p.data -= delta`` (for a Tensor this goes through its ``data`` setter,
bumping its version counter).

``state_dict()`` follows PyTorch's layout, one entry per parameter::

    {"state": {index: {"step": 3.0, "exp_avg": ..., ...}, ...},
     "param_groups": [{"lr": ..., ..., "params": [0, 1, ...]}, ...]}

where ``index`` numbers the parameters through all groups in order. A
Value parameter's state entries are Python floats, an array parameter's are
numpy arrays of its shape (``step`` is always a float). The layout holds
only numbers, lists and arrays (no pickle needed; :func:`optim.state_dict_to_json`
and :func:`optim.state_dict_from_json` turn it into JSON text and back), and
``load_state_dict`` restores it exactly: a run resumed from a mid-run
``state_dict`` follows the same trajectory bit for bit.
"""

from __future__ import annotations

import copy
import math
import numbers
from array import array
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np

from autograd import enable_grad

__all__ = ["Optimizer", "ParamGroup"]

ParamGroup = dict[str, Any]
State = dict[str, Any]


def check_hyper(name: str, value: Any, ok: bool, requirement: str) -> None:
    """Raise ``ValueError`` naming ``name`` when ``ok`` is false."""
    if not ok:
        raise ValueError(f"Invalid {name}: {value!r} ({name} must be {requirement})")


def is_real(value: Any) -> bool:
    """True for a finite-or-infinite real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_nonneg(group: Mapping[str, Any], *names: str) -> None:
    """Every named hyper-parameter is a finite real number ≥ 0 (nan and inf are refused)."""
    for name in names:
        value = group[name]
        ok = is_real(value) and math.isfinite(value) and value >= 0
        check_hyper(name, value, ok, "a finite real number >= 0")


def lerp(start: Any, end: Any, weight: float) -> Any:
    """``start + weight·(end − start)``, rounded as ``torch.lerp`` does (exact at both ends)."""
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


class _GroupParams:
    """How one parameter group splits into a Value block and array parameters, and their state."""

    __slots__ = ("array_pos", "array_state", "arrays", "scalar_pos", "scalar_state", "scalars")

    def __init__(self, params: list[Any]) -> None:
        self.scalars: list[Any] = []
        self.scalar_pos: list[int] = []
        self.arrays: list[Any] = []
        self.array_pos: list[int] = []
        for pos, p in enumerate(params):
            if isinstance(p.data, np.ndarray):
                self.arrays.append(p)
                self.array_pos.append(pos)
            else:
                self.scalars.append(p)
                self.scalar_pos.append(pos)
        # Block state: name -> float64 array with one entry per Value (None until the first step).
        self.scalar_state: State | None = None
        self.array_state: list[State | None] = [None] * len(self.arrays)


def _describe(p: Any) -> str:
    data = getattr(p, "data", None)
    if isinstance(data, np.ndarray):
        return f"{type(p).__name__} of shape {data.shape}"
    return type(p).__name__


class Optimizer:
    """Base class: holds ``param_groups`` and runs a subclass's update on each parameter.

    ``params`` is an iterable of parameters, or of dicts each with a
    ``"params"`` entry and optional per-group hyper-parameters that override
    ``defaults`` (PyTorch's parameter groups)::

        SGD([{"params": body}, {"params": head, "lr": 1e-3}], lr=1e-2)

    A subclass defines ``_check_group`` (validate hyper-parameters),
    ``_state_keys`` / ``_new_state`` (its per-parameter state) and
    ``_update(x, g, state, group) -> delta`` (the amount subtracted from the
    parameter), written once for numpy arrays: the same code serves a block
    of scalar Values and a single array parameter.
    """

    _uses_step: bool = True
    # State entries that can never be negative (sums and averages of squares).
    _nonnegative_state: tuple[str, ...] = ()

    def __init__(self, params: Iterable[Any], defaults: Mapping[str, Any]) -> None:
        self.defaults: dict[str, Any] = dict(defaults)
        self._check_group(self.defaults)
        if hasattr(params, "data") and hasattr(params, "grad"):
            raise TypeError(
                f"params should be an iterable of parameters or of dicts, got a single "
                f"{type(params).__name__}: wrap it in a list, e.g. SGD([p], lr=0.1)"
            )
        if isinstance(params, Mapping):
            params = [params]
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        self.param_groups: list[ParamGroup] = []
        self._groups: list[_GroupParams] = []
        groups = params if isinstance(params[0], Mapping) else [{"params": params}]
        for group in groups:
            self.add_param_group(group)

    # -- subclass hooks ------------------------------------------------------

    def _check_group(self, group: Mapping[str, Any]) -> None:
        """Raise ``ValueError`` naming the first invalid hyper-parameter of ``group``."""
        check_nonneg(group, "lr")

    def _state_keys(self, group: Mapping[str, Any]) -> tuple[str, ...]:
        """The names of the per-parameter state entries for this group's settings."""
        return ("step",) if self._uses_step else ()

    def _new_state(self, name: str, like: np.ndarray, group: Mapping[str, Any]) -> np.ndarray:
        """The initial value of state entry ``name`` for a parameter shaped like ``like``."""
        return np.zeros_like(like)

    def _update(self, x: np.ndarray, g: np.ndarray, state: State, group: ParamGroup) -> Any:
        """Return the amount to subtract from ``x``; update ``state`` (``step`` already +1)."""
        raise NotImplementedError

    def _decay_factor(self, group: ParamGroup) -> float:
        """A factor the parameter is multiplied by before the update (AdamW's decay)."""
        return 1.0

    # -- groups --------------------------------------------------------------

    def add_param_group(self, param_group: Mapping[str, Any]) -> None:
        """Add a group of parameters; hyper-parameters missing from it come from ``defaults``."""
        if not isinstance(param_group, Mapping) or "params" not in param_group:
            raise TypeError(
                "a parameter group must be a dict with a 'params' entry, got "
                f"{type(param_group).__name__}"
            )
        params = param_group["params"]
        if hasattr(params, "data") and hasattr(params, "grad"):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("parameters must be given in an ordered collection, not a set")
        params = list(params)
        for i, p in enumerate(params):
            if not (hasattr(p, "data") and hasattr(p, "grad")):
                raise TypeError(
                    f"parameter {i} of the group is a {type(p).__name__}: an optimizer needs "
                    "objects with .data and .grad (autograd.Value or autograd.Tensor)"
                )
            if not isinstance(p.data, np.ndarray | numbers.Real):
                raise TypeError(
                    f"parameter {i} has .data of type {type(p.data).__name__}: expected a "
                    "float (Value) or a numpy array (Tensor)"
                )
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        for i, p in enumerate(params):
            if id(p) in seen:
                raise ValueError(
                    f"parameter {i} ({_describe(p)}) appears more than once among the "
                    "optimizer's parameters: each parameter may be listed only once"
                )
            seen.add(id(p))
        group: ParamGroup = {k: v for k, v in param_group.items() if k != "params"}
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._check_group(group)
        group["params"] = params
        self.param_groups.append(group)
        self._groups.append(_GroupParams(params))

    # -- the step ------------------------------------------------------------

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Set a Value's grad to ``0.0``, an array's to ``None`` (zeros if not set_to_none)."""
        for gp in self._groups:
            for p in gp.scalars:
                p.grad = 0.0
            for p in gp.arrays:
                p.grad = None if set_to_none else np.zeros_like(p.data)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Update every parameter whose ``grad`` is not ``None``; return ``closure()`` if given.

        ``closure`` (optional) re-evaluates the model and returns the loss,
        as in PyTorch; it runs with gradient recording enabled.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group, gp in zip(self.param_groups, self._groups):
            if gp.scalars:
                self._step_scalars(group, gp)
            for i, p in enumerate(gp.arrays):
                self._step_array(group, gp, i, p)
        return loss

    def _fresh_state(self, group: ParamGroup, like: np.ndarray, block: bool) -> State:
        state: State = {}
        for name in self._state_keys(group):
            if name == "step":
                state[name] = np.zeros(like.shape) if block else 0.0
            else:
                state[name] = self._new_state(name, like, group)
        return state

    def _ensure_state(self, group: ParamGroup, state: State, like: np.ndarray, block: bool) -> None:
        """Add state entries a changed hyper-parameter now needs; drop ones it no longer does."""
        keys = self._state_keys(group)
        if len(keys) == len(state) and all(k in state for k in keys):
            return
        fresh = self._fresh_state(group, like, block)
        for name in list(state):
            if name not in fresh:
                del state[name]
        for name, value in fresh.items():
            state.setdefault(name, value)

    def _apply(self, x: np.ndarray, g: np.ndarray, state: State, group: ParamGroup) -> Any:
        if "step" in state:
            state["step"] = state["step"] + 1.0
        return self._update(x, g, state, group)

    def _step_scalars(self, group: ParamGroup, gp: _GroupParams) -> None:
        params = gp.scalars
        grads = [p.grad for p in params]
        # array("d", ...) converts in C and, unlike np.array, raises on None.
        x = np.frombuffer(array("d", [p.data for p in params]))
        try:
            g = np.frombuffer(array("d", grads))
            idx = None
        except TypeError:
            idx = np.array([j for j, v in enumerate(grads) if v is not None], dtype=np.intp)
            if idx.size == 0:
                return
            g = np.array([grads[j] for j in idx.tolist()], dtype=np.float64)
        if gp.scalar_state is None:
            gp.scalar_state = self._fresh_state(group, x, block=True)
        state = gp.scalar_state
        self._ensure_state(group, state, x, block=True)
        factor = self._decay_factor(group)
        if idx is None:
            delta = self._apply(x, g, state, group)
            new = (x * factor if factor != 1.0 else x) - delta
            for p, value in zip(params, new.tolist()):
                p.data = value
            return
        sub = {k: v[idx] for k, v in state.items()}
        xs = x[idx]
        delta = self._apply(xs, g, sub, group)
        for k, v in sub.items():
            state[k][idx] = v
        new = (xs * factor if factor != 1.0 else xs) - delta
        for j, value in zip(idx.tolist(), new.tolist()):
            params[j].data = value

    def _step_array(self, group: ParamGroup, gp: _GroupParams, i: int, p: Any) -> None:
        g = p.grad
        if g is None:
            return
        data = p.data
        g = _grad_like(g, data)
        state = gp.array_state[i]
        if state is None:
            state = gp.array_state[i] = self._fresh_state(group, data, block=False)
        self._ensure_state(group, state, data, block=False)
        factor = self._decay_factor(group)
        delta = self._apply(data, g, state, group)
        if factor != 1.0:
            p.data *= factor
        p.data -= delta

    # -- saving and loading --------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """A copy of the state and hyper-parameters, in PyTorch's layout (see the module doc)."""
        state: dict[int, State] = {}
        groups_out: list[dict[str, Any]] = []
        offset = 0
        for group, gp in zip(self.param_groups, self._groups):
            if gp.scalar_state:
                columns = {k: np.asarray(v).tolist() for k, v in gp.scalar_state.items()}
                for j, pos in enumerate(gp.scalar_pos):
                    state[offset + pos] = {k: col[j] for k, col in columns.items()}
            for pos, st in zip(gp.array_pos, gp.array_state):
                if st:
                    state[offset + pos] = {
                        k: (v.copy() if isinstance(v, np.ndarray) else float(v))
                        for k, v in st.items()
                    }
            out = copy.deepcopy({k: v for k, v in group.items() if k != "params"})
            out["params"] = list(range(offset, offset + len(group["params"])))
            groups_out.append(out)
            offset += len(group["params"])
        return {"state": dict(sorted(state.items())), "param_groups": groups_out}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore a ``state_dict()``; validated first, so a bad one raises and changes nothing.

        The saved groups must match this optimizer's groups in number and
        size, with the same hyper-parameter names; each saved state entry
        must have exactly the entries its group's settings need, shaped like
        its parameter. Indices may be ints or digit strings (as after JSON).

        Values are checked too: hyper-parameters as the constructor checks
        them (a nan, infinite or negative ``lr`` is refused); every state
        entry must hold finite real numbers (no nan/inf, no complex, no
        strings), and sums or averages of squares (Adam's ``exp_avg_sq``,
        Adagrad's ``sum``, RMSprop's ``square_avg``) must be ``>= 0``.
        A wrong type (``None``, a list) raises ``TypeError``, anything else
        ``ValueError``; either way the optimizer is unchanged.
        """
        saved_groups, saved_state = _split_state_dict(state_dict)
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"load_state_dict: the saved state has {len(saved_groups)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        new_groups = [
            self._load_group(i, s, g)
            for i, (s, g) in enumerate(zip(saved_groups, self.param_groups))
        ]
        where = self._index_map(saved_groups)
        per_group: list[dict[int, Mapping[str, Any]]] = [{} for _ in self.param_groups]
        for key, entry in saved_state.items():
            index = _as_index(key)
            if index not in where:
                raise ValueError(
                    f"load_state_dict: state entry {key!r} refers to no parameter "
                    f"(the saved groups list indices 0..{len(where) - 1})"
                )
            gi, pos = where[index]
            if not isinstance(entry, Mapping):
                raise ValueError(f"load_state_dict: state entry {key!r} must be a dict")
            per_group[gi][pos] = entry
        new_states = [
            self._load_states(group, gp, entries)
            for group, gp, entries in zip(new_groups, self._groups, per_group)
        ]
        # Everything is validated: commit.
        for group, new_group, gp, (scalar_state, array_state) in zip(
            self.param_groups, new_groups, self._groups, new_states
        ):
            group.clear()
            group.update(new_group)
            gp.scalar_state = scalar_state
            gp.array_state = array_state

    def _load_group(self, i: int, saved: Any, group: ParamGroup) -> ParamGroup:
        if not isinstance(saved, Mapping) or "params" not in saved:
            raise ValueError(
                f"load_state_dict: parameter group {i} must be a dict with 'params', "
                f"got {_kind(saved)}"
            )
        indices = saved["params"]
        if not isinstance(indices, list | tuple):
            raise ValueError(
                f"load_state_dict: 'params' of parameter group {i} must be a list of parameter "
                f"indices (ints such as [0, 1, 2]), got {_kind(indices)}"
            )
        for key in indices:
            _as_index(key)
        if len(indices) != len(group["params"]):
            raise ValueError(
                f"load_state_dict: saved parameter group {i} has {len(saved['params'])} "
                f"parameters, this optimizer's group {i} has {len(group['params'])}"
            )
        missing = sorted(set(group) - set(saved))
        unexpected = sorted(set(saved) - set(group))
        if missing or unexpected:
            raise ValueError(
                f"load_state_dict: parameter group {i} has different hyper-parameters: "
                f"missing {missing}, unexpected {unexpected}"
            )
        new = copy.deepcopy({k: v for k, v in saved.items() if k != "params"})
        if "betas" in new and isinstance(new["betas"], list):
            new["betas"] = tuple(new["betas"])
        try:
            self._check_group(new)
        except ValueError as err:
            raise ValueError(f"load_state_dict: parameter group {i}: {err}") from None
        new["params"] = group["params"]
        return new

    @staticmethod
    def _index_map(saved_groups: Any) -> dict[int, tuple[int, int]]:
        where: dict[int, tuple[int, int]] = {}
        for gi, saved in enumerate(saved_groups):
            for pos, key in enumerate(saved["params"]):
                index = _as_index(key)
                if index in where:
                    raise ValueError(f"load_state_dict: parameter index {index} appears twice")
                where[index] = (gi, pos)
        return where

    def _load_states(
        self, group: ParamGroup, gp: _GroupParams, entries: dict[int, Mapping[str, Any]]
    ) -> tuple[State | None, list[State | None]]:
        keys = self._state_keys(group)
        params = group["params"]

        def check_keys(pos: int, entry: Mapping[str, Any]) -> None:
            if set(entry) != set(keys):
                raise ValueError(
                    f"load_state_dict: the state of a parameter ({_describe(params[pos])}) has "
                    f"entries {sorted(entry)}, expected {sorted(keys)} for this optimizer's "
                    "settings"
                )

        for pos, entry in entries.items():
            check_keys(pos, entry)
        scalar_state = None
        present = [(j, pos) for j, pos in enumerate(gp.scalar_pos) if pos in entries]
        if present and keys:
            scalar_state = self._fresh_state(group, np.zeros(len(gp.scalars)), block=True)
            for j, pos in present:
                for name in keys:
                    value = entries[pos][name]
                    if isinstance(value, np.ndarray) and value.ndim == 0:
                        value = value.item()
                    if not is_real(value):
                        raise ValueError(
                            f"load_state_dict: state entry {name!r} of a Value parameter must "
                            f"be a real number, got {type(value).__name__} {value!r:.40}"
                        )
                    if name == "step":
                        _check_step(value)
                    self._check_state_values(name, np.array(float(value)))
                    scalar_state[name][j] = float(value)
        array_state: list[State | None] = []
        for p, pos in zip(gp.arrays, gp.array_pos):
            found = entries.get(pos)
            if found is None or not keys:
                array_state.append(None)
                continue
            state: State = {}
            for name in keys:
                value = found[name]
                if name == "step":
                    value = value.item() if isinstance(value, np.ndarray) else value
                    _check_step(value)
                    state[name] = float(value)
                    continue
                state[name] = self._state_array(name, value, p.data)
            array_state.append(state)
        return scalar_state, array_state

    def _state_array(self, name: str, value: Any, like: np.ndarray) -> np.ndarray:
        """A saved state entry of an array parameter as a checked copy of ``like``'s dtype."""
        try:
            arr = np.array(value)
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"load_state_dict: state entry {name!r} is not an array of numbers ({exc})"
            ) from None
        if arr.dtype.kind not in "iuf":
            what = "complex numbers" if arr.dtype.kind == "c" else f"dtype {arr.dtype}"
            raise ValueError(
                f"load_state_dict: state entry {name!r} holds {what}; it must hold real numbers"
            )
        if arr.shape != like.shape:
            raise ValueError(
                f"load_state_dict: state entry {name!r} has shape {arr.shape}, its "
                f"parameter has shape {like.shape}"
            )
        with np.errstate(over="ignore"):
            cast = arr.astype(like.dtype)
        self._check_state_values(name, cast)
        return cast

    def _check_state_values(self, name: str, values: np.ndarray) -> None:
        if not np.isfinite(values).all():
            raise ValueError(
                f"load_state_dict: state entry {name!r} holds nan or inf (or a number too large "
                "for the parameter's dtype); a usable optimizer state is finite"
            )
        if name in self._nonnegative_state and (values < 0).any():
            raise ValueError(
                f"load_state_dict: state entry {name!r} holds negative numbers; it is a sum or "
                "average of squares and must be >= 0"
            )

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            gp = self._groups[i]
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
            lines.append(
                f"    params: {len(group['params'])} ({len(gp.scalars)} scalar, "
                f"{len(gp.arrays)} array)"
            )
        lines.append(")")
        return "\n".join(lines)


def _grad_like(g: Any, data: np.ndarray) -> np.ndarray:
    """A parameter's gradient as an array of its dtype, refusing one of another shape."""
    if type(g) is np.ndarray and g.dtype == data.dtype and g.shape == data.shape:
        return g  # the usual case: what np.asarray returns for it, without the call
    g = np.asarray(g, dtype=data.dtype)
    if g.shape != data.shape:
        raise ValueError(
            f"a parameter of shape {data.shape} has a gradient of shape {g.shape}: "
            "they must match"
        )
    return g


def _split_state_dict(state_dict: Any) -> tuple[list[Any] | tuple[Any, ...], Mapping[Any, Any]]:
    """``(param_groups, state)`` of a state dict, after checking its outer structure."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            "load_state_dict expects the dict returned by state_dict(), with the keys "
            f"'state' and 'param_groups'; got {_kind(state_dict)}"
        )
    if set(state_dict) != {"state", "param_groups"}:
        raise ValueError(
            "load_state_dict expects a dict with exactly the keys 'state' and "
            f"'param_groups' (as returned by state_dict()), got {sorted(map(str, state_dict))}"
        )
    saved_groups = state_dict["param_groups"]
    saved_state = state_dict["state"]
    if not isinstance(saved_groups, list | tuple) or not isinstance(saved_state, Mapping):
        raise ValueError(
            "load_state_dict: 'param_groups' must be a list of dicts and 'state' a dict, "
            f"got {_kind(saved_groups)} and {_kind(saved_state)}"
        )
    return saved_groups, saved_state


def _as_index(key: Any) -> int:
    if isinstance(key, str) and key.isascii() and key.isdigit():
        return int(key)
    if isinstance(key, numbers.Integral) and not isinstance(key, bool) and int(key) >= 0:
        return int(key)
    raise ValueError(
        f"load_state_dict: parameter index {key!r:.40} is not an integer >= 0 "
        "(state_dict() numbers the parameters 0, 1, 2, ...)"
    )


def _kind(value: Any) -> str:
    """``None``, or the type name and a short repr, for error messages."""
    if value is None:
        return "None"
    return f"{type(value).__name__} {value!r:.40}"


def _check_step(value: Any) -> None:
    if not is_real(value) or not value >= 0 or not math.isfinite(value):
        raise ValueError(f"load_state_dict: 'step' must be a finite number >= 0, got {value!r}")
