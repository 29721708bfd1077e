"""The README's Newton's-method example: second derivatives from the engine beat plain GD."""

from __future__ import annotations

import numpy as np

from autograd import grad, hessian


def rosenbrock(x, y):
    return (1 - x) ** 2 + 100 * (y - x**2) ** 2


def newton(f, start, steps):
    """x ← x − H(x)⁻¹ ∇f(x), with ∇f and H from autograd."""
    p = np.array(start, dtype=float)
    path = [p.copy()]
    for _ in range(steps):
        g = np.array(grad(f, argnums=(0, 1))(*p))
        H = np.array(hessian(f, argnums=(0, 1))(*p))
        p = p - np.linalg.solve(H, g)
        path.append(p.copy())
    return np.array(path)


def gradient_descent(f, start, steps, lr):
    p = np.array(start, dtype=float)
    path = [p.copy()]
    for _ in range(steps):
        p = p - lr * np.array(grad(f, argnums=(0, 1))(*p))
        path.append(p.copy())
    return np.array(path)


def test_newton_reaches_the_rosenbrock_minimum_where_gradient_descent_crawls():
    newton_path = newton(rosenbrock, (-1.2, 1.0), 8)
    gd_path = gradient_descent(rosenbrock, (-1.2, 1.0), 200, lr=1e-3)
    assert np.allclose(newton_path[-1], [1.0, 1.0], atol=1e-10)
    assert np.linalg.norm(gd_path[-1] - [1.0, 1.0]) > 0.5
    assert rosenbrock(*newton_path[-1]) < 1e-20 < rosenbrock(*gd_path[-1])


def test_newton_solves_a_quadratic_in_one_step():
    f = lambda x, y: 3 * (x - 1) ** 2 + (x - 1) * (y + 2) + 2 * (y + 2) ** 2  # noqa: E731
    np.testing.assert_allclose(newton(f, (5.0, 7.0), 1)[-1], [1.0, -2.0], atol=1e-12)
