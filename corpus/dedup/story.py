"""Related coverage: group documents that report the same event in other words.

Write-ups of one event by different outlets share almost no word 5-grams (the
five sample articles about the Chris Kaba shooting: 5-gram Jaccard below
0.01; 197 of the 207 same-language SemEval-2022 Task 8 pairs rated "same
event": below 0.1), but they name the same people, places, numbers and dates
and use the same rare words. So a document is described by its *story terms*
(:func:`story_terms`), in any script, with a light normalization and no model:

- words are folded like the shingles (:func:`corpus.dedup.normalize.fold`:
  case, accents, compatibility forms) and cut to their first
  :data:`PREFIX` characters, a crude stemmer that is the same for every
  language written with spaces ("officers"/"officer", Polish "rządu"/"rząd",
  Turkish "koronavirüs"/"koronavirüsün"); words under :data:`MIN_LETTERS`
  letters are left out;
- tokens with a digit are kept whole ("738", "2022", "nx121");
- Chinese, Japanese, Thai (scripts without spaces) give their characters and
  character bigrams (bigrams alone leave rewrites of one event too far apart:
  on the SemEval pairs in Chinese, the lowest tenth of same-event pairs at
  cosine 0.17 instead of 0.25, for different events at the 97th percentile
  0.13 instead of 0.15);
- Arabic letters are unified (ة/ه, ى/ي; vowel marks go with the fold) and the
  article ال with its attached particles is cut off.

The headline and lede (the first :data:`LEDE_CHARS` characters: who, where,
when) count twice, and only the first :data:`MAX_CHARS` characters are read.
Terms are weighted by sublinear TF-IDF (``(1 + ln tf) * (ln((1 + N) / (1 +
df)) + 1)``, over the documents grouped together), rows normalised, and
documents compared by cosine. Measured on the SemEval-2022 Task 8 pairs by
5-fold cross-validation (``python -m bench.stories``; same-language pairs,
the threshold chosen on four folds, recall and false share on the fifth, mean
over folds): these settings 81.5% (± 4.7) of same-event pairs in one story,
2.7% (± 1.0) of different-story pairs. Every variant tried did no better:
words cut to 5 characters 73.9%, to 6 71.1%; 1,000 characters read 77.6%,
the whole text 80.9% (2,000 reads nearly all: 4% of the texts are longer); a
lede of 150 characters 75.4%, of 600 78.4%, not counted twice 69.0%, three
times 77.9%; IDF ``ln(N / df)`` 78.3%; capitalised words and numbers counted
once more 79.0%. Dropping sentences met in two texts or more gave 84.0% (±
3.5), within the spread of a fold, and it also drops the quote two write-ups
of one event share; in three or more it changes nothing, so it is not done.
Single links (union-find) instead of average linkage: 78.1% at best (0.32).
Earlier, on half the pairs: IDF raised to 1.25 or 1.5 splits the five samples,
and BM25 weights separate the pairs less well than TF-IDF.

Candidates come from an inverted index (the sparse product ``X @ X.T``) over
*index terms* only: terms in two documents or more and in at most
:func:`max_document_frequency` of them (1% of the corpus, never fewer than
100). A common term would make the product dense and the cost quadratic; it is
still counted in the similarity of every candidate pair, so the cosine of a
candidate is exact. Pairs whose index terms alone give less than
:data:`CANDIDATE_SHARE` of the threshold are not candidates.

Groups are formed by average linkage over the candidate graph
(:func:`average_linkage`): two groups merge while the mean similarity over all
pairs of their members (pairs that are not candidates count 0) is at least the
threshold. Unlike single links through union-find, a chain of pairwise
similar documents does not pull unrelated stories together. Where both
documents have a ``published`` date, a window (``window_days``) can keep
documents published further apart out of one story: such a pair counts 0.

This is an annotation: it sets ``Document.story`` and removes nothing. Every
document gets a story; the id is ``"story-"`` + xxh3-64 of the smallest member
id, so it does not depend on input order, and a document alone in its story
gets the id of its own.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace

import numpy as np
import xxhash
from scipy import sparse

from corpus.document import Document
from corpus.dedup.normalize import UNSPACED_RANGES, _ascii_words, _char_class, fold

#: Default average-linkage threshold on the cosine (see ``DedupConfig.story_threshold``).
DEFAULT_THRESHOLD = 0.28
#: Characters a word is cut to (the crude stemmer).
PREFIX = 4
#: The first characters of a text (headline and lede: who, where, when) count twice.
LEDE_CHARS = 300
#: The characters a report reads a document's headline terms from.
HEADLINE_CHARS = 200
#: Only the first characters of a text are read: the event is named at the top
#: (the SemEval texts are about 1,000 characters), and the cost stays bounded.
MAX_CHARS = 2000
#: Words with fewer letters are left out (most function words).
MIN_LETTERS = 3
#: A pair is a candidate when its index terms alone reach this share of the threshold.
CANDIDATE_SHARE = 0.5
#: Terms in more documents than this share of the corpus (or MIN_MAX_DF) are not index terms.
MAX_DF_SHARE = 0.01
MIN_MAX_DF = 100
#: Rows of the candidate product computed at once (bounds memory).
BLOCK = 2048

_UNSPACED_CLASS = _char_class(list(UNSPACED_RANGES))
_UNSPACED = re.compile(f"[{_UNSPACED_CLASS}]")
#: Runs of one unspaced script, or words of the others.
_CHUNK = re.compile(f"[{_UNSPACED_CLASS}]+|(?:(?![{_UNSPACED_CLASS}])[^\\W_])+")
_WORD = re.compile(r"[^\W_]+")
_ARABIC = re.compile("[\u0600-\u06ff]")
_ARABIC_LETTERS = str.maketrans({"ة": "ه", "ى": "ي"})
#: The article, alone or after particles (wa-/fa- then bi-/ka-; li- + al- = lil-), before a word of 3+ letters.
_ARABIC_ARTICLE = re.compile(r"(?<![^\W_])[وف]?(?:[بك]?ال|لل)(?=[^\W\d_]{3})")


def story_terms(text: str) -> list[str]:
    """The story terms of ``text``, with repetitions, in order of appearance.

    >>> story_terms("The Met said Chris Kaba, 24, was shot.")
    ['the', 'met', 'said', 'chri', 'kaba', '24', 'was', 'shot']
    >>> story_terms("伦敦警察")
    ['伦', '敦', '警', '察', '伦敦', '敦警', '警察']
    """
    words = _ascii_words(text)  # the fast path of the shingles, for text that folds to ASCII
    if words is not None:
        return _cut(words)
    text = fold(text)
    if _ARABIC.search(text):
        text = _ARABIC_ARTICLE.sub("", text.translate(_ARABIC_LETTERS))
    if not _UNSPACED.search(text):
        return _cut(_WORD.findall(text))
    terms: list[str] = []
    for chunk in _CHUNK.findall(text):
        if _UNSPACED.match(chunk):
            terms.extend(chunk)
            terms.extend([chunk[k : k + 2] for k in range(len(chunk) - 1)])
        else:
            terms.extend(_cut([chunk]))
    return terms


def _cut(words: list[str]) -> list[str]:
    """Words cut to :data:`PREFIX` characters, short words dropped, tokens with digits whole."""
    return [w[:PREFIX] if w.isalpha() else w for w in words if len(w) >= MIN_LETTERS or not w.isalpha()]


def term_counts(text: str) -> dict[str, int]:
    """How often each story term occurs in ``text``, in order of first appearance.

    What a worker computes per document; :func:`stories_from_counts` groups from these alone.

    >>> term_counts("Kaba said Kaba was 24.")  # all of it is lede: counted twice
    {'kaba': 4, 'said': 2, 'was': 2, '24': 2}
    """
    lede, top = (_head(text, k) for k in (LEDE_CHARS, MAX_CHARS))
    return dict(Counter(story_terms(lede) + story_terms(top)))


def headline_terms(text: str) -> set[str]:
    """The story terms of the first :data:`HEADLINE_CHARS` characters of ``text``: what a story is called in a report."""
    return set(story_terms(_head(text, HEADLINE_CHARS)))


def headline_words(text: str) -> list[tuple[str, str]]:
    """Each headline term (see :func:`headline_terms`) with the word it was read from, in order.

    A term is a 4-character stem; a report shows the word instead ("offi" as
    "officers"). Characters and bigrams of an unspaced script are their own word.

    >>> headline_words("Officers shot Chris Kaba")
    [('offi', 'Officers'), ('shot', 'shot'), ('chri', 'Chris'), ('kaba', 'Kaba')]
    """
    pairs = []
    for word in _WORD.findall(_head(text, HEADLINE_CHARS)):
        terms = story_terms(word)
        pairs.extend([(terms[0], word)] if len(terms) == 1 else [(term, term) for term in terms])
    return pairs


def _head(text: str, limit: int) -> str:
    """The first ``limit`` characters of ``text``, without a word cut in two."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    return head if text[limit].isspace() else (head.rsplit(None, 1)[0] if " " in head else head)


def max_document_frequency(n: int) -> int:
    """The most documents an index term may be in (see the module docstring)."""
    return max(MIN_MAX_DF, math.ceil(MAX_DF_SHARE * n))


def counts_matrix(counts: Sequence[dict[str, int]]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Row-normalised sublinear TF-IDF of each text's counts, and each column's document frequency.

    Columns are the terms in two texts or more, sorted; a term in one text
    cannot link two texts, but it still counts in that text's norm.
    """
    n = len(counts)
    terms = sorted({term for tf in counts for term in tf})
    vocab = {term: k for k, term in enumerate(terms)}
    lengths = np.array([len(tf) for tf in counts], dtype=np.int64)
    cols = np.array([vocab[term] for tf in counts for term in tf], dtype=np.int64)
    tfs = np.array([c for tf in counts for c in tf.values()], dtype=np.float64)
    df = np.bincount(cols, minlength=len(terms))
    idf = np.log((1 + n) / (1 + df)) + 1.0
    weights = (1.0 + np.log(tfs)) * idf[cols]
    rows = np.repeat(np.arange(n), lengths)
    norms = np.sqrt(np.bincount(rows, weights * weights, minlength=n))
    shared = df[cols] > 1
    column = np.cumsum(df > 1) - 1  # a shared term's column among the shared terms
    indptr = np.concatenate([[0], np.cumsum(np.bincount(rows[shared], minlength=n))])
    matrix = sparse.csr_matrix((weights[shared] / norms[rows[shared]], column[cols[shared]], indptr),
                               shape=(n, int((df > 1).sum())))
    matrix.sort_indices()
    return matrix, df[df > 1]


def candidate_pairs(matrix: sparse.csr_matrix, df: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Candidate pairs ``(i, j)``, ``i < j``, from the index terms, with their exact cosine (see the module docstring)."""
    index = (df <= max_document_frequency(matrix.shape[0])).astype(np.float64)
    indexed = (matrix @ sparse.diags(index)).tocsr()
    indexed.eliminate_zeros()
    floor = CANDIDATE_SHARE * threshold
    rows_, cols_ = [], []
    for lo in range(0, matrix.shape[0], BLOCK):
        block = (indexed[lo : lo + BLOCK] @ indexed.T).tocoo()
        rows = block.row + lo
        keep = (block.col > rows) & (block.data >= floor)
        rows_.append(rows[keep])
        cols_.append(block.col[keep])
    i = np.concatenate(rows_) if rows_ else np.empty(0, dtype=np.int64)
    j = np.concatenate(cols_) if cols_ else np.empty(0, dtype=np.int64)
    order = np.lexsort((j, i))
    i, j = i[order].astype(np.int64), j[order].astype(np.int64)
    sims = np.empty(len(i), dtype=np.float64)
    for lo in range(0, len(i), 65536):  # full cosine, common terms included, a slice of pairs at a time
        sims[lo : lo + 65536] = np.asarray(
            matrix[i[lo : lo + 65536]].multiply(matrix[j[lo : lo + 65536]]).sum(axis=1)).ravel()
    return i, j, sims


def average_linkage(n: int, i: np.ndarray, j: np.ndarray, sims: np.ndarray, threshold: float) -> list[int]:
    """Group label (smallest member index) of each of ``n`` items, by average linkage over the edges.

    Merges the two groups of highest mean similarity (sum of their edges over
    the product of their sizes; a missing edge counts 0) while it is at least
    ``threshold``; ties go to the smallest group indices, so the result depends
    only on the edges.
    """
    size = [1] * n
    parent = list(range(n))
    adj: list[dict[int, float] | None] = [{} for _ in range(n)]
    heap: list[tuple[float, int, int]] = []
    for a, b, s in zip(i.tolist(), j.tolist(), sims.tolist()):
        adj[a][b] = adj[b][a] = s  # type: ignore[index]
        if s >= threshold:
            heap.append((-s, a, b))
    heapq.heapify(heap)
    while heap:
        negative, a, b = heapq.heappop(heap)
        links_a, links_b = adj[a], adj[b]
        if links_a is None or links_b is None or links_a.get(b, 0.0) / (size[a] * size[b]) != -negative:
            continue  # a group merged since, or the pair's mean changed: a newer entry stands for it
        keep, gone = (a, b) if a < b else (b, a)
        links, merged = adj[keep], adj[gone]
        assert links is not None and merged is not None
        del links[gone]
        del merged[keep]
        size[keep] += size[gone]
        for k, s in merged.items():
            other = adj[k]
            assert other is not None
            del other[gone]
            links[k] = other[keep] = other.get(keep, 0.0) + s
        adj[gone] = None
        parent[gone] = keep
        for k, s in links.items():
            mean = s / (size[keep] * size[k])
            if mean >= threshold:
                heapq.heappush(heap, (-mean, min(keep, k), max(keep, k)))
    for x in range(n):  # parents are smaller than children: one pass resolves every root
        parent[x] = parent[parent[x]]
    return parent


def story_id(member_ids: Sequence[str]) -> str:
    """``"story-"`` + xxh3-64 hex of the smallest id."""
    return "story-" + xxhash.xxh3_64_hexdigest(min(member_ids).encode("utf-8"))


def stories_from_counts(ids: Sequence[str], counts: Sequence[dict[str, int]], threshold: float = DEFAULT_THRESHOLD,
                        published: Sequence[str | None] | None = None, window_days: int = 0) -> list[str]:
    """The story id of each document, from each one's :func:`term_counts` (the texts need not be at hand).

    ``published`` (ISO dates, ``None`` where unknown) and ``window_days`` > 0:
    two documents published more than ``window_days`` apart are not linked.
    Documents are taken in id order, so the result does not depend on the order given.
    """
    order = sorted(range(len(ids)), key=lambda k: ids[k])
    matrix, df = counts_matrix([counts[k] for k in order])
    i, j, sims = candidate_pairs(matrix, df, threshold)
    if window_days > 0 and published is not None:
        days = np.array([_day(published[k]) for k in order], dtype=np.float64)
        apart = np.abs(days[i] - days[j]) > window_days  # NaN (a date unknown) compares False: linked
        i, j, sims = i[~apart], j[~apart], sims[~apart]
    roots = average_linkage(len(order), i, j, sims, threshold)
    members: dict[int, list[str]] = {}
    for position, root in enumerate(roots):
        members.setdefault(root, []).append(ids[order[position]])
    names = {root: story_id(group) for root, group in members.items()}
    stories = [""] * len(ids)
    for position, root in enumerate(roots):
        stories[order[position]] = names[root]
    return stories


def assign_stories(ids: Sequence[str], texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD,
                   published: Sequence[str | None] | None = None, window_days: int = 0) -> list[str]:
    """The story id of each text (see :func:`stories_from_counts`)."""
    return stories_from_counts(ids, [term_counts(text) for text in texts], threshold, published, window_days)


def stories(docs: Iterable[Document], threshold: float = DEFAULT_THRESHOLD, window_days: int = 0) -> list[Document]:
    """Copies of ``docs`` with ``story`` set (the documents given are not changed).

    The same grouping the dedup step runs over its kept documents; use it on a
    corpus deduplicated already, or one read back from a snapshot::

        >>> docs = corpus.stories(corpus.load_snapshot("build/snapshot").documents())  # doctest: +SKIP
    """
    docs = list(docs)
    labels = assign_stories([d.id for d in docs], [d.text for d in docs], threshold, [d.published for d in docs], window_days)
    return [replace(d, story=label) for d, label in zip(docs, labels)]


def _day(published: str | None) -> float:
    """Days since 1970 of an ISO date or date-time, NaN when absent or unreadable."""
    try:
        return float(dt.date.fromisoformat(str(published)[:10]).toordinal())
    except (TypeError, ValueError):
        return math.nan
