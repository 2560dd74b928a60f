"""Page chrome in plain text: menus, section lists, bylines, related headlines, legal footers.

A crawl's page text (what Common Crawl's WET files hold: the page's visible text,
one block per paragraph or list, no HTML) carries the site's whole chrome around
the article. Without the markup, jusText's observations still hold line by line:
article prose is long and dense in function words ("the", "of", "und", "que"...);
chrome is short, a run of names and labels, and poor in them. So each line gets
a class from its own features (:func:`line_class`):

- ``prose``: a sentence (sentence punctuation at its end) of several words, or a
  long line dense enough in stop words;
- ``chrome``: no sentence, and short or poor in stop words;
- ``unsure``: anything else (a headline-length line with its function words).

The article is the span of blocks (runs of non-blank lines) from the first that
holds a prose line to the last (:func:`chrome_lines`). What goes:

- before and after that span, the ``chrome`` lines, except the title (the one
  line of the block just above the first paragraph, if it has a few words);
- inside it, a whole block of :data:`MENU_LINES` or more ``chrome`` lines of at
  most :data:`MENU_WORDS` words and no digits: a menu between paragraphs.

A block that holds a prose line is never touched, nor an ``unsure`` line, nor
any line of a text with no prose at all (a short item, a list: nothing tells
the chrome from it). When in doubt a line stays. Measured on the whole visible
text of 274 real pages (``python -m bench.chrome``), lists and tables inside an
article look like menus, which is why a menu between paragraphs must be this
plain; the lines it removes wrongly there are bylines, tables of contents and
titles above the first paragraph, never a sentence.

Stop words are jusText's lists (about 100 languages, shipped with the
``justext`` package); a document's list is the one that covers most of its
words. Scripts written without spaces (Chinese, Japanese, Thai...) have no
words to count: there a line's length is its characters (two a word) and a
sentence is told by its punctuation.
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.document import Removal

#: The rule name every removal of this module carries (``Document.removed``).
RULE = "chrome"
#: Between paragraphs, a block of at least this many chrome lines of at most ``MENU_WORDS`` words is a menu.
MENU_LINES = 5
MENU_WORDS = 2
#: The last line before the article's first paragraph stays when it has this many words: a title or a heading.
TITLE_WORDS = 3

_WORD = re.compile(r"\w+")
# Scripts written without spaces between words: Han, Hiragana, Katakana, Thai, Lao, Khmer, Myanmar.
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0eff\u1780-\u17ff\u1000-\u109f]")
_SENTENCE_END = re.compile(r"[.!?…。！？؟।][\"'”’»)\]]*$")
_UNSPACED_PUNCT = re.compile(r"[，。！？；：、]")


@functools.cache
def _stoplists() -> dict[str, frozenset[str]]:
    import justext

    return {name: frozenset(justext.get_stoplist(name)) for name in sorted(justext.get_stoplists())}


@functools.cache
def _languages_of() -> dict[str, tuple[str, ...]]:
    """Word -> the stop-list names that hold it (one pass over a document's words, not one per list)."""
    index: dict[str, list[str]] = {}
    for name, words in _stoplists().items():
        for word in words:
            index.setdefault(word, []).append(name)
    return {word: tuple(names) for word, names in index.items()}


def stoplist_for(text: str, sample: int = 2000) -> frozenset[str]:
    """The stop-list (jusText's) that covers the most of the first ``sample`` words of ``text``.

    Empty when no list covers a tenth of them (a language jusText has no list for).

    >>> "the" in stoplist_for("The officers said that the guns were handed in.")
    True
    """
    words = [w.casefold() for w in _WORD.findall(text)[:sample]]
    if not words:
        return frozenset()
    index = _languages_of()
    hits: Counter[str] = Counter()
    for word in words:
        hits.update(index.get(word, ()))
    if not hits:
        return frozenset()
    # Most words covered; ties by name, so the choice never depends on anything else.
    name, covered = min(hits.items(), key=lambda item: (-item[1], item[0]))
    return _stoplists()[name] if covered >= 0.1 * len(words) else frozenset()


@dataclass(frozen=True)
class LineFeatures:
    """What :func:`line_class` looks at: words (characters / 2 in unspaced scripts), stop-word share, sentence end."""

    words: float
    stop_share: float
    sentence: bool


def unspaced_length(line: str) -> int | None:
    """The characters of a line written mostly in a script without spaces (Chinese, Japanese, Thai...), else None."""
    unspaced = len(_UNSPACED.findall(line))
    return unspaced if unspaced > len(line) / 3 else None


def word_count(line: str) -> float:
    """A line's length in words: ``\\w+`` runs, or characters / 2 in a script written without spaces.

    >>> word_count("The officers met on Sunday."), word_count("警方周日表示，数百名警员已经交出了配枪。")
    (5.0, 9.0)
    """
    unspaced = unspaced_length(line)
    return unspaced / 2 if unspaced is not None else float(len(_WORD.findall(line)))


def has_words(line: str, n: int) -> bool:
    """Whether ``word_count(line) >= n``, reading a line only as far as its ``n``-th word:
    whether a line is long is all learning asks, and a paragraph's words were most of what it counted.

    >>> has_words("The officers met on Sunday.", 5), has_words("The officers met on Sunday.", 6)
    (True, False)
    """
    if _UNSPACED.search(line):
        return word_count(line) >= n
    return _words_pattern(n).match(line) is not None


@functools.cache
def _words_pattern(n: int) -> re.Pattern[str]:
    # Possessive: a word is never split in two to make up the count.
    return re.compile(rf"\W*+(?:\w++\W*+){{{n}}}")


def features(line: str, stoplist: frozenset[str]) -> LineFeatures:
    """The features of one line, its stop words counted with ``stoplist``."""
    words = _WORD.findall(line)
    unspaced = unspaced_length(line)
    if unspaced is not None:
        # About two characters a word in Chinese and Japanese; a sentence has its commas and full stops.
        return LineFeatures(unspaced / 2, 0.0, bool(_SENTENCE_END.search(line) or len(_UNSPACED_PUNCT.findall(line)) >= 2))
    stops = sum(1 for w in words if w.casefold() in stoplist)
    return LineFeatures(float(len(words)), stops / len(words) if words else 0.0, bool(_SENTENCE_END.search(line)))


#: A line of this many words or more with a stop-word share of at least ``PROSE_STOPS`` is prose.
PROSE_WORDS = 10
PROSE_STOPS = 0.25
#: A sentence (sentence punctuation at its end) of at least this many words is prose.
SENTENCE_WORDS = 6
#: A line of at most this many words that is no sentence is chrome; so is one, longer, with under ``CHROME_STOPS`` stop words.
CHROME_WORDS = 6
CHROME_STOPS = 0.1


def line_class(f: LineFeatures, has_stoplist: bool) -> str:
    """``prose``, ``chrome`` or ``unsure`` (see the module docstring)."""
    if f.sentence and f.words >= SENTENCE_WORDS:
        return "prose"
    if f.words >= PROSE_WORDS and (f.stop_share >= PROSE_STOPS or not has_stoplist):
        return "prose"
    if f.sentence:
        return "unsure"
    if f.words <= CHROME_WORDS or (has_stoplist and f.stop_share < CHROME_STOPS):
        return "chrome"
    return "unsure"


def _blocks(lines: Sequence[str]) -> list[list[int]]:
    """The indices of each block: a run of non-blank lines."""
    blocks: list[list[int]] = []
    for i, line in enumerate(lines):
        if not line.strip():
            if blocks and blocks[-1]:
                blocks.append([])
            continue
        if not blocks:
            blocks.append([])
        blocks[-1].append(i)
    return [b for b in blocks if b]


_DIGIT = re.compile(r"\d")


def chrome_lines(lines: Sequence[str]) -> list[bool]:
    """Which of ``lines`` are page chrome (blank lines never are); see the module docstring."""
    stoplist = stoplist_for("\n".join(lines))
    found = [features(line, stoplist) for line in lines]
    classes = [line_class(f, bool(stoplist)) if line.strip() else "blank" for f, line in zip(found, lines)]
    blocks = _blocks(lines)
    with_prose = [k for k, block in enumerate(blocks) if any(classes[i] == "prose" for i in block)]
    out = [False] * len(lines)
    if not with_prose:
        return out
    first, last = with_prose[0], with_prose[-1]
    above = blocks[first - 1] if first > 0 else []
    title = above[0] if len(above) == 1 and found[above[0]].words >= TITLE_WORDS else None
    for k, block in enumerate(blocks):
        if k < first or k > last:
            for i in block:
                out[i] = classes[i] == "chrome" and i != title
        elif len(block) >= MENU_LINES and all(
                classes[i] == "chrome" and found[i].words <= MENU_WORDS and not _DIGIT.search(lines[i]) for i in block):
            for i in block:
                out[i] = True
    return out


@dataclass
class StrippedChrome:
    """What :func:`strip_chrome` returns: the kept text and the removed lines."""

    text: str
    removed: list[Removal]


def strip_chrome(text: str) -> StrippedChrome:
    """Remove the page-chrome lines of a plain text, recording each as a ``chrome`` removal.

    >>> page = "Home\\nWorld\\nSport\\n\\nThe officers handed in their permits on Sunday, the force said.\\n\\nPrivacy policy"
    >>> strip_chrome(page).text
    'The officers handed in their permits on Sunday, the force said.'
    """
    removed: list[Removal] = []
    while True:  # until nothing changes (the stop-list is chosen again on what is left), so a second pass is a no-op
        lines = text.split("\n")
        flags = chrome_lines(lines)
        if not any(flags):
            return StrippedChrome(text, removed)
        removed += [Removal(rule=RULE, line=line.strip()) for line, gone in zip(lines, flags) if gone]
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(line for line, gone in zip(lines, flags) if not gone)).strip("\n")
