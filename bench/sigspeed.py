"""Signatures per second on one core: corpus's batched numpy vs datasketch's ``update_batch``.

Both start from the same shingle hashes (``corpus``'s, of the cleaned
benchmark documents), use the same scheme ("affine32"), seed and number of
permutations, and must give the same signature values, which is checked. The
process pins itself to one CPU. Each side runs ``--repeat`` times; the best
time counts (the least disturbed by the other engineers' jobs on this machine).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
from datasketch import MinHash

from corpus.dedup.normalize import tokenize
from corpus.dedup.shingles import TokenHasher
from corpus.dedup.signatures import SCHEME, signatures


def identity(value: int) -> int:
    """``hashfunc`` for values that are already 32-bit hashes."""
    return value


def measure(texts: list[str], ngram: int, num_perm: int, seed: int, repeat: int) -> dict[str, Any]:
    """Best-of-``repeat`` signatures/s of both implementations on ``texts``."""
    hasher = TokenHasher()
    hashes = [hasher.shingle_hashes(tokenize(t)[0], ngram) for t in texts]
    as_lists = [h.tolist() for h in hashes]  # datasketch's input: Python ints, converted outside the timing

    def run_corpus() -> np.ndarray:
        return signatures(hashes, num_perm, seed)

    def run_datasketch() -> np.ndarray:
        out = np.empty((len(as_lists), num_perm), dtype=np.uint32)
        for i, values in enumerate(as_lists):
            m = MinHash(num_perm=num_perm, seed=seed, hashfunc=identity, scheme=SCHEME)
            m.update_batch(values)
            out[i] = m.hashvalues
        return out

    best: dict[str, float] = {}
    results: dict[str, np.ndarray] = {}
    for name, fn in (("corpus", run_corpus), ("datasketch", run_datasketch)):
        for _ in range(repeat):
            start = time.perf_counter()
            results[name] = fn()
            elapsed = time.perf_counter() - start
            best[name] = min(best.get(name, elapsed), elapsed)
    n = len(texts)
    return {
        "documents": n,
        "shingles": int(sum(len(h) for h in hashes)),
        "num_perm": num_perm,
        "seed": seed,
        "scheme": SCHEME,
        "repeat": repeat,
        "seconds": best,
        "signatures_per_s": {k: n / v for k, v in best.items()},
        "speedup": best["datasketch"] / best["corpus"],
        "identical": bool(np.array_equal(results["corpus"], results["datasketch"])),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", type=Path, required=True, help="cleaned JSONL (id, text)")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--docs", type=int, default=5000, help="documents to sign (the first ones)")
    p.add_argument("--ngram", type=int, default=5)
    p.add_argument("--num-perm", type=int, default=128)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    texts = []
    with open(args.input, encoding="utf-8") as f:
        for line in f:
            texts.append(json.loads(line)["text"])
            if len(texts) >= args.docs:
                break
    result = measure(texts, args.ngram, args.num_perm, args.seed, args.repeat)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
