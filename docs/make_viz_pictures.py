"""Make the README's viz pictures: the neuron graph, the collapsed MLP, the step-through page
(a screenshot from headless chromium) and the training GIF.

Run: ``python docs/make_viz_pictures.py`` (needs Graphviz; the screenshot also
needs Playwright and Debian's chromium, as the browser test does).
"""

from __future__ import annotations

import random
import sys
import tempfile
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

import nn  # noqa: E402
import optim  # noqa: E402
from autograd import Value  # noqa: E402
from viz import TrainingMovie, backprop_steps, draw_graph  # noqa: E402

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def neuron() -> Value:
    """tanh(x1·w1 + x2·w2 + b), micrograd's neuron example, after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + x2 * w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def lecture_chain() -> Value:
    """The lecture's chain: C = ½(σ(w'·ReLU(w·x + b) + b') − 1)²."""
    x, w, b = Value(1.5, label="x"), Value(0.8, label="w"), Value(0.1, label="b")
    w2, b2 = Value(-1.2, label="w'"), Value(0.3, label="b'")
    z = w * x + b
    z.label = "z"
    h = z.relu()
    h.label = "h"
    z2 = w2 * h + b2
    z2.label = "z'"
    y = z2.sigmoid()
    y.label = "y"
    C = 0.5 * (y - 1.0) ** 2
    C.label = "C"
    return C


def collapsed_mlp() -> None:
    from nn.scalar import MLP

    random.seed(1337)
    X, y = nn.make_moons(100, noise=0.1, seed=1)
    model = MLP(2, [16, 16, 1])
    scores = [model([Value(a), Value(b)]) for a, b in X]
    losses = [(1 + -(2 * yi - 1) * si).relu() for yi, si in zip(y, scores)]
    loss = sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())
    loss.label = "loss"
    loss.backward()
    draw_graph(loss, collapse="module", params=model).save(DOCS / "collapsed_mlp.png")


def steps_page_screenshot() -> None:
    from playwright.sync_api import sync_playwright

    steps = backprop_steps(lecture_chain())
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        page_path = Path(tmp) / "steps.html"
        steps.to_html(page_path, title="C = ½(σ(w'·ReLU(w·x + b) + b') − 1)², step by step")
        context = pw.chromium.launch_persistent_context(
            str(Path(tmp) / "profile"), executable_path="/usr/bin/chromium", headless=True,
            args=CHROMIUM_ARGS, viewport={"width": 900, "height": 1000},
        )
        page = context.new_page()
        page.goto(page_path.as_uri())
        for _ in range(4):
            page.keyboard.press("ArrowRight")
        page.screenshot(path=str(DOCS / "steps_page.png"), full_page=True)
        context.close()


def training_gif() -> None:
    X, y = nn.make_moons(200, noise=0.1, seed=0)
    model = nn.MLP([2, 16, 16, 2], seed=0)
    movie = TrainingMovie(lambda g: nn.predict(model, g), X, y, epochs=60, max_frames=30,
                          title="moons, MLP 2-16-16-2, Adam")
    movie.record(-1, [])
    nn.fit(model, nn.CrossEntropyLoss(), X, y, optim.Adam(model.parameters(), lr=0.01),
           epochs=60, batch_size=32, callbacks=[movie], progress=False)
    movie.save(DOCS / "training.gif", fps=5)


if __name__ == "__main__":
    draw_graph(neuron()).save(DOCS / "neuron_graph.png")
    collapsed_mlp()
    training_gif()
    steps_page_screenshot()
    for name in ("neuron_graph.png", "collapsed_mlp.png", "training.gif", "steps_page.png"):
        print(f"{name}: {(DOCS / name).stat().st_size / 1024:.0f} KiB")
