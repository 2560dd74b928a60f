"""Token batches: the same tokens, token hashes, exact keys and signatures as the per-document definitions."""

from __future__ import annotations

import sys

import datasketch
import numpy as np
import xxhash
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.clean.encoding import has_utf8_mojibake
from corpus.dedup import DedupConfig
from corpus.dedup.batch import token_batch
from corpus.dedup.deduplicator import sign_batch
from corpus.dedup.exact import document_key
from corpus.dedup.normalize import _readable, tokenize
from corpus.dedup.shingles import shingle_hash, shingles, token_hash
from corpus.dedup.xxh32 import xxh32
from test_dedup_normalize import ALPHABET
from test_dedup_texts import UNRELATED, mojibake, seed_texts, syndicated_copy

TEXTS = (seed_texts() + [syndicated_copy(t) for t in seed_texts()] + [mojibake(t) for t in seed_texts()]
         + list(UNRELATED.values())
         + ["", " \n ", "a", "伦敦警察拒绝携带枪支，警察局长说。", "Сергей Иванов, 24", "Café “Kaba” — ½ of £24_000",
            "x" * 40 + " " + "é" * 17, "ไทย ข่าว วันนี้"])


def assert_batch_is_per_document(texts: list[str]) -> None:
    batch = token_batch(texts)
    expected = [tokenize(t) for t in texts]
    assert batch.lengths.tolist() == [len(toks) for toks, _ in expected]
    assert batch.unspaced.tolist() == [unspaced for _, unspaced in expected]
    assert batch.keys == [document_key(toks, unspaced) for toks, unspaced in expected]
    assert batch.hashes.tolist() == [token_hash(tok) for toks, _ in expected for tok in toks]


def test_a_batch_has_each_documents_tokens_keys_and_hashes():
    assert_batch_is_per_document(TEXTS)
    assert_batch_is_per_document([])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join), max_size=6))
def test_any_texts_batch_as_they_tokenize_alone(texts):
    assert_batch_is_per_document(texts)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(max_size=70), max_size=20))
def test_xxh32_of_many_strings_is_xxhash(strings):
    lengths = np.array([len(s) for s in strings], dtype=np.int64)
    got = xxh32(np.frombuffer(b"".join(strings), dtype=np.uint8), np.cumsum(lengths) - lengths, lengths)
    assert got.tolist() == [xxhash.xxh32_intdigest(s) for s in strings]


def test_rows_of_a_batch_are_those_documents_token_hashes():
    batch = token_batch(TEXTS)
    rows = np.array([5, 0, len(TEXTS) - 1, 3])
    hashes, lengths = batch.rows(rows)
    per_doc = np.split(batch.hashes, np.cumsum(batch.lengths)[:-1])
    assert lengths.tolist() == batch.lengths[rows].tolist()
    assert hashes.tolist() == [h for r in rows for h in per_doc[r].tolist()]
    for rows in (np.arange(len(TEXTS)), np.arange(1, len(TEXTS)), np.arange(len(TEXTS))[::-1]):
        hashes, lengths = batch.rows(rows)
        assert lengths.tolist() == batch.lengths[rows].tolist()
        assert hashes.tolist() == [h for r in rows for h in per_doc[r].tolist()]


def test_batch_signatures_equal_datasketch_minhash_of_the_shingles():
    cfg = DedupConfig(num_perm=32, ngram=4, char_ngram=3, seed=5)
    sigs, sizes = sign_batch(token_batch(TEXTS), cfg)
    for text, sig, size in zip(TEXTS, sigs, sizes):
        toks, unspaced = tokenize(text)
        grams = shingles(toks, cfg.char_ngram if unspaced else cfg.ngram)
        m = datasketch.MinHash(num_perm=cfg.num_perm, seed=cfg.seed, hashfunc=shingle_hash, scheme="affine32")
        m.update_batch(grams)
        assert np.array_equal(sig, m.hashvalues)
        assert size == len({shingle_hash(g) for g in grams})


def test_signing_does_not_depend_on_batching_or_on_the_rows_chosen():
    cfg = DedupConfig()
    whole = sign_batch(token_batch(TEXTS), cfg)
    halves = [sign_batch(token_batch(part), cfg) for part in (TEXTS[:7], TEXTS[7:])]
    assert np.array_equal(whole[0], np.vstack([h[0] for h in halves]))
    assert np.array_equal(whole[1], np.concatenate([h[1] for h in halves]))
    rows = np.array([9, 2, 4])
    picked = sign_batch(token_batch(TEXTS), cfg, rows)
    assert np.array_equal(picked[0], whole[0][rows]) and np.array_equal(picked[1], whole[1][rows])


def test_the_mojibake_prefilter_never_skips_a_text_the_pattern_matches():
    # _readable skips the pattern when the text's UTF-8 has no 0xC3 byte: every
    # character that can start a match must encode with that lead byte.
    second = "\u20ac"  # in the pattern's second class
    starts = [cp for cp in range(sys.maxunicode + 1)
              if not 0xD800 <= cp <= 0xDFFF and has_utf8_mojibake(chr(cp) + second)]
    assert starts and all(chr(cp).encode("utf-8")[0] == 0xC3 for cp in starts)
    for text in TEXTS:
        assert _readable(text) == (_readable_unfiltered(text))


def _readable_unfiltered(text: str) -> str:
    import ftfy

    return ftfy.fix_encoding(text) if has_utf8_mojibake(text) else text


def test_signatures_a_snapshot_stored_before_batches_are_the_ones_batches_make():
    # Main at 5764db9 signed with per-token Python hashing; its stored signatures of the kept
    # documents are what the batch path makes of their texts, so a base it wrote is the same scheme.
    from corpus.snapshot import load_snapshot
    from test_snapshot import FORMAT_1

    old = load_snapshot(FORMAT_1)
    stored = old.signatures()
    assert stored.params == {k: v for k, v in DedupConfig().signature_params().items() if k != "shingle_counts"}
    row = {doc_id: k for k, doc_id in enumerate(stored.ids)}
    documents = list(old.documents())
    sigs, _ = sign_batch(token_batch([d.text for d in documents]), DedupConfig())
    assert len(documents) == 11
    for doc, sig in zip(documents, sigs):
        assert np.array_equal(sig, stored.values[row[doc.id]]), doc.id
