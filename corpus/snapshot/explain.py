"""Why a document is where it is in a snapshot: :func:`explain_id`.

Every input ends kept, merged into a cluster, or rejected; a curator asking
about one id gets the record of that fate from the snapshot's own files:

- kept: every line cleaning removed (the rule that named it, or ``learned``
  with the source and the number of documents it was learned from) and every
  copy it stands for, with its similarity;
- merged: the document it was merged into, the cluster, and the similarity;
- rejected: the stage, the reason, and the file and line it was read from.

Clusters and rejects are read first (they are small); the data shards only for
a kept id, up to its record.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from corpus.clean.learned import ANY_SOURCE, UNSOURCED, line_key
from corpus.errors import CorpusError
from corpus.snapshot.load import Snapshot, _document_records, _records, load_snapshot

KEPT, MERGED, REJECTED = "kept", "merged", "rejected"


@dataclass(frozen=True)
class Explanation:
    """What became of one id. Fields that do not apply to its ``status`` are None or empty.

    ``where`` is the snapshot file and record of the answer
    (``data/clusters.jsonl.gz line 2``). For a kept id, ``removed`` rows are
    ``{rule, line}``, plus ``learned_from: {source, documents}`` for a learned
    line, and ``copies`` are its :class:`~corpus.document.Copy` records. For a
    merged id, ``similarity`` is its similarity to ``merged_into``.
    """

    id: str
    status: str
    where: str
    title: str | None = None
    source: str | None = None
    url: str | None = None
    published: str | None = None
    story: str | None = None
    removed: list[dict[str, Any]] = field(default_factory=list)
    copies: list[dict[str, Any]] = field(default_factory=list)
    cluster: str | None = None
    policy: str | None = None
    merged_into: str | None = None
    similarity: float | None = None
    rejects: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def to_text(self) -> str:
        """A readable answer, for the command line."""
        lines = [f"{self.id}: {self.status} ({self.where})"]
        described = [f"{name}: {value}" for name, value in
                     (("title", self.title), ("source", self.source), ("url", self.url),
                      ("published", self.published), ("story", self.story)) if value]
        lines += [f"  {text}" for text in described]
        if self.status == KEPT:
            lines.append(f"  removed {len(self.removed)} line{'s' if len(self.removed) != 1 else ''}"
                         + (":" if self.removed else ""))
            for row in self.removed:
                learned = row.get("learned_from")
                how = (f"learned ({learned['source']}, {learned['documents']} documents)" if learned
                       else f"rule {row['rule']}")
                lines.append(f"    {how}: {row['line']}")
            stands = f"  stands for {len(self.copies)} cop{'ies' if len(self.copies) != 1 else 'y'}"
            lines.append(stands + (f" (cluster {self.cluster}, policy {self.policy}):" if self.copies else ""))
            for copy in self.copies:
                about = "  ".join(str(copy[k]) for k in ("source", "url", "published") if copy.get(k))
                lines.append(f"    {copy['id']}  similarity {copy['similarity']}" + (f"  {about}" if about else ""))
        elif self.status == MERGED:
            lines.append(f"  merged into {self.merged_into} at similarity {self.similarity}"
                         f" (cluster {self.cluster}, policy {self.policy})")
        else:
            for reject in self.rejects:
                lines.append(f"  stage {reject['stage']}: {reject['reason']}")
                if reject.get("path"):
                    line = f" line {reject['line']}" if reject.get("line") is not None else ""
                    lines.append(f"  read from {reject['path']}{line}")
        return "\n".join(lines) + "\n"


def explain_id(snapshot: str | os.PathLike[str] | Snapshot, doc_id: str) -> Explanation:
    """What became of ``doc_id`` in ``snapshot`` (a path or a loaded snapshot).

    Raises :class:`~corpus.errors.CorpusError` if no kept document, merged copy
    or reject has that id, naming the closest ids there are.
    """
    snap = snapshot if isinstance(snapshot, Snapshot) else load_snapshot(snapshot)
    seen: set[str] = set()
    own_cluster: tuple[Mapping[str, Any], str] | None = None
    for name in _names(snap, "clusters"):
        for line, cluster in enumerate(_records(snap.path / name), start=1):
            if not isinstance(cluster, Mapping):
                continue  # a malformed record, which verify names
            where = f"{name} line {line}"
            members = [m for m in cluster.get("members") or [] if isinstance(m, Mapping)]
            if cluster.get("kept") == doc_id:
                own_cluster = (cluster, where)
            for member in members:
                if member.get("id") == doc_id and cluster.get("kept") != doc_id:
                    return _merged(doc_id, cluster, member, where)
                seen.add(str(member.get("id")))
    rejects = []
    for name in _names(snap, "rejects"):
        for line, reject in enumerate(_records(snap.path / name), start=1):
            if not isinstance(reject, Mapping):
                continue
            if reject.get("id") == doc_id:
                rejects.append((reject, f"{name} line {line}"))
            elif reject.get("id") is not None:
                seen.add(str(reject["id"]))
    if rejects:
        return Explanation(id=doc_id, status=REJECTED, where=rejects[0][1],
                           rejects=[{k: r.get(k) for k in ("stage", "reason", "path", "line")} for r, _ in rejects])
    for name in _names(snap, "documents"):
        unit = "row" if name.endswith(".parquet") else "line"
        for n, record in enumerate(_document_records(snap.path / name), start=1):
            if record.get("id") == doc_id:
                return _kept(snap, record, f"{name} {unit} {n}", own_cluster)
            seen.add(str(record.get("id")))
    close = difflib.get_close_matches(doc_id, sorted(seen), n=3)
    hint = f"; similar ids: {', '.join(map(repr, close))}" if close else ""
    raise CorpusError(f"{snap.path}: no kept document, merged copy or reject has the id {doc_id!r}{hint}")


def _names(snap: Snapshot, role: str) -> list[str]:
    return [name for name, entry in snap.manifest["files"].items() if entry.get("role") == role]


def _merged(doc_id: str, cluster: Mapping[str, Any], member: Mapping[str, Any], where: str) -> Explanation:
    return Explanation(id=doc_id, status=MERGED, where=where, source=member.get("source"), url=member.get("url"),
                       published=member.get("published"), cluster=cluster.get("cluster"),
                       policy=cluster.get("policy"), merged_into=cluster.get("kept"),
                       similarity=member.get("similarity"))


def _kept(snap: Snapshot, record: Mapping[str, Any], where: str,
          own_cluster: tuple[Mapping[str, Any], str] | None) -> Explanation:
    learned = {(row.get("source"), line_key(row["line"])): row for row in snap.manifest.get("learned_lines", [])
               if isinstance(row, Mapping) and isinstance(row.get("line"), str)}
    removed = []
    for removal in record.get("removed") or []:
        row = dict(removal)
        if row.get("rule") == "learned":
            key = line_key(row["line"])
            found = learned.get((record.get("source") or UNSOURCED, key)) or learned.get((ANY_SOURCE, key))
            if found is not None:
                row["learned_from"] = {"source": found.get("source"), "documents": found.get("documents")}
        removed.append(row)
    cluster = own_cluster[0] if own_cluster is not None else {}
    return Explanation(id=record["id"], status=KEPT, where=where, title=record.get("title"),
                       source=record.get("source"), url=record.get("url"), published=record.get("published"),
                       story=record.get("story"), removed=removed, copies=list(record.get("copies") or []),
                       cluster=cluster.get("cluster"), policy=cluster.get("policy"))

