"""Rebuild the generated sample files from their hand-written sources.

Run from anywhere: ``.venv/bin/python tests/data/make_samples.py``. The output is
byte-for-byte the same on every run (fixed WARC record ids and dates, gzip
streams with mtime 0 and no file name), so a rerun that changes a committed file
means its source changed.

What is generated, and from what (see ``samples/README.md`` for what each
sample is for):

- ``samples/html/metrobulletin-mod-soldiers-mojibake.html``: the hand-written page
  ``tests/data/sample_sources/metrobulletin-mod-soldiers.html`` after its UTF-8
  bytes were decoded as Windows-1252, as a crawler that ignores the charset does.
- ``samples/jsonl/wire_feed.jsonl``: edited copies of seeds 001 and 002 (the edits
  are listed below as data), a reworded same-story article, and a page from
  another outlet that quotes one paragraph of seed 003.
- ``samples/jsonl/southwark_ledger.jsonl.gz``: three short local articles that
  share one outlet's footer block.
- ``samples/warc/riversidegazette.warc.gz``: a crawl of two hand-written pages in
  ``tests/data/sample_sources/`` plus an image that readers must skip.
"""

from __future__ import annotations

import gzip
import io
import json
import struct
import textwrap
import zlib
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  (registers the "sloppy-windows-1252" codec)
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
SOURCES = ROOT / "tests" / "data" / "sample_sources"
SEEDS = SAMPLES / "text"


# --- encoding damage ---------------------------------------------------------


def mojibake(text: str) -> str:
    """UTF-8 text as it reads after being decoded as Windows-1252.

    ``"don’t"`` -> ``"donâ€™t"``; ``"“full backing”"`` -> ``"â€œfull backingâ€\\x9d"``.
    The "sloppy" codec maps the five bytes Windows-1252 leaves undefined (0x81,
    0x8D, 0x8F, 0x90, 0x9D) to the C1 controls U+0081... as browsers do, so the
    damage is reversible (``ftfy.fix_text`` undoes it) rather than lossy.
    """
    return text.encode("utf-8").decode("sloppy-windows-1252")


# --- JSONL records -----------------------------------------------------------

# Seed 001 as another outlet ran it: its own headline, the scraper's " date ..."
# prefix gone, three words changed, three typos, and the last paragraph cut.
SEED_001_HEADLINE = "Met Police weighs Army support as armed officers step back"
SEED_001_EDITS: list[tuple[str, str]] = [
    (" date 2023-11-15 ", ""),
    ("is exploring the possibility", "is considering the possibility"),
    ("during this challenging period", "during this difficult period"),
    ("sparked widespread protests", "sparked widespread demonstrations"),
    ("Commissioner Mark Rowley", "Comissioner Mark Rowley"),
    ("applied fairly and consistently", "applied fairly and consistantly"),
    ("potential ramifications", "potential ramafications"),
]

REWORDED = """\
Army placed on standby to cover for Met marksmen

Troops could be drafted in to help London's police after scores of specialist marksmen put down their weapons in solidarity with a colleague now facing trial for murder.

Defence chiefs agreed over the weekend to make military personnel available to Scotland Yard, though only for counter-terror work and only if no police unit can respond. Soldiers will not be seen on ordinary street patrols, the force stressed.

The walkout began on Wednesday, when prosecutors announced that the officer who shot Chris Kaba, identified in court only by the code NX121, would stand trial. Kaba, 24, was hit by one bullet through the windscreen of a car he had been driving in Streatham in September last year. He was unarmed. The vehicle, which was not registered to him, had been connected by detectives to a firearms incident a day earlier.

By Sunday well over a hundred marksmen had surrendered the accreditation that lets them carry guns, leaving commanders scrambling to borrow armed units from neighbouring forces.

Suella Braverman responded by ordering an urgent look at the legal framework for armed officers, saying they take life-or-death choices in seconds and deserve her backing. Sir Mark Rowley, who leads the Met, wrote to her asking for clearer safeguards for marksmen who follow their training, arguing that investigations drag on for years and that misconduct cases should be settled far faster.

Campaigners close to the Kaba family said the protest amounted to pressure on the courts and warned it could deepen mistrust of the Met among Black Londoners.
"""

# An opinion page from another outlet. Its fifth paragraph is one line of seed
# 003 word for word: a quotation several outlets carry is prose, not chrome.
QUOTING_PAGE = """\
<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<title>The marksman, the law and a trial still to come | The Civic Review</title>
<link rel="canonical" href="https://civicreview.example/comment/2023/09/27/the-marksman-the-law-and-a-trial-still-to-come">
<meta property="og:site_name" content="The Civic Review">
<meta property="article:published_time" content="2023-09-27T12:00:00+01:00">
</head>
<body>
<nav><a href="/">The Civic Review</a> <a href="/comment">Comment</a> <a href="/law">Law</a> <a href="/subscribe">Subscribe</a></nav>
<article>
<h1>The marksman, the law and a trial still to come</h1>
<p class="byline">By Miriam Oduya, legal affairs editor</p>
<p>Few jobs ask a person to decide in under a second whether to end a life, and then to defend that choice for years. That is the bargain armed officers accept, and this week many of them said it had become a bad one.</p>
<p>Their protest is aimed less at the prosecution of one colleague than at a process they describe as slow, opaque and indifferent to the pressures of the moment. Inquiries by the police watchdog can run for half a decade; misconduct hearings can follow acquittals.</p>
<p>Yet a jury, not a petition of firearms permits, must decide whether the shot that killed Chris Kaba was lawful. Any reform that looks like a promise of immunity would damage the trust that policing by consent depends on.</p>
<p>The commissioner has tried to hold both ideas at once. His letter to the Home Office asks for speed as well as protection.</p>
<p>“Officers need sufficient legal protection to enable them to do their job and keep the public safe, and the confidence that it will be applied consistently and without fear or favour,” he wrote.</p>
<p>That is a reasonable request. It should be answered by clearer guidance on the use of force and by deadlines for investigators, not by a law that treats one profession differently from the citizens it serves.</p>
</article>
<footer><p>© 2023 The Civic Review. Comment is free; facts are checked.</p></footer>
</body>
</html>
"""

# One outlet's footer block, the same under every article it publishes. No
# generic rule names these lines; only seeing them under unrelated articles of
# one source shows they are chrome.
LEDGER_CHROME = """\
Related stories
Peckham Rye bandstand restoration wins lottery backing
Walworth Road traders fight parking charge rise
Sign up for the Ledger Weekly: Southwark's news in your inbox every Friday
Support independent local journalism: become a Ledger member from £3 a month
Got a story? Email newsdesk@southwark-ledger.example or call 020 7946 0321
The Southwark Ledger — independent news for south London since 1998
© 2023 Ledger Community Media CIC. Registered in England No. 04112233"""

LEDGER_ARTICLES: list[dict[str, str]] = [
    {
        "id": "ledger-camberwell-library",
        "slug": "camberwell-library-reopens-with-longer-hours",
        "published": "2023-09-20",
        "text": """\
Camberwell library reopens with longer evening hours

Camberwell Library on Camberwell Green reopened on Monday after a six-week closure for roof repairs, and it will now stay open until 8pm on weekdays.

Southwark Council said the later closing time follows a survey in which more than 1,400 residents asked for somewhere quiet to study after work. The ground floor has also gained twelve new computers and a bookable room for community groups.

Head librarian Tomasz Wrobel said the leak that forced the closure had damaged fewer than fifty books, all of which have been replaced. A homework club for secondary pupils starts on 2 October, and the Saturday rhyme-time sessions for toddlers return this weekend.""",
    },
    {
        "id": "ledger-rotherhithe-pier",
        "slug": "rotherhithe-ferry-pier-to-close-for-repairs",
        "published": "2023-09-22",
        "text": """\
Rotherhithe ferry pier to close for three weeks of repairs

The pier serving the Rotherhithe to Canary Wharf ferry will close from 9 October for three weeks while corroded steel piles are replaced, the operator has announced.

Passengers are advised to use the Jubilee line from Canada Water or the shuttle bus that will run every ten minutes from Hope Sufferance Wharf during peak hours. Cyclists, who make up around a third of morning passengers, are being offered free hire bikes for the period.

The pier was last strengthened in 2009. A spokesperson for the operator apologised for the disruption and said the work had been timed to avoid the busier summer months.""",
    },
    {
        "id": "ledger-bermondsey-mural",
        "slug": "bermondsey-pupils-paint-railway-arch-mural",
        "published": "2023-09-26",
        "text": """\
Bermondsey pupils paint mural on railway arch

Pupils from two Bermondsey primary schools have spent the past fortnight painting a forty-metre mural along the railway arches on Druid Street.

The design, chosen by a vote of parents and children, shows the history of the area from its leather tanneries and biscuit factory to the food market that draws visitors today. Professional artists from a local studio helped the children scale up their sketches and handled the work above head height.

Network Rail gave permission for the project and a neighbourhood fund paid for the paint. The mural will be unveiled on Saturday with music from the schools' steel band.""",
    },
]


def edited_seed_001() -> str:
    """Seed 001 with ``SEED_001_EDITS`` applied and its last paragraph cut."""
    text = (SEEDS / "001_9f6d73feaf8bfb0f.txt").read_text(encoding="utf-8")
    for old, new in SEED_001_EDITS:
        if text.count(old) != 1:
            raise ValueError(f"seed 001 edit {old!r} must match exactly once")
        text = text.replace(old, new)
    paragraphs = text.strip().split("\n\n")
    return SEED_001_HEADLINE + "\n\n" + "\n\n".join(paragraphs[:-1]) + "\n"


def straight_quoted_seed_002() -> str:
    """Seed 002 with straight quotes and every paragraph hard-wrapped at 66 columns."""
    text = (SEEDS / "002_9424a0f75d81eaf2.txt").read_text(encoding="utf-8")
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))
    paragraphs = text.strip().split("\n\n")
    return "\n\n".join(textwrap.fill(p, width=66, break_on_hyphens=False) for p in paragraphs) + "\n"


def wire_feed_records() -> list[dict[str, str]]:
    """The records of ``samples/jsonl/wire_feed.jsonl``, in file order."""
    return [
        {
            "id": "feed-thamesidedaily-army-support",
            "text": edited_seed_001(),
            "source": "thamesidedaily.example",
            "url": "https://thamesidedaily.example/news/met-police-weighs-army-support",
            "published": "2023-09-26",
            "lang": "en",
        },
        {
            "id": "feed-nightdesk-police-beg-for-support",
            "text": straight_quoted_seed_002(),
            "source": "nightdesk.example",
            "url": "https://nightdesk.example/uk/police-beg-for-support-after-officers-protest",
            "published": "2023-09-25",
            "lang": "en",
        },
        {
            "id": "feed-southbankobserver-army-standby",
            "text": REWORDED,
            "source": "southbankobserver.example",
            "url": "https://southbankobserver.example/2023/09/25/army-placed-on-standby-met-marksmen",
            "published": "2023-09-25",
            "lang": "en",
        },
        {
            "id": "feed-civicreview-marksman-and-the-law",
            "html": QUOTING_PAGE,
            "source": "civicreview.example",
            "url": "https://civicreview.example/comment/2023/09/27/the-marksman-the-law-and-a-trial-still-to-come",
            "published": "2023-09-27",
            "lang": "en",
        },
    ]


def ledger_records() -> list[dict[str, str]]:
    """The records of ``samples/jsonl/southwark_ledger.jsonl.gz``: article + shared chrome."""
    return [
        {
            "id": a["id"],
            "text": a["text"] + "\n\n" + LEDGER_CHROME + "\n",
            "source": "southwark-ledger.example",
            "url": f"https://southwark-ledger.example/news/{a['slug']}",
            "published": a["published"],
            "lang": "en",
        }
        for a in LEDGER_ARTICLES
    ]


def jsonl_bytes(records: list[dict[str, str]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records).encode("utf-8")


def gzip_bytes(data: bytes) -> bytes:
    """Gzip with no timestamp and no file name, so equal input gives equal bytes."""
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", mtime=0, filename="") as f:
        f.write(data)
    return buf.getvalue()


# --- WARC --------------------------------------------------------------------

WARCINFO_ID = "<urn:uuid:5b0c1d2e-0000-4000-8000-000000000001>"
WARC_RESPONSES: list[dict[str, str]] = [
    {
        "id": "<urn:uuid:5b0c1d2e-0000-4000-8000-000000000002>",
        "date": "2023-09-25T11:31:07Z",
        "uri": "https://riversidegazette.example/news/2023/09/25/soldiers-could-back-up-met-armed-police",
        "source": "riversidegazette-mod-soldiers.html",
        "content_type": "text/html; charset=utf-8",
    },
    {
        "id": "<urn:uuid:5b0c1d2e-0000-4000-8000-000000000003>",
        "date": "2023-09-25T11:31:09Z",
        "uri": "https://riversidegazette.example/news/2023/09/25/tooting-lido-to-reopen-after-refurbishment",
        "source": "riversidegazette-tooting-lido.html",
        "content_type": "text/html; charset=utf-8",
    },
    {
        "id": "<urn:uuid:5b0c1d2e-0000-4000-8000-000000000004>",
        "date": "2023-09-25T11:31:10Z",
        "uri": "https://riversidegazette.example/static/img/logo.png",
        "source": "",  # generated: a 1x1 PNG
        "content_type": "image/png",
    },
]


def tiny_png() -> bytes:
    """A valid 1x1 grey PNG, built here so the WARC needs no binary source file."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00\x80")) + chunk(b"IEND", b"")


def warc_bytes() -> bytes:
    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=True, warc_version="1.0")
    info = writer.create_warcinfo_record(
        "riversidegazette.warc.gz",
        {"software": "corpus sample generator", "format": "WARC File Format 1.0", "description": "sample crawl of riversidegazette.example"},
    )
    info.rec_headers.replace_header("WARC-Record-ID", WARCINFO_ID)
    info.rec_headers.replace_header("WARC-Date", "2023-09-25T11:31:05Z")
    writer.write_record(info)
    for rec in WARC_RESPONSES:
        body = (SOURCES / rec["source"]).read_bytes() if rec["source"] else tiny_png()
        http_headers = StatusAndHeaders(
            "200 OK",
            [("Content-Type", rec["content_type"]), ("Content-Length", str(len(body)))],
            protocol="HTTP/1.1",
        )
        record = writer.create_warc_record(
            rec["uri"],
            "response",
            payload=io.BytesIO(body),
            length=len(body),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Record-ID": rec["id"], "WARC-Date": rec["date"]},
        )
        writer.write_record(record)
    return buf.getvalue()


def main() -> None:
    outputs = {
        SAMPLES / "html" / "metrobulletin-mod-soldiers-mojibake.html": mojibake(
            (SOURCES / "metrobulletin-mod-soldiers.html").read_text(encoding="utf-8")
        ).encode("utf-8"),
        SAMPLES / "jsonl" / "wire_feed.jsonl": jsonl_bytes(wire_feed_records()),
        SAMPLES / "jsonl" / "southwark_ledger.jsonl.gz": gzip_bytes(jsonl_bytes(ledger_records())),
        SAMPLES / "warc" / "riversidegazette.warc.gz": warc_bytes(),
    }
    for path, data in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {path.relative_to(ROOT)} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
