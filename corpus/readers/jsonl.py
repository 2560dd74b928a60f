"""JSON Lines (``.jsonl``, ``.ndjson``; ``.gz``, ``.zst``): one record a line.

Fields map onto the document as :mod:`corpus.readers.records` says; a record
without ``id`` is ``<stem>:<line>``. A blank line is not a record. JSON text is
UTF-8 by its standard (RFC 8259), so a line that is not is rejected, as are
malformed JSON, NaN and infinities (they cannot be written back), lone
surrogates (not Unicode) and lines over ``max_line_bytes``.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from corpus.document import Document
from corpus.readers.files import stem
from corpus.readers.records import record_to_document
from corpus.readers.streams import Item, ReadLimits, Rejected, open_input


def read_jsonl(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Item]:
    with open_input(path, compression, limits.max_decompressed_bytes) as stream:
        buffered = io.BufferedReader(stream) if compression else stream
        name = stem(path)  # once a file: it parses the suffixes (a quarter of reading a line)
        number = 0
        while True:
            raw = buffered.readline(limits.max_line_bytes + 1)
            if not raw:
                return
            number += 1
            if len(raw) > limits.max_line_bytes and not raw.endswith(b"\n"):
                _skip_rest_of_line(buffered)
                yield Rejected(f"line is longer than {limits.max_line_bytes} bytes (max_line_bytes)", number)
                continue
            if not raw.strip():
                continue
            try:
                yield _line_to_document(raw, name, number, limits), number
            except Rejected as rejected:
                yield rejected


def _skip_rest_of_line(stream: IO[bytes]) -> None:
    while True:
        chunk = stream.readline(1 << 20)
        if not chunk or chunk.endswith(b"\n"):
            return


def _line_to_document(raw: bytes, name: str, number: int, limits: ReadLimits) -> Document:
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise Rejected(f"invalid UTF-8 at byte {err.start} of the line (JSON text is UTF-8)", number) from err
    try:
        if line.startswith("\ufeff"):  # what json.loads says of it
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", line, 0)
        record = _DECODER.decode(line)
    except json.JSONDecodeError as err:
        raise Rejected(f"malformed JSON ({err.msg} at column {err.colno})", number) from err
    except RecursionError as err:
        raise Rejected("JSON nested too deeply to read", number) from err
    except _NotFinite as err:
        raise Rejected(f"non-standard JSON number {err} (NaN and infinities cannot be written back)", number) from err
    if not isinstance(record, dict):
        raise Rejected(f"a JSON {type(record).__name__}, not an object", number)
    if _LONE_SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(record):
        raise Rejected("a string holds a lone UTF-16 surrogate (\\ud800-\\udfff): not valid Unicode", number)
    return record_to_document(record, f"{name}:{number}", number, limits)


class _NotFinite(ValueError):
    """A JSON number Python reads but JSON cannot hold: NaN, Infinity, 1e400."""


def _no_constant(name: str) -> float:
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _NotFinite(text)
    return value


#: One decoder for every line (``json.loads`` with hooks builds a decoder and its scanner a call).
_DECODER = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)

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
