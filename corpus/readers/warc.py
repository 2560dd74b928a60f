"""Web archives: HTML responses of a WARC (``.warc``, ``.warc.gz``), text conversions of a WET.

A WARC ``response`` record whose HTTP Content-Type is HTML becomes a page
(``metadata["format"] == "html"``), decoded as a browser would: the HTTP
header's charset, else the page's meta declaration, else detection. A WET
(``.wet``, ``.wet.gz``, Common Crawl's ``.warc.wet.gz``) ``conversion`` record is
page text already extracted (``metadata["format"] == "text"``). Either way the
id is the ``WARC-Record-ID``, the URL the ``WARC-Target-URI`` and the date the
``WARC-Date``; ``line`` in a reject is the record's number among those records.

Other record types (request, metadata, warcinfo...) are not documents and are
passed over. A record cut short, or bytes that are not WARC, end the file with
a reject naming the last record read; the records before it are kept.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from corpus.document import Document
from corpus.readers.streams import FileFailed, Item, ReadLimits, Rejected, decode_input, open_input


def read_warc(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Item]:
    return _records(path, compression, "response", limits, _response_document)


def read_wet(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Item]:
    return _records(path, compression, "conversion", limits, _conversion_document)


def _records(path: Path, compression: str | None, record_type: str, limits: ReadLimits,
             to_document: Callable[[Any, bytes, str], Document]) -> Iterator[Item]:
    from warcio.archiveiterator import ArchiveIterator
    from warcio.exceptions import ArchiveLoadFailed

    # Python's gzip, not warcio's own inflating: warcio ends quietly where a gzip member is cut
    # short, losing the record in it. Read unbuffered, so the bytes before a cut reach warcio
    # before the error does. Records are bounded one by one (max_document_bytes), the file is
    # not: a crawl's WARC is many gigabytes. A ".gz" that is not gzip is read as it is.
    if compression == "gzip" and not _starts_with(path, b"\x1f\x8b"):
        compression = None
    with open_input(path, compression, None) as stream:
        number = 0
        records = iter(ArchiveIterator(stream))
        while True:
            try:
                record = next(records, None)
            except Rejected:
                raise
            except (ArchiveLoadFailed, EOFError, zlib.error, ValueError) as err:
                raise FileFailed(f"truncated or corrupt WARC after record {number} ({err})", number) from err
            except Exception as err:  # noqa: BLE001 - warcio fails on some garbage with AttributeError and the like
                raise FileFailed(f"corrupt WARC after record {number} ({type(err).__name__}: {err})", number) from err
            if record is None:
                return
            if record.rec_type != record_type:
                continue
            number += 1
            doc_id = record.rec_headers.get_header("WARC-Record-ID") or f"record-{number}"
            try:
                body = _body(record, limits)
            except FileFailed:
                raise
            except Rejected as rejected:
                yield Rejected(rejected.reason, number, doc_id)
                continue
            if getattr(record.raw_stream, "limit", 0) > 0:
                # warcio ends a record cut short without an error; the records after it are gone too.
                raise FileFailed(f"truncated WARC: record {number} ends {record.raw_stream.limit} bytes early, "
                                 "the records after it are lost", number, doc_id)
            try:
                yield to_document(record, body, doc_id), number
            except Rejected as rejected:
                yield Rejected(rejected.reason, number, doc_id)


def _starts_with(path: Path, magic: bytes) -> bool:
    with open(path, "rb") as raw:
        return raw.read(len(magic)) == magic


def _body(record: Any, limits: ReadLimits) -> bytes:
    if record.rec_type == "response":
        content_type = _http_content_type(record)
        if "html" not in content_type.lower():
            url = record.rec_headers.get_header("WARC-Target-URI")
            raise Rejected(f"not an HTML response ({content_type or 'no Content-Type'}) for {url}")
    try:
        body = record.content_stream().read(limits.max_document_bytes + 1)
    except FileFailed:
        raise
    except Exception as err:  # noqa: BLE001 - a bad chunked or compressed body raises whatever its decoder raises
        raise Rejected(f"cannot read the record's body ({type(err).__name__}: {err})") from err
    if len(body) > limits.max_document_bytes:
        raise Rejected(f"document is larger than {limits.max_document_bytes} bytes (max_document_bytes)")
    return body


def _http_content_type(record: Any) -> str:
    return (record.http_headers.get_header("Content-Type") if record.http_headers else None) or ""


def _response_document(record: Any, body: bytes, doc_id: str) -> Document:
    decoded = decode_input(body, content_type=_http_content_type(record), html=True)
    return _document(record, doc_id, decoded.text, {"format": "html", **decoded.metadata()})


def _conversion_document(record: Any, body: bytes, doc_id: str) -> Document:
    decoded = decode_input(body, content_type=record.rec_headers.get_header("Content-Type"))
    metadata: dict[str, Any] = {"format": "text", **decoded.metadata()}
    language = record.rec_headers.get_header("WARC-Identified-Content-Language")
    if language:
        metadata["language"] = language
    return _document(record, doc_id, decoded.text, metadata)


def _document(record: Any, doc_id: str, text: str, metadata: dict[str, Any]) -> Document:
    if not text.strip():
        raise Rejected("empty document")
    headers = record.rec_headers
    date = headers.get_header("WARC-Date")
    metadata["warc_date"] = date
    if headers.get_header("WARC-Truncated"):
        metadata["warc_truncated"] = headers.get_header("WARC-Truncated")
    return Document(id=doc_id, text=text, url=headers.get_header("WARC-Target-URI"),
                    published=date[:10] if date else None, metadata=metadata)
