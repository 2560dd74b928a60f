"""Which record owns each id, so that an id stands in one place of a snapshot only."""

from __future__ import annotations

import dataclasses

from corpus.document import Reject


class IdOwners:
    """Which record owns each id: the first one read, a document or a reject; and where it was read.

    An id may stand in one place of a snapshot only. A later document with an id
    already read is rejected, naming where the first was read; a later reject
    gives up the id it named. :func:`~corpus.readers.read` keeps one for all its
    inputs; share one between calls (``read(..., ids=owners)``) to keep ids
    unique across them, and to :meth:`locate` the documents that later stages
    reject.
    """

    def __init__(self) -> None:
        self._first: dict[str, tuple[str | None, int | None, bool]] = {}  # id -> (path, line, rejected)

    def claim_reject(self, reason: str, doc_id: str, path: str | None, line: int | None) -> tuple[str, str | None]:
        """A rejected record that names ``doc_id``: its reason and id once the claim is settled."""
        if doc_id in self._first:
            return f"{reason}; its id {doc_id!r} is a duplicate, first read from {self._where(doc_id)}", None
        self._first[doc_id] = (path, line, True)
        return reason, doc_id

    def claim_document(self, doc_id: str, path: str, line: int | None) -> str | None:
        """Why a document with ``doc_id`` is rejected (its id was read before), or None: the id is now its."""
        if doc_id in self._first:
            return f"duplicate id {doc_id!r}, first read from {self._where(doc_id)}"
        self._first[doc_id] = (path, line, False)
        return None

    def locate(self, reject: Reject) -> Reject:
        """``reject`` with the file and line its document was read from, if it names no file
        (a document dropped after reading: by cleaning, or by learned boilerplate)."""
        place = self._first.get(reject.id) if reject.path is None and reject.id is not None else None
        return reject if place is None else dataclasses.replace(reject, path=place[0], line=place[1])

    def _where(self, doc_id: str) -> str:
        path, line, rejected = self._first[doc_id]
        return (f"{path}:{line}" if line is not None else str(path)) + (" (rejected)" if rejected else "")
