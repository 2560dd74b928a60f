"""Related coverage: the seeds are one story; unrelated local articles are not."""

from __future__ import annotations

import itertools

from corpus.dedup import DedupConfig, Deduplicator
from corpus.dedup.normalize import tokens
from corpus.dedup.shingles import shingles
from corpus.dedup.story import assign_stories, salient_terms, story_id
from corpus.document import Document
from test_dedup_texts import UNRELATED, seed_texts


def test_seeds_are_rewordings_not_copies():
    sets = [set(shingles(tokens(t), 5)) for t in seed_texts()]
    assert max(len(a & b) / len(a | b) for a, b in itertools.combinations(sets, 2)) < 0.01


def test_seeds_share_one_story_and_unrelated_articles_do_not_join():
    docs = [Document(f"seed-{i}", t) for i, t in enumerate(seed_texts())]
    docs += [Document(k, t) for k, t in UNRELATED.items()]
    result = Deduplicator(DedupConfig()).run(docs)
    assert result.merged == []  # the annotation removes nothing
    stories = {d.id: d.story for d in result.kept}
    assert {stories[f"seed-{i}"] for i in range(5)} == {story_id([f"seed-{i}" for i in range(5)])}
    assert all(stories[k] is None for k in UNRELATED)


def test_story_ids_do_not_depend_on_order():
    texts = seed_texts()[:3] + [UNRELATED["car_theft"]]
    ids = ["c", "a", "b", "z"]
    forward = dict(zip(ids, assign_stories(ids, texts)))
    backward = dict(zip(ids[::-1], assign_stories(ids[::-1], texts[::-1])))
    assert forward == backward and forward["a"] == story_id(["a"]) and forward["z"] is None


def test_story_can_be_switched_off():
    docs = [Document(f"s{i}", t) for i, t in enumerate(seed_texts())]
    assert all(d.story is None for d in Deduplicator(DedupConfig(story=False)).run(docs).kept)


def test_salient_terms_are_names_and_numbers():
    assert salient_terms("After the charge, Home Secretary Suella Braverman spoke to 200 officers.") == [
        "home", "secretary", "suella", "braverman", "home secretary suella braverman", "200",
    ]
