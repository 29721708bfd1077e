"""The model file: an ``.npz`` archive of plain arrays plus a JSON record of the architecture.

Layout (a zip archive, as ``np.savez`` writes, readable by ``np.load(path,
allow_pickle=False)``):

* one member ``<parameter name>.npy`` per parameter, an ``.npy`` array
  (``layers.0.weight.npy``); the zip is written member by member, never
  through ``np.savez``'s keyword arguments, so every parameter name is
  stored as it is (``file``, ``allow_pickle``, ...);
* one member ``chainrule_model.json``: ``{"format": "chainrule.model",
  "version": 1, "saved_from": "MLP", "architecture": {...} or null}``.
  The architecture (layer sizes, activation, engine, dtype) lets
  :func:`nn.load` rebuild an ``nn.MLP`` or ``nn.scalar.MLP`` from the file
  alone; other modules record ``null`` and are loaded with ``model.load``.

Reading is checked before it costs anything: the zip's directory and each
member's ``.npy`` header (shape, dtype, byte count) are read and compared
with what is expected before any array data is decompressed, so a small file
declaring a huge array, a pickled object array, a truncated or corrupt member
or a plain ``.npy`` file is refused with a :class:`ModelFileError` at once.
Files written by ``np.savez`` (chainrule before the architecture record) load
with ``model.load``; :func:`nn.load` asks for them to be re-saved.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO

import numpy as np

from autograd.atomic_file import atomic_write

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "META_MEMBER",
    "ArrayHeader",
    "ModelArchive",
    "ModelFileError",
    "write_model_file",
]

FORMAT = "chainrule.model"
FORMAT_VERSION = 1
META_MEMBER = "chainrule_model.json"
_NPY = ".npy"
_MAX_META_BYTES = 1 << 20
_CHUNK = 1 << 20
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the same model gives the same bytes
# What reading a damaged, encrypted or oddly compressed member raises.
_DAMAGED = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError)


class ModelFileError(ValueError):
    """A file that is not a readable chainrule model file, or that does not fit the model."""


@dataclass(frozen=True)
class ArrayHeader:
    """What a member's ``.npy`` header declares, read without touching the array data."""

    name: str
    shape: tuple[int, ...]
    dtype: np.dtype[Any]
    fortran_order: bool

    @property
    def size(self) -> int:
        """The number of elements."""
        return math.prod(self.shape)

    @property
    def nbytes(self) -> int:
        """The number of data bytes the header declares."""
        return self.size * self.dtype.itemsize


# -- writing -----------------------------------------------------------------


def write_model_file(
    path: str | os.PathLike[str],
    state: Mapping[str, np.ndarray],
    architecture: Mapping[str, Any] | None,
    saved_from: str,
) -> None:
    """Write ``state`` and the architecture record to ``path`` atomically (see the module doc)."""
    for name in state:
        if not isinstance(name, str) or not name or "\x00" in name:
            raise ValueError(f"cannot store a parameter named {name!r} in a model file")
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"cannot store the parameter name {name!r}: it is not valid text (UTF-8)"
            ) from None
    arrays = {name: np.asarray(value) for name, value in state.items()}
    for name, arr in arrays.items():
        if arr.dtype.hasobject:
            raise ValueError(f"parameter {name!r} holds Python objects; a model file holds numbers")
    meta = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "saved_from": saved_from,
        "architecture": None if architecture is None else dict(architecture),
    }
    meta_bytes = (json.dumps(meta, indent=2) + "\n").encode()

    def write(f: BinaryIO) -> None:
        with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
            for name, arr in arrays.items():
                info = zipfile.ZipInfo(name + _NPY, date_time=_FIXED_TIME)
                with zf.open(info, "w", force_zip64=True) as member:
                    np.lib.format.write_array(member, arr, allow_pickle=False)
            zf.writestr(zipfile.ZipInfo(META_MEMBER, date_time=_FIXED_TIME), meta_bytes)

    atomic_write(path, write)


# -- reading -----------------------------------------------------------------


class ModelArchive:
    """An open model file whose directory and array headers have been read and checked.

    ``ModelArchive(path)`` reads the zip directory, every ``.npy`` header and
    the JSON record, and checks that each member is a well-formed array of a
    floating-point dtype whose declared size matches its stored size. No
    array data is decompressed until :meth:`read_arrays`. Use it as a context
    manager (it keeps the file open, so the checked file is the one read).
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._file = _open_checked(self.path)
        try:
            try:
                self._zip = zipfile.ZipFile(self._file)
            except (zipfile.BadZipFile, ValueError, EOFError) as exc:
                raise self.error(f"is a damaged zip archive ({exc})") from None
            self.headers: dict[str, ArrayHeader] = {}
            self._members: dict[str, zipfile.ZipInfo] = {}
            self.meta: dict[str, Any] | None = None
            self._scan()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> ModelArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the file."""
        zf = getattr(self, "_zip", None)
        if zf is not None:
            zf.close()
        self._file.close()

    def error(self, what: str) -> ModelFileError:
        """A :class:`ModelFileError` that names this file."""
        return ModelFileError(f"model file {str(self.path)!r} {what}")

    @property
    def architecture(self) -> dict[str, Any] | None:
        """The recorded architecture, or ``None`` (a file of weights only)."""
        return None if self.meta is None else self.meta.get("architecture")

    def _scan(self) -> None:
        seen: set[str] = set()
        for info in self._zip.infolist():
            if info.filename in seen:
                raise self.error(f"has two members named {info.filename!r}")
            seen.add(info.filename)
            if info.filename == META_MEMBER:
                self.meta = self._read_meta(info)
            elif info.filename.endswith(_NPY):
                name = info.filename[: -len(_NPY)]
                self.headers[name] = self._read_header(info)
                self._members[name] = info
            else:
                raise self.error(
                    f"has a member {info.filename!r} that is neither an .npy array nor "
                    f"{META_MEMBER}: it was not written by model.save"
                )

    def _read_header(self, info: zipfile.ZipInfo) -> ArrayHeader:
        name = info.filename[: -len(_NPY)]
        try:
            with self._zip.open(info) as stream:
                header = _npy_header(stream, name)
                stored = info.file_size - stream.tell()
        except ModelFileError as exc:
            raise self.error(str(exc)) from None
        except _DAMAGED as exc:
            raise self.error(_unreadable(info, exc)) from None
        if header.dtype.hasobject:
            raise self.error(
                f"has a member {name!r} of Python objects (dtype {header.dtype}), which would "
                "need pickle (allow_pickle) to load; refused: a model file holds numbers only"
            )
        if header.dtype.kind != "f" or header.dtype.fields is not None:
            raise self.error(
                f"has a member {name!r} of dtype {header.dtype}; model parameters are "
                "floating-point arrays"
            )
        if stored != header.nbytes:
            raise self.error(
                f"has a member {name!r} that declares shape {header.shape} of {header.dtype} "
                f"({header.nbytes:,} bytes) but stores {stored:,} bytes: the file is truncated "
                "or corrupt"
            )
        return header

    def _read_meta(self, info: zipfile.ZipInfo) -> dict[str, Any]:
        if info.file_size > _MAX_META_BYTES:
            raise self.error(f"has a {info.file_size:,}-byte {META_MEMBER}; it is far too large")
        try:
            with self._zip.open(info) as stream:
                raw = stream.read(_MAX_META_BYTES + 1)
            meta = json.loads(raw.decode("utf-8"))
        except _DAMAGED as exc:
            raise self.error(f"has a damaged or unreadable {META_MEMBER} ({exc})") from None
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise self.error(f"has a {META_MEMBER} that is not valid JSON ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            raise self.error(f"has a {META_MEMBER} that is not a chainrule model record")
        version = meta.get("version")
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise self.error(f"has an invalid format version {version!r}")
        if version > FORMAT_VERSION:
            raise self.error(
                f"was written by a newer chainrule (model file format {version}; this one "
                f"reads up to {FORMAT_VERSION}): upgrade chainrule to load it"
            )
        architecture = meta.get("architecture")
        if architecture is not None and not isinstance(architecture, dict):
            raise self.error("has an architecture record that is not a JSON object")
        return meta

    def check_expected(self, expected: Mapping[str, tuple[tuple[int, ...], np.dtype[Any]]]) -> None:
        """Check the keys, shapes and dtypes against ``expected``; raise before reading any data.

        Missing or unexpected keys raise ``KeyError`` (as ``load_state_dict``);
        a wrong shape or dtype raises :class:`ModelFileError`, naming the key.
        A dtype that differs only in byte order is accepted (converted on reading).
        """
        missing = [k for k in expected if k not in self.headers]
        unexpected = [k for k in self.headers if k not in expected]
        if missing or unexpected:
            raise KeyError(
                f"model file {str(self.path)!r} does not match the model: "
                f"missing keys {missing}, unexpected keys {unexpected}"
            )
        for name, (shape, dtype) in expected.items():
            header = self.headers[name]
            if header.shape != tuple(shape):
                raise self.error(
                    f"holds {name!r} with shape {header.shape}; the model expects {tuple(shape)}"
                )
            if header.dtype.newbyteorder("=") != np.dtype(dtype).newbyteorder("="):
                raise self.error(
                    f"holds {name!r} as {header.dtype}; the model expects {np.dtype(dtype)}"
                )

    def read_arrays(self) -> dict[str, np.ndarray]:
        """Decompress and return every array (native byte order), checking CRCs and sizes."""
        return {name: self._read_array(name) for name in self.headers}

    def _read_array(self, name: str) -> np.ndarray:
        header = self.headers[name]
        info = self._members[name]
        try:
            with self._zip.open(info) as stream:
                if _npy_header(stream, name) != header:
                    raise ModelFileError(f"changed while member {name!r} was being read")
                flat = np.empty(header.size, dtype=header.dtype)
                _read_exactly(stream, flat.view(np.uint8).reshape(-1), header.nbytes, name)
                if stream.read(1):
                    raise ModelFileError(f"has data after the array in member {name!r}")
        except ModelFileError as exc:
            raise self.error(str(exc)) from None
        except _DAMAGED as exc:
            raise self.error(_unreadable(info, exc)) from None
        if header.fortran_order:
            arr = flat.reshape(header.shape[::-1]).T
        else:
            arr = flat.reshape(header.shape)
        if not header.dtype.isnative:
            arr = arr.astype(header.dtype.newbyteorder("="))
        return arr


def _unreadable(info: zipfile.ZipInfo, exc: BaseException) -> str:
    return f"has a damaged or unreadable member {info.filename!r} ({exc})"


def _open_checked(path: Path) -> BinaryIO:
    """Open ``path`` for reading after checking it starts like a zip archive."""
    f = open(path, "rb")  # closed by ModelArchive.close
    try:
        start = f.read(8)
        if start.startswith(b"\x93NUMPY"):
            raise ModelFileError(
                f"model file {str(path)!r} is a single .npy array, not a model archive: "
                "a model file is the .npz written by model.save(path)"
            )
        if not start.startswith((b"PK\x03\x04", b"PK\x05\x06")):
            what = "empty" if not start else "not an .npz (zip) archive"
            raise ModelFileError(
                f"model file {str(path)!r} is {what}: expected the .npz written by model.save(path)"
            )
        f.seek(0)
    except BaseException:
        f.close()
        raise
    return f


def _npy_header(stream: IO[bytes], name: str) -> ArrayHeader:
    """Read a member's ``.npy`` magic and header (no data)."""
    try:
        version = np.lib.format.read_magic(stream)
    except ValueError:
        raise ModelFileError(f"has a member {name!r} that is not an .npy array") from None
    try:
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(stream)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(stream)
        else:
            raise ModelFileError(
                f"has a member {name!r} in .npy format {version}; expected 1.0 or 2.0"
            )
    except (ValueError, SyntaxError, TypeError) as exc:
        if isinstance(exc, ModelFileError):
            raise
        raise ModelFileError(f"has a malformed .npy header in member {name!r} ({exc})") from None
    return ArrayHeader(name, tuple(int(n) for n in shape), np.dtype(dtype), bool(fortran))


def _read_exactly(stream: IO[bytes], out: np.ndarray, nbytes: int, name: str) -> None:
    """Fill the byte array ``out`` from ``stream`` in chunks (no second copy of the data)."""
    pos = 0
    while pos < nbytes:
        chunk = stream.read(min(_CHUNK, nbytes - pos))
        if not chunk:
            raise ModelFileError(
                f"is truncated: member {name!r} ends after {pos:,} of {nbytes:,} data bytes"
            )
        out[pos : pos + len(chunk)] = np.frombuffer(chunk, dtype=np.uint8)
        pos += len(chunk)
