"""What changed between two snapshots, by document id: :func:`diff_snapshots`."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from corpus.errors import InputError
from corpus.snapshot.load import Snapshot, load_snapshot


@dataclass(frozen=True)
class MergeChange:
    """A document present in both snapshots whose grouping changed.

    ``*_kept`` is the id of the document that represents it (itself when it
    is kept); ``*_group`` the sorted ids of its cluster, itself included,
    restricted to documents present in both snapshots.
    """

    id: str
    old_kept: str
    new_kept: str
    old_group: tuple[str, ...]
    new_group: tuple[str, ...]


@dataclass
class SnapshotDiff:
    """What changed between two snapshots, by document id (sorted)."""

    old: str
    new: str
    old_total: int
    new_total: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    merged_differently: list[MergeChange] = field(default_factory=list)
    # For removed ids that the new snapshot rejected: "stage: reason".
    rejected_in_new: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.merged_differently)

    def to_text(self) -> str:
        """A readable summary, one line per changed document."""
        lines = [
            f"{self.old} -> {self.new}",
            f"documents (kept + merged): {self.old_total} -> {self.new_total}: "
            f"{len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.merged_differently)} merged differently",
        ]
        if self.added:
            lines.append(f"added ({len(self.added)}):")
            lines.extend(f"  + {doc_id}" for doc_id in self.added)
        if self.removed:
            lines.append(f"removed ({len(self.removed)}):")
            for doc_id in self.removed:
                why = self.rejected_in_new.get(doc_id)
                lines.append(f"  - {doc_id}" + (f"  (rejected: {why})" if why else ""))
        if self.merged_differently:
            lines.append(f"merged differently ({len(self.merged_differently)}):")
            for change in self.merged_differently:
                lines.append(
                    f"  ~ {change.id}: {_grouping_text(change.id, change.old_kept, change.old_group)}"
                    f" -> {_grouping_text(change.id, change.new_kept, change.new_group)}"
                )
        if self.is_empty:
            lines.append("no changes")
        return "\n".join(lines) + "\n"


def _grouping_text(doc_id: str, kept: str, group: tuple[str, ...]) -> str:
    """``kept alone``, ``kept with b, c`` or ``merged into a with c``."""
    others = [g for g in group if g not in (doc_id, kept)]
    if kept == doc_id:
        return "kept " + (f"with {', '.join(others)}" if others else "alone")
    return f"merged into {kept}" + (f" with {', '.join(others)}" if others else "")


def _groupings(snapshot: Snapshot) -> tuple[dict[str, str], dict[str, frozenset[str]], dict[str, str]]:
    """For each present document: its representative and its cluster; and the rejected ids with why."""
    kept_by: dict[str, str] = {d.id: d.id for d in snapshot.documents()}
    group: dict[str, frozenset[str]] = {doc_id: frozenset((doc_id,)) for doc_id in kept_by}
    for n, cluster in enumerate(snapshot.clusters(), start=1):
        try:
            members = frozenset([cluster["kept"], *(m["id"] for m in cluster["members"])])
        except (KeyError, TypeError) as exc:
            raise InputError(str(snapshot.path), f"cluster #{n} is malformed ({exc!r}); run verify", None) from exc
        for member in members:
            kept_by[member] = cluster["kept"]
            group[member] = members
    rejected = {r.id: f"{r.stage}: {r.reason}" for r in snapshot.rejects() if r.id is not None}
    return kept_by, group, rejected


def diff_snapshots(old: str | os.PathLike[str], new: str | os.PathLike[str]) -> SnapshotDiff:
    """Documents added, removed, and merged differently between two snapshots.

    A document is *present* if it is kept or merged. It is merged differently
    if its representative changed, or its cluster gained or lost documents that
    are present in both snapshots (a newly added duplicate joining a cluster
    is reported as added, not as a change to the others).
    """
    old_kept, old_group, _ = _groupings(load_snapshot(old))
    new_kept, new_group, new_rejected = _groupings(load_snapshot(new))
    common = old_kept.keys() & new_kept.keys()
    changes = []
    for doc_id in sorted(common):
        before = tuple(sorted(old_group[doc_id] & common))
        after = tuple(sorted(new_group[doc_id] & common))
        if before != after or old_kept[doc_id] != new_kept[doc_id]:
            changes.append(MergeChange(doc_id, old_kept[doc_id], new_kept[doc_id], before, after))
    removed = sorted(old_kept.keys() - new_kept.keys())
    return SnapshotDiff(
        old=str(old),
        new=str(new),
        old_total=len(old_kept),
        new_total=len(new_kept),
        added=sorted(new_kept.keys() - old_kept.keys()),
        removed=removed,
        merged_differently=changes,
        rejected_in_new={doc_id: new_rejected[doc_id] for doc_id in removed if doc_id in new_rejected},
    )
