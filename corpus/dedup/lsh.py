"""Candidate pairs from datasketch's MinHash LSH, verified before they merge.

Banding (``bands x rows`` values of each signature hashed per band) finds pairs
whose Jaccard similarity is *probably* above the threshold; it also lets
through some pairs well below it. Left alone, one such false positive joins two
unrelated clusters through union-find. So every candidate pair is verified:
its estimated Jaccard similarity (share of equal signature values) must reach
the threshold, or the pair is dropped.

Because of that check, bands and rows are tuned for recall. When not given they
are derived by ``datasketch.MinHashLSH`` itself with weights
:data:`LSH_WEIGHTS` = (false positive 0.1, false negative 0.9). For the default
threshold 0.5 and 128 permutations that gives 32 bands x 4 rows: a pair at
Jaccard 0.5 is a candidate with probability 0.87, at 0.6 with 0.99, at 0.3 with
0.23 and at 0.2 with 0.05 (datasketch's 0.5/0.5 default, 25 x 5, would miss 45%
of the pairs at 0.5). Verifying a candidate costs one comparison of two
signatures, so the extra candidates are cheap.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np
from datasketch import LeanMinHash, MinHashLSH

from corpus.dedup.signatures import SCHEME

LSH_WEIGHTS = (0.1, 0.9)


@lru_cache(maxsize=32)
def band_params(threshold: float, num_perm: int, bands: int | None = None, rows: int | None = None) -> tuple[int, int]:
    """``(bands, rows)``: as given, one derived from the other, or both derived.

    >>> band_params(0.5, 128)
    (32, 4)
    >>> band_params(0.6, 128, bands=16)
    (16, 8)
    """
    if bands is not None and rows is not None:
        return bands, rows
    if bands is not None:
        return bands, num_perm // bands
    if rows is not None:
        return num_perm // rows, rows
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm, weights=LSH_WEIGHTS)
    return lsh.b, lsh.r


def similar_pairs(
    signatures: np.ndarray,
    start: int,
    threshold: float,
    bands: int,
    rows: int,
    seed: int,
    on_query: Callable[[], object] | None = None,
) -> list[tuple[int, int, float]]:
    """Verified similar pairs ``(j, i, similarity)``, ``j < i``, sorted.

    Rows ``0 .. start-1`` of ``signatures`` are indexed but not queried (an
    earlier snapshot, already clustered); every later row queries the index of
    all rows before it, then joins the index. So each pair is found once, and
    the pairs do not depend on the order rows were added in. ``on_query`` is
    called after each query (a progress bar's ``update``).
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
            sims = np.mean(signatures[candidates] == signatures[i], axis=1)
            pairs.extend((int(j), i, float(s)) for j, s in zip(candidates, sims) if s >= threshold)
        lsh.insert(i, m, check_duplication=False)
        if on_query is not None:
            on_query()
    pairs.sort()
    return pairs
