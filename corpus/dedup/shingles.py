"""Tokens -> 32-bit shingle hashes, one numpy array per document.

A shingle is ``n`` consecutive tokens (words, or characters for unspaced
scripts, see :mod:`corpus.dedup.normalize`). Its hash is a polynomial over the
xxhash32 values of its tokens, modulo 2^32::

    h = BASIS
    for token in shingle:
        h = h * MULTIPLIER + xxh32(token)      # mod 2^32

Each distinct token is hashed once (:class:`TokenHasher` caches it), and the
polynomial is evaluated for all shingles of a document at once with ``n`` numpy
operations over shifted views of the token-hash array, instead of building and
hashing one string per shingle. :func:`shingle_hash` is the same function for
one shingle, for reference and as a ``hashfunc`` for ``datasketch.MinHash``.

The polynomial alone is not a good mix (its low bits depend only on low bits),
which is fine here: the "affine32" MinHash scheme pre-mixes every input with the
MurmurHash3 finalizer before permuting it.

Short documents: a document with fewer than ``n`` tokens gets exactly one
shingle, all of its tokens (an empty document: the empty shingle, hash
``BASIS``). So every document has a signature, and two short documents match
only when their whole token streams are equal.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xxhash

#: Start value of the polynomial (non-zero, so that leading zero-hash tokens
#: still change the value and the empty shingle has a fixed, odd hash).
BASIS = 0x811C9DC5
#: Odd multiplier (the 32-bit golden ratio), so each step is a bijection.
MULTIPLIER = 0x9E3779B1

_BASIS = np.uint32(BASIS)
_MULTIPLIER = np.uint32(MULTIPLIER)
_MASK = (1 << 32) - 1


def token_hash(token: str) -> int:
    """xxhash32 (seed 0) of the token's UTF-8 bytes."""
    return xxhash.xxh32_intdigest(token.encode("utf-8"))


def shingle_hash(shingle: Sequence[str]) -> int:
    """The 32-bit hash of one shingle (a sequence of tokens).

    The scalar reference of :meth:`TokenHasher.shingle_hashes`; usable as
    ``datasketch.MinHash(hashfunc=shingle_hash, scheme="affine32")``.
    """
    h = BASIS
    for token in shingle:
        h = (h * MULTIPLIER + token_hash(token)) & _MASK
    return h


def shingles(tokens: Sequence[str], n: int) -> list[tuple[str, ...]]:
    """The shingles of a token stream as tuples (reference; slow on purpose).

    >>> shingles(["a", "b", "c"], 2)
    [('a', 'b'), ('b', 'c')]
    >>> shingles(["a"], 2)
    [('a',)]
    """
    if len(tokens) < n:
        return [tuple(tokens)]
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


class TokenHasher:
    """Hashes tokens once each and turns token streams into shingle hashes.

    The cache holds one entry per distinct token; news vocabularies are small
    (a few hundred thousand words) but the cache is cleared when it reaches
    ``max_cache`` entries so memory stays bounded on any input.
    """

    def __init__(self, max_cache: int = 2_000_000) -> None:
        self.max_cache = max_cache
        self._cache: dict[str, int] = {}

    def token_hashes(self, tokens: Sequence[str]) -> np.ndarray:
        """uint32 hash of each token, in order."""
        cache = self._cache
        try:
            # map() over the dict's own __getitem__ runs in C: 2x a Python loop.
            return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint32, count=len(tokens))
        except KeyError:
            pass
        missing = set(tokens).difference(cache)
        if len(cache) + len(missing) > self.max_cache:
            cache.clear()
            missing = set(tokens)
        for token in missing:
            cache[token] = token_hash(token)
        return np.fromiter(map(cache.__getitem__, tokens), dtype=np.uint32, count=len(tokens))

    def shingle_hashes(self, tokens: Sequence[str], n: int) -> np.ndarray:
        """uint32 hash of every shingle of ``tokens`` (at least one), in order."""
        t = self.token_hashes(tokens)
        width = max(len(t) - n + 1, 1)
        span = min(n, len(t))
        h = np.full(width, _BASIS, dtype=np.uint32)
        for j in range(span):
            h *= _MULTIPLIER
            h += t[j : j + width]
        return h
