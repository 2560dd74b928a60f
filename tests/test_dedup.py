"""Deduplicator: what merges, what stays apart, provenance, policies, determinism."""

from __future__ import annotations

import json
import random

import ftfy
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.dedup import DedupConfig, Deduplicator
from corpus.document import Copy, Document
from corpus.errors import ConfigError, CorpusError
from test_dedup_texts import CHROME_A, HEAVY_CHROME, UNRELATED, mojibake, seed_texts, syndicated_copy


def run(docs, **options):
    return Deduplicator(DedupConfig(**options)).run(docs)


def kept_ids(result):
    return [d.id for d in result.kept]


@pytest.fixture(scope="module")
def seeds():
    return seed_texts()


def test_exact_duplicates_merge_at_similarity_one(seeds):
    docs = [Document("a", seeds[0]), Document("b", seeds[0].upper().replace("’", "'")), Document("c", seeds[1])]
    result = run(docs, story=False)
    assert kept_ids(result) == ["a", "c"]
    assert [m.to_json() for m in result.merged] == [{"id": "b", "kept": "a", "similarity": 1.0}]


@pytest.mark.parametrize("index", range(5))
def test_edited_and_repaired_copies_join_their_original(seeds, index):
    original = seeds[index]
    docs = [
        Document("orig", original, source="wire"),
        Document("copy", syndicated_copy(original), source="courier"),
        Document("repaired", ftfy.fix_text(mojibake(original)), source="gazette"),
        Document("broken", mojibake(original), source="metro"),
    ]
    result = run(docs, story=False)
    assert len(result.kept) == 1
    assert len(result.merged) == 3
    assert [c["id"] for c in result.clusters[0]["members"]] == ["broken", "copy", "orig", "repaired"]


def test_different_articles_of_one_story_do_not_merge(seeds):
    result = run([Document(f"s{i}", t) for i, t in enumerate(seeds)], story=False)
    assert kept_ids(result) == ["s0", "s1", "s2", "s3", "s4"] and result.merged == []


def test_short_articles_sharing_heavy_chrome_do_not_merge():
    docs = [Document(k, HEAVY_CHROME + text + "\n" + CHROME_A) for k, text in UNRELATED.items()]
    result = run(docs, story=False)
    assert kept_ids(result) == list(UNRELATED) and result.clusters == []


def corpus_of_copies(seeds):
    docs = []
    for i, text in enumerate(seeds):
        docs.append(Document(f"s{i}", text, source="wire", url=f"https://wire.example/{i}", published=f"2023-10-0{i + 2}"))
        docs.append(Document(f"c{i}", syndicated_copy(text), source="courier", published=f"2023-10-0{i + 1}"))
        docs.append(Document(f"m{i}", ftfy.fix_text(mojibake(text)), source="gazette"))
    docs += [Document(k, HEAVY_CHROME + t) for k, t in UNRELATED.items()]
    return docs


def test_provenance_and_cluster_records(seeds):
    result = run(corpus_of_copies(seeds), story=False)
    kept = {d.id: d for d in result.kept}
    # The wire text and its repaired copy hold the whole story (the syndicated
    # copy cut a paragraph and added chrome); they tie, even in raw length:
    # the smaller id.
    assert set(kept) == {"m0", "m1", "m2", "m3", "m4", *UNRELATED}
    copies = kept["m0"].copies
    assert [c.id for c in copies] == ["c0", "s0"]
    assert copies[1] == Copy("s0", "wire", "https://wire.example/0", "2023-10-02", 1.0)
    assert 0.5 <= copies[0].similarity < 1.0
    record = result.clusters[0]
    assert list(record) == ["cluster", "kept", "policy", "members"]
    assert record["cluster"] == record["kept"] == "m0" and record["policy"] == "longest"
    assert [m["id"] for m in record["members"]] == ["c0", "m0", "s0"]
    assert list(record["members"][0]) == ["id", "source", "url", "published", "similarity"]
    assert [r["cluster"] for r in result.clusters] == sorted(r["cluster"] for r in result.clusters)
    json.dumps(result.clusters)
    assert {m.id: m.kept for m in result.merged} == {f"{p}{i}": f"m{i}" for i in range(5) for p in "sc"}
    # every input is kept or merged, once
    assert sorted(kept_ids(result) + [m.id for m in result.merged]) == sorted(d.id for d in corpus_of_copies(seeds))


def test_kept_documents_are_new_objects_in_input_order(seeds):
    docs = corpus_of_copies(seeds)
    result = run(docs, story=False)
    order = [d.id for d in docs]
    assert kept_ids(result) == sorted(kept_ids(result), key=order.index)
    assert all(d.copies == [] for d in docs)


def policy_docs(text):
    """Three copies of one story: differing in length, date and source."""
    short = "\n".join(text.splitlines()[:-1])
    return [
        Document("x-long-undated", text + " Extra closing words of this blog only.", source="Blog"),
        Document("y-short-early", short, source="Wire", published="2023-10-01"),
        Document("z-mid-late", text, source="Courier", published="2023-10-03T08:00:00"),
    ]


@pytest.mark.parametrize(
    "options,expected",
    [
        # x's extra words are in no other copy: it ties z, and z is shorter.
        ({"keep": "longest"}, "z-mid-late"),
        ({"keep": "earliest"}, "y-short-early"),
        ({"keep": "source-priority", "source_priority": ["courier", "wire"]}, "z-mid-late"),
        ({"keep": "source-priority", "source_priority": ["blog", "wire"]}, "x-long-undated"),
        ({"keep": "source-priority", "source_priority": ["nobody"]}, "z-mid-late"),
        ({"keep": "first"}, "z-mid-late"),
    ],
)
def test_keep_policies(seeds, options, expected):
    docs = policy_docs(seeds[0])
    docs = [docs[2], docs[0], docs[1]]  # input order differs from id order
    result = run(docs, story=False, **options)
    assert kept_ids(result) == [expected]
    assert result.clusters[0]["policy"] == options["keep"]


def test_longest_keeps_the_original_not_copies_that_add_or_cut_lines(seeds):
    """Each copy adds a line of its own site or cuts the end; only the original holds all the story."""
    original = seeds[3]
    docs = [
        Document("a-headline", "Soldiers stand by as Met marksmen hand back their guns\n" + original),
        Document("b-dateline", "LONDON, Sept 25 (Capital Herald Wire Service)\n" + original),
        Document("c-footer", original + "\nCopyright 2023 Evening Lantern Newspapers. Send your tips to our newsdesk."),
        Document("d-cut", "\n".join(original.splitlines()[:-2])),
        Document("z-original", original),
    ]
    assert len(docs[3].text) < len(original) < min(len(d.text) for d in docs[:3])
    for order in (docs, docs[::-1], docs[2:] + docs[:2]):
        result = run(order, story=False)
        assert kept_ids(result) == ["z-original"]
        assert sorted(m.id for m in result.merged) == ["a-headline", "b-dateline", "c-footer", "d-cut"]


def test_longest_counts_corroborated_shingles_then_shorter_raw_text_then_id(seeds):
    original = seeds[0]
    # Three exact copies under different ids and spacing: all tie on corroborated
    # length; the shorter raw text wins, and among equal texts the smallest id.
    docs = [Document("b", original), Document("c", original.replace("\n\n", "\n\n\n")), Document("a", original)]
    assert kept_ids(run(docs, story=False)) == ["a"]
    assert kept_ids(run(docs[::-1], story=False)) == ["a"]
    spaced = [docs[1], Document("d", original.replace(" ", "  "))]
    assert kept_ids(run(spaced + [Document("e", original + "\n")], story=False)) == ["e"]
    # A cluster of two always ties on corroborated length: the longer raw text.
    pair = [Document("a", "\n\n".join(original.split("\n\n")[:-1])), Document("b", original)]
    assert kept_ids(run(pair, story=False)) == ["b"]


def test_corroborated_lengths_count_distinct_shingles_another_member_has():
    from corpus.dedup.keep import corroborated_lengths

    sets = [np.array(x, dtype=np.uint32) for x in ([5, 5, 1, 2], [2, 1, 7], [7, 8, 8], [9])]
    assert corroborated_lengths(sets) == [2, 3, 1, 0]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(st.lists(st.integers(0, 12), min_size=1, max_size=8), min_size=1, max_size=4), max_size=5))
def test_corroborated_lengths_of_many_clusters_are_each_clusters_alone(clusters):
    from corpus.dedup.keep import corroborated_lengths

    def by_sets(members):  # the definition: distinct shingles some other member also has
        return [len(set(m) & set().union(*(set(o) for k, o in enumerate(members) if k != i)))
                for i, m in enumerate(members)]

    hashes = [np.array(m, dtype=np.uint32) for members in clusters for m in members]
    owners = [c for c, members in enumerate(clusters) for _ in members]
    assert corroborated_lengths(hashes, owners) == [n for members in clusters for n in by_sets(members)]
    for members in clusters:
        assert corroborated_lengths([np.array(m, dtype=np.uint32) for m in members]) == by_sets(members)


def test_measured_and_unmeasured_lengths_are_not_compared():
    from corpus.dedup.keep import Member, choose

    measured = Member("a", None, None, None, length=10, order=0, corroborated=3)
    with pytest.raises(ValueError, match="mix measured and unmeasured"):
        choose([measured, Member("b", None, None, None, length=90, order=1)], "longest")


def test_keep_tie_breaks(seeds):
    text = seeds[1]
    same = [Document("b", text, published="2023-10-01"), Document("a", text, published="2023-10-01")]
    assert kept_ids(run(same, keep="longest", story=False)) == ["a"]  # equal length: smallest id
    assert kept_ids(run(same, keep="earliest", story=False)) == ["a"]  # equal date and length: smallest id
    undated = [Document("a", text), Document("b", text[:-40], published="2023-12-31")]
    assert kept_ids(run(undated, keep="earliest", story=False)) == ["b"]  # no date sorts last
    sources = [Document("a", text[:-40], source="Wire"), Document("b", text, source="Wire")]
    assert kept_ids(run(sources, keep="source-priority", source_priority=["wire"], story=False)) == ["b"]  # then longest


def test_same_input_same_output_in_any_order(seeds):
    docs = corpus_of_copies(seeds)
    first = run(docs)
    shuffled = docs[:]
    random.Random(4).shuffle(shuffled)
    again = run(shuffled)
    assert sorted(kept_ids(first)) == sorted(kept_ids(again))
    assert first.clusters == again.clusters
    assert sorted(m.to_json()["id"] for m in first.merged) == sorted(m.id for m in again.merged)
    assert {d.id: d.story for d in first.kept} == {d.id: d.story for d in again.kept}
    assert {d.id: d.copies for d in first.kept} == {d.id: d.copies for d in again.kept}
    repeat = run(docs)
    assert [d.to_json() for d in repeat.kept] == [d.to_json() for d in first.kept]
    assert np.array_equal(repeat.signatures.values, first.signatures.values)


def test_cjk_documents_use_character_shingles():
    story = "伦敦警察拒绝携带枪支。此前一名同事因枪杀克里斯卡巴被控谋杀。数百名持枪警察交还了持枪许可证，军队表示愿意提供支援。内政大臣表示将审查相关法律保护。"
    other = "北京市今天公布了新的公共交通计划。地铁线路将延长至郊区，公交车将在夜间增加班次。市政府表示，这项计划将在明年春季实施，预计每天服务一百万名乘客。"
    edited = "【环球快讯】" + story.replace("数百名", "上百名")
    result = run([Document("a", story), Document("b", edited), Document("c", other)], story=False)
    assert kept_ids(result) == ["b", "c"]
    assert [m.id for m in result.merged] == ["a"]


def test_signatures_are_returned_for_every_document(seeds):
    docs = [Document("a", seeds[0]), Document("b", seeds[0]), Document("c", seeds[1])]
    result = run(docs, num_perm=32)
    assert result.signatures.ids == ["a", "b", "c"]
    assert result.signatures.values.shape == (3, 32) and result.signatures.values.dtype == np.uint32
    assert np.array_equal(result.signatures.values[0], result.signatures.values[1])
    assert result.signatures.params["scheme"] == "affine32"
    assert result.settings["bands"] * result.settings["rows"] <= 32


def test_incremental_run_joins_a_late_copy_to_the_old_cluster(seeds):
    first = run(corpus_of_copies(seeds), story=False)
    late = Document("late", syndicated_copy(seeds[2]).replace("Police", "police"), source="late")
    fresh = Document("fresh", "The village fete returns to Long Ashby green on Sunday with a dog show, a tug of war and cakes baked by the WI.")
    second = Deduplicator(DedupConfig(story=False)).run([late, fresh], base=first.to_base())
    assert kept_ids(second) == ["fresh"]
    # The earlier run's kept document stays kept, though the late copy is longer.
    assert len(late.text) > len(seeds[2])
    assert [(m.id, m.kept) for m in second.merged] == [("late", "m2")]
    assert [m["id"] for m in second.clusters[0]["members"]] == ["c2", "late", "m2", "s2"]
    wire = next(m for m in second.clusters[0]["members"] if m["id"] == "s2")
    assert wire["source"] == "wire" and wire["published"] == "2023-10-04"
    # A third run sees both earlier runs.
    base = second.to_base()
    assert base.cluster_of["late"] == "m2" and len(base.signatures.ids) == len(first.signatures.ids) + 2
    third = Deduplicator(DedupConfig(story=False)).run([Document("again", seeds[2])], base=base)
    assert [(m.id, m.kept) for m in third.merged] == [("again", "m2")]


def test_incremental_run_refuses_other_signatures(seeds):
    base = run([Document("a", seeds[0])], num_perm=64).to_base()
    with pytest.raises(ConfigError, match="num_perm"):
        Deduplicator(DedupConfig(num_perm=128)).run([Document("b", seeds[1])], base=base)
    with pytest.raises(CorpusError, match="'a'.*base index"):
        Deduplicator(DedupConfig(num_perm=64)).run([Document("a", seeds[1])], base=base)


def test_duplicate_ids_are_refused(seeds):
    with pytest.raises(CorpusError, match="'x' of input document 1 is already used by input document 0"):
        run([Document("x", seeds[0]), Document("x", seeds[1])])


def test_empty_and_short_documents(seeds):
    docs = [Document("e1", ""), Document("e2", "  ...  "), Document("short", "Police."), Document("s", seeds[0])]
    result = run(docs, story=False)
    # Both empty token streams are the same text; "longest" keeps the one with more characters.
    assert kept_ids(result) == ["e2", "short", "s"]
    assert [(m.id, m.kept) for m in result.merged] == [("e1", "e2")]


def test_progress_bars_go_to_stderr(seeds, capsys):
    Deduplicator().run([Document("a", seeds[0])], progress=True)
    captured = capsys.readouterr()
    assert captured.out == "" and "dedup exact+signatures" in captured.err and "dedup lsh" in captured.err


@pytest.mark.parametrize(
    "options,message",
    [
        ({"threshold": 0}, "'threshold' must be a number in \\(0, 1\\]"),
        ({"threshold": 1.5}, "'threshold'"),
        ({"ngram": 0}, "'ngram' must be an integer >= 1"),
        ({"num_perm": 1}, "'num_perm' must be an integer >= 2"),
        ({"num_perm": 16, "bands": 8, "rows": 4}, "'bands' x 'rows' must be <= 'num_perm'"),
        ({"bands": 1}, "'bands' must be an integer >= 2"),
        ({"keep": "newest"}, "'keep' must be one of longest, earliest, source-priority, first"),
        ({"keep": "source-priority"}, "needs a non-empty 'source_priority'"),
        ({"source_priority": "wire"}, "'source_priority' must be a list"),
        ({"story": "yes"}, "'story' must be true or false"),
        ({"story_threshold": 2}, "'story_threshold'"),
        ({"seed": -1}, "'seed'"),
        ({"batch_size": True}, "'batch_size'"),
    ],
)
def test_config_validation(options, message):
    with pytest.raises(ConfigError, match=message):
        DedupConfig(**options)


def test_config_derives_and_records_bands():
    config = DedupConfig(source_priority=["a", "b"])
    assert config.source_priority == ("a", "b")
    assert config.to_json()["bands"] * config.to_json()["rows"] <= config.num_perm
    assert DedupConfig(bands=16).band_params() == (16, 8)
    assert DedupConfig(rows=8).band_params() == (16, 8)


def _words(start: int, stop: int) -> str:
    rng = random.Random(7)
    vocab = [f"{a}{b}" for a in ("ka", "lo", "mi", "ru", "se", "ta", "vo", "ne") for b in ("rin", "dos", "mel", "tav", "pux")]
    words = [rng.choice(vocab) for _ in range(stop)]
    return " ".join(words[start:stop])


def test_a_copy_cut_to_its_first_half_merges_by_containment():
    full, half = _words(0, 400), _words(0, 200)
    result = Deduplicator().run([Document("full", full), Document("half", half)])
    # Jaccard 0.5 (the former 0.6 default kept both); containment 1, estimated within MinHash error.
    assert [(m.id, m.kept) for m in result.merged] == [("half", "full")]
    assert result.merged[0].similarity >= DedupConfig().threshold


def test_two_texts_sharing_half_their_words_stay_apart():
    result = Deduplicator().run([Document("x", _words(0, 400)), Document("y", _words(200, 600))])
    assert result.merged == []


def test_a_base_without_shingle_counts_is_refused_with_what_to_do():
    from corpus.dedup import BaseIndex, Signatures

    first = Deduplicator().run([Document("old", _words(0, 300))])
    sig = first.signatures
    params = {k: v for k, v in sig.params.items() if k != "shingle_counts"}
    old = BaseIndex(signatures=Signatures(sig.ids, sig.values, params), cluster_of={"old": "old"}, kept={})
    with pytest.raises(ConfigError, match="no shingle counts.*rebuild it"):
        Deduplicator().run([Document("new", _words(0, 300))], base=old)
