"""Opening an input within bounds, and how a format reader reports a bad one.

Every format reader is a function ``(path, compression, limits)`` that yields,
for each record of the file, either ``(document, line)`` or a
:class:`Rejected` naming the line; it raises :class:`FileFailed` when the rest
of the file cannot be read. :func:`corpus.readers.read` turns both into
rejects naming the file.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Union

from corpus.document import Document
from corpus.readers.decoding import Decoded, NotText, decode


@dataclass(frozen=True)
class ReadLimits:
    """Bounds that keep one bad input from exhausting memory.

    A document, JSONL line or decompressed file over its bound is rejected with
    the bound named in the reason, and reading goes on.
    """

    max_document_bytes: int = 20_000_000
    max_line_bytes: int = 50_000_000
    max_decompressed_bytes: int = 8_000_000_000


class Rejected(Exception):
    """One bad input of a file (yielded, or raised for a whole-file document)."""

    def __init__(self, reason: str, line: int | None = None, doc_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.doc_id = doc_id


class FileFailed(Rejected):
    """The rest of a file cannot be read (a truncated archive, an I/O error)."""


Item = Union[tuple[Document, Union[int, None]], Rejected]
Reader = Callable[[Path, Union[str, None], ReadLimits], Iterator[Item]]


def open_input(path: Path, compression: str | None, max_bytes: int | None) -> IO[bytes]:
    """The decompressed bytes of ``path``, at most ``max_bytes`` of them (None: no bound).

    A truncated or corrupt stream, or one that decompresses past the bound,
    raises :class:`FileFailed`.
    """
    raw = open(path, "rb")
    if compression == "gzip":
        return _Bounded(_Members.gzip(raw), max_bytes)
    if compression == "zstd":
        return _Bounded(_Members.zstd(raw), max_bytes)
    return raw


def read_bytes(path: Path, compression: str | None, limits: ReadLimits) -> bytes:
    """The whole (decompressed) file, if it is within ``max_document_bytes``."""
    with open_input(path, compression, limits.max_decompressed_bytes) as stream:
        data = stream.read(limits.max_document_bytes + 1)
    if len(data) > limits.max_document_bytes:
        raise Rejected(f"document is larger than {limits.max_document_bytes} bytes (max_document_bytes)")
    return data


def decode_input(data: bytes, *, content_type: str | None = None, html: bool = False,
                 line: int | None = None, doc_id: str | None = None) -> Decoded:
    """:func:`~corpus.readers.decoding.decode`, with bytes that are not text a :class:`Rejected`."""
    try:
        return decode(data, content_type=content_type, html=html)
    except NotText as err:
        raise Rejected(err.reason, err.line if line is None else line, doc_id) from err


class _Members:
    """Decompressed bytes of the gzip members or zstd frames in ``raw``; one cut short raises ``EOFError``.

    Each read returns what the input decompressed to so far, so the bytes
    before a cut reach the reader before the error does: ``gzip.GzipFile``
    buffers ahead and raises with whole records still unread in its buffer,
    and zstandard's ``stream_reader`` ends quietly at a truncated frame. Input
    goes in small pieces, so that one piece can never decompress past a few
    tens of MB before :class:`_Bounded` counts it (deflate expands at most
    ~1,032 times, a zstd block ~32,000 times).
    """

    def __init__(self, raw: IO[bytes], new: Callable[[], Any], piece: int, what: str) -> None:
        self._raw = raw
        self._new = new
        self._piece = piece
        self._what = what
        self._member: Any = None
        self._error: Exception | None = None
        self._pending = b""
        self._offset = 0

    @classmethod
    def gzip(cls, raw: IO[bytes]) -> _Members:
        return cls(raw, lambda: zlib.decompressobj(wbits=31), 16 * 1024, "gzip member")

    @classmethod
    def zstd(cls, raw: IO[bytes]) -> _Members:
        import zstandard

        return cls(raw, zstandard.ZstdDecompressor().decompressobj, 1024, "zstd frame")

    def read(self, size: int) -> bytes:
        while self._offset >= len(self._pending):
            if self._error is not None:
                raise self._error
            piece = self._raw.read(self._piece)
            if not piece:
                if self._member is not None and not self._member.eof:
                    raise EOFError(f"the {self._what} ends early")
                return b""
            out = []
            try:
                while piece:
                    if self._member is None or self._member.eof:
                        self._member = self._new()
                    out.append(self._member.decompress(piece))
                    piece = self._member.unused_data if self._member.eof else b""
            except Exception as err:  # zlib.error, zstandard.ZstdError: raised once what came before is read
                if not any(out):
                    raise
                self._error = err
            self._pending, self._offset = b"".join(out), 0
        data = self._pending[self._offset:self._offset + size]
        self._offset += len(data)
        return data

    def close(self) -> None:
        self._raw.close()


class _Bounded(io.RawIOBase):
    """A decompressing stream that stops at a byte limit (a decompression bomb guard)."""

    def __init__(self, inner: Any, limit: int | None) -> None:
        self._inner = inner
        self._limit = limit
        self._count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def _read(self, size: int) -> bytes:
        try:
            data = self._inner.read(size)
        except (EOFError, zlib.error) as err:
            raise FileFailed(f"truncated or corrupt compressed stream ({err})") from err
        except Exception as err:  # zstandard.ZstdError, without importing zstandard for gzip input
            if type(err).__name__ == "ZstdError":
                raise FileFailed(f"truncated or corrupt compressed stream ({err})") from err
            raise
        self._count += len(data)
        if self._limit is not None and self._count > self._limit:
            raise FileFailed(
                f"decompresses past the limit of {self._limit} bytes (max_decompressed_bytes); "
                "raise the limit if the file is genuine"
            )
        return data

    def close(self) -> None:
        self._inner.close()
        super().close()
