"""Snapshots: atomic publishing, byte-determinism, verification, diff and loading."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from corpus.document import Copy, Document, Reject, Removal
from corpus.errors import CorpusError, InputError
from corpus.dedup import Signatures
from corpus.snapshot.bag import write_bag_files
from corpus.snapshot import (
    describe_inputs,
    diff_snapshots,
    explain_id,
    load_snapshot,
    verify_snapshot,
    write_snapshot,
)

SEEDS = sorted((Path(__file__).parent.parent / "samples" / "text").glob("*.txt"))


def member(doc_id: str, similarity: float, source: str = "wire") -> dict[str, Any]:
    return {"id": doc_id, "source": source, "url": f"https://{source}.example/{doc_id}", "published": "2023-09-22",
            "similarity": similarity}


def cluster(name: str, kept: str, *merged: tuple[str, float]) -> dict[str, Any]:
    return {"cluster": name, "kept": kept, "policy": "earliest",
            "members": [member(kept, 1.0)] + [member(m, s) for m, s in merged]}


def parts() -> dict[str, Any]:
    """Three kept documents, two merged copies, one reject: 6 inputs."""
    documents = [
        Document(id="bbc-1", text="Hundreds of Met officers handed in their firearms permits.\nChris Kaba, 24, died.",
                 title="Met officers step back", published="2023-09-24", source="bbc", url="https://bbc.example/1",
                 removed=[Removal("share", "Share this article"), Removal("nav", "Home | News")],
                 copies=[Copy("sky-1", "sky", "https://sky.example/1", "2023-09-24", 0.93)],
                 metadata={"lang": "en"}),
        Document(id="itv-1", text="The officer, known as NX121, was charged with murder.", source="itv",
                 removed=[Removal("share", "Share this article")]),
        Document(id="grd-1", text="Sadiq Khan said the decision was “concerning”. Ça va — naïve café.",
                 source="guardian"),
    ]
    clusters = [cluster("c0", "bbc-1", ("sky-1", 0.93), ("std-1", 0.81))]
    rejects = [Reject(stage="clean", reason="fewer than 20 words", path="in/short.txt", id="short-1")]
    signatures = Signatures(
        ids=["bbc-1", "itv-1", "grd-1", "sky-1", "std-1"],
        values=np.arange(5 * 8, dtype=np.uint32).reshape(5, 8) * np.uint32(2654435761),
        params={"num_perm": 8, "seed": 1, "scheme": "datasketch-minhash", "ngram": 5, "threshold": 0.8},
    )
    manifest = {"pipeline": {"name": "test", "dedup": {"threshold": 0.8}},
                "counts": {"inputs": 6, "read": 6, "clean": {"kept": 5, "rejected": 1}}}
    return {"documents": documents, "clusters": clusters, "rejects": rejects, "signatures": signatures,
            "manifest": manifest, "learned_lines": {"Share this article": 2, "Home | News": 1}}


def write(out: Path, compression: str = "gz", **changes: Any) -> Path:
    p = parts()
    p.update(changes)
    return write_snapshot(out, p.pop("documents"), p.pop("clusters"), p.pop("rejects"), compression=compression, **p)


def read_lines(path: Path) -> list[bytes]:
    return gzip.decompress(path.read_bytes()).splitlines()


def rewrite(snapshot: Path, name: str, records: list[Any]) -> None:
    """Replace a gz file's records and re-seal it in the manifest, to test the checks past checksums."""
    data = b"".join(json.dumps(r).encode() + b"\n" for r in records)
    raw = gzip.compress(data, mtime=0)
    (snapshot / name).write_bytes(raw)
    manifest = json.loads((snapshot / "manifest.json").read_text())
    manifest["files"][name].update(bytes=len(raw), sha256=hashlib.sha256(raw).hexdigest(), records=len(records),
                                   uncompressed_bytes=len(data))
    save_manifest(snapshot, manifest)


def save_manifest(snapshot: Path, manifest: dict[str, Any]) -> None:
    """Replace manifest.json and re-seal the bag around it, as a careful forger would."""
    (snapshot / "manifest.json").write_text(json.dumps(manifest))
    write_bag_files(snapshot, manifest["files"], [])


def tree(snapshot: Path) -> list[str]:
    """Every file of a snapshot, as a path relative to it."""
    return sorted(p.relative_to(snapshot).as_posix() for p in snapshot.rglob("*") if p.is_file())


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


# --------------------------------------------------------------------------- writing


def test_snapshot_holds_documents_as_jsonl_and_a_manifest_describing_every_file(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    names = tree(snap)
    assert names == ["bag-info.txt", "bagit.txt", "data/clusters.jsonl.gz", "data/data-00000.jsonl.gz",
                     "data/rejects.jsonl.gz", "data/signature_ids.jsonl.gz", "data/signatures.npy",
                     "manifest-sha256.txt", "manifest.json", "report.html", "tagmanifest-sha256.txt"]
    expected = [json.dumps(d.to_json(), ensure_ascii=False, separators=(",", ":")).encode()
                for d in parts()["documents"]]
    assert read_lines(snap / "data/data-00000.jsonl.gz") == expected
    manifest = json.loads((snap / "manifest.json").read_text())
    assert manifest["accounting"] == {"inputs": 6, "kept": 3, "merged": 2, "rejected": 1}
    assert manifest["pipeline"] == parts()["manifest"]["pipeline"]
    assert manifest["environment"]["dependencies"]["numpy"] == np.__version__
    assert manifest["learned_lines"] == [{"line": "Share this article", "count": 2}, {"line": "Home | News", "count": 1}]
    assert manifest["signatures"]["params"]["num_perm"] == 8
    assert "created" not in manifest
    assert sorted(manifest["files"]) == [n for n in names if n.startswith("data/")] + ["report.html"]
    for name in manifest["files"]:
        if name != "manifest.json":
            raw = (snap / name).read_bytes()
            assert manifest["files"][name]["sha256"] == hashlib.sha256(raw).hexdigest()
            assert manifest["files"][name]["bytes"] == len(raw)
    assert manifest["files"]["data/rejects.jsonl.gz"]["records"] == 1
    assert json.loads(read_lines(snap / "data/rejects.jsonl.gz")[0])["reason"] == "fewer than 20 words"


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_two_writes_give_identical_bytes(tmp_path: Path, compression: str) -> None:
    a = write(tmp_path / "a", compression)
    b = write(tmp_path / "b", compression)
    files = tree(a)
    assert files == tree(b)
    for name in files:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_learned_rows_from_the_cleaner_are_stored_as_given(tmp_path: Path) -> None:
    rows = [{"source": "*", "line": "Share this article", "documents": 4}, {"source": "bbc", "line": "Home", "documents": 2}]
    snap = write(tmp_path / "snap", learned_lines=rows)
    assert json.loads((snap / "manifest.json").read_text())["learned_lines"] == rows
    with pytest.raises(CorpusError, match="learned line #0 has no 'line'"):
        write(tmp_path / "bad", learned_lines=[{"text": "x"}])


def test_creation_time_only_when_the_caller_gives_one(tmp_path: Path) -> None:
    manifest = {**parts()["manifest"], "created": "2024-05-01T12:00:00Z"}
    snap = write(tmp_path / "snap", manifest=manifest)
    assert json.loads((snap / "manifest.json").read_text())["created"] == "2024-05-01T12:00:00Z"
    assert "2024-05-01T12:00:00Z" in (snap / "report.html").read_text()


def test_shards_are_bounded_by_uncompressed_size_and_read_back_in_order(tmp_path: Path) -> None:
    documents = [Document(id=f"d{i:03d}", text="word " * (10 + i)) for i in range(40)]
    snap = write_snapshot(tmp_path / "snap", documents, [], [], manifest={"counts": {"inputs": 40}}, shard_bytes=1000)
    manifest = json.loads((snap / "manifest.json").read_text())
    shards = [n for n, e in manifest["files"].items() if e["role"] == "documents"]
    assert len(shards) > 3
    assert shards == [f"data/data-{i:05d}.jsonl.gz" for i in range(len(shards))]
    for name in shards:
        assert 0 < manifest["files"][name]["uncompressed_bytes"] <= 1000
    assert [d.id for d in load_snapshot(snap).documents()] == [d.id for d in documents]
    assert verify_snapshot(snap) == []


def test_zstd_snapshot_files_are_zstd_frames(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap", "zst")
    assert (snap / "data/data-00000.jsonl.zst").read_bytes()[:4] == b"\x28\xb5\x2f\xfd"
    assert [d.id for d in load_snapshot(snap).documents()] == ["bbc-1", "itv-1", "grd-1"]


# --------------------------------------------------------------------------- atomic publishing


def test_a_document_that_cannot_be_serialised_leaves_no_partial_directory(tmp_path: Path) -> None:
    documents = parts()["documents"] + [Document(id="bad-1", text="x", metadata={"when": object()})]
    with pytest.raises(CorpusError, match="bad-1"):
        write(tmp_path / "snap", documents=documents)
    assert list(tmp_path.iterdir()) == []


def test_a_failure_midway_keeps_the_previous_snapshot_intact(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    before = {name: (snap / name).read_bytes() for name in tree(snap)}

    def documents_then_crash():
        yield from parts()["documents"]
        raise RuntimeError("reader crashed")

    with pytest.raises(RuntimeError, match="reader crashed"):
        write(tmp_path / "snap", documents=documents_then_crash())
    assert {name: (snap / name).read_bytes() for name in tree(snap)} == before
    assert leftovers(tmp_path) == []
    assert verify_snapshot(snap) == []


def test_accounting_mismatch_is_refused_with_the_numbers(tmp_path: Path) -> None:
    manifest = {"counts": {"inputs": 9}}
    with pytest.raises(CorpusError, match=r"inputs = 9 but kept 3 \+ merged 2 \+ rejected 1 = 6"):
        write(tmp_path / "snap", manifest=manifest)
    assert list(tmp_path.iterdir()) == []


def test_counts_declared_by_the_pipeline_must_match_what_is_written(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="merged: counted 3 by the pipeline, 2 written"):
        write(tmp_path / "snap", manifest={"counts": {"inputs": 6, "merged": 3}})
    assert list(tmp_path.iterdir()) == []


def test_an_id_both_kept_and_rejected_is_refused(tmp_path: Path) -> None:
    rejects = [Reject(stage="clean", reason="too short", id="itv-1")]
    with pytest.raises(CorpusError, match="'itv-1' is both kept and rejected"):
        write(tmp_path / "snap", rejects=rejects)
    assert list(tmp_path.iterdir()) == []


def test_counts_inputs_is_required(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"counts'\]\['inputs'\]"):
        write(tmp_path / "snap", manifest={"pipeline": {}})


def test_a_new_snapshot_replaces_the_old_one_without_leftovers(tmp_path: Path) -> None:
    write(tmp_path / "snap")
    documents = parts()["documents"][:2]
    rejects = parts()["rejects"] + [Reject(stage="dedup", reason="withdrawn", id="grd-1")]
    snap = write(tmp_path / "snap", documents=documents, rejects=rejects, signatures=None)
    assert [d.id for d in load_snapshot(snap).documents()] == ["bbc-1", "itv-1"]
    assert leftovers(tmp_path) == []
    assert verify_snapshot(snap) == []


def test_a_directory_that_is_not_a_snapshot_is_never_replaced(tmp_path: Path) -> None:
    precious = tmp_path / "notes"
    precious.mkdir()
    (precious / "thesis.txt").write_text("years of work")
    with pytest.raises(CorpusError, match="not a corpus snapshot"):
        write(precious)
    assert (precious / "thesis.txt").read_text() == "years of work"
    assert leftovers(tmp_path) == []


def test_signatures_must_be_uint32_with_their_parameters_and_of_present_documents(tmp_path: Path) -> None:
    sig = parts()["signatures"]
    with pytest.raises(CorpusError, match="1 signatures of documents neither kept nor merged"):
        write(tmp_path / "c", signatures=Signatures(sig.ids + ["short-1"], np.vstack([sig.values, sig.values[:1]]),
                                                     sig.params))
    with pytest.raises(CorpusError, match="uint32"):
        write(tmp_path / "a", signatures=Signatures(sig.ids, sig.values.astype(np.int64), sig.params))
    with pytest.raises(CorpusError, match="seed"):
        write(tmp_path / "b", signatures=Signatures(sig.ids, sig.values, {"num_perm": 8, "scheme": "x", "ngram": 5}))
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- verifying


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_verify_accepts_a_good_snapshot(tmp_path: Path, compression: str) -> None:
    assert verify_snapshot(write(tmp_path / "snap", compression)) == []


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_verify_names_a_corrupted_shard(tmp_path: Path, compression: str) -> None:
    snap = write(tmp_path / "snap", compression)
    shard = snap / f"data/data-00000.jsonl.{compression}"
    raw = bytearray(shard.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    shard.write_bytes(bytes(raw))
    problems = verify_snapshot(snap)
    name = f"data/{shard.name}"
    assert any(p.startswith(name) and "sha256" in p for p in problems)
    assert any(p.startswith(name) and "corrupted" in p for p in problems)


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_verify_names_a_truncated_shard(tmp_path: Path, compression: str) -> None:
    snap = write(tmp_path / "snap", compression)
    shard = snap / f"data/data-00000.jsonl.{compression}"
    shard.write_bytes(shard.read_bytes()[:-12])
    problems = verify_snapshot(snap)
    name = f"data/{shard.name}"
    assert any(p.startswith(name) and "bytes, manifest says" in p for p in problems)
    assert any(p.startswith(name) and "truncated" in p for p in problems)


def test_verify_names_a_missing_file(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    (snap / "data/rejects.jsonl.gz").unlink()
    assert "data/rejects.jsonl.gz: missing" in verify_snapshot(snap)


def test_verify_names_a_wrong_record_count(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["files"]["data/data-00000.jsonl.gz"]["records"] = 4
    save_manifest(snap, manifest)
    assert verify_snapshot(snap) == ["data/data-00000.jsonl.gz: 3 records, manifest says 4"]


def test_verify_checks_the_accounting(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["accounting"]["inputs"] = 7
    save_manifest(snap, manifest)
    problems = verify_snapshot(snap)
    assert len(problems) == 1 and "inputs = 7 but kept 3 + merged 2 + rejected 1 = 6" in problems[0]


def test_verify_finds_a_document_dropped_from_a_resealed_shard(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    kept = [json.loads(line) for line in read_lines(snap / "data/data-00000.jsonl.gz")]
    rewrite(snap, "data/data-00000.jsonl.gz", kept[1:])
    problems = verify_snapshot(snap)
    assert "manifest.json: accounting says kept = 3, the files hold 2" in problems
    assert any("cluster 'c0' keeps 'bbc-1', which is not a kept document" in p for p in problems)


def test_verify_finds_an_id_merged_twice_or_kept_and_rejected(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    rewrite(snap, "data/clusters.jsonl.gz", [cluster("c0", "bbc-1", ("sky-1", 0.9)), cluster("c1", "itv-1", ("sky-1", 0.85))])
    rewrite(snap, "data/rejects.jsonl.gz", [Reject(stage="clean", reason="dup", id="grd-1").to_json()])
    problems = verify_snapshot(snap)
    assert "data/clusters.jsonl.gz line 2: merged document 'sky-1' is in clusters 'c0' and 'c1'" in problems
    assert "document 'grd-1' is both kept and rejected" in problems


def test_verify_reports_unlisted_files_and_a_missing_manifest(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    (snap / "data" / "extra.jsonl").write_text("{}\n")
    assert verify_snapshot(snap) == ["data/extra.jsonl: not listed in manifest.json"]
    (snap / "data" / "extra.jsonl").unlink()
    (snap / "notes.txt").write_text("mine\n")
    assert verify_snapshot(snap) == ["notes.txt: not listed in manifest.json",
                                     "tagmanifest-sha256.txt: does not list notes.txt"]
    (snap / "notes.txt").unlink()
    (snap / "manifest.json").unlink()
    [problem] = verify_snapshot(snap)
    assert "manifest.json" in problem and "missing" in problem


# --------------------------------------------------------------------------- loading


@pytest.mark.parametrize("compression", ["gz", "zst"])
def test_load_gives_back_what_was_written(tmp_path: Path, compression: str) -> None:
    inputs = describe_inputs(SEEDS[:2])
    p = parts()
    snap = write(tmp_path / "snap", compression, manifest={**p["manifest"], "inputs": inputs})
    loaded = load_snapshot(snap)
    assert list(loaded.documents()) == p["documents"]
    assert list(loaded.clusters()) == p["clusters"]
    assert list(loaded.rejects()) == p["rejects"]
    signatures = loaded.signatures()
    assert signatures is not None
    assert signatures.ids == p["signatures"].ids
    assert signatures.values.dtype == np.uint32
    np.testing.assert_array_equal(signatures.values, p["signatures"].values)
    assert signatures.params == p["signatures"].params
    assert loaded.manifest["inputs"] == inputs


def test_signatures_are_optional(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap", signatures=None)
    assert load_snapshot(snap).signatures() is None
    assert not (snap / "data/signatures.npy").exists()
    assert verify_snapshot(snap) == []


def test_load_names_a_broken_line(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    (snap / "data/clusters.jsonl.gz").write_bytes(gzip.compress(b'{"cluster": "c0"}\n{oops\n'))
    with pytest.raises(InputError, match=r"data/clusters.jsonl.gz:2: not a JSON record"):
        list(load_snapshot(snap).clusters())


def test_a_manifest_cannot_point_outside_its_snapshot(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["files"]["data/../../elsewhere.jsonl.gz"] = manifest["files"].pop("data/rejects.jsonl.gz")
    save_manifest(snap, manifest)
    [problem] = verify_snapshot(snap)
    assert "'data/../../elsewhere.jsonl.gz' is not a plain name" in problem


def test_load_refuses_a_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a corpus snapshot"):
        load_snapshot(tmp_path)


def test_describe_inputs_gives_size_and_sha256(tmp_path: Path) -> None:
    [described] = describe_inputs([SEEDS[0]])
    raw = SEEDS[0].read_bytes()
    assert described == {"path": str(SEEDS[0]), "bytes": len(raw), "sha256": hashlib.sha256(raw).hexdigest()}
    with pytest.raises(InputError, match="cannot read input"):
        describe_inputs([tmp_path / "gone.txt"])
    with pytest.raises(InputError, match="is a directory"):
        describe_inputs([tmp_path])


# --------------------------------------------------------------------------- diff


def test_diff_of_a_snapshot_with_itself_is_empty(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    diff = diff_snapshots(snap, snap)
    assert diff.is_empty
    assert "no changes" in diff.to_text()


def test_diff_reports_added_removed_and_merged_differently(tmp_path: Path) -> None:
    old = write(tmp_path / "old")
    # New coverage: itv-1 is now merged into bbc-1, sky-1 is kept on its own, grd-1 is
    # rejected, std-1 stays as it was, and two new documents arrive (one a duplicate).
    documents = [Document(id="bbc-1", text="a"), Document(id="sky-1", text="b"), Document(id="new-1", text="c")]
    clusters = [cluster("c0", "bbc-1", ("itv-1", 0.9), ("std-1", 0.81), ("new-2", 0.95))]
    rejects = parts()["rejects"] + [Reject(stage="clean", reason="paywall stub", id="grd-1")]
    new = write(tmp_path / "new", documents=documents, clusters=clusters, rejects=rejects, signatures=None,
                manifest={"counts": {"inputs": 8}})
    diff = diff_snapshots(old, new)
    assert diff.added == ["new-1", "new-2"]
    assert diff.removed == ["grd-1"]
    assert diff.rejected_in_new == {"grd-1": "clean: paywall stub"}
    changes = {c.id: c for c in diff.merged_differently}
    assert sorted(changes) == ["bbc-1", "itv-1", "sky-1", "std-1"]
    assert changes["sky-1"].old_kept == "bbc-1" and changes["sky-1"].new_kept == "sky-1"
    assert changes["itv-1"].old_group == ("itv-1",) and changes["itv-1"].new_group == ("bbc-1", "itv-1", "std-1")
    text = diff.to_text()
    assert "documents (kept + merged): 5 -> 6: 2 added, 1 removed, 4 merged differently" in text
    assert "  - grd-1  (rejected: clean: paywall stub)" in text
    assert "  ~ sky-1: merged into bbc-1 with std-1 -> kept alone" in text
    assert "  ~ itv-1: kept alone -> merged into bbc-1 with std-1" in text


def test_a_new_duplicate_joining_a_cluster_is_only_an_addition(tmp_path: Path) -> None:
    old = write(tmp_path / "old")
    p = parts()
    clusters = [cluster("c0", "bbc-1", ("sky-1", 0.93), ("std-1", 0.81), ("new-1", 0.88))]
    new = write(tmp_path / "new", clusters=clusters, manifest={"counts": {"inputs": 7}}, signatures=None)
    diff = diff_snapshots(old, new)
    assert diff.added == ["new-1"] and diff.removed == [] and diff.merged_differently == []
    assert p["documents"] == list(load_snapshot(new).documents())


# --------------------------------------------------------------------------- a BagIt bag


def test_a_snapshot_is_a_bag_that_bagit_python_validates(tmp_path: Path) -> None:
    bagit = pytest.importorskip("bagit", reason="bagit-python is not installed (pip install -e '.[dev]')")
    snap = write(tmp_path / "snap")
    bag = bagit.Bag(str(snap))
    bag.validate()
    assert sorted(bag.payload_files()) == sorted(n for n in tree(snap) if n.startswith("data/"))
    assert sorted(bag.tagfile_entries()) == ["bag-info.txt", "bagit.txt", "manifest-sha256.txt", "manifest.json",
                                             "report.html"]
    assert bag.info["Payload-Oxum"] == f"{sum((snap / n).stat().st_size for n in bag.payload_files())}.5"
    assert bag.info["Corpus-Pipeline"] == "test"
    assert (bag.info["Corpus-Inputs"], bag.info["Corpus-Kept"], bag.info["Corpus-Merged"],
            bag.info["Corpus-Rejected"]) == ("6", "3", "2", "1")


def test_bagit_python_detects_a_corrupted_payload_file(tmp_path: Path) -> None:
    bagit = pytest.importorskip("bagit", reason="bagit-python is not installed (pip install -e '.[dev]')")
    snap = write(tmp_path / "snap")
    shard = snap / "data" / "rejects.jsonl.gz"
    raw = bytearray(shard.read_bytes())
    raw[-5] ^= 0x01
    shard.write_bytes(bytes(raw))
    with pytest.raises(bagit.BagValidationError, match="rejects.jsonl.gz"):
        bagit.Bag(str(snap)).validate()
    assert any(p.startswith("data/rejects.jsonl.gz: sha256") for p in verify_snapshot(snap))


def test_bag_info_dates_the_data_not_the_run(tmp_path: Path) -> None:
    info = (write(tmp_path / "snap") / "bag-info.txt").read_text()
    # The newest date among the kept documents (2023-09-24) and their copies (members are 2023-09-22).
    assert "Corpus-Newest-Published: 2023-09-24\n" in info
    assert "Bagging-Date" not in info
    undated = [Document(id=d.id, text=d.text) for d in parts()["documents"]]
    info = (write(tmp_path / "undated", documents=undated) / "bag-info.txt").read_text()
    assert "Newest-Published" not in info
    later = parts()["documents"]
    later[1].copies = [Copy("itv-2", "itv", None, "2024-01-05T10:00:00Z", 0.9)]
    clusters = parts()["clusters"] + [cluster("c1", "itv-1", ("itv-2", 0.9))]
    info = (write(tmp_path / "later", documents=later, clusters=clusters, manifest={"counts": {"inputs": 7}})
            / "bag-info.txt").read_text()
    assert "Corpus-Newest-Published: 2024-01-05\n" in info


def test_verify_names_a_manifest_edited_behind_the_bags_back(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    manifest = json.loads((snap / "manifest.json").read_text())
    manifest["pipeline"]["name"] = "renamed"
    (snap / "manifest.json").write_text(json.dumps(manifest))
    assert verify_snapshot(snap) == ["manifest.json: sha256 does not match tagmanifest-sha256.txt"]
    (snap / "bag-info.txt").unlink()
    assert verify_snapshot(snap) == ["bag-info.txt: missing (a snapshot is a BagIt bag)"]


def test_verify_names_a_payload_manifest_that_disagrees(tmp_path: Path) -> None:
    snap = write(tmp_path / "snap")
    listed = (snap / "manifest-sha256.txt").read_text().splitlines()
    (snap / "manifest-sha256.txt").write_text("\n".join(listed[1:]) + "\n")
    problems = verify_snapshot(snap)
    assert "manifest-sha256.txt: does not list data/clusters.jsonl.gz" in problems
    assert "manifest-sha256.txt: sha256 does not match tagmanifest-sha256.txt" in problems


# --------------------------------------------------------------------------- the flat layout of format version 1


def flatten_to_version_1(snapshot: Path) -> Path:
    """Turn a snapshot into the layout written before it became a bag: every file at the top, format_version 1."""
    manifest = json.loads((snapshot / "manifest.json").read_text())
    for path in sorted((snapshot / "data").iterdir()):
        path.rename(snapshot / path.name)
    (snapshot / "data").rmdir()
    for name in ("bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt"):
        (snapshot / name).unlink()
    manifest["format_version"] = 1
    manifest.pop("data_format", None)
    manifest["files"] = {name.removeprefix("data/"): entry for name, entry in manifest["files"].items()}
    if manifest["signatures"]:
        for key in ("values", "ids"):
            manifest["signatures"][key] = manifest["signatures"][key].removeprefix("data/")
        # Version 1 stored no shingle counts.
        counts = manifest["signatures"].pop("counts", None)
        manifest["signatures"]["params"].pop("shingle_counts", None)
        if counts is not None:
            del manifest["files"][counts.removeprefix("data/")]
            (snapshot / counts.removeprefix("data/")).unlink()
    (snapshot / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return snapshot


def test_a_flat_snapshot_of_version_1_still_loads_verifies_and_diffs(tmp_path: Path) -> None:
    old = flatten_to_version_1(write(tmp_path / "old"))
    assert tree(old) == ["clusters.jsonl.gz", "data-00000.jsonl.gz", "manifest.json", "rejects.jsonl.gz",
                         "report.html", "signature_ids.jsonl.gz", "signatures.npy"]
    assert verify_snapshot(old) == []
    loaded = load_snapshot(old)
    p = parts()
    assert list(loaded.documents()) == p["documents"]
    assert list(loaded.clusters()) == p["clusters"] and list(loaded.rejects()) == p["rejects"]
    assert loaded.signatures().ids == p["signatures"].ids
    assert diff_snapshots(old, write(tmp_path / "new")).is_empty
    (old / "data-00000.jsonl.gz").write_bytes(b"garbage")
    assert any(p.startswith("data-00000.jsonl.gz: sha256") for p in verify_snapshot(old))


def test_a_flat_snapshot_cannot_name_files_under_data(tmp_path: Path) -> None:
    old = flatten_to_version_1(write(tmp_path / "old"))
    manifest = json.loads((old / "manifest.json").read_text())
    manifest["files"]["data/rejects.jsonl.gz"] = manifest["files"].pop("rejects.jsonl.gz")
    (old / "manifest.json").write_text(json.dumps(manifest))
    [problem] = verify_snapshot(old)
    assert "'data/rejects.jsonl.gz' is not a plain name" in problem


def test_a_flat_snapshot_of_version_1_and_a_parquet_one_serve_as_a_base(tmp_path: Path) -> None:
    from corpus.engines.local import run
    from corpus.pipeline import load_pipeline

    root = Path(__file__).parent.parent
    pipeline = load_pipeline(root / "pipelines" / "case_reporting.toml")
    base = run(pipeline.with_overrides(output=str(tmp_path / "base"))).snapshot
    shutil.copytree(base, tmp_path / "flat")
    flat = flatten_to_version_1(tmp_path / "flat")
    in_parquet = dataclasses.replace(pipeline.output, path=str(tmp_path / "parquet"), format="parquet")
    parquet = run(dataclasses.replace(pipeline, output=in_parquet)).snapshot
    late = [str(root / "tests" / "data" / "incremental")]
    runs = {name: run(pipeline.with_overrides(inputs=late, output=str(tmp_path / f"next-{name}")), base=old)
            for name, old in (("bag", base), ("flat", flat), ("parquet", parquet))}
    assert runs["bag"].counts["this_run"]["merged"] > 0
    for name in ("flat", "parquet"):
        assert runs[name].counts == runs["bag"].counts
        assert verify_snapshot(runs[name].snapshot) == []
    for file in tree(runs["bag"].snapshot):
        if file.startswith("data/"):
            assert (runs["parquet"].snapshot / file).read_bytes() == (runs["bag"].snapshot / file).read_bytes(), file
    # A flat (version 1) base stored no shingle counts: they are estimated, so the
    # similarities of old members may differ, never who is kept or merged with whom.
    def membership(snapshot: Path) -> list[tuple[str, list[str]]]:
        return [(c["kept"], [m["id"] for m in c["members"]]) for c in load_snapshot(snapshot).clusters()]
    assert membership(runs["flat"].snapshot) == membership(runs["bag"].snapshot)


# --------------------------------------------------------------------------- Parquet data shards


def test_parquet_shards_hold_the_jsonl_snapshots_records(tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    as_jsonl = write(tmp_path / "jsonl")
    as_parquet = write(tmp_path / "parquet", data_format="parquet")
    assert tree(as_parquet) == [n.replace(".jsonl.gz", ".parquet") if "data-" in n else n for n in tree(as_jsonl)]
    assert verify_snapshot(as_parquet) == []
    table = pq.read_table(as_parquet / "data" / "data-00000.parquet")
    assert table.column_names == list(parts()["documents"][0].to_json())
    rows = table.to_pylist()
    for row in rows:
        row["metadata"] = json.loads(row["metadata"])
    assert rows == [json.loads(line) for line in read_lines(as_jsonl / "data" / "data-00000.jsonl.gz")]
    assert list(load_snapshot(as_parquet).documents()) == parts()["documents"]
    assert diff_snapshots(as_jsonl, as_parquet).is_empty
    manifest = json.loads((as_parquet / "manifest.json").read_text())
    assert manifest["data_format"] == "parquet" and manifest["compression"] == "gz"
    assert manifest["parquet"]["created_by"] == pq.ParquetFile(as_parquet / "data" / "data-00000.parquet").metadata.created_by


def test_two_parquet_writes_give_identical_bytes(tmp_path: Path) -> None:
    a = write(tmp_path / "a", data_format="parquet")
    b = write(tmp_path / "b", data_format="parquet")
    assert tree(a) == tree(b)
    for name in tree(a):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_parquet_shards_and_row_groups_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    monkeypatch.setattr("corpus.snapshot.parquet.ROW_GROUP_ROWS", 4)
    documents = [Document(id=f"d{i:03d}", text="word " * (10 + i), metadata={"n": i}) for i in range(40)]
    shards = {}
    for fmt in ("jsonl", "parquet"):
        snap = write_snapshot(tmp_path / fmt, documents, [], [], manifest={"counts": {"inputs": 40}}, shard_bytes=1000,
                              data_format=fmt)
        files = json.loads((snap / "manifest.json").read_text())["files"]
        shards[fmt] = [(n.split(".")[0], e["records"]) for n, e in files.items() if e["role"] == "documents"]
        assert [d.id for d in load_snapshot(snap).documents()] == [d.id for d in documents]
    assert shards["parquet"] == shards["jsonl"] and len(shards["parquet"]) > 3  # the same documents in each shard
    for name, records in shards["parquet"]:
        metadata = pq.ParquetFile(tmp_path / "parquet" / f"{name}.parquet").metadata
        sizes = [metadata.row_group(k).num_rows for k in range(metadata.num_row_groups)]
        assert sum(sizes) == records and max(sizes) <= 4


def test_a_bagged_parquet_snapshot_validates_and_a_corrupted_shard_fails(tmp_path: Path) -> None:
    bagit = pytest.importorskip("bagit", reason="bagit-python is not installed (pip install -e '.[dev]')")
    snap = write(tmp_path / "snap", data_format="parquet")
    bagit.Bag(str(snap)).validate()
    shard = snap / "data" / "data-00000.parquet"
    raw = bytearray(shard.read_bytes())
    raw[len(raw) // 3] ^= 0xFF
    shard.write_bytes(bytes(raw))
    with pytest.raises(bagit.BagValidationError):
        bagit.Bag(str(snap)).validate()
    problems = verify_snapshot(snap)
    assert any(p.startswith("data/data-00000.parquet: sha256") for p in problems)
    shard.write_bytes(b"not parquet at all")
    problems = verify_snapshot(snap)
    assert any(p.startswith("data/data-00000.parquet: cannot read Parquet") for p in problems)
    with pytest.raises(InputError, match="data-00000.parquet: cannot read Parquet"):
        list(load_snapshot(snap).documents())


def test_a_document_that_does_not_fit_the_parquet_schema_is_named(tmp_path: Path) -> None:
    documents = parts()["documents"] + [Document(id="odd-1", text="x", title=42)]  # type: ignore[arg-type]
    with pytest.raises(CorpusError, match=r"document 'odd-1' \(data/data-00000.parquet\) does not fit the Parquet sch"):
        write(tmp_path / "snap", documents=documents, data_format="parquet")
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_data_format_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="unknown data format 'csv'; use one of jsonl, parquet"):
        write(tmp_path / "snap", data_format="csv")


# A snapshot that corpus wrote before snapshots became bags (main at 5764db9, `corpus run
# pipelines/case_reporting.toml` on samples/): the flat layout as it really was, not as a test rebuilds it.
FORMAT_1 = Path(__file__).parent / "data" / "snapshot-format-1"


def test_a_snapshot_written_before_the_bag_layout_verifies_loads_diffs_and_explains(tmp_path: Path) -> None:
    assert verify_snapshot(FORMAT_1) == []
    old = load_snapshot(FORMAT_1)
    assert old.manifest["format_version"] == 1 and not (FORMAT_1 / "data").exists()
    documents, clusters, rejects = list(old.documents()), list(old.clusters()), list(old.rejects())
    merged = sum(len(c["members"]) - 1 for c in clusters)
    assert (len(documents), merged, len(rejects)) == (11, 7, 1) == tuple(old.manifest["accounting"][k]
                                                                         for k in ("kept", "merged", "rejected"))
    assert old.signatures().values.shape == (18, 128)
    assert diff_snapshots(FORMAT_1, FORMAT_1).is_empty
    assert explain_id(FORMAT_1, "capitalherald-mod-soldiers").merged_into == "003_45cc1c45fa8d7dc6"
    assert explain_id(FORMAT_1, rejects[0].id).where == "rejects.jsonl.gz line 1"
    assert explain_id(FORMAT_1, documents[0].id).where == "data-00000.jsonl.gz line 1"
    # Rewritten today, the same records make a bag with the same payload.
    again = write_snapshot(tmp_path / "again", documents, clusters, rejects, manifest={"counts": {"inputs": 19}},
                           signatures=old.signatures())
    for name in ("data-00000.jsonl.gz", "clusters.jsonl.gz", "rejects.jsonl.gz", "signatures.npy"):
        assert (again / "data" / name).read_bytes() == (FORMAT_1 / name).read_bytes(), name
