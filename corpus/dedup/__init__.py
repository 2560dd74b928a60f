"""Near-duplicate detection: keep one copy of each story, know every place it ran.

Runs on cleaned ``Document.text``. The pieces, one idea per module:
:mod:`.normalize` (text -> tokens), :mod:`.exact` (exact-duplicate key),
:mod:`.batch` (a batch of texts -> token hashes and exact keys, as arrays),
:mod:`.xxh32` (the token hash, vectorized), :mod:`.shingles` (token hashes ->
shingle hashes), :mod:`.signatures` (MinHash,
equal to datasketch's "affine32"), :mod:`.lsh` (verified candidate pairs),
:mod:`.clusters` (connected components), :mod:`.keep` (representative policies),
:mod:`.story` (related coverage), :mod:`.config` (settings and defaults),
:mod:`.deduplicator` (the step that puts them together).

    >>> from corpus.dedup import Deduplicator, DedupConfig
    >>> result = Deduplicator(DedupConfig(keep="earliest")).run(documents)  # doctest: +SKIP
    >>> result.kept, result.merged, result.clusters  # doctest: +SKIP
"""

from corpus.dedup.config import DedupConfig
from corpus.dedup.deduplicator import BaseIndex, DedupResult, Deduplicator, Merged, Signatures
from corpus.dedup.keep import POLICIES, Member
from corpus.dedup.story import stories

__all__ = ["BaseIndex", "DedupConfig", "DedupResult", "Deduplicator", "Member", "Merged", "POLICIES", "Signatures", "stories"]
