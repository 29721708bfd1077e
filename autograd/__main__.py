"""``python -m autograd``: say which engine runs, then print micrograd's README example."""

from __future__ import annotations

from autograd import Value, _backend


def main() -> None:
    """Print the active engine, then run the example and print each value with its gradient."""
    if _backend.ENGINE == "native":
        print(f"engine: native C extension ({_backend.REASON})")
    else:
        print(f"engine: pure Python, the reference implementation ({_backend.REASON})")
    a = Value(-4.0, label="a")
    b = Value(2.0, label="b")
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()
    print("micrograd's README expression, on chainrule's engine:")
    print(f"  g      = {g.data:.4f}   (micrograd: 24.7041)")
    print(f"  dg/da  = {a.grad:.4f}  (micrograd: 138.8338)")
    print(f"  dg/db  = {b.grad:.4f}  (micrograd: 645.5773)")
    x = Value(0.5, label="x")
    w = Value(-1.5, label="w")
    y = (x * w + 1.0).tanh()
    y.backward()
    print("one neuron y = tanh(w·x + 1):")
    print(f"  y = {y.data:.6f}, dy/dx = {x.grad:.6f}, dy/dw = {w.grad:.6f}")


if __name__ == "__main__":
    main()
