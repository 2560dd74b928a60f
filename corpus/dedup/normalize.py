"""Cleaned text -> the token stream that shingling and exact hashing read.

Two copies of one wire story differ in ways that say nothing about the story:
case, accents lost or kept by an outlet's CMS, curly versus straight quotes
(ftfy straightens them when it repairs mojibake), ligatures, full-width forms,
punctuation and spacing. :func:`tokens` folds all of them away, so those copies
give the same tokens::

    >>> tokens("London’s Met: ‘Officers’ refusal’ — Café")
    ['london', 's', 'met', 'officers', 'refusal', 'cafe']
    >>> tokens("LONDON'S MET \\"officers' refusal\\" - Cafe\\u0301")
    ['london', 's', 'met', 'officers', 'refusal', 'cafe']

The steps, in order: NFKD (compatibility forms and ligatures decompose, accented
letters split into base + combining mark), drop combining marks, ``casefold``,
then keep maximal runs of letters and digits. Punctuation, quotes of every kind
and underscores are separators, which is what makes quote styles equal.

Scripts written without spaces between words (Chinese, Japanese, Thai, Lao,
Khmer, Myanmar) have no word tokens to find; :func:`is_unspaced` detects them by
character class and :func:`tokens` then returns one token per letter, so the
shingles built on top are character n-grams.

Fast path: most news text is ASCII plus a few typographic characters (curly
quotes, dashes, the pound sign, an accented name). :func:`tokenize` encodes it
to ASCII, replacing each run of other characters by its fold with separators
made spaces (``’`` -> ``" "``, ``é`` -> ``"e"``, ``½`` -> ``"1 2"``), then
lowercases and splits with a byte table: several times faster than the regular
expressions, with the same tokens. A run holding a letter or digit whose fold
is not ASCII (Cyrillic, Chinese...) sends the whole text down the regular path.
Folding a run alone gives what folding the whole text gives there: NFKD
decomposes character by character and only reorders combining marks, which are
dropped, and ``casefold`` has no context.

Known cost of the fold: NFKD + dropping marks also removes Japanese voicing
marks (ガ -> カ). Both copies of a story are folded the same way, so this only
merges spellings, never separates copies.
"""

from __future__ import annotations

import codecs
import re
import sys
import unicodedata
from functools import lru_cache

import ftfy

from corpus.clean.encoding import has_utf8_mojibake

# Code point ranges of scripts written without spaces between words.
UNSPACED_RANGES: tuple[tuple[int, int], ...] = (
    (0x0E00, 0x0EFF),  # Thai, Lao
    (0x1000, 0x109F),  # Myanmar
    (0x1780, 0x17FF),  # Khmer
    (0x3040, 0x30FF),  # Hiragana, Katakana
    (0x31F0, 0x31FF),  # Katakana phonetic extensions
    (0x3400, 0x4DBF),  # CJK Extension A
    (0x4E00, 0x9FFF),  # CJK Unified Ideographs
    (0xF900, 0xFAFF),  # CJK Compatibility Ideographs
    (0xFF66, 0xFF9F),  # Half-width Katakana
    (0x20000, 0x3134F),  # CJK Extensions B-G
)

#: A document is tokenised by characters when more than this share of its
#: letters belong to :data:`UNSPACED_RANGES`. Half: a Chinese article quoting
#: English names stays character-based, an English article quoting a Chinese
#: name stays word-based.
UNSPACED_SHARE = 0.5


def _char_class(ranges: list[tuple[int, int]]) -> str:
    return "".join(f"{re.escape(chr(lo))}-{re.escape(chr(hi))}" if hi > lo else re.escape(chr(lo)) for lo, hi in ranges)


def _combining_ranges() -> list[tuple[int, int]]:
    """Every code point with a non-zero combining class, as closed ranges."""
    ranges: list[tuple[int, int]] = []
    for cp in range(sys.maxunicode + 1):
        if unicodedata.combining(chr(cp)):
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return ranges


# The lookahead skips the long class for every character below U+0300 (no
# combining mark is there): 9x faster on English news than the bare class.
_COMBINING = re.compile(f"(?=[^\\x00-\\u02ff])[{_char_class(_combining_ranges())}]+")
_UNSPACED = re.compile(f"[{_char_class(list(UNSPACED_RANGES))}]")
_WORD = re.compile(r"[^\W_]+")
_SEPARATORS = re.compile(r"[\W_]")
_LETTER = re.compile(r"[^\W\d_]")


def fold(text: str) -> str:
    """Fold compatibility forms, accents and case: ``"Ｃａｆé ﬁle" -> "cafe file"``."""
    if not text.isascii():
        text = _COMBINING.sub("", unicodedata.normalize("NFKD", text))
    return text.casefold()


def is_unspaced(text: str) -> bool:
    """True when most letters of ``text`` are in a script written without spaces.

    >>> is_unspaced("伦敦警察拒绝携带枪支"), is_unspaced("Officers in London")
    (True, False)
    """
    if text.isascii():
        return False
    unspaced = len(_UNSPACED.findall(text))
    return unspaced > 0 and unspaced > UNSPACED_SHARE * len(_LETTER.findall(text))


def tokens(text: str, unspaced: bool | None = None) -> list[str]:
    """The folded tokens of ``text``: words, or characters for unspaced scripts.

    ``unspaced`` forces the choice; by default :func:`is_unspaced` decides.

    >>> tokens("Chris Kaba, 24, was shot.")
    ['chris', 'kaba', '24', 'was', 'shot']
    >>> tokens("伦敦警察。")
    ['伦', '敦', '警', '察']
    """
    if unspaced is None:
        return tokenize(text)[0]
    text = _readable(text)
    words = None if unspaced else _ascii_words(text)
    if words is None:
        words = _WORD.findall(fold(text))
    if unspaced:
        return [ch for word in words for ch in word]
    return words


def tokenize(text: str) -> tuple[list[str], bool]:
    """``(tokens(text), is_unspaced(text))``, deciding both in one look.

    >>> tokenize("Café “Kaba” £24")
    (['cafe', 'kaba', '24'], False)
    """
    text = _readable(text)
    words = _ascii_words(text)
    if words is not None:
        return words, False  # nothing but ASCII folds: no unspaced script
    unspaced = is_unspaced(text)
    return tokens(text, unspaced), unspaced


def token_text(text: str) -> tuple[bytes, bool]:
    """The tokens of :func:`tokenize` as UTF-8 bytes in which every run of non-space bytes is one token,
    and the unspaced flag: what :mod:`.batch` reads, with no Python string made per token.

    On the fast path the bytes are the ASCII fold with every separator a space
    (runs of spaces left as they are); otherwise the tokens joined by single
    spaces. Tokens never hold a space byte (spaces and other separators are
    not letters or digits, and UTF-8 never encodes another character with one).

    >>> token_text("Café “Kaba” £24")
    (b'cafe  kaba   24', False)
    >>> token_text("伦敦警察。") == ("伦 敦 警 察".encode(), True)
    True
    """
    text = _readable(text)
    raw = _ascii_fold_bytes(text)
    if raw is not None:
        return raw.translate(_ASCII_TABLE), False
    unspaced = is_unspaced(text)
    return " ".join(tokens(text, unspaced)).encode("utf-8"), unspaced


def _readable(text: str) -> str:
    """``text`` with UTF-8 mojibake undone (ftfy), so a copy with broken encoding still matches.

    Cleaning repairs encoding already; this covers text deduplicated as it is.
    Only text that shows mojibake pays for the repair.

    >>> _readable("Kingdom\u00e2\u20ac\u2122s")
    'Kingdom’s'
    """
    # Mojibake of UTF-8 starts with a character in U+00C2..U+00F4, whose UTF-8 starts
    # with 0xC3: a text without that byte has none, found by one encode and memchr
    # (measured 5x faster than the pattern's own scan on news text).
    if text.isascii() or b"\xc3" not in text.encode("utf-8", "surrogatepass"):
        return text
    return ftfy.fix_encoding(text) if has_utf8_mojibake(text) else text


@lru_cache(maxsize=8192)
def _ascii_fold(run: str) -> str | None:
    folded = _SEPARATORS.sub(" ", fold(run))
    return folded if folded.isascii() else None


def _fold_to_ascii(error: UnicodeError) -> tuple[str, int]:
    """Encoding error handler: a run of non-ASCII characters -> its ASCII fold."""
    if not isinstance(error, UnicodeEncodeError):
        raise error
    folded = _ascii_fold(error.object[error.start : error.end])
    if folded is None:
        raise error
    return folded, error.end


_FOLD_ERRORS = "corpus.dedup.fold-to-ascii"
codecs.register_error(_FOLD_ERRORS, _fold_to_ascii)

#: ASCII bytes -> what :func:`fold` and ``_WORD`` make of them: letters
#: lowercased, digits kept, everything else (underscore too) a space.
_ASCII_TABLE = bytes(
    c + 32 if 65 <= c <= 90 else c if 97 <= c <= 122 or 48 <= c <= 57 else 32 for c in range(256)
)


def _ascii_fold_bytes(text: str) -> bytes | None:
    """``text`` encoded to ASCII with every run of other characters folded, or None when a fold is not ASCII."""
    try:
        return text.encode("ascii", _FOLD_ERRORS)
    except UnicodeEncodeError:
        return None


def _ascii_words(text: str) -> list[str] | None:
    """The word tokens of ``text`` by the fast path, or None when it does not apply."""
    raw = _ascii_fold_bytes(text)
    if raw is None:
        return None
    return raw.translate(_ASCII_TABLE).decode("ascii").split()
