"""Where ``corpus dedup`` spends its time: seconds per stage at each size, how each stage grows, and the
functions under cProfile.

Runs ``Deduplicator(DedupConfig()).run`` once on each cleaned JSONL given (the
input every dedup tool of ``bench.run`` gets, ``cleaned.jsonl`` of a size's
work directory), timed per stage as ``bench.tools.corpus_pipeline`` times it
(shingles, signatures, LSH, clustering, story; reading the input and writing
the kept documents beside them), then once more under cProfile
on the largest, and prints Markdown: the stage table per size, the growth
exponent of each stage between consecutive sizes (``log(t2/t1) / log(n2/n1)``:
1.0 is linear), then the functions with the most cumulative time. Stage times
are process CPU seconds by default (``--clock cpu``): on a machine other jobs
share, wall time measures them too. cProfile slows Python calls down, so the
stage tables are from the plain runs.

    python -m bench.dedup_profile --input bench/work/syn-{1000,10000,100000}/cleaned.jsonl [--top 25] [--out FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import math
import pstats
import tempfile
import time
from pathlib import Path

import bench.tools.common as common
import bench.tools.corpus_pipeline as pipeline
from corpus.dedup import DedupConfig, Deduplicator
from corpus.readers import read
from corpus.writers import write_jsonl

STAGES = ("shingles", "signatures", "LSH", "clustering", "story")


class _Clock:
    """Stands in for the ``time`` module of the stage timers: their ``perf_counter`` reads ``clock``."""

    def __init__(self, clock):
        self.perf_counter = clock


def profile_size(path: Path, clock) -> tuple[int, int, float, dict[str, float]]:
    """``(documents, kept, total seconds, seconds per stage)`` of one dedup run on ``path``.

    Reading the JSONL and writing the kept documents (to a temporary file) are
    timed too, as ``read`` and ``write``, outside the dedup total: with them the
    stages are those of ``corpus dedup`` from input to output.
    """
    start = clock()
    docs = list(read(path))
    read_seconds = clock() - start
    saved = pipeline.time, common.time
    pipeline.time = common.time = _Clock(clock)
    try:
        stages = common.Stages()
        start = clock()
        result, _ = pipeline.dedup(docs, DedupConfig(), stages)
        total = clock() - start
    finally:
        pipeline.time, common.time = saved
    with tempfile.TemporaryDirectory() as work:
        start = clock()
        write_jsonl(result.kept, Path(work) / "kept.jsonl")
        write_seconds = clock() - start
    return len(docs), len(result.kept), total, {**stages.seconds, "read": read_seconds, "write": write_seconds}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", type=Path, nargs="+", required=True, help="cleaned JSONL files (id, text, ...), smallest first")
    p.add_argument("--top", type=int, default=25, help="functions to list (0: no cProfile run)")
    p.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="process CPU time or wall time")
    p.add_argument("--out", type=Path, help="also write the Markdown here")
    args = p.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    lines: list[str] = []
    runs = [profile_size(path, clock) for path in args.input]
    unit = "CPU s" if args.clock == "cpu" else "wall s"
    lines.append(f"| documents | kept | dedup {unit} | " + " | ".join(STAGES) + " | read | write |")
    lines.append("|---:|---:|---:|" + "---:|" * (len(STAGES) + 2))
    for n, kept, total, stages in runs:
        cells = " | ".join(f"{stages.get(s, 0.0):.2f} ({stages.get(s, 0.0) / total:.0%})" for s in STAGES)
        lines.append(f"| {n:,} | {kept:,} | {total:.2f} | {cells} | {stages['read']:.2f} | {stages['write']:.2f} |")
    if len(runs) > 1:
        lines.append("\nGrowth exponent per stage (1.0: linear in the number of documents):\n")
        lines.append("| from | to | dedup | " + " | ".join(STAGES) + " | read | write |")
        lines.append("|---:|---:|---:|" + "---:|" * (len(STAGES) + 2))
        for (n1, _, t1, s1), (n2, _, t2, s2) in zip(runs, runs[1:]):
            def exponent(a: float, b: float) -> str:
                return f"{math.log(b / a) / math.log(n2 / n1):.2f}" if a > 0 and b > 0 and n2 != n1 else "-"
            cells = " | ".join(exponent(s1.get(s, 0.0), s2.get(s, 0.0)) for s in (*STAGES, "read", "write"))
            lines.append(f"| {n1:,} | {n2:,} | {exponent(t1, t2)} | {cells} |")
    if args.top:
        docs = list(read(args.input[-1]))
        profile = cProfile.Profile()
        profile.enable()
        Deduplicator(DedupConfig()).run(docs)
        profile.disable()
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
        table = out.getvalue().splitlines()
        table = table[next(i for i, line in enumerate(table) if line.lstrip().startswith("ncalls")):]
        lines.append(f"\ncProfile of the {len(docs):,}-document run, by cumulative time:\n\n```")
        lines.extend(line.replace(str(Path.cwd()) + "/", "") for line in table if line.strip())
        lines.append("```")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.out:
        args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
