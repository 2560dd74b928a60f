"""Where ``corpus dedup`` spends its time: wall seconds per stage and the functions under cProfile.

Runs ``Deduplicator(DedupConfig()).run`` once on a cleaned JSONL (the input
every dedup tool of ``bench.run`` gets, ``cleaned.jsonl`` of a size's work
directory), timed per stage as ``bench.tools.corpus_pipeline`` times it
(shingles, signatures, LSH, clustering, story), then once more under cProfile,
and prints both as Markdown: the stage table, then the functions with the most
cumulative time. cProfile slows Python calls down, so the stage table is from
the plain run.

    python -m bench.dedup_profile --input bench/work/100000/cleaned.jsonl [--top 25]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path

from bench.tools.common import Stages
from bench.tools.corpus_pipeline import dedup
from corpus.dedup import DedupConfig, Deduplicator
from corpus.readers import read


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", type=Path, required=True, help="cleaned JSONL (id, text, ...)")
    p.add_argument("--top", type=int, default=25, help="functions to list")
    args = p.parse_args()
    docs = list(read(args.input))
    stages = Stages()
    start = time.perf_counter()
    result, _ = dedup(docs, DedupConfig(), stages)
    total = time.perf_counter() - start
    print(f"{len(docs):,} documents, {len(result.kept):,} kept, dedup {total:.1f} s wall\n")
    print("| stage | s | share |\n|---|---:|---:|")
    for name, seconds in stages.seconds.items():
        print(f"| {name} | {seconds:.2f} | {seconds / total:.0%} |")
    profile = cProfile.Profile()
    profile.enable()
    Deduplicator(DedupConfig()).run(docs)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
    lines = out.getvalue().splitlines()
    table = lines[next(i for i, line in enumerate(lines) if line.lstrip().startswith("ncalls")):]
    print("\ncProfile, by cumulative time:\n\n```")
    print("\n".join(line.replace(str(Path.cwd()) + "/", "") for line in table if line.strip()))
    print("```")


if __name__ == "__main__":
    main()
