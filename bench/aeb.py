"""Extraction quality on the article extraction benchmark (AEB): corpus vs trafilatura.

``corpus.clean.clean_html(html, url)`` (extraction plus corpus's repairs and
boilerplate rules) against ``trafilatura.extract(html, include_comments=False)``
with trafilatura's defaults otherwise, on the 181 pages and ground truth of
``../shared/bench-data/aeb`` (read in place, never copied), scored with the
benchmark's own metric (:func:`bench.metrics.text_scores`). A page that
``corpus`` rejects (no article text left) scores as an empty output, as a
``None`` from trafilatura does; ``lost_pages`` lists the pages corpus leaves
empty and trafilatura does not. ``--aeb ../shared/bench-data/readability``
runs the same on Mozilla's Readability pages (same layout, same metric).
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import trafilatura

from bench.metrics import text_scores
from corpus.clean import clean_html
from corpus.errors import CorpusError

DEFAULT_DIR = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data" / "aeb"


def corpus_extract(html: str, url: str | None) -> str:
    try:
        return clean_html(html, url=url).text
    except CorpusError:
        return ""


def trafilatura_extract(html: str, url: str | None) -> str:
    return trafilatura.extract(html, include_comments=False) or ""


def evaluate(aeb_dir: Path) -> dict[str, Any]:
    """Scores and seconds of both extractors over every page of the benchmark."""
    truth = json.loads((aeb_dir / "ground-truth.json").read_text(encoding="utf-8"))
    pages = {}
    for page_id in sorted(truth):
        with gzip.open(aeb_dir / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as f:
            pages[page_id] = f.read()
    out: dict[str, Any] = {"pages": len(pages)}
    produced_by: dict[str, dict[str, str]] = {}
    for name, extract, ver in (
        ("corpus", corpus_extract, version("corpus")),
        ("trafilatura", trafilatura_extract, version("trafilatura")),
    ):
        start = time.perf_counter()
        produced = produced_by[name] = {pid: extract(html, truth[pid].get("url")) for pid, html in pages.items()}
        seconds = time.perf_counter() - start
        scores = text_scores((truth[pid].get("articleBody", ""), produced[pid]) for pid in pages)
        out[name] = {**scores, "version": ver, "seconds": seconds, "pages_per_s": len(pages) / seconds,
                     "empty": sum(1 for t in produced.values() if not t.strip())}
    out["f1_difference"] = out["corpus"]["f1"] - out["trafilatura"]["f1"]
    out["lost_pages"] = sorted(pid for pid, text in produced_by["corpus"].items()
                               if not text.strip() and produced_by["trafilatura"][pid].strip())
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--aeb", type=Path, default=DEFAULT_DIR)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    if not (args.aeb / "ground-truth.json").exists():
        result: dict[str, Any] = {"skipped": f"{args.aeb} is absent (the shared benchmark data is not on this machine)"}
        print(f"AEB: skipped: {result['skipped']}")
    else:
        result = evaluate(args.aeb)
    args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
