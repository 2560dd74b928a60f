"""text-dedup's MinHash (``text_dedup.minhash``), run through its own command line.

It loads the JSONL with Hugging Face ``datasets`` (offline), hashes, bands,
clusters with its union-find and saves the kept rows. With ``--debug`` it also
pickles that union-find, which gives the group of every document. ``--b``/``--r``
are left to text-dedup's own choice for the threshold (``optimal_param``), as a
user would. Runs in the peers' virtualenv.
"""

from __future__ import annotations

import os
import pickle
import shutil
from importlib.metadata import version

from bench.tools.common import Stages, parser, read_docs, write_result


def main() -> None:
    args = parser(__doc__.split("\n\n")[0]).parse_args()
    os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_DATASETS_DISABLE_PROGRESS_BARS", "1")
    work = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ids, _ = read_docs(args.input)
    from text_dedup import minhash
    from text_dedup.utils import optimal_param

    cli = [
        "--path", "json", "--data_files", str(args.input), "--split", "train",
        "--cache_dir", str(work / "cache"), "--output", str(work / "out"),
        "--column", "text", "--idx_column", "id", "--debug", "--clean_cache",
        "--num_proc", str(args.workers),
        "--ngram", str(args.ngram), "--min_length", "0", "--seed", str(args.seed),
        "--num_perm", str(args.num_perm), "--threshold", str(args.threshold),
        "--hash_func", "xxh3",
    ]
    timers: list = []

    class RecordingTimer(minhash.Timer):
        """text-dedup's own stage timer, kept so its stage times can be reported."""

        def __init__(self) -> None:
            super().__init__()
            timers.append(self)

    minhash.Timer = RecordingTimer
    minhash.main(cli, standalone_mode=False)
    stages = Stages()
    # Its stages: Loading (datasets reads the JSONL), MinHashing (shingles and
    # signatures), Clustering (LSH tables and union-find), Filtering, Saving.
    stages.seconds.update({k: v for k, v in timers[0].elapsed_times.items() if k not in ("Total", "Cleaning")})
    with open(work / "out" / "uf.pkl", "rb") as f:
        uf = pickle.load(f)
    labels = [uf.find(i) for i in ids]
    params = {"ngram": args.ngram, "num_perm": args.num_perm, "threshold": args.threshold,
              "hash_func": "xxh3", "num_proc": args.workers,
              "bands_rows": list(optimal_param(args.threshold, args.num_perm, false_positive_weight=0.5, false_negative_weight=0.5))}
    write_result(args.out, "text-dedup", version("text-dedup"), labels, stages, params)


if __name__ == "__main__":
    main()
