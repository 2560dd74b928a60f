"""Whitespace and Unicode normalization: NFC, collapsed spaces, paragraphs as blocks.

Output text is a sequence of paragraphs separated by one blank line. Text whose
paragraphs were separated by single line breaks (no blank line anywhere, as
trafilatura and many scrapers write it) gets one paragraph per line; text that
already has blank lines keeps its blocks, and line breaks inside a block stay.
A block that was hard-wrapped (every line but the last filled to about one
width between 40 and 100 characters, the last no longer) is unwrapped into one
paragraph line; lists, headings and verse, whose lines vary, are left alone.
Either way, normalizing normalized text changes nothing.
"""

from __future__ import annotations

import re
import unicodedata

# Horizontal white space, including no-break and typographic spaces.
_SPACE_SET = " \t\f\v\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000"
# A run of it to collapse into one plain space: every run but a lone plain space, which needs no
# change (most runs are that one space between words, and rewriting them all is slow).
_SPACES = re.compile(f"[{_SPACE_SET[1:]}][{_SPACE_SET}]*| [{_SPACE_SET}]+")
_BLANK_LINES = re.compile(r"\n\s*\n")


def normalize_text(text: str) -> str:
    """NFC, one space between words, paragraphs separated by one blank line.

    >>> normalize_text("First  para\\u00a0here.\\nSecond para.")
    'First para here.\\n\\nSecond para.'
    >>> normalize_text("Block one,\\nline two.\\n\\n\\n\\nBlock two.  ")
    'Block one,\\nline two.\\n\\nBlock two.'
    """
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [line.strip() for line in _SPACES.sub(" ", text).split("\n")]  # _SPACES never spans lines
    text = "\n".join(lines).strip("\n")
    if not _BLANK_LINES.search(text):
        return "\n\n".join(line for line in lines if line)
    blocks = (unwrap(block.strip("\n")) for block in _BLANK_LINES.split(text))
    return "\n\n".join(block for block in blocks if block)


def unwrap(block: str) -> str:
    """Join the lines of a hard-wrapped block into one line; leave any other block as it is.

    >>> unwrap("The Met, which polices most of London, had to borrow armed\\nofficers from smaller forces and turn to the military on\\nSunday.")
    'The Met, which polices most of London, had to borrow armed officers from smaller forces and turn to the military on Sunday.'
    >>> unwrap("Home\\nWorld\\nPolitics")
    'Home\\nWorld\\nPolitics'
    """
    lines = block.split("\n")
    if len(lines) < 2:
        return block
    widths = [len(line) for line in lines[:-1]]
    width = max(widths)
    if 40 <= width <= 100 and min(widths) >= 0.75 * width and len(lines[-1]) <= width:
        return " ".join(lines)
    return block
