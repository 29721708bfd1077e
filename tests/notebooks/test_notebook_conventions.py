"""The notebook conventions, checked on every ``notebooks/*.ipynb`` without running it.

Running the notebooks is nbmake's job (``pytest --nbmake notebooks``); these tests read
the committed files: the shared bootstrap cell, the exercises and their solution
notebooks, the Korean summaries and the lecture's terms, the committed outputs (executed
top to bottom, small, graphs at most 1,000 pt wide, no local paths), the README's links
and the ``notebooks`` extra.
"""

from __future__ import annotations

import base64
import importlib.metadata
import json
import re
import struct
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
SOLUTIONS = NOTEBOOKS / "solutions"
NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))
ALL_PATHS = NOTEBOOK_PATHS + sorted(SOLUTIONS.glob("*.ipynb"))

# The first code cell of every notebook, solutions included (notebook 01's, verbatim).
BOOTSTRAP = """%matplotlib inline
import sys
from pathlib import Path

# Inside a source checkout without `pip install -e .`, make the packages importable.
for folder in (Path.cwd(), *Path.cwd().parents[:2]):
    if (folder / "autograd" / "__init__.py").is_file():
        sys.path.insert(0, str(folder))
        break"""

# The lecture's own terms; each must appear somewhere in the notebooks.
LECTURE_TERMS = (
    "순전파", "역전파", "연쇄 법칙", "손실함수", "경사하강법", "학습률", "전역 최적해",
    "국소 최적해", "안장점", "확률적 경사하강법", "미니배치", "지수이동평균", "편향 보정",
    "유사확률", "결정 경계", "특징 선택", "활성화함수", "퍼셉트론", "다층 퍼셉트론",
    "차원의 저주", "다양체 가설",
)  # fmt: skip
MIN_HANGUL = 400  # syllables of Korean per notebook (markdown cells)
MIN_SECTION_HANGUL = 20  # a Korean summary in every "## " section
MAX_BYTES = 1_500_000
MAX_GRAPH_WIDTH = 1000  # pt for SVG drawings, px for PNG figures
HEADING = re.compile(r"^### 연습 문제 / Exercise (\d+):")
NOT_ANSWERED = '"연습 문제 {n}: 아직 답이 없습니다 (not answered yet)"'
LOCAL_PACKAGES = {"autograd", "nn", "optim", "viz", "chainrule"}
# Notebook calls that need a distribution the code does not import by name.
INDIRECT_NEEDS = {"load_digits(": "scikit-learn"}


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def source(cell: dict[str, Any]) -> str:
    text = cell["source"]
    return "".join(text) if isinstance(text, list) else text


def code_cells(nb: dict[str, Any]) -> list[dict[str, Any]]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def hangul(text: str) -> int:
    return sum("\uac00" <= ch <= "\ud7a3" for ch in text)


def markdown_text(nb: dict[str, Any]) -> str:
    return "\n".join(source(c) for c in nb["cells"] if c["cell_type"] == "markdown")


def exercises(nb: dict[str, Any]) -> list[tuple[int, int]]:
    """``(exercise number, index of its heading cell)`` for every exercise heading."""
    found = []
    for i, cell in enumerate(nb["cells"]):
        first_line = source(cell).lstrip().split("\n", 1)[0]
        match = HEADING.match(first_line) if cell["cell_type"] == "markdown" else None
        if match:
            found.append((int(match.group(1)), i))
    return found


def next_code_cells(nb: dict[str, Any], start: int, count: int) -> list[dict[str, Any]]:
    """The ``count`` code cells after cell ``start`` (an error if a markdown cell intervenes)."""
    cells = nb["cells"][start + 1 : start + 1 + count]
    assert len(cells) == count and all(c["cell_type"] == "code" for c in cells), (
        f"cell {start} must be followed by {count} code cell(s)"
    )
    return cells


def output_texts(nb: dict[str, Any]) -> list[str]:
    """Every output of every code cell as text (data of all MIME types, streams, errors)."""
    texts = []
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            texts.append(json.dumps(out, ensure_ascii=False))
    return texts


def svg_widths(text: str) -> list[float]:
    """The ``width="...pt"`` of every ``<svg>`` element in ``text`` (escaped or not)."""
    return [float(w) for w in re.findall(r'<svg[^>]*?width=\\?"([\d.]+)pt', text)]


def png_widths(nb: dict[str, Any]) -> list[int]:
    widths = []
    for cell in code_cells(nb):
        for out in cell.get("outputs", []):
            data = out.get("data", {}).get("image/png")
            if data:
                raw = base64.b64decode("".join(data) if isinstance(data, list) else data)
                widths.append(struct.unpack(">I", raw[16:20])[0])  # the IHDR chunk's width
    return widths


def notebook_ids(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(NOTEBOOKS)) for p in paths]


def test_the_notebooks_are_found() -> None:
    assert len(NOTEBOOK_PATHS) >= 8, f"expected the lecture's notebooks in {NOTEBOOKS}"


@pytest.mark.parametrize("path", ALL_PATHS, ids=notebook_ids(ALL_PATHS))
def test_bootstrap_is_the_first_code_cell(path: Path) -> None:
    first = source(code_cells(load(path))[0])
    assert first == BOOTSTRAP, (
        f"{path.name}: the first code cell must be exactly the shared bootstrap cell "
        "(copy it from notebooks/01_value_and_chain_rule.ipynb); imports go in the next cell"
    )


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=notebook_ids(NOTEBOOK_PATHS))
def test_exercises_follow_the_convention(path: Path) -> None:
    nb = load(path)
    found = exercises(nb)
    numbers = [n for n, _ in found]
    assert len(found) >= 2, f"{path.name}: needs at least two '### 연습 문제 / Exercise N:' cells"
    assert numbers == list(range(1, len(found) + 1)), f"{path.name}: exercises numbered {numbers}"
    for n, i in found:
        learner, check = (source(c) for c in next_code_cells(nb, i, 2))
        assert re.search(r"^\w+ = None\s+# TODO", learner, re.M), (
            f"{path.name}, exercise {n}: the learner's cell sets each answer to None with a # TODO"
        )
        assert check.startswith(f"# check: Exercise {n}\n"), (
            f"{path.name}, exercise {n}: the check cell must start with '# check: Exercise {n}'"
        )
        assert "is None" in check and NOT_ANSWERED.format(n=n) in check, (
            f"{path.name}, exercise {n}: the check must print the not-answered message for None"
        )
        assert "assert" in check, f"{path.name}, exercise {n}: the check cell needs asserts"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=notebook_ids(NOTEBOOK_PATHS))
def test_solution_notebook_has_the_same_checks(path: Path) -> None:
    solution_path = SOLUTIONS / path.name
    assert solution_path.is_file(), f"{path.name}: missing notebooks/solutions/{path.name}"
    nb, solution = load(path), load(solution_path)
    mine, theirs = exercises(nb), exercises(solution)
    assert [n for n, _ in theirs] == [n for n, _ in mine], f"{solution_path.name}: exercise numbers"
    for (n, i), (_, j) in zip(mine, theirs, strict=True):
        assert source(solution["cells"][j]) == source(nb["cells"][i]), f"exercise {n}: heading"
        solved, check = next_code_cells(solution, j, 2)
        assert source(check) == source(next_code_cells(nb, i, 2)[1]), (
            f"{solution_path.name}, exercise {n}: the check cell must be the notebook's, verbatim"
        )
        assert "# TODO" not in source(solved), f"{solution_path.name}, exercise {n}: not solved"
        printed = "".join(json.dumps(o, ensure_ascii=False) for o in check.get("outputs", []))
        assert "not answered yet" not in printed, (
            f"{solution_path.name}, exercise {n}: the committed check output says 'not answered'"
        )


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=notebook_ids(NOTEBOOK_PATHS))
def test_korean_beside_the_english(path: Path) -> None:
    nb = load(path)
    text = markdown_text(nb)
    assert hangul(text) >= MIN_HANGUL, (
        f"{path.name}: {hangul(text)} Hangul syllables in markdown, at least {MIN_HANGUL} needed"
    )
    sections = re.split(r"^(?=## )", text, flags=re.M)
    for section in sections:
        if section.startswith("## "):
            title = section.split("\n", 1)[0]
            assert hangul(section) >= MIN_SECTION_HANGUL, (
                f"{path.name}: section {title!r} has no Korean summary (> 요약: ...)"
            )


def test_the_lecture_terms_appear() -> None:
    text = "\n".join(source(c) for p in NOTEBOOK_PATHS for c in load(p)["cells"])
    missing = [term for term in LECTURE_TERMS if term not in text]
    assert not missing, f"lecture terms used in no notebook: {missing}"


@pytest.mark.parametrize("path", ALL_PATHS, ids=notebook_ids(ALL_PATHS))
def test_outputs_are_committed_small_and_clean(path: Path) -> None:
    assert path.stat().st_size < MAX_BYTES, f"{path.name}: {path.stat().st_size:,} bytes"
    nb = load(path)
    counts = [c.get("execution_count") for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: commit it executed top to bottom in one run (execution counts {counts})"
    )
    raw = path.read_text(encoding="utf-8")
    assert str(ROOT) not in raw, f"{path.name}: an output contains the local path {ROOT}"
    outputs = [o for c in code_cells(nb) for o in c.get("outputs", [])]
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert not errors, f"{path.name}: committed with an error output"


@pytest.mark.parametrize("path", ALL_PATHS, ids=notebook_ids(ALL_PATHS))
def test_graphs_fit_the_page(path: Path) -> None:
    nb = load(path)
    texts = [*output_texts(nb), json.dumps(nb.get("metadata", {}).get("widgets", {}))]
    too_wide = [w for t in texts for w in svg_widths(t) if w > MAX_GRAPH_WIDTH]
    assert not too_wide, (
        f"{path.name}: graph drawings {too_wide} pt wide (max {MAX_GRAPH_WIDTH}); pass "
        'rankdir="TB" or collapse="module" to draw_graph'
    )
    wide_figures = [w for w in png_widths(nb) if w > MAX_GRAPH_WIDTH]
    assert not wide_figures, f"{path.name}: figures {wide_figures} px wide (max {MAX_GRAPH_WIDTH})"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=notebook_ids(NOTEBOOK_PATHS))
def test_readme_links_the_notebook(path: Path) -> None:
    readme = (NOTEBOOKS / "README.md").read_text(encoding="utf-8")
    assert f"]({path.name})" in readme, f"notebooks/README.md does not link {path.name}"


def imported_modules(code: str) -> set[str]:
    """Top-level module names of the ``import`` statements in ``code``."""
    names = set(re.findall(r"^\s*import\s+([\w.]+)", code, re.M))
    names |= set(re.findall(r"^\s*from\s+([\w.]+)\s+import", code, re.M))
    return {name.split(".")[0] for name in names}


def normalized(requirement: str) -> str:
    name = re.split(r"[\s<>=!~;\[]", requirement.strip(), maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def test_notebooks_extra_installs_every_import() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    installed = {normalized(r) for r in project["dependencies"]}
    installed |= {normalized(r) for r in project["optional-dependencies"]["notebooks"]}
    distributions = importlib.metadata.packages_distributions()
    needed: dict[str, str] = {}
    for path in NOTEBOOK_PATHS:
        code = "\n".join(source(c) for c in code_cells(load(path)))
        for module in imported_modules(code) - LOCAL_PACKAGES - set(sys.stdlib_module_names):
            for dist in distributions.get(module, [module]):
                needed[normalized(dist)] = path.name
        for call, dist in INDIRECT_NEEDS.items():
            if call in code:
                needed[normalized(dist)] = path.name
    missing = {dist: nb for dist, nb in needed.items() if dist not in installed}
    assert not missing, f"add to the 'notebooks' extra in pyproject.toml: {missing}"
