"""Rendering with Graphviz (SVG/PNG/PDF/DOT), Jupyter display, and a missing `dot`."""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path

import pytest
from viz_helpers import needs_dot

from autograd import Value
from viz import (
    GraphvizError,
    GraphvizNotFoundError,
    GraphvizTimeoutError,
    backprop_steps,
    draw_graph,
    render_dot,
)

SLEEP = f"exec {shutil.which('sleep')} 30"  # exec: dot itself is the process that is stopped


def fake_dot(directory: Path, body: str) -> Path:
    """A ``dot`` program that runs the shell ``body`` instead of Graphviz."""
    directory.mkdir(exist_ok=True)
    script = directory / "dot"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return directory


def svg_node_ids(svg: str) -> set[str]:
    return set(re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>', svg))


@needs_dot
def test_svg_has_every_node_and_the_numbers(readme):
    g = readme["g"]
    g.backward()
    graph = draw_graph(g)
    svg = graph.svg()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    # value boxes (a and b once per use: 5 each) + op ovals; the 8 numbers are in the ovals
    assert len(svg_node_ids(svg)) == 25 + 2 * 5 + 25
    assert svg.count('fill="#f3f4f6"') == 8
    assert "138.8338" in svg and "645.5773" in svg and "24.7041" in svg
    assert svg.count('class="edge"') == graph.source.count(" -> ")


@needs_dot
@pytest.mark.parametrize("label", ['"]; evil [label="x', "<b>&</b>\n"])
def test_hostile_label_renders_literally(label):
    a = Value(1.0, label=label)
    out = a + 1.0
    out.label = "out"
    svg = draw_graph(out, title=label).svg()
    assert svg_node_ids(svg) == {"n0", "n1", "n1o"}  # no injected node
    if label.startswith("<b>"):
        assert "&lt;b&gt;&amp;&lt;/b&gt;" in svg  # drawn as text, not bold markup
    else:
        assert "evil [label=" in svg.replace("&quot;", '"')


@needs_dot
@pytest.mark.parametrize(
    ("suffix", "magic"),
    [(".png", b"\x89PNG"), (".pdf", b"%PDF"), (".svg", b"<?xml"), (".dot", b"digraph")],
)
def test_save_formats(tmp_path, readme, suffix, magic):
    path = draw_graph(readme["g"]).save(tmp_path / f"graph{suffix}")
    assert path.read_bytes().startswith(magic)


def test_save_rejects_unknown_format(tmp_path, readme):
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf"):
        draw_graph(readme["g"]).save(tmp_path / "graph.jpeg2000")


@needs_dot
def test_jupyter_bundle_is_svg(readme):
    bundle = draw_graph(readme["g"])._repr_mimebundle_()
    assert bundle["image/svg+xml"].lstrip().startswith("<?xml")
    assert "27 nodes" in bundle["text/plain"]


def test_missing_dot_gives_a_clear_error_and_text_fallback(readme, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` anywhere on PATH
    graph = draw_graph(readme["g"])
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        graph.svg()
    with pytest.raises(GraphvizNotFoundError):
        graph.save(tmp_path / "g.png")
    assert graph.source.startswith("digraph")  # the DOT text is still there
    assert graph.save(tmp_path / "g.dot").read_text().startswith("digraph")
    bundle = graph._repr_mimebundle_()
    assert set(bundle) == {"text/plain"}
    assert "apt-get install graphviz" in bundle["text/plain"]
    assert isinstance(GraphvizNotFoundError("x"), RuntimeError)


def test_ipython_display_falls_back_to_text_without_dot(readme, monkeypatch, tmp_path):
    formatters = pytest.importorskip("IPython.core.formatters")
    monkeypatch.setenv("PATH", str(tmp_path))
    data, _ = formatters.DisplayFormatter().format(draw_graph(readme["g"]))
    assert "image/svg+xml" not in data
    assert "apt-get install graphviz" in data["text/plain"]


def test_broken_dot_is_one_clear_exception(readme, monkeypatch, tmp_path):
    bin_dir = fake_dot(tmp_path / "bin", 'echo "dot: libgvc.so.6: cannot open" >&2; exit 1')
    monkeypatch.setenv("PATH", str(bin_dir))
    graph = draw_graph(readme["g"])
    with pytest.raises(GraphvizError) as info:
        graph.svg()
    message = str(info.value)
    assert "exit status 1" in message and "libgvc.so.6: cannot open" in message
    assert "dot -V" in message  # how to check the installation
    assert info.value.__cause__ is None and info.value.__context__ is None  # no chain
    assert not isinstance(info.value, GraphvizNotFoundError)
    target = tmp_path / "g.svg"
    with pytest.raises(GraphvizError):
        graph.save(target)
    assert not target.exists()  # nothing half-written
    bundle = graph._repr_mimebundle_()  # a notebook shows the reason as text
    assert set(bundle) == {"text/plain"} and "exit status 1" in bundle["text/plain"]


def test_dot_that_prints_nothing_and_dies_by_signal(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", "kill -9 $$")))
    with pytest.raises(GraphvizError, match="exit status -9 and printed no message"):
        render_dot("digraph { a }")


def test_slow_dot_is_stopped_at_the_timeout(readme, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", SLEEP)))
    graph = draw_graph(readme["g"], timeout=0.5)
    started = time.perf_counter()
    with pytest.raises(GraphvizTimeoutError) as info:
        graph.svg()
    assert time.perf_counter() - started < 10
    message = str(info.value)
    assert "timeout=0.5 s" in message and 'collapse="module"' in message
    assert "smaller graph" in message
    assert info.value.__context__ is None
    assert isinstance(info.value, GraphvizError)
    assert "timeout=0.5 s" in graph._repr_mimebundle_()["text/plain"]


def test_a_wrapper_script_and_its_child_are_stopped_too(readme, monkeypatch, tmp_path):
    # Some installs put a shell script in front of dot: its child must not keep us waiting.
    sleep = shutil.which("sleep")
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", f"{sleep} 30; echo done")))
    started = time.perf_counter()
    with pytest.raises(GraphvizTimeoutError):
        render_dot("digraph { a }", timeout=0.5)
    assert time.perf_counter() - started < 10


def test_backprop_steps_page_survives_a_slow_dot(chain, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", SLEEP)))
    steps = backprop_steps(chain["C"], timeout=0.3)
    page = steps.to_html()
    assert "timeout=0.3 s" in page and page.count('class="bp-step"') == len(steps)


@pytest.mark.parametrize("timeout", [0, -1, "10", True, float("nan")])
def test_bad_timeout_is_rejected(readme, timeout):
    with pytest.raises(ValueError, match="timeout"):
        draw_graph(readme["g"], timeout=timeout)


def test_timeout_none_waits(readme, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(fake_dot(tmp_path / "bin", "echo '<svg/>'")))
    assert draw_graph(readme["g"], timeout=None).svg().strip() == "<svg/>"


def test_default_timeout_is_ten_seconds(readme):
    assert draw_graph(readme["g"]).timeout == 10.0
