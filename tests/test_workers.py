"""``--workers N``: cleaning over processes gives the same snapshot bytes for every N; a
killed worker is an error, not a hang; outputs are never read as inputs; one run per output."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bench.generate import generate
from conftest import SAMPLES
from corpus.clean import CleaningError
from corpus.engines import workers as workers_module
from corpus.engines.local import run
from corpus.errors import CorpusError
from corpus.pipeline import load_pipeline, pipeline_from_dict
from corpus.snapshot.publish import output_lock

ROOT = Path(__file__).resolve().parent.parent
PIPELINE = ROOT / "pipelines" / "case_reporting.toml"
BOILERPLATE_ONLY = "Share on Facebook\nAdvertisement\n|"  # a clean-stage reject


def snapshot_files(path: Path) -> dict[str, bytes]:
    return {str(p.relative_to(path)): p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file()}


def run_with(pipeline, out: Path, workers: int):
    return run(pipeline.with_overrides(output=str(out)), workers=workers)


def write_generated_with_bad_inputs(root: Path, docs: int = 200) -> Path:
    """A generated syndication corpus over three files, with read and clean rejects and a
    repeated id mixed in among the documents, so that they fall inside and across chunks."""
    records, _ = generate(docs, seed=11)
    raw = root / "raw"
    raw.mkdir()
    lines = [json.dumps(r, ensure_ascii=False) for r in records]
    for k in range(0, len(lines), 17):
        lines.insert(k, ["{not json", json.dumps({"id": f"chrome-{k}", "text": BOILERPLATE_ONLY}),
                         json.dumps({"id": records[0]["id"], "text": "a repeated id"}),
                         json.dumps({"id": f"none-{k}", "text": None})][k % 4])
    third = len(lines) // 3
    for n, part in enumerate((lines[:third], lines[third:2 * third], lines[2 * third:])):
        (raw / f"part-{n}.jsonl").write_text("".join(line + "\n" for line in part), encoding="utf-8")
    (raw / "empty.txt").write_text(" \n", encoding="utf-8")
    return raw


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 5 documents: a small corpus is cut into many, so the workers are used."""
    monkeypatch.setattr(workers_module, "CHUNK_DOCUMENTS", 5)


def test_samples_give_the_same_bytes_on_one_and_two_workers(tmp_path, small_chunks):
    pipeline = load_pipeline(PIPELINE)
    one = run_with(pipeline, tmp_path / "one", 1)
    two = run_with(pipeline, tmp_path / "two", 2)
    assert two.usage["read+clean"].workers_peak_rss > 0, "the two workers did not run"
    assert one.counts == two.counts and one.rejects == two.rejects
    assert snapshot_files(tmp_path / "one") == snapshot_files(tmp_path / "two")


def test_a_generated_corpus_with_bad_inputs_gives_the_same_bytes(tmp_path, small_chunks):
    raw = write_generated_with_bad_inputs(tmp_path)
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)]}})
    one = run_with(pipeline, tmp_path / "one", 1)
    two = run_with(pipeline, tmp_path / "two", 2)
    stages = {r.stage for r in one.rejects}
    assert stages == {"read", "clean"} and one.counts["merged"] > 50
    assert one.rejects == two.rejects
    assert snapshot_files(tmp_path / "one") == snapshot_files(tmp_path / "two")


def test_strict_stops_at_the_first_bad_input_whatever_the_workers(tmp_path, small_chunks):
    """A clean error early and a read error later: every N stops at the clean one."""
    raw = tmp_path / "raw"
    raw.mkdir()
    good = [json.dumps({"id": f"d{k}", "text": f"Officers met on day {k} to talk about the charge."}) for k in range(40)]
    lines = good[:12] + [json.dumps({"id": "chrome", "text": BOILERPLATE_ONLY})] + good[12:] + ["{not json"]
    (raw / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)], "strict": True}})
    for workers in (1, 2):
        with pytest.raises(CleaningError, match="document 'chrome'"):
            run_with(pipeline, tmp_path / f"out{workers}", workers)
        assert not (tmp_path / f"out{workers}").exists()


def children(pid: int) -> list[int]:
    return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


needs_proc = pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc to find the workers")


def start_run_with_workers(tmp_path: Path) -> tuple[subprocess.Popen[str], list[int]]:
    """``corpus run --workers 2`` on 3,000 generated documents, once its workers are cleaning."""
    raw = tmp_path / "raw"
    raw.mkdir()
    records, _ = generate(3000, seed=5)
    (raw / "feed.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "corpus", "run", str(PIPELINE), "-i", str(raw),
                             "-o", str(tmp_path / "snap"), "--workers", "2", "--no-progress"],
                            cwd=ROOT, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    workers: list[int] = []
    while len(workers) < 2 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
        workers = [c for c in children(proc.pid) if "spawn_main" in cmdline(c)]
    if len(workers) < 2:
        proc.kill()
        pytest.fail("the two worker processes did not appear")
    return proc, workers


@needs_proc
def test_a_killed_worker_is_an_error_not_a_hang(tmp_path):
    proc, workers = start_run_with_workers(tmp_path)
    try:
        os.kill(workers[0], signal.SIGKILL)
        _, stderr = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1
    assert "a cleaning worker process died" in stderr and "Traceback" not in stderr
    assert not (tmp_path / "snap").exists()


@needs_proc
def test_workers_end_when_the_run_is_killed(tmp_path):
    proc, workers = start_run_with_workers(tmp_path)
    proc.kill()
    proc.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{w}").exists() and "spawn_main" in cmdline(w) for w in workers):
        assert time.monotonic() < deadline, "a worker outlived the killed run"
        time.sleep(0.2)


def test_an_output_inside_the_input_directory_is_not_read(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in (SAMPLES / "text").glob("*.txt"):
        (raw / path.name).write_bytes(path.read_bytes())
    out = raw / "snap"
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)]}, "output": {"path": str(out)}})
    first = run(pipeline)
    first_files = snapshot_files(out)
    second = run(pipeline)  # the first snapshot is now inside the input directory
    assert first.counts == second.counts and first.counts["inputs"] == 5
    assert snapshot_files(out) == first_files


def test_clean_writes_the_same_bytes_on_one_and_two_workers(tmp_path, small_chunks):
    from click.testing import CliRunner

    from corpus.cli import main

    raw = write_generated_with_bad_inputs(tmp_path)
    outputs = {}
    for workers in (1, 2):
        out, rejects = tmp_path / f"clean-{workers}.jsonl", tmp_path / f"rejects-{workers}.jsonl"
        done = CliRunner().invoke(main, ["clean", str(raw), "-o", str(out), "--rejects", str(rejects),
                                         "--workers", str(workers), "--no-progress"])
        assert done.exit_code == 0, done.output
        outputs[workers] = (out.read_bytes(), rejects.read_bytes())
    stages = {json.loads(line)["stage"] for line in outputs[1][1].decode().splitlines()}
    assert stages == {"read", "clean"} and outputs[1][0].count(b"\n") > 150
    assert outputs[1] == outputs[2]


def test_clean_does_not_read_its_own_output(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    for path in (SAMPLES / "text").glob("*.txt"):
        (raw / path.name).write_bytes(path.read_bytes())
    for _ in range(2):
        done = subprocess.run([sys.executable, "-m", "corpus", "clean", str(raw), "-o", str(raw / "out.jsonl"),
                               "--rejects", str(raw / "rejects.jsonl"), "--no-progress"],
                              cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr
        assert "cleaned 5 documents, rejected 0" in done.stderr
    assert len((raw / "out.jsonl").read_text(encoding="utf-8").splitlines()) == 5


def test_a_second_run_on_the_same_output_stops_naming_the_first(tmp_path):
    out = tmp_path / "snap"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from corpus.snapshot.publish import output_lock\n"
                               f"with output_lock({str(out)!r}):\n    print('locked', flush=True); sys.stdin.read()"],
        cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout.readline().strip() == "locked"
        pipeline = load_pipeline(PIPELINE).with_overrides(output=str(out))
        with pytest.raises(CorpusError, match=f"another corpus run is writing this output \\(pid {holder.pid} on "):
            run(pipeline)
        assert not out.exists()
    finally:
        holder.kill()  # SIGKILL: the kernel releases its lock
        holder.wait()
    assert run(pipeline).counts["inputs"] > 0  # a killed holder leaves no lock that blocks
    with output_lock(out) as lock:
        assert lock.name == ".snap.lock" and f"pid {os.getpid()}" in lock.read_text()
    assert not lock.exists()  # released and removed


def test_workers_go_with_the_local_engine_only(tmp_path):
    done = subprocess.run([sys.executable, "-m", "corpus", "run", str(PIPELINE), "--engine", "ray", "--workers", "2",
                           "-o", str(tmp_path / "snap")],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 2 and "--workers goes with --engine local" in done.stderr
