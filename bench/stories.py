"""Story grouping on real rated pairs, on the samples, and its cost at scale.

1. SemEval-2022 Task 8 sample (``../shared/bench-data/semeval-2022-task8-sample``,
   read in place): every text of the set is one corpus (one text per id, the
   first met), grouped at once (so groups can chain, as they would in a real
   corpus); then for each rated pair, did both texts get one story? Reported:
   the share of pairs rated Overall <= 1.5 (same event) that share a story
   (recall) and of pairs rated >= 3.5 (different stories) that do (false), per
   language, for same-language pairs (the target) and across languages.
   Pairs are cut into :data:`FOLDS` folds by xxh3-64 of their pair id, for
   cross-validation: for each fold, the threshold is chosen on the other folds
   (highest recall with false <= 3%) and the fold judges it; reported are the
   mean and spread of those held-out figures (what a new set of rated pairs
   should see), each threshold's figures fold by fold, and each fold's texts grouped alone
   at the default (a smaller corpus, as a new set of rated pairs would be).
2. Samples: ``samples/`` read, cleaned and deduplicated as ``make corpus``
   does; the kept write-ups of the Kaba case (``tests/data/samples_truth.json``,
   ``story``) must share one story, no other sample document may join it,
   and, grouped together with the SemEval corpus, no real article may join it.
3. Scale: the generator's corpus (``bench/generate.py``, expected texts as the
   cleaned input): dedup's time with the story step off, then the story step
   over the kept documents, as the pipeline runs it.

``python -m bench.stories [--docs 100000] [--semeval DIR]``; results in
``bench/results/stories.json``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import xxhash

from bench import generate
from corpus import Cleaner, read
from corpus.dedup import DedupConfig, Deduplicator
from corpus.dedup.story import assign_stories, read_terms, stories_from_readings
from corpus.document import Document

ROOT = Path(__file__).resolve().parent.parent
SEMEVAL = ROOT.parent / "shared" / "bench-data" / "semeval-2022-task8-sample"
RESULTS = ROOT / "bench" / "results" / "stories.json"
WORK = ROOT / "bench" / "work"
THRESHOLDS = [round(0.16 + 0.02 * k, 2) for k in range(11)]
#: The most pairs of different stories that may share one, on the folds a threshold is chosen on.
MAX_FALSE = 0.03
#: Folds of the rated pairs for cross-validation.
FOLDS = 5


def semeval(path: Path) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Texts by id (the first met) and the rated pairs."""
    texts: dict[str, str] = {}
    pairs = []
    with gzip.open(path / "pairs.csv.gz", "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            a, b = row["pair_id"].split("_")
            texts.setdefault(a, row["text1"])
            texts.setdefault(b, row["text2"])
            pairs.append({"a": a, "b": b, "lang": row["lang1"] if row["lang1"] == row["lang2"] else f"{row['lang1']}-{row['lang2']}",
                          "same_language": row["lang1"] == row["lang2"], "overall": float(row["Overall"]),
                          "fold": xxhash.xxh3_64_intdigest(row["pair_id"].encode()) % FOLDS})
    return texts, pairs


def pair_scores(story: dict[str, str], pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """Recall and false share over all pairs and per fold (``fold-0``...), same-language, across languages, per language."""
    tally: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for p in pairs:
        kind = "same" if p["overall"] <= 1.5 else "different" if p["overall"] >= 3.5 else None
        if kind is None:
            continue
        shared = story[p["a"]] == story[p["b"]]
        for split in (f"fold-{p['fold']}", "all"):
            for group in ("same-language" if p["same_language"] else "cross-language", p["lang"]):
                tally[(split, group)][kind] += 1
                tally[(split, group)][kind + "_shared"] += shared
    out: dict[str, Any] = {}
    for (split, group), c in sorted(tally.items()):
        out.setdefault(split, {})[group] = {
            "same_pairs": c["same"], "recall": c["same_shared"] / c["same"] if c["same"] else None,
            "different_pairs": c["different"], "false": c["different_shared"] / c["different"] if c["different"] else None,
        }
    return out


def semeval_bench(path: Path, threshold: float) -> dict[str, Any]:
    """The threshold sweep (same-language pairs, all of them and fold by fold), cross-validation, per language at ``threshold``."""
    texts, pairs = semeval(path)
    ids = sorted(texts)
    readings = [read_terms(texts[i]) for i in ids]
    runs = {}
    for t in THRESHOLDS:
        start = time.perf_counter()
        story = dict(zip(ids, stories_from_readings(ids, readings, t)))
        runs[t] = {"scores": pair_scores(story, pairs), "group_seconds": time.perf_counter() - start, "labels": story}
    cv = cross_validation(runs, pairs)
    sweep = {}
    for t, run in runs.items():
        same, cross = run["scores"]["all"]["same-language"], run["scores"]["all"]["cross-language"]
        sweep[t] = {"recall": same["recall"], "false": same["false"],
                    **{f"folds_{k}": v for k, v in _spread([run["scores"][f"fold-{f}"]["same-language"] for f in range(FOLDS)]).items()},
                    "cross_language_recall": cross["recall"], "cross_language_false": cross["false"],
                    "largest_story": max(Counter(run["labels"].values()).values()), "group_seconds": run["group_seconds"]}
    return {"documents": len(ids), "pairs": len(pairs), "folds": FOLDS, "cross_validation": cv, "sweep": sweep,
            "per_language_at_default": runs[threshold]["scores"]["all"],
            "fold_alone_at_default": fold_alone(texts, pairs, threshold)}


def fold_alone(texts: dict[str, str], pairs: list[dict[str, Any]], threshold: float) -> dict[str, dict[str, Any]]:
    """Each fold's texts grouped alone at ``threshold``: what a new, smaller set of rated pairs sees.

    A smaller corpus links more different-story pairs: a document that has no
    write-up of its own event at hand is left with its rated partner.
    """
    out = {}
    for fold in range(FOLDS):
        chosen = [p for p in pairs if p["fold"] == fold]
        ids = sorted({p["a"] for p in chosen} | {p["b"] for p in chosen})
        s = pair_scores(dict(zip(ids, assign_stories(ids, [texts[i] for i in ids], threshold))), chosen)["all"]["same-language"]
        out[f"fold-{fold}"] = {"documents": len(ids), "recall": s["recall"], "false": s["false"]}
    return out


def cross_validation(sweep: dict[float, dict[str, Any]], pairs: list[dict[str, Any]]) -> dict[str, Any]:
    """For each fold: the threshold chosen on the other folds' same-language pairs, and its figures on the fold."""
    held, chosen = [], []
    for fold in range(FOLDS):
        rest = [p for p in pairs if p["fold"] != fold]
        scores = {t: _same_language(run["labels"], rest) for t, run in sweep.items()}
        allowed = [t for t, s in scores.items() if s["false"] <= MAX_FALSE]
        pick = max(allowed, key=lambda t: (scores[t]["recall"], t)) if allowed else max(THRESHOLDS)
        chosen.append(pick)
        held.append(sweep[pick]["scores"][f"fold-{fold}"]["same-language"])
    return {"chosen_thresholds": chosen, "held_out": _spread(held),
            "folds": {f"fold-{k}": {"threshold": chosen[k], "recall": h["recall"], "false": h["false"]} for k, h in enumerate(held)}}


def _same_language(story: dict[str, str], pairs: list[dict[str, Any]]) -> dict[str, float]:
    s = pair_scores(story, pairs)["all"]["same-language"]
    return {"recall": s["recall"], "false": s["false"]}


def _spread(scores: list[dict[str, Any]]) -> dict[str, float]:
    """Mean and population standard deviation of recall and false over folds."""
    return {f"{key}_{stat.__name__}": stat([s[key] for s in scores]) for key in ("recall", "false")
            for stat in (statistics.mean, statistics.pstdev)}


def samples_bench(threshold: float, extra: dict[str, str]) -> dict[str, Any]:
    """The five sample write-ups (groups ``seed-000`` to ``seed-004``) in one story, nothing unrelated in it."""
    truth = json.loads((ROOT / "tests" / "data" / "samples_truth.json").read_text(encoding="utf-8"))
    same_event = set(truth["story"])  # the write-ups, their copies, a rewording and an opinion piece on the case
    write_ups = {i for group, ids in truth["groups"].items() if group.startswith("seed-") for i in ids}
    docs = Cleaner().run(read(ROOT / "samples", exclude=["README*"]))
    kept = Deduplicator(DedupConfig(story_threshold=threshold)).run(docs).kept
    story = {d.id: d.story for d in kept}
    seeds = sorted(i for i in story if i in write_ups)
    seed_stories = {story[i] for i in seeds}
    out: dict[str, Any] = {
        "kept": len(kept), "write_ups_kept": seeds, "write_up_stories": len(seed_stories),
        "same_event_joined": sorted(i for i in story if i in same_event - write_ups and story[i] in seed_stories),
        "unrelated_joined": sorted(i for i in story if i not in same_event and story[i] in seed_stories),
    }
    if extra:  # the samples' kept documents among real articles of other stories
        ids = [d.id for d in kept] + sorted(extra)
        texts = [d.text for d in kept] + [extra[i] for i in sorted(extra)]
        mixed = dict(zip(ids, assign_stories(ids, texts, threshold)))
        mixed_seeds = {mixed[i] for i in seeds}
        out["with_semeval"] = {"write_up_stories": len(mixed_seeds),
                               "joined": sorted(i for i in ids if i not in same_event and mixed[i] in mixed_seeds)}
    return out


def scale_bench(n_docs: int, threshold: float) -> dict[str, Any]:
    corpus_dir = WORK / f"syn-{n_docs}"
    generate.write(corpus_dir, n_docs, 0)
    docs = []
    with open(corpus_dir / "truth.jsonl", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            docs.append(Document(row["id"], row["expected"], source=row["site"]))
    start = time.perf_counter()
    kept = Deduplicator(DedupConfig(story=False)).run(docs).kept
    dedup_s = time.perf_counter() - start
    start = time.perf_counter()
    stories = assign_stories([d.id for d in kept], [d.text for d in kept], threshold)
    story_s = time.perf_counter() - start
    sizes = Counter(Counter(stories).values())
    return {"documents": n_docs, "kept": len(kept), "dedup_s": dedup_s, "story_s": story_s,
            "story_s_per_10k_documents": story_s * 1e4 / n_docs, "story_over_dedup": story_s / dedup_s,
            "story_sizes": sorted(sizes.items())}


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def _spread_text(spread: dict[str, float], key: str) -> str:
    return f"{100 * spread[key + '_mean']:.1f}% ± {100 * spread[key + '_pstdev']:.1f}"


def summary(result: dict[str, Any], threshold: float) -> str:
    lines = []
    sem = result.get("semeval")
    if sem:
        cv = sem["cross_validation"]
        lines.append(f"SemEval: {sem['documents']} documents, {sem['pairs']} pairs, {sem['folds']} folds; cross-validated "
                     f"(threshold chosen on the other folds: {cv['chosen_thresholds']}), same-language held-out: "
                     f"recall {_spread_text(cv['held_out'], 'recall')}, false {_spread_text(cv['held_out'], 'false')}")
        lines.append("| threshold | same-language recall | same-language false | folds: recall | folds: false "
                     "| cross-language recall | cross-language false |")
        lines.append("|---:|---:|---:|---:|---:|---:|---:|")
        for t, run in sem["sweep"].items():
            folds = {k[len("folds_"):]: v for k, v in run.items() if k.startswith("folds_")}
            lines.append(f"| {t} | {_pct(run['recall'])} | {_pct(run['false'])} "
                         f"| {_spread_text(folds, 'recall')} | {_spread_text(folds, 'false')} "
                         f"| {_pct(run['cross_language_recall'])} | {_pct(run['cross_language_false'])} |")
        lines.append(f"\nPer language at {threshold} (all pairs):")
        lines.append("| language | pairs rated <= 1.5 | recall | pairs rated >= 3.5 | false |")
        lines.append("|---|---:|---:|---:|---:|")
        for lang, s in sem["per_language_at_default"].items():
            lines.append(f"| {lang} | {s['same_pairs']} | {_pct(s['recall'])} | {s['different_pairs']} | {_pct(s['false'])} |")
        alone = sem["fold_alone_at_default"]
        lines.append(f"\nEach fold's texts grouped alone at {threshold} (same-language recall / false): " + ", ".join(
            f"{k} ({a['documents']} documents) {_pct(a['recall'])} / {_pct(a['false'])}" for k, a in alone.items()))
    sam = result["samples"]
    lines.append(f"\nSamples: the {len(sam['write_ups_kept'])} kept write-ups in {sam['write_up_stories']} story; "
                 f"other documents on the case joining it: {sam['same_event_joined'] or 'none'}; "
                 f"unrelated sample documents joining it: {sam['unrelated_joined'] or 'none'}"
                 + (f"; among the SemEval corpus: {sam['with_semeval']['write_up_stories']} story, joined by "
                    f"{sam['with_semeval']['joined'] or 'none'}" if "with_semeval" in sam else ""))
    sc = result.get("scale")
    if sc:
        lines.append(f"\nScale: {sc['documents']:,} documents ({sc['kept']:,} kept): dedup {sc['dedup_s']:.1f} s, story "
                     f"{sc['story_s']:.1f} s ({sc['story_s_per_10k_documents']:.2f} s per 10k documents, "
                     f"{100 * sc['story_over_dedup']:.0f}% of dedup)")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--semeval", type=Path, default=SEMEVAL, help="the SemEval-2022 Task 8 sample directory")
    parser.add_argument("--docs", type=int, default=100_000, help="generated documents for the cost (0: skip)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    threshold = DedupConfig().story_threshold
    result: dict[str, Any] = {"default_threshold": threshold}
    texts: dict[str, str] = {}
    if (args.semeval / "pairs.csv.gz").exists():
        result["semeval"] = semeval_bench(args.semeval, threshold)
        texts = semeval(args.semeval)[0]
    else:
        print(f"SemEval sample not found at {args.semeval}: skipped")
    result["samples"] = samples_bench(threshold, texts)
    if args.docs:
        result["scale"] = scale_bench(args.docs, threshold)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(summary(result, threshold))


if __name__ == "__main__":
    main()
