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
Each run cleans everything both ways, the two sides taking turns every few
documents so that both meet the same load; each run starts with empty caches
(the rule screen's memory of lines, the dates). Rates are of each side's best
run; the ratio is of best runs, with every run's ratio beside it.

    python -m bench.cleanspeed [--docs 4000] [--repeat 5] [--out cleanspeed.json]
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


def clean_all_old(docs: list[Document]) -> list[Any]:
    with old_path():
        return clean_all(docs)


def interleaved(sides: dict[str, Callable[[list], list]], items: list, repeat: int,
                chunk: int) -> tuple[dict[str, list[float]], dict[str, list]]:
    """CPU seconds of each side over all ``items``, per run, and each side's results.

    The sides take turns chunk by chunk (which goes first swaps every chunk),
    so both meet the same load from the machine's other jobs. Caches are
    emptied at the start of each run.
    """
    runs: dict[str, list[float]] = {name: [] for name in sides}
    results: dict[str, list] = {}
    names = list(sides)
    for _ in range(repeat):
        Screen.of.cache_clear()
        boilerplate.parse_date.cache_clear()
        spent = dict.fromkeys(names, 0.0)
        results = {name: [] for name in names}
        for k, start in enumerate(range(0, len(items), chunk)):
            part = items[start:start + chunk]
            for name in names if k % 2 == 0 else names[::-1]:
                begin = time.process_time()
                results[name].extend(sides[name](part))
                spent[name] += time.process_time() - begin
        for name in names:
            runs[name].append(spent[name])
    return runs, results


def summary(runs: dict[str, list[float]], slow: str, fast: str, count: int, unit: str) -> dict[str, Any]:
    best = {name: min(seconds) for name, seconds in runs.items()}
    ratios = sorted(a / b for a, b in zip(runs[slow], runs[fast]))
    return {
        "seconds_per_run": runs,
        f"{unit}_per_s": {name: count / seconds for name, seconds in best.items()},
        "ratio_of_best": best[slow] / best[fast],
        "ratio_per_run": ratios,
        "ratio_median": ratios[len(ratios) // 2],
    }


def text_speed(docs: list[Document], repeat: int) -> dict[str, Any]:
    runs, results = interleaved({"old": clean_all_old, "new": clean_all}, docs, repeat, chunk=50)
    differing = [doc.id for doc, a, b in zip(docs, results["old"], results["new"]) if a != b]
    if differing:
        raise SystemExit(f"cleaning differs between the old and new path for {len(differing)} documents: {differing[:5]}")
    return {"documents": len(docs), "mean_chars": round(sum(len(d.text) for d in docs) / max(len(docs), 1)),
            "identical": True, **summary(runs, "old", "new", len(docs), "documents")}


def corpus_pages(pages: list[tuple[str, str | None]]) -> list[bool]:
    kept = []
    for html, url in pages:
        try:
            kept.append(bool(clean_html(html, url=url).text))
        except CorpusError:
            kept.append(False)
    return kept


def trafilatura_pages(pages: list[tuple[str, str | None]]) -> list[bool]:
    return [trafilatura.extract(html, include_comments=False) is not None for html, _ in pages]


def html_speed(pages: list[tuple[str, str | None]], repeat: int) -> dict[str, Any]:
    corpus_pages(pages[:10])  # outside the timing: dateparser, behind htmldate, sets itself up on first use
    runs, _ = interleaved({"trafilatura": trafilatura_pages, "corpus": corpus_pages}, pages, repeat, chunk=5)
    result = {"pages": len(pages), **summary(runs, "trafilatura", "corpus", len(pages), "pages")}
    result["corpus_share_of_trafilatura"] = result.pop("ratio_of_best")
    return result


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
    p.add_argument("--repeat", type=int, default=5)
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
                  f"new {r['documents_per_s']['new']:.0f}/s, {r['ratio_of_best']:.2f}x "
                  f"(per run {', '.join(f'{x:.2f}' for x in r['ratio_per_run'])}), identical output")
    if "skipped" not in result["html_aeb"]:
        r = result["html_aeb"]
        print(f"html_aeb: {r['pages']} pages, trafilatura {r['pages_per_s']['trafilatura']:.1f}/s, "
              f"corpus {r['pages_per_s']['corpus']:.1f}/s, {r['corpus_share_of_trafilatura']:.0%} of trafilatura "
              f"(per run {', '.join(f'{x:.0%}' for x in r['ratio_per_run'])})")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
