"""Bytes -> text, the way a browser decodes a page.

A crawl hands over pages in whatever encoding their site used: windows-1252,
iso-8859-2, gbk, shift_jis... A browser reads them all, and so must a reader.
:func:`decode` follows the HTML standard's order ("determining the character
encoding"), with one change that pages on the web ask for:

1. a byte order mark (UTF-8, UTF-16; and UTF-32, which the standard leaves out);
2. bytes that are valid UTF-8 are UTF-8, whatever the page declares. A legacy
   byte sequence is almost never valid UTF-8 by chance, while a declaration is
   often stale: the readability test set's ``qq`` page declares gb2312 and is
   UTF-8, and a browser that trusts the declaration shows it garbled;
3. the ``charset`` of the HTTP ``Content-Type`` header (a WARC response);
4. for HTML, ``<meta charset>`` or ``<meta http-equiv="Content-Type">``, found by
   the standard's prescan. The standard prescans 1024 bytes and lets the parser
   switch encoding at a declaration found later; here the prescan simply goes on
   (up to :data:`PRESCAN_BYTES`). Of the real pages in ../shared/bench-data,
   17 of 115 (readability) and 27 of 147 (AEB) declarations sit past byte 1024,
   the farthest at 69 KB, after inline scripts;
5. detection from the bytes, with uchardet (resiliparse's ``detect_encoding``;
   measured against charset-normalizer by ``python -m bench.encodings``), and
   for a page the language its ``<html lang>`` names as a hint; its answer is
   checked against the text it gives: where uchardet sees no encoding or a
   Latin one, bytes that read strictly as Japanese or Korean are read so
   (:func:`_cjk_reading`), a Central European reading needs letters
   windows-1252 lacks (:func:`_reads_as_other_latin`), and a single-byte
   reading gives way to a sibling one that is far less garbled (C1 controls,
   symbols inside words: :func:`_least_garbled`);
6. windows-1252, the standard's fallback where nothing else says (checked
   against its siblings the same way).

A declaration or detection is used only if the bytes decode in it without an
error; the next one is tried otherwise. If none does, the first is used as a
browser uses a declaration, with U+FFFD for each byte it cannot read, and the
count is kept (``Decoded.replaced``).

Labels are mapped as the WHATWG Encoding Standard maps them ("latin1",
"iso-8859-1" and "us-ascii" are windows-1252, "gb2312" is gbk, "x-sjis" is
shift_jis), and each encoding is decoded with the Python codec closest to the
standard's decoder (gbk with gb18030's, euc-kr with cp949's, big5 with
big5hkscs's), and the bytes a codec leaves undefined but the standard's
indexes define are read as they do (see :func:`_standard_gaps`).

Only bytes that no encoding takes for text are refused: :class:`NotText` for
NUL bytes, which a text file never holds and every binary format does.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["Decoded", "NotText", "PRESCAN_BYTES", "charset_of", "content_type_header", "decode", "detect_encoding",
           "encoding_of_label",
           "meta_charset"]

# How far into a page the meta prescan looks for a declaration (see the module docstring).
PRESCAN_BYTES = 1 << 20


@dataclass(frozen=True)
class Decoded:
    """Text decoded from bytes, the encoding (its WHATWG name) and how it was found.

    ``found_by`` is ``"bom"``, ``"utf-8"`` (the bytes are valid UTF-8),
    ``"http"`` (the Content-Type header), ``"meta"`` (the page's declaration),
    ``"detected"`` or ``"default"`` (windows-1252). ``replaced`` counts the
    bytes no encoding could read, each now U+FFFD.
    """

    text: str
    encoding: str
    found_by: str
    replaced: int = 0

    def metadata(self) -> dict[str, object]:
        """The ``metadata`` entries a document read from these bytes carries."""
        entries: dict[str, object] = {"encoding": self.encoding, "encoding_from": self.found_by}
        if self.replaced:
            entries["encoding_errors"] = self.replaced
        return entries


class NotText(ValueError):
    """Bytes that are not text in any encoding (a binary file); ``line`` is where it shows."""

    def __init__(self, reason: str, line: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


# WHATWG name -> the Python codec that decodes it as the standard does.
_DECODERS = {
    "utf-8": "utf-8", "utf-16le": "utf-16-le", "utf-16be": "utf-16-be",
    "gbk": "gb18030", "gb18030": "gb18030", "big5": "big5hkscs", "shift_jis": "shift_jis", "euc-jp": "euc_jp",
    "iso-2022-jp": "iso2022_jp", "euc-kr": "cp949", "windows-874": "cp874", "ibm866": "cp866",
    "macintosh": "mac-roman", "koi8-r": "koi8-r", "koi8-u": "koi8-u",
    **{f"windows-{n}": f"cp{n}" for n in range(1250, 1259)},
    **{f"iso-8859-{n}": f"iso8859-{n}" for n in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)},
}
# resiliparse's names (Python codec names) -> WHATWG names, where they differ by more than spelling.
_WHATWG_NAMES = {"utf-16-le": "utf-16le", "utf-16-be": "utf-16be", "euc_jp": "euc-jp", "euc_kr": "euc-kr",
                 "iso2022_jp": "iso-2022-jp", "iso8859-11": "windows-874", "cp866": "ibm866",
                 "mac-roman": "macintosh"}

# Names uchardet gives (as Python codec names) that are no WHATWG label but name one of its encodings.
_DETECTED_NAMES = {"cp949": "euc-kr", "cp932": "shift_jis", "cp936": "gbk", "cp950": "big5", "big5hkscs": "big5",
                   "cp874": "windows-874"}

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32le", "utf-32"), (codecs.BOM_UTF32_BE, "utf-32be", "utf-32"),
         (codecs.BOM_UTF8, "utf-8", "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16le", "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16be", "utf-16"))


def encoding_of_label(label: str) -> str | None:
    """The WHATWG encoding a charset label names, or None for a label no browser knows.

    >>> [encoding_of_label(x) for x in ("ISO-8859-1", "latin1", "us-ascii", "gb2312", "x-sjis", "utf8", "nope")]
    ['windows-1252', 'windows-1252', 'windows-1252', 'gbk', 'shift_jis', 'utf-8', None]
    """
    from resiliparse.parse.encoding import map_encoding_to_html5

    name = map_encoding_to_html5(label.strip().strip("\"'").lower(), fallback_utf8=False)
    if name is None:
        return None
    name = _WHATWG_NAMES.get(name) or re.sub(r"^cp(125\d)$", r"windows-\1", name).replace("iso8859-", "iso-8859-")
    return name if name in _DECODERS else None


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header value, as it is written.

    >>> charset_of('text/html; Charset="ISO-8859-2"')
    'ISO-8859-2'
    """
    for part in (content_type or "").split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "charset" and value.strip():
            return value.strip().strip("\"'")
    return None


def content_type_header(headers: Mapping[str, str] | None) -> str | None:
    """The Content-Type of HTTP ``headers``, whatever the case of its name."""
    for name, value in (headers or {}).items():
        if name.lower() == "content-type":
            return value
    return None


def detect_encoding(data: bytes) -> str | None:
    """The encoding uchardet reads in ``data`` (a WHATWG name), or None if it cannot tell.

    uchardet, through resiliparse: on the re-encoded real pages of
    ``python -m bench.encodings`` it is right more often than
    charset-normalizer and about 20 times faster.
    """
    from resiliparse.parse.encoding import detect_encoding as uchardet

    label = uchardet(data, html5_compatible=False)
    if not label:
        return None
    return encoding_of_label(label) or _DETECTED_NAMES.get(label.lower())


def decode(data: bytes, *, content_type: str | None = None, html: bool = False,
           detect: Callable[[bytes], str | None] = detect_encoding) -> Decoded:
    """Decode ``data`` as a browser would (see the module docstring for the order).

    ``content_type`` is the HTTP Content-Type header's value, if the bytes came
    with one; ``html`` adds the page's own meta declaration. Raises
    :class:`NotText` for bytes that are not text.

    >>> decode("Caf\\u00e9 \\u201cBlanc\\u201d".encode("cp1252"), content_type="text/plain; charset=latin1")
    Decoded(text='Café “Blanc”', encoding='windows-1252', found_by='http', replaced=0)
    >>> decode(b'<meta charset="iso-8859-2"><p>\\xa3\\xf3d\\xbc', html=True)
    Decoded(text='<meta charset="iso-8859-2"><p>Łódź', encoding='iso-8859-2', found_by='meta', replaced=0)
    """
    decoded = _from_bom(data) or _as_utf8(data) or _from_candidates(data, content_type, html, detect)
    if "\x00" in decoded.text:
        line = decoded.text.count("\n", 0, decoded.text.index("\x00")) + 1
        raise NotText("contains NUL bytes: a binary file, not text", line)
    return decoded


def _from_bom(data: bytes) -> Decoded | None:
    for bom, name, codec in _BOMS:
        if data.startswith(bom):
            text = data.decode(codec, errors="replace")
            return Decoded(text, name, "bom", text.count("\ufffd"))
    return None


def _as_utf8(data: bytes) -> Decoded | None:
    """``data`` as UTF-8 if it is valid UTF-8, or valid but for a last character cut short."""
    try:
        return Decoded(data.decode("utf-8"), "utf-8", "utf-8")
    except UnicodeDecodeError as err:
        if err.reason == "unexpected end of data" and err.end == len(data) and err.start > 0:
            # A body cut at a byte limit (WARC-Truncated) ends in the middle of a character.
            return Decoded(data[: err.start].decode("utf-8") + "\ufffd", "utf-8", "utf-8", 1)
        return None


def _from_candidates(data: bytes, content_type: str | None, html: bool,
                     detect: Callable[[bytes], str | None]) -> Decoded:
    """Bytes that are not UTF-8: the first declaration or detection they decode in, without an error.

    UTF-8 is out whatever declared it: the bytes are not valid UTF-8. Detection
    runs only if no declaration decodes them. If the bytes decode in none, the
    first is used with U+FFFD for what it cannot read, as a browser uses a
    declaration; if there is none, windows-1252 reads every byte (unless
    another Latin reading of them is far less garbled, see :func:`_least_garbled`).
    """
    candidates: list[tuple[str, str]] = []
    label = charset_of(content_type)
    if label is not None and (name := encoding_of_label(label)) is not None:
        candidates.append((name, "http"))
    if html and (name := meta_charset(data)) is not None:
        candidates.append((name, "meta"))
    declared = bool(candidates)
    candidates = [(name, found_by) for name, found_by in candidates if name != "utf-8"]
    for name, found_by in candidates:
        if (text := _strict(data, name)) is not None:
            return Decoded(text, name, found_by)
    detected = detect(data)
    if not declared and (detected is None or detected in _LATIN) and (cjk := _cjk_reading(data)) is not None:
        return Decoded(cjk[1], cjk[0], "detected")
    if detected is not None and detected != "utf-8":
        name = detected
        if name in _OTHER_LATIN and ((html and _lang(data) in _WINDOWS_1252_LANGUAGES)
                                     or not _reads_as_other_latin(data, name)):
            name = "windows-1252"
        name = _least_garbled(data, name, detected)
        if (text := _strict(data, name)) is not None:
            return Decoded(text, name, "detected")
        candidates.append((name, "detected"))
    if not candidates:
        name = _least_garbled(data, "windows-1252", None)
        if name != "windows-1252" and (text := _strict(data, name)) is not None:
            return Decoded(text, name, "detected")
        return Decoded(data.decode("cp1252", errors=_STANDARD), "windows-1252", "default")
    name, found_by = candidates[0]
    text = data.decode(_DECODERS[name], errors=_STANDARD_OR_REPLACE)
    return Decoded(text, name, found_by, text.count("\ufffd"))


def _strict(data: bytes, name: str) -> str | None:
    try:
        return data.decode(_DECODERS[name], errors=_STANDARD)
    except UnicodeDecodeError:
        return None


def _standard_gaps(err: UnicodeError, otherwise: str | None = None) -> tuple[str, int]:
    """Bytes a Python codec cannot read but the standard's decoder can.

    A single-byte codec's 0x80-0x9F are the C1 controls of that value (the
    windows-125x bytes Python leaves undefined); shift_jis takes cp932's
    extensions (NEC and IBM rows) where JIS X 0208 has none; gb18030 reads 0x80
    as the euro sign, as GBK does. Anything else raises, or is ``otherwise``.
    """
    if not isinstance(err, UnicodeDecodeError):
        raise err
    data, start = err.object, err.start
    if err.encoding == "charmap" and 0x80 <= data[start] <= 0x9F:
        return chr(data[start]), start + 1
    if err.encoding == "shift_jis" and start + 2 <= len(data):
        try:
            char = bytes(data[start:start + 2]).decode("cp932")
        except UnicodeDecodeError:
            char = ""
        if len(char) == 1:
            return char, start + 2
    if err.encoding == "gb18030" and data[start] == 0x80:
        return "\u20ac", start + 1
    if otherwise is None:
        raise err
    return otherwise, err.end


_STANDARD = "corpus.whatwg"
_STANDARD_OR_REPLACE = "corpus.whatwg-or-replace"
codecs.register_error(_STANDARD, _standard_gaps)
codecs.register_error(_STANDARD_OR_REPLACE, lambda err: _standard_gaps(err, "\ufffd"))


# Detection and the page's language. A page in English or French with a handful of accented
# letters is often taken for Central European (uchardet reads its ñ as ń, its è as č); a page
# that says it is in a language written in windows-1252 is read in windows-1252 instead, as
# Firefox takes the site's top-level domain as a hint. On the re-encoded real pages of
# bench.encodings (no declaration), 24 of 614 were read wrong without the hint, 11 with it:
# 14 right that were wrong, 1 wrong that was right (an English page naming Ivana Jelić and Pavle
# Petrović, in iso-8859-2: see _least_garbled for why that one stays wrong).
_OTHER_LATIN = {"windows-1250", "windows-1254", "windows-1257", "windows-1258", "iso-8859-2", "iso-8859-3",
                "iso-8859-4", "iso-8859-10", "iso-8859-13", "iso-8859-14", "iso-8859-15", "iso-8859-16"}
_LATIN = _OTHER_LATIN | {"windows-1252"}
_WINDOWS_1252_LANGUAGES = {"af", "ca", "da", "de", "en", "es", "eu", "fi", "fo", "fr", "ga", "gl", "id", "is", "it",
                           "ms", "nb", "nl", "nn", "no", "pt", "sq", "sv", "sw"}
_HTML_LANG = re.compile(rb"""<html\b[^>]*?[\t\n\f\r /]lang[\t\n\f\r ]*=[\t\n\f\r ]*["']?([A-Za-z]{2,3})\b""",
                        re.IGNORECASE)


# Letters of the Central European (and Turkish, Baltic...) encodings that windows-1252 has not: one is
# no evidence (an English page's "naïve" read as iso-8859-2 holds one, ď), a page in such a language
# holds them by the hundred. On bench.encodings' undeclared pages, 1 or 0 of them was all 7 Western
# pages read as windows-1250/iso-8859-3/iso-8859-10 had (Ă for Ã, č for è, İ for ©, ˘ for ¢).
_OTHER_LATIN_EVIDENCE = 2


def _reads_as_other_latin(data: bytes, name: str) -> bool:
    """Whether ``data`` read in ``name`` has enough letters windows-1252 lacks to be in that encoding."""
    text, western = _strict(data, name), _strict(data, "windows-1252")
    if text is None or western is None:
        return True
    letters = 0
    for char in set(text) - set(western):
        if char.isalpha():
            letters += text.count(char)
            if letters >= _OTHER_LATIN_EVIDENCE:
                return True
    return False


# A reading checked against its siblings. uchardet weighs letter frequencies, and a page with a
# handful of non-ASCII letters gives it little to weigh: the readability set's lwn-1 page, English
# with the names Tomaž and Matúš in iso-8859-2, is "windows-1252" to it, which reads them "Toma¾",
# "Matú¹"; an English Wikipedia article in windows-1252 is "iso-8859-7", which turns every curly
# quote into a C1 control and "Mozilla’s" into "Mozilla\x92s". Bytes read in the wrong single-byte
# encoding leave marks no real text has: C1 controls, symbols inside or glued to the end of a word
# ("mo¿e", "by³a", "Toma¾ Vajngerl"), a capital after a small letter in one word ("ÁèÞíá", Greek
# read as windows-1252) and letters of two alphabets in one word ("cafι"). A reading is replaced by
# the least garbled of the detector's answer and the single-byte siblings of the scripts the corpus
# holds (windows-1252, iso-8859-2, windows-1250; windows-1251 and koi8-r, whose Russian readings of
# each other put a capital after a small letter in every capitalised word; iso-8859-7 and
# windows-1253) only if the other has at least 2 marks fewer and at most a quarter as
# many: real pages have a few marks of their own (an AEB page holds "nÃ£o", mojibake in its UTF-8
# original: 8 marks read right, 6 read as windows-1250, which is wrong). Letters that read as letters
# either way are no evidence for either reading, and the choice stays the detector's: an English
# page naming Ivana Jelić in iso-8859-2 reads "Jeliæ" in windows-1252, a word of letters.
_SIBLINGS = ("windows-1252", "iso-8859-2", "windows-1250", "windows-1251", "koi8-r", "iso-8859-7", "windows-1253")
_MULTIBYTE = {"utf-8", "utf-16le", "utf-16be", "gbk", "gb18030", "big5", "shift_jis", "euc-jp", "iso-2022-jp",
              "euc-kr"}
_SINGLE_BYTE = set(_DECODERS) - _MULTIBYTE
_FEWER_MARKS, _MARKS_RATIO = 2, 4
_NON_ASCII_CHAR = re.compile("[^\x00-\x7f]")
# Symbols that are no letters (currency, maths, fractions, pilcrow, inverted marks...); General
# Punctuation (U+2000-U+206F: quotes, dashes, ellipsis) and the middle dot (Catalan l·l) are not.
_SYMBOL_CATEGORIES = {"Sc", "Sk", "Sm", "So", "No", "Po"}
# ...and those that end a word in real text: footnote and unit superscripts (km², m³), ®, ™, °, ©.
_WORD_SUFFIXES = set("\u00b9\u00b2\u00b3\u00ae\u2122\u00b0\u00a9")
_ALPHABETS = frozenset({"LATIN", "GREEK", "CYRILLIC"})


def _least_garbled(data: bytes, name: str, detected: str | None) -> str:
    """``name``, or the sibling single-byte encoding whose reading of ``data`` is far less garbled."""
    text = _strict(data, name) if name in _SINGLE_BYTE else None
    if text is None or (marks := _garbled(text)) < _FEWER_MARKS:
        return name
    best, best_marks = name, marks
    for other in dict.fromkeys((detected, *_SIBLINGS)):
        if other is None or other == name or other not in _SINGLE_BYTE:
            continue
        reading = _strict(data, other)
        if reading is not None and reading != text and (other_marks := _garbled(reading)) < best_marks:
            best, best_marks = other, other_marks
    return best if marks - best_marks >= _FEWER_MARKS and best_marks * _MARKS_RATIO <= marks else name


def _garbled(text: str) -> int:
    """The marks of a wrong reading in ``text`` (see above): C1 controls, symbols in words, case and alphabet changes."""
    marks, end = 0, len(text)
    for match in _NON_ASCII_CHAR.finditer(text):
        at, char = match.start(), match.group()
        before = text[at - 1] if at else " "
        after = text[at + 1] if at + 1 < end else " "
        if "\x80" <= char <= "\x9f":
            marks += 1
        elif not char.isalpha():
            if (before.isalpha() and not "\u2000" <= char <= "\u206f" and char != "\u00b7"
                    and unicodedata.category(char) in _SYMBOL_CATEGORIES
                    and (after.isalpha() or (after == " " and text[at + 2:at + 3].isalpha()
                                             and char not in _WORD_SUFFIXES))):
                marks += 1
        else:
            if before.isalpha():
                marks += (before.islower() and before != "\u00df" and char.isupper()) + _two_alphabets(before, char)
            if after.isascii() and after.isalpha():
                marks += (char.islower() and char != "\u00df" and after.isupper()) + _two_alphabets(char, after)
    return marks


@lru_cache(maxsize=4096)
def _two_alphabets(first: str, second: str) -> bool:
    """Whether two letters side by side are of two different alphabets (Latin, Greek, Cyrillic)."""
    scripts = {unicodedata.name(char, "").partition(" ")[0] for char in (first, second)}
    return len(scripts) == 2 and scripts <= _ALPHABETS


# Undeclared pages in Japanese or Korean whose CJK text is only a few words (an English Wikipedia
# page naming a book in Japanese) are often taken by uchardet for windows-1252 or iso-8859-2, or
# given no encoding at all. The multibyte encodings are tried then, each accepted only if the bytes
# decode in it without an error AND read as text of its script: Western bytes seldom decode strictly
# in them, and when they do they give halfwidth katakana, rare hangul or random kanji, not the kana
# every Japanese sentence holds nor the common hangul syllables of Korean. shift_jis first (the
# commonest on the Japanese web), then euc-jp (its kana bytes, A4/A5 pairs, are invalid shift_jis),
# then euc-kr (Korean syllables are valid euc-jp too, as kanji with no kana, so Japanese is ruled
# out first). gbk and big5 are left to detection: nearly any pair of high bytes is a valid hanzi; and
# so are pages detected as Cyrillic, Greek or Thai, whose letters are all high bytes (Thai's ค then
# a vowel is a hiragana pair in euc-jp).


def _cjk_reading(data: bytes) -> tuple[str, str] | None:
    """(encoding, text) of the first Japanese or Korean encoding ``data`` reads plausibly in, or None."""
    for name, plausible in (("shift_jis", _japanese), ("euc-jp", _japanese), ("euc-kr", _korean)):
        text = _strict(data, name)
        if text is not None and plausible(text):
            return name, text
    return None


_NON_ASCII = re.compile("[^\x00-\x7f\u2010-\u2027]")  # dashes, quotes, ellipsis: every script uses them
_KANA = re.compile("[\u3041-\u30ff]")
_KANJI = re.compile("[\u3000-\u303f\u4e00-\u9fff\uff01-\uff5e]")  # and CJK and fullwidth punctuation
_HANGUL = re.compile("[\uac00-\ud7a3]")


def _japanese(text: str) -> bool:
    """Most non-ASCII characters are Japanese (kana, kanji, CJK punctuation), a fifth of them kana."""
    total = len(_NON_ASCII.findall(text))
    kana = len(_KANA.findall(text))
    return total > 0 and kana * 5 >= total and (kana + len(_KANJI.findall(text))) * 2 >= total


def _korean(text: str) -> bool:
    """Nine in ten non-ASCII characters are hangul syllables of KS X 1001 (the 2,350 common ones).

    Korean pages are all but all hangul (the AEB ones: 2,711 of 2,716), while Chinese gbk bytes read
    as euc-kr give hangul for half their hanzi (an AEB page: 10 of 19). Python's euc_kr writes the
    syllables outside KS X 1001 (cp949's extension, what Western bytes decode to) as 8-byte jamo.
    """
    total = len(_NON_ASCII.findall(text))
    hangul = sum(1 for char in _HANGUL.findall(text) if len(char.encode("euc_kr")) == 2)
    return total > 0 and hangul * 10 >= total * 9


def _lang(data: bytes) -> str | None:
    """The primary language subtag of the page's ``<html lang>``, lower-cased, if it has one."""
    match = _HTML_LANG.search(data, 0, 16 * 1024)
    return match.group(1).decode("ascii").lower() if match else None


# --------------------------------------------------------------------------- the meta prescan

_SPACE = b"\t\n\f\r "
_ATTRIBUTE = re.compile(rb"""[\t\n\f\r /]*(?P<name>[^\t\n\f\r />][^\t\n\f\r /=>]*)"""
                        rb"""(?:[\t\n\f\r ]*=[\t\n\f\r ]*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<uq>[^\t\n\f\r >]*)))?""")
_META = re.compile(rb"<meta[\t\n\f\r /]", re.IGNORECASE)
_TAG = re.compile(rb"</?[A-Za-z][^\t\n\f\r >]*")
_CHARSET_IN_CONTENT = re.compile(rb"""charset[\t\n\f\r ]*=[\t\n\f\r ]*(?:"([^"]*)"|'([^']*)'|([^\t\n\f\r ;"']+))""",
                                 re.IGNORECASE)


def meta_charset(data: bytes, limit: int = PRESCAN_BYTES) -> str | None:
    """The encoding a page declares in a meta element (its WHATWG name), or None.

    The HTML standard's prescan: comments and the attributes of other tags
    are skipped (a ``>`` inside a quoted attribute does not end its tag), and
    the first meta element that declares a known encoding decides.

    >>> meta_charset(b'<!-- <meta charset=koi8-r> --><META http-equiv="Content-Type" content="text/html; charset=x-sjis">')
    'shift_jis'
    """
    pos = data.find(b"<", 0, limit)
    while 0 <= pos < limit:
        if data.startswith(b"<!--", pos):
            end = data.find(b"-->", pos + 2)
            if end < 0:
                return None
            pos = end + 3
        elif _META.match(data, pos):
            pos, name = _meta_element(data, pos + 6)
            if name is not None:
                return name
        elif (tag := _TAG.match(data, pos)) is not None:
            pos = _attributes(data, tag.end())[1]
        elif data[pos + 1:pos + 2] in (b"!", b"/", b"?"):
            end = data.find(b">", pos)
            if end < 0:
                return None
            pos = end + 1
        else:
            pos += 1
        pos = data.find(b"<", pos, limit)
    return None


def _attributes(data: bytes, pos: int) -> tuple[list[tuple[bytes, bytes]], int]:
    """The attributes of a tag from ``pos`` on (names and values lower-cased), and where the tag ends."""
    found = []
    while True:
        match = _ATTRIBUTE.match(data, pos)
        if match is None:
            break
        value = match.group("dq") if match.group("dq") is not None else (
            match.group("sq") if match.group("sq") is not None else match.group("uq") or b"")
        found.append((match.group("name").lower(), value.lower()))
        pos = match.end()
    end = data.find(b">", pos)
    return found, (len(data) if end < 0 else end + 1)


def _meta_element(data: bytes, pos: int) -> tuple[int, str | None]:
    """The standard's steps for one meta element: (where it ends, the encoding it declares or None)."""
    attributes, end = _attributes(data, pos)
    seen: set[bytes] = set()
    got_pragma, need_pragma, charset = False, None, None
    for name, value in attributes:
        if name in seen:
            continue
        seen.add(name)
        if name == b"http-equiv" and value == b"content-type":
            got_pragma = True
        elif name == b"content" and charset is None:
            match = _CHARSET_IN_CONTENT.search(value)
            if match is not None:
                charset = next(group for group in match.groups() if group is not None)
                need_pragma = True
        elif name == b"charset" and charset is None:
            charset, need_pragma = value, False
    if need_pragma is None or (need_pragma and not got_pragma) or not charset:
        return end, None
    name = encoding_of_label(charset.decode("ascii", errors="replace"))
    if name in ("utf-16le", "utf-16be"):
        name = "utf-8"  # a page that could declare it in ASCII is not UTF-16
    return end, name
