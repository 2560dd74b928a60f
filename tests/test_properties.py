"""Properties that must hold for any input, checked on generated ones (hypothesis).

Texts are built from what real coverage is made of: article sentences from the
seeds, boilerplate lines from the rules' own examples, mojibake and
HTML-escaped versions of both, odd white space, and arbitrary Unicode.
"""

from __future__ import annotations

import html
import json
import random
import re
import unicodedata
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES
from corpus.clean import BUILTIN_RULES, Cleaner, CleaningError
from corpus.clean.encoding import repair_encoding
from corpus.dedup import DedupConfig, Deduplicator
from corpus.document import Document
from corpus.engines.local import run
from corpus.pipeline import pipeline_from_dict
from corpus.snapshot import load_snapshot, verify_snapshot

SENTENCES = sorted({s.strip() for p in sorted((SAMPLES / "text").glob("*.txt"))
                    for s in re.split(r"(?<=[.!?])\s+", p.read_text(encoding="utf-8")) if len(s.strip()) > 20})
CHROME = sorted({example for rule in BUILTIN_RULES for example in rule.examples})
PROSE_LOOKALIKES = sorted({keep for rule in BUILTIN_RULES for keep in rule.keeps})
WORDS = sorted({w for s in SENTENCES for w in re.findall(r"[A-Za-z]+", s)})
WORD = re.compile(r"\w+")

PROFILE = settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def mojibake(text: str) -> str:
    """UTF-8 read as Windows-1252, the commonest damage in scraped news."""
    return text.encode("utf-8").decode("cp1252", errors="replace")


def lines() -> st.SearchStrategy[str]:
    plain = st.sampled_from(SENTENCES) | st.sampled_from(CHROME) | st.sampled_from(PROSE_LOOKALIKES)
    damaged = plain.map(mojibake) | plain.map(html.escape) | plain.map(lambda s: html.escape(html.escape(s)))
    spaced = plain.map(lambda s: s.replace(" ", "  \u00a0")).map(lambda s: f"\t {s} ")
    return plain | damaged | spaced | st.text(max_size=60) | st.just("") | st.just("|")


texts = st.lists(lines(), min_size=1, max_size=14).flatmap(
    lambda ls: st.sampled_from(["\n", "\n\n", "\r\n"]).map(lambda sep: sep.join(ls)))


def pages(paragraphs: list[str], chrome: list[str]) -> str:
    nav = "".join(f"<li>{html.escape(c)}</li>" for c in chrome)
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return (f"<html><head><title>{html.escape(paragraphs[0][:40])}</title></head><body><nav><ul>{nav}</ul></nav>"
            f"<article>{body}</article><footer>{nav}</footer></body></html>")


html_pages = st.builds(pages, st.lists(st.sampled_from(SENTENCES) | st.sampled_from(SENTENCES).map(mojibake),
                                       min_size=2, max_size=8),
                       st.lists(st.sampled_from(CHROME), max_size=5))


def clean_or_none(doc: Document) -> Document | None:
    try:
        return Cleaner().clean(doc)
    except CleaningError:
        return None


# --------------------------------------------------------------------------- cleaning


@PROFILE
@given(texts)
def test_cleaning_is_idempotent(text: str) -> None:
    once = clean_or_none(Document(id="d", text=text))
    if once is None:
        return
    twice = Cleaner().clean(once)
    assert twice.text == once.text
    assert twice.removed == once.removed
    assert twice.published == once.published


@settings(deadline=None, max_examples=15)
@given(html_pages)
def test_cleaning_a_page_is_idempotent(page: str) -> None:
    once = clean_or_none(Document(id="p", text=page, metadata={"format": "html"}))
    if once is None:
        return
    twice = Cleaner().clean(once)
    assert (twice.text, twice.removed, twice.published, twice.title) == (once.text, once.removed, once.published,
                                                                          once.title)


def words(text: str) -> Counter[str]:
    return Counter(WORD.findall(unicodedata.normalize("NFC", text)))


def repaired(text: str) -> str:
    """The input as cleaning reads it: ftfy's repair with the cleaner's settings."""
    return repair_encoding(text)[0]


@PROFILE
@given(texts)
def test_cleaning_never_adds_words(text: str) -> None:
    """Every word of the cleaned text was in the input, at least as many times.

    What "in the input" means: cleaning repairs before it removes, and repair
    legitimately changes words -- mojibake ``donâ€™t`` becomes ``don’t``
    (words ``don``, ``â``, ``t`` become ``don``, ``t``) and ``&amp;`` becomes
    ``&``. So the input's words are counted after the same ftfy repair
    (and NFC), and a word is *added* if the cleaned text holds it more times
    than that repaired input does. Anything else cleaning does -- normalizing
    white space, unwrapping lines, removing lines or line prefixes -- may only
    take words away; splitting a word at a prefix or joining two words across
    a line break would show up here as an added word.
    """
    cleaned = clean_or_none(Document(id="d", text=text))
    if cleaned is None:
        return
    added = words(cleaned.text) - words(repaired(text))
    assert not added, added


@settings(deadline=None, max_examples=15)
@given(html_pages)
def test_extracting_a_page_never_adds_words(page: str) -> None:
    """As above for HTML: the article's words all occur in the repaired page source (markup included)."""
    cleaned = clean_or_none(Document(id="p", text=page, metadata={"format": "html"}))
    if cleaned is None:
        return
    added = words(cleaned.text) - words(html.unescape(repaired(page)))
    assert not added, added


# --------------------------------------------------------------------------- dedup


@st.composite
def syndicated(draw: st.DrawFn) -> list[Document]:
    """A few stories, each published by several outlets with small edits, plus one-off articles."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    docs = []
    for story in range(draw(st.integers(1, 4))):
        base = rng.sample(SENTENCES, 6)
        for copy in range(draw(st.integers(1, 4))):
            sentences = [s for s in base if rng.random() > 0.15] or base[:1]
            if rng.random() < 0.3:
                sentences = [s.replace(" the ", " a ", 1) for s in sentences]
            docs.append(Document(id=f"s{story}-c{copy}", text="\n\n".join(sentences),
                                 source=f"outlet{rng.randrange(4)}.example",
                                 published=f"2023-09-{rng.randrange(20, 29)}" if rng.random() < 0.8 else None))
    for n in range(draw(st.integers(0, 3))):
        docs.append(Document(id=f"other-{n}", text=" ".join(rng.choices(WORDS, k=60))))
    return docs


def grouping(docs: list[Document], keep: str) -> tuple[set[str], set[tuple[str, frozenset[str]]]]:
    priority = ("outlet2.example", "outlet0.example") if keep == "source-priority" else ()
    config = DedupConfig(keep=keep, source_priority=priority, story=False)
    result = Deduplicator(config).run([Document.from_json(d.to_json()) for d in docs])
    clusters = {(c["kept"], frozenset(m["id"] for m in c["members"])) for c in result.clusters}
    return {d.id for d in result.kept}, clusters


@settings(deadline=None, max_examples=25)
@given(syndicated(), st.randoms(use_true_random=False), st.sampled_from(["longest", "earliest", "source-priority"]))
def test_dedup_does_not_depend_on_input_order(docs: list[Document], rng: random.Random, keep: str) -> None:
    """Same kept ids and same clusters whatever the order (``keep = "first"`` is order-dependent on purpose)."""
    shuffled = list(docs)
    rng.shuffle(shuffled)
    assert grouping(shuffled, keep) == grouping(docs, keep)


# --------------------------------------------------------------------------- accounting

BODIES = {
    "article": lambda rng: "\n\n".join(rng.sample(SENTENCES, 4)),
    "copy": lambda rng: "\n\n".join(SENTENCES[:4]),
    "chrome only": lambda rng: "\n".join(rng.sample(CHROME, 2)),
    "empty": lambda rng: " ",
    "number": lambda rng: 7,
    "missing": lambda rng: None,
}


@st.composite
def feeds(draw: st.DrawFn) -> list[bytes]:
    """JSONL lines: good, duplicated, chrome-only, empty, non-string, missing-text and malformed records."""
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    out = []
    for _ in range(draw(st.integers(1, 12))):
        kind = draw(st.sampled_from([*BODIES, "malformed", "not an object"]))
        doc_id = draw(st.sampled_from(["a", "b", "c", "d", "e", "f", "g", "h"]))
        if kind == "malformed":
            out.append(b'{"id": "' + doc_id.encode() + b'", "text": ')
        elif kind == "not an object":
            out.append(b"[]")
        else:
            record = {"id": doc_id, "source": f"outlet{rng.randrange(3)}.example"}
            if BODIES[kind](rng) is not None:
                record["text"] = BODIES[kind](rng)
            out.append(json.dumps(record).encode())
    return out


@settings(deadline=None, max_examples=20, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(feeds())
def test_every_input_is_kept_merged_or_rejected_exactly_once(tmp_path_factory, lines: list[bytes]) -> None:
    """Each line of the feed ends up in exactly one place.

    The first record with an id owns it (read or rejected): that id is kept,
    merged or rejected exactly once. Any other line -- malformed, not an
    object, or a later record with the same id -- is a read reject naming its
    line.
    """
    work = tmp_path_factory.mktemp("feed")
    (work / "feed.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    out = work / "snapshot"
    result = run(pipeline_from_dict({"input": {"paths": [str(work / "feed.jsonl")]}, "output": {"path": str(out)}}))
    assert verify_snapshot(out) == []
    snap = load_snapshot(out)
    rejects = list(snap.rejects())
    places = Counter(d.id for d in snap.documents())
    places.update(m["id"] for c in snap.clusters() for m in c["members"] if m["id"] != c["kept"])
    places.update(r.id for r in rejects if r.id is not None)
    read_lines = Counter(r.line for r in rejects if r.stage == "read")

    owners: set[str] = set()
    for number, line in enumerate(lines, start=1):
        try:
            record = json.loads(line)
        except ValueError:
            record = None
        if isinstance(record, dict) and record["id"] not in owners:
            owners.add(record["id"])
            assert places[record["id"]] == 1, (number, record["id"], places)
            readable = isinstance(record.get("text"), str) and record["text"].strip()
            assert read_lines[number] == (0 if readable else 1), (number, line, rejects)
        else:
            assert read_lines[number] == 1, (number, line, rejects)
    assert set(places) == owners and all(n == 1 for n in places.values())
    assert result.counts["inputs"] == len(lines)
