"""The default pipeline on samples/: what `make corpus` promises, checked against the ground truth."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, SAMPLES
from corpus.engines.local import run
from corpus.errors import ConfigError
from corpus.pipeline import load_pipeline, pipeline_from_dict
from corpus.snapshot import load_snapshot, verify_snapshot

PIPELINE = ROOT / "pipelines" / "case_reporting.toml"
TRUTH = json.loads((ROOT / "tests" / "data" / "samples_truth.json").read_text(encoding="utf-8"))
INCREMENTAL = ROOT / "tests" / "data" / "incremental"


def run_samples(out: Path, inputs=None, base=None):
    pipeline = load_pipeline(PIPELINE).with_overrides(inputs=inputs, output=str(out))
    return run(pipeline, base=base)


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "snapshot"
    result = run_samples(out)
    return result, load_snapshot(out)


def test_the_snapshot_verifies(snapshot):
    result, snap = snapshot
    assert verify_snapshot(snap.path) == []


def test_the_snapshot_is_a_bag_that_bagit_python_validates(snapshot):
    bagit = pytest.importorskip("bagit", reason="bagit-python is not installed (pip install -e '.[dev]')")
    _, snap = snapshot
    bagit.Bag(str(snap.path)).validate()


def test_every_input_is_kept_merged_or_rejected(snapshot):
    result, snap = snapshot
    kept = {d.id for d in snap.documents()}
    merged = {m["id"] for c in snap.clusters() for m in c["members"]} - kept
    rejected = [r for r in snap.rejects()]
    every_document = {i for ids in TRUTH["groups"].values() for i in ids}
    assert kept | merged == every_document
    assert {r.id for r in rejected} <= set(TRUTH["not_documents"])
    assert result.counts["inputs"] == len(kept) + len(merged) + len(rejected)


def test_a_document_rejected_after_reading_names_its_file_and_line(tmp_path):
    article = "Hundreds of firearms officers handed in their weapons after a colleague was charged with murder."
    (tmp_path / "feed.jsonl").write_text(json.dumps({"id": "a", "text": article}) + "\n"
                                         + json.dumps({"id": "chrome", "text": "Share this article"}) + "\n",
                                         encoding="utf-8")
    result = run(pipeline_from_dict({"input": {"paths": [str(tmp_path / "feed.jsonl")]},
                                     "output": {"path": str(tmp_path / "out")}}))
    [reject] = result.rejects
    assert (reject.stage, reject.id, reject.path, reject.line) == ("clean", "chrome", str(tmp_path / "feed.jsonl"), 2)
    assert [r.to_json() for r in load_snapshot(tmp_path / "out").rejects()] == [reject.to_json()]


def test_each_ground_truth_group_collapses_to_one_record(snapshot):
    _, snap = snapshot
    kept = {d.id: d for d in snap.documents()}
    for group, ids in TRUTH["groups"].items():
        survivors = [i for i in ids if i in kept]
        assert len(survivors) == 1, (group, survivors)
        doc = kept[survivors[0]]
        assert {c.id for c in doc.copies} == set(ids) - {doc.id}, group


def test_the_kept_copy_lists_where_every_copy_ran(snapshot):
    _, snap = snapshot
    [doc] = [d for d in snap.documents() if d.id in TRUTH["groups"]["seed-003"]]
    sources = {c.source for c in doc.copies} | {doc.source}
    for outlet in ("capitalherald.example", "northbankpost.example", "eveninglantern.example",
                   "metrobulletin.example", "riversidegazette.example"):
        assert outlet in sources
    assert all(c.url for c in doc.copies if c.source)
    assert all(0 < c.similarity <= 1 for c in doc.copies)


def test_must_not_merge_pairs_stay_apart(snapshot):
    _, snap = snapshot
    kept_for = {}
    for d in snap.documents():
        kept_for[d.id] = d.id
    for c in snap.clusters():
        for m in c["members"]:
            kept_for[m["id"]] = c["kept"]
    for a, b in TRUTH["must_not_merge"]:
        assert kept_for[a] != kept_for[b], (a, b)


def test_the_five_seeds_are_kept_and_share_one_story(snapshot):
    _, snap = snapshot
    docs = {d.id: d for d in snap.documents()}
    seeds = [p.stem for p in sorted((SAMPLES / "text").glob("*.txt"))]
    assert all(s in docs for s in seeds)
    stories = {docs[s].story for s in seeds}
    assert len(stories) == 1 and None not in stories
    ledger = {docs[i].story for i in docs if i.startswith("ledger-")}
    assert not ledger & stories


def test_site_footer_is_learned_and_quoted_prose_is_not(snapshot):
    result, snap = snapshot
    learned = {(row["source"], row["line"]) for row in snap.manifest["learned_lines"]}
    footer = TRUTH["shared_chrome"]["southwark-ledger.example"]
    found = {line for source, line in learned if source == "southwark-ledger.example"}
    assert len(found & set(footer)) >= 4
    assert not any(line in TRUTH["quoted_prose"] for _, line in learned)
    ledger = [d for d in snap.documents() if d.source == "southwark-ledger.example"]
    assert len(ledger) == 3
    for doc in ledger:
        assert "independent news for south London since 1998" not in doc.text
        assert any(r.rule == "learned" for r in doc.removed)


def test_no_chrome_in_any_kept_text(snapshot):
    _, snap = snapshot
    for doc in snap.documents():
        for chrome in ("Trinity Audio", "Thanks for reading", "Share on Facebook", "Sign up for our"):
            assert chrome not in doc.text, (doc.id, chrome)


def _data_bytes(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def test_two_runs_give_the_same_bytes_whatever_the_input_order(tmp_path, snapshot):
    _, first = snapshot
    parts = [str(SAMPLES / d) for d in ("warc", "text", "jsonl", "html")]
    run_samples(tmp_path / "again", inputs=parts)
    again = _data_bytes(tmp_path / "again")
    original = _data_bytes(first.path)
    assert again.keys() == original.keys()
    for name in original:
        if name in ("manifest.json", "data/rejects.jsonl.gz", "report.html", "manifest-sha256.txt", "bag-info.txt",
                    "tagmanifest-sha256.txt"):
            # They name the input paths as they were written (relative there, absolute here), or hash or
            # count the bytes of those files.
            continue
        assert again[name] == original[name], name
    run_samples(tmp_path / "third", inputs=list(reversed(parts)))
    assert _data_bytes(tmp_path / "third") == again


def test_a_corrupted_shard_fails_verify_naming_the_file(tmp_path, snapshot):
    _, snap = snapshot
    copy = tmp_path / "copy"
    shutil.copytree(snap.path, copy)
    shard = copy / "data" / "data-00000.jsonl.gz"
    shard.write_bytes(shard.read_bytes()[:-40])
    problems = verify_snapshot(copy)
    assert problems and any("data/data-00000.jsonl.gz" in p for p in problems)


def test_incremental_run_joins_a_late_copy_to_its_old_cluster(tmp_path, snapshot):
    _, base = snapshot
    out = tmp_path / "next"
    result = run_samples(out, inputs=[str(INCREMENTAL)], base=base.path)
    assert verify_snapshot(out) == []
    snap = load_snapshot(out)
    old_kept = {d.id for d in base.documents()}
    new_kept = {d.id: d for d in snap.documents()}
    seed3 = set(TRUTH["groups"]["seed-003"])
    [kept3] = [i for i in new_kept if i in seed3 or i == "harbourtimes-mod-soldiers"]
    assert "harbourtimes-mod-soldiers" in {c.id for c in new_kept[kept3].copies}
    assert "thames-barrier-annual-test" in new_kept
    assert old_kept <= set(new_kept) | {m["id"] for c in snap.clusters() for m in c["members"]}
    assert result.counts["inputs"] == base.manifest["counts"]["inputs"] + 2
    # the old raw inputs were not read again: only the new files are added to the inputs list
    new_paths = [i["path"] for i in snap.manifest["inputs"]][len(base.manifest["inputs"]):]
    assert all("incremental" in p for p in new_paths)


def test_a_base_written_before_shingle_counts_serves_with_estimated_counts(tmp_path, snapshot):
    _, base = snapshot
    old = tmp_path / "old"
    shutil.copytree(base.path, old)
    manifest = json.loads((old / "manifest.json").read_text())
    stored = manifest["signatures"].pop("counts")
    del manifest["signatures"]["params"]["shingle_counts"]
    exact = np.load(old / stored)
    (old / stored).unlink()
    del manifest["files"][stored]
    (old / "manifest.json").write_text(json.dumps(manifest))
    with_counts = run_samples(tmp_path / "with", inputs=[str(INCREMENTAL)], base=base.path)
    estimated = run_samples(tmp_path / "estimated", inputs=[str(INCREMENTAL)], base=old)
    assert estimated.counts == with_counts.counts and estimated.counts["this_run"]["merged"] > 0
    assert verify_snapshot(estimated.snapshot) == []
    carried = load_snapshot(estimated.snapshot).signatures().counts[: len(exact)]
    assert np.all(np.abs(carried.astype(float) / exact - 1) < 0.35)


def test_a_snapshot_written_by_an_older_corpus_serves_as_a_base(tmp_path):
    older = Path(__file__).parent / "data" / "snapshot-format-1"
    result = run_samples(tmp_path / "next", inputs=[str(INCREMENTAL)], base=older)
    assert result.counts["this_run"]["merged"] > 0
    assert verify_snapshot(result.snapshot) == []


def test_unknown_key_names_the_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[dedup]\nthreshhold = 0.5\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"bad\.toml: unknown key 'dedup\.threshhold'; allowed: .*threshold"):
        load_pipeline(bad)


@pytest.mark.parametrize(
    "table,message",
    [
        ({"dedup": {"threshold": 1.5}}, "threshold"),
        ({"dedup": {"keep": "newest"}}, "keep"),
        ({"input": {"format": "pdf"}}, "input.format = 'pdf'; allowed: auto, text, html, jsonl, warc"),
        ({"output": {"compression": "bz2"}}, "output.compression"),
        ({"output": {"format": "csv"}}, "output.format = 'csv'; allowed: jsonl, parquet"),
        ({"clean": {"disable_rules": ["no-such-rule"]}}, "no rule is named 'no-such-rule'"),
        ({"clean": {"edge_lines": "five"}}, "'clean.edge_lines' must be an int"),
        ({"learned": {"min_share": 0}}, "min_share"),
        ({"clean": {"rules": [{"name": "x", "pattern": "("}]}}, "rule 'x'"),
        ({"input": []}, r"\[input\] must be a table"),
    ],
)
def test_bad_values_are_config_errors_naming_the_file(table, message):
    with pytest.raises(ConfigError, match=message) as caught:
        pipeline_from_dict(table, "pipelines/x.toml")
    assert str(caught.value).startswith("pipelines/x.toml")


def test_paths_are_relative_to_the_pipeline_file():
    pipeline = load_pipeline(PIPELINE)
    assert Path(pipeline.input.paths[0]).resolve() == SAMPLES.resolve()


@pytest.mark.parametrize("path", sorted((ROOT / "pipelines").glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_pipeline_loads(path):
    pipeline = load_pipeline(path)
    assert pipeline.input.paths and pipeline.name == path.stem


def test_the_archive_pipeline_keeps_the_earliest_copy_in_zstd(tmp_path):
    pipeline = load_pipeline(ROOT / "pipelines" / "archive_earliest.toml").with_overrides(
        inputs=[str(SAMPLES / "html")], output=str(tmp_path / "archive"))
    run(pipeline)
    snap = load_snapshot(tmp_path / "archive")
    assert verify_snapshot(snap.path) == []
    [doc] = list(snap.documents())
    dates = {c.published for c in doc.copies}
    assert all(doc.published <= d for d in dates)
    assert any(name.endswith(".jsonl.zst") for name in snap.manifest["files"])
