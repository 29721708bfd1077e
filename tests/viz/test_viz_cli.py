"""The command line's viz parts: a broken or slow Graphviz, `steps --html`, `train --animate`."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from viz_helpers import needs_dot

from chainrule.main import main

REPO = Path(__file__).resolve().parents[2]
TANH = ["tanh(x*w + b)", "--set", "x=2", "--set", "w=-3", "--set", "b=6.88"]


def fake_dot(directory: Path, body: str) -> Path:
    directory.mkdir(exist_ok=True)
    script = directory / "dot"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return directory


def run(argv: list[str], capsys) -> tuple[int, str, str]:
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_broken_dot_is_one_line_exit_1_from_the_console_script(tmp_path):
    bin_dir = fake_dot(tmp_path / "bin", 'echo "dot: libgvc.so.6: cannot open" >&2; exit 1')
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(REPO), MPLBACKEND="Agg")
    done = subprocess.run(
        [sys.executable, "-m", "chainrule", "graph", *TANH, "--out", "g.svg"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("chainrule: error: Graphviz 'dot'")
    assert "exit status 1" in lines[0] and "libgvc.so.6" in lines[0]
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "g.svg").exists()


def test_slow_dot_stops_at_the_timeout(tmp_path, monkeypatch, capsys):
    sleep = shutil.which("sleep")
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", f"exec {sleep} 30")))
    code, _, err = run(["graph", *TANH, "--timeout", "0.5", "--out", str(tmp_path / "g.png")],
                       capsys)
    assert code == 1
    assert "timeout=0.5 s" in err and 'collapse="module"' in err
    assert not (tmp_path / "g.png").exists()


@pytest.mark.parametrize("value", ["-1", "abc", "nan"])
def test_bad_timeout_is_a_usage_error(tmp_path, capsys, value):
    code, _, err = run(["graph", *TANH, "--timeout", value, "--out", str(tmp_path / "g.dot")],
                       capsys)
    assert code == 2 and "--timeout" in err


def test_graph_direction_is_chosen_unless_given(tmp_path, capsys):
    out = tmp_path / "g.dot"
    assert run(["graph", *TANH, "--out", str(out)], capsys)[0] == 0
    assert "rankdir=TB" in out.read_text()  # left to right would be wider than a notebook
    assert run(["graph", *TANH, "--rankdir", "LR", "--out", str(out)], capsys)[0] == 0
    assert "rankdir=LR" in out.read_text()


@needs_dot
def test_steps_html_writes_the_step_through_page(tmp_path, capsys):
    page = tmp_path / "steps.html"
    code, out, err = run(["steps", *TANH, "--html", str(page)], capsys)
    assert code == 0, err
    text = page.read_text(encoding="utf-8")
    assert text.count('class="bp-step"') == 6 and text.count("<svg") == 6
    assert "f = tanh(x*w + b)" in text
    assert f"wrote {page}: 6 steps" in out
    assert "∂f/∂x" in out  # the table is still printed


def test_steps_html_needs_an_html_suffix_and_a_working_dot(tmp_path, capsys, monkeypatch):
    code, _, err = run(["steps", *TANH, "--html", str(tmp_path / "steps.txt")], capsys)
    assert code == 2 and "--html" in err and ".html" in err
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", "exit 3")))
    code, out, err = run(["steps", *TANH, "--html", str(tmp_path / "s.html")], capsys)
    assert code == 1 and err.startswith("chainrule: error: --html needs Graphviz")
    assert out == "" and not (tmp_path / "s.html").exists()


def test_train_animate_writes_a_gif_of_the_boundary_and_loss(tmp_path, capsys):
    from PIL import Image

    code, out, err = run(["train", "moons", "--epochs", "6", "--animate", "--progress", "off",
                          "--out", str(tmp_path / "run")], capsys)
    assert code == 0, err
    gif = tmp_path / "run" / "training.gif"
    assert "training.gif" in out
    with Image.open(gif) as image:
        assert image.format == "GIF"
        assert image.n_frames >= 7  # before training + 6 epochs (+ the last one held)
    assert gif.stat().st_size < 2 * 1024 * 1024


def test_train_animate_refuses_data_that_is_not_2d(tmp_path, capsys):
    code, _, err = run(["train", "digits", "--animate", "--out", str(tmp_path / "run")], capsys)
    assert code == 2 and "--animate" in err and "not 2-D" in err
    assert not (tmp_path / "run").exists()
