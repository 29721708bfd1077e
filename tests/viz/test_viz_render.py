"""Rendering with Graphviz (SVG/PNG/PDF/DOT), Jupyter display, and a missing `dot`."""

from __future__ import annotations

import re

import pytest
from viz_helpers import needs_dot

from autograd import Value
from viz import GraphvizNotFoundError, draw_graph


def svg_node_ids(svg: str) -> set[str]:
    return set(re.findall(r'<g id="node\d+" class="node">\s*<title>([^<]*)</title>', svg))


@needs_dot
def test_svg_has_every_node_and_the_numbers(readme):
    g = readme["g"]
    g.backward()
    graph = draw_graph(g)
    svg = graph.svg()
    assert svg.lstrip().startswith("<?xml") and "</svg>" in svg
    assert len(svg_node_ids(svg)) == 27 + 25  # value boxes + op ovals
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
