"""The benchmark, in one run: generate, clean, dedup with every tool, score, record.

For each size: the generator writes the corpus (cached under ``bench/work``);
``corpus`` cleans it once and that cleaned text is every tool's input (dedup
on cleaned text is the point); each tool then runs in its own process, timed
from outside (wall time, peak RSS of the process via ``os.wait4`` and of its
workers as it reports them) and scored against the truth; last, ``corpus``
runs end to end on the raw pages (and on the Ray engine, whose snapshot is
compared file by file with the local one). After the sizes: signature speed on one
core and extraction quality on AEB.

All dedup tools get the same threshold, number of permutations, shingle size
and seed, taken from ``corpus``'s ``DedupConfig`` defaults; banding is each
tool's own choice for that threshold (see each runner).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from collections import Counter
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench import generate, real
from bench.metrics import false_merges, line_scores, pair_scores, text_scores, wrong_pairs

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / "work"
# Mozilla's Readability test pages, scored like the AEB set by bench.aeb (skipped there when absent).
READABILITY_DIR = ROOT.parent / "shared" / "bench-data" / "readability"
PEERS_PY = ROOT / "bench" / ".peers" / "bin" / "python"

#: (name, python, module) of every dedup tool; "project" is this interpreter.
TOOLS = (
    ("corpus", "project", "bench.tools.corpus_pipeline"),
    ("datasketch", "project", "bench.tools.datasketch_lsh"),
    ("datatrove", "peers", "bench.tools.datatrove_minhash"),
    ("text-dedup", "peers", "bench.tools.textdedup_minhash"),
)
#: What a peer needs importable in the peers' venv.
PEER_IMPORTS = {"datatrove": "datatrove, spacy, orjson, tokenizers", "text-dedup": "text_dedup, datasets"}


def run_process(cmd: list[str], log: Path, timeout: float) -> dict[str, Any]:
    """Run ``cmd``, returning wall seconds, exit status and the process's own peak RSS."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT, env=env)
        deadline = start + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                return {"ok": False, "error": f"timed out after {timeout:.0f} s", "wall_s": time.perf_counter() - start}
            time.sleep(0.05)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    result: dict[str, Any] = {"ok": proc.returncode == 0, "wall_s": wall, "max_rss_kb": usage.ru_maxrss}
    if proc.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-3:]
        result["error"] = f"exit {proc.returncode}: " + " | ".join(tail)
    return result


@functools.lru_cache(maxsize=None)
def peer_problem(name: str) -> str | None:
    """Why a peer cannot run here (venv or imports missing), or None."""
    if not PEERS_PY.exists():
        return f"{PEERS_PY} is missing (make bench builds it)"
    check = subprocess.run([str(PEERS_PY), "-c", f"import {PEER_IMPORTS[name]}"], capture_output=True, text=True)
    if check.returncode != 0:
        return "cannot import in the peers' venv: " + (check.stderr.strip().splitlines() or ["?"])[-1]
    return None


def stage_rates(stages: dict[str, float], docs: int, mbytes: float) -> dict[str, dict[str, float]]:
    return {
        name: {"seconds": s, "docs_per_s": docs / s if s > 0 else None, "mb_per_s": mbytes / s if s > 0 else None}
        for name, s in stages.items()
    }


def score(truth: list[dict], labels: list[Any], short: list[bool] | None = None) -> dict[str, Any]:
    """Pair scores plus the hard-negative counts the targets name."""
    clusters = [t["cluster"] for t in truth]
    stories = [t["story"] for t in truth]
    short = short if short is not None else [t["kind"] == "short" for t in truth]
    scores = pair_scores(clusters, labels)
    scores["same_story_merged_pairs"] = false_merges(clusters, stories, labels)
    scores["short_chrome_merged_pairs"] = wrong_pairs(clusters, labels, short)
    return scores


def run_tool(name: str, python: str, module: str, args: list[str], work: Path, timeout: float) -> dict[str, Any]:
    out = work / f"{name}.json"
    out.unlink(missing_ok=True)
    cmd = [python, "-m", module, "--out", str(out), "--work", str(work / f"{name}.work"), *args]
    proc = run_process(cmd, work / f"{name}.log", timeout)
    if not proc["ok"]:
        return proc
    result = json.loads(out.read_text())
    proc["max_rss_kb"] = max(proc["max_rss_kb"], result.pop("children_max_rss_kb", 0))
    return {**proc, **result}


def bench_size(n_docs: int, seed: int, tools: list[str], timeout: float, e2e: bool = True,
               ray: bool = False, reuse_cleaned: bool = False) -> dict[str, Any]:
    """Every measurement for one corpus size."""
    from corpus.dedup import DedupConfig

    corpus_dir = WORK / f"syn-{n_docs}"
    t0 = time.perf_counter()
    manifest = generate.write(corpus_dir, n_docs, seed)
    gen_s = time.perf_counter() - t0
    truth = [json.loads(line) for line in open(corpus_dir / "truth.jsonl", encoding="utf-8")]
    runs = corpus_dir / "runs"
    runs.mkdir(exist_ok=True)
    raw, cleaned = corpus_dir / "raw.jsonl", corpus_dir / "cleaned.jsonl"
    raw_mb = raw.stat().st_size / 1e6
    out: dict[str, Any] = {"documents": n_docs, "corpus": {k: manifest[k] for k in ("documents", "clusters", "stories", "bytes", "counts")},
                           "generate_s": gen_s, "tools": {}}
    print(f"[{n_docs}] generated in {gen_s:.1f} s; cleaning", flush=True)

    # 1. clean once: the input of every dedup tool, and the cleaning quality.
    kept_clean = runs / "clean-result.json"
    reused = reuse_cleaned and cleaned.exists() and kept_clean.exists() and cleaned.stat().st_mtime > raw.stat().st_mtime
    if reused:
        clean = json.loads(kept_clean.read_text())
        print(f"[{n_docs}] cleaning: reusing {cleaned} (cleaned {clean.get('date', '?')})", flush=True)
    else:
        clean = run_tool("clean", sys.executable, "bench.tools.corpus_pipeline",
                         ["--mode", "clean", "--input", str(raw), "--cleaned", str(cleaned)], runs, timeout)
        if not clean["ok"]:
            raise SystemExit(f"cleaning failed, nothing to dedup: {clean['error']}")
        clean["date"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        kept_clean.write_text(json.dumps(clean) + "\n")
    produced = {}
    with open(cleaned, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            produced[record["id"]] = record["text"]
    quality = {"all": text_scores((t["expected"], produced.get(t["id"], "")) for t in truth)}
    for fmt in ("text", "html"):
        quality[fmt] = text_scores((t["expected"], produced.get(t["id"], "")) for t in truth if t["format"] == fmt)
    out["clean"] = {"wall_s": clean["wall_s"], "max_rss_kb": clean["max_rss_kb"], "rejects": len(clean["rejects"]),
                    "stages": stage_rates(clean["stages"], n_docs, raw_mb), "quality": quality,
                    "cleaned_at": clean.get("date"), "reused": reused}

    # 2. every tool on the cleaned text, same parameters.
    cfg = DedupConfig()
    shared = ["--input", str(cleaned), "--ngram", str(cfg.ngram), "--num-perm", str(cfg.num_perm),
              "--threshold", str(cfg.threshold), "--seed", str(cfg.seed), "--workers", str(os.cpu_count() or 1)]
    clean_mb = cleaned.stat().st_size / 1e6
    for name, where, module in TOOLS:
        if name not in tools:
            continue
        problem = peer_problem(name) if where == "peers" else None
        if problem:
            print(f"[{n_docs}] {name}: skipped: {problem}", flush=True)
            out["tools"][name] = {"ok": False, "error": problem}
            continue
        python = str(PEERS_PY) if where == "peers" else sys.executable
        args = shared + (["--mode", "dedup"] if name == "corpus" else [])
        result = run_tool(name, python, module, args, runs, timeout)
        if result["ok"]:
            result["scores"] = score(truth, result.pop("labels"))
            result["stages"] = stage_rates(result["stages"], n_docs, clean_mb)
            s = result["scores"]
            print(f"[{n_docs}] {name}: {result['wall_s']:.1f} s, F1 {s['f1']:.4f} (P {s['precision']:.4f} R {s['recall']:.4f})", flush=True)
        else:
            print(f"[{n_docs}] {name}: failed: {result['error']}", flush=True)
        out["tools"][name] = result

    # 3. corpus end to end on the raw pages (4. and on the Ray engine, where Ray is installed).
    def end_to_end(name: str, mode: str, label: str) -> dict[str, Any]:
        result = run_tool(name, sys.executable, "bench.tools.corpus_pipeline",
                          [*shared[2:], "--mode", mode, "--input", str(raw)], runs, timeout)
        if result["ok"]:
            result["scores"] = score(truth, result.pop("labels"))
            result["stages"] = stage_rates(result["stages"], n_docs, raw_mb)
            result["rejects"] = len(result["rejects"])
            print(f"[{n_docs}] {label}: {result['wall_s']:.1f} s, F1 {result['scores']['f1']:.4f}", flush=True)
        return result

    if e2e and "corpus" in tools:
        out["corpus_e2e"] = end_to_end("corpus-e2e", "e2e", "corpus end to end")
    if ray and "corpus" in tools:
        out["corpus_ray"] = end_to_end("corpus-ray", "e2e-ray", "corpus end to end on Ray")
        if out["corpus_ray"]["ok"] and out.get("corpus_e2e", {}).get("ok"):
            differ = differing_files(runs / "corpus-e2e.work" / "snapshot", runs / "corpus-ray.work" / "snapshot")
            out["corpus_ray"]["files_differing_from_local"] = differ
            print(f"[{n_docs}] Ray and local snapshots: {'the same bytes' if not differ else 'differ: ' + ', '.join(differ)}",
                  flush=True)
    return out


def score_real(truth: list[dict], labels: list[Any]) -> dict[str, Any]:
    """Pair scores of one kind of the real benchmark, overall and per language, and its hard negatives."""
    scores = score(truth, labels, short=[t["role"] == "short" for t in truth])
    by_language: dict[str, dict[str, Any]] = {}
    for lang in sorted({t["language"] for t in truth}):
        mask = [t["language"] == lang for t in truth]
        sub = pair_scores([t["cluster"] for t, m in zip(truth, mask) if m], [x for x, m in zip(labels, mask) if m])
        by_language[lang] = {"documents": sum(mask), **{k: sub[k] for k in ("precision", "recall", "f1", "true_pairs")}}
    scores["languages"] = by_language
    return scores


def snapshot_outcome(truth: list[dict], snapshot: Path) -> tuple[list[Any], dict[str, Any], dict[str, str]]:
    """Labels (kept id; a rejected document its own), accounting and kept texts from a published snapshot."""
    from corpus.snapshot import load_snapshot

    snap = load_snapshot(snapshot)
    kept = {d.id: d.text for d in snap.documents()}
    kept_of = {m["id"]: c["kept"] for c in snap.clusters() for m in c["members"]}
    # A file rejected before it had an id (say, invalid UTF-8) is named by its path: its stem is the id.
    rejected = {r.id or Path(r.path or "").name.split(".")[0]: r.reason for r in snap.rejects()}
    labels, lost = [], []
    for t in truth:
        doc_id = t["id"]
        if doc_id in kept_of or doc_id in kept:
            labels.append(kept_of.get(doc_id, doc_id))
        else:
            labels.append(f"rejected:{doc_id}")
            if doc_id not in rejected:
                lost.append(doc_id)
    reasons = Counter(reason.split(";")[0][:80] for reason in rejected.values())
    accounting = {"documents": len(truth), "kept": len(kept), "merged": sum(1 for i in kept_of if i not in kept),
                  "rejected": len(rejected), "lost": len(lost), "lost_ids": lost[:10],
                  "reject_reasons": dict(reasons.most_common(5))}
    rejected_by = Counter(f"{t.get('charset')}/{t.get('declared')}" for t in truth if t["id"] in rejected)
    if rejected_by:
        accounting["rejected_by_charset"] = dict(sorted(rejected_by.items()))
    return labels, accounting, kept


def bench_real(seed: int, kinds: list[str], tools: list[str], timeout: float, bases: int,
               threshold: float | None = None, settings: list[str] = ()) -> dict[str, Any]:
    """The benchmark rebuilt from real pages and coverage (:mod:`bench.real`), every kind scored apart:
    kind ``a`` (extractor-left text) dedup-only with every tool, kinds ``b``, ``c``, ``d`` (raw pages)
    through ``corpus run`` end to end. ``threshold`` replaces the default one (to choose it);
    ``settings`` (``TABLE.KEY=VALUE``) change the pipeline of kinds ``b``-``d`` (say, ``clean.page_chrome=true``)."""
    from corpus.dedup import DedupConfig

    work = WORK / "real"
    t0 = time.perf_counter()
    try:
        manifest = real.write(work, seed, bases)
    except real.DataMissing as missing:
        print(str(missing), flush=True)
        return {"skipped": str(missing)}
    out: dict[str, Any] = {"corpus": {k: v for k, v in manifest.items() if k != "key"},
                           "generate_s": time.perf_counter() - t0, "kinds": {}}
    truth = real.read_truth(work)
    runs = work / "runs"
    runs.mkdir(exist_ok=True)
    cfg = DedupConfig() if threshold is None else DedupConfig(threshold=threshold)
    out["threshold"] = cfg.threshold
    out["settings"] = list(settings)
    shared = ["--ngram", str(cfg.ngram), "--num-perm", str(cfg.num_perm), "--threshold", str(cfg.threshold),
              "--seed", str(cfg.seed), "--workers", str(os.cpu_count() or 1)]
    inputs = {"a": work / "a.jsonl", "b": work / "b.jsonl", "c": work / "c.jsonl", "d": work / "d"}
    for kind in kinds:
        rows = truth.get(kind, [])
        result: dict[str, Any] = {"documents": len(rows), "tools": {}}
        if kind == "a":  # dedup only: the text is already what an extractor leaves
            for name, where, module in TOOLS:
                if name not in tools:
                    continue
                problem = peer_problem(name) if where == "peers" else None
                if problem:
                    result["tools"][name] = {"ok": False, "error": problem}
                    continue
                python = str(PEERS_PY) if where == "peers" else sys.executable
                args = ["--input", str(inputs[kind]), *shared] + (["--mode", "dedup"] if name == "corpus" else [])
                r = run_tool(f"{name}-{kind}", python, module, args, runs, timeout)
                if r["ok"]:
                    labels = r.pop("labels")
                    r["scores"] = score_real(rows, labels)
                    r["accounting"] = {"documents": len(rows), "labelled": len(labels), "lost": len(rows) - len(labels)}
                result["tools"][name] = r
        elif "corpus" in tools:  # raw pages: corpus run, read to snapshot
            name = f"corpus-e2e-{kind}"
            r = run_tool(name, sys.executable, "bench.tools.corpus_pipeline",
                         [*shared, "--mode", "e2e", "--input", str(inputs[kind]),
                          *(arg for s in settings for arg in ("--set", s))], runs, timeout)
            if r["ok"]:
                r.pop("labels")
                labels, r["accounting"], kept = snapshot_outcome(rows, runs / f"{name}.work" / "snapshot")
                r["scores"] = score_real(rows, labels)
                r["rejects"] = len(r["rejects"])
                r["cleaning"] = line_scores((t["expected"], kept[t["id"]]) for t in rows if t["id"] in kept)
                r["cleaning_aeb"] = text_scores((t["expected"], kept[t["id"]]) for t in rows if t["id"] in kept)
            result["tools"]["corpus"] = r
        for name, r in result["tools"].items():
            if r.get("ok"):
                s = r["scores"]
                print(f"[real {kind}] {name}: {r['wall_s']:.1f} s, F1 {s['f1']:.4f} (P {s['precision']:.4f} "
                      f"R {s['recall']:.4f}), same-story merged {s['same_story_merged_pairs']}, lost "
                      f"{r['accounting']['lost']}", flush=True)
            else:
                print(f"[real {kind}] {name}: {r.get('error')}", flush=True)
        out["kinds"][kind] = result
    return out


def differing_files(a: Path, b: Path) -> list[str]:
    """The files of two snapshot directories whose bytes differ (or that only one has), as paths in the snapshot."""
    names = sorted({p.relative_to(root).as_posix() for root in (a, b) for p in root.rglob("*") if p.is_file()})
    return [name for name in names
            if not ((a / name).is_file() and (b / name).is_file() and (a / name).read_bytes() == (b / name).read_bytes())]


def machine() -> dict[str, Any]:
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo") if line.startswith("MemTotal"))
    return {"cpu": model, "cores": os.cpu_count(), "ram_gb": round(mem_kb / 1e6, 1), "os": platform.platform(),
            "python": platform.python_version()}


def versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for dist in ("corpus", "datasketch", "trafilatura", "numpy", "ftfy"):
        found[dist] = version(dist)
    if PEERS_PY.exists():
        script = ("import json; from importlib.metadata import version as v\n"
                  "out = {}\nfor d in ('datatrove', 'text-dedup', 'datasets', 'spacy', 'numpy', 'xxhash'):\n"
                  "    try: out[d] = v(d)\n    except Exception: out[d] = None\nprint(json.dumps(out))")
        peers = subprocess.run([str(PEERS_PY), "-c", script], capture_output=True, text=True)
        if peers.returncode == 0:
            found.update({f"peers:{k}": v for k, v in json.loads(peers.stdout).items()})
    return found


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", type=int, nargs="*", default=[], help="generated corpus sizes (none: skip that part)")
    p.add_argument("--real", action="store_true", help="also run the benchmark built from real material (bench/real.py)")
    p.add_argument("--real-kinds", nargs="+", choices=real.KINDS, default=list(real.KINDS),
                   help="kinds of the real benchmark to run")
    p.add_argument("--real-bases", type=int, default=real.DEFAULT_BASES, help="SemEval bases of the real benchmark")
    p.add_argument("--real-threshold", type=float, help="dedup threshold of the real part (default: DedupConfig's)")
    p.add_argument("--real-set", nargs="+", default=[], metavar="TABLE.KEY=VALUE",
                   help="pipeline settings of the real part's kinds b-d, VALUE in TOML (e.g. clean.page_chrome=true)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--tools", nargs="+", default=[t[0] for t in TOOLS])
    p.add_argument("--timeout", type=float, default=3600, help="seconds per tool run")
    p.add_argument("--e2e-max", type=int, help="run corpus end to end on raw pages only up to this size")
    p.add_argument("--ray-max", type=int, default=0,
                   help="also run corpus end to end on the Ray engine up to this size (needs the 'ray' extra)")
    p.add_argument("--reuse-cleaned", action="store_true",
                   help="dedup the cleaned text an earlier run of this size left (its cleaning figures are that run's); "
                        "cleaning 100k documents takes longer than every dedup tool together")
    p.add_argument("--no-extras", action="store_true",
                   help="skip the signature-speed and AEB extraction parts that follow the sizes")
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    started = time.perf_counter()
    results: dict[str, Any] = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "versions": versions(),
        "seed": args.seed,
        "sizes": {},
    }
    for n in args.sizes:
        e2e = args.e2e_max is None or n <= args.e2e_max
        with_ray = n <= args.ray_max and importlib.util.find_spec("ray") is not None
        if n <= args.ray_max and not with_ray:
            print(f"[{n}] corpus on Ray: skipped: Ray is not installed (make test-ray installs it)", flush=True)
        results["sizes"][str(n)] = bench_size(n, args.seed, args.tools, args.timeout, e2e, with_ray, args.reuse_cleaned)
    if args.real:
        results["real"] = bench_real(args.seed, args.real_kinds, args.tools, args.timeout, args.real_bases,
                                     args.real_threshold, args.real_set)
    if args.sizes and not args.no_extras:  # signature speed and extraction go with the generated part
        largest = WORK / f"syn-{max(args.sizes)}"
        sig = run_process([sys.executable, "-m", "bench.sigspeed", "--input", str(largest / "cleaned.jsonl"),
                           "--out", str(largest / "runs" / "sigspeed.json")], largest / "runs" / "sigspeed.log",
                          args.timeout)
        results["signatures"] = json.loads((largest / "runs" / "sigspeed.json").read_text()) if sig["ok"] else sig
        print(f"signatures: {results['signatures'].get('speedup', 0):.1f}x datasketch update_batch", flush=True)
        aeb = run_process([sys.executable, "-m", "bench.aeb", "--out", str(WORK / "aeb.json")], WORK / "aeb.log",
                          args.timeout)
        results["aeb"] = json.loads((WORK / "aeb.json").read_text()) if aeb["ok"] else aeb
        readability = run_process([sys.executable, "-m", "bench.aeb", "--aeb", str(READABILITY_DIR),
                                   "--out", str(WORK / "readability.json")], WORK / "readability.log", args.timeout)
        results["readability"] = (json.loads((WORK / "readability.json").read_text()) if readability["ok"]
                                  else readability)
    results["total_s"] = time.perf_counter() - started
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out} in {results['total_s']:.0f} s", flush=True)


if __name__ == "__main__":
    main()
