"""The one record every step reads and writes.

Like datatrove's ``Document``, a small dataclass flows through readers, cleaning,
dedup and writers. Fields that every news article has (title, date, source, URL)
are first-class so that dedup policies and snapshots can rely on them; anything
else a reader finds travels in ``metadata``.

``to_json`` gives every record the same keys in the same order, so a JSONL file
of documents is read by Hugging Face ``datasets.load_dataset("json", ...)`` as it
is, and the same document always serialises to the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Removal:
    """One line that cleaning took out of a document, and the rule that did it."""

    rule: str
    line: str

    def to_json(self) -> dict[str, str]:
        return {"rule": self.rule, "line": self.line}


@dataclass
class Copy:
    """A duplicate that a kept document stands for (its provenance)."""

    id: str
    source: str | None
    url: str | None
    published: str | None
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "similarity": self.similarity,
        }


@dataclass
class Document:
    """A news document.

    ``published`` is an ISO 8601 date (``YYYY-MM-DD``) or date-time string.
    ``removed`` lists what cleaning took out; ``copies`` lists the duplicates
    this document stands for after dedup; ``story`` groups documents that
    report the same case in other words (dedup never removes on it).
    """

    id: str
    text: str
    title: str | None = None
    published: str | None = None
    source: str | None = None
    url: str | None = None
    story: str | None = None
    removed: list[Removal] = field(default_factory=list)
    copies: list[Copy] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The document as a JSON object with a fixed key order."""
        return {
            "id": self.id,
            "text": self.text,
            "title": self.title,
            "published": self.published,
            "source": self.source,
            "url": self.url,
            "story": self.story,
            "removed": [r.to_json() for r in self.removed],
            "copies": [c.to_json() for c in self.copies],
            "metadata": self.metadata,
        }

    @classmethod
    def from_json(cls, obj: dict[str, Any]) -> Document:
        """Inverse of :meth:`to_json`; unknown keys go to ``metadata``."""
        known = {"id", "text", "title", "published", "source", "url", "story", "removed", "copies", "metadata"}
        metadata = dict(obj.get("metadata") or {})
        metadata.update({k: v for k, v in obj.items() if k not in known})
        return cls(
            id=str(obj["id"]),
            text=obj["text"],
            title=obj.get("title"),
            published=obj.get("published"),
            source=obj.get("source"),
            url=obj.get("url"),
            story=obj.get("story"),
            removed=[Removal(**r) for r in obj.get("removed") or []],
            copies=[Copy(**c) for c in obj.get("copies") or []],
            metadata=metadata,
        )


@dataclass
class Reject:
    """An input that did not become a kept or merged document, and why.

    Every input ends up kept, merged into a cluster, or here: nothing is lost
    silently. ``stage`` is where it was dropped (``read``, ``clean``, ...).
    """

    stage: str
    reason: str
    path: str | None = None
    line: int | None = None
    id: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "stage": self.stage, "reason": self.reason, "path": self.path, "line": self.line}
