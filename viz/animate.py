"""Training you can watch: the decision boundary and the loss curve, epoch by epoch, as a GIF.

::

    movie = viz.TrainingMovie(lambda grid: nn.predict(model, grid), X, y, epochs=100)
    movie.record(-1, [])                       # the untrained model (optional)
    nn.fit(model, loss_fn, X, y, optimizer, epochs=100, callbacks=[movie])
    movie.save("training.gif")

A :class:`TrainingMovie` is an ``nn.fit`` callback: after the epochs it is
asked to keep (at most ``max_frames``, spread evenly) it evaluates the
classifier on a grid and stores the classes (a small integer array) with the
loss history so far. ``save`` draws one frame per stored epoch with
matplotlib and writes them with Pillow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .plots import class_grid

__all__ = ["TrainingMovie"]


@dataclass(frozen=True)
class _Frame:
    epoch: int  # -1: before training
    classes: np.ndarray
    loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    accuracy: float | None


class TrainingMovie:
    """Collects the decision boundary and losses during ``nn.fit`` and writes an animated GIF.

    ``predict`` maps an ``(M, 2)`` array to scores (one per point: class =
    score > ``threshold``; or one row per point: argmax), e.g.
    ``lambda g: nn.predict(model, g)``. ``epochs`` (the number ``fit`` will
    run) spreads at most ``max_frames`` frames evenly over training, the last
    epoch always included; without it every epoch is kept, up to
    ``max_frames``. ``resolution`` is the grid size per side (a scalar
    ``Value`` model runs one forward pass per grid point: keep it near 40).
    """

    def __init__(
        self,
        predict: Callable[[np.ndarray], Any],
        X: Any,
        y: Any,
        *,
        epochs: int | None = None,
        max_frames: int = 40,
        resolution: int = 80,
        margin: float = 0.5,
        threshold: float = 0.0,
        title: str = "",
    ) -> None:
        X = np.asarray(X, dtype=float)
        y = np.asarray(y).ravel()
        if X.ndim != 2 or X.shape[1] != 2:
            raise ValueError(
                f"a training movie needs 2-D data (the decision boundary is drawn in the "
                f"plane), got X of shape {X.shape}"
            )
        if len(y) != len(X):
            raise ValueError(f"X has {len(X)} points but y has {len(y)} labels")
        for name, value in (("max_frames", max_frames), ("resolution", resolution)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 2:
                raise ValueError(f"{name} must be an int >= 2, got {value!r}")
        if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int)
                                   or epochs < 1):
            raise ValueError(f"epochs must be a positive int or None, got {epochs!r}")
        self.predict, self.X, self.y = predict, X, y
        self.epochs, self.max_frames = epochs, max_frames
        self.every = 1 if epochs is None else max(1, math.ceil(epochs / max_frames))
        self.resolution, self.margin, self.threshold = resolution, margin, threshold
        self.title = title
        self.frames: list[_Frame] = []

    def wants(self, epoch: int) -> bool:
        """Whether the frame after ``epoch`` (0-based) is kept."""
        if len(self.frames) >= self.max_frames + 1:  # + the optional "before training"
            return False
        last = self.epochs is not None and epoch == self.epochs - 1
        return last or (epoch + 1) % self.every == 0

    def record(
        self,
        epoch: int,
        loss: Sequence[float],
        val_loss: Sequence[float] = (),
        accuracy: float | None = None,
    ) -> None:
        """Store a frame now: the classifier's classes on the grid and the losses so far."""
        _, _, classes = class_grid(
            self.predict, self.X, self.y, resolution=self.resolution, margin=self.margin,
            threshold=self.threshold,
        )
        self.frames.append(
            _Frame(epoch, classes.astype(np.int16), tuple(map(float, loss)),
                   tuple(map(float, val_loss)), accuracy)
        )

    def __call__(self, epoch: int, history: Any) -> None:
        """The ``nn.fit`` callback: ``cb(epoch, history)`` after every epoch."""
        if self.wants(epoch):
            accuracy = history.accuracy[-1] if getattr(history, "accuracy", None) else None
            self.record(epoch, history.loss, getattr(history, "val_loss", ()), accuracy)

    def save(self, path: str | Path, *, fps: float = 6.0, dpi: int = 72) -> Path:
        """Write the frames as an animated GIF (looping; the last frame held a little longer)."""
        if not self.frames:
            raise ValueError(
                "the movie has no frames: pass it to nn.fit(..., callbacks=[movie]) or call "
                "movie.record(epoch, losses) before save()"
            )
        if not (isinstance(fps, int | float) and 0 < fps <= 50):
            raise ValueError(f"fps must be a number in (0, 50], got {fps!r}")
        from matplotlib.animation import FuncAnimation, PillowWriter

        class GifWriter(PillowWriter):
            """PillowWriter that writes GIF whatever the file's name (a temporary file's too)."""

            def finish(self) -> None:
                frames = self._frames  # type: ignore[attr-defined]  # PillowWriter's own list
                frames[0].save(
                    self.outfile, format="GIF", save_all=True, append_images=frames[1:],
                    duration=int(1000 / self.fps), loop=0,
                )

        fig, draw = self._figure(dpi)
        order = list(range(len(self.frames))) + [len(self.frames) - 1] * int(fps)
        animation = FuncAnimation(fig, lambda k: draw(order[k]), frames=len(order), blit=False)
        path = Path(path)
        # matplotlib's stubs say int; PillowWriter uses 1000 / fps ms per frame, so 2.5 works.
        writer = GifWriter(fps=fps)  # type: ignore[arg-type]
        animation.save(str(path), writer=writer, dpi=dpi)
        return path

    def _figure(self, dpi: int) -> tuple[Any, Callable[[int], list]]:
        """The two-panel figure and a function that draws frame ``k`` into it."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=(8.0, 3.6), dpi=dpi, layout="constrained")
        ax_b, ax_l = fig.subplots(1, 2, width_ratios=[1.1, 1.0])
        G0, G1, _ = class_grid(lambda g: np.zeros(len(g)), self.X, self.y,
                               resolution=self.resolution, margin=self.margin)
        extent = (G0[0, 0], G0[0, -1], G1[0, 0], G1[-1, 0])
        n_classes = max(int(self.y.max()) + 1, 2) if self.y.size else 2
        image = ax_b.imshow(self.frames[0].classes, origin="lower", extent=extent, aspect="auto",
                            cmap="coolwarm", alpha=0.35, vmin=0, vmax=n_classes - 1,
                            interpolation="nearest")
        ax_b.scatter(self.X[:, 0], self.X[:, 1], c=self.y, cmap="coolwarm", s=14,
                     edgecolors="k", linewidths=0.4, vmin=0, vmax=n_classes - 1)
        ax_b.set_xlabel("x₁")
        ax_b.set_ylabel("x₂")
        epochs = max(len(f.loss) for f in self.frames)
        losses = [v for f in self.frames for v in (*f.loss, *f.val_loss) if math.isfinite(v)]
        ax_l.set_xlim(0, max(epochs, 1))
        if losses:
            positive = min(losses) > 0
            ax_l.set_yscale("log" if positive else "linear")
            low, high = min(losses), max(losses)
            ax_l.set_ylim(low / 1.3 if positive else low - 0.05, high * 1.3 if positive else high)
        (train_line,) = ax_l.plot([], [], color="C0", label="train loss")
        (val_line,) = ax_l.plot([], [], color="C1", label="test loss")
        ax_l.set_xlabel("epoch")
        ax_l.set_ylabel("loss")
        ax_l.legend(loc="upper right")
        ax_l.grid(alpha=0.3)
        heading = fig.suptitle("")
        contour: list[Any] = []
        # Lay the figure out once, then freeze it: re-running the layout engine for
        # every frame (twice, as savefig draws) cost ten times the drawing itself.
        heading.set_text("epoch 0000, train accuracy 100%")
        fig.canvas.draw()
        fig.set_layout_engine("none")

        def draw(k: int) -> list:
            frame = self.frames[k]
            image.set_data(frame.classes)
            for c in contour:
                c.remove()
            contour.clear()
            if frame.classes.min() != frame.classes.max():
                contour.append(ax_b.contour(G0, G1, frame.classes, colors="k", linewidths=0.8,
                                            levels=np.arange(n_classes - 1) + 0.5))
            xs = np.arange(1, len(frame.loss) + 1)
            train_line.set_data(xs, frame.loss)
            val_line.set_data(np.arange(1, len(frame.val_loss) + 1), frame.val_loss)
            when = "before training" if frame.epoch < 0 else f"epoch {frame.epoch + 1}"
            acc = "" if frame.accuracy is None else f", train accuracy {100 * frame.accuracy:.0f}%"
            heading.set_text(f"{self.title}  {when}{acc}".strip())
            return [image, train_line, val_line, heading]

        return fig, draw
