"""datatrove's MinHash dedup, its four stages run locally as its docs show.

Signature -> Buckets -> Cluster -> Filter, each a ``LocalPipelineExecutor``
talking to the next through files under ``--work``. The input is split into
``--workers`` shards so the signature and filter stages use every core.
The group of each document is datatrove's own ``minhash_cluster_id`` (the
Filter stage's ``load_cluster_ids``), read back from both its outputs: the
kept documents and the removed ones (``exclusion_writer``).

Runs in the peers' virtualenv: datatrove, plus spacy (its English word
tokenizer) and tokenizers (imported by its dedup package).
"""

from __future__ import annotations

import gzip
import json
import logging
import shutil
from importlib.metadata import version

from bench.tools.common import Stages, parser, read_docs, write_result


def banding(threshold: float, num_perm: int) -> tuple[int, int]:
    """(buckets, hashes per bucket) whose S-curve midpoint is nearest ``threshold``.

    datatrove takes no threshold, only the banding (default 14 x 8, about
    0.72); the midpoint of ``b`` bands of ``r`` rows is ``(1/b)^(1/r)``, and
    ``b * r`` stays within ``num_perm``.

    >>> banding(0.6, 128), banding(0.72, 112)
    ((21, 6), (14, 8))
    """
    return min(((num_perm // r, r) for r in range(1, num_perm + 1)),
               key=lambda br: abs((1 / br[0]) ** (1 / br[1]) - threshold))


def main() -> None:
    args = parser(__doc__.split("\n\n")[0]).parse_args()
    from datatrove.executor import LocalPipelineExecutor
    from datatrove.pipeline.dedup import MinhashDedupBuckets, MinhashDedupCluster, MinhashDedupFilter, MinhashDedupSignature
    from datatrove.pipeline.dedup.minhash import MinhashConfig
    from datatrove.pipeline.readers import JsonlReader
    from datatrove.pipeline.writers import JsonlWriter

    logging.disable(logging.WARNING)
    stages = Stages()
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    shards = work / "input"
    shards.mkdir(parents=True)
    ids, texts = read_docs(args.input)
    n_shards = max(1, args.workers)
    with stages("shard input"):
        outs = [open(shards / f"{i:03d}.jsonl", "w", encoding="utf-8") for i in range(n_shards)]
        for k, (doc_id, text) in enumerate(zip(ids, texts)):
            outs[k % n_shards].write(json.dumps({"id": doc_id, "text": text}) + "\n")
        for f in outs:
            f.close()
    del texts

    num_buckets, hashes_per_bucket = banding(args.threshold, args.num_perm)
    config = MinhashConfig(n_grams=args.ngram, num_buckets=num_buckets, hashes_per_bucket=hashes_per_bucket, seed=args.seed)

    def reader() -> JsonlReader:
        return JsonlReader(str(shards), id_key="id", text_key="text")

    def common(stage: str) -> dict:
        return {"logging_dir": str(work / "logs" / stage), "skip_completed": False}

    with stages("signatures"):
        LocalPipelineExecutor(
            pipeline=[reader(), MinhashDedupSignature(output_folder=str(work / "sigs"), config=config)],
            tasks=n_shards, workers=n_shards, **common("signatures"),
        ).run()
    with stages("LSH"):
        LocalPipelineExecutor(
            pipeline=[MinhashDedupBuckets(input_folder=str(work / "sigs"), output_folder=str(work / "buckets"), config=config)],
            tasks=config.num_buckets, workers=n_shards, **common("buckets"),
        ).run()
    with stages("clustering"):
        LocalPipelineExecutor(
            pipeline=[MinhashDedupCluster(input_folder=str(work / "buckets"), output_folder=str(work / "remove"),
                                          config=config, save_cluster_id=True)],
            tasks=1, workers=1, **common("cluster"),
        ).run()
    with stages("filter+write"):
        LocalPipelineExecutor(
            pipeline=[
                reader(),
                MinhashDedupFilter(input_folder=str(work / "remove"), load_cluster_ids=True,
                                   exclusion_writer=JsonlWriter(str(work / "removed"))),
                JsonlWriter(str(work / "kept")),
            ],
            tasks=n_shards, workers=n_shards, **common("filter"),
        ).run()

    cluster_of: dict[str, int] = {}
    for folder in ("kept", "removed"):
        for path in sorted((work / folder).glob("*.jsonl.gz")):
            with gzip.open(path, "rt", encoding="utf-8") as f:
                for line in f:
                    record = json.loads(line)
                    cluster_of[record["id"]] = record["metadata"]["minhash_cluster_id"]
    missing = [i for i in ids if i not in cluster_of]
    if missing:
        raise SystemExit(f"datatrove lost {len(missing)} documents, e.g. {missing[0]!r}")
    # -1 means "in no cluster": each such document is its own group.
    labels = [f"c{cluster_of[i]}" if cluster_of[i] >= 0 else f"s{i}" for i in ids]
    params = {"n_grams": config.n_grams, "num_buckets": config.num_buckets,
              "hashes_per_bucket": config.hashes_per_bucket, "precision": 64, "tasks": n_shards}
    write_result(args.out, "datatrove", version("datatrove"), labels, stages, params)


if __name__ == "__main__":
    main()
