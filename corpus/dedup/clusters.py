"""Connected components over document indices: which documents end up in one cluster.

The pairs that link documents come as edge arrays; scipy's
``connected_components`` finds the components without a Python step per edge.
Deterministic by construction: a component is its sorted members, and the
components are ordered by their smallest member, so the same edges give the
same components whatever order they come in.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


def components(n: int, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The components of ``0 .. n-1`` linked by the edges ``(a[k], b[k])``: ``(members, starts)``.

    ``members`` lists every index, component by component, each component sorted
    and the components ordered by their smallest member; component ``c`` is
    ``members[starts[c]:starts[c + 1]]`` (``starts`` ends with ``n``).

    >>> members, starts = components(5, np.array([3, 1]), np.array([1, 2]))
    >>> [members[s:e].tolist() for s, e in zip(starts[:-1], starts[1:])]
    [[0], [1, 2, 3], [4]]
    """
    a, b = np.asarray(a, dtype=np.int64), np.asarray(b, dtype=np.int64)
    graph = coo_matrix((np.ones(len(a), dtype=np.int8), (a, b)), shape=(n, n)).tocsr()
    _, labels = connected_components(graph, directed=False)
    # Relabel each component by its smallest member, then sort members by (root, index).
    _, smallest = np.unique(labels, return_index=True)  # first index of each label
    roots = smallest[labels]
    members = np.argsort(roots, kind="stable")
    starts = np.flatnonzero(np.diff(roots[members], prepend=-1))
    return members, np.append(starts, n)
