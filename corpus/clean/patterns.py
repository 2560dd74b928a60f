"""What a regular expression can match, read from its parse tree.

Cleaning takes two shortcuts that must give the same result as the long way:
it clears a text of mojibake with a clue derived from ftfy's own badness
pattern (``encoding.py``), and it screens lines with an alternation of the
boilerplate rules' patterns (``boilerplate.py``). Both read patterns through
the parser of Python's ``re`` module, whose tree (opcodes such as ``LITERAL``,
``IN``, ``BRANCH``) has been stable for as long as that module has existed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

try:
    from re import _parser  # Python >= 3.11
except ImportError:  # pragma: no cover - Python 3.10
    import sre_parse as _parser  # type: ignore[no-redef]

Item = tuple[Any, Any]


def alternatives(pattern: re.Pattern[str]) -> list[list[Item]]:
    """The top-level alternatives of ``pattern`` (``a|b|c``), each as its sequence of parsed items."""
    parsed = list(_parser.parse(pattern.pattern, pattern.flags))
    if len(parsed) == 1 and parsed[0][0] is _parser.BRANCH:
        return [list(branch) for branch in parsed[0][1][1]]
    return [parsed]


def one_of(item: Item) -> set[str] | None:
    """The characters ``item`` matches if it is exactly one character from a set of non-ASCII ones, else None.

    >>> sorted(one_of(alternatives(re.compile("[é-ë]x"))[0][0]))
    ['é', 'ê', 'ë']
    >>> one_of(alternatives(re.compile("[a-é]"))[0][0]) is None
    True
    """
    op, arg = item
    if op is _parser.LITERAL:
        ranges = [(arg, arg)]
    elif op is _parser.IN and all(kind in (_parser.LITERAL, _parser.RANGE) for kind, _ in arg):
        ranges = [(value, value) if kind is _parser.LITERAL else value for kind, value in arg]
    else:
        return None
    if min(low for low, _ in ranges) < 0x80:
        return None
    return {chr(code) for low, high in ranges for code in range(low, high + 1)}


def members(char_set: re.Pattern[str]) -> set[str]:
    """The characters of a pattern that is one set of non-ASCII characters, such as ``[\\u201c-\\u201f]``."""
    (sequence,) = alternatives(char_set)
    chars = one_of(sequence[0]) if len(sequence) == 1 else None
    if chars is None:
        raise ValueError(f"not one set of non-ASCII characters: {char_set.pattern!r}")
    return chars


def refers_to_groups(pattern: re.Pattern[str]) -> bool:
    """Whether ``pattern`` refers to one of its groups (``\\1``, ``(?P=name)``, ``(?(1)...)``).

    >>> refers_to_groups(re.compile(r"(a)\\1")), refers_to_groups(re.compile(r"(a)(b)+"))
    (True, False)
    """
    refs = (_parser.GROUPREF, _parser.GROUPREF_EXISTS)
    return any(op in refs for op, _ in _items(_parser.parse(pattern.pattern, pattern.flags)))


def _items(node: Any) -> Iterator[Item]:
    """Every parsed item under ``node``, however deep (groups, repeats, branches, look-arounds)."""
    for op, arg in node:
        yield op, arg
        yield from _nested(arg)


def _nested(arg: Any) -> Iterator[Item]:
    if isinstance(arg, _parser.SubPattern):
        yield from _items(arg)
    elif isinstance(arg, (tuple, list)):
        for part in arg:
            yield from _nested(part)


def char_class(chars: set[str]) -> str:
    """A regular-expression set of ``chars``, runs of consecutive code points written as ranges.

    >>> char_class({"a", "b", "c", "x", "-"})
    '[\\\\-a-cx]'
    """
    runs: list[list[int]] = []
    for code in sorted(map(ord, chars)):
        if runs and code == runs[-1][1] + 1:
            runs[-1][1] = code
        else:
            runs.append([code, code])
    return "[" + "".join(re.escape(chr(low)) + (f"-{re.escape(chr(high))}" if high > low else "")
                         for low, high in runs) + "]"
