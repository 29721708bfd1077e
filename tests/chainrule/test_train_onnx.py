"""``chainrule train --onnx``: model.onnx beside model.npz, or one error line before training."""

from __future__ import annotations

import json

import numpy as np
import pytest
from chainrule_helpers import files_under, not_installed, run_cli


def test_onnx_writes_model_onnx_beside_model_npz(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    result = run_cli("train", "moons", "--samples", "100", "--epochs", "20", "--onnx",
                     "--out", "run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    run = tmp_path / "run"
    assert sorted(p.name for p in run.iterdir()) == [
        "decision_boundary.png", "loss.png", "metrics.json", "model.npz", "model.onnx",
    ]
    assert "model.onnx" in result.stdout
    import nn

    metrics = json.loads((run / "metrics.json").read_text())
    model = nn.MLP(metrics["layer_sizes"], activation=metrics["activation"]).load(run / "model.npz")
    X, _ = nn.make_moons(100, noise=0.1, seed=0)
    session = ort.InferenceSession(str(run / "model.onnx"))
    for rows in (X[:1], X):  # any batch size
        (logits,) = session.run(None, {"input": rows})
        assert np.allclose(logits, nn.predict(model, rows), rtol=1e-10, atol=1e-12)


def test_onnx_without_the_package_fails_before_training(tmp_path):
    fake = not_installed(tmp_path / "fake", "onnx")
    work = tmp_path / "work"
    work.mkdir()
    result = run_cli("train", "moons", "--onnx", "--out", "run", cwd=work, path_first=fake)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chainrule: error: --onnx")
    assert "pip install 'chainrule[onnx]'" in lines[0]
    assert result.stdout == ""  # no training started
    assert files_under(work) == set()  # nothing written


def test_onnx_needs_the_tensor_engine(tmp_path):
    result = run_cli("train", "moons", "--engine", "value", "--onnx", "--out", "run", cwd=tmp_path)
    assert result.returncode == 2
    assert "--onnx needs --engine tensor" in result.stderr
    assert not (tmp_path / "run").exists()


def test_a_failed_export_writes_nothing(tmp_path, monkeypatch):
    pytest.importorskip("onnx")
    import nn
    from chainrule.main import main

    def broken(self, path, example):
        raise RuntimeError("export failed")

    monkeypatch.setattr(nn.Module, "to_onnx", broken)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="export failed"):
        main(["train", "moons", "--samples", "60", "--epochs", "2", "--onnx", "--progress", "off",
              "--out", str(out)])
    assert not out.exists()
