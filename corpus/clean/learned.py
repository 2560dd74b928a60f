"""Boilerplate learned from repetition: lines no rule names, found across a corpus.

A site's own footer or "related stories" block shows itself by recurring in
many of that site's documents. :class:`LineCounts` takes one pass over the
cleaned corpus and counts, for every normalized line, the documents of each
source that contain it; :func:`learn_boilerplate` turns the counts into
:class:`LearnedBoilerplate`, which strips those lines in a second pass.

The danger is article prose: a wire story republished by many outlets repeats
every one of its sentences across sources. So a line is learned only when the
documents that contain it are *different articles*: two documents are the same
article when most of their article lines are shared. Article lines are a
document's prose-length lines (:data:`PROSE_WORDS` words or more) that are not
candidates of its own source; short lines are left out of the comparison because
they are mostly chrome, which differs from outlet to outlet and would make two
copies of one story look like different articles. Copies of one story share
their paragraphs, so they count once; different articles under one site's
footer share only the footer, so they count apart.

A line without a letter ("2014", "1 / 5", "|") is never learned: with its
digits folded, its key is every table's cells and every page's numbers, no
site's own line (separators have their rule).

Lines of a single source are learned with ``min_documents`` and ``min_share``
(the share of that source's documents). Lines across sources need
``min_sources`` different sources as well, a much higher bar.

Documents are counted in *scopes* (:func:`scopes_of`): a named source's documents
as a whole, and the documents of one source that open, or close, with the same
lines (:func:`template_of`: the first line, the first two, the first three, and
the same from the end, each a scope; they nest, a deeper one holding one
template where a shallow one pools the sites that end alike). Site chrome opens
and closes every page of a site alike (a logo line or "Skip to content" above, a
copyright line below), so one site's pages meet in an edge scope, and the
per-source bar applies there: a line in half of a scope's documents is a
candidate of the source, held to the different-articles test over all of the
source's documents that hold it.

A document without a source (page text from a crawl with neither url nor
source) has the source :data:`UNSOURCED`, but only its edge scopes: the
sourceless documents as a whole are no site, and a quote in half of them is no
chrome. A scope by one edge rather than by both: after cleaning, one edge line
is often the article's own (a site with no chrome above its title, or whose
footer the rules removed), and a key of both edges then split a site into
one-page templates. Measured on the real benchmark's kind c (page text, no url
or source; ``make bench-real``), pair F1 on seeds 0 / 1: the key of first and
last line 0.8539 / 0.7788, the last line alone 0.7096 (seed 0), either single
edge 0.9319 (seed 0), one or two edge lines 0.9521 / 0.8612, one to three
0.9656 / 0.9223, one to four 0.9346 on seed 1 for a little more article lines
taken. Three lines nest deep enough to tell Wikipedia's templates apart, whose
last two lines are the same on every page. A scope whose innermost line has
:data:`EDGE_MAX_WORDS` words or more (prose-length) is made only at the full
depth: three different write-ups that end with the same quote must not make a
scope that the quote fills.

What is learned for :data:`UNSOURCED` is stripped only from the documents of the
edge scopes it was learned in (:func:`strip_scope`; a manifest row says its
``scope``), and sourceless documents count as no source for the bar across
sources. Stripped from every sourceless document, a site's heading such as
"Summary", or a title that one site's chrome lists as a teaser, went from
another site's articles too. Measured on kind c, seed 0, per scope against
every sourceless document: line recall over kept documents 0.9825 -> 0.9943,
line precision 0.696 -> 0.666 (a site's page outside the scope keeps the
site's line), pair F1 0.9656 -> 0.9636. A line learned in a scope and in a
shallower one holding it (its first two lines and its first) is kept in the
shallower only: one row strips both. Cleaning with ``page_chrome`` strips the
edge lines, so it records the scopes before (``metadata["template"]``).

A named source is counted by its edges too: a site with several templates (its
sections, or several hosts under one registrable domain: en.wikipedia.org's
article and list pages), none of them in half the site's documents. Measured on
the real benchmark: kind b had mysanantonio.com under two templates of 10 and 9
of its 19 pages, whose chrome was never learned by source alone and chained
short articles together.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np
import xxhash

from corpus.clean.chrome import has_words
from corpus.document import Document, Removal
from corpus.errors import ConfigError

ANY_SOURCE = "*"
#: Lines of at least this many words are prose when documents are compared (two characters a word
#: in Chinese, Japanese, Thai: :func:`corpus.clean.chrome.word_count`).
PROSE_WORDS = 10


@dataclass(frozen=True)
class LearnConfig:
    """Thresholds for learning boilerplate lines; see the module docstring."""

    enabled: bool = True
    min_documents: int = 3
    min_share: float = 0.5
    min_sources: int = 5

    def __post_init__(self) -> None:
        if self.min_documents < 2:
            raise ConfigError(f"learned.min_documents = {self.min_documents}; it must be 2 or more")
        if not 0 < self.min_share <= 1:
            raise ConfigError(f"learned.min_share = {self.min_share}; it must be in (0, 1]")
        if self.min_sources < 2:
            raise ConfigError(f"learned.min_sources = {self.min_sources}; it must be 2 or more")


#: How many lines (as written) counting (:func:`counted_lines`) and stripping (:meth:`LearnedBoilerplate.strip`)
#: keep the key of, once computed: the lines that may be learned recur verbatim (a site's chrome on each of its
#: pages), prose rarely does.
KNOWN_LINES = 1 << 18


_DIGITS = re.compile(r"\d+")
_LETTER = re.compile(r"[^\W\d_]")


def line_key(line: str) -> int:
    """A hash of a line that ignores case, spacing and the digits of numbers and years.

    >>> line_key("© 2023  The Ledger") == line_key("© 2024 the ledger")
    True
    """
    normalized = _DIGITS.sub("0", " ".join(line.casefold().split()))
    return xxhash.xxh64_intdigest(normalized.encode("utf-8"))


def line_ends(line: str) -> tuple[str, str] | None:
    """The first and the last word (between spaces) of the text a line's :func:`line_key` hashes (None
    for a blank line): two lines of one key have the same ends, and a line's ends cost less than its key.

    >>> line_ends("  © 2023  The Ledger ") == line_ends("© 1999 the LEDGER")
    True
    """
    words = line.split(None, 1)
    if not words:
        return None
    return _folded(words[0]), _folded(words[-1].rsplit(None, 1)[-1])


def _folded(word: str) -> str:
    """A word as :func:`line_key` reads it (casefolded, each run of digits one ``0``)."""
    word = word.casefold()
    return word if word.isalpha() else _DIGITS.sub("0", word)


@dataclass(frozen=True)
class CountedLines:
    """A text's lines that learning counts (those with a letter), stripped, in order, with their
    :func:`line_key` and whether each is prose (:data:`PROSE_WORDS` words or more): found once
    per text, for both :meth:`LineCounts.add` and its edge scopes (:func:`template_of`)."""

    lines: list[str]
    keys: list[int]
    prose: list[bool]


def counted_lines(text: str, known: dict[str, int] | None = None) -> CountedLines:
    """The :class:`CountedLines` of ``text``. A line without a letter ("2014", "1 / 5", "|") is left
    out: with its digits folded, its key is every table's cells and every page's numbers, no site's own.

    ``known``: the keys of lines shorter than prose met before, by line, read and added to (up to
    :data:`KNOWN_LINES`): a site's chrome recurs verbatim on each of its pages, prose rarely does.
    """
    lines = [line for line in map(str.strip, text.split("\n")) if line and _LETTER.search(line)]
    known = {} if known is None else known
    keys, prose = [], []
    for line in lines:
        key = known.get(line)
        if key is None:
            long = has_words(line, PROSE_WORDS)
            key = line_key(line)
            if not long and len(known) < KNOWN_LINES:
                known[line] = key
        else:
            long = False
        keys.append(key)
        prose.append(long)
    return CountedLines(lines, keys, prose)


#: The prefix of a counting scope made by a text's edge lines (see the module docstring).
TEMPLATE = "template:"
#: The source of every document that has none (page text from a crawl with neither url nor source).
UNSOURCED = "(no source)"
#: How many lines at each end of a text make its edge scope (:func:`template_of`).
EDGE_LINES = 3
#: An edge scope whose innermost line is this long (a paragraph) is made only at the full :data:`EDGE_LINES`.
EDGE_MAX_WORDS = PROSE_WORDS


def source_of(doc: Document) -> str:
    """The source ``doc``'s learned lines are decided and stripped under: its own, else :data:`UNSOURCED`."""
    return doc.source or UNSOURCED


#: Between a source and one of its edge scopes in a scope's name (:func:`scopes_of`).
SCOPE_SEP = "\0"


def scopes_of(doc: Document, lines: CountedLines | None = None) -> tuple[str, ...]:
    """The groups whose documents ``doc``'s lines are counted among: its source as a whole (a named
    one only: the sourceless documents together are no site), and that source's documents that open,
    or close, with the same lines as ``doc`` (``"<source>\\0template:first2:<hash>"``, :func:`template_of`;
    ``lines``: the :func:`counted_lines` of its text, if the caller has them)."""
    source = source_of(doc)
    edges = doc.metadata.get("template")
    if not isinstance(edges, list):
        edges = edge_scopes(*(_edges_of(lines) if lines is not None else edge_lines(doc.text)))
    return (*([source] if doc.source else []), *(source + SCOPE_SEP + edge for edge in edges))


def source_of_scope(scope: str) -> str:
    """The source a counting scope (:func:`scopes_of`) belongs to."""
    return scope.split(SCOPE_SEP, 1)[0]


def template_of(text: str) -> list[str]:
    """The edge scopes of a text (see the module docstring): its first line, its first two lines, its
    first three (:data:`EDGE_LINES`), and the same from its end, among its lines with a letter; a
    scope shorter than :data:`EDGE_LINES` whose innermost line has :data:`EDGE_MAX_WORDS` words or
    more (a paragraph) is not made.

    >>> [scope[:15] for scope in template_of("Skip to content\\nThe Ledger\\nA story.\\nMore\\n© 2023 The Ledger")]
    ['template:first1', 'template:first2', 'template:first3', 'template:last1:', 'template:last2:', 'template:last3:']
    """
    return edge_scopes(*edge_lines(text))


#: A line and its :func:`line_key`.
KeyedLine = tuple[str, int]


def edge_lines(text: str) -> tuple[list[KeyedLine], list[KeyedLine]]:
    """The first :data:`EDGE_LINES` lines with a letter of ``text`` (stripped, with their keys), and the
    last ones, from its end: what its edge scopes are made of, found without reading the lines between."""
    def first(lines: Iterable[str]) -> list[KeyedLine]:
        edge = itertools.islice((line for line in map(str.strip, lines) if line and _LETTER.search(line)), EDGE_LINES)
        return [(line, line_key(line)) for line in edge]
    lines = text.split("\n")
    return first(lines), first(reversed(lines))


def _edges_of(lines: CountedLines) -> tuple[list[KeyedLine], list[KeyedLine]]:
    keyed = list(zip(lines.lines, lines.keys))
    return keyed[:EDGE_LINES], keyed[::-1][:EDGE_LINES]


def edge_scopes(first: list[KeyedLine], last: list[KeyedLine]) -> list[str]:
    """:func:`template_of` a text whose :func:`edge_lines` are ``first`` and ``last``."""
    out = []
    for where, edge in (("first", first), ("last", last)):
        hexes = [f"{key:016x}" for _, key in edge]
        for n in range(1, len(edge) + 1):
            if n < EDGE_LINES and has_words(edge[n - 1][0], EDGE_MAX_WORDS):
                continue
            keys = "".join(hexes[:n])
            out.append(f"{TEMPLATE}{where}{n}:{xxhash.xxh64_intdigest(keys.encode()):016x}")
    return out


@dataclass
class LineCounts:
    """Per scope (a source, a source's template: :func:`scopes_of`): how many documents contain each
    line key; and each document's source and line keys."""

    documents: Counter[str] = field(default_factory=Counter)
    per_source: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    text_of: dict[int, str] = field(default_factory=dict)
    doc_keys: list[tuple[str, np.ndarray]] = field(default_factory=list)
    doc_prose: list[np.ndarray] = field(default_factory=list)
    #: A sourceless edge scope's next shallower one at the same edge (``first3`` -> its ``first2``), holding its documents.
    parent: dict[str, str] = field(default_factory=dict)
    #: The keys of short lines met so far, by line (:func:`counted_lines`).
    known: dict[str, int] = field(default_factory=dict, repr=False)

    def add(self, doc: Document) -> None:
        lines = counted_lines(doc.text, self.known)
        scopes = scopes_of(doc, lines)
        if doc.source is None:  # only sourceless lines are kept by scope (strip_scope)
            for outer, inner in zip(scopes, scopes[1:]):
                if _edge_of(outer) == _edge_of(inner):
                    self.parent.setdefault(inner, outer)
        keys = set(lines.keys)
        prose = {key for key, long in zip(lines.keys, lines.prose) if long}
        for key, line in zip(lines.keys, lines.lines):
            if key not in self.text_of:
                self.text_of[key] = line
        for scope in scopes:
            self.documents[scope] += 1
            self.per_source[scope].update(keys)
        self.doc_keys.append((source_of(doc), np.array(sorted(keys), dtype=np.uint64)))
        self.doc_prose.append(np.array(sorted(prose), dtype=np.uint64))


def learn_boilerplate(counts: LineCounts, config: LearnConfig = LearnConfig()) -> LearnedBoilerplate:
    """Decide which counted lines are boilerplate (see the module docstring)."""
    own: dict[str, set[int]] = defaultdict(set)
    found: dict[tuple[str, int], int] = {}  # (where it is stripped, key) -> documents of the largest scope it reached the bar in
    for scope, lines in counts.per_source.items():
        floor = source_floor(config, counts.documents[scope])
        source = source_of_scope(scope)
        where = strip_scope(scope)
        for key, n in lines.items():
            if n >= floor:
                own[source].add(key)
                found[where, key] = max(found.get((where, key), 0), n)
    sources = Counter(key for scope, lines in counts.per_source.items() if SCOPE_SEP not in scope for key in lines)
    shared = {key for key, n in sources.items() if n >= config.min_sources}

    # Each document's few lines are looked up in the candidate sets, never the sets
    # walked per document: ``shared`` grows with the corpus (every paragraph syndicated
    # to five outlets is in it), and a per-document union made this stage quadratic.
    holders: dict[int, list[int]] = defaultdict(list)
    for index, (source, keys) in enumerate(counts.doc_keys):
        mine = own[source]
        for key in keys.tolist():
            if key in mine or key in shared:
                holders[key].append(index)
    article_lines = ArticleLines(counts.doc_keys, counts.doc_prose, own)

    accepted = set()
    source_of_doc = [source for source, _ in counts.doc_keys]
    for source, keys in sorted(own.items()):
        for key in keys:
            docs = [i for i in holders[key] if source_of_doc[i] == source]
            if article_lines.distinct(docs, config.min_documents):
                accepted.add((source, key))
    learned: dict[str, dict[int, int]] = defaultdict(dict)
    for (where, key), n in sorted(found.items()):
        if (source_of_scope(where), key) in accepted and not _held_by_outer(where, key, found, counts.parent):
            learned[where][key] = n
    for key in shared:
        if article_lines.distinct(holders[key], config.min_sources):
            learned[ANY_SOURCE][key] = len(holders[key])
    return LearnedBoilerplate({s: dict(k) for s, k in learned.items()}, dict(counts.text_of))


def _edge_of(scope: str) -> str:
    """``"first"`` or ``"last"``: the edge an edge scope's lines are taken from."""
    return scope.split(SCOPE_SEP, 1)[1][len(TEMPLATE):].rstrip(":0123456789abcdef")


def _held_by_outer(scope: str, key: int, found: Mapping[tuple[str, int], int], parent: Mapping[str, str]) -> bool:
    """Whether ``key`` is learned in a shallower scope holding ``scope``'s documents: stripping it there
    strips it here, so one manifest row says both."""
    outer = parent.get(scope)
    while outer is not None:
        if (outer, key) in found:
            return True
        outer = parent.get(outer)
    return False


def strip_scope(scope: str) -> str:
    """Where a line learned in counting ``scope`` is stripped: the whole source for a named one, the
    edge scope itself for :data:`UNSOURCED` (the sourceless documents are no site; see the module docstring)."""
    source = source_of_scope(scope)
    return scope if source == UNSOURCED else source


def source_floor(config: LearnConfig, documents: int) -> float:
    """How many of a source's ``documents`` must hold a line for it to be a candidate of that source."""
    return max(config.min_documents, config.min_share * documents)


def distinct_articles(articles: Iterable[AbstractSet[int]], needed: int) -> bool:
    """Whether the article lines of some documents (in order) hold ``needed`` different articles.

    Two documents are one article when most of the shorter one's article lines
    are the other's (:data:`ArticleLines.SAME_ARTICLE`); a document without
    article lines is not counted. Stops as soon as ``needed`` are found.
    """
    found: list[AbstractSet[int]] = []
    for lines in articles:
        if len(lines) == 0:
            continue
        if all(_containment(lines, other) < ArticleLines.SAME_ARTICLE for other in found):
            found.append(lines)
            if len(found) >= needed:
                return True
    return False


class ArticleLines:
    """Tells whether documents are different articles, by their article lines (see the module docstring)."""

    SAME_ARTICLE = 0.5

    def __init__(self, doc_keys: list[tuple[str, np.ndarray]], doc_prose: list[np.ndarray],
                 own: Mapping[str, set[int]]) -> None:
        self._doc_keys = doc_keys
        self._doc_prose = doc_prose
        self._own = {s: np.array(sorted(k), dtype=np.uint64) for s, k in own.items()}
        self._cache: dict[int, frozenset[int]] = {}

    def _lines(self, index: int) -> frozenset[int]:
        # A set: the documents holding a line are compared pairwise, and a set's intersection costs
        # a fraction of two arrays' (numpy's call alone outweighs a few dozen keys).
        if index not in self._cache:
            source, keys = self._doc_keys[index]
            self._cache[index] = frozenset(article_keys(keys, self._doc_prose[index], self._own.get(source, _NONE)).tolist())
        return self._cache[index]

    def distinct(self, docs: list[int], needed: int) -> bool:
        """Whether ``docs`` hold at least ``needed`` different articles (stops as soon as they do)."""
        return distinct_articles((self._lines(index) for index in docs), needed)


_NONE = np.empty(0, dtype=np.uint64)


def article_keys(keys: np.ndarray, prose: np.ndarray, own: np.ndarray) -> np.ndarray:
    """A document's article lines: its prose lines (all its lines if it has none) less its source's candidates."""
    return np.setdiff1d(prose if len(prose) else keys, own, assume_unique=True)


def _containment(a: AbstractSet[int], b: AbstractSet[int]) -> float:
    return len(a & b) / min(len(a), len(b))


@dataclass
class LearnedBoilerplate:
    """Learned lines per source (``"*"`` for every source; for :data:`UNSOURCED`, per edge scope
    ``"<source>\\0template:..."``, :func:`strip_scope`), with the documents they were seen in."""

    lines: Mapping[str, Mapping[int, int]]
    text_of: Mapping[int, str]
    #: The keys of lines :meth:`strip` has met that may be learned, by the line as written (:data:`KNOWN_LINES`).
    _known: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)

    @cached_property
    def _scoped_sources(self) -> frozenset[str]:
        return frozenset(source_of_scope(where) for where in self.lines if SCOPE_SEP in where)

    @cached_property
    def _ends(self) -> frozenset[tuple[str, str]] | None:
        """The :func:`line_ends` of every learned line (None if one's text is not known): a line whose
        ends are not among them has another key, so :meth:`strip` needs no key of it."""
        texts = [self.text_of.get(key) for keys in self.lines.values() for key in keys]
        if any(text is None for text in texts):
            return None
        return frozenset(line_ends(text) for text in texts)

    def strip(self, doc: Document) -> Document:
        """Remove learned lines from ``doc`` in place, recording each removal; return it: the lines of its
        source, of any source, and of its edge scopes (:func:`scopes_of`) where lines are kept by scope."""
        source = source_of(doc)
        wheres = [source, ANY_SOURCE]
        if source in self._scoped_sources:
            wheres += [scope for scope in scopes_of(doc) if SCOPE_SEP in scope]
        tables = [self.lines[where] for where in wheres if self.lines.get(where)]
        if not tables:
            return doc
        ends, known = self._ends, self._known
        kept = []
        for line in doc.text.split("\n"):
            key = known.get(line)
            if key is None:
                # Its key only if it may be learned: a key costs a few times its line's ends, and most lines are not.
                shape = line_ends(line)
                if shape is None or (ends is not None and shape not in ends):
                    kept.append(line)
                    continue
                key = line_key(line)
                if len(known) < KNOWN_LINES:
                    known[line] = key
            for table in tables:
                if key in table:
                    doc.removed.append(Removal(rule="learned", line=line.strip()))
                    break
            else:
                kept.append(line)
        doc.text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip("\n")
        return doc

    def report(self) -> list[dict[str, Any]]:
        """The learned lines, most frequent first: ``{"source", "line", "documents"}``, and ``"scope"``
        (an edge scope of :func:`template_of`) for a line stripped only from that scope's documents."""
        rows = []
        for where, keys in self.lines.items():
            source, _, scope = where.partition(SCOPE_SEP)
            for key, n in keys.items():
                rows.append({"source": source, **({"scope": scope} if scope else {}),
                             "line": self.text_of[key], "documents": n})
        return sorted(rows, key=lambda r: (-r["documents"], r["source"], r["line"], r.get("scope", "")))

    @classmethod
    def from_report(cls, rows: Iterable[Mapping[str, Any]]) -> LearnedBoilerplate:
        """Rebuild from :meth:`report` rows (an earlier snapshot's manifest); a row without ``"scope"``
        (as every row was before lines were kept by scope) is stripped from all of its source's documents."""
        lines: dict[str, dict[int, int]] = defaultdict(dict)
        text_of: dict[int, str] = {}
        for row in rows:
            key = line_key(row["line"])
            where = row["source"] + (SCOPE_SEP + row["scope"] if row.get("scope") else "")
            lines[where][key] = int(row["documents"])
            text_of[key] = row["line"]
        return cls(dict(lines), text_of)
