"""Dedup over a stream of documents: ``Deduplicator.find`` holds none of them, and gives what ``run`` gives."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from corpus.dedup import DedupConfig, Deduplicator
from corpus.dedup.columns import GrowingRows, ShingleSpill, expand_rows
from corpus.document import Copy, Document
from corpus.errors import CorpusError
from test_dedup_texts import mojibake, seed_texts, syndicated_copy


def corpus_texts() -> list[tuple[str, str, str | None]]:
    """Clusters of one, two and four copies (the last measured by corroborated lengths), an exact duplicate."""
    seeds = seed_texts()
    rows = [("a0", seeds[0], "wire"), ("a1", syndicated_copy(seeds[0]), "courier"), ("a2", mojibake(seeds[0]), "metro"),
            ("b0", seeds[1], "wire"), ("a3", seeds[0][: len(seeds[0]) * 2 // 3], "gazette"),
            ("b1", syndicated_copy(seeds[1]), "courier"), ("c0", seeds[2], None), ("c1", seeds[2].upper(), "metro"),
            ("d0", seeds[3], "wire")]
    return rows


class Passes:
    """Fresh documents on every call (those at ``rows`` only, when given), each one watched: a test can
    tell whether any is still alive, and which were asked for."""

    def __init__(self, rows):
        self.rows = rows
        self.asked: list[list[int] | None] = []
        self.made: list[weakref.ref[Document]] = []

    def __call__(self, rows=None):
        self.asked.append(None if rows is None else list(rows))
        for k, (doc_id, text, source) in enumerate(self.rows):
            if rows is not None and k not in rows:
                continue
            doc = Document(doc_id, text, source=source, url=f"https://{source or 'x'}.example/{k}",
                           published=f"2023-09-{10 + k % 3:02d}")
            self.made.append(weakref.ref(doc))
            yield doc


def test_find_holds_no_document_and_agrees_with_run():
    passes = Passes(corpus_texts())
    found = Deduplicator().find(passes)
    gc.collect()
    assert passes.made and not [r for r in passes.made if r() is not None]  # every document made for a pass is gone: the result holds none
    result = Deduplicator().run(list(Passes(corpus_texts())()))
    # All for the signatures (and the shingles spilled); then the kept ones (story terms) and the review's pairs.
    assert passes.asked[0] is None and len(passes.asked) == 2
    assert set(found.kept.tolist()) <= set(passes.asked[1]) and passes.asked[1] == sorted(passes.asked[1])
    assert len(passes.asked[1]) < len(corpus_texts())
    assert found.kept_ids() == [d.id for d in result.kept]
    assert [found.copies.get(k, []) for k in found.kept.tolist()] == [d.copies for d in result.kept]
    assert found.stories == [d.story for d in result.kept]
    assert found.merged == result.merged and found.clusters == result.clusters and found.review == result.review
    assert np.array_equal(found.signatures.values, result.signatures.values)
    assert found.to_base().cluster_of == result.to_base().cluster_of
    assert found.to_base().kept == result.to_base().kept


def test_the_longest_copy_of_a_cluster_of_four_is_kept_from_the_spilled_shingles():
    found = Deduplicator(DedupConfig(story=False)).find(Passes(corpus_texts()))
    kept = set(found.kept_ids())
    assert "a3" not in kept and len(kept & {"a0", "a1", "a2", "a3"}) == 1  # the cut copy loses
    assert {"c0", "c1"} & kept == {"c0"}  # the exact duplicate joins the first
    assert found.stories is None


@pytest.mark.parametrize("later", ["shorter", "other"])
def test_documents_that_differ_between_passes_are_an_error(later):
    rows = corpus_texts()
    calls = [0]

    def passes(wanted=None):
        calls[0] += 1
        docs = [Document(i, t) for i, t, _ in rows]
        if calls[0] > 1:
            docs = docs[:-3] if later == "shorter" else [Document(d.id + "x", d.text) for d in docs]
        return docs if wanted is None else [docs[k] for k in wanted if k < len(docs)]

    with pytest.raises(CorpusError, match="the same on every pass"):
        Deduplicator().find(passes)


def test_copies_a_document_came_with_stay_on_it():
    docs = [Document("x", seed_texts()[0], copies=[Copy("old", "wire", None, None, 0.9)])]
    result = Deduplicator(DedupConfig(story=False)).run(docs)
    assert [c.id for c in result.kept[0].copies] == ["old"] and result.clusters[0]["kept"] == "x"


def test_growing_rows_give_the_rows_appended():
    rows, blocks = GrowingRows(3, np.uint32), []
    rng = np.random.default_rng(0)
    for size in (5, 2000, 0, 700):
        block = rng.integers(0, 2**32, size=(size, 3), dtype=np.uint32)
        rows.append(block)
        blocks.append(block)
    assert np.array_equal(rows.array(), np.vstack(blocks))


@pytest.mark.parametrize("seed", range(3))
def test_expand_rows_is_fancy_indexing_in_place(seed):
    rng = np.random.default_rng(seed)
    reps = rng.integers(0, 2**32, size=(6000, 4), dtype=np.uint32)
    # Each document's representative: itself, or an earlier document's representative (first occurrence first).
    source = np.empty(9000, dtype=np.int64)
    count = 0
    for k in range(len(source)):
        if count < len(reps) and (count == 0 or rng.random() < 0.66 or len(source) - k <= len(reps) - count):
            source[k], count = count, count + 1
        else:
            source[k] = rng.integers(0, count)
    reps = reps[:count].copy()
    expected = reps[source]
    assert np.array_equal(expand_rows(reps, source), expected)


def test_expand_rows_refuses_a_representative_after_its_copy():
    with pytest.raises(ValueError):
        expand_rows(np.zeros((2, 1), dtype=np.uint32), np.array([1, 0]))


def test_spilled_shingles_come_back_in_any_order(tmp_path):
    with ShingleSpill(tmp_path) as spill:
        rows = [np.array([7, 8, 9], dtype=np.uint32), np.array([], dtype=np.uint32), np.array([1], dtype=np.uint32)]
        for row in rows:
            spill.add(row)
        assert len(spill) == 3
        assert [spill.get(k).tolist() for k in (2, 0, 1)] == [[1], [7, 8, 9], []]
        with pytest.raises(KeyError):
            spill.get(3)
    assert list(tmp_path.iterdir()) == []  # the file is gone once closed
