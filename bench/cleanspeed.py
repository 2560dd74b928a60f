"""Cleaning speed on one core: text documents/s (new path vs old) and HTML pages/s (corpus vs trafilatura).

Text: ``Cleaner().clean`` on the text documents of the generated benchmark
corpus (``bench.generate``, ``--docs``, seed 0), and on the real article
bodies of ``../shared/bench-data/semeval-2022-task8-sample`` (ten languages,
no site chrome; skipped when absent), two ways in turn:

- new: as ``corpus run`` cleans;
- old: the same cleaner with ftfy run on every document
  (``encoding.ftfy_repair``), every rule tried on every line
  (``strip_boilerplate(screen=False)``) and no dates remembered, as cleaning
  ran before those shortcuts. (Both sides share the faster white-space
  normalization, so the ratio understates the gain over the old code.)

Every document must come out the same both ways (text, removals, date,
metadata), which is checked; the run fails otherwise.

HTML: ``corpus.clean.clean_html(html, url)`` (extraction, metadata and
cleaning) against ``trafilatura.extract(html, include_comments=False)`` on the
181 pages of ``../shared/bench-data/aeb``.

Timing: the CPU time of this process (``time.process_time``), pinned to one
CPU, which the other jobs of a shared machine disturb less than wall time.
Each side runs ``--repeat`` times, the sides in turn; each run starts with
empty caches (the rule screen's memory of lines, the dates); the best run
counts, and the ratios are of best runs.

    python -m bench.cleanspeed [--docs 4000] [--repeat 3] [--out cleanspeed.json]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any
from unittest import mock

import trafilatura

import corpus.clean
from bench.generate import generate
from corpus.clean import Cleaner, CleaningError, clean_html
from corpus.clean import boilerplate
from corpus.clean.boilerplate import Screen, strip_boilerplate
from corpus.clean.encoding import ftfy_repair
from corpus.document import Document
from corpus.errors import CorpusError

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data"


@contextmanager
def old_path() -> Iterator[None]:
    """Cleaning as it ran before: ftfy on every text, every rule on every line, no remembered dates."""
    with mock.patch.object(corpus.clean, "repair_encoding", ftfy_repair), \
         mock.patch.object(corpus.clean, "strip_boilerplate", partial(strip_boilerplate, screen=False)), \
         mock.patch.object(boilerplate, "parse_date", boilerplate.parse_date.__wrapped__):
        yield


def clean_all(docs: list[Document]) -> list[Any]:
    """What cleaning makes of each document: the fields it sets, or the reason it rejects it."""
    cleaner = Cleaner()
    out: list[Any] = []
    for doc in docs:
        try:
            done = cleaner.clean(doc)
            out.append((done.text, done.removed, done.published, done.title, done.metadata))
        except CleaningError as err:
            out.append(str(err))
    return out


def best_of(sides: dict[str, Callable[[], Any]], repeat: int) -> tuple[dict[str, float], dict[str, Any]]:
    """Best CPU seconds of each side over ``repeat`` runs taken in turn, and each side's last result."""
    best: dict[str, float] = {}
    results: dict[str, Any] = {}
    for _ in range(repeat):
        for name, run in sides.items():
            Screen.of.cache_clear()
            boilerplate.parse_date.cache_clear()
            start = time.process_time()
            results[name] = run()
            seconds = time.process_time() - start
            best[name] = min(best.get(name, seconds), seconds)
    return best, results


def text_speed(docs: list[Document], repeat: int) -> dict[str, Any]:
    def old() -> list[Any]:
        with old_path():
            return clean_all(docs)

    seconds, results = best_of({"old": old, "new": partial(clean_all, docs)}, repeat)
    differing = [doc.id for doc, a, b in zip(docs, results["old"], results["new"]) if a != b]
    if differing:
        raise SystemExit(f"cleaning differs between the old and new path for {len(differing)} documents: {differing[:5]}")
    return {
        "documents": len(docs),
        "mean_chars": round(sum(len(d.text) for d in docs) / max(len(docs), 1)),
        "seconds": seconds,
        "documents_per_s": {k: len(docs) / v for k, v in seconds.items()},
        "speedup": seconds["old"] / seconds["new"],
        "identical": True,
    }


def html_speed(pages: list[tuple[str, str | None]], repeat: int) -> dict[str, Any]:
    def corpus_side() -> int:
        kept = 0
        for html, url in pages:
            try:
                clean_html(html, url=url)
                kept += 1
            except CorpusError:
                pass
        return kept

    def trafilatura_side() -> int:
        return sum(trafilatura.extract(html, include_comments=False) is not None for html, _ in pages)

    seconds, _ = best_of({"trafilatura": trafilatura_side, "corpus": corpus_side}, repeat)
    return {
        "pages": len(pages),
        "seconds": seconds,
        "pages_per_s": {k: len(pages) / v for k, v in seconds.items()},
        "corpus_share_of_trafilatura": seconds["trafilatura"] / seconds["corpus"],
    }


def generated_texts(n_docs: int) -> list[Document]:
    records, _ = generate(n_docs, seed=0)
    return [Document(id=r["id"], text=r["text"], metadata={"format": "text"}) for r in records if "text" in r]


def semeval_texts(root: Path) -> list[Document]:
    docs = []
    with gzip.open(root / "pairs.csv.gz", "rt", encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            for side in ("1", "2"):
                docs.append(Document(id=f"{row['pair_id']}/{side}", text=row[f"text{side}"], metadata={"format": "text"}))
    return docs


def aeb_pages(root: Path) -> list[tuple[str, str | None]]:
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pages = []
    for page_id in sorted(truth):
        with gzip.open(root / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8") as f:
            pages.append((f.read(), truth[page_id].get("url")))
    return pages


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--docs", type=int, default=4000, help="documents to generate (about 3/4 of them are text)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--data", type=Path, default=SHARED, help="the shared benchmark data (SemEval, AEB)")
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    result: dict[str, Any] = {"repeat": args.repeat, "timer": "process_time, best run"}
    result["text_generated"] = text_speed(generated_texts(args.docs), args.repeat)
    semeval, aeb = args.data / "semeval-2022-task8-sample", args.data / "aeb"
    result["text_semeval"] = (text_speed(semeval_texts(semeval), args.repeat) if semeval.exists()
                              else {"skipped": f"{semeval} is absent"})
    result["html_aeb"] = (html_speed(aeb_pages(aeb), args.repeat) if aeb.exists()
                          else {"skipped": f"{aeb} is absent"})
    for name in ("text_generated", "text_semeval"):
        r = result[name]
        if "skipped" not in r:
            print(f"{name}: {r['documents']} documents, old {r['documents_per_s']['old']:.0f}/s, "
                  f"new {r['documents_per_s']['new']:.0f}/s, {r['speedup']:.2f}x, identical output")
    if "skipped" not in result["html_aeb"]:
        r = result["html_aeb"]
        print(f"html_aeb: {r['pages']} pages, trafilatura {r['pages_per_s']['trafilatura']:.1f}/s, "
              f"corpus {r['pages_per_s']['corpus']:.1f}/s, {r['corpus_share_of_trafilatura']:.0%} of trafilatura")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
