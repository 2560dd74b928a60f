"""The candidates a curator reviews: the similarity histogram and the pairs nearest the threshold."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.dedup import Deduplicator
from corpus.dedup.review import HISTOGRAM_BINS, TEXT_SHOWN, CandidateReview, histogram_bin
from corpus.document import Document

SAMPLES = Path(__file__).parent.parent / "samples" / "text"


def random_candidates(n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    keys = rng.choice(10_000, size=(n, 2), replace=False)  # distinct keys: each pair is distinct
    sims = np.round(rng.random(n), 2)  # rounded, so that many pairs tie on the distance to the threshold
    return keys[:, 0], keys[:, 1], sims


def test_near_pairs_are_the_nearest_on_each_side_ordered_by_distance_then_keys() -> None:
    a, b, sims = random_candidates(2000, seed=7)
    review = CandidateReview(0.73, near=20)
    review.add(a, b, sims)
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    rows = sorted(zip(np.abs(sims - 0.73), lo.tolist(), hi.tolist(), sims.tolist()))
    expected_above = [(x, y, s) for _, x, y, s in rows if s >= 0.73][:20]
    expected_below = [(x, y, s) for _, x, y, s in rows if s < 0.73][:20]
    assert review.pairs() == expected_above + expected_below
    assert review.merged == int((sims >= 0.73).sum())
    assert review.counts.sum() == 2000 and len(review.counts) == HISTOGRAM_BINS
    # Each in the bin whose edges (k / bins, as the report prints them) hold it: 0.58 in [0.58, 0.60).
    edges = np.arange(HISTOGRAM_BINS + 1) / HISTOGRAM_BINS
    assert review.counts.tolist() == np.histogram(sims, bins=edges)[0].tolist()


def test_pairs_added_in_parts_in_any_order_give_the_review_of_the_whole() -> None:
    a, b, sims = random_candidates(900, seed=11)
    whole = CandidateReview(0.73)
    whole.add(a, b, sims)
    parts = CandidateReview(0.73)
    for part in reversed(np.array_split(np.arange(900), 17)):  # 17 parts, the last first
        parts.add(b[part], a[part], sims[part])  # either order of the two keys
    assert parts.pairs() == whole.pairs()
    assert parts.counts.tolist() == whole.counts.tolist() and parts.merged == whole.merged


def near_copies() -> list[Document]:
    """A wire story, a copy with two words edited, one with every third sentence from another story, that story."""
    wire = (SAMPLES / "003_45cc1c45fa8d7dc6.txt").read_text(encoding="utf-8")
    other = (SAMPLES / "004_0370d9609c729879.txt").read_text(encoding="utf-8")
    others = re.split(r"(?<=\.)\s+", other)
    mixed = " ".join(s if k % 3 else others[k % len(others)] for k, s in enumerate(re.split(r"(?<=\.)\s+", wire)))
    return [Document("wire", wire, source="wire"), Document("edited", wire.replace("London", "the capital", 2), source="paper"),
            Document("mixed", mixed, source="paper"), Document("other", other, source="other")]


def test_dedup_records_the_near_misses_with_the_texts_of_merged_documents() -> None:
    result = Deduplicator().run(near_copies())
    review = result.review
    assert review is not None and review["threshold"] == 0.73
    assert [m.id for m in result.merged] == ["wire"]  # the keep policy kept the edited copy
    (above,) = review["above"]
    assert (above["a"], above["b"]) == ("wire", "edited") and above["similarity"] >= 0.73
    assert above["text_a"].startswith("Getting your Trinity Audio") and "the capital" not in above["text_a"]  # merged, yet shown
    assert "the capital" in above["text_b"]
    below = [(p["a"], p["b"]) for p in review["below"]]
    assert below[0] == ("wire", "mixed") and ("mixed", "other") in below
    assert all(p["similarity"] < 0.73 for p in review["below"])
    assert all(len(p["text_a"]) <= TEXT_SHOWN and len(p["text_b"]) <= TEXT_SHOWN for p in review["below"])
    assert sum(review["counts"]) == len(review["above"]) + len(review["below"]) and review["merged"] == 1


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 100), st.lists(st.floats(0, 1) | st.integers(0, 100), max_size=30))
def test_a_similarity_falls_in_the_bin_whose_edges_hold_it(bins, values):
    # Edges k / bins themselves and their float neighbours, where rounding s * bins errs.
    edges = np.arange(bins + 1) / bins
    sims = np.array([v if isinstance(v, float) else edges[min(v, bins)] for v in values], dtype=np.float64)
    sims = np.concatenate([sims, np.clip(np.nextafter(sims, -1.0), 0, 1), np.clip(np.nextafter(sims, 2.0), 0, 1)])
    expected = np.clip(np.searchsorted(edges, sims, side="right") - 1, 0, bins - 1)
    assert histogram_bin(sims, bins).tolist() == expected.tolist()
