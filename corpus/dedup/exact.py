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
    return joined_key(" ".join(tokens).encode("utf-8"))


def joined_key(joined: bytes | memoryview) -> str:
    """:func:`exact_key` of tokens already joined by single spaces, as UTF-8 bytes (any buffer)."""
    return xxhash.xxh3_128_hexdigest(joined)


def document_key(tokens: Sequence[str], unspaced: bool) -> str:
    """The exact-duplicate key of a tokenized text: the token hash and the shingle kind.

    >>> from corpus.dedup.normalize import tokenize
    >>> document_key(*tokenize("Officers refused.")) == document_key(*tokenize("OFFICERS  refused!"))
    True
    """
    return exact_key(tokens) + kind_suffix(unspaced)


def kind_suffix(unspaced: bool) -> str:
    """What :func:`document_key` appends for the shingle kind: a character and a word text never match."""
    return "/c" if unspaced else "/w"
