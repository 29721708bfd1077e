"""Which engine runs: the native extension (``autograd._native``) or the pure-Python reference.

``pip install -e .`` compiles the extension where a C compiler exists; the
engine then uses it for Value node storage, the Value ops and the backward
walk. Where it is missing, or with ``CHAINRULE_NO_EXTENSION=1`` in the
environment when ``autograd`` is first imported, everything runs in Python:
the readable reference, with the same results bit for bit. ``python -m
autograd`` says which one is active.
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

__all__ = ["DISABLE_VARIABLE", "ENGINE", "QUIET", "REASON", "native"]

DISABLE_VARIABLE = "CHAINRULE_NO_EXTENSION"
ABI_VERSION = 1  # must equal ABI_VERSION in autograd/_native.c


def _load() -> tuple[ModuleType | None, str]:
    setting = os.environ.get(DISABLE_VARIABLE, "")
    if setting not in ("", "0"):
        return None, f"{DISABLE_VARIABLE}={setting} is set"
    if importlib.util.find_spec(f"{__package__}._native") is None:
        return None, "the C extension is not built (pip install -e . builds it with a C compiler)"
    try:
        from . import _native  # type: ignore[attr-defined]
    except ImportError as error:
        return None, f"the C extension does not load: {error}"
    if getattr(_native, "ABI_VERSION", None) != ABI_VERSION:
        warnings.warn(
            "autograd: the built C extension does not match this source tree (rebuild it with "
            "pip install -e .); using the pure-Python engine",
            RuntimeWarning,
            stacklevel=2,
        )
        return None, "the C extension is out of date"
    return _native, "autograd._native is built and enabled"


def _numpy_quiet_state() -> tuple[Any, Any] | None:
    """numpy's error-state context variable and its value under ``errstate(all="ignore")``."""
    import numpy as np

    try:
        from numpy._core import _ufunc_config
    except ImportError:  # numpy 1 keeps the error state elsewhere: np.errstate it is
        return None
    var = getattr(_ufunc_config, "_extobj_contextvar", None)
    if var is None:
        return None
    with np.errstate(all="ignore"):
        return var, var.get()


native, REASON = _load()
ENGINE = "native" if native is not None else "python"

# QUIET(f, *args) is f(*args) inside np.errstate(all="ignore"), in C (setting numpy's
# context variable directly costs a tenth of np.errstate); None where unavailable.
QUIET: Callable[..., Any] | None = None
if native is not None:
    _state = _numpy_quiet_state()
    if _state is not None:
        native.set_quiet(*_state)
        QUIET = native.quiet
