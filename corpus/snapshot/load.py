"""Reading a snapshot back: :func:`load_snapshot` and lazy iterators over its records.

Data shards are JSONL or Parquet (:mod:`corpus.snapshot.parquet`); the
other files are JSONL. The manifest is checked before anything is read (format, version, and file
names that stay inside the snapshot directory). Both layouts are read: the
BagIt one (version 2, records under ``data/``) and the flat one of snapshots
written before it (version 1), so an old snapshot still serves as a base. A truncated or corrupt
compressed file, a line that is not JSON, or a broken Parquet shard raises
:class:`~corpus.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import gzip
import json
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import zstandard

from corpus.dedup import Signatures
from corpus.document import Document, Reject
from corpus.errors import InputError
from corpus.snapshot.bag import BAG_FILES
from corpus.snapshot.format import _CHUNK, FORMAT, MANIFEST, PAYLOAD, READABLE_VERSIONS


class _Truncated(Exception):
    """A compressed file that ends before its end-of-stream marker."""


def _raw_chunks(path: Path) -> Iterator[bytes]:
    """Decompressed bytes of a snapshot file, raising if it is truncated or corrupt.

    zstd's stream reader returns a short read on a truncated frame without
    error, so frames are decompressed here and checked for their end.
    """
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk
    elif path.name.endswith(".zst"):
        decompressor = zstandard.ZstdDecompressor().decompressobj()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                if decompressor.eof:
                    raise ValueError("data after the end of the zstd frame")
                yield decompressor.decompress(chunk)
        if not decompressor.eof:
            raise _Truncated("zstd frame ends early")
        if decompressor.unused_data:
            raise ValueError("data after the end of the zstd frame")
    else:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk


def _lines(path: Path) -> Iterator[bytes]:
    """Lines (without newline) of a snapshot file, decompressed."""
    pending = b""
    for chunk in _raw_chunks(path):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
    if pending:
        yield pending


def _records(path: Path) -> Iterator[Any]:
    """JSON records of a snapshot file; a broken one raises InputError naming the line."""
    lineno = 0
    try:
        for lineno, line in enumerate(_lines(path), start=1):
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise InputError(str(path), f"not a JSON record: {exc}", lineno) from exc
    except InputError:
        raise
    except (OSError, EOFError, zlib.error, zstandard.ZstdError, _Truncated, ValueError) as exc:
        raise InputError(str(path), f"cannot decompress after line {lineno}: {_decompress_reason(exc)}") from exc


def _document_records(path: Path, columns: list[str] | None = None) -> Iterator[Any]:
    """The records of a data shard, JSONL or Parquet; ``columns`` (Parquet only) reads just those."""
    if path.name.endswith(".parquet"):
        from corpus.snapshot.parquet import read_records  # pyarrow is imported only when it is needed

        return read_records(path, columns)
    return _records(path)


def _decompress_reason(exc: BaseException) -> str:
    if isinstance(exc, (EOFError, _Truncated)):
        return f"truncated ({exc})"
    return f"corrupted ({type(exc).__name__}: {exc})"


@dataclass
class Snapshot:
    """A snapshot on disk: its manifest and lazy iterators over its records."""

    path: Path
    manifest: dict[str, Any]

    def _files(self, role: str) -> list[Path]:
        return [self.path / name for name, entry in self.manifest["files"].items() if entry.get("role") == role]

    def documents(self) -> Iterator[Document]:
        for shard in self._files("documents"):
            for record in _document_records(shard):
                yield Document.from_json(record)

    def clusters(self) -> Iterator[dict[str, Any]]:
        for path in self._files("clusters"):
            yield from _records(path)

    def rejects(self) -> Iterator[Reject]:
        for path in self._files("rejects"):
            for line, record in enumerate(_records(path), start=1):
                if not isinstance(record, dict) or "stage" not in record or "reason" not in record:
                    raise InputError(str(path), "a reject needs a 'stage' and a 'reason'", line)
                yield Reject(
                    stage=record["stage"],
                    reason=record["reason"],
                    path=record.get("path"),
                    line=record.get("line"),
                    id=record.get("id"),
                )

    def signatures(self) -> Signatures | None:
        """The stored signatures and their dedup parameters, or None if there are none."""
        entry = self.manifest.get("signatures")
        if not entry:
            return None
        ids = [str(i) for i in _records(self.path / entry["ids"])]
        try:
            values = np.load(self.path / entry["values"], allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(str(self.path / entry["values"]), f"cannot load signatures: {exc}") from exc
        if values.dtype != np.uint32 or values.ndim != 2 or values.shape[0] != len(ids):
            raise InputError(
                str(self.path / entry["values"]),
                f"expected uint32 ({len(ids)}, num_perm), found {values.dtype} {values.shape}",
            )
        counts = None
        if entry.get("counts"):  # absent from snapshots written before counts were stored
            try:
                counts = np.load(self.path / entry["counts"], allow_pickle=False)
            except (OSError, ValueError) as exc:
                raise InputError(str(self.path / entry["counts"]), f"cannot load shingle counts: {exc}") from exc
            if counts.dtype != np.uint32 or counts.shape != (len(ids),):
                raise InputError(str(self.path / entry["counts"]),
                                 f"expected uint32 ({len(ids)},), found {counts.dtype} {counts.shape}")
        return Signatures(ids=ids, values=values, params=dict(entry["params"]), counts=counts)


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Open a snapshot; records are read lazily. Use :func:`verify_snapshot` to check it."""
    root = Path(path)
    manifest = _read_manifest(root)
    return Snapshot(path=root, manifest=manifest)


def _read_manifest(root: Path) -> dict[str, Any]:
    where = root / MANIFEST
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(str(where), "missing: this is not a corpus snapshot") from exc
    except (OSError, ValueError) as exc:
        raise InputError(str(where), f"cannot be read as JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(str(where), f"not a {FORMAT} manifest")
    version = manifest.get("format_version")
    if version not in READABLE_VERSIONS:
        raise InputError(str(where), f"format version {version!r}; this corpus reads "
                                     f"{', '.join(map(str, READABLE_VERSIONS))}")
    if not isinstance(manifest.get("files"), dict):
        raise InputError(str(where), "has no 'files' table")
    for name in manifest["files"]:
        # A manifest must not point a reader outside its snapshot: version 1 lists plain names,
        # version 2 also payload files (data/NAME).
        plain = name.removeprefix(f"{PAYLOAD}/") if version >= 2 else name
        if plain in ("", ".", "..", MANIFEST, *BAG_FILES) or "/" in plain or "\\" in plain:
            raise InputError(str(where), f"file name {name!r} is not a plain name in the snapshot directory")
    return manifest
