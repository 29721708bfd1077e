"""TrainingMovie: frames chosen over the epochs, the decision boundary per frame, the GIF."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

import nn
import optim
from viz import TrainingMovie


class History:
    def __init__(self) -> None:
        self.loss: list[float] = []
        self.val_loss: list[float] = []
        self.accuracy: list[float] = []


def blobs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(-1, 0.3, (20, 2)), rng.normal(1, 0.3, (20, 2))]
    return X, np.r_[np.zeros(20), np.ones(20)].astype(int)


def test_frames_are_spread_over_the_epochs_and_hold_the_boundary(tmp_path):
    X, y = blobs()
    shift = {"b": -3.0}
    movie = TrainingMovie(lambda g: g[:, 0] + shift["b"], X, y, epochs=20, max_frames=5,
                          resolution=10)
    history = History()
    for epoch in range(20):
        history.loss.append(1.0 / (epoch + 1))
        history.accuracy.append(0.5)
        shift["b"] += 0.15  # the boundary x0 = -b moves left
        movie(epoch, history)
    assert [f.epoch for f in movie.frames] == [3, 7, 11, 15, 19]
    assert [len(f.loss) for f in movie.frames] == [4, 8, 12, 16, 20]
    # The share of grid points on the positive side grows as the boundary moves left.
    shares = [f.classes.mean() for f in movie.frames]
    assert shares == sorted(shares) and shares[0] < shares[-1]
    path = movie.save(tmp_path / "m.gif", fps=4)
    with Image.open(path) as gif:
        assert gif.n_frames == 5
        assert gif.info.get("loop") == 0
        gif.seek(3)
        step = gif.info["duration"]
        gif.seek(4)
        assert gif.info["duration"] >= 4 * step  # the last frame is held for a second


def test_without_epochs_every_epoch_up_to_max_frames():
    X, y = blobs()
    movie = TrainingMovie(lambda g: g[:, 0], X, y, max_frames=3, resolution=5)
    history = History()
    for epoch in range(10):
        history.loss.append(1.0)
        movie(epoch, history)
    assert [f.epoch for f in movie.frames] == [0, 1, 2, 3]


def test_with_nn_fit_and_a_multiclass_model(tmp_path):
    X, y = nn.make_blobs(90, centers=3, seed=0)
    model = nn.MLP([2, 8, 3], seed=0)
    movie = TrainingMovie(lambda g: nn.predict(model, g), X, y, epochs=4, resolution=20)
    movie.record(-1, [])
    nn.fit(model, nn.CrossEntropyLoss(), X, y, optim.Adam(model.parameters(), lr=0.05),
           epochs=4, callbacks=[movie], progress=False)
    assert [f.epoch for f in movie.frames] == [-1, 0, 1, 2, 3]
    assert set(np.unique(movie.frames[-1].classes)) <= {0, 1, 2}
    assert movie.frames[-1].accuracy is not None
    with Image.open(movie.save(tmp_path / "blobs.gif")) as gif:
        assert gif.n_frames >= 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"X": np.zeros((5, 3))}, "2-D data"),
        ({"y": np.zeros(4)}, "labels"),
        ({"max_frames": 1}, "max_frames"),
        ({"resolution": 1.5}, "resolution"),
        ({"epochs": 0}, "epochs"),
    ],
)
def test_bad_arguments(kwargs, message):
    X, y = blobs()
    args = {"X": X, "y": y, **kwargs}
    with pytest.raises(ValueError, match=message):
        TrainingMovie(lambda g: g[:, 0], args.pop("X"), args.pop("y"), **args)


def test_save_needs_frames_and_a_sane_fps(tmp_path):
    X, y = blobs()
    movie = TrainingMovie(lambda g: g[:, 0], X, y, resolution=5)
    with pytest.raises(ValueError, match="no frames"):
        movie.save(tmp_path / "m.gif")
    movie.record(0, [1.0])
    with pytest.raises(ValueError, match="fps"):
        movie.save(tmp_path / "m.gif", fps=0)


def test_a_fractional_frame_rate_sets_the_frame_duration(tmp_path):
    X, y = blobs()
    movie = TrainingMovie(lambda g: g[:, 0], X, y, max_frames=3, resolution=5)
    history = History()
    for epoch in range(3):
        history.loss.append(1.0)
        movie(epoch, history)
    with Image.open(movie.save(tmp_path / "slow.gif", fps=2.5)) as gif:
        assert gif.info["duration"] == 400  # ms: 1000 / 2.5
