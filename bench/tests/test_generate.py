"""The generator: deterministic, truthful, and hard in the ways it claims."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict

import pytest

from bench import generate
from corpus.dedup.normalize import tokens


def shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = tokens(text)
    return {tuple(words[i : i + n]) for i in range(max(1, len(words) - n + 1))}


def jaccard(a: str, b: str) -> float:
    x, y = shingles(a), shingles(b)
    return len(x & y) / len(x | y)


@pytest.fixture(scope="module")
def corpus():
    return generate.generate(600, seed=3)


def test_same_seed_same_output_other_seed_other_output(corpus):
    again = generate.generate(600, seed=3)
    assert json.dumps(corpus) == json.dumps(again)
    assert json.dumps(generate.generate(600, seed=4)[0]) != json.dumps(corpus[0])


def test_every_document_has_truth_and_exactly_the_size_asked(corpus):
    records, truth = corpus
    assert len(records) == len(truth) == 600
    assert [r["id"] for r in records] == [t["id"] for t in truth]
    assert len({r["id"] for r in records}) == 600
    assert {"text", "html"} == {("html" if "html" in r else "text") for r in records}


def test_hard_negatives_are_present_and_distinct(corpus):
    _, truth = corpus
    kinds = {t["kind"] for t in truth}
    assert {"seed", "generated", "reworded", "short"} <= kinds
    first = {}
    for t in truth:
        first.setdefault(t["cluster"], t)
    # A reworded base tells its original's story in other words: far below any dedup threshold.
    for cluster, t in first.items():
        if t["kind"] == "reworded":
            original = first.get(t["story"])
            if original is not None:
                assert jaccard(t["expected"], original["expected"]) < 0.5


def test_different_bases_share_few_shingles(corpus):
    _, truth = corpus
    first = {}
    for t in truth:
        first.setdefault(t["cluster"], t)
    bases = [t for t in first.values() if t["kind"] == "generated"][:40]
    assert max(jaccard(a["expected"], b["expected"]) for a, b in itertools.combinations(bases, 2)) < 0.35


def test_copies_carry_the_edits_they_claim(corpus):
    records, truth = corpus
    by_id = {r["id"]: r for r in records}
    seen = defaultdict(int)
    for t in truth:
        page = by_id[t["id"]].get("text") or by_id[t["id"]]["html"]
        for edit in t["edits"]:
            seen[edit] += 1
        if "mojibake" in t["edits"]:
            assert "â€" in page
        if "dateline" in t["edits"]:
            assert "— " in t["expected"].split("\n\n")[0]
    assert {"headline", "dateline", "cut-last", "words", "mojibake", "reflow", "straight-quotes"} <= set(seen)


def test_mojibake_is_utf8_read_as_cp1252():
    assert generate.mojibake("London’s") == "Londonâ€™s"
