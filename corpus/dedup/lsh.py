"""Candidate pairs by MinHash LSH banding, verified before they merge.

Banding (``bands x rows`` values of each signature hashed per band) finds pairs
whose Jaccard similarity is *probably* high enough; it also lets through some
pairs well below it. Left alone, one such false positive joins two unrelated
clusters through connected components. So every candidate pair is verified: its
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

The candidates are datasketch ``MinHashLSH``'s (same buckets: equal band
values), found for the whole signature matrix at once: per band, sort the rows
by their band, and the runs of equal bands are the buckets. No per-document
insert or query.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
from datasketch import MinHashLSH

from corpus.dedup.review import CandidateReview

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
    jaccard = _share_equal(signatures == signature)
    return containment(jaccard, counts, np.full(np.shape(jaccard), count))


def _share_equal(equal: np.ndarray) -> np.ndarray:
    """The share of True along the last axis: ``np.mean``'s values (an exact count over
    ``num_perm``), without converting every comparison to float64 first (a quarter of
    verifying's time at 100k documents)."""
    return np.add.reduce(equal.view(np.uint8), axis=-1, dtype=np.uint32) / np.float64(equal.shape[-1])


#: Candidate pairs generated, deduplicated and verified per step: bounds memory
#: (two gathered signature rows per pair, 1 KiB at 128 permutations, so 64 MiB)
#: whatever the bucket sizes. A bucket of k rows gives k(k-1)/2 pairs, as many as
#: datasketch's queries return for it (exact duplicates are one row already);
#: here they are only never all held at once.
PAIR_CHUNK = 1 << 16

_MIX = np.uint64(0x9E3779B97F4A7C15)


def band_groups(band: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rows of one band ``(n, rows)`` grouped by equal values: ``(order, group)``.

    ``order`` sorts the rows so that equal bands are adjacent; ``group[k]`` numbers
    the bucket of row ``order[k]`` (non-decreasing). Buckets are exact, as
    datasketch's (it keys a bucket by the band's bytes): rows are sorted by the
    top ``64 - log2(n)`` bits of a 64-bit mix of their values, and if two
    different bands ever share them (a collision, about ``n^3 / 2^65``: at a
    million rows, once in 37,000 bands) the band is sorted exactly, column by
    column, instead. Measured at 100k rows x 2 values: 13 ms a band,
    against 29 ms for an exact ``np.lexsort``.
    """
    n, rows = band.shape
    # Column by column, each a contiguous copy: gathering rows of the band (a strided view of
    # the signature matrix) and comparing them along a short axis was most of the time here.
    columns = [np.ascontiguousarray(band[:, c]) for c in range(rows)]
    key = np.zeros(n, dtype=np.uint64)
    for column in columns:
        key ^= column.astype(np.uint64)
        key *= _MIX
        key ^= key >> np.uint64(29)
    # Sort by (mix, row) in one uint64: the mix's top bits and the row number below
    # them, so every value is distinct and the order is the stable order of the mix,
    # whatever sort numpy runs (np.sort is 8x faster than a stable argsort here).
    shift = np.uint64(max(int(n - 1).bit_length(), 1))
    packed = np.sort(((key >> shift) << shift) | np.arange(n, dtype=np.uint64))
    order = (packed & ((np.uint64(1) << shift) - np.uint64(1))).astype(np.int64)
    top = packed >> shift
    differs = _neighbours_differ(columns, order)
    if np.any(differs & (top[1:] == top[:-1])):
        order = np.lexsort(band.T[::-1])
        differs = _neighbours_differ(columns, order)
    group = np.zeros(n, dtype=np.int64)
    group[1:] = np.cumsum(differs)
    return order, group


def _neighbours_differ(columns: list[np.ndarray], order: np.ndarray) -> np.ndarray:
    """Whether the band of row ``order[k + 1]`` differs from that of row ``order[k]``, for every ``k``."""
    differs = np.zeros(max(len(order) - 1, 0), dtype=bool)
    for column in columns:
        values = column[order]
        differs |= values[1:] != values[:-1]
    return differs


def _bucket_pairs(group: np.ndarray, limit: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Every pair ``(p, q)``, ``p < q``, of sorted positions in one bucket (equal ``group``),
    in chunks of about ``limit`` pairs (at most ``limit + len(group)``)."""
    n = len(group)
    ends = np.searchsorted(group, group, side="right")  # one past each position's bucket
    partners = ends - np.arange(n) - 1
    done = np.cumsum(partners)  # pairs of the positions up to each one
    lo = 0
    while lo < n:
        before = int(done[lo - 1]) if lo else 0
        hi = max(lo + 1, int(np.searchsorted(done, before + limit, side="right")))
        k = partners[lo:hi]
        left = np.repeat(np.arange(lo, hi), k)
        offset = np.arange(len(left)) - np.repeat(np.cumsum(k) - k, k)
        yield left, left + 1 + offset
        lo = hi


#: Pairs whose signature rows are gathered and compared at once in :func:`pair_similarity`:
#: the two gathered blocks (2 MiB at 128 permutations) stay in a core's cache. Measured on
#: the 100k benchmark's signatures: 260 ns a pair, against 510 ns for 65,536 pairs at once.
VERIFY_BLOCK = 1 << 12


def pair_similarity(signatures: np.ndarray, counts: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """:func:`similarity` of the row pairs ``(a[k], b[k])``, all at once (same values), a block of
    :data:`VERIFY_BLOCK` pairs at a time."""
    a, b = np.asarray(a), np.asarray(b)
    jaccard = np.empty(len(a), dtype=np.float64)
    for lo in range(0, len(a), VERIFY_BLOCK):
        hi = lo + VERIFY_BLOCK
        jaccard[lo:hi] = _share_equal(signatures[a[lo:hi]] == signatures[b[lo:hi]])
    return containment(jaccard, counts[a], counts[b])


def similar_pair_arrays(
    signatures: np.ndarray,
    counts: np.ndarray,
    start: int,
    threshold: float,
    bands: int,
    rows: int,
    on_query: Callable[[int], object] | None = None,
    review: CandidateReview | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Verified similar pairs as arrays ``(j, i, similarity)``, ``j < i``, sorted by ``(j, i)``.

    ``counts[i]`` is the size of row ``i``'s shingle set; a candidate pair is
    kept when its :func:`similarity` reaches ``threshold``. Rows ``0 .. start-1``
    of ``signatures`` are indexed but not queried (an earlier snapshot, already
    clustered); every later row is a candidate with every row before it that
    shares one of its bands. So each pair is found once, and the pairs do not
    depend on the order rows were added in: the pairs a ``datasketch.MinHashLSH``
    of ``(bands, rows)`` returns when each later row queries the rows before it
    and then joins them. ``on_query(k)`` is told of ``k`` more rows done (a
    progress bar's ``update``). ``review``, if given, is fed every verified
    candidate, merged or not.

    For each band, rows are grouped by equal band values (:func:`band_groups`);
    every pair in a bucket, but for pairs of two base rows, is a candidate. A pair
    is counted in the first band it shares only (its bucket ids differ in every
    earlier band), so it is verified once without holding the candidates of all
    bands; candidates are verified a chunk at a time (:data:`PAIR_CHUNK`).
    """
    n = len(signatures)
    # Bucket numbers as int32 (fewer bytes to gather when checking earlier bands) while they fit.
    groups = np.empty((bands, n), dtype=np.int32 if n < 2**31 else np.int64)
    found: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    for b in range(bands):
        order, group = band_groups(signatures[:, b * rows:(b + 1) * rows])
        groups[b, order] = group
        shared = np.zeros(n, dtype=bool)  # sorted positions whose bucket has two or more rows
        same = group[1:] == group[:-1]
        shared[1:] |= same
        shared[:-1] |= same
        pos = np.flatnonzero(shared)
        for left, right in _bucket_pairs(group[pos], PAIR_CHUNK):
            ra, rb = order[pos[left]], order[pos[right]]
            j, i = np.minimum(ra, rb), np.maximum(ra, rb)
            if start:  # base rows: only pairs with a queried row (without them, every pair has one)
                keep = i >= start
                j, i = j[keep], i[keep]
            for earlier in groups[:b]:  # drop pairs an earlier band found, checking only those left
                if not len(j):
                    break
                keep = earlier[j] != earlier[i]
                j, i = j[keep], i[keep]
            sims = pair_similarity(signatures, counts, j, i)
            if review is not None:
                review.add(j, i, sims)
            similar = sims >= threshold
            found.append((j[similar], i[similar], sims[similar]))
        if on_query is not None:
            on_query((b + 1) * (n - start) // bands - b * (n - start) // bands)
    if not found:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64)
    j, i, sims = (np.concatenate(parts) for parts in zip(*found))
    ranked = np.lexsort((i, j))
    return j[ranked], i[ranked], sims[ranked]
