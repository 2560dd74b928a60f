"""A syndication benchmark with ground truth, generated from a seed (no network).

What real news coverage looks like to a dedup tool: one wire story republished
by many outlets, each wrapping it in its own chrome (navigation, share bars,
audio players, newsletter promos, footers) and each editing it a little
(headline, dateline, cut paragraphs, changed words, curly or straight quotes,
reflowed lines, mojibake). Next to those true copies sit the hard negatives: the
same story written up again in other words, and different short articles under
the same heavy chrome, which a tool that dedups chrome instead of articles
merges.

Steps, each a function below:

1. bases: the sample articles (``samples/text/*.txt``, five write-ups of one
   story) plus generated articles (an order-1 Markov chain over the samples'
   words, with the samples' names, places and organisations swapped for each
   base's own, plus fact sentences from templates), so generated bases are
   distinct stories; some are reworded into a sibling base (same ``story``,
   another cluster), some are short.
2. copies: each base is published ``k`` times; each copy gets random edits.
3. pages: each copy is wrapped in the chrome of a site, as text lines or, for
   ``html_share`` of them, as an HTML page (a JSONL record with ``html``).

Output, in ``--out``: ``raw.jsonl`` (what the tools read: ``id``, ``text`` or
``html``, ``title``, ``source``, ``url``, ``published``), ``truth.jsonl`` (per
id: ``cluster``, ``story``, ``kind``, ``site``, ``format`` and ``expected``, the
article text a perfect cleaner would give) and ``manifest.json``. The same
``(docs, seed)`` always gives the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import json
import random
import re
import textwrap
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import vocab

#: Bumped whenever the output for a given (docs, seed) changes, so cached
#: corpora under bench/work/ are regenerated.
GENERATOR_VERSION = 3

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "samples" / "text"

_SENTENCE_END = re.compile(r"[.!?][\"'”’)]*$")
_WORD_PARTS = re.compile(r"^(\W*)([\w’']+?)((?:[’']s)?\W*)$")


@dataclass(frozen=True)
class Base:
    """One article before publication: what every copy of it is a copy of."""

    id: str
    title: str
    paragraphs: tuple[str, ...]
    story: str
    kind: str  # seed | generated | reworded | short


@dataclass(frozen=True)
class Site:
    """An outlet: its name and the chrome it wraps every article in."""

    name: str
    domain: str
    heavy: bool
    nav: tuple[str, ...]
    share: tuple[str, ...]
    audio: tuple[str, ...]
    promos: tuple[str, ...]
    footer: tuple[str, ...]
    related_header: str


@dataclass
class Copy:
    """One published copy: the edited article and where it appeared."""

    base: Base
    title: str
    paragraphs: list[str]
    site: Site
    fmt: str  # text | html
    edits: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- bases


def read_seeds(seeds_dir: Path = SEEDS_DIR) -> list[list[str]]:
    """The sample articles as lists of paragraphs (blank-line separated)."""
    articles = []
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text) if p.strip()]
        articles.append(paragraphs)
    return articles


class MarkovChain:
    """Order-1 word chain: follows the samples' word pairs, so sentences read like news.

    Order 1 (not 2) so that long runs of a sample are rarely reproduced: two
    generated bases then share few word 5-grams, i.e. they are different stories
    to a shingle-based dedup.
    """

    def __init__(self, articles: Sequence[Sequence[str]]) -> None:
        self.next: dict[str, list[str]] = defaultdict(list)
        self.starts: list[str] = []
        for paragraphs in articles:
            words = " ".join(paragraphs).split()
            for i, word in enumerate(words):
                if i == 0 or _SENTENCE_END.search(words[i - 1]):
                    if word[:1].isupper():
                        self.starts.append(word)
                if i + 1 < len(words):
                    self.next[word].append(words[i + 1])

    def sentence(self, rng: random.Random, min_words: int = 8, max_words: int = 32) -> list[str]:
        while True:
            words = [rng.choice(self.starts)]
            while not _SENTENCE_END.search(words[-1]) and len(words) < max_words:
                followers = self.next.get(words[-1])
                if not followers:
                    break
                words.append(rng.choice(followers))
            if len(words) >= min_words:
                if not _SENTENCE_END.search(words[-1]):
                    words[-1] = words[-1].rstrip(",;:—-") + "."
                return words


def _entity_map(rng: random.Random) -> dict[str, str]:
    """Each proper noun of the samples -> this base's own (one word for one word)."""
    pools = {
        "person": vocab.FIRST_NAMES + vocab.LAST_NAMES,
        "place": vocab.PLACES,
        "org": [w for org in vocab.ORGS for w in org.split()],
        "code": [f"{a}{b}{n}" for a in "ABKPRTWZ" for b in "HJQVXY" for n in (7, 19, 42, 88, 121, 305)],
    }
    return {word: rng.choice(pools[role]) for role, words in vocab.SEED_ENTITIES.items() for word in words}


def _swap_entities(words: list[str], entities: dict[str, str]) -> list[str]:
    out = []
    for word in words:
        m = _WORD_PARTS.match(word)
        if m and m.group(2) in entities:
            word = m.group(1) + entities[m.group(2)] + m.group(3)
        out.append(word)
    return out


_FACT_TEMPLATES = (
    "{person}, {age}, a {role} at the {org}, said the {topic} in {place} had affected {n} households.",
    "The {org} confirmed on {day} that {n} people in {place} had been contacted about the {topic}.",
    "{person} told reporters in {place} that the {topic} would cost at least £{m} million to resolve.",
    "Figures released on {day} show {n} complaints about the {topic} since {year}, {person} said.",
    "A {role} from the {org}, {person}, described the {topic} as the worst in {place} since {year}.",
    "Residents of {place} were told on {day} that {n} homes could be affected by the {topic}.",
)


def _fact_sentence(rng: random.Random, cast: dict[str, str], template: str) -> str:
    """A sentence full of this base's own names and numbers (what makes stories distinct)."""
    values = dict(cast)
    values.update(
        age=rng.randint(19, 78), n=rng.randint(12, 9800), m=rng.randint(2, 480), year=rng.randint(1968, 2022),
        day=rng.choice(("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")),
        role=rng.choice(vocab.ROLES),
    )
    return template.format(**values)


def generated_base(chain: MarkovChain, rng: random.Random, base_id: str, short: bool) -> Base:
    """A new story: Markov sentences with its own names, plus fact sentences."""
    entities = _entity_map(rng)
    cast = {
        "person": f"{rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}",
        "place": rng.choice(vocab.PLACES),
        "org": rng.choice(vocab.ORGS),
        "topic": rng.choice(vocab.TOPICS),
    }
    n_paragraphs = rng.randint(2, 3) if short else rng.randint(4, 8)
    templates = rng.sample(_FACT_TEMPLATES, len(_FACT_TEMPLATES))
    paragraphs = []
    for p in range(n_paragraphs):
        sentences = [] if short and p else [_fact_sentence(rng, cast, templates[p % len(templates)])]
        for _ in range(1 if short else rng.randint(1, 3)):
            sentences.append(" ".join(_swap_entities(chain.sentence(rng, max_words=22 if short else 32), entities)))
        rng.shuffle(sentences)
        paragraphs.append(" ".join(sentences))
    title = rng.choice((
        "{topic_cap} in {place}: {person} warns of months of disruption",
        "{org} under pressure over {place} {topic}",
    "{person} speaks out as {topic} hits {place}",
        "What we know about the {place} {topic}",
        "{place} {topic}: {org} promises review",
    )).format(topic_cap=cast["topic"].capitalize(), **cast)
    return Base(base_id, title, tuple(paragraphs), story=base_id, kind="short" if short else "generated")


def reword(base: Base, rng: random.Random, new_id: str) -> Base:
    """The same story written again: synonyms, clauses moved, sentences reordered.

    A hard negative: it shares the facts and names of ``base`` (same ``story``)
    but is not a copy of it, so merging the two is a dedup error.
    """
    paragraphs = []
    for paragraph in base.paragraphs:
        sentences = re.split(r"(?<=[.!?])\s+", paragraph)
        out = []
        for sentence in sentences:
            words = [_synonym(w, rng, 0.8) for w in sentence.split()]
            text = " ".join(words)
            head, sep, tail = text.partition(", ")
            if sep and rng.random() < 0.6 and len(tail.split()) > 3:
                text = tail.rstrip(".!?") + ", " + head[:1].lower() + head[1:] + "."
                text = text[:1].upper() + text[1:]
            if rng.random() < 0.3:
                text = rng.choice(("According to those involved, ", "It is understood that ", "Reports suggest ")) + (
                    text[:1].lower() + text[1:]
                )
            out.append(text)
        rng.shuffle(out)
        paragraphs.append(" ".join(out))
    rng.shuffle(paragraphs)
    title = "Explained: " + base.title if rng.random() < 0.5 else base.title.split(":")[0] + " - the full story"
    return Base(new_id, title, tuple(paragraphs), story=base.story, kind="reworded")


def _synonym(word: str, rng: random.Random, p: float) -> str:
    m = _WORD_PARTS.match(word)
    if not m:
        return word
    core = m.group(2)
    swap = vocab.SYNONYMS.get(core.lower()) or vocab.SPELLING.get(core.lower())
    if swap and rng.random() < p:
        swap = swap[:1].upper() + swap[1:] if core[:1].isupper() else swap
        return m.group(1) + swap + m.group(3)
    return word


# --------------------------------------------------------------------------- copies


def make_sites(rng: random.Random, count: int = 36) -> list[Site]:
    """Outlets with their own chrome; the first three are the heavy-chrome ones."""
    sites = []
    names: set[str] = set()
    while len(sites) < count:
        name = "The " + " ".join(rng.sample(vocab.SITE_WORDS, 2))
        if name in names:
            continue
        names.add(name)
        heavy = len(sites) < 3
        domain = name.lower().replace("the ", "").replace(" ", "") + rng.choice((".co.uk", ".com", ".news"))
        nav = tuple(rng.sample(vocab.NAV_SECTIONS, rng.randint(9, 16) if heavy else rng.randint(5, 10)))
        m, s = rng.randint(2, 9), rng.randint(0, 59)
        audio = tuple(line.format(m=m, s=s) for line in rng.choice(vocab.AUDIO_PLAYERS))
        fill = {"site": name, "domain": domain, "year": 2023, "n": rng.randint(1, 200), "place": rng.choice(vocab.PLACES)}
        n_promos = len(vocab.PROMO_LINES) if heavy else rng.randint(0, 2)
        promos = tuple(p.format(**fill) for p in rng.sample(vocab.PROMO_LINES, n_promos))
        n_footer = len(vocab.FOOTER_LINES) if heavy else rng.randint(2, 4)
        footer = tuple(f.format(**fill) for f in rng.sample(vocab.FOOTER_LINES, n_footer))
        related = rng.choice(vocab.RELATED_HEADERS).format(site=name)
        sites.append(Site(name, domain, heavy, nav, rng.choice(vocab.SHARE_BARS), audio, promos, footer, related))
    return sites


def cluster_size(rng: random.Random) -> int:
    """How many times a story is published: mostly a few, sometimes a wire hit."""
    if rng.random() < 0.03:
        return rng.randint(15, 40)
    k = 1
    while k < 12 and rng.random() < 0.62:
        k += 1
    return k


def edit_copy(base: Base, site: Site, fmt: str, rng: random.Random, first: bool) -> Copy:
    """A copy of ``base`` as ``site`` publishes it (the first copy is unedited)."""
    copy = Copy(base, base.title, list(base.paragraphs), site, fmt)
    if first:
        return copy
    paragraphs = copy.paragraphs
    if rng.random() < 0.5:
        copy.title = rng.choice(("{t}", "WATCH: {t}", "{t} - latest", "Breaking: {t}", "{t}, says report")).format(
            t=base.title
        )
        copy.edits.append("headline")
    if rng.random() < 0.3:
        city = rng.choice(vocab.PLACES).upper()
        paragraphs[0] = f"{city} ({rng.choice(('PA', 'AP', 'Reuters', 'AFP'))}) — " + paragraphs[0]
        copy.edits.append("dateline")
    if len(paragraphs) >= 5 and rng.random() < 0.3:
        paragraphs.pop()
        copy.edits.append("cut-last")
    if len(paragraphs) >= 6 and rng.random() < 0.1:
        paragraphs.pop(rng.randrange(1, len(paragraphs) - 1))
        copy.edits.append("cut-middle")
    if rng.random() < 0.4:
        copy.paragraphs = paragraphs = [" ".join(_synonym(w, rng, 0.06) for w in p.split()) for p in paragraphs]
        copy.edits.append("words")
    return copy


def _straight_quotes(text: str) -> str:
    return text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))


def _curly_quotes(text: str) -> str:
    text = re.sub(r"(\w)'(\w)", "\\1’\\2", text)
    return re.sub(r'"([^"]*)"', "“\\1”", text)


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252, as a misconfigured CMS does: ``’`` -> ``â€™``.

    Bytes that cp1252 leaves undefined map to the Latin-1 character of the same
    value ("sloppy" cp1252, which is what such pages contain and ftfy repairs).
    """
    out = []
    for byte in text.encode("utf-8"):
        try:
            out.append(bytes([byte]).decode("cp1252"))
        except UnicodeDecodeError:
            out.append(chr(byte))
    return "".join(out)


def surface(copy: Copy, rng: random.Random) -> tuple[str, list[str], list[str]]:
    """Edits that change how the text looks but not what a cleaner should return.

    Returns (title, paragraphs as published, expected paragraphs).
    """
    expected = list(copy.paragraphs)
    title, paragraphs = copy.title, list(copy.paragraphs)
    if rng.random() < 0.5:
        title, paragraphs = _straight_quotes(title), [_straight_quotes(p) for p in paragraphs]
        copy.edits.append("straight-quotes")
    else:
        title, paragraphs = _curly_quotes(title), [_curly_quotes(p) for p in paragraphs]
        if rng.random() < 0.25:
            title, paragraphs = mojibake(title), [mojibake(p) for p in paragraphs]
            copy.edits.append("mojibake")
    if copy.fmt == "text" and rng.random() < 0.25:
        width = rng.randint(60, 80)
        paragraphs = ["\n".join(textwrap.wrap(p, width)) for p in paragraphs]
        copy.edits.append("reflow")
    return title, paragraphs, expected


def _related(rng: random.Random, titles: Sequence[str], k: int) -> list[str]:
    return [rng.choice(titles) for _ in range(k)]


def render_text(copy: Copy, title: str, paragraphs: list[str], rng: random.Random, titles: Sequence[str]) -> str:
    """The copy as a page's text: chrome lines around and inside the article."""
    site = copy.site
    lines = [site.name, " | ".join(site.nav)]
    lines += list(site.promos[:1])
    lines += [title, f"By {rng.choice(vocab.FIRST_NAMES)} {rng.choice(vocab.LAST_NAMES)}", _stamp(rng)]
    lines += list(site.share) + list(site.audio)
    inline_every = 2 if site.heavy else rng.randint(2, 4)
    for i, paragraph in enumerate(paragraphs):
        lines.append(paragraph)
        if i + 1 < len(paragraphs) and (i + 1) % inline_every == 0:
            if rng.random() < 0.5:
                lines.append(rng.choice(vocab.INLINE_LINES))
            else:
                lines.append(f"{site.related_header}: {rng.choice(titles)}")
    lines += list(site.share[:1])
    lines.append(site.related_header)
    lines += _related(rng, titles, 6 if site.heavy else 3)
    lines += list(site.promos[1:]) + list(site.footer)
    return "\n\n".join(lines) + "\n"


def render_html(copy: Copy, title: str, paragraphs: list[str], rng: random.Random, titles: Sequence[str]) -> str:
    """The copy as an HTML page: header, nav, share bar, player, asides, footer, scripts."""
    site, e = copy.site, html.escape
    slug = lambda t: re.sub(r"[^a-z0-9]+", "-", t.lower()).strip("-")[:60]  # noqa: E731
    nav = "".join(f'<li><a href="/{s.lower()}">{e(s)}</a></li>' for s in site.nav)
    share = "".join(f'<a class="share-btn" href="#">{e(s)}</a>' for s in site.share)
    audio = "".join(f"<span>{e(a)}</span>" for a in site.audio)
    promos = "".join(f'<div class="promo">{e(p)}</div>' for p in site.promos)
    body = []
    for i, paragraph in enumerate(paragraphs):
        body.append(f"<p>{e(paragraph)}</p>")
        if i + 1 < len(paragraphs) and (i + 1) % 3 == 0:
            t = rng.choice(titles)
            body.append(f'<aside class="read-more"><a href="/news/{slug(t)}">{e(site.related_header)}: {e(t)}</a></aside>')
            body.append(f'<div class="ad-slot">{e(rng.choice(vocab.INLINE_LINES))}</div>')
    related = "".join(f'<li><a href="/news/{slug(t)}">{e(t)}</a></li>' for t in _related(rng, titles, 6 if site.heavy else 4))
    footer = "".join(f"<p>{e(f)}</p>" for f in site.footer)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{e(title)} | {e(site.name)}</title>"
        '<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}</script>'
        "<style>.share-btn{margin:2px}</style></head>\n<body>"
        f'<header class="site-header"><a class="logo" href="/">{e(site.name)}</a><nav><ul>{nav}</ul></nav></header>\n'
        f"{promos}\n<main><article>"
        f"<h1>{e(title)}</h1>"
        f'<p class="byline">By {e(rng.choice(vocab.FIRST_NAMES))} {e(rng.choice(vocab.LAST_NAMES))}</p>'
        f'<time datetime="2023-09-{rng.randint(10, 30)}">{e(_stamp(rng))}</time>'
        f'<div class="share-bar">{share}</div><div class="audio-player">{audio}</div>\n'
        f'<div class="article-body">{"".join(body)}</div></article>\n'
        f'<aside class="related"><h2>{e(site.related_header)}</h2><ul>{related}</ul></aside></main>\n'
        f"<footer>{footer}</footer>"
        '<script src="/static/app.js"></script></body></html>\n'
    )


def _stamp(rng: random.Random) -> str:
    return f"Published {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}, {rng.randint(10, 30)} September 2023"


# --------------------------------------------------------------------------- corpus


def build_bases(n_docs: int, rng: random.Random, seeds: list[list[str]]) -> Iterator[tuple[Base, int]]:
    """Bases with their cluster sizes, until the sizes add up to ``n_docs``."""
    chain = MarkovChain(seeds)
    total = 0
    for i, paragraphs in enumerate(seeds):
        if total >= n_docs:
            return
        size = min(rng.randint(8, 15), n_docs - total)
        total += size
        title = " ".join(paragraphs[0].split()[:9]).rstrip(",.") + "…"
        yield Base(f"seed{i}", title, tuple(paragraphs), story="seed-story", kind="seed"), size
    n = 0
    while total < n_docs:
        n += 1
        short = rng.random() < 0.08
        base = generated_base(chain, rng, f"gen{n}", short)
        siblings = [base]
        if not short and rng.random() < 0.10:
            siblings.append(reword(base, rng, f"gen{n}r"))
        for b in siblings:
            if total >= n_docs:
                return
            size = min(rng.randint(1, 3) if short else cluster_size(rng), n_docs - total)
            total += size
            yield b, size


def generate(n_docs: int, seed: int = 0, html_share: float = 0.25, seeds_dir: Path = SEEDS_DIR) -> tuple[list[dict], list[dict]]:
    """The raw records and their truth rows, in the same (shuffled) order."""
    rng = random.Random(seed)
    seeds = read_seeds(seeds_dir)
    if not seeds:
        raise SystemExit(f"no sample articles in {seeds_dir}")
    sites = make_sites(rng)
    heavy = [s for s in sites if s.heavy]
    planned = list(build_bases(n_docs, rng, seeds))
    titles = [b.title for b, _ in planned]
    copies: list[Copy] = []
    for base, size in planned:
        pool = heavy if base.kind == "short" else sites
        chosen = [rng.choice(pool) for _ in range(size)]
        for k, site in enumerate(chosen):
            fmt = "html" if rng.random() < html_share else "text"
            copies.append(edit_copy(base, site, fmt, rng, first=k == 0))
    rng.shuffle(copies)
    records, truth = [], []
    for i, copy in enumerate(copies):
        doc_id = f"syn-{i:07d}"
        title, paragraphs, expected = surface(copy, rng)
        render = render_html if copy.fmt == "html" else render_text
        page = render(copy, title, paragraphs, rng, titles)
        url = f"https://www.{copy.site.domain}/news/{i}"
        records.append({"id": doc_id, copy.fmt: page, "source": copy.site.name, "url": url, "published": "2023-09-21"})
        truth.append({
            "id": doc_id, "cluster": copy.base.id, "story": copy.base.story, "kind": copy.base.kind,
            "site": copy.site.name, "heavy": copy.site.heavy, "format": copy.fmt, "edits": copy.edits,
            "expected": "\n\n".join(expected),
        })
    return records, truth


def write(out: Path, n_docs: int, seed: int, html_share: float = 0.25) -> dict:
    """Generate into ``out`` unless a manifest there says it already holds this corpus."""
    params = {"docs": n_docs, "seed": seed, "html_share": html_share, "generator_version": GENERATOR_VERSION}
    manifest_path = out / "manifest.json"
    if manifest_path.exists():
        manifest = json.loads(manifest_path.read_text())
        if manifest.get("params") == params and (out / "raw.jsonl").exists():
            return manifest
    records, truth = generate(n_docs, seed, html_share)
    out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with open(out / "raw.jsonl", "w", encoding="utf-8") as f:
        for record in records:
            line = json.dumps(record, ensure_ascii=False) + "\n"
            digest.update(line.encode("utf-8"))
            f.write(line)
    with open(out / "truth.jsonl", "w", encoding="utf-8") as f:
        for row in truth:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts: dict[str, int] = defaultdict(int)
    for row in truth:
        counts[f"kind:{row['kind']}"] += 1
        counts[f"format:{row['format']}"] += 1
        for edit in row["edits"]:
            counts[f"edit:{edit}"] += 1
    manifest = {
        "params": params,
        "documents": len(records),
        "clusters": len({row["cluster"] for row in truth}),
        "stories": len({row["story"] for row in truth}),
        "bytes": (out / "raw.jsonl").stat().st_size,
        "sha256": digest.hexdigest(),
        "counts": dict(sorted(counts.items())),
    }
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, required=True, help="number of documents")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--html-share", type=float, default=0.25, help="share of copies published as HTML pages")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    manifest = write(args.out, args.docs, args.seed, args.html_share)
    print(json.dumps({k: manifest[k] for k in ("documents", "clusters", "stories", "bytes")}))


if __name__ == "__main__":
    main()
