"""Documents -> JSONL (plain, .gz or .zst), byte for byte the same on every run.

One JSON object a line with the keys of :meth:`Document.to_json`, so Hugging
Face ``datasets.load_dataset("json", data_files=...)`` reads the file as it is.
Compressed output carries no timestamp or file name (gzip ``mtime=0``), so the
same documents always give the same bytes.
"""

from __future__ import annotations

import contextlib
import gzip
import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from corpus.document import Document, Reject
from corpus.errors import CorpusError

ZSTD_LEVEL = 10


def dumps(record: dict[str, Any]) -> str:
    """One JSONL line (without the newline): compact, UTF-8 text kept as it is."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


def open_output(path: str | Path) -> IO[bytes]:
    """A binary writer for ``path`` that compresses by its extension (.gz, .zst)."""
    path = Path(path)
    raw = open(path, "wb")
    if path.suffix == ".gz":
        return _GzipOwningFile(filename="", mode="wb", fileobj=raw, mtime=0)
    if path.suffix == ".zst":
        import zstandard

        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(raw, closefd=True)
    return raw


class _GzipOwningFile(gzip.GzipFile):
    """A GzipFile that also closes the file it writes into (GzipFile leaves it open)."""

    def close(self) -> None:
        raw = self.fileobj
        super().close()
        if raw is not None:
            raw.close()


def write_jsonl(records: Iterable[Document | Reject | dict[str, Any]], path: str | Path) -> int:
    """Write documents, rejects or plain dicts to ``path``; return how many were written.

    A write that fails (a full disk, no permission) raises :class:`CorpusError`
    naming ``path``, and a regular file left half-written there is removed.
    """
    count = 0
    try:
        with open_output(path) as out:
            for record in records:
                obj = record if isinstance(record, dict) else record.to_json()
                out.write(dumps(obj).encode("utf-8") + b"\n")
                count += 1
    except OSError as err:
        if Path(path).is_file():
            with contextlib.suppress(OSError):
                Path(path).unlink()
        raise CorpusError(f"{path}: cannot write ({err.strerror or err}); no output was kept") from err
    return count
