"""datasketch as its README shows it: ``MinHash.update_batch`` per document, then ``MinHashLSH``.

Shingles are the ones ``corpus`` dedups on (its tokens and 32-bit shingle
hashes), so the comparison is of the MinHash and LSH stages only; each
shingle hash goes to ``update_batch`` as an integer with an identity
``hashfunc`` ("affine32" scheme, as ``corpus`` uses). Groups: every document
queries the index of the documents before it and joins the groups it hits
(union-find), the way datasketch's users turn LSH hits into clusters. Runs in
the project's virtualenv (datasketch is a dependency of ``corpus``).
"""

from __future__ import annotations

from importlib.metadata import version

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from bench.tools.common import Stages, parser, read_docs, write_result
from corpus.dedup.normalize import tokenize
from corpus.dedup.shingles import TokenHasher


def identity(value: int) -> int:
    """``hashfunc`` for values that are already 32-bit hashes."""
    return value


def main() -> None:
    args = parser(__doc__.split("\n\n")[0]).parse_args()
    ids, texts = read_docs(args.input)
    stages = Stages()
    hasher = TokenHasher()
    with stages("shingles"):
        shingles = [hasher.shingle_hashes(tokenize(text)[0], args.ngram).tolist() for text in texts]
    del texts
    with stages("signatures"):
        sketches = []
        for values in shingles:
            m = MinHash(num_perm=args.num_perm, seed=args.seed, hashfunc=identity, scheme="affine32")
            m.update_batch(values)
            sketches.append(LeanMinHash(m))
    del shingles
    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.num_perm)
    parent = np.arange(len(ids))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    with stages("LSH"):
        hits = []
        for i, m in enumerate(sketches):
            hits.append(lsh.query(m))
            lsh.insert(i, m, check_duplication=False)
    with stages("clustering"):
        for i, found in enumerate(hits):
            for j in found:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        labels = [int(find(i)) for i in range(len(ids))]
    params = {"num_perm": args.num_perm, "threshold": args.threshold, "bands_rows": [lsh.b, lsh.r],
              "scheme": "affine32", "ngram": args.ngram, "shingles": "corpus"}
    write_result(args.out, "datasketch", version("datasketch"), labels, stages, params)


if __name__ == "__main__":
    main()
