"""Exact duplicates: one hash of a document's normalized token stream.

Two documents with the same key have the same tokens after folding case,
accents, quotes, punctuation and spacing (:mod:`corpus.dedup.normalize`), so
they are the same text for every purpose of dedup: they are merged with
similarity 1.0 without going through MinHash, and only one of them is
signed and indexed.
"""

from __future__ import annotations

from collections.abc import Sequence

import xxhash


def exact_key(tokens: Sequence[str]) -> str:
    """xxh3-128 hex digest of the tokens joined by single spaces.

    Tokens never contain a space, so the join is unambiguous.

    >>> exact_key(["chris", "kaba"]) == exact_key("Chris   KABA!".lower().rstrip("!").split())
    True
    """
    return xxhash.xxh3_128_hexdigest(" ".join(tokens).encode("utf-8"))
