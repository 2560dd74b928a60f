"""The run at scale: a million text documents through ``corpus run`` end to end, timed, with peak memory.

The corpus is what a crawl's page text gives (JSONL, ``text`` only, about 3.3 KB
a document): parts of :data:`PART_DOCS` documents from :mod:`bench.generate`
(``html_share`` 0), each from its own seed, its ids and urls prefixed with the
part (``p3-syn-0001234``), so that generating holds one part at a time;
copies never cross parts. It is written once under ``bench/work/scale-N/`` and
reused while its parameters hold. Then ``python -m corpus run
pipelines/case_reporting.toml`` runs on it in its own process with
``--workers``: wall time and the peak RSS of the largest process (its
``wait4`` rusage: the main process or a worker, whichever peaked higher) from
outside, and each stage's seconds and peak memory from the table the command
prints. The issue's targets for a million documents: under 15 minutes and
under 3 GB.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
from pathlib import Path
from typing import Any

from bench import generate
from bench.run import ROOT, WORK, machine, run_process

#: Documents generated per part (one seed each): what the generator holds at once.
PART_DOCS = 100_000
#: The issue's targets for a million documents.
TARGET_SECONDS = 15 * 60
TARGET_MB = 3 * 1024
PIPELINE = ROOT / "pipelines" / "case_reporting.toml"
_STAGE_ROW = re.compile(r"^(\S+)\s+([\d.]+)\s+([\d.]+)\s+(\d+)\s+(\d+)$")


def corpus_file(docs: int, where: Path) -> dict[str, Any]:
    """Write ``where/raw.jsonl`` of ``docs`` text documents unless its manifest says it is there; its manifest."""
    params = {"docs": docs, "part_docs": PART_DOCS, "html_share": 0.0, "generator_version": generate.GENERATOR_VERSION}
    manifest_path = where / "manifest.json"
    if manifest_path.exists() and (where / "raw.jsonl").exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("params") == params:
            return manifest
    where.mkdir(parents=True, exist_ok=True)
    written = 0
    with open(where / "raw.jsonl", "w", encoding="utf-8") as out:
        for part, lo in enumerate(range(0, docs, PART_DOCS)):
            records, _ = generate.generate(min(PART_DOCS, docs - lo), seed=part, html_share=0.0)
            for record in records:
                record["id"] = f"p{part}-{record['id']}"
                record["url"] = record["url"].replace("/news/", f"/news/p{part}-")
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
                written += 1
            del records
    manifest = {"params": params, "documents": written, "bytes": (where / "raw.jsonl").stat().st_size}
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def stage_usage(stderr: str) -> dict[str, dict[str, float]]:
    """The per-stage table ``corpus run`` prints on stderr (:meth:`RunResult.usage_summary`), as rows."""
    rows = {}
    for line in stderr.splitlines():
        match = _STAGE_ROW.match(line.strip())
        if match:
            name, wall, cpu, peak, worker = match.groups()
            rows[name] = {"wall_s": float(wall), "cpu_s": float(cpu), "peak_mb": int(peak), "worker_peak_mb": int(worker)}
    return rows


def run_scale(docs: int, workers: int, timeout: float) -> dict[str, Any]:
    where = WORK / f"scale-{docs}"
    t0 = time.perf_counter()
    manifest = corpus_file(docs, where)
    generate_s = time.perf_counter() - t0
    out = where / "run"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    log = out / "corpus.log"
    cmd = [sys.executable, "-m", "corpus", "run", str(PIPELINE), "--input", str(where / "raw.jsonl"),
           "--output", str(out / "snapshot"), "--workers", str(workers), "--no-progress"]
    result = run_process(cmd, log, timeout)
    text = log.read_text(errors="replace")
    summary = next((line.split(" -> ")[0] for line in text.splitlines() if " inputs: " in line), None)
    peak_mb = round(result["max_rss_kb"] / 1024) if "max_rss_kb" in result else None
    record: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d %H:%M", time.gmtime()),
        "host": {k: v for k, v in machine().items() if k in ("cpu", "cores", "ram_gb")},
        "corpus": {"documents": manifest["documents"], "mb": round(manifest["bytes"] / 1e6),
                   "kb_per_document": round(manifest["bytes"] / manifest["documents"] / 1e3, 2),
                   "generated_s": round(generate_s, 1)},
        "run": {"workers": workers, "ok": result["ok"], "wall_s": round(result["wall_s"], 1), "peak_mb": peak_mb,
                "documents_per_s": round(manifest["documents"] / result["wall_s"]), "summary": summary,
                **({"error": result["error"]} if "error" in result else {})},
        "stages": stage_usage(text),
        "targets_at_1m": {"wall_s": TARGET_SECONDS, "peak_mb": TARGET_MB,
                          "met": bool(result["ok"] and docs >= 1_000_000 and result["wall_s"] < TARGET_SECONDS
                                      and peak_mb is not None and peak_mb < TARGET_MB)},
    }
    shutil.rmtree(out / "snapshot", ignore_errors=True)
    return record


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=1_000_000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--timeout", type=float, default=4 * 3600)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    record = run_scale(args.docs, args.workers, args.timeout)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=2) + "\n")
    r = record["run"]
    print(f"[scale] {record['corpus']['documents']:,} documents, --workers {r['workers']}: {r['wall_s']:.0f} s, "
          f"peak {r['peak_mb']} MB" + ("" if r["ok"] else f" (failed: {r.get('error')})"), flush=True)


if __name__ == "__main__":
    main()
