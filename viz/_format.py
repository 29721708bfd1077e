"""Escaping and number formatting shared by the DOT builders.

Every piece of user text (labels, op names, scope names) reaches the DOT
source through :func:`html_text` (inside HTML-like labels) or :func:`quoted`
(inside ``"..."`` attributes). Nothing else is interpolated raw, so a label
such as ``"]; evil [label="x`` or ``<b>&</b>`` is drawn literally and cannot
change the graph.
"""

from __future__ import annotations

import html
import math
import re
from typing import Any

import numpy as np

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Fill colours by role (pastel, readable with black text).
ROLE_COLOURS = {
    "input": "#dbeafe",  # light blue
    "parameter": "#dcfce7",  # light green
    "output": "#fde68a",  # amber
    "intermediate": "#ffffff",
    "group": "#f3f4f6",
}
ROLE_BORDERS = {
    "input": "#2563eb",
    "parameter": "#16a34a",
    "output": "#b45309",
    "intermediate": "#6b7280",
    "group": "#374151",
}
HIGHLIGHT = "#dc2626"  # the node/edges of the current backprop step


def html_text(text: Any) -> str:
    """Escape ``text`` for an HTML-like Graphviz label; newlines become ``<br/>``."""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    s = _CONTROL.sub("\ufffd", s)
    s = html.escape(s, quote=True)
    return s.replace("\n", "<br/>")


def quoted(text: Any) -> str:
    """Return ``text`` as a DOT double-quoted string (``\\``, ``"`` and newlines escaped)."""
    s = str(text).replace("\r\n", "\n").replace("\r", "\n")
    s = _CONTROL.sub("\ufffd", s)
    s = s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{s}"'


def fmt(x: Any) -> str:
    """Format a number for a node: 4 decimals in [1e-3, 1e5), else 3-digit scientific."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if a == 0.0:
        return "0.0000"  # also for -0.0
    if 1e-3 <= a < 1e5:
        return f"{x:.4f}"
    return f"{x:.3e}"


def is_tensor_node(node: Any) -> bool:
    """True for array-valued nodes (``Tensor``), false for scalar ``Value`` nodes."""
    return isinstance(getattr(node, "data", None), np.ndarray)


def shape_text(shape: tuple[int, ...]) -> str:
    """``(3, 4)`` for a shape; ``()`` for a 0-d array."""
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def array_summary(a: np.ndarray) -> str:
    """Short description of an array: its values when ≤ 4 elements, else mean/std/min/max."""
    a = np.asarray(a)
    if a.size == 0:
        return "empty"
    if a.size <= 4:
        return "[" + ", ".join(fmt(v) for v in a.ravel()) + "]"
    with np.errstate(all="ignore"):
        af = a.astype(np.float64, copy=False)
        return f"μ {fmt(af.mean())}  σ {fmt(af.std())}<br/>min {fmt(af.min())}  max {fmt(af.max())}"


def grad_colour(value: float, scale: float) -> str:
    """Diverging fill: red for positive, blue for negative, stronger as ``|value|/scale`` grows."""
    if scale <= 0 or not math.isfinite(value) or value == 0:
        return "#ffffff"
    t = min(1.0, abs(value) / scale) ** 0.5
    if value > 0:
        r, g, b = 255, int(255 - 150 * t), int(255 - 150 * t)
    else:
        r, g, b = int(255 - 150 * t), int(255 - 110 * t), 255
    return f"#{r:02x}{g:02x}{b:02x}"


def number_text(x: Any) -> str:
    """A Python number as written in code: ``0.5``, ``2``, ``1e-04``, ``True``."""
    if isinstance(x, bool | int | np.integer):
        return str(x)
    if isinstance(x, float | np.floating):
        return f"{float(x):.4g}"
    return str(x)


def constant_text(value: Any) -> str:
    """What a constant operand's box says: its label and shape, its shape, or its value."""
    label = getattr(value, "label", "") or ""
    data = getattr(value, "data", value)
    if isinstance(data, np.ndarray) or hasattr(value, "shape"):
        arr = np.asarray(data)
        if arr.ndim == 0:
            text = number_text(arr.item())
        elif arr.size <= 4 and not label:
            text = "[" + ", ".join(number_text(v) for v in arr.ravel()) + "]"
        else:
            text = shape_text(arr.shape)
        return f"{label} {text}" if label else text
    if isinstance(data, int | float | complex | np.number):
        return f"{label} {number_text(data)}" if label else number_text(data)
    text = type(value).__name__
    return f"{label} {text}" if label else text


# Average glyph widths of Helvetica in points per point of font size (digits are 0.556 em).
_CHAR_EM = 0.56


def text_width(text: str, size: float = 11.0, bold: bool = False) -> float:
    """Rough width in points of ``text`` set in Helvetica at ``size`` (for layout choices)."""
    return len(text) * size * (_CHAR_EM + (0.05 if bold else 0.0))
