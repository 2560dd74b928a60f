"""Union-find over document indices: which documents end up in one cluster.

Deterministic by construction: the root of a set is always its smallest index,
so the same pairs give the same roots whatever order they are added in.
"""

from __future__ import annotations


class UnionFind:
    """Disjoint sets over ``0 .. n-1`` with path halving; root = smallest member.

    >>> uf = UnionFind(4); uf.union(3, 1); uf.union(1, 2)
    >>> uf.find(3), uf.groups()
    (1, [[0], [1, 2, 3]])
    """

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def __len__(self) -> int:
        return len(self.parent)

    def find(self, i: int) -> int:
        """The root (smallest member) of ``i``'s set."""
        parent = self.parent
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        """Merge the sets of ``i`` and ``j``; the smaller root becomes the root."""
        ri, rj = self.find(i), self.find(j)
        if ri < rj:
            self.parent[rj] = ri
        elif rj < ri:
            self.parent[ri] = rj

    def groups(self) -> list[list[int]]:
        """Every set as a sorted list, sets ordered by their smallest member."""
        by_root: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            by_root.setdefault(self.find(i), []).append(i)
        return [by_root[r] for r in sorted(by_root)]
