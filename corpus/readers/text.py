"""Plain-text files (``.txt``, ``.md``): one document each, its id the file's stem.

The bytes are decoded as :mod:`corpus.readers.decoding` says (a BOM, valid
UTF-8, else detection), so a file saved in windows-1252 or gbk is read, not
rejected; the encoding goes to ``metadata["encoding"]``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from corpus.document import Document
from corpus.readers.files import stem
from corpus.readers.streams import Item, ReadLimits, Rejected, decode_input, read_bytes


def read_text(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Item]:
    decoded = decode_input(read_bytes(path, compression, limits))
    yield whole_file_document(path, decoded.text, {"format": "text", **decoded.metadata()}), None


def whole_file_document(path: Path, text: str, metadata: dict[str, object]) -> Document:
    """The document a whole file holds; an empty one is rejected."""
    if not text.strip():
        raise Rejected("empty document", doc_id=stem(path))
    return Document(id=stem(path), text=text, metadata=metadata)
