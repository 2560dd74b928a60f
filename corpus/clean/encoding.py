"""Encoding repair with ftfy: mojibake, HTML entities, control characters.

By default the repair keeps what the author wrote: curly quotes stay curly and
full-width characters stay full-width (ftfy would straighten and narrow them),
because a corpus of news should quote its sources as published. Dedup folds
quotes and width on its own when it compares texts.
"""

from __future__ import annotations

import re

import ftfy

REPAIR = ftfy.TextFixerConfig(uncurl_quotes=False, fix_character_width=False, explain=True)


def repair_encoding(text: str, config: ftfy.TextFixerConfig = REPAIR) -> tuple[str, list[str]]:
    """Fix broken encoding; return the text and the names of the fixes ftfy applied.

    >>> repair_encoding("London\\u00e2\\u20ac\\u2122s police &amp; the army")
    ('London’s police & the army', ['unescape_html', 'sloppy-windows-1252', 'utf-8'])
    """
    fixed = ftfy.fix_and_explain(text, config)
    steps = [name for _, name in fixed.explanation or []]
    return fixed.text, list(dict.fromkeys(steps))


# A UTF-8 lead byte (0xC2-0xF4) read as Latin-1/Windows-1252, followed by what a
# continuation byte (0x80-0xBF) becomes in those encodings: the mark of UTF-8 mojibake.
_UTF8_MOJIBAKE = re.compile(
    "[\u00c2-\u00f4][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]"
)


def has_utf8_mojibake(text: str) -> bool:
    """Whether ``text`` shows UTF-8 read as Latin-1 or Windows-1252 (a cheap test, no repair).

    >>> has_utf8_mojibake("London\u00e2\u20ac\u2122s"), has_utf8_mojibake("London’s café")
    (True, False)
    """
    return _UTF8_MOJIBAKE.search(text) is not None
