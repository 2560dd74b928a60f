"""Boilerplate lines: site chrome left in text, removed by rules that are data.

A :class:`Rule` names a pattern, whether it must match a whole line or only the
start of one, and where in the text it applies (anywhere, the first lines, the
last lines). The built-in rules live in ``rules.toml`` beside this file, each
with the lines it removes and the look-alike prose it must keep; a pipeline file
can add rules or switch built-in ones off by name.

Why whole lines: article prose is sentences, chrome is short fixed phrases. A
pattern that must match the entire line can remove "Share on Facebook" and
never touch "He urged people to share the appeal on Facebook."
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from corpus.clean.patterns import refers_to_groups
from corpus.document import Removal
from corpus.errors import ConfigError
from corpus.tomlfile import load_toml

RULES_FILE = Path(__file__).with_name("rules.toml")
MATCHES = ("line", "prefix")
PLACES = ("anywhere", "head", "tail")
FIELDS = ("published",)

# Chrome lines are short; a longer line is prose, and never runs a "line" rule
# (this also bounds the cost of the patterns on pathological input).
MAX_RULE_LINE = 300


@dataclass(frozen=True)
class Rule:
    """One boilerplate rule. See ``rules.toml`` for the meaning of each field."""

    name: str
    pattern: str
    match: str = "line"
    where: str = "anywhere"
    field: str | None = None
    description: str = ""
    case_sensitive: bool = False
    examples: tuple[str, ...] = ()
    keeps: tuple[str, ...] = ()
    regex: re.Pattern[str] = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.match not in MATCHES:
            raise ConfigError(f"rule {self.name!r}: match = {self.match!r}; use one of {', '.join(MATCHES)}")
        if self.where not in PLACES:
            raise ConfigError(f"rule {self.name!r}: where = {self.where!r}; use one of {', '.join(PLACES)}")
        if self.field is not None and self.field not in FIELDS:
            raise ConfigError(f"rule {self.name!r}: field = {self.field!r}; use one of {', '.join(FIELDS)}")
        try:
            regex = re.compile(self.pattern, 0 if self.case_sensitive else re.IGNORECASE)
        except re.error as err:
            raise ConfigError(f"rule {self.name!r}: the pattern is not a valid regular expression ({err})") from err
        if self.field is not None and "value" not in regex.groupindex:
            raise ConfigError(f"rule {self.name!r}: a rule with field = {self.field!r} needs a group (?P<value>...)")
        object.__setattr__(self, "regex", regex)

    def find(self, line: str) -> re.Match[str] | None:
        """The match of this rule on ``line`` (outer white space ignored), or None."""
        if self.match == "line":
            return self.regex.fullmatch(line) if len(line) <= MAX_RULE_LINE else None
        return self.regex.match(line)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], where: str = "rule") -> Rule:
        """A rule from a TOML table; unknown keys are an error naming ``where``."""
        allowed = {"name", "pattern", "match", "where", "field", "description", "case_sensitive", "examples", "keeps"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ConfigError(f"{where}: unknown key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
        for key in ("name", "pattern"):
            if not isinstance(data.get(key), str) or not data[key]:
                raise ConfigError(f"{where}: {key!r} is required and must be a non-empty string")
        values = dict(data)
        values["examples"] = tuple(values.get("examples", ()))
        values["keeps"] = tuple(values.get("keeps", ()))
        return cls(**values)


def load_rules(path: str | Path = RULES_FILE) -> tuple[Rule, ...]:
    """The rules of a TOML file with ``[[rule]]`` tables (by default the built-in ones)."""
    data = load_toml(path, "rules file")
    return tuple(Rule.from_dict(table, f"{path}: rule {i + 1}") for i, table in enumerate(data.get("rule", [])))


BUILTIN_RULES: tuple[Rule, ...] = load_rules()


@dataclass
class Stripped:
    """What :func:`strip_boilerplate` returns: the kept text, what went, and values it found."""

    text: str
    removed: list[Removal]
    fields: dict[str, str]


def strip_boilerplate(
    text: str, rules: Iterable[Rule] = BUILTIN_RULES, edge_lines: int = 5, screen: bool = True
) -> Stripped:
    """Remove the lines (or line prefixes) that ``rules`` match.

    ``head`` and ``tail`` rules look at the first and last ``edge_lines``
    non-blank lines. Removing lines can bring new lines into those windows, so
    the pass repeats until nothing changes: that makes cleaning idempotent.

    With ``screen`` (the default), a line is first tested against all the
    rules at once (:class:`Screen`), and only a line the screen matches is
    tried rule by rule; ``screen=False`` tries every line rule by rule. The
    result is the same.

    >>> strip_boilerplate("Getting your Trinity Audio player ready...\\n|\\nThe officer was charged.").text
    'The officer was charged.'
    """
    rules = tuple(rules)
    line_screen = Screen.of(rules) if screen else None
    removed: list[Removal] = []
    fields: dict[str, str] = {}
    lines = text.split("\n")
    while True:
        kept, changed = _strip_once(lines, rules, line_screen, edge_lines, removed, fields)
        lines = kept
        if not changed:
            break
    return Stripped("\n".join(lines), removed, fields)


class Screen:
    """The rules of a rule set that can match a line, found with one pattern and remembered.

    Most lines are article prose that no rule matches, and trying some fifteen
    patterns one by one on each line is most of the cost of stripping
    boilerplate. The screen is the alternation of the whole-line rules'
    patterns (each with its own case sensitivity and a group naming it), so
    one match finds the first of them that matches a line; the rules before
    it cannot match and are not tried, nor any of them on a line it does not
    match. News repeats lines (a site's chrome on every page, a wire story's
    paragraphs in every outlet), so the answer for each line is remembered
    (the last ``LINE_CACHE`` lines).

    A rule whose pattern cannot be put in an alternation unchanged (a named
    group, which two rules may share; a reference to a group, which depends on
    group numbers; a flag set for the whole pattern) stays outside the screen
    and is tried on every line, in its place in the order.
    """

    LINE_CACHE = 1 << 14  # lines of at most MAX_RULE_LINE characters: 20 MB at the very most

    def __init__(self, rules: tuple[Rule, ...]) -> None:
        inside = [i for i, rule in enumerate(rules) if rule.match == "line" and _combinable(rule)]
        alternation = "|".join(f"(?P<rule{i}>{_scoped(rules[i])})" for i in inside)
        self.pattern = re.compile(alternation) if inside else None
        outside = [i for i in range(len(rules)) if i not in inside]
        # What to try when the first rule of the screen that matches is rules[i]: the rules outside
        # the screen before it, then it and every rule after it (should it not apply where the
        # line is, the screen says nothing of the rules after it).
        self._from = {i: tuple(rules[j] for j in outside if j < i) + rules[i:] for i in inside}
        self._outside = tuple(rules[j] for j in outside)
        self._remembered = functools.lru_cache(maxsize=self.LINE_CACHE)(self._screened)

    @staticmethod
    @functools.lru_cache(maxsize=32)
    def of(rules: tuple[Rule, ...]) -> Screen:
        return Screen(rules)

    def candidates(self, line: str) -> tuple[Rule, ...]:
        """The rules that may match ``line`` (stripped), in their order."""
        if self.pattern is None or len(line) > MAX_RULE_LINE:  # no whole-line rule matches a line this long
            return self._outside
        return self._remembered(line)

    def _screened(self, line: str) -> tuple[Rule, ...]:
        found = self.pattern.fullmatch(line)
        return self._outside if found is None else self._from[int(found.lastgroup.removeprefix("rule"))]


def _scoped(rule: Rule) -> str:
    return f"(?{'-' if rule.case_sensitive else ''}i:{rule.pattern})"


def _combinable(rule: Rule) -> bool:
    if rule.regex.groupindex or rule.regex.flags & ~(re.IGNORECASE | re.UNICODE) or refers_to_groups(rule.regex):
        return False
    try:
        re.compile(_scoped(rule))
    except re.error:  # a flag set at the start of the pattern, allowed only there
        return False
    return True


def _strip_once(
    lines: list[str],
    rules: tuple[Rule, ...],
    screen: Screen | None,
    edge_lines: int,
    removed: list[Removal],
    fields: dict[str, str],
) -> tuple[list[str], bool]:
    stripped_lines = [line.strip() for line in lines]
    content = [i for i, stripped in enumerate(stripped_lines) if stripped]
    head = set(content[:edge_lines])
    tail = set(content[-edge_lines:]) if edge_lines else set()
    kept: list[str] = []
    changed = False
    for i, (line, stripped) in enumerate(zip(lines, stripped_lines)):
        if not stripped:
            kept.append(line)
            continue
        candidates = rules if screen is None else screen.candidates(stripped)
        for rule in candidates:
            if rule.where != "anywhere" and i not in (head if rule.where == "head" else tail):
                continue
            found = rule.find(stripped)
            if found is None or not found.group(0):
                continue
            if rule.field is not None:
                value = parse_date(found.group("value"))
                if value is None:
                    continue
                fields.setdefault(rule.field, value)
            removed.append(Removal(rule=rule.name, line=found.group(0).strip() if rule.match == "prefix" else stripped))
            changed = True
            line = stripped[found.end():] if rule.match == "prefix" else ""
            break
        if line.strip():
            kept.append(line)
    return kept, changed


_DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")


@functools.lru_cache(maxsize=4096)  # the same dates recur across a corpus, and strptime is slow
def parse_date(raw: str) -> str | None:
    """A date as written in news chrome -> ``YYYY-MM-DD``, or None if it is not a real date.

    >>> parse_date("15th Nov. 2023")
    '2023-11-15'
    >>> parse_date("2023-02-30") is None
    True
    """
    text = re.sub(r"(?<=\d)(st|nd|rd|th)\b", "", raw.strip(), flags=re.IGNORECASE)
    text = re.sub(r"[.,]", " ", text.split("T")[0])
    text = re.sub(r"\bsept\b", "sep", " ".join(text.split()), flags=re.IGNORECASE)
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    return None
