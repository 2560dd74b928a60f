"""HTML files (``.html``, ``.htm``): one page each, read as it is.

The bytes are decoded as a browser decodes them (a BOM, valid UTF-8, the
page's ``<meta charset>``, else detection). ``text`` holds the markup and
``metadata["format"] == "html"`` until the HTML cleaning step extracts the
article from it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from corpus.readers.streams import Item, ReadLimits, decode_input, read_bytes
from corpus.readers.text import whole_file_document


def read_html(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Item]:
    decoded = decode_input(read_bytes(path, compression, limits), html=True)
    yield whole_file_document(path, decoded.text, {"format": "html", **decoded.metadata()}), None
