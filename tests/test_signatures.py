"""Signatures equal datasketch's affine32 MinHash, value for value."""

from __future__ import annotations

import datasketch
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.dedup.normalize import tokens
from corpus.dedup.shingles import TokenHasher, distinct_counts, shingle_hash, shingles, token_hash
from corpus.dedup.signatures import CHUNK_VALUES, batch_signatures, fmix32, jaccard, signatures
from test_dedup_texts import seed_texts


def datasketch_signature(toks: list[str], n: int, num_perm: int, seed: int) -> np.ndarray:
    m = datasketch.MinHash(num_perm=num_perm, seed=seed, hashfunc=shingle_hash, scheme="affine32")
    m.update_batch(shingles(toks, n))
    return m.hashvalues


def test_shingle_hashes_match_the_scalar_reference():
    toks = tokens(seed_texts()[0])
    assert TokenHasher().shingle_hashes(toks, 5).tolist() == [shingle_hash(s) for s in shingles(toks, 5)]


@pytest.mark.parametrize("num_perm,seed,n", [(128, 1, 5), (64, 7, 3), (2, 0, 1)])
def test_batch_signatures_equal_datasketch(num_perm, seed, n):
    texts = seed_texts() + ["", "Too short.", "伦敦警察拒绝携带枪支"]
    token_lists = [tokens(t) for t in texts]
    hasher = TokenHasher()
    ours = signatures([hasher.shingle_hashes(t, n) for t in token_lists], num_perm, seed)
    assert ours.dtype == np.uint32 and ours.shape == (len(texts), num_perm)
    for toks, row in zip(token_lists, ours):
        assert np.array_equal(row, datasketch_signature(toks, n, num_perm, seed))


def test_documents_split_across_chunks_equal_datasketch(monkeypatch):
    # Tiny chunks force every document across several chunk boundaries.
    monkeypatch.setattr("corpus.dedup.signatures.CHUNK_VALUES", 16 * 7)
    token_lists = [tokens(t) for t in seed_texts()]
    ours = signatures([TokenHasher().shingle_hashes(t, 5) for t in token_lists], 16, 3)
    for toks, row in zip(token_lists, ours):
        assert np.array_equal(row, datasketch_signature(toks, 5, 16, 3))
    assert CHUNK_VALUES > 16 * 7


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=3), max_size=12), min_size=1, max_size=5))
def test_any_token_lists_equal_datasketch(token_lists):
    ours = signatures([TokenHasher().shingle_hashes(t, 3) for t in token_lists], 8, 1)
    for toks, row in zip(token_lists, ours):
        assert np.array_equal(row, datasketch_signature(toks, 3, 8, 1))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.lists(st.text(alphabet="abcxyz", min_size=1, max_size=3), max_size=9), min_size=1, max_size=6),
    st.integers(1, 5),
)
def test_a_batch_hashes_and_signs_each_document_as_alone(token_lists, n):
    values, counts = TokenHasher().batch_shingle_hashes(token_lists, n)
    split = np.split(values, np.cumsum(counts)[:-1])
    assert [h.tolist() for h in split] == [[shingle_hash(s) for s in shingles(t, n)] for t in token_lists]
    ours = batch_signatures(values, counts, 8, 1)
    for toks, row in zip(token_lists, ours):
        assert np.array_equal(row, datasketch_signature(toks, n, 8, 1))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.integers(0, 2**32 - 1) | st.sampled_from([0, 7, 2**32 - 1]), min_size=1, max_size=12),
                max_size=8))
def test_distinct_counts_are_the_sizes_of_each_documents_shingle_set(hash_lists):
    counts = np.array([len(h) for h in hash_lists], dtype=np.int64)
    values = np.array([v for h in hash_lists for v in h], dtype=np.uint32)
    assert distinct_counts(values, counts).tolist() == [len(set(h)) for h in hash_lists]


def test_fmix32_is_datasketchs_premix():
    from datasketch.minhash import _fmix

    values = np.array([0, 1, 2**31, 2**32 - 1, 123456789], dtype=np.uint32)
    assert np.array_equal(fmix32(values), _fmix(values, 32))


def test_short_and_empty_documents_get_one_whole_text_shingle():
    hasher = TokenHasher()
    assert shingles(["a", "b"], 5) == [("a", "b")]
    assert hasher.shingle_hashes(["a", "b"], 5).tolist() == [shingle_hash(("a", "b"))]
    assert len(hasher.shingle_hashes([], 5)) == 1


def test_a_document_without_shingles_is_refused():
    with pytest.raises(ValueError, match="document 1"):
        signatures([np.array([1], dtype=np.uint32), np.array([], dtype=np.uint32)], 4, 1)


def test_estimated_jaccard_is_the_share_of_equal_values():
    a = np.array([[1, 2, 3, 4]], dtype=np.uint32)
    b = np.array([[1, 2, 0, 0]], dtype=np.uint32)
    assert jaccard(a, b).tolist() == [0.5]


def test_token_cache_stays_bounded_and_hashes_stay_right():
    hasher = TokenHasher(max_cache=3)
    words = ["a", "b", "c", "d", "e"]
    for start in range(len(words)):
        got = hasher.token_hashes(words[start:] + words[:start])
        assert got.tolist() == [token_hash(w) for w in words[start:] + words[:start]]
        assert len(hasher._cache) <= len(words)
    hasher.token_hashes(["x", "y"])
    assert len(hasher._cache) <= 5
