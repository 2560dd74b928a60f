"""Encoding repair with ftfy: mojibake, HTML entities, control characters.

By default the repair keeps what the author wrote: curly quotes stay curly and
full-width characters stay full-width (ftfy would straighten and narrow them),
because a corpus of news should quote its sources as published. Dedup folds
quotes and width on its own when it compares texts.
"""

from __future__ import annotations

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
