"""A syndication benchmark built from real material, with ground truth (no network).

The generated benchmark (:mod:`bench.generate`) writes its own articles and its
own chrome; this one takes both from real pages and real coverage, read in
place from ``../shared`` (never copied into the repository):

- **bases** (the articles copies are made of): the ground-truth article bodies
  of the article extraction benchmark (``aeb/``, 181 pages) and of the 93 real
  pages of Mozilla Readability's tests (``readability/``), the SemEval-2022 Task
  8 texts in ten languages (``semeval-2022-task8-sample/``) and ``seeds/``.
- **site templates** (the chrome): the visible lines of each AEB or Readability
  page that are not in its article, split into the lines before the article
  (head), inside it (between paragraphs: captions, ads, share bars) and after it
  (tail). ``trafilatura.html2txt`` joins a page into one line, so the lines come
  from resiliparse's ``extract_plain_text(main_content=False)``, which keeps the
  page's blocks as lines.
- **copies**: each base is published by 1-6 sites (mostly 1-3). The first copy
  of a page's own article is that page's own text; every other copy gets
  ordinary syndication edits (:func:`edit`): a new headline, a dateline, the
  last or a middle paragraph cut, 1-2% of its words changed, quotes straightened
  or curled, a sentence added by the outlet.
- **hard negatives**: every same-language SemEval pair rated Overall <= 1.5 (the
  same event written up twice) has both texts as bases, with one ``story`` and
  two clusters: they must never merge. And short articles (40-120 words), each
  published once under one of the three heaviest templates.

Every copy is rendered as four kinds of document, written apart and scored apart:

- ``a``: text as a good extractor leaves it, the article plus 0-3 stray chrome
  lines of its site (``a.jsonl``: ``id``, ``title``, ``text``);
- ``b``: the page's visible text, every chrome line, with ``url`` and no
  ``source`` (``b.jsonl``);
- ``c``: the same text with neither url nor source (``c.jsonl``);
- ``d``: the real page's HTML with its article's paragraphs swapped for the
  copy's (the page itself for its own article), a third of them re-encoded in
  windows-1252, iso-8859-2 or gbk (by language), declared by ``<meta charset>``,
  by ``http-equiv`` or not at all (``d/<id>.html``).

``truth.jsonl`` holds per document: ``id``, ``kind``, ``cluster`` (the base),
``story``, ``role`` (original, copy, short), ``language``, ``origin`` (the
base's data set), ``site`` (the template), ``edits``, ``charset``, ``declared``
and ``expected``, the article text a perfect cleaner returns. The same
``(--seed, --bases)`` give the same bytes::

    python -m bench.real --out /tmp/real --seed 0
"""

from __future__ import annotations

import argparse
import csv
import gzip
import hashlib
import json
import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Bumped whenever the output for a given (seed, bases) changes, so cached corpora are rebuilt.
REAL_VERSION = 3

ROOT = Path(__file__).resolve().parent.parent
#: The shared data, next to the repository (``../shared``); read in place.
DATA = ROOT.parent / "shared"
KINDS = ("a", "b", "c", "d")

#: SemEval bases besides the same-story pairs' texts, by default (all pairs' texts: 2,419).
DEFAULT_BASES = 800
#: Publications per base and their weights (most stories are picked up by few outlets).
COPIES = (1, 2, 3, 4, 5, 6)
COPY_WEIGHTS = (30, 30, 20, 10, 6, 4)
SHORT_WORDS = (40, 120)
SHORT_ARTICLES = 60
#: Re-encoding of kind ``d`` pages by language; the others stay UTF-8.
LEGACY_CHARSET = {"zh": "gbk", "pl": "iso-8859-2", "cs": "iso-8859-2", "de": "iso-8859-2"}
LATIN_1 = {"en", "es", "fr", "it", "pt", "und"}
DECLARATIONS = ("meta", "http-equiv", "none")

_TOKEN = re.compile(r"\w+")
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s+(?=\S)|(?<=[。！？])(?=\S)")
_ENGLISH = frozenset("the and of to in is that for was with on said".split())
_DECLARED = re.compile(r"<meta\b[^>]*(?:charset|http-equiv\s*=\s*[\"']?content-type)[^>]*>", re.I)
_HEAD = re.compile(r"<head\b[^>]*>", re.I)
_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "td", "th", "dd", "dt",
           "figcaption", "div", "section", "article")


class DataMissing(SystemExit):
    """The shared data is not there: the real benchmark cannot run (a message, not a traceback)."""


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class Base:
    """One article before publication."""

    id: str
    title: str
    paragraphs: tuple[str, ...]
    story: str
    language: str
    origin: str  # aeb | readability | semeval | seed
    page: str | None = None  # the template of its own page, if it has one
    short: bool = False


@dataclass(frozen=True)
class Template:
    """A real page as a site: its chrome lines around and inside the article, and its HTML."""

    name: str
    domain: str
    language: str
    head: tuple[str, ...]
    between: tuple[str, ...]
    tail: tuple[str, ...]
    html: str
    #: The page's own article (its ground truth), to find the blocks that hold it.
    article: str = ""
    #: Whether those blocks hold 80% of it, so the copy's paragraphs can take their place.
    swappable: bool = False

    @property
    def chrome(self) -> int:
        return len(self.head) + len(self.between) + len(self.tail)


@dataclass
class Copy:
    """One publication of a base: its text and what was done to it."""

    base: Base
    site: Template
    title: str
    paragraphs: list[str]
    edits: list[str] = field(default_factory=list)
    role: str = "copy"

    @property
    def text(self) -> str:
        return "\n\n".join([self.title, *self.paragraphs]) if self.title else "\n\n".join(self.paragraphs)


# --------------------------------------------------------------------------- loading


def _norm(text: str) -> str:
    """Lower-cased word tokens joined by spaces: how lines are matched to an article."""
    return " ".join(_TOKEN.findall(text.lower()))


def _grams(words: str, n: int = 4) -> set[tuple[str, ...]]:
    tokens = words.split()
    return {tuple(tokens[i:i + n]) for i in range(len(tokens) - n + 1)}


def in_article(line: str, body: str, grams: set[tuple[str, ...]]) -> bool:
    """Whether a page line (normalized) is article text: inside the normalized ``body``, or, for a
    line of four words or more, with half of its word 4-grams in the article's (``grams``). A line
    the page renders a little differently from the ground truth (a link's text spliced in, a
    paragraph joined to the next) is still article, never chrome."""
    if not line:
        return False
    if f" {line} " in body:
        return True
    mine = _grams(line)
    return bool(mine) and len(mine & grams) >= 0.5 * len(mine)


def _language(text: str) -> str:
    words = _TOKEN.findall(text.lower())
    if words and sum(w in _ENGLISH for w in words) / len(words) > 0.04:
        return "en"
    return "und"


def _paragraphs(text: str) -> tuple[str, ...]:
    """Blank-line or line blocks; a single block is split into paragraphs of three sentences."""
    blocks = [re.sub(r"\s+", " ", b).strip() for b in re.split(r"\n\s*\n|\n", text)]
    blocks = [b for b in blocks if b]
    if len(blocks) >= 3:
        return tuple(blocks)
    out: list[str] = []
    for block in blocks:
        sentences = [s.strip() for s in _SENTENCE.split(block) if s.strip()]
        out += [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)]
    return tuple(out)


def require(data: Path) -> Path:
    """``data/bench-data``, or :class:`DataMissing` naming what is missing."""
    bench = data / "bench-data"
    missing = [p for p in ("aeb/ground-truth.json", "readability/ground-truth.json",
                           "semeval-2022-task8-sample/pairs.csv.gz") if not (bench / p).exists()]
    if missing:
        raise DataMissing(f"real benchmark skipped: {bench} lacks {', '.join(missing)} "
                          "(the shared bench data is read in place from ../shared)")
    return bench


def visible_lines(html: str) -> list[str]:
    """The page's visible text, one line per block (navigation, headings, paragraphs...)."""
    from resiliparse.extract.html2text import extract_plain_text

    text = extract_plain_text(html, main_content=False, preserve_formatting=True, list_bullets=False,
                              links=False, alt_texts=False, form_fields=False, noscript=False)
    return [re.sub(r"\s+", " ", line).strip() for line in text.split("\n") if line.strip()]


def make_template(name: str, domain: str, language: str, html: str, article: str) -> Template | None:
    """A site template from a real page and its ground-truth article, or None when the page's
    visible lines hold less than 80% of its article (a page rendered by script, say)."""
    body = f" {_norm(article)} "
    lines = visible_lines(html)
    grams = _grams(body)
    inside = [in_article(n, body, grams) for n in map(_norm, lines)]
    covered = sum(len(_norm(line).split()) for line, a in zip(lines, inside) if a)
    if not any(inside) or covered < 0.8 * len(body.split()):
        return None
    first, last = inside.index(True), len(inside) - 1 - inside[::-1].index(True)
    chrome = [(k, line) for k, (line, a) in enumerate(zip(lines, inside)) if not a]
    return Template(
        name=name, domain=domain, language=language, html=html,
        head=tuple(line for k, line in chrome if k < first),
        between=tuple(line for k, line in chrome if first < k < last),
        tail=tuple(line for k, line in chrome if k > last),
        article=article,
        swappable=_swap_removes(html, article),
    )


def _swap_removes(html: str, article: str) -> bool:
    """Whether swapping the page's article blocks for other paragraphs leaves none of its article
    visible (under 10% of its words): only then does a copy's swapped page hold just the copy."""
    found = _article_blocks(html, article)
    if found is None:
        return False
    root, blocks = found
    _replace_blocks(blocks, [("p", "Placeholder paragraph of another article entirely.")])
    import lxml.html

    body = f" {_norm(article)} "
    grams = _grams(body)
    left = sum(len(n.split()) for n in map(_norm, visible_lines(lxml.html.tostring(root, encoding="unicode")))
               if in_article(n, body, grams))
    return left < 0.1 * len(body.split())


def _replace_blocks(blocks: list[Any], new: list[tuple[str, str]]) -> None:
    """Put elements ``(tag, text)`` where the first block is and remove the blocks (their tails stay)."""
    import lxml.html

    for tag, text in new:
        el = lxml.html.Element(tag)
        el.text = text
        blocks[0].addprevious(el)
    for el in blocks:
        el.drop_tree()


def _article_blocks(html: str, article: str) -> tuple[Any, list[Any]] | None:
    """The parsed page and its leaf blocks that hold article text, when they hold 80% of it."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    body = f" {_norm(article)} "
    grams = _grams(body)
    blocks, covered = [], 0
    for el in root.iter(*_BLOCKS):
        if any(child.tag in _BLOCKS for child in el.iterdescendants()):
            continue
        words = _norm(el.text_content())
        if len(words.split()) >= 3 and in_article(words, body, grams):
            blocks.append(el)
            covered += len(words.split())
    if not blocks or covered < 0.8 * len(body.split()):
        return None
    return root, blocks


def load_pages(bench: Path) -> list[tuple[Base, Template | None]]:
    """Every AEB page and every real Readability page: its article as a base, the page as a template."""
    out: list[tuple[Base, Template | None]] = []
    aeb = json.loads((bench / "aeb" / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(aeb):
        body, url = aeb[key]["articleBody"], aeb[key].get("url") or ""
        html = gzip.decompress((bench / "aeb" / "html" / f"{key}.html.gz").read_bytes()).decode("utf-8", "replace")
        domain = re.sub(r"^www\.", "", url.split("/")[2]) if url.count("/") >= 2 else f"aeb-{key[:8]}.example"
        lang = _language(body)
        name = f"aeb-{key[:12]}"
        out.append((Base(name, "", _paragraphs(body), name, lang, "aeb", name), make_template(name, domain, lang, html, body)))
    rd = json.loads((bench / "readability" / "ground-truth.json").read_text(encoding="utf-8"))
    for key in sorted(rd):
        raw = gzip.decompress((bench / "readability" / "html" / f"{key}.html.gz").read_bytes())
        if len(raw) < 4096 or key == "data-url-image":  # the hand-made fixtures: no site chrome
            continue
        item = rd[key]
        body, html = item["articleBody"], raw.decode("utf-8-sig", "replace")
        lang = (item.get("lang") or "")[:2].lower() or _language(body)
        name = f"rd-{key}"
        domain = f"{re.sub(r'[^a-z0-9]+', '-', key.lower())}.example"
        out.append((Base(name, item.get("title") or "", _paragraphs(body), name, lang, "readability", name),
                    make_template(name, domain, lang, html, body)))
    return out


def load_semeval(bench: Path) -> tuple[dict[str, tuple[str, str]], list[tuple[str, str, float, bool]]]:
    """Texts by key (language, text) and pairs (key1, key2, Overall, same language).

    One article id can come with different texts in different rows (rows a
    participant added, other crawls of the page), so a text's key is its id
    and a hash of the text.
    """
    csv.field_size_limit(1 << 30)
    texts: dict[str, tuple[str, str]] = {}
    pairs = []
    with gzip.open(bench / "semeval-2022-task8-sample" / "pairs.csv.gz", "rt", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            keys = []
            for doc_id, lang, text in zip(row["pair_id"].split("_"), (row["lang1"], row["lang2"]),
                                          (row["text1"], row["text2"])):
                key = f"{doc_id}-{hashlib.sha256(text.encode()).hexdigest()[:6]}"
                texts.setdefault(key, (lang, text))
                keys.append(key)
            pairs.append((keys[0], keys[1], float(row["Overall"]), row["lang1"] == row["lang2"]))
    return texts, pairs


def words(text: str) -> int:
    """Length in words (a script written without spaces: in characters / 2)."""
    from corpus.dedup.normalize import tokenize

    tokens, unspaced = tokenize(text)
    return len(tokens) // 2 if unspaced else len(tokens)


def _shingle_sets(texts: Sequence[str]) -> list[set[int]]:
    from corpus.dedup.normalize import tokenize
    from corpus.dedup.shingles import TokenHasher

    hasher = TokenHasher()
    out = []
    for text in texts:
        tokens, _ = tokenize(text)
        out.append(set(hasher.shingle_hashes(tokens, 5).tolist()))
    return out


def near_duplicate_pairs(texts: Sequence[str], min_containment: float = 0.5) -> list[tuple[int, int, float]]:
    """Pairs of texts whose shingle sets overlap by ``min_containment`` of the smaller (exact sets)."""
    sets = _shingle_sets(texts)
    index: dict[int, list[int]] = defaultdict(list)
    for i, s in enumerate(sets):
        for h in s:
            index[h].append(i)
    shared: Counter[tuple[int, int]] = Counter()
    for members in index.values():
        if 1 < len(members) <= 50:
            for x in range(len(members)):
                for y in range(x + 1, len(members)):
                    shared[members[x], members[y]] += 1
    out = []
    for (i, j), n in sorted(shared.items()):
        c = n / max(1, min(len(sets[i]), len(sets[j])))
        if c >= min_containment:
            out.append((i, j, c))
    return out


def load_bases(data: Path, rng: random.Random, semeval_bases: int = DEFAULT_BASES) -> tuple[list[Base], dict[str, Template]]:
    """Every base and every usable template (sorted by name)."""
    bench = require(data)
    pages = load_pages(bench)
    templates = {t.name: t for _, t in pages if t is not None and t.chrome >= 3}
    bases = [replace_page(b, templates) for b, _ in pages]
    seeds = sorted((data / "seeds").glob("*.txt")) if (data / "seeds").is_dir() else []
    for path in seeds:
        body = path.read_text(encoding="utf-8")
        bases.append(Base(f"seed-{path.stem[:3]}", "", _paragraphs(body), "seed-story", "en", "seed"))

    texts, pairs = load_semeval(bench)
    # Stories: texts joined by a pair rated the same event (Overall <= 1.5), in any language.
    parent: dict[str, str] = {k: k for k in texts}

    def find(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    negatives = sorted({(a, b) for a, b, overall, same in pairs if overall <= 1.5 and same})
    for a, b, overall, _ in pairs:
        if overall <= 1.5:
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)

    length = {k: words(text) for k, (_, text) in texts.items()}
    wanted = sorted({k for pair in negatives for k in pair if length[k] >= SHORT_WORDS[0]})
    rest = sorted(k for k in texts if k not in set(wanted) and length[k] > SHORT_WORDS[1])
    shorts = sorted(k for k in texts if k not in set(wanted) and SHORT_WORDS[0] <= length[k] <= SHORT_WORDS[1])
    chosen = wanted + rng.sample(rest, min(len(rest), max(0, semeval_bases - len(wanted))))
    short_ids = rng.sample(shorts, min(len(shorts), SHORT_ARTICLES))
    for k in sorted(chosen) + sorted(short_ids):
        lang, text = texts[k]
        paragraphs = _paragraphs(text)
        bases.append(Base(f"se-{k}", "", paragraphs, f"se-{find(k)}", lang, "semeval", short=k in short_ids))

    # A text that is another's near copy without being its same-story rewrite (cookie walls,
    # "are you a robot" pages, one wire text under two ids) would be a wrong truth: drop the later.
    same_story = {(f"se-{a}", f"se-{b}") for a, b in negatives} | {(f"se-{b}", f"se-{a}") for a, b in negatives}
    drop = set()
    for i, j, _ in near_duplicate_pairs(["\n".join(b.paragraphs) for b in bases]):
        if (bases[i].id, bases[j].id) not in same_story and i not in drop:
            drop.add(j)
    bases = [b for k, b in enumerate(bases) if k not in drop and len(b.paragraphs) >= 1]
    return bases, templates


def replace_page(base: Base, templates: dict[str, Template]) -> Base:
    """The base with its page only when that page is a usable template."""
    if base.page in templates:
        return base
    return Base(base.id, base.title, base.paragraphs, base.story, base.language, base.origin, None, base.short)


# --------------------------------------------------------------------------- edits

_DATELINES = {
    "en": ("LONDON (Reuters) - ", "WASHINGTON (AP) — ", "NEW YORK, {date} (Reuters) - ", "PARIS (AFP) - "),
    "de": ("BERLIN (dpa) - ", "Frankfurt/Main (Reuters) - ", "WIEN (APA) - "),
    "es": ("MADRID (EFE) - ", "BUENOS AIRES (AFP) - "),
    "fr": ("PARIS (AFP) - ", "BRUXELLES (Belga) - "),
    "it": ("ROMA (ANSA) - ",),
    "pl": ("WARSZAWA (PAP) - ",),
    "tr": ("ANKARA (AA) - ",),
    "ru": ("МОСКВА, {date} — РИА Новости. ",),
    "ar": ("القاهرة (رويترز) - ",),
    "zh": ("新华社北京电 ",),
}
_DATES = ("Nov 19", "Jan 3", "March 12", "July 7", "Oct 30")
_CURLY = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "„": '"', "«": '"', "»": '"'})


def _curl(text: str) -> str:
    text = re.sub(r'(^|[\s(])"', "\\1“", text)
    text = text.replace('"', "”")
    return re.sub(r"(\w)'(\w)", "\\1’\\2", text)


def _change_words(paragraphs: list[str], rate: float, rng: random.Random) -> int:
    """Change about ``rate`` of the words: a typo (two inner letters swapped) or another word
    of the same text in its place, as copy editors and CMSs do. Returns how many changed."""
    vocab = sorted({w for p in paragraphs for w in _TOKEN.findall(p) if len(w) > 3})
    changed = 0
    for k, paragraph in enumerate(paragraphs):
        parts = re.split(r"(\s+)", paragraph)
        for m in range(0, len(parts), 2):
            word = parts[m]
            if not word or rng.random() >= rate:
                continue
            if len(word) > 4 and word.isalpha() and rng.random() < 0.5:
                i = rng.randrange(1, len(word) - 2)
                parts[m] = word[:i] + word[i + 1] + word[i] + word[i + 2:]
            elif vocab:
                parts[m] = rng.choice(vocab)
            changed += parts[m] != word
        paragraphs[k] = "".join(parts)
    return changed


def edit(base: Base, site: Template, rng: random.Random, donors: Sequence[str]) -> Copy:
    """A copy of ``base`` as another outlet publishes it: some of the edits syndication makes."""
    paragraphs = list(base.paragraphs)
    edits: list[str] = []
    first_words = " ".join(" ".join(paragraphs).split()[: rng.randint(6, 11)]).rstrip(",.;:")
    title = base.title
    if rng.random() < 0.6:
        title = first_words
        edits.append("headline")
    if len(paragraphs) >= 4 and rng.random() < 0.5:
        if rng.random() < 0.5:
            paragraphs.pop()
            edits.append("cut_last")
        else:
            paragraphs.pop(rng.randrange(1, len(paragraphs) - 1))
            edits.append("cut_middle")
    if rng.random() < 0.7:
        rate = rng.uniform(0.01, 0.02)
        if _change_words(paragraphs, rate, rng):
            edits.append(f"words_{rate:.3f}")
    if rng.random() < 0.4:
        line = rng.choice(_DATELINES.get(base.language, _DATELINES["en"])).format(date=rng.choice(_DATES))
        paragraphs[0] = line + paragraphs[0]
        edits.append("dateline")
    if rng.random() < 0.4:
        if any(q in p for p in paragraphs for q in "“”‘’„«»"):
            paragraphs = [p.translate(_CURLY) for p in paragraphs]
            edits.append("quotes_straight")
        else:
            paragraphs = [_curl(p) for p in paragraphs]
            edits.append("quotes_curly")
    if donors and rng.random() < 0.3:
        paragraphs.append(rng.choice(donors))
        edits.append("outlet_sentence")
    return Copy(base, site, title, paragraphs, edits)


# --------------------------------------------------------------------------- rendering


def stray_lines(site: Template, rng: random.Random) -> tuple[list[str], list[str]]:
    """A few chrome lines an extractor lets through: one before, up to two after (or none)."""
    before = [rng.choice(site.head)] if site.head and rng.random() < 0.3 else []
    pool = list(site.between + site.tail)
    after = rng.sample(pool, min(len(pool), rng.choice((0, 1, 1, 2)))) if pool else []
    return before, after


def page_text(copy: Copy, rng: random.Random) -> str:
    """Every chrome line of the site around the copy, its between-paragraph lines spread among the paragraphs."""
    site = copy.site
    body = ([copy.title] if copy.title else []) + copy.paragraphs
    slots: dict[int, list[str]] = defaultdict(list)
    for line in site.between:
        slots[rng.randrange(1, max(2, len(body)))].append(line)
    lines = list(site.head)
    for k, paragraph in enumerate(body):
        lines += slots.get(k, [])
        lines.append(paragraph)
    lines += [line for k in sorted(slots) if k >= len(body) for line in slots[k]]
    return "\n\n".join(lines + list(site.tail))


def page_html(copy: Copy) -> str | None:
    """The site's real page with its article paragraphs swapped for the copy's (the page itself for
    its own unedited article); None where the swap is not feasible."""
    import lxml.html

    if copy.role == "original" and copy.site.name == copy.base.page:
        return copy.site.html
    found = _article_blocks(copy.site.html, copy.site.article) if copy.site.swappable else None
    if found is None:
        return None
    root, blocks = found
    _replace_blocks(blocks, ([("h2", copy.title)] if copy.title else []) + [("p", p) for p in copy.paragraphs])
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def encode_page(html: str, language: str, rng: random.Random) -> tuple[bytes, str, str]:
    """The page's bytes, its charset and how the charset is declared (``meta``, ``http-equiv``, ``none``).

    Two pages in three stay UTF-8 as they are; the others are re-encoded in their
    language's legacy charset (characters outside it as numeric references, as
    such sites write them), with the declarations they had replaced.
    """
    charset = LEGACY_CHARSET.get(language) or ("windows-1252" if language in LATIN_1 else None)
    if charset is None or rng.random() >= 1 / 3:
        return html.encode("utf-8"), "utf-8", "as-is"
    how = rng.choice(DECLARATIONS)
    html = _DECLARED.sub("", html)
    tag = {"meta": f'<meta charset="{charset}">',
           "http-equiv": f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">', "none": ""}[how]
    if tag:
        head = _HEAD.search(html)
        html = html[:head.end()] + tag + html[head.end():] if head else tag + html
    return html.encode(charset, errors="xmlcharrefreplace"), charset, how


# --------------------------------------------------------------------------- the corpus


def publications(bases: list[Base], templates: dict[str, Template], rng: random.Random) -> list[Copy]:
    """Every copy of every base, in a fixed order."""
    names = sorted(templates)
    by_language: dict[str, list[str]] = defaultdict(list)
    for name in names:
        by_language[templates[name].language].append(name)
    heavy = sorted(names, key=lambda n: (-templates[n].chrome, n))[:3]
    donors: dict[str, list[str]] = defaultdict(list)
    for b in bases:
        sentences = [s for p in b.paragraphs for s in _SENTENCE.split(p) if 8 <= len(s.split()) <= 30]
        if sentences:
            donors[b.language].append(rng.choice(sentences))
    copies: list[Copy] = []
    for base in bases:
        if base.short:
            copies.append(Copy(base, templates[rng.choice(heavy)], base.title, list(base.paragraphs), role="short"))
            continue
        k = rng.choices(COPIES, COPY_WEIGHTS)[0]
        sites: list[str] = []
        if base.page is not None:
            sites.append(base.page)
        same = [n for n in by_language.get(base.language, []) if n not in sites]
        while len(sites) < k:
            pool = same if same and rng.random() < 0.5 else names
            pick = rng.choice(pool)
            if pick not in sites:
                sites.append(pick)
        own = [d for d in donors.get(base.language, []) if d not in base.paragraphs]
        for n, name in enumerate(sites):
            if n == 0:
                copies.append(Copy(base, templates[name], base.title, list(base.paragraphs), role="original"))
            else:
                copies.append(edit(base, templates[name], rng, own))
    return copies


def write(out: Path, seed: int = 0, semeval_bases: int = DEFAULT_BASES, data: Path = DATA) -> dict[str, Any]:
    """Write the four kinds and their truth under ``out`` (cached: rewritten only when inputs change)."""
    out = Path(out)
    key = {"version": REAL_VERSION, "seed": seed, "semeval_bases": semeval_bases, "data": str(data)}
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        old = json.loads(manifest_path.read_text())
        if old.get("key") == key:
            return old
    rng = random.Random(seed)
    bases, templates = load_bases(data, rng, semeval_bases)
    copies = publications(bases, templates, rng)
    out.mkdir(parents=True, exist_ok=True)
    (out / "d").mkdir(exist_ok=True)
    for stale in (out / "d").glob("*.html"):
        stale.unlink()
    files = {kind: open(out / f"{kind}.jsonl", "w", encoding="utf-8") for kind in "abc"}
    truth = open(out / "truth.jsonl", "w", encoding="utf-8")
    counts: Counter[str] = Counter()
    charsets: Counter[str] = Counter()
    try:
        for n, copy in enumerate(copies):
            base = copy.base
            common = {"cluster": base.id, "story": base.story, "role": copy.role, "language": base.language,
                      "origin": base.origin, "site": copy.site.name, "edits": copy.edits}
            expected = copy.text
            before, after = stray_lines(copy.site, rng)
            records = {
                "a": {"id": f"a-{n:05d}", "title": copy.title or None, "text": "\n\n".join(before + [expected] + after)},
                "b": {"id": f"b-{n:05d}", "text": page_text(copy, rng),
                      "url": f"https://{copy.site.domain}/{n:05d}-{_slug(copy.title or base.id)}"},
            }
            records["c"] = {"id": f"c-{n:05d}", "text": records["b"]["text"]}
            for kind, record in records.items():
                files[kind].write(json.dumps(record, ensure_ascii=False) + "\n")
                truth.write(json.dumps({"id": record["id"], "kind": kind, **common, "charset": "utf-8",
                                        "declared": None, "expected": expected}, ensure_ascii=False) + "\n")
                counts[kind] += 1
            html = page_html(copy)
            if html is not None:
                if html is copy.site.html:  # the page itself: its article is its ground truth
                    expected = "\n\n".join(copy.paragraphs)
                data_bytes, charset, how = encode_page(html, base.language, rng)
                doc_id = f"d-{n:05d}"
                (out / "d" / f"{doc_id}.html").write_bytes(data_bytes)
                truth.write(json.dumps({"id": doc_id, "kind": "d", **common, "charset": charset,
                                        "declared": how, "expected": expected}, ensure_ascii=False) + "\n")
                counts["d"] += 1
                charsets[f"{charset}/{how}"] += 1
    finally:
        for f in files.values():
            f.close()
        truth.close()
    manifest = {
        "key": key,
        "bases": len(bases),
        "bases_by_origin": dict(sorted(Counter(b.origin for b in bases).items())),
        "templates": len(templates),
        "swappable_templates": sum(t.swappable for t in templates.values()),
        "documents": dict(sorted(counts.items())),
        "languages": dict(sorted(Counter(c.base.language for c in copies).items())),
        "charsets": dict(sorted(charsets.items())),
        "sha256": hashlib.sha256(b"".join((out / f"{k}.jsonl").read_bytes() for k in "abc")).hexdigest(),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def _slug(text: str) -> str:
    return "-".join(_TOKEN.findall(text.lower())[:6]) or "story"


def read_truth(out: Path) -> dict[str, list[dict[str, Any]]]:
    """truth.jsonl by kind, in document order."""
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    with open(Path(out) / "truth.jsonl", encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            by_kind[record["kind"]].append(record)
    return dict(by_kind)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--bases", type=int, default=DEFAULT_BASES, help="SemEval bases (same-story pairs' texts included)")
    p.add_argument("--data", type=Path, default=DATA, help="the shared data directory (default ../shared)")
    args = p.parse_args()
    manifest = write(args.out, args.seed, args.bases, args.data)
    print(json.dumps({k: v for k, v in manifest.items() if k != "key"}, indent=2))


if __name__ == "__main__":
    main()
