"""Which copy of a cluster is kept: the representative policies.

Every policy is a sort key over the members of a cluster; the member with the
smallest key is kept. Ties always fall through to a deterministic rule, so the
kept document never depends on luck:

``longest`` (default)
    Most characters of cleaned text: the most complete copy (other copies are
    often cut). Ties: smallest ``id``, so the choice does not depend on input
    order.
``earliest``
    Smallest ``published`` (ISO 8601 strings compare in time order; a date
    without a time sorts before date-times of the same day). Documents without
    a date sort last. Ties: longest, then smallest ``id``.
``source-priority``
    The first member whose ``source`` appears earliest in ``source_priority``
    (compared case-insensitively); sources not in the list rank after all
    listed ones. Ties: longest, then smallest ``id``.
``first``
    Earliest input position (the only policy that depends on input order, on
    purpose).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

POLICIES = ("longest", "earliest", "source-priority", "first")


@dataclass(frozen=True)
class Member:
    """What a policy needs to know about one document of a cluster."""

    id: str
    source: str | None
    url: str | None
    published: str | None
    length: int
    order: int


def sort_key(member: Member, policy: str, source_priority: Sequence[str] = ()) -> tuple:
    """The key :func:`choose` minimises; see the module docstring."""
    if policy == "longest":
        return (-member.length, member.id)
    if policy == "earliest":
        return (member.published is None, member.published or "", -member.length, member.id)
    if policy == "source-priority":
        ranks = {s.casefold(): i for i, s in reversed(list(enumerate(source_priority)))}
        rank = ranks.get((member.source or "").casefold(), len(ranks))
        return (rank, -member.length, member.id)
    if policy == "first":
        return (member.order,)
    raise ValueError(f"unknown keep policy {policy!r}; expected one of {', '.join(POLICIES)}")


def choose(members: Sequence[Member], policy: str, source_priority: Sequence[str] = ()) -> Member:
    """The member a cluster keeps under ``policy``."""
    return min(members, key=lambda m: sort_key(m, policy, source_priority))
