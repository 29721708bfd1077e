"""Run the real ``chainrule`` console script in a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def chainrule_command() -> list[str]:
    """The console script of this interpreter's environment, else one on PATH, else ``-m``."""
    sibling = Path(sys.executable).parent / "chainrule"
    if sibling.exists():
        return [str(sibling)]
    found = shutil.which("chainrule")
    if found:
        return [found]
    return [sys.executable, "-m", "chainrule"]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def cli_environment(path_first: Path | None = None) -> dict[str, str]:
    """The environment the tests run the command in (this checkout first on the path).

    ``path_first``: a directory put before it on ``PYTHONPATH`` (e.g. one holding a
    stand-in ``onnx.py`` that fails to import, to play "onnx is not installed").
    """
    env = dict(os.environ)
    first = [str(path_first)] if path_first else []
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [*first, str(REPO), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def start_cli(*args: str, cwd: Path) -> subprocess.Popen:
    """Start ``chainrule ARGS`` in ``cwd`` with text pipes for stdout and stderr."""
    return subprocess.Popen(
        [*chainrule_command(), *args],
        cwd=cwd,
        env=cli_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def run_cli(
    *args: str, cwd: Path, timeout: float = 120, path_first: Path | None = None
) -> Result:
    """Run ``chainrule ARGS`` in ``cwd`` with stdout/stderr captured (not a terminal)."""
    proc = subprocess.run(
        [*chainrule_command(), *args],
        cwd=cwd,
        env=cli_environment(path_first),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def not_installed(directory: Path, *modules: str) -> Path:
    """Write stand-ins for ``modules`` into ``directory`` that fail as a missing one; return it."""
    directory.mkdir(parents=True, exist_ok=True)
    for name in modules:
        (directory / f"{name}.py").write_text(
            f"raise ModuleNotFoundError(\"No module named '{name}'\", name='{name}')\n"
        )
    return directory


def files_under(path: Path) -> set[str]:
    """Every file and directory below ``path``, as relative paths (hidden ones included)."""
    return {str(p.relative_to(path)) for p in path.rglob("*")}
