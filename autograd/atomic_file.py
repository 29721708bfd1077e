"""Files written all-or-nothing: a temporary file next to the target, fsync, then a rename.

:func:`atomic_write` writes into a temporary file in the target's directory,
flushes it to disk and renames it over the target with :func:`os.replace`
(atomic on one file system): a reader sees the old file or the new one, never
half of one. On an exception (``KeyboardInterrupt`` included) the temporary
file is removed.

A process killed outright (``SIGKILL``, a power cut) cannot clean up, so the
temporary files are named after the target and the writing process,
``.<target name>.<pid>.<random>.tmp``, and the next write to the same target
removes those whose process no longer exists (:func:`remove_stale_temporaries`).

Files get the usual permissions: ``0o666`` minus the umask (``0o644`` under
the common umask ``022``), as ``open(path, "w")`` would give them.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_write", "create_temporary", "remove_stale_temporaries"]

_SUFFIX = ".tmp"


def _prefix(target: Path) -> str:
    return f".{target.name}."


def create_temporary(target: str | os.PathLike[str]) -> tuple[int, Path]:
    """Create an empty temporary file for ``target`` in its directory; return ``(fd, path)``.

    The name is ``.<target name>.<pid>.<random>.tmp``; the mode is ``0o666``
    minus the umask. The caller owns the open descriptor and the file.
    """
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    for _ in range(100):
        name = f"{_prefix(target)}{os.getpid()}.{secrets.token_hex(4)}{_SUFFIX}"
        path = directory / name
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)
        except FileExistsError:
            continue
        return fd, path
    raise FileExistsError(f"could not create a temporary file for {str(target)!r}")


def _process_exists(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # it exists but belongs to someone else, or we cannot tell: keep its file
    return True


def remove_stale_temporaries(target: str | os.PathLike[str]) -> list[Path]:
    """Remove temporary files of ``target`` left by processes that no longer exist.

    Only files named by :func:`create_temporary` for this very target are
    considered, and only those whose process id is not running (a save in
    progress in another process is left alone). Returns the removed paths.
    Does nothing where process ids cannot be checked (not POSIX).
    """
    if os.name != "posix":
        return []
    target = Path(target)
    directory = target.parent if str(target.parent) else Path(".")
    prefix = _prefix(target)
    removed: list[Path] = []
    try:
        names = os.listdir(directory)
    except OSError:
        return removed
    for name in names:
        if not (name.startswith(prefix) and name.endswith(_SUFFIX)):
            continue
        pid_text, dot, token = name[len(prefix) : -len(_SUFFIX)].partition(".")
        if not (dot and pid_text.isascii() and pid_text.isdigit() and len(token) == 8):
            continue
        if _process_exists(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            os.unlink(directory / name)
            removed.append(directory / name)
    return removed


def atomic_write(target: str | os.PathLike[str], write: Callable[[BinaryIO], None]) -> None:
    """Write ``target`` all-or-nothing: ``write(f)`` fills a temporary file that replaces it.

    ``f`` is a binary file open for writing. The temporary file is flushed
    and fsynced before the rename; if ``write`` or anything else raises, it is
    removed and ``target`` is untouched. Stale temporary files of ``target``
    from killed processes are removed first (:func:`remove_stale_temporaries`).
    """
    target = Path(target)
    if target.is_dir():
        raise IsADirectoryError(f"{str(target)!r} is a directory; give a file name inside it")
    remove_stale_temporaries(target)
    fd, tmp = create_temporary(target)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(target)


def _fsync_directory(target: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    directory = target.parent if str(target.parent) else Path(".")
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        with contextlib.suppress(OSError):
            os.fsync(fd)
    finally:
        os.close(fd)
