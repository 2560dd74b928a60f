"""Encoding repair with ftfy: mojibake, HTML entities, control characters.

By default the repair keeps what the author wrote: curly quotes stay curly and
full-width characters stay full-width (ftfy would straighten and narrow them),
because a corpus of news should quote its sources as published. Dedup folds
quotes and width on its own when it compares texts.

Most texts need no repair, and ftfy takes most of the time of cleaning a text
to find that out: it runs every fix over the whole text, and runs them all
again after any of them changed something. Each fix acts only on certain
characters (:class:`_Triggers`), so a fix the text gives nothing to act on
can be skipped, as can the whole repair of a text with nothing for any fix
(:func:`needs_repair`). The result, fixes named included, is ftfy's own:
:func:`ftfy_repair` runs ftfy itself, for checking.
"""

from __future__ import annotations

import functools
import re
import unicodedata

import ftfy
from ftfy import badness, chardata, fixes

from corpus.clean.patterns import alternatives, char_class, members, one_of

REPAIR = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, explain=True)

# The fixes that ftfy's fix_and_explain runs after unescape_html and fix_encoding, in its order.
_FIXES = ("fix_c1_controls", "fix_latin_ligatures", "fix_character_width", "uncurl_quotes",
          "fix_line_breaks", "fix_surrogates", "remove_terminal_escapes", "remove_control_chars")
# The ftfy release whose fix_and_explain was read to write _fix_and_explain below (with another,
# a text that needs repair goes to ftfy's own fix_and_explain).
_SAME_ROUND = ftfy.__version__.startswith("6.3.")


def repair_encoding(text: str, config: ftfy.TextFixerConfig = REPAIR) -> tuple[str, list[str]]:
    """Fix broken encoding; return the text and the names of the fixes ftfy applied.

    >>> repair_encoding("London\\u00e2\\u20ac\\u2122s police &amp; the army")
    ('London’s police & the army', ['unescape_html', 'sloppy-windows-1252', 'utf-8'])
    """
    if not needs_repair(text, config):
        return text, []
    if not (_SAME_ROUND and config.explain):
        return ftfy_repair(text, config)
    return _named(*_fix_and_explain(text, config))


def ftfy_repair(text: str, config: ftfy.TextFixerConfig = REPAIR) -> tuple[str, list[str]]:
    """What :func:`repair_encoding` returns, from ftfy's own ``fix_and_explain`` (the slow way, for checking)."""
    fixed = ftfy.fix_and_explain(text, config)
    return _named(fixed.text, fixed.explanation or [])


def _named(text: str, steps: list[ftfy.ExplanationStep]) -> tuple[str, list[str]]:
    return text, list(dict.fromkeys(name for _, name in steps))


def needs_repair(text: str, config: ftfy.TextFixerConfig = REPAIR) -> bool:
    """Whether ftfy, run with ``config``, could change ``text``; False proves it would not.

    ftfy's ``fix_and_explain`` runs its fixes in turn and stops as soon as a
    round of them changes nothing. A text with nothing for any fix to act
    on, already in the normal form ftfy applies, leaves the first round
    unchanged, so ftfy returns it as it is, with no fix to explain.

    >>> needs_repair("London’s police “refused” — café"), needs_repair("London\\u00e2\\u20ac\\u2122s")
    (False, True)
    >>> needs_repair("Q&A: police &amp; army"), needs_repair("Q&A: police and army")
    (True, False)
    """
    triggers = _Triggers.of(config)
    if triggers.chars is not None and triggers.chars.search(text):
        return True
    if config.unescape_html and triggers.entity_in(text):
        return True
    if text.isascii():  # nothing for fix_encoding, and in every normal form already
        return False
    if config.fix_encoding and triggers.mojibake.search(text):
        return True
    return config.normalization is not None and not unicodedata.is_normalized(config.normalization, text)


def _fix_and_explain(text: str, config: ftfy.TextFixerConfig) -> tuple[str, list[ftfy.ExplanationStep]]:
    """ftfy's ``fix_and_explain`` (with ``explain``), each fix run only when the text holds something for it.

    The rounds of ftfy 6.3 (``ftfy/__init__.py``), calling ftfy's own
    fixes; a fix skipped here is one that would return the text unchanged,
    and ftfy names only the fixes that changed something.
    """
    triggers = _Triggers.of(config)
    if config.unescape_html == "auto" and "<" in text:
        config = config._replace(unescape_html=False)
    steps: list[ftfy.ExplanationStep] = []
    while True:
        start = text
        if config.unescape_html and triggers.entity_in(text):
            text = _apply("unescape_html", text, steps)
        if config.fix_encoding and not text.isascii() and triggers.mojibake.search(text):
            text, encoding_steps = ftfy.fix_encoding_and_explain(text, config)
            steps.extend(encoding_steps)
        for name in _FIXES:
            found = triggers.by_fix.get(name)  # None when the configuration leaves the fix out
            if found is not None and found.search(text):
                text = _apply(name, text, steps)
        if config.normalization is not None:
            normal = unicodedata.normalize(config.normalization, text)
            if normal != text:
                steps.append(ftfy.ExplanationStep("normalize", config.normalization))
            text = normal
        if text == start:
            return text, steps


def _apply(name: str, text: str, steps: list[ftfy.ExplanationStep]) -> str:
    fixed = ftfy.FIXERS[name](text)
    if fixed != text:
        steps.append(ftfy.ExplanationStep("apply", name))
    return fixed


class _Triggers:
    """What a text must hold for each of ftfy's fixes, with one configuration, to change it.

    One fix at a time (ftfy 6, ``ftfy/fixes.py``):

    - ``unescape_html``: an entity, ``&`` + name or number + ``;`` (ftfy's
      ``HTML_ENTITY_RE``; anything else is left as written).
    - ``fix_encoding`` (with ``restore_byte_a0``, ``replace_lossy_sequences``,
      ``decode_inconsistent_utf8`` and ``fix_c1_controls`` inside it): acts
      only on non-ASCII text that ``ftfy.badness.is_bad`` flags;
      :func:`_mojibake_clue` finds a sign of that much faster.
    - ``fix_c1_controls``: U+0080-U+009F.
    - ``fix_latin_ligatures``: the ligatures of ftfy's ``LIGATURES`` table.
    - ``fix_character_width``: the characters of ftfy's ``WIDTH_MAP``.
    - ``uncurl_quotes``: the curly quotes of ftfy's quote patterns.
    - ``fix_line_breaks``: ``\\r``, U+2028, U+2029, U+0085.
    - ``fix_surrogates``: U+D800-U+DFFF.
    - ``remove_terminal_escapes``: ESC (U+001B), which starts every escape.
    - ``remove_control_chars``: the characters of ftfy's ``CONTROL_CHARS``.
    - normalization (NFC here): text not in that normal form.
    """

    def __init__(self, config: ftfy.TextFixerConfig) -> None:
        chars = {
            "fix_c1_controls": members(chardata.C1_CONTROL_RE),
            "fix_latin_ligatures": set(map(chr, chardata.LIGATURES)),
            "fix_character_width": set(map(chr, chardata.WIDTH_MAP)),
            "uncurl_quotes": members(chardata.SINGLE_QUOTE_RE) | members(chardata.DOUBLE_QUOTE_RE),
            "fix_line_breaks": set("\r\u2028\u2029\x85"),
            "fix_surrogates": members(fixes.SURROGATE_RE),
            "remove_terminal_escapes": {"\x1b"},
            "remove_control_chars": set(map(chr, chardata.CONTROL_CHARS)),
        }
        enabled = {name: found for name, found in chars.items() if getattr(config, name)}
        self.by_fix = {name: re.compile(char_class(found)) for name, found in enabled.items()}
        every = set().union(*enabled.values())
        self.chars = re.compile(char_class(every)) if every else None
        self.mojibake = _mojibake_clue(badness.BADNESS_RE)

    @staticmethod
    @functools.lru_cache(maxsize=8)
    def of(config: ftfy.TextFixerConfig) -> _Triggers:
        return _Triggers(config)

    @staticmethod
    def entity_in(text: str) -> bool:
        return "&" in text and chardata.HTML_ENTITY_RE.search(text) is not None


def _mojibake_clue(bad: re.Pattern[str]) -> re.Pattern[str]:
    """A pattern found in every non-ASCII text in which ``bad`` (ftfy's badness test) is found.

    ftfy's test is some forty alternatives, each a short sequence of character
    sets (``[{bad}][{lower_accented}...]``), and at every position of a text
    the regular expression engine tries them all, which is slow. Nearly every
    alternative holds two consecutive sets of non-ASCII characters only: a
    text it matches has a pair of adjacent characters, the first from the one
    set and the second from the other. The few others hold one such set (a C1
    control; ``Ã`` or ``Â`` before a space). The clue looks for those pairs and
    single characters, which text in most scripts rarely holds. Should an
    alternative hold no set of non-ASCII characters at all, any non-ASCII
    character is a clue.
    """
    singles: set[str] = set()
    followers: dict[str, set[str]] = {}
    for sequence in alternatives(bad):
        sets = [one_of(item) for item in sequence]
        pair = next(((a, b) for a, b in zip(sets, sets[1:]) if a and b), None)
        if pair is not None:
            for char in pair[0]:
                followers.setdefault(char, set()).update(pair[1])
            continue
        single = next((s for s in sets if s), None)
        if single is None:
            return re.compile("[^\\x00-\\x7f]")
        singles.update(single)
    # One branch per set of followers: (?<=[characters followed by them])[followers].
    firsts_by_followers: dict[frozenset[str], set[str]] = {}
    for char, after in followers.items():
        firsts_by_followers.setdefault(frozenset(after), set()).add(char)
    branches = [f"(?<={char_class(singles)})"] if singles else []
    branches += sorted(f"(?<={char_class(firsts)}){char_class(set(after))}"
                       for after, firsts in firsts_by_followers.items())
    lead = char_class(singles | set(followers))
    return re.compile(f"{lead}(?:{'|'.join(branches)})", bad.flags & re.IGNORECASE)


# A UTF-8 lead byte (0xC2-0xF4) read as Latin-1/Windows-1252 (U+00C2-U+00F4), followed by what a
# continuation byte (0x80-0xBF) becomes in those encodings: the mark of UTF-8 mojibake.
MOJIBAKE_LEADS = "".join(map(chr, range(0xC2, 0xF5)))
MOJIBAKE_FOLLOWERS = ("".join(map(chr, range(0x80, 0xC0))) + "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6"
                      "\u02dc\u2013\u2014" + "".join(map(chr, range(0x2018, 0x201F)))
                      + "\u2020\u2021\u2022\u2026\u2030\u2039\u203a\u20ac\u2122")


def _utf8_one_of(chars: str) -> bytes:
    return b"(?:" + b"|".join(re.escape(char.encode("utf-8")) for char in chars) + b")"


# Searched for in the text's UTF-8 bytes, where a match is a lead character followed by a
# follower (UTF-8 is prefix-free, and every lead starts with a byte no character continues with).
# A whole page is searched before it is parsed; the regular expression engine finds these byte
# sequences about 4x faster than the two character classes in the str.
_UTF8_MOJIBAKE = re.compile(_utf8_one_of(MOJIBAKE_LEADS) + _utf8_one_of(MOJIBAKE_FOLLOWERS))


def has_utf8_mojibake(text: str) -> bool:
    """Whether ``text`` shows UTF-8 read as Latin-1 or Windows-1252 (a cheap test, no repair).

    >>> has_utf8_mojibake("London\u00e2\u20ac\u2122s"), has_utf8_mojibake("London’s café")
    (True, False)
    """
    return not text.isascii() and _UTF8_MOJIBAKE.search(text.encode("utf-8", "surrogatepass")) is not None
