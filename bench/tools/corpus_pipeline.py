"""``corpus`` itself: read, clean, dedup, write, each stage timed.

Modes:

- ``clean``: raw JSONL -> cleaned JSONL (``--cleaned``), the input every dedup
  tool then gets; no dedup.
- ``dedup``: cleaned JSONL -> dedup -> kept JSONL, as the peers run.
- ``e2e``: raw JSONL -> the default pipeline (``pipelines/case_reporting.toml``:
  clean, learned boilerplate, dedup, snapshot), as ``corpus run`` does it; its
  stages are the local engine's own (read+clean, learn, dedup, write).
- ``e2e-ray``: the same run on the Ray engine (a local Ray on every core), for
  the wall time and memory beside the local engine's.

Dedup runs as ``Deduplicator(DedupConfig(...)).run`` with the defaults unless
``--threshold``/``--num-perm``/``--ngram`` differ from them. Its inner stages
are timed by wrapping the functions the deduplicator module calls (shingling,
signatures, LSH, story); whatever else ``run`` spends (exact keys, union-find,
choosing the kept copy) is reported as ``clustering``. A name the module no
longer has is simply not wrapped, and its time lands in ``clustering``; the
result lists the names that were timed (``params.timed``).
"""

from __future__ import annotations

import functools
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.tools.common import Stages, parser, write_result
from corpus.clean import Cleaner, CleanConfig
from corpus.dedup import DedupConfig, Deduplicator
from corpus.document import Document, Reject
from corpus.readers import read
from corpus.writers import write_jsonl

#: Names the deduplicator module calls, and the stage each one's time counts in.
_INNER_STAGES = {
    "token_batch": "shingles", "shingle_hashes": "shingles", "sign": "signatures", "distinct_counts": "signatures",
    "similar_pair_arrays": "LSH", "components": "clustering", "read_terms": "story", "stories_from_readings": "story",
}


def _timed(stages: Stages, name: str, fn: Any) -> Any:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            stages.seconds[name] = stages.seconds.get(name, 0.0) + time.perf_counter() - start

    return wrapper


def dedup(docs: list[Document], config: DedupConfig, stages: Stages) -> tuple[Any, list[str]]:
    """``Deduplicator.run`` with its inner stages timed into ``stages``; also the names it timed."""
    import corpus.dedup.deduplicator as module

    dedup_step = Deduplicator(config)
    saved = {name: getattr(module, name) for name in _INNER_STAGES if hasattr(module, name)}
    inner = Stages()
    for name, fn in saved.items():
        setattr(module, name, _timed(inner, _INNER_STAGES[name], fn))
    timed = sorted(saved)
    start = time.perf_counter()
    try:
        result = dedup_step.run(docs)
    finally:
        for name, fn in saved.items():
            setattr(module, name, fn)
    total = time.perf_counter() - start
    stages.seconds.update(inner.seconds)
    stages.seconds["clustering"] = total - sum(inner.seconds.values())
    return result, timed


def main() -> None:
    p = parser(__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=("clean", "dedup", "e2e", "e2e-ray"), required=True)
    p.add_argument("--cleaned", type=Path, help="clean mode: where to write the cleaned documents")
    p.add_argument("--set", dest="settings", action="append", default=[], metavar="TABLE.KEY=VALUE",
                   help="e2e modes: a pipeline setting over the default pipeline's, VALUE in TOML "
                        "(e.g. clean.page_chrome=true); repeatable")
    args = p.parse_args()
    stages = Stages()
    if args.mode in ("e2e", "e2e-ray"):
        return end_to_end(args, stages, engine="ray" if args.mode == "e2e-ray" else "local")
    rejects: list[Reject] = []
    with stages("read"):
        docs = list(read(args.input, on_reject=rejects.append))
    ids = [d.id for d in docs]
    if args.mode == "clean":
        with stages("clean"):
            docs = list(Cleaner(CleanConfig()).run(docs, on_reject=rejects.append))
    params: dict[str, Any] = {}
    kept_of: dict[str, str] = {}
    if args.mode == "clean":
        with stages("write"):
            write_jsonl(
                ({"id": d.id, "text": d.text, "title": d.title, "source": d.source, "url": d.url, "published": d.published}
                 for d in docs),
                args.cleaned,
            )
    else:
        defaults = DedupConfig()
        config = DedupConfig(threshold=args.threshold, num_perm=args.num_perm, ngram=args.ngram, seed=args.seed)
        params = {k: v for k, v in config.to_json().items() if not isinstance(v, (list, dict)) or v}
        params["defaults"] = config == defaults
        result, params["timed"] = dedup(docs, config, stages)
        kept_of = {m.id: m.kept for m in result.merged}
        args.work.mkdir(parents=True, exist_ok=True)
        with stages("write"):
            write_jsonl(result.kept, args.work / "kept.jsonl")
    labels = [kept_of.get(i, i) for i in ids]
    write_result(
        args.out, "corpus", version("corpus"), labels, stages, params,
        rejects=[r.to_json() for r in rejects], mode=args.mode,
    )


def parse_setting(setting: str) -> tuple[str, str, Any]:
    """``TABLE.KEY=VALUE`` (VALUE in TOML) as (table, key, value); the pipeline's loader checks them."""
    import tomllib

    name, sep, value = setting.partition("=")
    table, dot, key = name.strip().partition(".")
    if not (sep and dot and table and key):
        raise SystemExit(f"--set {setting!r}: expected TABLE.KEY=VALUE, e.g. clean.page_chrome=true")
    try:
        return table, key, tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError as err:
        raise SystemExit(f"--set {setting!r}: VALUE is not a TOML value ({err})") from err


def end_to_end(args: Any, stages: Stages, engine: str) -> None:
    """``corpus run pipelines/case_reporting.toml --input RAW --engine ENGINE`` (with the benchmark's dedup settings)."""
    import dataclasses
    import importlib

    from corpus.pipeline import pipeline_from_dict
    from corpus.snapshot import load_snapshot
    from corpus.tomlfile import load_toml

    run = importlib.import_module(f"corpus.engines.{engine}").run
    path = Path(__file__).resolve().parents[2] / "pipelines" / "case_reporting.toml"
    data = load_toml(path, "pipeline file")
    for setting in args.settings:
        table, key, value = parse_setting(setting)
        data.setdefault(table, {})[key] = value
    pipeline = pipeline_from_dict(data, path)
    pipeline = pipeline.with_overrides(inputs=[str(args.input)], output=str(args.work / "snapshot"))
    config = dataclasses.replace(pipeline.dedup, threshold=args.threshold, num_perm=args.num_perm, ngram=args.ngram,
                                 seed=args.seed)
    pipeline = dataclasses.replace(pipeline, dedup=config)
    ids = [d.id for d in read(args.input, on_reject=lambda r: None)]
    result = run(pipeline)
    stages.seconds.update(result.seconds)
    snapshot = load_snapshot(result.snapshot)
    kept_of = {m["id"]: c["kept"] for c in snapshot.clusters() for m in c["members"]}
    params = {k: v for k, v in config.to_json().items() if not isinstance(v, (list, dict)) or v}
    params["learned_lines"] = result.counts["learned_lines"]
    write_result(
        args.out, "corpus", version("corpus"), [kept_of.get(i, i) for i in ids], stages, params,
        rejects=[r.to_json() for r in result.rejects], mode=args.mode,
    )


if __name__ == "__main__":
    main()
