"""Output paths checked before any work, and files written all-or-nothing.

Every file is first written to a temporary file in its target directory
(named by :mod:`autograd.atomic_file`: ``.<name>.<pid>.<random>.tmp``, so a later
run removes what a killed one left), fsynced, and then renamed over the
target with :func:`os.replace` (atomic on one file system), so an error never
leaves a half-written file behind. Ctrl-C and SIGTERM are held back while the
files are renamed, so a run never ends with only some of its files replaced.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from autograd.atomic_file import create_temporary, remove_stale_temporaries

from .errors import CLIError

__all__ = [
    "check_out_dir",
    "check_out_file",
    "remove_if_empty",
    "write_bytes",
    "write_files",
]

Writer = Callable[[Path], None]  # writes the content to the given (temporary) path


def _probe_writable(directory: Path, what: str) -> None:
    """Create and delete a temporary file in ``directory``: the only reliable writability test."""
    try:
        fd, tmp = tempfile.mkstemp(prefix=".chainrule-probe-", dir=directory)
    except OSError as exc:
        raise CLIError(f"cannot write {what}: {exc.strerror or exc}") from None
    os.close(fd)
    os.unlink(tmp)


def check_out_file(path: str, suffixes: Iterable[str], option: str = "--out") -> Path:
    """Check an output file before any work: a supported suffix and a writable directory.

    The parent directory must already exist (nothing is created). Returns the path.
    """
    out = Path(path)
    allowed = sorted({s.lower() for s in suffixes})
    suffix = out.suffix.lower()
    if suffix not in allowed:
        got = f"{suffix!r}" if suffix else "no suffix"
        raise CLIError(
            f"{option} {path!r} has {got}; use a file name ending in " + ", ".join(allowed)
        )
    if out.is_dir():
        raise CLIError(f"{option} {path!r} is a directory; give a file name")
    parent = out.parent if str(out.parent) else Path(".")
    if not parent.exists():
        raise CLIError(f"{option} {path!r}: the directory {str(parent)!r} does not exist")
    if not parent.is_dir():
        raise CLIError(f"{option} {path!r}: {str(parent)!r} is not a directory")
    _probe_writable(parent, f"{option} {path!r} (directory {str(parent)!r})")
    return out


def check_out_dir(path: str, option: str = "--out") -> tuple[Path, list[Path]]:
    """Create the output directory (and missing parents) if needed; check it is writable.

    Returns ``(directory, created)``: ``created`` lists the directories this
    call made, deepest first, for :func:`remove_if_empty` to take back if
    the command fails later.
    """
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise CLIError(f"{option} {path!r} exists and is not a directory")
    created = [p for p in (out, *out.parents) if not p.exists()]
    if created:
        try:
            out.mkdir(parents=True)
        except OSError as exc:
            remove_if_empty(created)
            raise CLIError(
                f"cannot create {option} directory {path!r}: {exc.strerror or exc}"
            ) from None
    try:
        _probe_writable(out, f"into {option} directory {path!r}")
    except CLIError:
        remove_if_empty(created)
        raise
    return out, created


def remove_if_empty(directories: list[Path]) -> None:
    """Remove directories this command created (deepest first), if nothing was written there."""
    for directory in directories:
        try:
            directory.rmdir()
        except OSError:
            return


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold back SIGINT and SIGTERM (delivered when the block ends), where POSIX allows it."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    held = {signal.SIGINT, signal.SIGTERM}
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def write_files(targets: Mapping[Path, Writer]) -> None:
    """Write every target via a temporary file, then rename them all into place.

    Each writer gets a temporary path in the target's directory. If any
    writer fails (or the run is interrupted), every temporary file is removed
    and no target is touched. Files get the usual permissions (``0o666``
    minus the umask).
    """
    pending: list[tuple[Path, Path]] = []
    current = Path("output")
    try:
        for target, writer in targets.items():
            current = target
            remove_stale_temporaries(target)
            fd, tmp = create_temporary(target)
            os.close(fd)
            pending.append((tmp, target))
            writer(tmp)
            _fsync(tmp)
        with _signals_held():
            while pending:
                tmp, target = pending[0]
                current = target
                os.replace(tmp, target)
                pending.pop(0)
    except OSError as exc:
        raise CLIError(f"cannot write {str(current)!r}: {exc.strerror or exc}") from None
    finally:
        for tmp, _ in pending:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_bytes(data: bytes) -> Writer:
    """A writer for fixed content."""

    def writer(path: Path) -> None:
        path.write_bytes(data)

    return writer
