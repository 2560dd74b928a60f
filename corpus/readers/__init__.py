"""Raw inputs -> Documents: plain text, HTML, JSONL (.gz, .zst), WARC, WET and Parquet.

One module per format (:mod:`~corpus.readers.text`, :mod:`~corpus.readers.html`,
:mod:`~corpus.readers.jsonl`, :mod:`~corpus.readers.warc` for WARC and WET,
:mod:`~corpus.readers.parquet`), one for turning bytes into text as a browser
does (:mod:`~corpus.readers.decoding`), and the shared parts: which files are
read in which order (:mod:`~corpus.readers.files`), bounded streams
(:mod:`~corpus.readers.streams`) and id ownership (:mod:`~corpus.readers.ids`).

``read`` walks files and directories in a fixed (sorted) order, so the same
inputs always give the same documents in the same order. The format of a file
comes from its extension unless the caller names one.

Nothing is dropped silently. An input that cannot become a document (bytes
that are not text, a malformed JSON line, a truncated archive, a record
without text, a duplicate id) is handed to ``on_reject`` as a
:class:`~corpus.document.Reject` naming the file and line, and reading goes on
with the next one; with ``strict=True`` the first such input raises
:class:`~corpus.errors.InputError` instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from corpus.document import Document, Reject
from corpus.errors import InputError
from corpus.readers.decoding import Decoded, NotText, decode
from corpus.readers.files import SUPPORTED, detect_format, input_files, walk
from corpus.readers.html import read_html
from corpus.readers.ids import IdOwners
from corpus.readers.jsonl import read_jsonl
from corpus.readers.parquet import read_parquet
from corpus.readers.streams import Reader, ReadLimits, Rejected
from corpus.readers.text import read_text
from corpus.readers.warc import read_warc, read_wet

__all__ = ["FORMATS", "Decoded", "IdOwners", "NotText", "ReadLimits", "RejectHandler", "decode", "detect_format",
           "input_files", "read", "walk", "warn_reject"]

RejectHandler = Callable[[Reject], None]

READERS: dict[str, Reader] = {
    "text": read_text,
    "html": read_html,
    "jsonl": read_jsonl,
    "warc": read_warc,
    "wet": read_wet,
    "parquet": read_parquet,
}
FORMATS = tuple(READERS)


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
            reject(f"unsupported file type; expected {SUPPORTED}", name)
            continue
        try:
            for item in READERS[fmt](path, compression, limits):
                if isinstance(item, Rejected):
                    reject(item.reason, name, item.line, item.doc_id)
                    continue
                doc, line = item
                duplicate = owners.claim_document(doc.id, name, line)
                if duplicate is not None:
                    # The reject carries no id: the id belongs to the record read first.
                    reject(duplicate, name, line)
                    continue
                yield doc
        except Rejected as failed:
            reject(failed.reason, name, failed.line, failed.doc_id)
        except OSError as err:
            reject(f"cannot read file: {err.strerror or err}", name)


def warn_reject(reject: Reject) -> None:
    """The default reject handler: one line on stderr, naming file and line."""
    import sys

    where = reject.path or "<input>"
    if reject.line is not None:
        where += f":{reject.line}"
    print(f"corpus: skipped {where}: {reject.reason}", file=sys.stderr)
