"""Raw inputs -> Documents: plain text, HTML, JSONL (.gz, .zst) and WARC.

``read`` walks files and directories in a fixed (sorted) order, so the same
inputs always give the same documents in the same order. The format of a file
comes from its extension unless the caller names one.

Nothing is dropped silently. An input that cannot become a document (bad bytes,
a malformed JSON line, a truncated archive, a record without text, a duplicate
id) is handed to ``on_reject`` as a :class:`~corpus.document.Reject` naming the
file and line, and reading goes on with the next one; with ``strict=True`` the
first such input raises :class:`~corpus.errors.InputError` instead.

An HTML page is read as it is: ``text`` holds the markup and
``metadata["format"] == "html"`` until the HTML cleaning step extracts the
article from it.
"""

from __future__ import annotations

import codecs
import dataclasses
import fnmatch
import gzip
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from corpus.document import Document, Reject
from corpus.errors import InputError

RejectHandler = Callable[[Reject], None]

FORMATS = ("text", "html", "jsonl", "warc")

_EXTENSIONS = {
    ".txt": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".warc": "warc",
}
_COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}

# Fields of a JSONL record that map onto Document fields; the rest go to metadata.
_RECORD_FIELDS = ("id", "text", "html", "title", "published", "source", "url", "story", "removed", "copies", "metadata")


@dataclass(frozen=True)
class ReadLimits:
    """Bounds that keep one bad input from exhausting memory.

    A document, JSONL line or decompressed file over its bound is rejected with
    the bound named in the reason, and reading goes on.
    """

    max_document_bytes: int = 20_000_000
    max_line_bytes: int = 50_000_000
    max_decompressed_bytes: int = 8_000_000_000


class _Rejected(Exception):
    """Raised inside a reader for one bad input; ``read`` turns it into a Reject."""

    def __init__(self, reason: str, line: int | None = None, doc_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line
        self.doc_id = doc_id


class _FileFailed(_Rejected):
    """The rest of a file cannot be read (a truncated archive, an I/O error)."""


def detect_format(path: str | Path) -> tuple[str | None, str | None]:
    """The (format, compression) of a file from its extension.

    >>> detect_format("news/2023.jsonl.zst")
    ('jsonl', 'zstd')
    >>> detect_format("page.HTML")
    ('html', None)
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = None
    if suffixes and suffixes[-1] in _COMPRESSIONS:
        compression = _COMPRESSIONS[suffixes.pop()]
    fmt = _EXTENSIONS.get(suffixes[-1]) if suffixes else None
    return fmt, compression


class IdOwners:
    """Which record owns each id: the first one read, a document or a reject; and where it was read.

    An id may stand in one place of a snapshot only. A later document with an id
    already read is rejected, naming where the first was read; a later reject
    gives up the id it named. :func:`read` keeps one for all its inputs; share
    one between calls (``read(..., ids=owners)``) to keep ids unique across them,
    and to :meth:`locate` the documents that later stages reject.
    """

    def __init__(self) -> None:
        self._first: dict[str, tuple[str | None, int | None, bool]] = {}  # id -> (path, line, rejected)

    def claim_reject(self, reason: str, doc_id: str, path: str | None, line: int | None) -> tuple[str, str | None]:
        """A rejected record that names ``doc_id``: its reason and id once the claim is settled."""
        if doc_id in self._first:
            return f"{reason}; its id {doc_id!r} is a duplicate, first read from {self._where(doc_id)}", None
        self._first[doc_id] = (path, line, True)
        return reason, doc_id

    def claim_document(self, doc_id: str, path: str, line: int | None) -> str | None:
        """Why a document with ``doc_id`` is rejected (its id was read before), or None: the id is now its."""
        if doc_id in self._first:
            return f"duplicate id {doc_id!r}, first read from {self._where(doc_id)}"
        self._first[doc_id] = (path, line, False)
        return None

    def locate(self, reject: Reject) -> Reject:
        """``reject`` with the file and line its document was read from, if it names no file
        (a document dropped after reading: by cleaning, or by learned boilerplate)."""
        place = self._first.get(reject.id) if reject.path is None and reject.id is not None else None
        return reject if place is None else dataclasses.replace(reject, path=place[0], line=place[1])

    def _where(self, doc_id: str) -> str:
        path, line, rejected = self._first[doc_id]
        return _where(path, line) + (" (rejected)" if rejected else "")


def _where(path: str | None, line: int | None) -> str:
    return f"{path}:{line}" if line is not None else str(path)


def read(
    paths: str | Path | Iterable[str | Path],
    *,
    format: str | None = None,
    strict: bool = False,
    on_reject: RejectHandler | None = None,
    exclude: Iterable[str] = (),
    limits: ReadLimits = ReadLimits(),
    ids: IdOwners | None = None,
    exclude_paths: Iterable[str | Path] = (),
) -> Iterator[Document]:
    """Yield the documents in ``paths`` (files or directories, walked recursively, sorted).

    ``format`` forces one of :data:`FORMATS` for every file; by default it is
    detected per file. ``exclude`` holds glob patterns matched against file
    names (``"README*"``). Rejected inputs go to ``on_reject`` (default: a
    one-line warning on stderr), or raise with ``strict=True``. ``ids`` decides
    which record owns a repeated id (a new :class:`IdOwners` by default).
    ``exclude_paths`` are files or directories never read (see :func:`walk`).
    """
    if format is not None and format not in FORMATS:
        raise InputError(str(format), f"unknown format; use one of {', '.join(FORMATS)}")
    handle = on_reject or warn_reject
    owners = IdOwners() if ids is None else ids

    def reject(reason: str, path: str | None, line: int | None = None, doc_id: str | None = None) -> None:
        if strict:
            raise InputError(path or "<input>", reason, line)
        if doc_id is not None:
            reason, doc_id = owners.claim_reject(reason, doc_id, path, line)
        handle(Reject(stage="read", reason=reason, path=path, line=line, id=doc_id))

    # walk() sorts: listing the same inputs in another order gives the same documents.
    for path in walk(paths, exclude, reject, exclude_paths):
        fmt, compression = detect_format(path)
        fmt = format or fmt
        name = str(path)
        if fmt is None:
            reject("unsupported file type; expected .txt, .md, .html, .htm, .jsonl[.gz|.zst] or .warc[.gz]", name)
            continue
        try:
            for item in _READERS[fmt](path, compression, limits):
                if isinstance(item, _Rejected):
                    reject(item.reason, name, item.line, item.doc_id)
                    continue
                doc, line = item
                duplicate = owners.claim_document(doc.id, name, line)
                if duplicate is not None:
                    # The reject carries no id: the id belongs to the record read first.
                    reject(duplicate, name, line)
                    continue
                yield doc
        except _Rejected as failed:
            reject(failed.reason, name, failed.line, failed.doc_id)
        except OSError as err:
            reject(f"cannot read file: {err.strerror or err}", name)


def input_files(paths: str | Path | Iterable[str | Path], exclude: Iterable[str] = (),
                exclude_paths: Iterable[str | Path] = ()) -> list[Path]:
    """The files :func:`read` opens for ``paths``, in the order it opens them.

    A path it rejects before opening (missing, not a regular file, unreadable)
    is not listed, so every listed file can be described in a manifest.
    """
    return list(walk(paths, exclude, exclude_paths=exclude_paths))


def warn_reject(reject: Reject) -> None:
    """The default reject handler: one line on stderr, naming file and line."""
    import sys

    where = reject.path or "<input>"
    if reject.line is not None:
        where += f":{reject.line}"
    print(f"corpus: skipped {where}: {reject.reason}", file=sys.stderr)


def walk(paths: str | Path | Iterable[str | Path], exclude: Iterable[str] = (),
         reject: Callable[..., None] = lambda *args: None, exclude_paths: Iterable[str | Path] = ()) -> Iterator[Path]:
    """The files :func:`read` opens for ``paths``, in its order.

    Paths are sorted, directories walked in sorted order and a directory loop
    entered once. A path that cannot be read goes to ``reject(reason, path)``.
    ``exclude_paths`` (files or directories, such as a run's own output inside
    an input directory) are skipped wherever they are met; hidden names are
    skipped anyway (a snapshot's ``.NAME.partial-*``, a lock file).
    """
    paths = [paths] if isinstance(paths, (str, Path)) else sorted(paths, key=str)
    exclude = list(exclude)
    skipped = {os.path.realpath(p) for p in exclude_paths}
    visited: set[str] = set(skipped)
    for root in paths:
        root = Path(root)
        if skipped and os.path.realpath(root) in skipped:
            continue
        if not root.exists():
            reject("no such file or directory", str(root))
            continue
        if not root.is_dir():
            if _openable(root, reject):
                yield root
            continue
        for directory, subdirs, files in os.walk(root, followlinks=True):
            real = os.path.realpath(directory)
            if real in visited:
                subdirs[:] = []
                continue
            visited.add(real)
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith(".") or any(fnmatch.fnmatch(name, pat) for pat in exclude):
                    continue
                if skipped and os.path.realpath(os.path.join(directory, name)) in skipped:
                    continue
                if _openable(Path(directory) / name, reject):
                    yield Path(directory) / name


def _openable(path: Path, reject: Callable[..., None]) -> bool:
    """Whether ``path`` is a regular file this process may read; if not, reject it with the reason.

    Opening a FIFO would block the run forever, and a broken or looping
    symlink or an unreadable file cannot be described in the manifest.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        reject(f"cannot read file: {err.strerror or err}", str(path))
        return False
    if not stat.S_ISREG(mode):
        reject("not a regular file (a FIFO, socket or device)", str(path))
        return False
    if not os.access(path, os.R_OK):
        reject("cannot read file: permission denied", str(path))
        return False
    return True


def _open(path: Path, compression: str | None, limits: ReadLimits) -> IO[bytes]:
    raw = open(path, "rb")
    if compression == "gzip":
        return _Bounded(gzip.GzipFile(fileobj=raw), limits.max_decompressed_bytes)
    if compression == "zstd":
        return _Bounded(_ZstdFrames(raw), limits.max_decompressed_bytes)
    return raw


class _ZstdFrames:
    """Decompressed bytes of the zstd frames in ``raw``; a frame cut short raises ``EOFError``.

    zstandard's ``stream_reader`` ends quietly at a truncated frame, so the
    lines after the cut would vanish without a reject. Input goes in 1 KiB
    pieces: a zstd block expands at most ~32,000 times, so one piece can never
    decompress past ~32 MiB before :class:`_Bounded` counts it.
    """

    _PIECE = 1024

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._raw = raw
        self._new = zstandard.ZstdDecompressor().decompressobj
        self._frame: Any = None
        self._pending = b""
        self._offset = 0

    def read(self, size: int) -> bytes:
        while self._offset >= len(self._pending):
            piece = self._raw.read(self._PIECE)
            if not piece:
                if self._frame is not None and not self._frame.eof:
                    raise EOFError("the zstd frame ends early")
                return b""
            out = []
            while piece:
                if self._frame is None or self._frame.eof:
                    self._frame = self._new()
                out.append(self._frame.decompress(piece))
                piece = self._frame.unused_data if self._frame.eof else b""
            self._pending, self._offset = b"".join(out), 0
        data = self._pending[self._offset:self._offset + size]
        self._offset += len(data)
        return data

    def close(self) -> None:
        self._raw.close()


class _Bounded(io.RawIOBase):
    """A decompressing stream that stops at a byte limit (a decompression bomb guard)."""

    def __init__(self, inner: Any, limit: int) -> None:
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
        except (EOFError, zlib.error, gzip.BadGzipFile) as err:
            raise _FileFailed(f"truncated or corrupt compressed stream ({err})") from err
        except Exception as err:  # zstandard.ZstdError, without importing zstandard for gzip input
            if type(err).__name__ == "ZstdError":
                raise _FileFailed(f"truncated or corrupt compressed stream ({err})") from err
            raise
        self._count += len(data)
        if self._count > self._limit:
            raise _FileFailed(
                f"decompresses past the limit of {self._limit} bytes (max_decompressed_bytes); "
                "raise the limit if the file is genuine"
            )
        return data

    def close(self) -> None:
        self._inner.close()
        super().close()


def _read_bytes(path: Path, compression: str | None, limits: ReadLimits) -> bytes:
    with _open(path, compression, limits) as stream:
        data = stream.read(limits.max_document_bytes + 1)
    if len(data) > limits.max_document_bytes:
        raise _Rejected(f"document is larger than {limits.max_document_bytes} bytes (max_document_bytes)")
    return data


def decode(data: bytes) -> str:
    """Bytes -> text: UTF-8 (a BOM is dropped) or UTF-16/32 with a BOM.

    Raises ``_Rejected`` naming the line of the first invalid byte, and for
    NUL bytes (a binary file behind a text extension); ftfy repairs mojibake
    later, but it cannot repair bytes that are not text at all.
    """
    for bom, codec in ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
                       (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                       (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as err:
                raise _Rejected(f"invalid {codec} text at byte {err.start}") from err
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        raise _Rejected(
            f"invalid UTF-8 at byte {err.start}; convert the file to UTF-8 (e.g. iconv -f cp1252 -t utf-8)",
            line,
        ) from err
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise _Rejected("contains NUL bytes: a binary file, not text", line)
    return text


def _non_empty(text: str, path: Path) -> None:
    if not text.strip():
        raise _Rejected("empty document", doc_id=_stem(path))


def _read_text(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Any]:
    text = decode(_read_bytes(path, compression, limits))
    _non_empty(text, path)
    yield Document(id=_stem(path), text=text, metadata={"format": "text"}), None


def _read_html(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Any]:
    text = decode(_read_bytes(path, compression, limits))
    _non_empty(text, path)
    yield Document(id=_stem(path), text=text, metadata={"format": "html"}), None


def _stem(path: Path) -> str:
    """A file's name without its format and compression extensions."""
    name = path.name
    fmt, compression = detect_format(path)
    for present in (compression, fmt):
        if present:
            name = name.rsplit(".", 1)[0]
    return name


def _read_jsonl(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Any]:
    with _open(path, compression, limits) as stream:
        buffered = io.BufferedReader(stream) if compression else stream
        number = 0
        while True:
            raw = buffered.readline(limits.max_line_bytes + 1)
            if not raw:
                return
            number += 1
            if len(raw) > limits.max_line_bytes and not raw.endswith(b"\n"):
                _skip_rest_of_line(buffered)
                yield _Rejected(f"line is longer than {limits.max_line_bytes} bytes (max_line_bytes)", number)
                continue
            if not raw.strip():
                continue
            try:
                yield _record_to_document(raw, path, number, limits), number
            except _Rejected as rejected:
                yield rejected


def _skip_rest_of_line(stream: IO[bytes]) -> None:
    while True:
        chunk = stream.readline(1 << 20)
        if not chunk or chunk.endswith(b"\n"):
            return


def _record_to_document(raw: bytes, path: Path, number: int, limits: ReadLimits) -> Document:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _Rejected(f"invalid UTF-8 at byte {err.start} of the line", number) from err
    try:
        record = json.loads(line, parse_constant=_no_constant, parse_float=_finite_float)
    except json.JSONDecodeError as err:
        raise _Rejected(f"malformed JSON ({err.msg} at column {err.colno})", number) from err
    except RecursionError as err:
        raise _Rejected("JSON nested too deeply to read", number) from err
    except _NotFinite as err:
        raise _Rejected(f"non-standard JSON number {err} (NaN and infinities cannot be written back)", number) from err
    if not isinstance(record, dict):
        raise _Rejected(f"a JSON {type(record).__name__}, not an object", number)
    if _LONE_SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(record):
        raise _Rejected("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff): not valid Unicode", number)
    doc_id = record.get("id")
    doc_id = f"{_stem(path)}:{number}" if doc_id is None else str(doc_id)
    fmt = "text"
    body = record.get("text")
    if body is None and record.get("html") is not None:
        body, fmt = record.get("html"), "html"
    if body is None:
        raise _Rejected("record has no 'text' or 'html' field", number, doc_id)
    if not isinstance(body, str):
        raise _Rejected(f"'{'html' if fmt == 'html' else 'text'}' is a {type(body).__name__}, not a string", number, doc_id)
    if not body.strip():
        raise _Rejected("empty text", number, doc_id)
    # The raw line bounds the text's UTF-8 size; encode only when it could be over.
    if len(raw) > limits.max_document_bytes and len(body.encode("utf-8")) > limits.max_document_bytes:
        raise _Rejected(f"document is larger than {limits.max_document_bytes} bytes (max_document_bytes)", number, doc_id)
    metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    metadata = {**metadata, **{k: v for k, v in record.items() if k not in _RECORD_FIELDS}}
    metadata["format"] = fmt
    fields = {key: _string_or_none(record.get(key)) for key in ("title", "published", "source", "url", "story")}
    provenance = {key: record.get(key) or [] for key in ("removed", "copies")}
    try:
        return Document.from_json({"id": doc_id, "text": body, **fields, "metadata": metadata, **provenance})
    except (TypeError, ValueError) as err:
        raise _Rejected(f"'removed' or 'copies' is not a list of records as corpus writes them ({err})",
                        number, doc_id) from err


class _NotFinite(ValueError):
    """A JSON number Python reads but JSON cannot hold: NaN, Infinity, 1e400."""


def _no_constant(name: str) -> float:
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(text)
    return value


# A \\uD800-\\uDFFF escape; paired ones decode to one character, a lone one stays a surrogate.
_LONE_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(value: Any) -> bool:
    """Whether any string in a decoded JSON value holds a surrogate (it cannot be written as UTF-8).

    Walked with a stack, not recursion: the value may be nested as deeply as ``json`` allows.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_lone_surrogate(v) for v in value)
    return False


def _string_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


def _read_warc(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Any]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    with open(path, "rb") as raw:
        number = 0
        records = iter(ArchiveIterator(raw))
        while True:
            try:
                record = next(records, None)
            except (ArchiveLoadFailed, EOFError, zlib.error, ValueError) as err:
                raise _FileFailed(f"truncated or corrupt WARC after record {number} ({err})", number) from err
            except Exception as err:  # noqa: BLE001 - warcio fails on some garbage with AttributeError and the like
                raise _FileFailed(f"corrupt WARC after record {number} ({type(err).__name__}: {err})", number) from err
            if record is None:
                return
            if record.rec_type != "response":
                continue
            number += 1
            item = _warc_record_to_document(record, number, limits)
            if item is not None:
                yield item


def _warc_record_to_document(record: Any, number: int, limits: ReadLimits) -> Any:
    headers = record.rec_headers
    doc_id = headers.get_header("WARC-Record-ID") or f"record-{number}"
    url = headers.get_header("WARC-Target-URI")
    content_type = (record.http_headers.get_header("Content-Type") if record.http_headers else None) or ""
    if "html" not in content_type.lower():
        return _Rejected(f"not an HTML response ({content_type or 'no Content-Type'}) for {url}", number, doc_id)
    try:
        body = record.content_stream().read(limits.max_document_bytes + 1)
    except Exception as err:  # noqa: BLE001 - a bad chunked or compressed body raises whatever its decoder raises
        return _Rejected(f"cannot read the response body ({type(err).__name__}: {err})", number, doc_id)
    if len(body) > limits.max_document_bytes:
        return _Rejected(f"document is larger than {limits.max_document_bytes} bytes (max_document_bytes)", number, doc_id)
    if getattr(record.raw_stream, "limit", 0) > 0:
        # warcio ends a record cut short without an error; the records after it are gone too.
        raise _FileFailed(f"truncated WARC: record {number} ends {record.raw_stream.limit} bytes early, "
                          "the records after it are lost", number, doc_id)
    charset = _charset(content_type)
    try:
        text = body.decode(charset) if charset else decode(body)
    except (LookupError, UnicodeDecodeError):
        return _Rejected(f"cannot decode the page as {charset}", number, doc_id)
    except _Rejected as rejected:
        return _Rejected(rejected.reason, number, doc_id)
    if not text.strip():
        return _Rejected("empty document", number, doc_id)
    date = headers.get_header("WARC-Date")
    metadata = {"format": "html", "warc_date": date}
    return Document(id=doc_id, text=text, url=url, published=date[:10] if date else None, metadata=metadata), number


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip("\"'").lower()
    return None


_READERS: dict[str, Callable[[Path, str | None, ReadLimits], Iterator[Any]]] = {
    "text": _read_text,
    "html": _read_html,
    "jsonl": _read_jsonl,
    "warc": _read_warc,
}
