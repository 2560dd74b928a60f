"""Which copy of a cluster is kept: the representative policies.

Every policy is a sort key over the members of a cluster; the member with the
smallest key is kept. Ties always fall through to a deterministic rule, so the
kept document never depends on luck or input order (except under ``first``).

``longest`` (default)
    The most complete cleaned text, measured as its *corroborated length*: the
    number of the member's distinct shingles that also occur in at least one
    other member of the cluster (:func:`corroborated_lengths`). Text unique to
    one copy -- a headline, a dateline, a footer its site added and cleaning
    left in -- does not count, so a copy cannot win by carrying extra chrome;
    the story's own text counts for every copy that holds it, so a copy that
    cut a paragraph loses to one that kept it (as long as some other copy kept
    it too). Ties: the shorter raw text (the same corroborated story with less
    unshared material around it), then the smallest ``id``.

    Clusters of two are the exception: there every shared shingle is shared
    by both members, so their corroborated lengths are equal by construction
    and nothing tells whether one copy's unshared text is a headline it added
    or a paragraph the other cut. Losing a paragraph is worse than keeping a
    headline, so ``longest`` keeps the longer raw text there (ties: smallest
    ``id``). The same raw measure applies when the texts are not at hand: the
    kept documents of an earlier snapshot in an incremental run (see
    :mod:`.deduplicator`).
``earliest``
    Smallest ``published`` (ISO 8601 strings compare in time order; a date
    without a time sorts before date-times of the same day). Documents without
    a date sort last. Ties: as ``longest``, then smallest ``id``.
``source-priority``
    The first member whose ``source`` appears earliest in ``source_priority``
    (compared case-insensitively); sources not in the list rank after all
    listed ones. Ties: as ``longest``, then smallest ``id``.
``first``
    Earliest input position (the only policy that depends on input order, on
    purpose).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

POLICIES = ("longest", "earliest", "source-priority", "first")


@dataclass(frozen=True)
class Member:
    """What a policy needs to know about one document of a cluster.

    ``length`` is the raw length of the cleaned text in characters;
    ``corroborated`` its corroborated length in shingles, or ``None`` when not
    measured (clusters of two, documents whose text is not at hand).
    """

    id: str
    source: str | None
    url: str | None
    published: str | None
    length: int
    order: int
    corroborated: int | None = None


def corroborated_lengths(shingle_hashes: Sequence[np.ndarray], clusters: Sequence[int] | np.ndarray | None = None) -> list[int]:
    """For each member, how many of its distinct shingles another member of its cluster also has.

    ``shingle_hashes[i]`` holds member ``i``'s shingle hashes (repeats allowed);
    ``clusters[i]`` numbers its cluster (default: one cluster for all; the
    members of one cluster come together), so that the members of many
    clusters are measured in one pass, each cluster apart.

    >>> a, b, c = (np.array(x, dtype=np.uint32) for x in ([1, 2, 3], [2, 3, 4, 4], [3, 9]))
    >>> corroborated_lengths([a, b, c])
    [2, 2, 1]
    >>> corroborated_lengths([a, b, c, a, c], [0, 0, 0, 1, 1])
    [2, 2, 1, 1, 1]
    """
    # One sort of (hash, member) keys: a member's repeats of a hash are equal neighbours
    # (dropped), and the members holding one hash are neighbours in member order, so a
    # cluster's (its members are numbered together) are too: a distinct key is shared
    # when a neighbour has its hash and its cluster. np.sort, not np.unique (hash based
    # in numpy 2.4, and the larger part of keeping at 10k documents) nor argsort.
    lengths = np.fromiter(map(len, shingle_hashes), dtype=np.int64, count=len(shingle_hashes))
    if not len(lengths):
        return []
    cluster = np.zeros(len(lengths), dtype=np.int64) if clusters is None else np.asarray(clusters, dtype=np.int64)
    if np.any(cluster[1:] < cluster[:-1]):
        raise ValueError("members must come cluster by cluster (clusters non-decreasing)")
    owner = np.repeat(np.arange(len(lengths), dtype=np.uint64), lengths)
    keys = np.sort((np.concatenate(shingle_hashes).astype(np.uint64) << np.uint64(32)) | owner)
    keys = keys[np.concatenate(([True], keys[1:] != keys[:-1]))]
    # The keys' halves as uint32 views (hash, member), not shifted and masked copies.
    halves = keys.view(np.uint32).reshape(-1, 2)
    low, high = (0, 1) if sys.byteorder == "little" else (1, 0)
    members, hashes = halves[:, low], halves[:, high]
    group = cluster[members]
    same = (hashes[1:] == hashes[:-1]) & (group[1:] == group[:-1])
    shared = np.zeros(len(keys), dtype=bool)
    shared[1:] |= same
    shared[:-1] |= same
    return np.bincount(members[shared], minlength=len(lengths)).tolist()


def _completeness(member: Member) -> tuple[int, int]:
    """The ``longest`` part of every key: most complete first, see the module docstring."""
    if member.corroborated is None:
        return (-member.length, 0)
    return (-member.corroborated, member.length)


def sort_key(member: Member, policy: str, source_priority: Sequence[str] = ()) -> tuple:
    """The key :func:`choose` minimises; see the module docstring."""
    if policy == "longest":
        return (*_completeness(member), member.id)
    if policy == "earliest":
        return (member.published is None, member.published or "", *_completeness(member), member.id)
    if policy == "source-priority":
        ranks = {s.casefold(): i for i, s in reversed(list(enumerate(source_priority)))}
        rank = ranks.get((member.source or "").casefold(), len(ranks))
        return (rank, *_completeness(member), member.id)
    if policy == "first":
        return (member.order,)
    raise ValueError(f"unknown keep policy {policy!r}; expected one of {', '.join(POLICIES)}")


def choose(members: Sequence[Member], policy: str, source_priority: Sequence[str] = ()) -> Member:
    """The member a cluster keeps under ``policy``.

    Corroborated lengths compare only with each other: every member must have
    one, or none.
    """
    if len({m.corroborated is None for m in members}) > 1:
        raise ValueError("members mix measured and unmeasured corroborated lengths")
    return min(members, key=lambda m: sort_key(m, policy, source_priority))
