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

import re
from collections.abc import Iterable, Mapping
import dataclasses
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

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


def strip_boilerplate(text: str, rules: Iterable[Rule] = BUILTIN_RULES, edge_lines: int = 5) -> Stripped:
    """Remove the lines (or line prefixes) that ``rules`` match.

    ``head`` and ``tail`` rules look at the first and last ``edge_lines``
    non-blank lines. Removing lines can bring new lines into those windows, so
    the pass repeats until nothing changes: that makes cleaning idempotent.

    >>> strip_boilerplate("Getting your Trinity Audio player ready...\\n|\\nThe officer was charged.").text
    'The officer was charged.'
    """
    rules = tuple(rules)
    removed: list[Removal] = []
    fields: dict[str, str] = {}
    lines = text.split("\n")
    while True:
        kept, changed = _strip_once(lines, rules, edge_lines, removed, fields)
        lines = kept
        if not changed:
            break
    return Stripped("\n".join(lines), removed, fields)


def _strip_once(
    lines: list[str], rules: tuple[Rule, ...], edge_lines: int, removed: list[Removal], fields: dict[str, str]
) -> tuple[list[str], bool]:
    content = [i for i, line in enumerate(lines) if line.strip()]
    head = set(content[:edge_lines])
    tail = set(content[-edge_lines:]) if edge_lines else set()
    kept: list[str] = []
    changed = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            kept.append(line)
            continue
        for rule in rules:
            if (rule.where == "head" and i not in head) or (rule.where == "tail" and i not in tail):
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
