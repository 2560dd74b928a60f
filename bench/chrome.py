"""Page chrome in plain text, on real pages: what ``corpus.clean.chrome`` removes, and what it must keep.

Page text is made as a crawl's WET file gives it: the whole visible text of each
real page (``resiliparse.extract.html2text.extract_plain_text``, one block per
line), from the 181 pages of ``../shared/bench-data/aeb`` and the 93 real pages
of ``../shared/bench-data/readability`` (its 37 hand-made fixtures, with no
chrome, are left out), read in place. Each line is labelled *article* when its
text is in the page's ground-truth body (at least half of its word 4-grams are;
a line of two or three words, when a line of the body of at most eight words
holds it; a single word, when it is a line of the body) and *chrome* otherwise.
Scored per line: precision and recall of chrome removal, and the article lines
removed (which must be none), for the classifier alone, for the cleaner's rules,
and for the rules with ``page_chrome``.

Pure prose must stay whole: the SemEval-2022 article bodies (10 languages) and
``../shared/seeds``, split into one sentence a paragraph to stress the classifier.

``--extracted`` scores, with AEB's own metric, the article text corpus extracts
from the AEB pages' HTML, with and without page chrome stripped after it.

``--learned`` measures learned boilerplate without sources. First, whether the
real pages of one site (AEB, by url host) meet in an edge scope. Then each real page's
chrome lines (head and tail) are a site template; several different real
bodies go under each template (4), and ten bodies are each syndicated under six
templates; no document has a url or a source. Scored: lines learned, chrome
lines left, article lines removed (which must be none).

    python -m bench.chrome [--learned] [--extracted] [--show N]
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import gzip
import io
import json
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.metrics import pair_scores
from corpus.clean import CleanConfig, Cleaner, CleaningError
from corpus.clean.chrome import chrome_lines
from corpus.clean.learned import LineCounts, learn_boilerplate, line_key, scopes_of
from corpus.clean.normalize import normalize_text
from corpus.dedup import Deduplicator
from corpus.document import Document

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
_TOKEN = re.compile(r"\w+")
# After a full stop, unless it ends a number or one letter ("am 22. Mai", "J. Smith").
_SENTENCE = re.compile(r"(?<=[^\W\d]{2}[.!?])\s+|(?<=[.!?][)\"”’»])\s+|(?<=[!?])\s+|(?<=[。！？])")


@dataclass
class Page:
    name: str
    text: str
    body: str


def page_text(html: str) -> str:
    """The whole visible text of a page, one block per line, as WET gives it."""
    from resiliparse.extract.html2text import extract_plain_text

    return normalize_text(extract_plain_text(html, preserve_formatting=True, list_bullets=False, alt_texts=False))


def pages(shared: Path = SHARED) -> list[Page]:
    """Every real page of AEB and readability as page text, with its ground-truth body."""
    out = []
    for name, fixtures in (("aeb", False), ("readability", True)):
        root = shared / "bench-data" / name
        truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
        for page_id in sorted(truth):
            raw = gzip.open(root / "html" / f"{page_id}.html.gz").read()
            if fixtures and (len(raw) < 4096 or page_id == "data-url-image"):
                continue
            html = raw.decode("utf-8-sig", errors="replace")
            out.append(Page(f"{name}/{page_id}", page_text(html), truth[page_id].get("articleBody") or ""))
    return out


def _tokens(text: str) -> list[str]:
    return [t.casefold() for t in _TOKEN.findall(text)]


class BodyIndex:
    """Whether a line's text is in a ground-truth body (word 4-grams, or the words in order for short lines)."""

    def __init__(self, body: str) -> None:
        tokens = _tokens(body)
        self.grams = {tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)}
        self.short_lines = [" " + " ".join(_tokens(line)) + " " for line in body.split("\n") if len(_tokens(line)) <= 8]

    def is_article(self, line: str) -> bool:
        tokens = _tokens(line)
        if not tokens:
            return False
        if len(tokens) < 4:
            # A short line is the body's when a short line of the body (a heading, a table row) holds
            # it; a single word, when it is a line of the body.
            joined = " " + " ".join(tokens) + " "
            return any(joined == line if len(tokens) == 1 else joined in line for line in self.short_lines)
        grams = [tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)]
        return sum(g in self.grams for g in grams) >= 0.5 * len(grams)


def cleaner_removals(cleaner: Cleaner) -> Callable[[list[str]], list[bool]]:
    """Which lines of a page ``cleaner`` removes (by any rule), as :func:`chrome_lines` says it for one module."""

    def removed(lines: list[str]) -> list[bool]:
        try:
            gone = Counter(r.line for r in cleaner.clean(Document(id="page", text="\n".join(lines))).removed)
        except CleaningError:
            return [bool(line.strip()) for line in lines]
        out = []
        for line in lines:
            hit = gone[line.strip()] > 0
            gone[line.strip()] -= hit
            out.append(hit)
        return out

    return removed


def score_pages(found: list[Page], show: int = 0,
                removes: Callable[[list[str]], list[bool]] = chrome_lines) -> dict[str, Any]:
    """Per line: chrome removal precision and recall; article lines removed (by ``removes``)."""
    tp = fp = fn = lines = article = 0
    wrong: list[tuple[str, str]] = []
    for page in found:
        index = BodyIndex(page.body)
        text_lines = page.text.split("\n")
        for line, gone in zip(text_lines, removes(text_lines)):
            if not line.strip():
                continue
            lines += 1
            is_article = index.is_article(line)
            article += is_article
            if gone and is_article:
                fp += 1
                wrong.append((page.name, line))
            elif gone:
                tp += 1
            elif not is_article:
                fn += 1
    for name, line in wrong[:show]:
        print(f"  article line removed: {name}: {line[:160]!r}", file=sys.stderr)
    return {"pages": len(found), "lines": lines, "article_lines": article, "chrome_lines": lines - article,
            "removed": tp + fp, "precision": tp / (tp + fp) if tp + fp else 1.0,
            "recall": tp / (tp + fn) if tp + fn else 1.0, "article_lines_removed": fp,
            "article_words_removed": sum(len(_tokens(line)) for _, line in wrong)}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text) if s.strip()]


def prose_texts(shared: Path = SHARED) -> Iterator[tuple[str, str]]:
    """(name, text) of pure prose, one sentence a line: SemEval bodies by language, then the seeds."""
    path = shared / "bench-data" / "semeval-2022-task8-sample" / "pairs.csv.gz"
    seen: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for row in csv.DictReader(io.StringIO(f.read())):
            for text, lang in ((row["text1"], row["lang1"]), (row["text2"], row["lang2"])):
                if text and text not in seen:
                    seen.add(text)
                    yield f"semeval-{lang}", "\n\n".join(sentences(text))
    for seed in sorted((shared / "seeds").glob("*.txt")):
        yield "seeds", "\n\n".join(sentences(seed.read_text(encoding="utf-8")))


def score_prose(show: int = 0) -> dict[str, Any]:
    """Lines (and their words) removed from pure prose (it must be none), per collection; and in all."""
    out: dict[str, dict[str, int]] = {}
    shown = 0
    for name, text in prose_texts():
        lines = text.split("\n")
        flags = chrome_lines(lines)
        for key in (name, "all"):
            row = out.setdefault(key, {"texts": 0, "lines": 0, "removed": 0, "texts_touched": 0, "words": 0,
                                       "words_removed": 0})
            row["texts"] += 1
            row["lines"] += sum(1 for line in lines if line.strip())
            row["removed"] += sum(flags)
            row["texts_touched"] += any(flags)
            row["words"] += len(_tokens(text))
            row["words_removed"] += sum(len(_tokens(line)) for line, gone in zip(lines, flags) if gone)
        for line, gone in zip(lines, flags):
            if gone and shown < show:
                shown += 1
                print(f"  prose line removed: {name}: {line[:160]!r}", file=sys.stderr)
    return dict(sorted(out.items()))


@dataclass
class Template:
    """A real page's chrome: its text above the first article line and below the last."""

    name: str
    head: str
    tail: str
    keys: set[int]


def templates(found: list[Page]) -> list[Template]:
    """The site templates of the real pages that have chrome both above and below their article."""
    out = []
    for page in found:
        index = BodyIndex(page.body)
        lines = page.text.split("\n")
        article = [i for i, line in enumerate(lines) if line.strip() and index.is_article(line)]
        if not article:
            continue
        head = "\n".join(lines[:article[0]]).strip("\n")
        tail = "\n".join(lines[article[-1] + 1:]).strip("\n")
        if head and tail:
            keys = {line_key(line) for line in (head + "\n" + tail).split("\n") if line.strip()}
            out.append(Template(page.name, head, tail, keys))
    return out


def bodies(found: list[Page]) -> list[str]:
    """Different real article bodies: SemEval's (one sentence a paragraph), then AEB's and readability's."""
    out = [text for name, text in prose_texts() if name.startswith("semeval")]
    return out + [page.body for page in found if len(page.body.split()) >= 100]


def learned_corpus(found: list[Page], per_template: int = 4, syndicated: int = 10,
                   copies: int = 6) -> tuple[list[Document], list[str], dict[str, Template], dict[str, str]]:
    """Documents without url or source: ``per_template`` different bodies under each template, then
    ``syndicated`` bodies each under ``copies`` templates. Returns the documents, each one's truth
    label (its body), its template and its body."""
    sites = templates(found)
    texts = bodies(found)
    wire = texts[-syndicated:]
    docs, labels, template_of, body_of = [], [], {}, {}
    at = 0

    def add(site: Template, body: str, label: str) -> None:
        doc_id = f"d{len(docs):05d}"
        docs.append(Document(id=doc_id, text=f"{site.head}\n\n{body}\n\n{site.tail}"))
        labels.append(label)
        template_of[doc_id], body_of[doc_id] = site, body

    for site in sites:
        for _ in range(per_template):
            add(site, texts[at], f"b{at}")
            at += 1
    for k, body in enumerate(wire):
        for c in range(copies):
            add(sites[(k * copies + c) * 7 % len(sites)], body, f"wire{k}")
    return docs, labels, template_of, body_of


def score_templates(found: list[Page], shared: Path = SHARED) -> dict[str, Any]:
    """Whether real pages of one site meet in an edge scope (:func:`corpus.clean.learned.scopes_of`) and pages
    of different sites do not: AEB's pages, their site by the host of their url, cleaned as ``corpus run`` cleans."""
    from urllib.parse import urlparse

    truth = json.loads((shared / "bench-data" / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    cleaner = Cleaner()
    pages_of: dict[str, list[set[str]]] = {}
    hosts: dict[str, set[str]] = {}
    for page in found:
        source, _, page_id = page.name.partition("/")
        if source != "aeb":
            continue
        host = urlparse(truth[page_id]["url"]).hostname or ""
        scopes = set(scopes_of(cleaner.clean(Document(id=page.name, text=page.text))))
        pages_of.setdefault(host, []).append(scopes)
        for scope in scopes:
            hosts.setdefault(scope, set()).add(host)
    several = [h for h, scopes in pages_of.items() if len(scopes) > 1]
    return {"sites_with_several_pages": len(several),
            "of_which_share_a_scope": sum(1 for h in several if set.intersection(*pages_of[h])),
            "scopes": len(hosts), "scopes_of_several_sites": sorted(sorted(h) for h in hosts.values() if len(h) > 1)}


def score_learned(found: list[Page], page_chrome: bool, one_source: bool = False, show: int = 0) -> dict[str, Any]:
    """Clean, learn and strip a corpus of real chrome and real bodies, then dedup it; see the module docstring.

    ``one_source``: every document under one named source (then counted by that source and by each of its
    templates, :func:`corpus.clean.learned.scopes_of`; before per-template counting it learned nothing).
    """
    docs, labels, template_of, body_of = learned_corpus(found)
    if one_source:
        docs = [dataclasses.replace(doc, source="one-source") for doc in docs]
    cleaner = Cleaner(CleanConfig(page_chrome=page_chrome))
    cleaned = list(cleaner.run(docs, on_reject=lambda r: None))
    counts = LineCounts()
    for doc in cleaned:
        counts.add(doc)
    learned = learn_boilerplate(counts)
    chrome_left = chrome_total = 0
    wrong: Counter[tuple[str, str]] = Counter()
    for doc in cleaned:
        learned.strip(doc)
        site, body = template_of[doc.id], body_of[doc.id]
        body_keys = {line_key(line) for line in body.split("\n") if line.strip()}
        chrome = site.keys - body_keys
        chrome_total += sum(1 for line in (site.head + "\n" + site.tail).split("\n") if line.strip() and line_key(line) in chrome)
        chrome_left += sum(1 for line in doc.text.split("\n") if line.strip() and line_key(line) in chrome)
        for removal in doc.removed:
            if removal.rule in ("learned", "chrome") and line_key(removal.line) in body_keys:
                wrong[removal.rule, removal.line] += 1
    kept = {doc.id: doc for doc in cleaned if doc.text.strip()}
    result = Deduplicator().run(list(kept.values()))
    group = {m.id: m.kept for m in result.merged}
    ids = [doc.id for doc in docs]
    scores = pair_scores(labels, [group.get(i, i) for i in ids])
    return {"documents": len(docs), "templates": len(set(id(t) for t in template_of.values())),
            "learned_lines": sum(len(k) for k in learned.lines.values()),
            "chrome_lines": chrome_total, "chrome_lines_left": chrome_left,
            "article_lines_removed": {rule: sum(n for (r, _), n in wrong.items() if r == rule) for rule in ("learned", "chrome")},
            "article_lines_removed_most": [f"{rule}: {line} (x{n})" for (rule, line), n in wrong.most_common(show)],
            "pair_precision": scores["precision"], "pair_recall": scores["recall"], "pair_f1": scores["f1"]}


def score_extracted(shared: Path = SHARED) -> dict[str, Any]:
    """AEB's extraction score (its metric) of corpus's article text from HTML, and of that text with page chrome stripped."""
    from bench.aeb import corpus_extract
    from bench.metrics import text_scores
    from corpus.clean.chrome import strip_chrome

    root = shared / "bench-data" / "aeb"
    truth = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    pairs = []
    for page_id in sorted(truth):
        html = gzip.open(root / "html" / f"{page_id}.html.gz", "rt", encoding="utf-8").read()
        pairs.append((truth[page_id].get("articleBody") or "", corpus_extract(html, truth[page_id].get("url"))))
    return {"extracted": text_scores(pairs),
            "extracted + page_chrome": text_scores((body, strip_chrome(text).text) for body, text in pairs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--show", type=int, default=0, help="print up to N wrongly removed lines")
    parser.add_argument("--learned", action="store_true", help="also measure learned boilerplate without sources")
    parser.add_argument("--extracted", action="store_true",
                        help="also measure page chrome on text extracted from HTML (AEB's metric)")
    parser.add_argument("--out", type=Path, help="also write the results JSON here")
    args = parser.parse_args(argv)
    if not (SHARED / "bench-data" / "aeb").is_dir():
        print(f"bench.chrome: skipped, no real data at {SHARED}/bench-data")
        return 0
    found = pages()
    result: dict[str, Any] = {
        "pages": score_pages(found, args.show),
        "pages, cleaner (rules)": score_pages(found, removes=cleaner_removals(Cleaner())),
        "pages, cleaner (rules + page_chrome)": score_pages(found, removes=cleaner_removals(
            Cleaner(CleanConfig(page_chrome=True)))),
        "prose": score_prose(args.show),
    }
    if args.extracted:
        result["extracted"] = score_extracted()
    if args.learned:
        result["templates"] = score_templates(found)
        result["learned"] = {
            "one named source (and its templates)": score_learned(found, page_chrome=False, one_source=True, show=args.show),
            "templates": score_learned(found, page_chrome=False, show=args.show),
            "templates + page_chrome": score_learned(found, page_chrome=True, show=args.show),
        }
    print(json.dumps(result, indent=2))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
