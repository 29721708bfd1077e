"""The ``chainrule`` console script end to end: each subcommand in a subprocess, and its files."""

from __future__ import annotations

import json
import math
import re
import shutil

import numpy as np
import pytest
from chainrule_helpers import run_cli

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TANH_ARGS = ("tanh(x*w + b)", "--set", "x=2", "--set", "w=-3", "--set", "b=6.88")


def _tanh_grads() -> dict[str, float]:
    """∂/∂x, ∂/∂w, ∂/∂b of tanh(x·w + b) at x = 2, w = −3, b = 6.88, by hand."""
    x, w, b = 2.0, -3.0, 6.88
    dt = 1.0 - math.tanh(x * w + b) ** 2
    return {"x": dt * w, "w": dt * x, "b": dt}


def test_help_lists_the_four_subcommands(tmp_path):
    result = run_cli("--help", cwd=tmp_path)
    assert result.returncode == 0
    for command in ("train", "graph", "steps", "optimizers"):
        assert command in result.stdout


def test_train_moons_writes_loss_boundary_metrics_and_model(tmp_path):
    result = run_cli(
        "train", "moons", "--samples", "100", "--epochs", "40", "--out", "run", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == [
        "decision_boundary.png", "loss.png", "metrics.json", "model.npz",
    ]
    for png in ("loss.png", "decision_boundary.png"):
        assert (run / png).read_bytes().startswith(PNG_MAGIC)
    metrics = json.loads((run / "metrics.json").read_text())
    for key in ("final_loss", "train_accuracy", "test_accuracy", "epochs", "seconds", "args"):
        assert key in metrics
    assert metrics["epochs"] == 40
    assert metrics["args"]["dataset"] == "moons"
    assert metrics["layer_sizes"] == [2, 16, 16, 2]
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert f"{100 * metrics['test_accuracy']:.1f}%" in result.stdout
    # The model file holds plain arrays only, and rebuilds itself from the file alone.
    with np.load(run / "model.npz", allow_pickle=False) as archive:
        assert archive["layers.0.weight"].shape == (2, 16)
    import nn

    model = nn.load(run / "model.npz")
    assert isinstance(model, nn.MLP) and model.sizes == metrics["layer_sizes"]
    X, y = nn.make_moons(100, noise=0.1, seed=0)
    assert nn.accuracy(nn.predict(model, X), y) >= 0.8


def _split_like_the_command(dataset_seed: int = 0):
    import nn

    X, y = nn.make_moons(200, noise=0.1, seed=dataset_seed)
    return nn.train_test_split(X, y, test_size=0.25, seed=dataset_seed, stratify=True)


@pytest.mark.parametrize(
    ("args", "min_accuracy"),
    [(("--activation", "tanh", "--epochs", "60"), 0.95),
     (("--engine", "value", "--epochs", "10", "--hidden", "8", "--batch-size", "16"), 0.8)],
    ids=["tanh", "value-engine"],
)
def test_a_trained_model_reloads_from_its_file_alone(tmp_path, args, min_accuracy):
    # The README's old recipe, nn.MLP(metrics["layer_sizes"]).load(...), rebuilt a tanh
    # model as ReLU (test accuracy 0.5 instead of 1.0) and failed for --engine value.
    result = run_cli("train", "moons", *args, "--out", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "run/metrics.json").read_text())
    import nn

    model = nn.load(tmp_path / "run/model.npz")
    expected_type = nn.scalar.MLP if metrics["engine"] == "value" else nn.MLP
    assert type(model) is expected_type
    _, X_test, _, y_test = _split_like_the_command()
    assert nn.accuracy(nn.predict(model, X_test), y_test) == metrics["test_accuracy"]
    assert metrics["test_accuracy"] >= min_accuracy
    with pytest.raises(ValueError, match="different architecture"):
        nn.MLP(metrics["layer_sizes"]).load(tmp_path / "run/model.npz")


def test_train_moons_defaults_reach_95_percent(tmp_path):
    result = run_cli("train", "moons", "--out", "runs/moons", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "runs/moons/metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.95
    assert metrics["optimizer"] == "adam" and metrics["engine"] == "tensor"


def test_train_value_engine_uses_scalar_mlp_and_bce(tmp_path):
    result = run_cli(
        "train", "xor", "--engine", "value", "--samples", "40", "--epochs", "3",
        "--hidden", "4", "--optimizer", "momentum", "--batch-size", "full", "--out", "v",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    metrics = json.loads((tmp_path / "v/metrics.json").read_text())
    assert metrics["engine"] == "value"
    assert metrics["layer_sizes"] == [2, 4, 1]
    assert metrics["loss"] == "bce_with_logits"
    assert metrics["batch_size"] == "full"
    assert len(metrics["loss_history"]) == 3
    import nn

    model = nn.load(tmp_path / "v/model.npz")
    assert len(model.parameters()) == 4 * (2 + 1) + (4 + 1)  # 4 hidden neurons, 1 output


def test_train_digits_has_no_decision_boundary(tmp_path):
    pytest.importorskip("sklearn")  # the digits ship with scikit-learn
    result = run_cli(
        "train", "digits", "--epochs", "2", "--hidden", "32", "--batch-size", "64", "--out", "d",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in (tmp_path / "d").iterdir())
    assert names == ["loss.png", "metrics.json", "model.npz"]
    metrics = json.loads((tmp_path / "d/metrics.json").read_text())
    assert metrics["layer_sizes"] == [64, 32, 10]


def test_graph_dot_shows_labels_data_and_gradients(tmp_path):
    result = run_cli("graph", *TANH_ARGS, "--out", "g.dot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    dot = (tmp_path / "g.dot").read_text()
    assert dot.startswith("digraph")
    for label in ("<b>x</b>", "<b>w</b>", "<b>b</b>", "<b>f</b>", "tanh"):
        assert label in dot
    grads = _tanh_grads()
    for text in ("data 2.0000", "data -3.0000", "data 6.8800"):
        assert text in dot
    for g in grads.values():
        assert f"grad {g:.4f}" in dot
    assert f"∂f/∂x = {grads['x']:.6g}" in result.stdout


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
@pytest.mark.parametrize(
    ("suffix", "magic"), [(".svg", b"<"), (".png", PNG_MAGIC), (".pdf", b"%PDF")]
)
def test_graph_renders_with_graphviz(tmp_path, suffix, magic):
    result = run_cli("graph", *TANH_ARGS, "--out", f"g{suffix}", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    data = (tmp_path / f"g{suffix}").read_bytes()
    assert data.startswith(magic)
    if suffix == ".svg":
        assert b"<svg" in data and b"tanh" in data


def test_steps_prints_table_and_chain_rule_products(tmp_path):
    result = run_cli("steps", *TANH_ARGS, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    grads = _tanh_grads()
    dt = grads["b"]
    assert "upstream ∂f/∂node" in out and "local ∂node/∂parent" in out
    # The chain of local derivatives for x, with its numbers and product.
    chain = next(line for line in out.splitlines() if line.startswith("∂f/∂x = ∂f/∂"))
    assert chain.endswith(f"= {dt:.4f} · 1.0000 · -3.0000 = {grads['x']:.4f}")
    for name, g in grads.items():
        assert f"∂f/∂{name} = {g:.6g}  (the engine's {name}.grad)" in out
    # Unlabelled nodes get viz's names (v<index>); the legend says what each one computes.
    assert re.search(r"^where v\d+ = x \* w \+ b, v\d+ = x \* w$", out, re.MULTILINE)
    # One table row per edge: tanh's contribution 1 · tanh'(0.88).
    assert f"1 · {dt:.6g} = {dt:.6g}" in out


def test_steps_sums_over_paths_for_a_reused_variable(tmp_path):
    result = run_cli("steps", "x*x + 3*x", "--set", "x=2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "sum over 3 paths = 7.0000" in result.stdout
    assert "∂f/∂x = 7  (the engine's x.grad)" in result.stdout


def test_expression_starting_with_minus_after_double_dash(tmp_path):
    result = run_cli("steps", "--set", "x=3", "--", "-x*2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "∂f/∂x = -2  (the engine's x.grad)" in result.stdout


def test_unused_set_is_a_warning_not_an_error(tmp_path):
    result = run_cli("steps", "x*2", "--set", "x=1", "--set", "y=5", cwd=tmp_path)
    assert result.returncode == 0
    assert "warning: --set y not used" in result.stderr


def test_optimizers_writes_a_png_and_reports_each_optimizer(tmp_path):
    result = run_cli(
        "optimizers", "--surface", "beale", "--steps", "50", "--out", "paths.png", cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "paths.png").read_bytes().startswith(PNG_MAGIC)
    for name in ("sgd", "momentum", "adagrad", "rmsprop", "adam"):
        assert name in result.stdout


def test_optimizers_svg_with_a_subset_and_a_start(tmp_path):
    result = run_cli(
        "optimizers", "--surface", "camel", "--optimizers", "sgd,adam", "--steps", "20",
        "--start=-1.5,-0.8", "--out", "camel.svg", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert b"<svg" in (tmp_path / "camel.svg").read_bytes()
    assert "momentum" not in result.stdout
