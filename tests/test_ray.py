"""The Ray engine writes the same snapshot bytes as the local engine.

Needs the ``ray`` extra (``pip install -e '.[ray]'``); without it these tests are
skipped, except the one that checks ``import corpus`` never imports Ray. A local
Ray on 2 CPUs is started once for the module and shut down after it.
"""

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.generate import generate
from bench.run import differing_files
from conftest import ROOT
from corpus.document import Document, Reject
from corpus.engines import local
from corpus.errors import CorpusError, InputError
from corpus.pipeline import load_pipeline, pipeline_from_dict

PIPELINE = ROOT / "pipelines" / "case_reporting.toml"
INCREMENTAL = ROOT / "tests" / "data" / "incremental"


def test_import_corpus_does_not_import_ray():
    code = "import corpus, corpus.engines.local, corpus.engines.ray, sys; assert 'ray' not in sys.modules, 'ray imported'"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


@pytest.fixture(scope="module")
def ray_engine():
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, logging_level="ERROR")
    from corpus.engines import ray as engine

    yield engine
    ray.shutdown()


def assert_same_snapshot(pipeline, tmp_path, engine):
    """Run ``pipeline`` on both engines; every file of the two snapshots must be the same bytes."""
    expected = local.run(pipeline.with_overrides(output=str(tmp_path / "local")))
    got = engine.run(pipeline.with_overrides(output=str(tmp_path / "ray")))
    assert got.counts == expected.counts
    assert got.rejects == expected.rejects
    assert set(got.seconds) == set(expected.seconds)  # the same stage names, for the benchmark
    differ = differing_files(tmp_path / "local", tmp_path / "ray")
    assert not differ, f"files differ between the engines: {differ}"
    return expected


def test_cleaning_on_ray_keeps_input_order_and_reads_a_bounded_way_ahead(ray_engine):
    """Ray tasks clean chunk by chunk: the items come back in input order, as one local process gives
    them, and no more than the chunks in flight (two per CPU) are read before the first is back."""
    from corpus.clean import CleanConfig
    from corpus.engines import workers

    story = "Officers met on day {} to talk about the charge brought against their colleague."
    items = [Reject(stage="read", reason="not JSON", path="feed.jsonl", line=k) if k % 97 == 0 else
             Document(id=f"d{k}", text="Share on Facebook\nAdvertisement\n|" if k % 31 == 0 else story.format(k))
             for k in range(1000)]
    read = 0  # documents

    def reader():
        nonlocal read
        for item in items:
            read += isinstance(item, Document)
            yield item

    cleaned = ray_engine.clean_in_order(reader(), CleanConfig())
    first = next(cleaned)
    assert read <= workers.IN_FLIGHT_PER_WORKER * 2 * workers.CHUNK_DOCUMENTS  # the fixture's Ray has 2 CPUs
    got = [first, *cleaned]
    assert got == list(workers.clean_in_order(items, CleanConfig(), workers=1))
    assert {type(x).__name__ for x in got} == {"Document", "Reject"} and {r.stage for r in got if isinstance(r, Reject)} == {"read", "clean"}


def descends_from(pid: int, ancestor: int) -> bool:
    """Whether process ``pid`` is a descendant of ``ancestor`` (Linux ``/proc``)."""
    while pid > 1:
        try:
            pid = int(Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            return False
        if pid == ancestor:
            return True
    return False


def kill_one_cleaning_task(killed: list[int], timeout: float = 120) -> None:
    """SIGKILL the first Ray worker of this test process's own Ray found running a cleaning task."""
    deadline = time.monotonic() + timeout
    while not killed and time.monotonic() < deadline:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                running = (entry / "cmdline").read_bytes().startswith(b"ray::_clean_chunk")
            except OSError:
                continue
            if running and descends_from(int(entry.name), os.getpid()):
                os.kill(int(entry.name), signal.SIGKILL)
                killed.append(int(entry.name))
                return
        time.sleep(0.02)


@pytest.mark.skipif(not Path("/proc/self/stat").is_file(), reason="needs Linux /proc to find the Ray workers")
def test_a_ray_worker_killed_while_cleaning_is_retried_and_the_bytes_stay(ray_engine, tmp_path):
    records, _ = generate(1500, seed=5)
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)]}})
    killed: list[int] = []
    killer = threading.Thread(target=kill_one_cleaning_task, args=(killed,))
    killer.start()
    try:
        got = ray_engine.run(pipeline.with_overrides(output=str(tmp_path / "ray")))
    finally:
        killed.append(0)  # stops the killer if it found nothing
        killer.join()
    assert killed[0] > 0, "no cleaning task was seen running"
    expected = local.run(pipeline.with_overrides(output=str(tmp_path / "local")))
    assert got.counts == expected.counts
    assert not differing_files(tmp_path / "local", tmp_path / "ray")


def test_samples_give_the_same_bytes(ray_engine, tmp_path):
    result = assert_same_snapshot(load_pipeline(PIPELINE), tmp_path, ray_engine)
    # The samples exercise every stage: a reject, clusters, learned lines.
    assert result.counts["rejected"] and result.counts["clusters"] and result.counts["learned_lines"]


def test_samples_in_parquet_give_the_same_bytes(ray_engine, tmp_path):
    pipeline = load_pipeline(PIPELINE)
    pipeline = dataclasses.replace(pipeline, output=dataclasses.replace(pipeline.output, format="parquet"))
    assert_same_snapshot(pipeline, tmp_path, ray_engine)
    assert (tmp_path / "ray" / "data" / "data-00000.parquet").is_file()


def test_a_generated_corpus_gives_the_same_bytes(ray_engine, tmp_path):
    """2,000 syndicated copies over four JSONL files, one of them read in several chunks:
    exact and near duplicates, site chrome, HTML pages."""
    records, _ = generate(2000, seed=7)
    raw = tmp_path / "raw"
    raw.mkdir()
    for k, part in enumerate((records[:1400], records[1400::3], records[1401::3], records[1402::3])):
        with open(raw / f"part-{k}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)]}})
    result = assert_same_snapshot(pipeline, tmp_path, ray_engine)
    assert result.counts["merged"] > 500 and result.counts["learned_lines"] > 0


def write_messy_inputs(root: Path) -> Path:
    """Inputs that exercise every kind of reject, and ids repeated within and across files
    (by documents and by rejected records)."""
    raw = root / "raw"
    (raw / "feeds").mkdir(parents=True)
    story = "Hundreds of firearms officers handed in their weapons after a colleague was charged with murder."
    other = "A council approved new cycle lanes on the high street after a year of consultation with residents."
    (raw / "a.txt").write_text(story + "\n\nThe Ledger: local news for south London.\n", encoding="utf-8")
    (raw / "b.txt").write_text(story.upper() + "\n", encoding="utf-8")
    (raw / "empty.txt").write_text("  \n", encoding="utf-8")
    (raw / "notes.pdf").write_bytes(b"%PDF-1.4")
    (raw / "feeds" / "one.jsonl").write_text(
        json.dumps({"id": "x1", "text": other, "source": "ledger"}) + "\n"
        + "{not json\n"
        + json.dumps({"id": "x2", "text": "|"}) + "\n"
        + json.dumps({"id": "x3", "text": other + " Works start in May.", "source": "ledger"}) + "\n"
        + json.dumps({"id": "x5", "text": None}) + "\n",
        encoding="utf-8")
    (raw / "feeds" / "two.jsonl").write_text(
        json.dumps({"id": "x1", "text": "the same id again, from another file"}) + "\n"
        + json.dumps({"id": "x4", "text": story + " Officers met on Monday.", "source": "wire"}) + "\n"
        + json.dumps({"id": "x1", "text": "and a third time, twice in this file"}) + "\n"
        + json.dumps({"id": "x5", "text": "an id a rejected record named first"}) + "\n"
        + json.dumps({"id": "x4", "text": None}) + "\n",
        encoding="utf-8")
    return raw


def test_rejects_and_ids_read_twice_give_the_same_bytes(ray_engine, tmp_path):
    raw = write_messy_inputs(tmp_path)
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw), str(tmp_path / "missing")]}})
    result = assert_same_snapshot(pipeline, tmp_path, ray_engine)
    reasons = [r.reason for r in result.rejects]
    assert sum("duplicate id 'x1', first read from" in r and "one.jsonl:1" in r for r in reasons) == 2
    assert any("duplicate id 'x5'" in r and "one.jsonl:5 (rejected)" in r for r in reasons)
    assert any("its id 'x4' is a duplicate" in r for r in reasons)
    assert any("no such file" in r for r in reasons)
    assert {r.stage for r in result.rejects} == {"read", "clean"}
    assert all(r.path and r.path.startswith(str(raw)) for r in result.rejects if r.stage == "clean")


def test_strict_stops_at_the_same_input(ray_engine, tmp_path):
    raw = write_messy_inputs(tmp_path)
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)], "strict": True}})
    with pytest.raises(CorpusError) as expected:
        local.run(pipeline.with_overrides(output=str(tmp_path / "local")))
    with pytest.raises(CorpusError) as got:
        ray_engine.run(pipeline.with_overrides(output=str(tmp_path / "ray")))
    assert type(got.value) is type(expected.value) is InputError
    assert str(got.value) == str(expected.value)
    assert not (tmp_path / "ray").exists()


def test_strict_stops_at_the_same_repeated_id(ray_engine, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("a", "b"):
        (raw / f"{name}.jsonl").write_text(json.dumps({"id": "same", "text": f"A page of file {name}."}) + "\n")
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)], "strict": True}})
    with pytest.raises(InputError) as expected:
        local.run(pipeline.with_overrides(output=str(tmp_path / "local")))
    with pytest.raises(InputError) as got:
        ray_engine.run(pipeline.with_overrides(output=str(tmp_path / "ray")))
    assert "duplicate id 'same'" in str(expected.value) and "b.jsonl" in str(expected.value)
    assert str(got.value) == str(expected.value)


def assert_same_incremental(pipeline, new_inputs, tmp_path, engine):
    """A base snapshot by the local engine, then a run on ``new_inputs`` against it on both engines."""
    base = tmp_path / "base"
    local.run(pipeline.with_overrides(output=str(base)))
    later = pipeline.with_overrides(inputs=[str(p) for p in new_inputs])
    expected = local.run(later.with_overrides(output=str(tmp_path / "local")), base=base)
    got = engine.run(later.with_overrides(output=str(tmp_path / "ray")), base=base)
    assert got.counts == expected.counts
    assert not differing_files(tmp_path / "local", tmp_path / "ray")
    return expected


def test_an_incremental_run_on_the_samples_gives_the_same_bytes(ray_engine, tmp_path):
    result = assert_same_incremental(load_pipeline(PIPELINE), [INCREMENTAL], tmp_path, ray_engine)
    assert result.counts["this_run"]["merged"] == 1  # the late copy of seed 003 joins its old cluster


def test_an_incremental_run_on_a_generated_corpus_gives_the_same_bytes(ray_engine, tmp_path):
    """Late copies of old stories join their old clusters; some replace the old kept copy."""
    records, _ = generate(600, seed=11)
    (tmp_path / "old").mkdir()
    (tmp_path / "new").mkdir()
    for name, part in (("old/a.jsonl", records[:400]), ("new/b.jsonl", records[400:])):
        with open(tmp_path / name, "w", encoding="utf-8") as f:
            f.writelines(json.dumps(r, ensure_ascii=False) + "\n" for r in part)
    pipeline = pipeline_from_dict({"input": {"paths": [str(tmp_path / "old")]}})
    result = assert_same_incremental(pipeline, [tmp_path / "new"], tmp_path, ray_engine)
    assert result.counts["this_run"]["merged"] > 50


def test_a_base_signed_otherwise_is_refused(ray_engine, tmp_path):
    local.run(load_pipeline(PIPELINE).with_overrides(output=str(tmp_path / "base")))
    pipeline = pipeline_from_dict({"input": {"paths": [str(INCREMENTAL)]}, "dedup": {"num_perm": 64}})
    with pytest.raises(CorpusError, match="the base index was signed with"):
        ray_engine.run(pipeline.with_overrides(output=str(tmp_path / "ray")), base=tmp_path / "base")


def test_an_address_nobody_answers_at_is_one_error_line(tmp_path):
    """Ray alone retries an unreachable address for minutes; the engine says so at once."""
    import socket

    pytest.importorskip("ray", reason="the ray extra is not installed: pip install -e '.[ray]'")

    with socket.socket() as free:  # a port nothing listens on once this closes
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    done = subprocess.run([sys.executable, "-m", "corpus", "run", str(PIPELINE), "--engine", "ray",
                           "--address", f"127.0.0.1:{port}", "--output", str(tmp_path / "out")],
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode != 0
    assert f"cannot reach Ray at 127.0.0.1:{port}" in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()
