"""A record's fields -> a Document: the one field mapping of JSONL lines and Parquet rows.

``text`` (or ``html``, for a raw page: ``metadata["format"] == "html"``), ``id``,
``title``, ``published``, ``source``, ``url`` and ``story`` are taken as they are;
``removed`` and ``copies`` as corpus writes them, so a snapshot's documents read
back unchanged; every other field is carried in ``metadata``.
"""

from __future__ import annotations

from typing import Any

from corpus.document import Copy, Document, Removal
from corpus.readers.streams import ReadLimits, Rejected

RECORD_FIELDS = ("id", "text", "html", "title", "published", "source", "url", "story", "removed", "copies", "metadata")


def record_to_document(record: dict[str, Any], default_id: str, number: int, limits: ReadLimits,
                       what: str = "record") -> Document:
    """The document of one record (line or row ``number``); raises :class:`Rejected` naming why not.

    ``default_id`` is its id when the record has none; ``what`` names the kind
    of record (``"record"``, ``"row"``) in reasons.
    """
    doc_id = record.get("id")
    doc_id = default_id if doc_id is None else str(doc_id)
    fmt = "text"
    body = record.get("text")
    if body is None and record.get("html") is not None:
        body, fmt = record.get("html"), "html"
    if body is None:
        raise Rejected(f"{what} has no 'text' or 'html' field", number, doc_id)
    if not isinstance(body, str):
        raise Rejected(f"'{'html' if fmt == 'html' else 'text'}' is a {type(body).__name__}, not a string", number, doc_id)
    if not body.strip():
        raise Rejected("empty text", number, doc_id)
    # A character is at most 4 bytes of UTF-8: encode only a text that could be over the bound.
    if len(body) * 4 > limits.max_document_bytes and len(body.encode("utf-8")) > limits.max_document_bytes:
        raise Rejected(f"document is larger than {limits.max_document_bytes} bytes (max_document_bytes)", number, doc_id)
    metadata = record.get("metadata") if isinstance(record.get("metadata"), dict) else {}
    metadata = {**metadata, **{k: v for k, v in record.items() if k not in RECORD_FIELDS}}
    metadata["format"] = fmt
    try:
        # Document.from_json's fields, built directly (one dictionary less a record).
        removed, copies = record.get("removed"), record.get("copies")
        removed = [Removal(**r) for r in removed] if removed else []
        copies = [Copy(**c) for c in copies] if copies else []
    except (TypeError, ValueError) as err:
        raise Rejected(f"'removed' or 'copies' is not a list of records as corpus writes them ({err})",
                       number, doc_id) from err
    get = record.get
    return Document(id=doc_id, text=body, title=_string_or_none(get("title")),
                    published=_string_or_none(get("published")), source=_string_or_none(get("source")),
                    url=_string_or_none(get("url")), story=_string_or_none(get("story")), removed=removed,
                    copies=copies, metadata=metadata)


def _string_or_none(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if hasattr(value, "isoformat") else str(value)
