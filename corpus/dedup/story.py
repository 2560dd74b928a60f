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

Text that other documents hold too is left out: a run of :data:`PASSAGE`
terms (about 16 words, or 16 characters of Chinese) found in two documents or
more of those grouped together. What two kept documents share word for word
is mostly their site's chrome that cleaning did not learn (a cookie notice, a
donation banner, a subscription wall: on the SemEval texts such a notice put
six articles of one Arabic site in one story, and a German one three), and it
made different stories of one site look alike and diluted the write-up it sat
on. Copies are merged by dedup before the story step, so this leaves the words
two write-ups of one event chose themselves; a quote they share is left out
too, their names, places and numbers stay. When it would leave out more than
:data:`MAX_REPEATED_SHARE` of a document's terms, nothing is left out of that
document (it is a copy: ``corpus.stories`` may be given documents not
deduplicated), so copies still share a story.

Terms are weighted by sublinear TF-IDF (``(1 + ln tf) * (ln((1 + N) / (1 +
df)) + 1)``, over the documents grouped together), rows normalised, and
documents compared by cosine. Measured on the SemEval-2022 Task 8 pairs by
5-fold cross-validation (``python -m bench.stories``; same-language pairs,
the threshold chosen on four folds, recall and false share on the fifth, mean
over folds): these settings 83.9% (± 4.0) of same-event pairs in one story,
2.2% (± 1.1) of different-story pairs, every fold choosing 0.28. Without
leaving repeated runs out: 81.5% (± 4.7) and 2.7% (± 1.0); runs of 12 terms
83.4% and 2.2% (one more Arabic pair missed), of 24 83.9% and 2.7%; both 12
and 16 miss one Chinese pair of 16 that whole texts find; dropping sentences
met in two texts or more instead (measured earlier) 84.0% and 2.5%. On a
smaller corpus more different-story pairs are linked (each fold's texts
grouped alone, about 480 documents: 1.7-5.1%, 3.6% on average; before, 4.4%):
a document with no other write-up of its event at hand is left with its
nearest, and the pairs linked are one site's two stories of one place and
topic (two police operations in one district), which shared terms cannot tell
apart. Variants measured before the runs
were left out, none better: words cut to 5 characters 73.9%, to 6 71.1% (5
or 6 characters is a known light stemmer for Turkish and Polish, but the
write-ups of one event inflect names differently); character 4- to 6-grams
added to the stems 62.9-72.5%; words of 4 letters or more 77.8%; 1,000
characters read 77.6%, the whole text 80.9% (2,000 reads nearly all: 4% of
the texts are longer; 1,500, with the runs left out, gives the same figures
but splits the five sample write-ups, of 2,300-3,100 characters); a lede of 150 characters 75.4%, of 600 78.4%, not
counted twice 69.0%, three times 77.9%; IDF ``ln(N / df)`` 79.4%, as if the
corpus held at least 10,000 documents 80.9%; capitalised words and numbers
counted once more 79.0%. Single links (union-find) instead of average linkage:
78.1% at best (0.32); average linkage that also needs one edge at the
threshold and a mean of 0.6-0.9 of it, 79.7-80.7%. Earlier, on half the
pairs: IDF raised to 1.25 or 1.5 splits the five samples, and BM25 weights
separate the pairs less well than TF-IDF.

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
from dataclasses import dataclass, replace

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
#: Terms in a run this long that another document holds too are left out (site chrome, see the module docstring).
PASSAGE = 16  # a power of two (runs are hashed by doubling)
#: ... unless more than this share of a document's terms would go (a copy: its shared text is what it is).
MAX_REPEATED_SHARE = 0.5
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
    terms: list[str] = []
    for piece, unspaced in _pieces(text):
        terms.extend(piece)
        if unspaced:
            terms.extend([piece[k] + piece[k + 1] for k in range(len(piece) - 1)])
    return terms


def _pieces(text: str) -> Iterable[tuple[list[str], bool]]:
    """The unigram terms of ``text`` in runs: the characters of one unspaced script (``True``) or words (``False``)."""
    words = _ascii_words(text)  # the fast path of the shingles, for text that folds to ASCII
    if words is not None:
        yield _cut(words), False
        return
    text = fold(text)
    if _ARABIC.search(text):
        text = _ARABIC_ARTICLE.sub("", text.translate(_ARABIC_LETTERS))
    if not _UNSPACED.search(text):
        yield _cut(_WORD.findall(text)), False
        return
    for chunk in _CHUNK.findall(text):
        if _UNSPACED.match(chunk):
            yield list(chunk), True
        else:
            yield _cut([chunk]), False


def _cut(words: list[str]) -> list[str]:
    """Words cut to :data:`PREFIX` characters, short words dropped, tokens with digits whole."""
    return [w[:PREFIX] if w.isalpha() else w for w in words if len(w) >= MIN_LETTERS or not w.isalpha()]


@dataclass(frozen=True)
class Reading:
    """What the grouping reads of one document: a worker computes it, the grouping needs nothing else.

    ``terms``: the story terms of the first :data:`MAX_CHARS` characters in
    reading order, characters alone in unspaced scripts; ``joined``: 1 for a
    character that follows another of its run (the two also make a bigram
    term), else 0; ``lede``: how many of the terms come from the first
    :data:`LEDE_CHARS` characters.
    """

    terms: tuple[str, ...]
    joined: bytes
    lede: int


def read_terms(text: str) -> Reading:
    """The :class:`Reading` of ``text``.

    >>> read_terms("Kaba said 24. 伦敦")
    Reading(terms=('kaba', 'said', '24', '伦', '敦'), joined=b'\\x00\\x00\\x00\\x00\\x01', lede=5)
    """
    lede = _head(text, LEDE_CHARS)
    rest = _head(text, MAX_CHARS)[len(lede) :]
    terms, joined = _run_terms(lede, False)
    # a run of an unspaced script that the lede's end cuts goes on in the rest
    more, more_joined = _run_terms(rest, bool(lede and rest and _UNSPACED.match(lede[-1]) and _UNSPACED.match(rest[0])))
    return Reading(tuple(terms + more), bytes(joined + more_joined), len(terms))


def _run_terms(text: str, goes_on: bool) -> tuple[list[str], list[int]]:
    """The unigram terms of ``text`` and their ``joined`` flags (``goes_on``: its first character continues a run)."""
    terms: list[str] = []
    joined: list[int] = []
    for piece, unspaced in _pieces(text):
        joined.extend([int(k > 0 or goes_on) for k in range(len(piece))] if unspaced else [0] * len(piece))
        terms.extend(piece)
        goes_on = False
    return terms, joined


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


def repeated_passages(terms: np.ndarray, doc: np.ndarray, position: np.ndarray, length: np.ndarray,
                      in_two: np.ndarray) -> np.ndarray:
    """Which terms lie in a run of :data:`PASSAGE` terms that two documents or more hold (see the module docstring).

    ``terms``: every document's term numbers one after the other; ``doc``,
    ``position``: each one's document and place in it; ``length``: each
    document's number of terms; ``in_two``: whether a term is in two
    documents or more (a run with a term that is not cannot be shared, and is
    not looked at). A run is known by a 64-bit hash of its terms, built by
    doubling (runs of 2, 4, ... terms); a collision, about one in 10^12 pairs
    of runs, would only leave one run out.
    """
    run = (terms.astype(np.uint64) + np.uint64(1)) * np.uint64(0x9E3779B97F4A7C15)
    run ^= run >> np.uint64(29)
    whole = in_two
    width = 1
    with np.errstate(over="ignore"):
        while width < PASSAGE:  # PASSAGE is a power of two; run[k] becomes the hash of terms k .. k + 2 * width - 1
            shorter = run[:-width] * np.uint64(0xBF58476D1CE4E5B9)
            shorter += run[width:]
            run = shorter
            whole = whole[:-width] & whole[width:]
            width *= 2
    starts = np.flatnonzero(whole & (position[: len(whole)] + PASSAGE <= length[doc[: len(whole)]]))
    if not len(starts):
        return np.zeros(len(terms), dtype=bool)
    run = run[starts]
    run ^= run >> np.uint64(31)
    # Runs met twice, by a plain sort (fast); then, among those few, the runs held by two documents.
    sorted_runs = np.sort(run)
    twice = sorted_runs[1:][sorted_runs[1:] == sorted_runs[:-1]]
    if not len(twice):
        return np.zeros(len(terms), dtype=bool)
    met = twice[np.minimum(np.searchsorted(twice, run), len(twice) - 1)] == run
    starts, run = starts[met], run[met]
    order = np.argsort(run)
    sorted_runs, holders = run[order], doc[starts][order]
    first = np.flatnonzero(np.concatenate([[True], sorted_runs[1:] != sorted_runs[:-1]]))
    shared = np.minimum.reduceat(holders, first) != np.maximum.reduceat(holders, first)  # held by two documents or more
    repeated = np.empty(len(starts), dtype=bool)
    repeated[order] = np.repeat(shared, np.diff(np.concatenate([first, [len(order)]])))
    cover = np.bincount(starts[repeated], minlength=len(terms) + PASSAGE) \
        - np.bincount(starts[repeated] + PASSAGE, minlength=len(terms) + PASSAGE)
    return np.cumsum(cover)[: len(terms)] > 0


def reading_matrix(readings: Sequence[Reading]) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Row-normalised sublinear TF-IDF of each reading, and each column's document frequency.

    Terms in runs that other documents hold too are left out (unless that
    would leave out more than :data:`MAX_REPEATED_SHARE` of a document); the
    lede counts twice; in unspaced scripts two joined characters also make a
    bigram. Columns are the terms in two documents or more (words and
    characters in order of first appearance, then bigrams); a term in one
    document cannot link two, but it still counts in that document's norm.
    """
    n = len(readings)
    flat = [term for r in readings for term in r.terms]
    vocab = {term: k for k, term in enumerate(dict.fromkeys(flat))}  # in order of first appearance
    terms = np.fromiter(map(vocab.__getitem__, flat), dtype=np.int64, count=len(flat))
    length = np.array([len(r.terms) for r in readings], dtype=np.int64)
    doc = np.repeat(np.arange(n), length)
    position = np.arange(len(flat)) - np.concatenate([[0], np.cumsum(length)[:-1]])[doc]
    weight = np.where(position < np.array([r.lede for r in readings], dtype=np.int64)[doc], 2.0, 1.0)
    counts = sparse.csr_matrix((weight, (doc, terms)), shape=(n, len(vocab)))  # duplicates summed
    in_two = np.bincount(counts.indices, minlength=len(vocab)) > 1
    kept = ~repeated_passages(terms, doc, position, length, in_two[terms])
    kept |= (np.bincount(doc, ~kept, minlength=n) > MAX_REPEATED_SHARE * length)[doc]
    gone = np.flatnonzero(~kept)
    if len(gone):
        counts = counts - sparse.csr_matrix((weight[gone], (doc[gone], terms[gone])), shape=counts.shape)
        counts.eliminate_zeros()
    joined = np.frombuffer(b"".join(r.joined for r in readings), dtype=np.uint8).astype(bool)
    pairs = np.flatnonzero(joined & kept & np.concatenate([[False], kept[:-1]]))
    if len(pairs):
        strings = [flat[p - 1] + flat[p] for p in pairs.tolist()]
        bigram_vocab = {term: k for k, term in enumerate(dict.fromkeys(strings))}
        bigrams = np.fromiter(map(bigram_vocab.__getitem__, strings), dtype=np.int64, count=len(strings))
        counts = sparse.hstack([counts, sparse.csr_matrix((weight[pairs], (doc[pairs], bigrams)),
                                                          shape=(n, len(bigram_vocab)))], format="csr")
    df = np.bincount(counts.indices, minlength=counts.shape[1])
    idf = np.log((1 + n) / (1 + df)) + 1.0
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    shared = df > 1
    matrix = (sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ counts[:, np.flatnonzero(shared)]).tocsr()
    matrix.sort_indices()
    return matrix, df[shared]


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


def stories_from_readings(ids: Sequence[str], readings: Sequence[Reading], threshold: float = DEFAULT_THRESHOLD,
                        published: Sequence[str | None] | None = None, window_days: int = 0) -> list[str]:
    """The story id of each document, from each one's :func:`read_terms` (the texts need not be at hand).

    ``published`` (ISO dates, ``None`` where unknown) and ``window_days`` > 0:
    two documents published more than ``window_days`` apart are not linked.
    Documents are taken in id order, so the result does not depend on the order given.
    """
    order = sorted(range(len(ids)), key=lambda k: ids[k])
    matrix, df = reading_matrix([readings[k] for k in order])
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
    """The story id of each text (see :func:`stories_from_readings`)."""
    return stories_from_readings(ids, [read_terms(text) for text in texts], threshold, published, window_days)


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
