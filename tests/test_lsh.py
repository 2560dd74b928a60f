"""LSH banding and clustering over arrays: the same pairs as datasketch's MinHashLSH, the same components
as merging sets one pair at a time."""

from __future__ import annotations

import random

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHashLSH

import corpus.dedup.lsh as lsh
from corpus.dedup import DedupConfig
from corpus.dedup.clusters import components
from corpus.dedup.batch import token_batch
from corpus.dedup.deduplicator import sign_batch
from corpus.dedup.lsh import band_groups, similar_pair_arrays, similarity
from corpus.dedup.signatures import SCHEME


def datasketch_pairs(signatures, counts, start, threshold, bands, rows, seed):
    """The pairs as found one document at a time: rows before ``start`` inserted, every later one
    querying a datasketch ``MinHashLSH`` of the rows before it, then joining it."""
    index = MinHashLSH(threshold=threshold, num_perm=signatures.shape[1], params=(bands, rows))

    def sketch(i):
        return LeanMinHash(seed=seed, hashvalues=signatures[i], scheme=SCHEME)

    for i in range(start):
        index.insert(i, sketch(i), check_duplication=False)
    pairs = []
    for i in range(start, len(signatures)):
        candidates = np.array(sorted(index.query(sketch(i))), dtype=np.int64)
        if len(candidates):
            sims = similarity(signatures[candidates], counts[candidates], signatures[i], int(counts[i]))
            pairs.extend((int(j), i, float(s)) for j, s in zip(candidates, sims) if s >= threshold)
        index.insert(i, sketch(i), check_duplication=False)
    return sorted(pairs)


def clustered_signatures(n, seed):
    """Signatures of families of related rows over a small value range, so that bands collide often
    (shared buckets, buckets of many rows, pairs near the threshold)."""
    rng = np.random.default_rng(seed)
    families = rng.integers(0, 40, (n // 8, 128)).astype(np.uint32)
    sigs = families[rng.integers(0, len(families), n)]
    changed = rng.random(sigs.shape) < rng.uniform(0.05, 0.6, (n, 1))
    sigs[changed] = rng.integers(0, 50, int(changed.sum())).astype(np.uint32)
    return sigs, rng.integers(3, 500, n).astype(np.uint32)


def text_signatures(n, seed):
    """Signatures of texts: edited copies of a few originals, and unrelated texts, as dedup signs them."""
    rnd = random.Random(seed)
    words = [f"w{k}" for k in range(400)]
    originals = [[rnd.choice(words) for _ in range(rnd.randint(30, 200))] for _ in range(n // 6)]
    texts = []
    for _ in range(n):
        text = list(rnd.choice(originals))
        for _ in range(rnd.randint(0, len(text) // 6)):
            text[rnd.randrange(len(text))] = rnd.choice(words)
        texts.append(" ".join(text[: rnd.randint(len(text) // 2, len(text))]))
    return sign_batch(token_batch(texts), DedupConfig())


def similar_pairs(*args):
    """The pairs as a list of ``(j, i, similarity)``, the form the datasketch reference gives."""
    j, i, sims = similar_pair_arrays(*args)
    return list(zip(j.tolist(), i.tolist(), sims.tolist()))


@pytest.mark.parametrize("bands,rows", [(28, 2), (32, 4), (16, 8)])
@pytest.mark.parametrize("start", [0, 150])
def test_pairs_equal_datasketch_lsh_on_random_signatures(bands, rows, start):
    sigs, counts = clustered_signatures(700, seed=bands + start)
    expected = datasketch_pairs(sigs, counts, start, 0.73, bands, rows, 1)
    assert len(expected) > 50  # the data has pairs to find
    assert similar_pairs(sigs, counts, start, 0.73, bands, rows) == expected


@pytest.mark.parametrize("start", [0, 100])
def test_pairs_equal_datasketch_lsh_on_signatures_of_texts(start):
    sigs, counts = text_signatures(600, seed=start)
    bands, rows = DedupConfig().band_params()
    expected = datasketch_pairs(sigs, counts, start, 0.73, bands, rows, 1)
    assert len(expected) > 50
    assert similar_pairs(sigs, counts, start, 0.73, bands, rows) == expected


def test_bands_whose_mixes_collide_are_still_told_apart(monkeypatch):
    """With a mix that maps every band to one key, each band is grouped exactly instead."""
    sigs, counts = clustered_signatures(400, seed=7)
    expected = datasketch_pairs(sigs, counts, 0, 0.73, 28, 2, 1)
    monkeypatch.setattr(lsh, "_MIX", np.uint64(0))
    order, group = band_groups(sigs[:, :2])
    values = sigs[order, :2]
    assert np.array_equal(np.diff(group) > 0, np.any(values[1:] != values[:-1], axis=1))
    assert similar_pairs(sigs, counts, 0, 0.73, 28, 2) == expected


def test_huge_buckets_are_verified_a_chunk_at_a_time(monkeypatch):
    """Near-copies of one text fill shared buckets; small chunks give the same pairs."""
    sigs, counts = clustered_signatures(300, seed=3)
    sigs[:120] = sigs[0]
    sigs[:120, 64:] = np.arange(120, dtype=np.uint32)[:, None]  # half the values differ: bands 0-31 shared
    expected = datasketch_pairs(sigs, counts, 20, 0.73, 28, 2, 1)
    monkeypatch.setattr(lsh, "PAIR_CHUNK", 97)
    assert similar_pairs(sigs, counts, 20, 0.73, 28, 2) == expected


def test_no_rows_and_base_rows_only():
    empty = np.empty((0, 128), np.uint32)
    assert similar_pairs(empty, np.empty(0, np.uint32), 0, 0.73, 28, 2) == []
    sigs = np.zeros((3, 128), np.uint32)
    assert similar_pairs(sigs, np.full(3, 10, np.uint32), 3, 0.73, 28, 2) == []
    assert similar_pairs(sigs, np.full(3, 10, np.uint32), 2, 0.73, 28, 2) == [(0, 2, 1.0), (1, 2, 1.0)]


def merged_sets(n, edges):
    """Components by merging Python sets one edge at a time."""
    owner = {i: {i} for i in range(n)}
    for a, b in edges:
        if owner[a] is not owner[b]:
            union = owner[a] | owner[b]
            for k in union:
                owner[k] = union
    return sorted({tuple(sorted(s)) for s in owner.values()})


@pytest.mark.parametrize("seed", range(4))
def test_components_are_the_merged_sets_sorted_by_smallest_member(seed):
    rng = np.random.default_rng(seed)
    n = 300
    a, b = rng.integers(0, n, 200), rng.integers(0, n, 200)
    members, starts = components(n, a, b)
    found = [tuple(members[lo:hi].tolist()) for lo, hi in zip(starts[:-1], starts[1:])]
    assert found == merged_sets(n, zip(a.tolist(), b.tolist()))
    assert starts[-1] == n and len(found) < n


def test_components_of_nothing():
    members, starts = components(0, np.empty(0, np.int64), np.empty(0, np.int64))
    assert len(members) == 0 and starts.tolist() == [0]
