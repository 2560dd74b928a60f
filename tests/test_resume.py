"""The work directory: cleaned shards cut by position, reused by a rerun after an interruption.

What must hold: a rerun after a kill at any point (mid-clean, inside a shard,
between a shard and its record, mid-learn, mid-dedup, mid-write) cleans only
the shards not done and gives the bytes of an uninterrupted run, whatever the
workers; a damaged shard is cleaned again; a work directory made for other
inputs or another pipeline is started over; ``--fresh`` and ``--keep-work`` do
what they say; the work directory is never read as input, and never one that is
not a corpus work directory is emptied.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES
from corpus.engines import workdir as workdir_module
from corpus.engines import workers as workers_module
from corpus.engines.local import run
from corpus.errors import CorpusError
from corpus.pipeline import load_pipeline, pipeline_from_dict
from corpus.snapshot.publish import output_lock
from test_faults import generate_feed
from test_workers import write_generated_with_bad_inputs

PIPELINE = ROOT / "pipelines" / "case_reporting.toml"


def files(path: Path) -> dict[str, bytes]:
    return {p.relative_to(path).as_posix(): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def shard_records(work: Path) -> list[str]:
    return sorted(p.name for p in (work / "clean").glob("*.json"))


def to_clean(shard: Path) -> int:
    """How many documents went to cleaning for one shard: those it holds cleaned or as a clean reject."""
    import io

    import zstandard

    with open(shard, "rb") as raw:
        lines = io.BufferedReader(zstandard.ZstdDecompressor().stream_reader(raw)).read().splitlines()
    records = [json.loads(line) for line in lines]
    return sum(1 for r in records if "document" in r or r["reject"]["stage"] == "clean")


class Counted:
    """Counts the documents cleaned in this process (``--workers 1`` cleans them all here)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.documents = 0
        real = workers_module.clean_documents

        def counting(cleaner, docs, strict):
            self.documents += len(docs)
            return real(cleaner, docs, strict)

        monkeypatch.setattr(workers_module, "clean_documents", counting)


class Interrupted(BaseException):
    """Stands for Ctrl-C: raised from inside the run, not caught by it."""


def interrupt_after_commits(monkeypatch: pytest.MonkeyPatch, commits: int) -> None:
    real, done = workdir_module._ShardWriter.commit, [0]

    def commit(self, data):
        record = real(self, data)
        done[0] += 1
        if done[0] == commits:
            raise Interrupted
        return record

    monkeypatch.setattr(workdir_module._ShardWriter, "commit", commit)


@pytest.fixture
def generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A generated corpus with read and clean rejects and a repeated id, cut into shards of 30
    items and cleaning chunks of 5 documents; its pipeline, writing to ``tmp_path/snap``."""
    monkeypatch.setattr(workdir_module, "SHARD_ITEMS", 30)
    monkeypatch.setattr(workers_module, "CHUNK_DOCUMENTS", 5)
    raw = write_generated_with_bad_inputs(tmp_path)
    return pipeline_from_dict({"input": {"paths": [str(raw)]}, "output": {"path": str(tmp_path / "snap")}})


def test_shards_are_cut_by_position_so_every_worker_count_writes_the_same_bytes(tmp_path, generated):
    one = run(generated.with_overrides(output=str(tmp_path / "one")), workers=1, keep_work=True)
    two = run(generated.with_overrides(output=str(tmp_path / "two")), workers=2, keep_work=True)
    assert one.shards == two.shards > 5 and one.reused_shards == two.reused_shards == 0
    assert files(tmp_path / "one.work") == files(tmp_path / "two.work")
    assert files(tmp_path / "one") == files(tmp_path / "two")


@pytest.mark.parametrize("workers", [1, 2])
def test_an_interrupted_run_resumes_without_cleaning_the_shards_done(tmp_path, generated, monkeypatch, workers):
    reference = run(generated.with_overrides(output=str(tmp_path / "reference")))
    with monkeypatch.context() as patch:
        interrupt_after_commits(patch, 3)
        with pytest.raises(Interrupted):
            run(generated, workers=workers)
    work = tmp_path / "snap.work"
    assert not (tmp_path / "snap").exists() and shard_records(work) == ["00000.json", "00001.json", "00002.json"]
    done = sum(to_clean(work / "clean" / f"0000{k}.jsonl.zst") for k in range(3))

    counted = Counted(monkeypatch)
    resumed = run(generated, workers=1)
    assert resumed.reused_shards == 3 and resumed.shards == reference.shards
    assert counted.documents == reference.counts["cleaned"] + reference.counts["rejected_by_stage"]["clean"] - done
    assert resumed.rejects == reference.rejects  # in input order, the reused shards' among them
    assert files(tmp_path / "snap") == files(tmp_path / "reference")
    assert not work.exists()  # removed once published


def test_a_damaged_shard_is_cleaned_again(tmp_path, generated, monkeypatch):
    run(generated, keep_work=True)
    reference = files(tmp_path / "snap")
    work = tmp_path / "snap.work"
    damaged, gone = work / "clean" / "00002.jsonl.zst", work / "clean" / "00004.jsonl.zst"
    expected = to_clean(damaged) + to_clean(gone)
    data = bytearray(damaged.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    gone.unlink()  # a shard gone, its record left

    counted, notices = Counted(monkeypatch), []
    again = run(generated, workers=1, on_notice=notices.append)
    assert again.reused_shards == again.shards - 2 and counted.documents == expected > 0
    assert len(notices) == 2 and all("damaged" in n for n in notices)
    assert "00002.jsonl.zst" in notices[0] and "00004.jsonl.zst" in notices[1]
    assert files(tmp_path / "snap") == reference


def test_a_work_directory_of_another_pipeline_or_other_inputs_starts_over(tmp_path, generated, monkeypatch):
    first = run(generated, keep_work=True)
    stricter = pipeline_from_dict({"input": {"paths": [str(tmp_path / "raw")]}, "dedup": {"threshold": 0.9},
                                   "output": {"path": str(tmp_path / "snap")}})
    counted, notices = Counted(monkeypatch), []
    second = run(stricter, workers=1, keep_work=True, on_notice=notices.append)
    [line] = notices
    assert "made by a run with other pipeline; cleaning from the start" in line and str(tmp_path / "snap.work") in line
    assert second.reused_shards == 0 and counted.documents == first.counts["cleaned"] + first.counts[
        "rejected_by_stage"]["clean"]

    feed = sorted((tmp_path / "raw").glob("*.jsonl"))[0]
    feed.write_text(feed.read_text(encoding="utf-8").replace("the", "a", 1), encoding="utf-8")
    notices.clear()
    third = run(stricter, workers=1, on_notice=notices.append)
    assert third.reused_shards == 0 and notices == [
        f"{tmp_path / 'snap.work'}: made by a run with other inputs; cleaning from the start"]
    run(stricter.with_overrides(output=str(tmp_path / "fresh")))
    assert files(tmp_path / "snap") == files(tmp_path / "fresh")


def test_fresh_discards_the_work_and_keep_work_keeps_it(tmp_path, generated, monkeypatch):
    with monkeypatch.context() as patch:
        interrupt_after_commits(patch, 2)
        with pytest.raises(Interrupted):
            run(generated)
    counted = Counted(monkeypatch)
    done = run(generated, workers=1, fresh=True, keep_work=True)
    assert done.reused_shards == 0
    assert counted.documents == done.counts["cleaned"] + done.counts["rejected_by_stage"]["clean"]
    work = tmp_path / "snap.work"
    assert len(shard_records(work)) == done.shards  # kept, whole: a later run may reuse all of it
    again = run(generated)
    assert again.reused_shards == done.shards and not work.exists()


def test_the_work_directory_is_never_read_as_input(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in (SAMPLES / "text").glob("*.txt"):
        (raw / path.name).write_bytes(path.read_bytes())
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)]}, "output": {"path": str(raw / "snap")}})
    first = run(pipeline, keep_work=True)  # the default work directory, raw/snap.work, inside the input
    second = run(pipeline)
    assert first.counts == second.counts and first.counts["inputs"] == 5 and second.reused_shards == 1
    third = run(pipeline, work=raw / "work", keep_work=True)
    fourth = run(pipeline, work=raw / "work", keep_work=True)
    assert third.counts == fourth.counts == first.counts and fourth.reused_shards == 1
    assert sorted(p.name for p in raw.iterdir() if not p.name.endswith(".txt")) == ["snap", "work"]


def test_a_directory_that_is_not_a_work_directory_is_never_emptied(tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    pipeline = load_pipeline(PIPELINE).with_overrides(inputs=[str(SAMPLES / "text")], output=str(tmp_path / "snap"))
    for fresh in (False, True):
        with pytest.raises(CorpusError, match="is not a corpus work directory"):
            run(pipeline, work=mine, fresh=fresh)
    assert files(mine) == {"notes.txt": b"keep me"}
    with pytest.raises(CorpusError, match="must lie outside the output"):
        run(pipeline, work=tmp_path / "snap" / "work")


def test_two_runs_on_one_work_directory_stop_the_second(tmp_path):
    pipeline = load_pipeline(PIPELINE).with_overrides(inputs=[str(SAMPLES / "text")], output=str(tmp_path / "a"))
    with output_lock(tmp_path / "shared-work", "work directory"):
        with pytest.raises(CorpusError, match="another corpus run is writing this work directory"):
            run(pipeline, work=tmp_path / "shared-work")
    assert run(pipeline, work=tmp_path / "shared-work").counts["inputs"] == 5


# --------------------------------------------------------------------------- SIGKILL at chosen points

# Runs the CLI with shards of 100 items and, at one point of the run, a SIGKILL.
# "count" kills nothing and prints how many documents this process cleaned.
KILLER = '''
import os, signal, sys
point = sys.argv.pop(1)
if __name__ == "__main__":  # not in the (spawned) cleaning workers
    import atexit
    import corpus.engines.workdir as workdir
    import corpus.engines.workers as workers
    import corpus.engines.local as local
    import corpus.snapshot.write as snapshot_write
    from corpus.cli import main

    workdir.SHARD_ITEMS = 100

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def die_on_call(owner, name, n):
        real, calls = getattr(owner, name), [0]
        def wrapped(*args, **kwargs):
            calls[0] += 1
            if calls[0] == n:
                die()
            return real(*args, **kwargs)
        setattr(owner, name, wrapped)

    if point == "after-3-shards":
        real_commit, commits = workdir._ShardWriter.commit, [0]
        def commit(self, data):
            record = real_commit(self, data)
            commits[0] += 1
            if commits[0] == 3:
                die()
            return record
        workdir._ShardWriter.commit = commit
    elif point == "inside-a-shard":
        die_on_call(workdir._ShardWriter, "add", 150)
    elif point == "before-a-record":
        die_on_call(workdir, "_write_json_atomically", 1)
    elif point == "learn":
        die_on_call(local.LineCounts, "add", 500)
    elif point == "dedup":
        die_on_call(local.Deduplicator, "find", 1)
    elif point == "write":
        die_on_call(snapshot_write._OutputFile, "write_record", 200)
    elif point == "count":
        cleaned, real_clean = [0], workers.clean_documents
        def counting(cleaner, docs, strict):
            cleaned[0] += len(docs)
            return real_clean(cleaner, docs, strict)
        workers.clean_documents = counting
        atexit.register(lambda: print(f"cleaned here: {cleaned[0]}", file=sys.stderr))
    main(sys.argv[1:], prog_name="corpus")
'''


def test_runs_killed_at_each_stage_resume_and_give_the_bytes_of_an_uninterrupted_run(tmp_path):
    feed = tmp_path / "feed.jsonl"
    generate_feed(feed)  # 1,000 documents: 10 shards of 100
    killer = tmp_path / "killer.py"
    killer.write_text(KILLER, encoding="utf-8")

    def corpus(point: str, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, str(killer), point, "run", str(PIPELINE), "--input", str(feed),
                               "--output", str(out), "--no-progress", *extra],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)

    reference = corpus("none", tmp_path / "reference", "--workers", "2")
    assert reference.returncode == 0, reference.stderr
    out, work = tmp_path / "snap", tmp_path / "snap.work"
    records_after = {"after-3-shards": 3, "inside-a-shard": 4, "before-a-record": 4, "learn": 10, "dedup": 10,
                     "write": 10}
    for point, records in records_after.items():
        killed = corpus(point, out, "--workers", "2")
        assert killed.returncode == -signal.SIGKILL, (point, killed.stderr)
        assert not out.exists()
        assert len(shard_records(work)) == records, point
        hidden = [p.name for p in (work / "clean").iterdir() if p.name.startswith(".")]
        assert bool(hidden) == (point == "inside-a-shard"), (point, hidden)  # the shard being written
        if point == "before-a-record":  # shard 4's data renamed into place, its record never written
            assert (work / "clean" / "00004.jsonl.zst").exists() and not (work / "clean" / "00004.json").exists()

    final = corpus("count", out, "--workers", "1")
    assert final.returncode == 0, final.stderr
    assert "cleaned here: 0" in final.stderr and "resumed: 10 of 10 cleaned shards" in final.stderr
    assert files(out) == files(tmp_path / "reference")
    assert not work.exists()
    assert not [p for p in tmp_path.iterdir() if re.fullmatch(r"\.snap\..*", p.name)]
