"""Story grouping: the sample write-ups are one story; unrelated articles are not; every document gets one."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import corpus
from corpus.dedup import DedupConfig, Deduplicator
from corpus.dedup.normalize import tokens
from corpus.dedup.shingles import shingles
from corpus.dedup import story as story_module
from corpus.dedup.story import assign_stories, average_linkage, read_terms, story_id, story_terms
from corpus.document import Document
from corpus.errors import ConfigError
from test_dedup_texts import UNRELATED, seed_texts

SEMEVAL = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data" / "semeval-2022-task8-sample"


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
    assert all(stories[k] == story_id([k]) for k in UNRELATED)  # each alone, in a story of its own


def test_story_ids_do_not_depend_on_order():
    texts = seed_texts()[:3] + [UNRELATED["car_theft"]]
    ids = ["c", "a", "b", "z"]
    forward = dict(zip(ids, assign_stories(ids, texts)))
    backward = dict(zip(ids[::-1], assign_stories(ids[::-1], texts[::-1])))
    assert forward == backward and forward["a"] == story_id(["a"]) and forward["z"] == story_id(["z"])


def test_story_can_be_switched_off():
    docs = [Document(f"s{i}", t) for i, t in enumerate(seed_texts())]
    assert all(d.story is None for d in Deduplicator(DedupConfig(story=False)).run(docs).kept)


def test_library_function_annotates_copies():
    docs = [Document(f"s{i}", t) for i, t in enumerate(seed_texts())]
    annotated = corpus.stories(docs)
    assert [d.story for d in docs] == [None] * 5  # the documents given are not changed
    assert {d.story for d in annotated} == {story_id([d.id for d in docs])}


def test_publication_window_keeps_far_apart_write_ups_apart():
    texts = seed_texts()[:2]
    dates = ["2023-09-20", "2024-03-01"]
    assert len(set(assign_stories(["a", "b"], texts, published=dates))) == 1
    assert len(set(assign_stories(["a", "b"], texts, published=dates, window_days=30))) == 2
    assert len(set(assign_stories(["a", "b"], texts, published=[dates[0], None], window_days=30))) == 1  # unknown: no window


def test_window_must_be_a_whole_number_of_days():
    with pytest.raises(ConfigError, match="story_window_days"):
        DedupConfig(story_window_days=-1)


def test_average_linkage_does_not_chain():
    # a-b and b-c are close, a-c far: single links would make one group; the mean over {a, b} and c is too low.
    i, j, s = np.array([0, 1]), np.array([1, 2]), np.array([0.9, 0.5])
    assert average_linkage(3, i, j, s, 0.4) == [0, 0, 2]
    assert average_linkage(3, i, j, s, 0.2) == [0, 0, 0]  # (0.5 + 0) / 2 >= 0.2


@pytest.mark.parametrize("text, expected", [
    ("Officers said 24 officers", ["offi", "said", "24", "offi"]),  # cut to the crude stem, numbers whole
    ("Rząd ogłosił", ["rzad", "ogło"]),  # accents folded (ł is a letter of its own)
    ("伦敦警察 Met", ["伦", "敦", "警", "察", "伦敦", "敦警", "警察", "met"]),  # unspaced script: characters, bigrams
    ("الصحة العالمية", ["صحه", "عالم"]),  # the article cut, taa marbuta unified
    ("İspanya'nın", ["ispa", "nın"]),
])
def test_story_terms_in_several_scripts(text, expected):
    assert story_terms(text) == expected


def test_semeval_same_event_pairs_mostly_share_a_story():
    """Real rated pairs (skipped without ../shared): most same-event pairs share a story, few different ones do."""
    if not (SEMEVAL / "pairs.csv.gz").exists():
        pytest.skip(f"the SemEval sample is not at {SEMEVAL}")
    from bench.stories import pair_scores, semeval

    texts, pairs = semeval(SEMEVAL)
    ids = sorted(texts)
    scores = pair_scores(dict(zip(ids, assign_stories(ids, [texts[i] for i in ids]))), pairs)["all"]["same-language"]
    assert scores["recall"] >= 0.8 and scores["false"] <= 0.03  # the acceptance bars of issue #12


def test_pipeline_sets_the_story_keys_and_names_a_bad_one():
    from corpus.pipeline import pipeline_from_dict

    dedup = pipeline_from_dict({"dedup": {"story": True, "story_threshold": 0.3, "story_window_days": 7}}).dedup
    assert (dedup.story, dedup.story_threshold, dedup.story_window_days) == (True, 0.3, 7)
    with pytest.raises(ConfigError, match="story_window_days"):
        pipeline_from_dict({"dedup": {"story_window_days": "a week"}}, "p.toml")


CHROME = ("We use cookies and similar technologies to improve the functions of our website, to show you the most "
          "relevant news and advertising, and to collect anonymous technical data about how visitors use our pages. "
          "By clicking accept you agree to this; you can change your choice at any time in the privacy settings.")


def test_text_other_documents_hold_too_does_not_link_them(monkeypatch):
    """Two unrelated articles under one site's long cookie notice: the notice alone would make them one story."""
    ids = ["bins", "school"]
    texts = [f"{k.title()} news\n{CHROME}\n{UNRELATED[k]}" for k in ids]
    assert len(set(assign_stories(ids, texts))) == 2
    monkeypatch.setattr(story_module, "PASSAGE", 2**20)  # no run is ever long enough to be left out
    assert len(set(assign_stories(ids, texts))) == 1


def test_copies_share_a_story_though_all_their_text_is_repeated():
    """A copy's shared text is what it is: not left out when that would take most of the document."""
    text = seed_texts()[0]
    ids = ["a", "b", "c", "d"]
    texts = [text, text, text.replace("officers", "police officers") + "\nMore on our site.", UNRELATED["bins"]]
    stories = assign_stories(ids, texts)
    assert stories[0] == stories[1] == stories[2] == story_id(["a", "b", "c"]) and stories[3] == story_id(["d"])


def test_reading_keeps_the_terms_and_bigrams_of_the_story_terms():
    """Unspaced runs cut between the lede and the rest still make their bigram; the lede is counted apart."""
    text = "伦敦警察拒绝携带枪支" * 40 + " Met 24"
    reading = read_terms(text)
    top = text[: story_module.MAX_CHARS]
    unigrams = [t for t in story_terms(top) if len(t) == 1 or not story_module._UNSPACED.match(t)]
    assert list(reading.terms) == unigrams
    assert sum(reading.joined) == sum(1 for t in story_terms(top) if len(t) == 2 and story_module._UNSPACED.match(t))
    assert reading.lede == story_module.LEDE_CHARS  # the first 300 characters, one term each


EDGE_TEXTS = [
    "", "a b", "ab 12 abc abcd abcde 1234567890123 x9 nx121 2022 ABCD_efgh", "Café “Kaba” ½ £24 ﬁle",
    "伦敦警察拒绝携带枪支" * 40 + " Met 24",  # an unspaced run the lede's end cuts
    "Officers " * 30 + "警察拒绝携带枪支" * 200,  # an ASCII lede, the rest not
    "الصحة العالمية " * 30 + "Met police 2022",
    "x" * 2500,  # no space where the lede or the reading ends
]


def test_batch_reading_reads_each_text_as_read_terms_does(monkeypatch):
    texts = EDGE_TEXTS + seed_texts() + list(UNRELATED.values())
    monkeypatch.setattr(story_module, "READ_BATCH", 3)  # several batches: the stems met stay numbered alike
    assert list(story_module.read_terms_batch(texts)) == [read_terms(t) for t in texts]


@given(st.lists(st.text(alphabet="abcXYZ019 ,._-éł伦敦ةال\n", max_size=400), max_size=6))
@settings(max_examples=150, deadline=None)
def test_batch_reading_equals_read_terms_on_any_text(texts):
    assert list(story_module.read_terms_batch(texts)) == [read_terms(t) for t in texts]


def test_stories_from_a_batch_are_the_stories_from_each_reading():
    texts = seed_texts() + list(UNRELATED.values()) + EDGE_TEXTS
    ids = [f"d{k}" for k in range(len(texts))][::-1]
    batch = story_module.read_terms_batch(texts)
    assert story_module.stories_from_readings(ids, batch) == story_module.stories_from_readings(ids, list(batch))


def test_average_linkage_keeps_fixed_groups_apart_and_lets_others_join():
    # 0 and 1 start as one fixed group, 2 as another; 3 is free.
    i, j, s = np.array([0, 0, 1, 1, 2]), np.array([2, 3, 2, 3, 3]), np.array([0.9, 0.8, 0.9, 0.6, 0.3])
    assert average_linkage(4, i, j, s, 0.4, groups=[0, 0, 2, -1]) == [0, 0, 2, 0]  # (0.8 + 0.6) / 2 >= 0.4
    assert average_linkage(4, i, j, s, 0.4) == [0, 0, 0, 0]  # free, all four are one group
    assert average_linkage(4, i, j, s, 0.8, groups=[0, 0, 2, -1]) == [0, 0, 2, 3]  # 3 joins neither


def test_a_late_write_up_joins_the_old_story():
    seeds = seed_texts()
    old = [Document(f"old-{k}", t, story="story-of-the-case") for k, t in enumerate(seeds[:3])]
    old.append(Document("old-bins", UNRELATED["bins"], story="story-of-the-bins"))
    new = [Document("a-new-write-up", seeds[3]), Document("new-theft", UNRELATED["car_theft"])]
    assert story_module.join_stories(old, new) == ["story-of-the-case", story_id(["new-theft"])]
    assert story_module.join_stories([], new) == assign_stories([d.id for d in new], [d.text for d in new])


def test_two_old_stories_stay_apart_when_a_new_write_up_is_near_both():
    seeds = seed_texts()
    old = [Document("old-a", seeds[0], story="story-a"), Document("old-b", seeds[1], story="story-b")]
    assert len(set(assign_stories(["old-a", "old-b"], seeds[:2]))) == 1  # grouped afresh they would be one story
    ids, texts = ["old-a", "old-b", "new"], seeds[:3]
    stories = story_module.stories_from_readings(ids, [read_terms(t) for t in texts], fixed=["story-a", "story-b", None])
    assert stories[:2] == ["story-a", "story-b"] and stories[2] in ("story-a", "story-b")
    assert story_module.join_stories(old, [Document("new", seeds[2])]) == stories[2:]
