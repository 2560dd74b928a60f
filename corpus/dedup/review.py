"""What a curator needs to judge the threshold: every verified candidate pair's similarity, and
the pairs nearest it.

LSH finds candidate pairs; each is verified by :func:`.lsh.similarity` and merged
only at or above the threshold. :class:`CandidateReview` is fed the verified
candidates, merged or not, as arrays (``add``), and keeps a histogram of their
similarities (:data:`HISTOGRAM_BINS` bins over [0, 1]) and the :data:`NEAR_PAIRS`
pairs nearest the threshold from above and from below. Its memory is bounded
whatever the number of candidates. Pairs are named by row keys that increase
with input order and ordered by ``(|similarity - threshold|, a, b)``, so the
pairs selected do not depend on the order they are added in.

The report shows the near pairs' texts side by side. A merged document's text is
not in the snapshot, so :meth:`CandidateReview.to_record` captures them when the
pairs are known, while the engine still holds the documents: only for these
pairs, only the first :data:`TEXT_SHOWN` characters of each. A row of a base
index (an earlier snapshot) has no text there; the report writer fills it in if
the document is among the kept ones it writes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

#: Similarity histogram bins over [0, 1]: 0.02 wide, fine enough to see the gap near 0.73.
HISTOGRAM_BINS = 50
#: Pairs kept on each side of the threshold.
NEAR_PAIRS = 20
#: Characters of each near pair's text captured for the report.
TEXT_SHOWN = 1500


def histogram_bin(similarity: np.ndarray, bins: int = HISTOGRAM_BINS) -> np.ndarray:
    """The histogram bin of each similarity: ``[k / bins, (k + 1) / bins)``, 1.0 in the last.

    Found against the edges, not by ``int(s * bins)`` alone, which puts 0.58 (28.999... bins) below
    its edge: ``floor(s * bins)`` is the bin or next to it, and one comparison with each of its
    edges corrects it (the bins a binary search among the edges finds, in a third of its time:
    every verified candidate pair passes here).

    >>> histogram_bin(np.array([0.0, 0.58, 0.729, 0.73, 1.0])).tolist()
    [0, 29, 36, 36, 49]
    """
    edges = np.arange(bins + 1) / bins
    s = np.asarray(similarity, dtype=np.float64)
    index = np.clip(np.floor(s * bins), 0, bins - 1).astype(np.int64)
    index += edges[index + 1] <= s
    index -= edges[index] > s
    return np.clip(index, 0, bins - 1)


def _nearest(a: np.ndarray, b: np.ndarray, sims: np.ndarray, threshold: float, n: int) -> tuple[np.ndarray, ...]:
    """The ``n`` pairs nearest the threshold, by ``(|sim - threshold|, a, b)``."""
    order = np.lexsort((b, a, np.abs(sims - threshold)))[:n]
    return a[order], b[order], sims[order]


class CandidateReview:
    """Histogram of verified candidates' similarities and the pairs nearest ``threshold``.

    >>> review = CandidateReview(0.73, near=1)
    >>> review.add(np.array([0, 0, 1]), np.array([1, 2, 2]), np.array([0.9, 0.72, 0.75]))
    >>> review.pairs()
    [(1, 2, 0.75), (0, 2, 0.72)]
    """

    def __init__(self, threshold: float, near: int = NEAR_PAIRS, bins: int = HISTOGRAM_BINS) -> None:
        self.threshold = float(threshold)
        self.near = near
        self.counts = np.zeros(bins, dtype=np.int64)
        self.merged = 0  # pairs at or above the threshold
        empty = (np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.float64))
        self.above: tuple[np.ndarray, ...] = empty
        self.below: tuple[np.ndarray, ...] = empty

    def add(self, a: np.ndarray, b: np.ndarray, similarity: np.ndarray) -> None:
        """Verified candidate pairs: row keys ``a``, ``b`` (in either order) and their similarities.

        Each pair must be added once.
        """
        a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
        sims = np.asarray(similarity, dtype=np.float64)
        a, b = np.minimum(a, b), np.maximum(a, b)
        self.counts += np.bincount(histogram_bin(sims, len(self.counts)), minlength=len(self.counts))
        up = sims >= self.threshold
        self.merged += int(up.sum())
        self.above = self._keep(self.above, (a[up], b[up], sims[up]))
        self.below = self._keep(self.below, (a[~up], b[~up], sims[~up]))

    def _keep(self, old: tuple[np.ndarray, ...], new: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
        joined = [np.concatenate([o, n]) for o, n in zip(old, new)]
        return _nearest(*joined, self.threshold, self.near)

    def pairs(self) -> list[tuple[int, int, float]]:
        """The near pairs ``(a, b, similarity)``: above the threshold, then below, nearest first."""
        return [(int(a), int(b), float(s)) for side in (self.above, self.below) for a, b, s in zip(*side)]

    def to_record(self, id_of: Callable[[int], str], text_of: Callable[[int], str | None],
                  digits: int = 4) -> dict[str, Any]:
        """The JSON-able record the report shows: the histogram and the near pairs with ids and texts.

        ``id_of`` and ``text_of`` map a row key to the document's id and text
        (``None`` where the engine has none: a base row); texts are cut to
        :data:`TEXT_SHOWN` characters.
        """
        def text(key: int) -> str | None:
            value = text_of(key)
            return None if value is None else value[:TEXT_SHOWN]

        def side(rows: tuple[np.ndarray, ...]) -> list[dict[str, Any]]:
            return [{"a": id_of(int(a)), "b": id_of(int(b)), "similarity": round(float(s), digits),
                     "text_a": text(int(a)), "text_b": text(int(b))} for a, b, s in zip(*rows)]

        bins = len(self.counts)
        return {
            "threshold": self.threshold,
            "edges": [round(k / bins, 4) for k in range(bins + 1)],
            "counts": self.counts.tolist(),
            "merged": self.merged,
            "above": side(self.above),
            "below": side(self.below),
        }
