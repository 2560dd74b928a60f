"""The accounting: where every input ended up (kept, merged into a cluster, or rejected).

One ledger serves both sides so that they apply the same rules: the writer
feeds it what it writes and refuses to publish a snapshot that loses or
double-counts a document; the verifier feeds it what the files hold.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class _Ledger:
    """Where every input ended up: kept, merged into a cluster, or rejected.

    Fed while writing (to refuse a bad snapshot) and while verifying (to find
    one); ``where`` strings name the file and line in the messages.
    """

    def __init__(self) -> None:
        self.kept: set[str] = set()
        self.kept_records = 0
        self.merged: dict[str, str] = {}  # merged id -> cluster id
        self.merged_records = 0
        self.rejected_records = 0
        self.rejected_ids: set[str] = set()
        self.representatives: dict[str, str] = {}  # kept id -> cluster id
        self.cluster_ids: set[str] = set()
        self.cluster_kept: list[tuple[str, str, str]] = []  # (cluster, kept id, where)
        self.problems: list[str] = []

    def keep(self, doc_id: str, where: str) -> None:
        self.kept_records += 1
        if doc_id in self.kept:
            self.problems.append(f"{where}: document {doc_id!r} is kept twice")
        self.kept.add(doc_id)

    def cluster(self, cluster: Any, where: str) -> None:
        """Record one cluster; a malformed one is a problem, not an exception."""
        if not isinstance(cluster, Mapping) or not isinstance(cluster.get("members"), list):
            self.problems.append(f"{where}: a cluster must be an object with a 'members' list")
            return
        cluster_id, kept = str(cluster.get("cluster")), cluster.get("kept")
        if cluster_id in self.cluster_ids:
            self.problems.append(f"{where}: cluster {cluster_id!r} appears twice")
        self.cluster_ids.add(cluster_id)
        if not isinstance(kept, str):
            self.problems.append(f"{where}: cluster {cluster_id!r} has no 'kept' id")
            return
        if kept in self.representatives:
            self.problems.append(
                f"{where}: document {kept!r} is kept for clusters {self.representatives[kept]!r} and {cluster_id!r}"
            )
        self.representatives[kept] = cluster_id
        self.cluster_kept.append((cluster_id, kept, where))
        for member in cluster["members"]:
            member_id = member.get("id") if isinstance(member, Mapping) else None
            if not isinstance(member_id, str):
                self.problems.append(f"{where}: cluster {cluster_id!r} has a member without an 'id'")
                continue
            if member_id == kept:
                continue
            self.merged_records += 1
            if member_id in self.merged:
                self.problems.append(
                    f"{where}: merged document {member_id!r} is in clusters "
                    f"{self.merged[member_id]!r} and {cluster_id!r}"
                )
            else:
                self.merged[member_id] = cluster_id

    def reject(self, doc_id: str | None) -> None:
        self.rejected_records += 1
        if doc_id is not None:
            self.rejected_ids.add(doc_id)

    def finish(self) -> list[str]:
        """Cross-checks that need everything seen: ids in two places at once."""
        problems = list(self.problems)
        for cluster_id, kept, where in self.cluster_kept:
            if kept not in self.kept:
                problems.append(f"{where}: cluster {cluster_id!r} keeps {kept!r}, which is not a kept document")
        for doc_id in sorted(self.kept & self.merged.keys()):
            problems.append(f"document {doc_id!r} is both kept and merged into cluster {self.merged[doc_id]!r}")
        for doc_id in sorted(self.kept & self.rejected_ids):
            problems.append(f"document {doc_id!r} is both kept and rejected")
        for doc_id in sorted(self.merged.keys() & self.rejected_ids):
            problems.append(f"document {doc_id!r} is both merged and rejected")
        return problems

    def signature_problem(self, ids: list[str], where: str) -> str | None:
        """Signatures may only describe documents the snapshot holds (kept or merged)."""
        unknown = [i for i in ids if i not in self.kept and i not in self.merged]
        if not unknown:
            return None
        return f"{where}: {len(unknown)} signatures of documents neither kept nor merged (first: {unknown[0]!r})"

    def accounting(self, inputs: int) -> dict[str, int]:
        return {
            "inputs": inputs,
            "kept": self.kept_records,
            "merged": self.merged_records,
            "rejected": self.rejected_records,
        }


def _accounting_problem(acc: Mapping[str, int]) -> str | None:
    total = acc["kept"] + acc["merged"] + acc["rejected"]
    if acc["inputs"] == total:
        return None
    return (
        f"accounting does not hold: inputs = {acc['inputs']} but kept {acc['kept']} + merged {acc['merged']}"
        f" + rejected {acc['rejected']} = {total} ({acc['inputs'] - total:+d} documents unaccounted for)"
    )
