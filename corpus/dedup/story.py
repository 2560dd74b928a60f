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
gets the id of its own. For an incremental run, :func:`join_stories` groups
new documents with old ones that keep their stories.
"""

from __future__ import annotations

import datetime as dt
import heapq
import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace

import numpy as np
import xxhash
from scipy import sparse

from corpus.dedup.batch import batches
from corpus.dedup.normalize import _ASCII_TABLE, UNSPACED_RANGES, _ascii_fold_bytes, _ascii_words, _char_class, fold
from corpus.document import Document

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
#: Texts :func:`read_terms_batch` reads at once (bounds its memory: about 15 bytes per character read, 100 MB).
READ_BATCH = 4096
#: Rows of the candidate product computed at once (bounds memory).
BLOCK = 2048

_UNSPACED_CLASS = _char_class(list(UNSPACED_RANGES))
_UNSPACED = re.compile(f"[{_UNSPACED_CLASS}]")
#: Runs of one unspaced script, or words of the others.
_CHUNK = re.compile(f"[{_UNSPACED_CLASS}]+|(?:(?![{_UNSPACED_CLASS}])[^\\W_])+")
_WORD = re.compile(r"[^\W_]+")
#: ASCII byte -> what :func:`_ascii_terms` reads: the fast path's fold (:data:`_ASCII_TABLE`), then a letter
#: as 1-26 (5 bits of a stem's code), a digit as itself, a separator as 0; and back to text.
_BYTE_CODE = bytes(c - 96 if 97 <= c <= 122 else 0 if c == 32 else c for c in _ASCII_TABLE)
_BYTE_TEXT = bytes(c + 96 if 1 <= c <= 26 else c for c in range(256))
#: A number's first n bytes (little-endian), n = 0..8.
_FIRST_BYTES = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)
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


@dataclass(frozen=True)
class Readings:
    """The :class:`Reading` of many documents, column by column: what the grouping builds its matrix from.

    ``vocab``: the term of each term number; ``terms``: every document's term
    numbers one after the other; ``length``, ``lede``: each document's number
    of terms and of lede terms; ``joined``: the ``joined`` flag of each term.
    Iterating gives each document's :class:`Reading`.
    """

    vocab: list[str]
    terms: np.ndarray
    length: np.ndarray
    lede: np.ndarray
    joined: np.ndarray

    @classmethod
    def of(cls, readings: Sequence[Reading]) -> Readings:
        """The readings given, as columns (term numbers in order of first appearance)."""
        flat = [term for r in readings for term in r.terms]
        numbers = {term: k for k, term in enumerate(dict.fromkeys(flat))}
        return cls(list(numbers), np.fromiter(map(numbers.__getitem__, flat), dtype=np.int64, count=len(flat)),
                   np.array([len(r.terms) for r in readings], dtype=np.int64),
                   np.array([r.lede for r in readings], dtype=np.int64),
                   np.frombuffer(b"".join(r.joined for r in readings), dtype=np.uint8).astype(bool))

    def __len__(self) -> int:
        return len(self.length)

    def __iter__(self) -> Iterator[Reading]:
        ends = np.cumsum(self.length).tolist()
        for start, end, lede in zip([0] + ends[:-1], ends, self.lede.tolist()):
            yield Reading(tuple(self.vocab[t] for t in self.terms[start:end].tolist()),
                          self.joined[start:end].astype(np.uint8).tobytes(), lede)

    def take(self, order: Sequence[int]) -> Readings:
        """The documents at ``order``, in that order."""
        order = np.asarray(order, dtype=np.int64)
        length = self.length[order]
        starts = (np.cumsum(self.length) - self.length)[order]
        at = np.repeat(starts - (np.cumsum(length) - length), length) + np.arange(int(length.sum()))
        return Readings(self.vocab, self.terms[at], length, self.lede[order], self.joined[at])


def read_terms_batch(texts: Iterable[str]) -> Readings:
    """The :class:`Readings` of ``texts``: ``list(read_terms_batch(texts)) == [read_terms(t) for t in texts]``.

    Faster than :func:`read_terms` text by text (the 30,698 documents dedup
    keeps of 100,000 generated ones: 1.3-1.7 s of CPU instead of 3.6-4.5 s,
    measured in one process): a text segment whose fold is ASCII, most news,
    is cut into words by arrays over many texts at once, :func:`_cut`'s rule
    vectorized (a word of letters is known by its first :data:`PREFIX`
    letters, 5 bits each, so no string is made for it); other segments are
    read as :func:`read_terms` reads them.
    Texts are read :data:`READ_BATCH` at a time, so memory stays bounded
    (``texts`` may be a stream: dedup hands the kept texts over as it reads them again).
    """
    numbers: dict[str, int] = {}
    stems = np.full(1 << (5 * PREFIX), -1, dtype=np.int64)  # term number of each word stem seen, by its code
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    for batch in batches(texts, READ_BATCH):
        parts.append(_read_batch(batch, numbers, stems))
    vocab = list(numbers)
    if not parts:
        return Readings(vocab, np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, bool))
    return Readings(vocab, *(np.concatenate(column) for column in zip(*parts)))


def _read_batch(texts: Sequence[str], numbers: dict[str, int], stems: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Term numbers (``numbers``: term -> number, extended), lengths, ledes and joined flags of ``texts``.

    Each text is two segments, its lede and the rest (as :func:`read_terms`
    reads them); the segments that fold to ASCII are read together from one
    buffer, the others by :func:`_run_terms`.
    """
    ascii_segments: list[bytes] = []
    is_ascii: list[bool] = []
    other_terms: list[str] = []
    other_joined: list[int] = []
    other_counts: list[int] = []
    for text in texts:
        lede = _head(text, LEDE_CHARS)
        rest = _head(text, MAX_CHARS)[len(lede) :]
        goes_on = bool(lede and rest and _UNSPACED.match(lede[-1]) and _UNSPACED.match(rest[0]))
        for segment, continues in ((lede, False), (rest, goes_on)):
            raw = _ascii_fold_bytes(segment)
            is_ascii.append(raw is not None)
            if raw is not None:
                ascii_segments.append(raw)
            else:
                terms, joined = _run_terms(segment, continues)
                other_terms.extend(terms)
                other_joined.extend(joined)
                other_counts.append(len(terms))
    ascii_numbers, ascii_counts = _ascii_terms(ascii_segments, numbers, stems)
    segment_ascii = np.array(is_ascii, dtype=bool)
    counts = np.zeros(len(is_ascii), dtype=np.int64)
    counts[segment_ascii] = ascii_counts
    counts[~segment_ascii] = other_counts
    from_ascii = np.repeat(segment_ascii, counts)
    terms = np.empty(len(from_ascii), dtype=np.int64)
    terms[from_ascii] = ascii_numbers
    terms[~from_ascii] = [numbers.setdefault(term, len(numbers)) for term in other_terms]
    joined = np.zeros(len(from_ascii), dtype=bool)
    joined[~from_ascii] = np.array(other_joined, dtype=bool)
    lede, rest = counts[0::2], counts[1::2]
    return terms, lede + rest, lede, joined


def _ascii_terms(segments: list[bytes], numbers: dict[str, int], stems: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The term numbers of ASCII-folded ``segments`` one after the other, and each segment's count.

    :func:`_cut` on the words of the fast path (letters and digits, the rest
    spaces), over one buffer of bytes: a word of letters only gives its first
    :data:`PREFIX` letters if it has :data:`MIN_LETTERS` or more, a word with a
    digit is kept whole. ``stems``: term number by a stem's code (5 bits a
    letter; ``-1``: not met yet), extended.
    """
    raw = b"\0".join([b"", *segments, bytes(8)]).translate(_BYTE_CODE)
    buffer = np.frombuffer(raw, dtype=np.uint8)
    filled = buffer != 0
    edges = np.flatnonzero(filled[1:] != filled[:-1]) + 1
    starts, length = edges[0::2], edges[1::2] - edges[0::2]
    has_digit = np.zeros(len(starts), dtype=bool)
    has_digit[np.searchsorted(starts, np.flatnonzero(buffer >= 48), side="right") - 1] = True
    kept = has_digit | (length >= MIN_LETTERS)
    terms = np.empty(len(starts), dtype=np.int64)
    eight_bytes = np.ndarray((len(raw) - 7,), dtype="<u8", buffer=raw, strides=(1,))  # the bytes at every offset
    # a word of letters: its first PREFIX letters (bytes 1-26, 0 past its end), 5 bits each, as one number
    words = np.flatnonzero(kept & ~has_digit)
    first = eight_bytes[starts[words]] & _FIRST_BYTES[np.minimum(length[words], PREFIX)]
    code = np.zeros(len(words), dtype=np.uint64)
    for k in range(PREFIX):
        code |= (first >> np.uint64(3 * k)) & np.uint64(31 << (5 * k))
    code = code.astype(np.intp)
    for c in np.unique(code[stems[code] < 0]).tolist():
        stem = bytes((c >> (5 * k)) & 31 for k in range(PREFIX)).rstrip(b"\0")
        stems[c] = numbers.setdefault(stem.translate(_BYTE_TEXT).decode("ascii"), len(numbers))
    terms[words] = stems[code]
    # a word with a digit, whole: by its bytes as one number when it has 8 or fewer
    numbered = np.flatnonzero(has_digit)
    short, long = numbered[length[numbered] <= 8], numbered[length[numbered] > 8]
    keys = eight_bytes[starts[short]] & _FIRST_BYTES[length[short]]
    distinct, inverse = np.unique(keys, return_inverse=True)
    known = [numbers.setdefault(k.to_bytes(8, "little").rstrip(b"\0").translate(_BYTE_TEXT).decode("ascii"), len(numbers))
             for k in distinct.tolist()]
    terms[short] = np.array(known, dtype=np.int64)[inverse]
    terms[long] = [numbers.setdefault(raw[a : a + n].translate(_BYTE_TEXT).decode("ascii"), len(numbers))
                   for a, n in zip(starts[long].tolist(), length[long].tolist())]
    bounds = np.cumsum([1] + [len(s) + 1 for s in segments])  # where each segment starts in the buffer, and the end
    counts = np.diff(np.concatenate([[0], np.cumsum(kept)])[np.searchsorted(starts, bounds)])
    return terms[kept], counts


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


def repeated_passages(terms: np.ndarray, doc: np.ndarray, offsets: np.ndarray, in_two: np.ndarray) -> np.ndarray:
    """Which terms lie in a run of :data:`PASSAGE` terms that two documents or more hold (see the module docstring).

    ``terms``: every document's term numbers one after the other; ``doc``:
    each one's document; ``offsets``: where each document's terms start, and
    the end; ``in_two``: whether a term is in two documents or more (a run
    with a term that is not cannot be shared, and is not looked at). A run is
    known by a 64-bit hash of its terms, built by doubling (runs of 2, 4, ...
    terms); a collision, about one in 10^12 pairs of runs, would only leave
    one run out.
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
    whole = whole.copy()
    for back in range(1, PASSAGE):  # a run starting in a document's last PASSAGE - 1 terms would leave it
        at = offsets[1:] - back
        whole[at[(at >= offsets[:-1]) & (at < len(whole))]] = False
    starts = np.flatnonzero(whole)
    if not len(starts):
        return np.zeros(len(terms), dtype=bool)
    run = run[starts]
    run ^= run >> np.uint64(31)
    # Runs whose hash's high bits are met twice, by a plain sort of those bits with each run's number in
    # the low bits (a sort of integers is fast, a search of each run among the sorted ones was not);
    # then, among those few, the runs of equal hash held by two documents.
    low = max(1, (len(run) - 1).bit_length())
    keyed = np.sort((run >> np.uint64(low) << np.uint64(low)) | np.arange(len(run), dtype=np.uint64))
    high = keyed >> np.uint64(low)
    twice = high[1:] == high[:-1]
    if not twice.any():
        return np.zeros(len(terms), dtype=bool)
    met = np.concatenate([twice, [False]]) | np.concatenate([[False], twice])
    met = np.sort((keyed[met] & np.uint64((1 << low) - 1)).astype(np.int64))
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


def reading_matrix(readings: Sequence[Reading] | Readings) -> tuple[sparse.csr_matrix, np.ndarray]:
    """Row-normalised sublinear TF-IDF of each reading, and each column's document frequency.

    Terms in runs that other documents hold too are left out (unless that
    would leave out more than :data:`MAX_REPEATED_SHARE` of a document); the
    lede counts twice; in unspaced scripts two joined characters also make a
    bigram. Columns are the terms in two documents or more (words and
    characters in order of first appearance, then bigrams); a term in one
    document cannot link two, but it still counts in that document's norm.
    """
    batch = readings if isinstance(readings, Readings) else Readings.of(readings)
    n, length = len(batch), batch.length
    # term numbers in order of first appearance (what the columns' order, and so every sum's, is)
    first = np.full(len(batch.vocab), len(batch.terms), dtype=np.int64)
    np.minimum.at(first, batch.terms, np.arange(len(batch.terms)))
    met = np.argsort(first, kind="stable")[: np.count_nonzero(first < len(batch.terms))]
    renumber = np.empty(len(batch.vocab), dtype=np.int64)
    renumber[met] = np.arange(len(met))
    terms = renumber[batch.terms]
    doc = np.repeat(np.arange(n), length)
    offsets = np.concatenate([[0], np.cumsum(length)])
    lede = np.zeros(len(terms) + 1, dtype=np.int8)  # +1 at each lede's start, -1 at its end: summed, 1 in a lede
    np.add.at(lede, offsets[:-1], 1)
    np.add.at(lede, offsets[:-1] + batch.lede, -1)
    weight = np.cumsum(lede[:-1], dtype=np.int8) + 1.0
    # a term is in two documents or more when the first and the last document it is in differ
    first_doc, last_doc = np.full(len(met), n, dtype=np.int64), np.full(len(met), -1, dtype=np.int64)
    np.minimum.at(first_doc, terms, doc)
    np.maximum.at(last_doc, terms, doc)
    kept = ~repeated_passages(terms, doc, offsets, (first_doc < last_doc)[terms])
    kept |= (np.bincount(doc, ~kept, minlength=n) > MAX_REPEATED_SHARE * length)[doc]
    # each row's (term, weight) of the terms kept, repeated terms summed
    rows = np.concatenate([[0], np.cumsum(np.bincount(doc[kept], minlength=n))])
    counts = sparse.csr_matrix((weight[kept], terms[kept], rows), shape=(n, len(met)))
    counts.sum_duplicates()
    pairs = np.flatnonzero(batch.joined & kept & np.concatenate([[False], kept[:-1]]))
    if len(pairs):
        vocab = batch.vocab
        strings = [vocab[a] + vocab[b] for a, b in zip(batch.terms[pairs - 1].tolist(), batch.terms[pairs].tolist())]
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


def average_linkage(n: int, i: np.ndarray, j: np.ndarray, sims: np.ndarray, threshold: float,
                    groups: Sequence[int] | None = None) -> list[int]:
    """Group label (smallest member index) of each of ``n`` items, by average linkage over the edges.

    Merges the two groups of highest mean similarity (sum of their edges over
    the product of their sizes; a missing edge counts 0) while it is at least
    ``threshold``; ties go to the smallest group indices, so the result depends
    only on the edges. ``groups``: for items that start grouped, their group's
    label (its smallest member index), -1 for the others; such fixed groups
    never merge with one another, an item or group that is not fixed may join one.
    """
    size = [1] * n
    parent = list(range(n))
    fixed = [False] * n
    adj: list[dict[int, float] | None] = [{} for _ in range(n)]
    for x, group in enumerate(groups or ()):
        if group >= 0:
            fixed[group] = True
            if group != x:
                parent[x], adj[x] = group, None
                size[group] += 1
    for a, b, s in zip(i.tolist(), j.tolist(), sims.tolist()):
        a, b = parent[a], parent[b]  # a group's label is its own parent
        if a != b:
            links = adj[a]
            assert links is not None
            links[b] = adj[b][a] = links.get(b, 0.0) + s  # type: ignore[index]
    heap: list[tuple[float, int, int]] = []
    for a, links in enumerate(adj):
        for b, s in (links or {}).items():
            mean = s / (size[a] * size[b])
            if a < b and mean >= threshold and not (fixed[a] and fixed[b]):
                heap.append((-mean, a, b))
    heapq.heapify(heap)
    while heap:
        negative, a, b = heapq.heappop(heap)
        links_a, links_b = adj[a], adj[b]
        if links_a is None or links_b is None or links_a.get(b, 0.0) / (size[a] * size[b]) != -negative \
                or (fixed[a] and fixed[b]):
            continue  # a group merged since, or the pair's mean changed (a newer entry stands for it), or both are fixed
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
        fixed[keep] = fixed[keep] or fixed[gone]
        for k, s in links.items():
            mean = s / (size[keep] * size[k])
            if mean >= threshold and not (fixed[keep] and fixed[k]):
                heapq.heappush(heap, (-mean, min(keep, k), max(keep, k)))
    for x in range(n):  # parents are smaller than children: one pass resolves every root
        parent[x] = parent[parent[x]]
    return parent


def story_id(member_ids: Sequence[str]) -> str:
    """``"story-"`` + xxh3-64 hex of the smallest id."""
    return "story-" + xxhash.xxh3_64_hexdigest(min(member_ids).encode("utf-8"))


def stories_from_readings(ids: Sequence[str], readings: Sequence[Reading] | Readings,
                          threshold: float = DEFAULT_THRESHOLD, published: Sequence[str | None] | None = None,
                          window_days: int = 0, fixed: Sequence[str | None] | None = None) -> list[str]:
    """The story id of each document, from each one's :func:`read_terms` (the texts need not be at hand).

    ``readings``: each document's :class:`Reading`, or all of them as
    :func:`read_terms_batch` gives them (the same stories, read faster).
    ``published`` (ISO dates, ``None`` where unknown) and ``window_days`` > 0:
    two documents published more than ``window_days`` apart are not linked.
    ``fixed``: a story a document keeps (``None``: none); the documents of one
    such story start as one group and keep it, two of them never merge, and a
    document that joins one gets its id (see :func:`join_stories`).
    Documents are taken in id order, so the result does not depend on the order given.
    """
    order = sorted(range(len(ids)), key=lambda k: ids[k])
    if isinstance(readings, Readings):
        readings = readings if order == list(range(len(order))) else readings.take(order)  # given in id order: as it is
    else:
        readings = [readings[k] for k in order]
    matrix, df = reading_matrix(readings)
    i, j, sims = candidate_pairs(matrix, df, threshold)
    if window_days > 0 and published is not None:
        days = np.array([_day(published[k]) for k in order], dtype=np.float64)
        apart = np.abs(days[i] - days[j]) > window_days  # NaN (a date unknown) compares False: linked
        i, j, sims = i[~apart], j[~apart], sims[~apart]
    groups = None
    if fixed is not None:
        label: dict[str, int] = {}
        groups = [-1 if fixed[k] is None else label.setdefault(fixed[k], position)  # type: ignore[arg-type]
                  for position, k in enumerate(order)]
    roots = average_linkage(len(order), i, j, sims, threshold, groups)
    members: dict[int, list[str]] = {}
    for position, root in enumerate(roots):
        members.setdefault(root, []).append(ids[order[position]])
    names = {root: story_id(group) for root, group in members.items()}
    if fixed is not None:  # a group holding a fixed story is called by it (it holds one at most)
        names.update({root: fixed[order[position]] for position, root in enumerate(roots)
                      if fixed[order[position]] is not None})  # type: ignore[misc]
    stories = [""] * len(ids)
    for position, root in enumerate(roots):
        stories[order[position]] = names[root]
    return stories


def join_stories(old: Sequence[Document], docs: Sequence[Document], threshold: float = DEFAULT_THRESHOLD,
                 window_days: int = 0) -> list[str]:
    """The story id of each of ``docs`` (new documents), grouped together with ``old`` ones that keep theirs.

    For an incremental run: the documents an earlier snapshot kept keep their
    ``story``, and a late write-up of an old event joins the old story instead
    of starting one of its own. The old documents enter as their stories,
    fixed groups: the new ones are grouped by the same average linkage, and a
    group may join one old story (never two: old stories stay as they were).
    An old document without a story takes no part. Terms are weighted over
    old and new documents together.
    """
    old = [d for d in old if d.story is not None]
    everyone = [*old, *docs]
    fixed = [d.story for d in old] + [None] * len(docs)
    stories = stories_from_readings([d.id for d in everyone], read_terms_batch([d.text for d in everyone]), threshold,
                                    [d.published for d in everyone], window_days, fixed)
    return stories[len(old) :]


def assign_stories(ids: Sequence[str], texts: Sequence[str], threshold: float = DEFAULT_THRESHOLD,
                   published: Sequence[str | None] | None = None, window_days: int = 0) -> list[str]:
    """The story id of each text (see :func:`stories_from_readings`)."""
    return stories_from_readings(ids, read_terms_batch(texts), threshold, published, window_days)


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
