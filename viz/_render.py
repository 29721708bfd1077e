"""Run Graphviz ``dot`` on DOT text, with a time budget and one clear error per failure."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess

__all__ = [
    "DEFAULT_TIMEOUT",
    "GraphvizError",
    "GraphvizNotFoundError",
    "GraphvizTimeoutError",
    "render_dot",
]

DEFAULT_TIMEOUT = 10.0  # seconds

_INSTALL_HINT = (
    "Install it with `apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or `conda install graphviz`. The DOT text is still available as `.source` / "
    "`.save('graph.dot')`."
)


class GraphvizError(RuntimeError):
    """Graphviz could not draw the graph: ``dot`` failed, is missing or ran out of time."""


class GraphvizNotFoundError(GraphvizError):
    """The Graphviz ``dot`` program is not installed (the DOT source is still available)."""


class GraphvizTimeoutError(GraphvizError):
    """``dot`` did not finish within the time budget (it was stopped)."""


def check_timeout(timeout: float | None) -> None:
    if timeout is None:
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0:
        raise ValueError(f"timeout must be a positive number of seconds or None, got {timeout!r}")


def _run(program: str, format: str, source: bytes, timeout: float | None) -> _Done:
    """Run ``dot``; past ``timeout`` stop it and anything it started (a wrapper script's child)."""
    posix = hasattr(os, "killpg")
    with subprocess.Popen(
        [program, f"-T{format}"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=posix,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(source, timeout=timeout)
        except subprocess.TimeoutExpired:
            if posix:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            else:
                proc.kill()
            proc.communicate()
            raise
        return _Done(proc.returncode, stdout, stderr)


class _Done:
    """What ``dot`` returned."""

    def __init__(self, returncode: int, stdout: bytes, stderr: bytes) -> None:
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def render_dot(
    source: str, format: str = "svg", *, timeout: float | None = DEFAULT_TIMEOUT
) -> bytes:
    """Lay out DOT ``source`` with Graphviz ``dot`` and return the ``format`` bytes.

    ``dot`` runs as a child process that is stopped after ``timeout`` seconds
    (``None``: no limit). Raises :class:`GraphvizNotFoundError` (naming
    ``apt-get install graphviz``) when ``dot`` is missing,
    :class:`GraphvizTimeoutError` (naming ``collapse="module"``) past the
    budget, and :class:`GraphvizError` when ``dot`` fails; each is one
    exception with the cause in its message, not a chain.
    """
    check_timeout(timeout)
    if not isinstance(format, str) or not format.isalnum():
        raise ValueError(f"format must be a Graphviz output format such as 'svg', got {format!r}")
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFoundError(
            "rendering needs the Graphviz 'dot' program, which was not found on PATH. "
            + _INSTALL_HINT
        )
    error: GraphvizError
    try:
        done = _run(program, format, source.encode("utf-8"), timeout)
    except subprocess.TimeoutExpired:
        error = GraphvizTimeoutError(
            f"Graphviz 'dot' did not finish laying out the graph within timeout={timeout:g} s "
            "and was stopped. Draw less: pass collapse=\"module\" (one box per nn module) or "
            "draw a smaller graph (fewer steps or data points); or allow more time with a "
            "larger timeout= (timeout=None waits for ever)."
        )
    except OSError as exc:
        error = GraphvizError(
            f"cannot run Graphviz 'dot' ({program}): {exc.strerror or exc}. "
            "Check the Graphviz installation (`dot -V` should print its version). " + _INSTALL_HINT
        )
    else:
        if done.returncode == 0:
            return done.stdout
        detail = " ".join(done.stderr.decode("utf-8", errors="replace").split())
        error = GraphvizError(
            f"Graphviz 'dot' ({program}) failed with exit status {done.returncode}"
            + (f": {detail[:300]}" if detail else " and printed no message")
            + ". Check the Graphviz installation: `dot -V` should print its version and "
            "`echo 'digraph {a -> b}' | dot -Tsvg` should print an SVG."
        )
    raise error
