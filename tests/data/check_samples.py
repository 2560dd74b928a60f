"""Check the samples against ``tests/data/samples_truth.json`` and print their measurements.

Run: ``.venv/bin/python tests/data/check_samples.py``. It exits non-zero, naming
the sample, when a promise that ``samples/README.md`` makes does not hold:

- every document id in the truth file is a sample and every sample is in exactly one group;
- every sentence of seed 003's body comes out of each HTML copy of it
  (``trafilatura.extract(html, include_comments=False, deduplicate=False)``),
  except the paragraphs a copy cut on purpose;
- ``ftfy.fix_text`` turns the mojibake page back into its clean source;
- pairs in ``must_not_merge`` have a word 5-gram Jaccard below 0.1 (the reworded
  and quoting articles against the seeds) or below 0.3 (the rest), and copies in a group are
  above 0.5 with the group's seed;
- the late copy in ``tests/data/incremental/`` keeps every body sentence and is above
  0.5 with its group's seed, and the new article there is below 0.1 with every sample.

The Jaccard here is a plain reference (lowercase, accents and quote styles
folded, ``\\w+`` tokens) so the numbers in the README can be reproduced; the
dedup package has its own normalisation.
"""

from __future__ import annotations

import gzip
import itertools
import json
import re
import sys
import unicodedata
from pathlib import Path

import ftfy
import trafilatura
from warcio.archiveiterator import ArchiveIterator

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
TRUTH = ROOT / "tests" / "data" / "samples_truth.json"
MOJIBAKE_SOURCE = ROOT / "tests" / "data" / "sample_sources" / "metrobulletin-mod-soldiers.html"
SEED_003 = SAMPLES / "text" / "003_45cc1c45fa8d7dc6.txt"
INCREMENTAL = ROOT / "tests" / "data" / "incremental"
# Paragraphs of seed 003 a copy dropped on purpose (the "cut last paragraphs" copy).
CUT_ON_PURPOSE = {"eveninglantern-mod-soldiers": 2}


def extract(html: str) -> str:
    return trafilatura.extract(html, include_comments=False, deduplicate=False) or ""


def load_samples() -> dict[str, str]:
    """Every sample document id -> its article text (extracted from HTML where needed)."""
    docs: dict[str, str] = {}
    for path in sorted((SAMPLES / "text").glob("*.txt")):
        docs[path.stem] = path.read_text(encoding="utf-8")
    for path in sorted((SAMPLES / "html").glob("*.html")):
        # Repair before extracting: trafilatura drops the C1 control U+009D that
        # a mis-decoded closing quote ends with, after which ftfy cannot repair it.
        docs[path.stem] = extract(ftfy.fix_text(path.read_text(encoding="utf-8"), uncurl_quotes=False))
    for path in sorted((SAMPLES / "jsonl").glob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                docs[rec["id"]] = rec["text"] if "text" in rec else extract(rec["html"])
    for path in sorted((SAMPLES / "warc").glob("*.warc.gz")):
        with path.open("rb") as f:
            for record in ArchiveIterator(f):
                ctype = record.http_headers.get_header("Content-Type", "") if record.http_headers else ""
                if record.rec_type == "response" and ctype.startswith("text/html"):
                    docs[record.rec_headers.get_header("WARC-Record-ID")] = extract(record.content_stream().read().decode("utf-8"))
    return docs


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.translate(str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"'}))
    words = re.findall(r"\w+", text)
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def seed_003_sentences() -> list[list[str]]:
    """Seed 003's body paragraphs (after the audio-player lines), each as its sentences."""
    lines = SEED_003.read_text(encoding="utf-8").splitlines()
    body = [line for line in lines[lines.index("|") + 1 :] if line != "Chris Kaba"]  # an image caption
    return [re.split(r"(?<=[.”])\s+(?=[“A-Z])", line) for line in body]


def main() -> int:
    truth = json.loads(TRUTH.read_text(encoding="utf-8"))
    docs = load_samples()
    problems: list[str] = []

    grouped = [i for ids in truth["groups"].values() for i in ids]
    for doc_id in sorted(set(grouped) ^ set(docs)):
        problems.append(f"{doc_id}: in {'the truth file' if doc_id in grouped else 'samples'} only")
    problems += [f"{i}: in more than one group" for i in sorted({i for i in grouped if grouped.count(i) > 1})]
    problems += [f"{i}: story id is not a sample" for i in truth["story"] if i not in docs]

    paragraphs = seed_003_sentences()
    for doc_id in truth["groups"]["seed-003"][1:]:
        keep = len(paragraphs) - CUT_ON_PURPOSE.get(doc_id, 0)
        missing = [s for p in paragraphs[:keep] for s in p if s not in docs[doc_id]]
        present_cut = [s for p in paragraphs[keep:] for s in p if s in docs[doc_id]]
        problems += [f"{doc_id}: body sentence not extracted: {s[:60]}..." for s in missing]
        problems += [f"{doc_id}: cut sentence still present: {s[:60]}..." for s in present_cut]
        print(f"{doc_id}: {sum(map(len, paragraphs[:keep]))} body sentences extracted, {len(missing)} missing")

    mojibake = (SAMPLES / "html" / "metrobulletin-mod-soldiers-mojibake.html").read_text(encoding="utf-8")
    if ftfy.fix_text(mojibake, uncurl_quotes=False) != MOJIBAKE_SOURCE.read_text(encoding="utf-8"):
        problems.append("metrobulletin-mod-soldiers-mojibake: ftfy.fix_text does not restore its source")
    print(f"mojibake page repaired by ftfy.fix_text: {'no' if problems and 'ftfy' in problems[-1] else 'yes'}")

    print("\ncopies vs their group's first member (word 5-gram Jaccard):")
    for name, ids in truth["groups"].items():
        for doc_id in ids[1:]:
            j = jaccard(docs[ids[0]], docs[doc_id])
            print(f"  {name}: {doc_id} {j:.3f}")
            if j <= 0.5:
                problems.append(f"{doc_id}: Jaccard {j:.3f} with {ids[0]} is too low for a copy")

    hard = {"feed-southbankobserver-army-standby", "feed-civicreview-marksman-and-the-law"}
    print("\nmust-not-merge pairs (word 5-gram Jaccard):")
    for a, b in truth["must_not_merge"]:
        j = jaccard(docs[a], docs[b])
        limit = 0.1 if hard & {a, b} else 0.3
        print(f"  {a} / {b}: {j:.3f}")
        if j >= limit:
            problems.append(f"{a} / {b}: Jaccard {j:.3f} is not below {limit}")

    print("\nincremental inputs:")
    late = {path.stem: extract(path.read_text(encoding="utf-8")) for path in sorted(INCREMENTAL.glob("*.html"))}
    late |= {path.stem: path.read_text(encoding="utf-8") for path in sorted(INCREMENTAL.glob("*.txt"))}
    for doc_id in sorted(set(late) ^ set(truth["incremental"]["joins"]) ^ set(truth["incremental"]["new"])):
        problems.append(f"{doc_id}: incremental input and truth file disagree")
    for doc_id, group in truth["incremental"]["joins"].items():
        missing = [s for p in paragraphs for s in p if s not in late[doc_id]]
        j = jaccard(docs[truth["groups"][group][0]], late[doc_id])
        print(f"  {doc_id} joins {group}: Jaccard {j:.3f}, {len(missing)} body sentences missing")
        problems += [f"{doc_id}: body sentence not extracted: {s[:60]}..." for s in missing]
        if j <= 0.5:
            problems.append(f"{doc_id}: Jaccard {j:.3f} is too low to join {group}")
    for doc_id in truth["incremental"]["new"]:
        j, other = max((jaccard(late[doc_id], text), i) for i, text in docs.items())
        print(f"  {doc_id} is new: highest Jaccard {j:.3f} (with {other})")
        if j >= 0.1:
            problems.append(f"{doc_id}: Jaccard {j:.3f} with {other} is not below 0.1")

    print("\nhighest Jaccard across different groups:")
    group_of = {i: g for g, ids in truth["groups"].items() for i in ids}
    worst = max(
        ((jaccard(docs[a], docs[b]), a, b) for a, b in itertools.combinations(sorted(docs), 2) if group_of[a] != group_of[b]),
    )
    print(f"  {worst[1]} / {worst[2]}: {worst[0]:.3f}")

    for p in problems:
        print("PROBLEM:", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
