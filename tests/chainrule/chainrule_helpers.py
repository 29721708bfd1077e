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


def cli_environment() -> dict[str, str]:
    """The environment the tests run the command in (this checkout first on the path)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
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


def run_cli(*args: str, cwd: Path, timeout: float = 120) -> Result:
    """Run ``chainrule ARGS`` in ``cwd`` with stdout/stderr captured (not a terminal)."""
    proc = subprocess.run(
        [*chainrule_command(), *args],
        cwd=cwd,
        env=cli_environment(),
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def files_under(path: Path) -> set[str]:
    """Every file and directory below ``path``, as relative paths (hidden ones included)."""
    return {str(p.relative_to(path)) for p in path.rglob("*")}
