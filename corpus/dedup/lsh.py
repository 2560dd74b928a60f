"""Candidate pairs from datasketch's MinHash LSH, verified before they merge.

Banding (``bands x rows`` values of each signature hashed per band) finds pairs
whose Jaccard similarity is *probably* high enough; it also lets through some
pairs well below it. Left alone, one such false positive joins two unrelated
clusters through union-find. So every candidate pair is verified: its
:func:`similarity` -- the estimated containment of the shorter document's
shingle set in the other's, from the MinHash Jaccard and the two set sizes --
must reach the threshold, or the pair is dropped. Containment because
syndicated copies are cut: a copy that is its original's first half is wholly
inside it, at Jaccard 0.5.

Because of that check, bands and rows are tuned for recall. When not given they
are derived by ``datasketch.MinHashLSH`` itself with weights
:data:`LSH_WEIGHTS` = (false positive 0.1, false negative 0.9), for the Jaccard
of a copy at the threshold that is half as long as the other text
(:func:`half_length_jaccard`). For the default threshold 0.73 and 128
permutations that is Jaccard 0.32 and 28 bands x 2 rows: a pair at Jaccard 0.32
is a candidate with probability 0.95, at 0.5 with 1.00, at 0.2 with 0.68.
Verifying a candidate costs one comparison of two signatures, so the extra
candidates are cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from corpus.dedup.review import CandidateReview
from corpus.dedup.signatures import SCHEME

LSH_WEIGHTS = (0.1, 0.9)


@lru_cache(maxsize=32)
def band_params(threshold: float, num_perm: int, bands: int | None = None, rows: int | None = None) -> tuple[int, int]:
    """``(bands, rows)``: as given, one derived from the other, or both derived.

    >>> band_params(0.73, 128)
    (28, 2)
    >>> band_params(0.6, 128, bands=16)
    (16, 8)
    """
    if bands is not None and rows is not None:
        return bands, rows
    if bands is not None:
        return bands, num_perm // bands
    if rows is not None:
        return num_perm // rows, rows
    lsh = MinHashLSH(threshold=half_length_jaccard(threshold), num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def half_length_jaccard(threshold: float) -> float:
    """The Jaccard of a copy at containment ``threshold`` in a text twice its length: ``t / (3 - t)``.

    Banding is tuned to find pairs down to it, so a copy cut to half its original
    is still a candidate.

    >>> round(half_length_jaccard(0.72), 3)
    0.316
    """
    return threshold / (3.0 - threshold)


def containment(jaccard: np.ndarray, size_a: np.ndarray, size_b: np.ndarray) -> np.ndarray:
    """Estimated containment of the smaller shingle set in the other, from their Jaccard and sizes.

    ``|A & B| = J (|A| + |B|) / (1 + J)``, and containment is ``|A & B| / min(|A|, |B|)``
    (capped at 1: an estimated Jaccard can overshoot). Equal sizes give ``2J / (1 + J)``;
    a cut copy that is half its original, all of it in it, has J 0.5 and containment 1.

    >>> float(containment(np.float64(0.5), np.float64(100), np.float64(200)))
    1.0
    >>> round(float(containment(np.float64(0.6), np.float64(100), np.float64(100))), 3)
    0.75
    """
    j = np.asarray(jaccard, dtype=np.float64)
    a, b = np.asarray(size_a, dtype=np.float64), np.asarray(size_b, dtype=np.float64)
    inter = j * (a + b) / (1.0 + j)
    return np.minimum(1.0, inter / np.maximum(1.0, np.minimum(a, b)))


def similarity(signatures: np.ndarray, counts: np.ndarray, signature: np.ndarray, count: int) -> np.ndarray:
    """The similarity two documents are merged by: estimated containment of the shorter.

    ``signatures`` (k, num_perm) and their shingle-set sizes ``counts`` against
    one ``signature`` of ``count`` shingles. Every engine verifies candidates
    with this function.
    """
    jaccard = np.mean(signatures == signature, axis=-1)
    return containment(jaccard, counts, np.full(np.shape(jaccard), count))


def similar_pairs(
    signatures: np.ndarray,
    counts: np.ndarray,
    start: int,
    threshold: float,
    bands: int,
    rows: int,
    seed: int,
    on_query: Callable[[], object] | None = None,
    review: CandidateReview | None = None,
) -> list[tuple[int, int, float]]:
    """Verified similar pairs ``(j, i, similarity)``, ``j < i``, sorted.

    ``counts[i]`` is the size of row ``i``'s shingle set; a candidate pair is
    kept when its :func:`similarity` reaches ``threshold``. Rows ``0 .. start-1``
    of ``signatures`` are indexed but not queried (an earlier snapshot, already
    clustered); every later row queries the index of all rows before it, then
    joins the index. So each pair is found once, and the pairs do not depend on
    the order rows were added in. ``on_query`` is called after each query (a
    progress bar's ``update``). ``review``, if given, is fed every verified
    candidate, merged or not.
    """
    num_perm = signatures.shape[1]
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, params=(bands, rows))

    def sketch(i: int) -> LeanMinHash:
        return LeanMinHash(seed=seed, hashvalues=signatures[i], scheme=SCHEME)

    pairs: list[tuple[int, int, float]] = []
    with lsh.insertion_session() as session:
        for i in range(start):
            session.insert(i, sketch(i), check_duplication=False)
    for i in range(start, len(signatures)):
        m = sketch(i)
        candidates = np.array(sorted(lsh.query(m)), dtype=np.int64)
        if len(candidates):
            sims = similarity(signatures[candidates], counts[candidates], signatures[i], int(counts[i]))
            pairs.extend((int(j), i, float(s)) for j, s in zip(candidates, sims) if s >= threshold)
            if review is not None:
                review.add(candidates, np.full(len(candidates), i), sims)
        lsh.insert(i, m, check_duplication=False)
        if on_query is not None:
            on_query()
    pairs.sort()
    return pairs
