"""What dedup holds of each document instead of the document: a few compact columns, and spilled shingles.

Dedup sees every document before it can decide anything (candidate pairs link
any two), but what it needs of a document once it has signed it is small: its
id, what the keep policy compares (raw length, source, date; the url for the
provenance records), and its MinHash signature. :class:`DocumentColumns` holds
those, a document a row, with sources and dates as small integer codes
(outlets and days repeat), so that the memory of a run grows by about the
signature (4 bytes x ``num_perm``) a document, never by its text.
:class:`GrowingRows` is an array that grows without being copied (the
signatures, added a batch at a time). The corroborated lengths of clusters of
three or more (:mod:`.keep`) need their members' shingle hashes once the
clusters are known: they are written as the documents are signed to a
:class:`ShingleSpill`, a temporary file (4 bytes a shingle), and read back a
chunk of clusters at a time.
"""

from __future__ import annotations

import os
import tempfile
from array import array
from pathlib import Path

import numpy as np

from corpus.dedup.keep import Member
from corpus.document import Copy, Document


class _Codes:
    """Values that repeat (sources, dates) as an integer code per row and one table of the distinct values."""

    def __init__(self) -> None:
        self.values: list[str | None] = []
        self._code: dict[str | None, int] = {}
        self.codes = array("i")

    def add(self, value: str | None) -> None:
        code = self._code.get(value)
        if code is None:
            code = self._code[value] = len(self.values)
            self.values.append(value)
        self.codes.append(code)

    def __getitem__(self, row: int) -> str | None:
        return self.values[self.codes[row]]


class DocumentColumns:
    """Per input document, in input order: what dedup keeps of it after signing it (no text).

    ``copies`` holds the provenance a document came in with (one read back
    from a snapshot), for the few that have any.
    """

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.urls: list[str | None] = []
        self.lengths = array("q")
        self.sources = _Codes()
        self.published = _Codes()
        self.copies: dict[int, list[Copy]] = {}

    def add(self, doc: Document) -> None:
        if doc.copies:
            self.copies[len(self.ids)] = list(doc.copies)
        self.ids.append(doc.id)
        self.urls.append(doc.url)
        self.lengths.append(len(doc.text))
        self.sources.add(doc.source)
        self.published.add(doc.published)

    def __len__(self) -> int:
        return len(self.ids)

    def member(self, row: int, order: int) -> Member:
        """Document ``row`` as the keep policy sees it, with ``order`` as its position."""
        return Member(id=self.ids[row], source=self.sources[row], url=self.urls[row], published=self.published[row],
                      length=self.lengths[row], order=order)


class GrowingRows:
    """A 2-D array of ``width`` columns, rows appended a block at a time, grown in place.

    ``ndarray.resize`` reallocates, which the C library does for large blocks
    by remapping pages rather than copying them, so the rows are never held
    twice (``np.vstack`` of the blocks would hold them twice at its peak).
    """

    def __init__(self, width: int, dtype: type) -> None:
        self._rows = np.empty((1024, width), dtype=dtype)
        self._count = 0

    def append(self, block: np.ndarray) -> None:
        need = self._count + len(block)
        if need > len(self._rows):
            self._rows.resize((max(need, 2 * len(self._rows)), self._rows.shape[1]), refcheck=False)
        self._rows[self._count : need] = block
        self._count = need

    def array(self) -> np.ndarray:
        """The rows appended, trimmed to them (the object gives its memory to the array: append no more)."""
        self._rows.resize((self._count, self._rows.shape[1]), refcheck=False)
        rows, self._rows = self._rows, np.empty((0, self._rows.shape[1]), dtype=self._rows.dtype)
        return rows


def expand_rows(rows: np.ndarray, source_row: np.ndarray) -> np.ndarray:
    """``rows[source_row]`` computed in place: ``rows`` grown to ``len(source_row)`` rows, each row ``k`` made
    row ``source_row[k]`` of the old ones, without a second copy of them.

    Needs ``source_row[k] <= k`` (a document's exact-duplicate representative
    comes first): filling from the last row down, every row read is still an
    old one when it is read. ``rows`` must own its memory and is consumed.
    """
    n, width = len(source_row), rows.shape[1]
    if np.any(source_row > np.arange(n)):
        raise ValueError("expand_rows needs source_row[k] <= k")
    if n == len(rows) and np.array_equal(source_row, np.arange(n)):
        return rows
    rows.resize((n, width), refcheck=False)
    step = 4096
    for hi in range(n, 0, -step):
        lo = max(0, hi - step)
        rows[lo:hi] = rows[source_row[lo:hi]]  # the right side is gathered before any row is written
    return rows


class ShingleSpill:
    """The shingle hashes of documents, one row after the other, in a temporary file, read back a row at a time.

    Rows are appended as documents are signed (:meth:`add`) and read in any
    order (:meth:`get`); the file lives in ``directory`` (the run's work
    directory, else the system's temporary one) and is gone once closed.
    """

    def __init__(self, directory: str | Path | None = None) -> None:
        self._file = tempfile.TemporaryFile(dir=directory, prefix="dedup-shingles-")
        self._at = array("q")
        self._count = array("q")
        self._end = 0

    def add(self, hashes: np.ndarray) -> None:
        """The next row's shingle hashes."""
        data = np.ascontiguousarray(hashes, dtype=np.uint32)
        self._file.write(data.tobytes())
        self._at.append(self._end)
        self._count.append(len(data))
        self._end += data.nbytes

    def get(self, row: int) -> np.ndarray:
        if not 0 <= row < len(self._at):
            raise KeyError(f"no shingles were spilled for row {row}")
        self._file.flush()
        data = os.pread(self._file.fileno(), self._count[row] * 4, self._at[row])
        return np.frombuffer(data, dtype=np.uint32)

    def __len__(self) -> int:
        return len(self._at)

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> ShingleSpill:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
