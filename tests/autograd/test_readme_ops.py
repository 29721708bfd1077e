"""The README's table of ops is the registry's: nothing listed that does not exist."""

from __future__ import annotations

from pathlib import Path

from autograd.ops import markdown_table

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_exactly_the_registered_ops():
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- ops table:")
    start = text.index("\n", start) + 1
    end = text.index("<!-- end of ops table -->")
    assert text[start:end].strip() == markdown_table().strip(), (
        "README's ops table is out of date: paste autograd.ops.markdown_table() between the markers"
    )
