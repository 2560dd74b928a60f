"""`corpus explain`: what became of one id, from the snapshot's own files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import ROOT
from corpus.cli import main
from corpus.document import Copy, Document, Reject, Removal
from corpus.engines.local import run
from corpus.errors import CorpusError
from corpus.pipeline import load_pipeline
from corpus.snapshot import explain_id, load_snapshot, write_snapshot

WIRE = "Hundreds of Met officers handed in their firearms permits after a colleague was charged."


def member(doc_id: str, similarity: float, source: str) -> dict:
    return {"id": doc_id, "source": source, "url": f"https://{source}.example/{doc_id}", "published": "2023-09-24",
            "similarity": similarity}


@pytest.fixture(params=["jsonl", "parquet"])
def snapshot(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    kept = Document(id="bbc-1", text=WIRE, title="Met officers step back", source="bbc", published="2023-09-24",
                    removed=[Removal("share", "Share this article"), Removal("learned", "BBC  News  at six")],
                    copies=[Copy("sky-1", "sky", "https://sky.example/sky-1", "2023-09-24", 0.93)])
    other = Document(id="itv-1", text="The officer, known as NX121, was charged with murder.", source="itv")
    clusters = [{"cluster": "c0", "kept": "bbc-1", "policy": "earliest",
                 "members": [member("bbc-1", 1.0, "bbc"), member("sky-1", 0.93, "sky")]}]
    rejects = [Reject(stage="clean", reason="no article text", path="in/feed.jsonl", line=7, id="stub-1")]
    learned = [{"source": "bbc", "line": "BBC News at six", "documents": 4}]
    return write_snapshot(tmp_path / "snap", [kept, other], clusters, rejects, manifest={"counts": {"inputs": 4}},
                          learned_lines=learned, data_format=request.param)


def test_a_kept_id_lists_its_removed_lines_and_copies(snapshot: Path) -> None:
    answer = explain_id(snapshot, "bbc-1")
    assert answer.status == "kept" and answer.where.startswith("data/data-00000.") and answer.where.endswith(" 1")
    assert answer.removed == [{"rule": "share", "line": "Share this article"},
                              {"rule": "learned", "line": "BBC  News  at six",
                               "learned_from": {"source": "bbc", "documents": 4}}]
    assert answer.copies == [{"id": "sky-1", "source": "sky", "url": "https://sky.example/sky-1",
                              "published": "2023-09-24", "similarity": 0.93}]
    assert (answer.cluster, answer.policy, answer.title) == ("c0", "earliest", "Met officers step back")
    text = answer.to_text()
    assert "learned (bbc, 4 documents): BBC  News  at six" in text and "rule share: Share this article" in text
    assert "stands for 1 copy (cluster c0, policy earliest):" in text and "sky-1  similarity 0.93" in text
    alone = explain_id(snapshot, "itv-1")
    assert alone.where.endswith(" 2") and alone.cluster is None and alone.copies == alone.removed == []


def test_a_merged_id_names_the_document_it_was_merged_into(snapshot: Path) -> None:
    answer = explain_id(snapshot, "sky-1")
    assert (answer.status, answer.merged_into, answer.similarity, answer.cluster) == ("merged", "bbc-1", 0.93, "c0")
    assert answer.where == "data/clusters.jsonl.gz line 1" and answer.source == "sky"
    assert "merged into bbc-1 at similarity 0.93 (cluster c0, policy earliest)" in answer.to_text()


def test_a_rejected_id_gives_stage_reason_file_and_line(snapshot: Path) -> None:
    answer = explain_id(snapshot, "stub-1")
    assert answer.status == "rejected" and answer.where == "data/rejects.jsonl.gz line 1"
    assert answer.rejects == [{"stage": "clean", "reason": "no article text", "path": "in/feed.jsonl", "line": 7}]
    assert "stage clean: no article text\n  read from in/feed.jsonl line 7" in answer.to_text()


def test_an_unknown_id_is_an_error_naming_similar_ids(snapshot: Path) -> None:
    with pytest.raises(CorpusError, match=r"no kept document, merged copy or reject has the id 'bbc-2'; similar ids: 'bbc-1'"):
        explain_id(snapshot, "bbc-2")


# --------------------------------------------------------------------------- the command, on the sample snapshot


@pytest.fixture(scope="module")
def samples_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pipeline = load_pipeline(ROOT / "pipelines" / "case_reporting.toml")
    return run(pipeline.with_overrides(output=str(tmp_path_factory.mktemp("explain") / "snap"))).snapshot


def explain(*args: object):
    return CliRunner().invoke(main, ["explain", *map(str, args)])


def test_the_command_explains_a_kept_a_merged_and_a_rejected_sample(samples_snapshot: Path) -> None:
    kept = explain(samples_snapshot, "ledger-camberwell-library")
    assert kept.exit_code == 0, kept.output
    assert "ledger-camberwell-library: kept (data/data-00000.jsonl.gz line 1)" in kept.output
    assert ("learned (southwark-ledger.example, 3 documents): "
            "The Southwark Ledger — independent news for south London since 1998") in kept.output
    wire = explain(samples_snapshot, "003_45cc1c45fa8d7dc6")
    [cluster] = [c for c in load_snapshot(samples_snapshot).clusters() if c["kept"] == "003_45cc1c45fa8d7dc6"]
    similarity = next(m["similarity"] for m in cluster["members"] if m["id"] == "capitalherald-mod-soldiers")
    assert "stands for 5 copies" in wire.output
    assert f"capitalherald-mod-soldiers  similarity {similarity}" in wire.output
    merged = explain(samples_snapshot, "capitalherald-mod-soldiers", "--json")
    assert merged.exit_code == 0, merged.output
    answer = json.loads(merged.output)
    assert (answer["status"], answer["merged_into"], answer["similarity"]) == ("merged", "003_45cc1c45fa8d7dc6", similarity)
    rejected = explain(samples_snapshot, "<urn:uuid:5b0c1d2e-0000-4000-8000-000000000004>")
    assert rejected.exit_code == 0, rejected.output
    assert "stage read: not an HTML response (image/png)" in rejected.output
    assert "riversidegazette.warc.gz line 3" in rejected.output


def test_the_command_reports_an_unknown_id_in_one_line(samples_snapshot: Path, tmp_path: Path) -> None:
    unknown = explain(samples_snapshot, "no-such-article")
    assert unknown.exit_code == 1 and "no kept document, merged copy or reject has the id 'no-such-article'" in unknown.output
    assert "Traceback" not in unknown.output and isinstance(unknown.exception, SystemExit)
    missing = explain(tmp_path, "x")
    assert missing.exit_code == 1 and "not a corpus snapshot" in missing.output


def test_a_sourceless_documents_learned_line_names_what_learned_it(tmp_path: Path) -> None:
    """Lines learned without sources are rows of the '(no source)' source (with their edge scope)."""
    from corpus.clean.learned import UNSOURCED

    kept = Document(id="page-1", text=WIRE, removed=[Removal("learned", "Skip to content")])
    learned = [{"source": UNSOURCED, "scope": "template:first1:00ff", "line": "Skip to content", "documents": 6}]
    snap = write_snapshot(tmp_path / "snap", [kept], [], [], manifest={"counts": {"inputs": 1}}, learned_lines=learned)
    answer = explain_id(snap, "page-1")
    assert answer.removed == [{"rule": "learned", "line": "Skip to content",
                               "learned_from": {"source": UNSOURCED, "documents": 6}}]
