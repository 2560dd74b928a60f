"""Related coverage: group documents that report the same story in other words.

Rewritten coverage of one case shares almost no word 5-grams (the five seed
articles about the Chris Kaba shooting: 5-gram Jaccard below 0.01), but it
names the same people, places, organisations and numbers. So a document is
described by its *salient terms*:

- capitalised words that are not function words ("Kaba", "Met", "NX121"),
- runs of two or more of them, as one term ("chris kaba", "suella braverman"),
- tokens containing a digit ("24", "2022", "nx121"),

all folded like the shingles (:func:`corpus.dedup.normalize.fold`). Terms are
weighted by sublinear TF-IDF (``(1 + ln tf) * (ln((1 + N) / (1 + df)) + 1)``,
IDF over the documents annotated together) and compared by cosine similarity;
pairs at or above the threshold are joined by union-find.

Threshold :data:`DEFAULT_THRESHOLD` = 0.2, measured on the seeds against five
short unrelated local articles (bins, football, a school, roadworks, a car
theft reported by Kent Police): every seed has another seed at cosine >= 0.30
(lowest seed pair 0.17), while no unrelated article reaches 0.07 with anything.
Single links chain through union-find, so a much lower threshold would let
large corpora drift from story to story.

Scale: a term shared by many documents makes the similarity product dense
(every pair of documents that name "London" gets an entry), and the cost
quadratic in the corpus. Terms in more than :func:`max_document_frequency`
documents (1% of the corpus, and never fewer than 100) are left out of the
product; they carry little weight under IDF anyway, and a document's norm still
counts them, so leaving them out can only lower a cosine, never raise it.
Corpora of up to 10,000 documents lose only terms in more than 100 of them.

This is an annotation: it sets ``Document.story`` and removes nothing. Only
groups of two or more get a story id, ``"story-"`` + xxh3-64 of the group's
smallest document id, so the id does not depend on input order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

import numpy as np
import xxhash
from scipy import sparse

from corpus.dedup.clusters import UnionFind
from corpus.dedup.normalize import fold

DEFAULT_THRESHOLD = 0.2

#: Capitalised function words (sentence starts, headlines) that name nothing.
STOPWORDS = frozenset(
    """a about after again all also an and any are as at be because been before being but by can could did do does
    during each for from had has have he her here his how i if in into is it its just may more most my new no not
    now of on once one only or other our out over said says she should since so some such than that the their them
    then there these they this those through to two under until up was we were what when where which while who why
    will with would yet you your""".split()
)

_WORD = re.compile(r"[^\W_]+")
#: Rows of the similarity product computed at once (bounds memory).
BLOCK = 2048
#: Terms in more documents than this share of the corpus (or MIN_MAX_DF) link nothing.
MAX_DF_SHARE = 0.01
MIN_MAX_DF = 100


def salient_terms(text: str) -> list[str]:
    """The salient terms of ``text``, with repetitions, in order of appearance.

    >>> salient_terms("The Met said Chris Kaba, 24, was shot.")
    ['met', 'chris', 'kaba', 'chris kaba', '24']
    """
    terms: list[str] = []
    run: list[str] = []
    for match in _WORD.finditer(text):
        word = match.group()
        folded = fold(word) if word[0].isupper() else None  # most words are lower case: fold only when needed
        if folded is not None and folded not in STOPWORDS:
            terms.append(folded)
            run.append(folded)
            continue
        if len(run) > 1:
            terms.append(" ".join(run))
        run = []
        if any(ch.isdigit() for ch in word):
            terms.append(folded if folded is not None else fold(word))
    if len(run) > 1:
        terms.append(" ".join(run))
    return terms


def term_counts(text: str) -> dict[str, int]:
    """How often each salient term occurs in ``text``, in order of first appearance.

    >>> term_counts("Kaba said Kaba was 24.")
    {'kaba': 2, '24': 1}
    """
    tf: dict[str, int] = {}
    for term in salient_terms(text):
        tf[term] = tf.get(term, 0) + 1
    return tf


def term_matrix(texts: Sequence[str]) -> sparse.csr_matrix:
    """Row-normalised sublinear TF-IDF of salient terms, one row per text.

    Rows are normalised over all of a text's terms, then terms found in a single
    text (which cannot link two texts) are left out of the matrix.
    """
    return counts_matrix([term_counts(text) for text in texts])


def counts_matrix(counts: Sequence[dict[str, int]]) -> sparse.csr_matrix:
    """:func:`term_matrix` from each text's :func:`term_counts` (computed wherever the texts are)."""
    df: dict[str, int] = {}
    for tf in counts:
        for term in tf:
            df[term] = df.get(term, 0) + 1
    n = len(counts)
    most = max_document_frequency(n)
    vocab = {term: k for k, term in enumerate(sorted(t for t, d in df.items() if 1 < d <= most))}
    rows, cols, vals = [], [], []
    for i, tf in enumerate(counts):
        weights = {t: (1.0 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1.0) for t, c in tf.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        for term, weight in weights.items():
            k = vocab.get(term)
            if k is not None:
                rows.append(i)
                cols.append(k)
                vals.append(weight / norm)
    return sparse.csr_matrix((vals, (rows, cols)), shape=(n, len(vocab)), dtype=np.float64)


def related_pairs(texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> list[tuple[int, int, float]]:
    """Pairs ``(i, j, cosine)``, ``i < j``, of texts at or above ``threshold``."""
    return _related(term_matrix(texts), threshold)


def max_document_frequency(n: int) -> int:
    """The most documents a term may be in and still link documents (see the module docstring)."""
    return max(MIN_MAX_DF, math.ceil(MAX_DF_SHARE * n))


def _related(matrix: sparse.csr_matrix, threshold: float) -> list[tuple[int, int, float]]:
    """Pairs at or above ``threshold``, filtered block by block in numpy."""
    pairs: list[tuple[int, int, float]] = []
    for lo in range(0, matrix.shape[0], BLOCK):
        block = (matrix[lo : lo + BLOCK] @ matrix.T).tocoo()
        rows = block.row + lo
        keep = (block.col > rows) & (block.data >= threshold)
        pairs.extend(zip(rows[keep].tolist(), block.col[keep].tolist(), block.data[keep].tolist()))
    pairs.sort()
    return pairs


def story_id(member_ids: Sequence[str]) -> str:
    """``"story-"`` + xxh3-64 hex of the smallest id."""
    return "story-" + xxhash.xxh3_64_hexdigest(min(member_ids).encode("utf-8"))


def assign_stories(ids: Sequence[str], texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD) -> list[str | None]:
    """The story id of each text, ``None`` for texts related to no other."""
    return stories_from_counts(ids, [term_counts(text) for text in texts], threshold)


def stories_from_counts(ids: Sequence[str], counts: Sequence[dict[str, int]],
                        threshold: float = DEFAULT_THRESHOLD) -> list[str | None]:
    """:func:`assign_stories` from each text's :func:`term_counts`: the texts need not be at hand."""
    uf = UnionFind(len(counts))
    for i, j, _ in _related(counts_matrix(counts), threshold):
        uf.union(i, j)
    stories: list[str | None] = [None] * len(counts)
    for group in uf.groups():
        if len(group) > 1:
            sid = story_id([ids[i] for i in group])
            for i in group:
                stories[i] = sid
    return stories
