"""How good a dedup or a cleaning is, against ground truth (numpy, no sklearn).

Dedup is scored over pairs of documents: a pair is a true pair when both are
copies of one article (same ``cluster`` label in the truth), a predicted pair
when the tool put both in one group. Every count comes from one contingency
table (true label x predicted label), so 100k documents cost a sort, not the
5e9 pairs::

    >>> s = pair_scores(["a", "a", "b", "b"], [0, 0, 0, 1])
    >>> round(s["precision"], 3), s["recall"], s["true_pairs"]
    (0.333, 0.5, 2)

Cleaning is scored like the article extraction benchmark (AEB) scores
extractors: word 4-grams (``\\w+`` tokens) of the output against those of the
expected text, as multisets, per document; precision and recall are means over
documents, F1 is computed from the two means.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np


def _codes(labels: Sequence[object]) -> np.ndarray:
    """Labels of any hashable type -> dense int codes (equal labels, equal codes)."""
    index: dict[object, int] = {}
    return np.fromiter((index.setdefault(label, len(index)) for label in labels), dtype=np.int64, count=len(labels))


def _pairs(counts: np.ndarray) -> int:
    counts = counts.astype(np.int64)
    return int((counts * (counts - 1) // 2).sum())


def _cell_counts(*codes: np.ndarray) -> np.ndarray:
    """Sizes of the non-empty cells of the joint labelling ``codes``."""
    stacked = np.stack(codes, axis=1)
    _, counts = np.unique(stacked, axis=0, return_counts=True)
    return counts


def pair_scores(truth: Sequence[object], predicted: Sequence[object]) -> dict[str, float]:
    """Pair precision, recall, F1 and the adjusted Rand index of a clustering.

    ``truth[i]`` and ``predicted[i]`` are the labels of document ``i``. No
    predicted pair gives precision 1 (nothing was wrongly merged).
    """
    if len(truth) != len(predicted):
        raise ValueError(f"{len(truth)} true labels but {len(predicted)} predicted")
    t, p = _codes(truth), _codes(predicted)
    n = len(t)
    both = _pairs(_cell_counts(t, p)) if n else 0
    true_pairs = _pairs(np.bincount(t)) if n else 0
    pred_pairs = _pairs(np.bincount(p)) if n else 0
    precision = both / pred_pairs if pred_pairs else 1.0
    recall = both / true_pairs if true_pairs else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "ari": adjusted_rand_index(t, p),
        "true_pairs": true_pairs,
        "predicted_pairs": pred_pairs,
        "correct_pairs": both,
    }


def adjusted_rand_index(truth: Sequence[object], predicted: Sequence[object]) -> float:
    """Hubert and Arabie's ARI: 1 for identical partitions, ~0 for chance agreement.

    >>> adjusted_rand_index([0, 0, 1, 1], [5, 5, 7, 7])
    1.0
    """
    t, p = _codes(truth), _codes(predicted)
    n = len(t)
    if n < 2:
        return 1.0
    index = _pairs(_cell_counts(t, p))
    a, b = _pairs(np.bincount(t)), _pairs(np.bincount(p))
    expected = a * b / (n * (n - 1) / 2)
    maximum = (a + b) / 2
    if maximum == expected:  # both partitions all singletons, or both one cluster
        return 1.0
    return float((index - expected) / (maximum - expected))


def false_merges(truth: Sequence[object], story: Sequence[object], predicted: Sequence[object], mask: Sequence[bool] | None = None) -> int:
    """Predicted pairs that join two different articles of the same story.

    These are the reworded write-ups that dedup must never merge. With
    ``mask``, only pairs whose two documents are both in the mask count (for
    instance: only short articles, to count chrome-driven merges).
    """
    t, s, p = _codes(truth), _codes(story), _codes(predicted)
    if mask is not None:
        keep = np.asarray(mask, dtype=bool)
        t, s, p = t[keep], s[keep], p[keep]
    if not len(t):
        return 0
    return _pairs(_cell_counts(p, s)) - _pairs(_cell_counts(p, s, t))


def wrong_pairs(truth: Sequence[object], predicted: Sequence[object], mask: Sequence[bool]) -> int:
    """Predicted pairs of different articles among the masked documents only."""
    keep = np.asarray(mask, dtype=bool)
    t, p = _codes(truth)[keep], _codes(predicted)[keep]
    if not len(t):
        return 0
    return _pairs(np.bincount(p)) - _pairs(_cell_counts(p, t))


# --------------------------------------------------------------------------- text

_TOKEN = re.compile(r"\w+")


def word_ngrams(text: str, n: int = 4) -> Counter[tuple[str, ...]]:
    """The multiset of word n-grams (a text shorter than n is one n-gram)."""
    tokens = _TOKEN.findall(text or "")
    if not tokens:
        return Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)))


def overlap(expected: str, produced: str, n: int = 4) -> tuple[float, float, float]:
    """(tp, fp, fn) of ``produced`` against ``expected``, normalised to sum to 1.

    Normalising gives every document the same weight whatever its length.
    """
    want, got = word_ngrams(expected, n), word_ngrams(produced, n)
    tp = sum((want & got).values())
    fp = sum((got - want).values())
    fn = sum((want - got).values())
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total else (0.0, 0.0, 0.0)


def text_scores(pairs: Iterable[tuple[str, str]], n: int = 4) -> dict[str, float]:
    """AEB precision, recall and F1 over ``(expected, produced)`` pairs.

    Precision is averaged over documents with some output, recall over
    documents with some expected text; an output that is exactly right on an
    empty pair counts as neither.
    """
    precisions, recalls = [], []
    for expected, produced in pairs:
        tp, fp, fn = overlap(expected, produced, n)
        if tp + fp > 0:
            precisions.append(tp / (tp + fp))
        if tp + fn > 0:
            recalls.append(tp / (tp + fn))
    p = float(np.mean(precisions)) if precisions else 0.0
    r = float(np.mean(recalls)) if recalls else 0.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0, "documents": len(recalls)}


def _line_keys(text: str) -> list[str]:
    """The non-empty lines of a text, as lower-cased word tokens (how lines are compared)."""
    keys = (" ".join(_TOKEN.findall(line.lower())) for line in (text or "").splitlines())
    return [k for k in keys if k]


def line_scores(pairs: Iterable[tuple[str, str]]) -> dict[str, float]:
    """Cleaning precision and recall per line over ``(expected, produced)`` pairs (micro-averaged).

    A produced line is right when the expected text has it (as a multiset, so a
    repeated line counts once per occurrence); precision is the share of
    produced lines that are right (chrome left in costs it), recall the share of
    expected lines produced (prose removed costs it).
    """
    right = produced_n = expected_n = 0
    for expected, produced in pairs:
        want, got = Counter(_line_keys(expected)), Counter(_line_keys(produced))
        right += sum((want & got).values())
        produced_n += sum(got.values())
        expected_n += sum(want.values())
    p = right / produced_n if produced_n else 1.0
    r = right / expected_n if expected_n else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "expected_lines": expected_n, "produced_lines": produced_n}
