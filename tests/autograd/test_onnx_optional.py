"""The ONNX export is optional: autograd and nn import without onnx; export says how to install it.

These run without onnx too: a stand-in ``onnx.py`` that fails to import plays
"not installed" in a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _python(code: str, fake: Path | None = None) -> subprocess.CompletedProcess[str]:
    path = [str(fake)] if fake else []
    env_code = f"import sys; sys.path[:0] = {[*path, str(ROOT)]!r}\n" + textwrap.dedent(code)
    return subprocess.run(
        [sys.executable, "-c", env_code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_importing_autograd_and_nn_does_not_import_onnx():
    result = _python(
        """
        import autograd, nn
        print(any(name.split(".")[0] in ("onnx", "onnxruntime") for name in sys.modules))
        print(callable(autograd.onnx.export), callable(nn.MLP([2, 1]).to_onnx))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True"]


def test_without_onnx_export_raises_an_import_error_with_the_install_line(tmp_path):
    fake = tmp_path / "fake"
    fake.mkdir()
    (fake / "onnx.py").write_text("raise ModuleNotFoundError(\"No module named 'onnx'\")\n")
    result = _python(
        """
        import numpy as np
        import autograd, nn
        for call in (lambda: autograd.onnx.export(lambda t: t * 2, np.ones(2)),
                     lambda: nn.MLP([2, 1]).to_onnx("model.onnx", np.ones((1, 2)))):
            try:
                call()
            except ImportError as error:
                print(error)
            else:
                raise SystemExit("no ImportError")
        """,
        fake,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 2
    assert all("pip install 'chainrule[onnx]'" in line for line in lines)
    assert not (ROOT / "model.onnx").exists()
