"""Execute notebooks in place, as CI does, so that their outputs can be committed.

    python notebooks/render.py                       # every notebook and solution
    python notebooks/render.py notebooks/07_*.ipynb  # some of them

Run from the repository root with the project's virtual environment. Volatile
metadata (execution timestamps) is dropped and consecutive stream outputs are
merged, so re-rendering an unchanged notebook gives the same file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def _merge_streams(outputs: list) -> list:
    merged: list = []
    for out in outputs:
        previous = merged[-1] if merged else None
        if (
            out.get("output_type") == "stream"
            and previous is not None
            and previous.get("output_type") == "stream"
            and previous.get("name") == out.get("name")
        ):
            previous["text"] = previous["text"] + out["text"]
        else:
            merged.append(out)
    return merged


def render(path: Path) -> None:
    """Execute ``path`` top to bottom in its own folder and write it back with its outputs."""
    nb = nbformat.read(path, as_version=4)
    for number, cell in enumerate(nb.cells):
        cell.setdefault("id", f"cell-{number}")  # new cells get a stable id
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    client.execute()
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            cell.outputs = _merge_streams(cell.outputs)
    nbformat.write(nb, path)


def main(argv: list[str]) -> None:
    paths = [Path(a) for a in argv] or sorted(HERE.glob("*.ipynb")) + sorted(
        (HERE / "solutions").glob("*.ipynb")
    )
    for path in paths:
        print(f"rendering {path}", flush=True)
        render(path)


if __name__ == "__main__":
    main(sys.argv[1:])
