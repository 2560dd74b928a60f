"""Cleaned texts -> their tokens as arrays, a batch of documents at once: what exact keys and shingles read.

Per document, one Python step: :func:`.normalize.token_text` folds the text to
bytes in which every run of non-space bytes is a token (on the ASCII fast path,
one ``encode`` and one ``translate``; no string is made per token). Then for
the whole batch at once, in numpy: the documents' bytes are joined by one space,
token boundaries are where a space and a non-space meet, every token is hashed
by :func:`.xxh32.xxh32` (the token hash :func:`.shingles.token_hash` defines),
and each document's exact key is hashed from its tokens joined by single
spaces (the bytes :func:`.exact.document_key` hashes), cut from the batch's
bytes with every run of spaces made one.

The tokens, hashes and keys equal those of :func:`.normalize.tokenize`,
:func:`.shingles.token_hash` and :func:`.exact.document_key` document by
document (tests/test_dedup_batch.py), so a :class:`TokenBatch` gives the same
signatures as the token lists; it is only faster.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from corpus.dedup.exact import joined_key, kind_suffix
from corpus.dedup.normalize import token_text
from corpus.dedup.xxh32 import xxh32

T = TypeVar("T")

_SPACE = 32


def batches(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """``items`` (a stream) cut into lists of ``size`` (the last shorter): what is read a batch at a time."""
    stream = iter(items)
    while batch := list(itertools.islice(stream, size)):
        yield batch


@dataclass(frozen=True)
class TokenBatch:
    """The tokens of a batch of documents.

    ``hashes``: every token's xxh32, document after document; ``lengths[i]``:
    how many tokens document ``i`` has; ``unspaced[i]``: whether its tokens
    are characters (:func:`.normalize.is_unspaced`); ``keys[i]``: its exact key
    (:func:`.exact.document_key`).
    """

    hashes: np.ndarray  # uint32
    lengths: np.ndarray  # int64
    unspaced: np.ndarray  # bool
    keys: list[str]

    def __len__(self) -> int:
        return len(self.lengths)

    def rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(token hashes, lengths)`` of the documents ``rows`` (in that order), as :attr:`hashes` and
        :attr:`lengths` hold them (those very arrays when ``rows`` are all documents in order)."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == len(self) and np.array_equal(rows, np.arange(len(self))):
            return self.hashes, self.lengths  # every document, in order: most batches, no gather
        first = np.cumsum(self.lengths) - self.lengths
        lengths = self.lengths[rows]
        offsets = np.cumsum(lengths) - lengths
        return self.hashes[np.arange(int(lengths.sum())) + np.repeat(first[rows] - offsets, lengths)], lengths


def token_batch(texts: Sequence[str]) -> TokenBatch:
    """The :class:`TokenBatch` of ``texts``.

    >>> batch = token_batch(["Officers refused.", "OFFICERS  refused!", "伦敦警察"])
    >>> batch.lengths.tolist(), batch.unspaced.tolist(), batch.keys[0] == batch.keys[1] != batch.keys[2]
    ([2, 2, 4], [False, False, True], True)
    """
    parts, unspaced = [], []
    for text in texts:
        data, chars = token_text(text)
        parts.append(data)
        unspaced.append(chars)
    # One space between documents and one after the last: every token is followed by a space.
    buf = np.frombuffer(b" ".join(parts) + b" ", dtype=np.uint8)
    sizes = np.fromiter(map(len, parts), dtype=np.int64, count=len(parts))
    doc_starts = np.cumsum(sizes + 1) - (sizes + 1)
    in_token = buf != _SPACE
    # Where a token starts or ends: starts and ends alternate (buf ends with a space, so every
    # start has its end). A bool comparison of neighbours, not an int8 diff: nonzero of bools
    # is 3x faster.
    edge = np.empty(len(buf), dtype=bool)
    edge[0] = in_token[0]
    np.not_equal(in_token[1:], in_token[:-1], out=edge[1:])
    edges = np.flatnonzero(edge)
    starts, ends = edges[0::2], edges[1::2]
    lengths = np.diff(np.append(np.searchsorted(starts, doc_starts), len(starts)))
    hashes = xxh32(buf, starts, ends - starts)
    # Tokens joined by single spaces: every token byte and the first space after it.
    keep = in_token.copy()
    keep[1:] |= in_token[:-1]
    joined = memoryview(buf[keep].tobytes())
    # Where each token starts in `joined`, and (last) where the text would start after it.
    at = np.append(0, np.cumsum(ends - starts + 1))
    first = np.cumsum(lengths) - lengths
    begins_at = at[first]
    ends_at = np.maximum(at[first + lengths] - 1, begins_at)  # without the space after the last token
    keys = [joined_key(joined[lo:hi]) + kind_suffix(u)
            for lo, hi, u in zip(begins_at.tolist(), ends_at.tolist(), unspaced)]
    return TokenBatch(hashes=hashes, lengths=lengths.astype(np.int64), unspaced=np.array(unspaced, dtype=bool), keys=keys)
