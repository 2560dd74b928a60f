"""Faults: a run killed at any point, a full disk, an unwritable output.

What must hold: the published path holds a whole snapshot (one that verifies)
or nothing; what a killed run leaves is hidden (``.NAME.partial-*``,
``.NAME.old-*``) and the next run removes it; rerunning the same command gives
the same bytes as a run that was never interrupted; a write that fails is one
clear :class:`~corpus.errors.CorpusError` line, with no partial directory left.
"""

from __future__ import annotations

import errno
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import ROOT, SAMPLES
from corpus.engines.local import run
from corpus.errors import CorpusError
from corpus.pipeline import load_pipeline
from corpus.snapshot import verify_snapshot

PIPELINE = ROOT / "pipelines" / "case_reporting.toml"
SEED = SAMPLES / "text" / "000_7e251f1d1e3ad37f.txt"
DOCS = 1000  # about 2 s for `corpus run` on this machine, imports included


def generate_feed(path: Path, docs: int = DOCS) -> None:
    """A seeded JSONL feed: stories of three copies each, words drawn from the seed articles."""
    words = sorted({w for p in sorted((SAMPLES / "text").glob("*.txt")) for w in p.read_text(encoding="utf-8").split()})
    with open(path, "w", encoding="utf-8") as f:
        for i in range(docs):
            story = random.Random(i // 3)
            text = "\n\n".join(" ".join(story.choices(words, k=40)) for _ in range(5))
            f.write(json.dumps({"id": f"d{i}", "text": text, "source": f"outlet{i % 3}.example"}) + "\n")


# A wrapper that runs the CLI with a SIGKILL planted at one point of the snapshot writer.
KILLER = '''
import os, signal, sys
import corpus.snapshot.publish as snapshot_publish
import corpus.snapshot.write as snapshot_write
from corpus.cli import main

point = sys.argv.pop(1)

def die():
    os.kill(os.getpid(), signal.SIGKILL)

if point == "writing-documents":
    write_record, calls = snapshot_write._OutputFile.write_record, [0]
    def write_record_then_die(self, line):
        calls[0] += 1
        if calls[0] == 200:
            die()
        write_record(self, line)
    snapshot_write._OutputFile.write_record = write_record_then_die
elif point == "before-publish":
    snapshot_write._publish = lambda tmp, out: die()  # where write_snapshot looks it up
elif point == "mid-publish":
    rename, renames = os.rename, [0]
    def rename_then_die(src, dst):
        # The publisher's renames only (the work directory's shards are renamed into place too).
        renames[0] += any(os.path.basename(p).startswith(".snapshot.") for p in (src, dst))
        if renames[0] == 2:  # the old snapshot is aside, the new one not yet in place
            die()
        rename(src, dst)
    snapshot_publish.os.rename = rename_then_die
if __name__ == "__main__":  # the cleaning workers (spawned) import this module again
    main(sys.argv[1:], prog_name="corpus")
'''


def command(feed: Path, out: Path) -> list[str]:
    return ["run", str(PIPELINE), "--input", str(feed), "--output", str(out), "--no-progress"]


def corpus(*args: str, killer: Path | None = None, point: str | None = None) -> subprocess.CompletedProcess[str]:
    prefix = [sys.executable, str(killer), point] if killer else [sys.executable, "-m", "corpus"]
    return subprocess.run([*prefix, *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def files(snapshot: Path) -> dict[str, bytes]:
    return {p.relative_to(snapshot).as_posix(): p.read_bytes() for p in sorted(snapshot.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def assert_whole_or_absent(out: Path) -> None:
    """The published path never holds a partial snapshot; anything partial is hidden."""
    if out.exists():
        assert verify_snapshot(out) == []
    visible = sorted(p.name for p in out.parent.iterdir() if not p.name.startswith("."))
    assert set(visible) <= {out.name, f"{out.name}.work"}  # the work directory stays, for the rerun to resume
    for name in leftovers(out):
        assert re.fullmatch(rf"\.{out.name}\.((partial|old)-\d+-[0-9a-f]+|lock|work\.lock)", name), name


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("feed") / "feed.jsonl"
    generate_feed(path)
    return path


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory: pytest.TempPathFactory, feed: Path) -> tuple[dict[str, bytes], float]:
    """The bytes of an uninterrupted run, and how long it took (to aim the kills)."""
    out = tmp_path_factory.mktemp("reference") / "snapshot"
    start = time.monotonic()
    done = corpus(*command(feed, out))
    assert done.returncode == 0, done.stderr
    return files(out), time.monotonic() - start


@pytest.fixture(scope="module")
def reference(uninterrupted: tuple[dict[str, bytes], float]) -> dict[str, bytes]:
    return uninterrupted[0]


def test_runs_killed_after_varied_delays_leave_no_partial_snapshot_and_a_rerun_gives_the_same_bytes(
        tmp_path: Path, feed: Path, uninterrupted: tuple[dict[str, bytes], float]) -> None:
    reference, seconds = uninterrupted
    out = tmp_path / "snapshot"
    killed = 0
    # From start-up through reading, cleaning and dedup to the snapshot writer's last moments.
    # --fresh: each killed run starts over, so it takes as long as the reference the delays are aimed by
    # (tests/test_resume.py kills at chosen points and checks what a rerun reuses).
    for delay in (0.1 * seconds, 0.4 * seconds, 0.6 * seconds, 0.8 * seconds, 0.9 * seconds, 0.97 * seconds):
        proc = subprocess.Popen([sys.executable, "-m", "corpus", *command(feed, out), "--fresh"], cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        killed += proc.wait() == -signal.SIGKILL
        assert_whole_or_absent(out)
    assert killed >= 3  # most kills land mid-run; a late one may find the run finished, which is fine too
    done = corpus(*command(feed, out))
    assert done.returncode == 0, done.stderr
    assert files(out) == reference
    assert leftovers(out) == []


@pytest.mark.parametrize("point", ["writing-documents", "before-publish", "mid-publish"])
def test_a_run_killed_inside_the_snapshot_writer_is_recovered_by_a_rerun(
        tmp_path: Path, feed: Path, reference: dict[str, bytes], point: str) -> None:
    killer = tmp_path / "killer.py"
    killer.write_text(KILLER, encoding="utf-8")
    out = tmp_path / "out" / "snapshot"
    # An earlier snapshot at the output, of other inputs: the killed run must not damage it.
    previous = corpus("run", str(PIPELINE), "--input", str(SEED), "--output", str(out), "--no-progress")
    assert previous.returncode == 0, previous.stderr
    before = files(out)

    killed = corpus(*command(feed, out), killer=killer, point=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert_whole_or_absent(out)
    assert leftovers(out)  # the kill left its hidden directory behind
    if point == "mid-publish":
        assert not out.exists()  # moved aside, not yet replaced: absent, never partial
    else:
        assert files(out) == before

    done = corpus(*command(feed, out))
    assert done.returncode == 0, done.stderr
    assert files(out) == reference
    assert leftovers(out) == []


def test_a_leftover_of_a_live_writer_is_not_touched(tmp_path: Path) -> None:
    out = tmp_path / "snapshot"
    mine = tmp_path / f".snapshot.partial-{os.getpid()}-0123abcd"  # this process is alive
    mine.mkdir()
    run(load_pipeline(PIPELINE).with_overrides(inputs=[str(SEED)], output=str(out)))
    assert verify_snapshot(out) == []
    assert mine.is_dir()


# --------------------------------------------------------------------------- failed writes


def run_seed(out: Path) -> None:
    run(load_pipeline(PIPELINE).with_overrides(inputs=[str(SEED)], output=str(out)))


def test_a_full_disk_is_one_clear_error_and_leaves_the_previous_snapshot(tmp_path: Path, monkeypatch) -> None:
    import corpus.snapshot.write as snapshot_write

    out = tmp_path / "snapshot"
    run_seed(out)
    before = files(out)
    written = [0]
    real_write = snapshot_write.HashingSink.write

    def write_until_full(self, data: bytes) -> int:
        written[0] += len(data)
        if written[0] > 2000:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self.f.name))
        return real_write(self, data)

    monkeypatch.setattr(snapshot_write.HashingSink, "write", write_until_full)
    with pytest.raises(CorpusError) as failed:
        run(load_pipeline(PIPELINE).with_overrides(inputs=[str(SAMPLES)], output=str(out)))
    message = str(failed.value)
    assert str(out) in message and "No space left on device" in message and "nothing was published" in message
    assert files(out) == before
    assert leftovers(out) == []


def mount_tmpfs(where: Path, options: str) -> bool:
    """Mount a tmpfs (root only); False where that is not allowed."""
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True).returncode == 0


@pytest.fixture
def tiny_disk(tmp_path: Path):
    disk = tmp_path / "tiny"
    if not mount_tmpfs(disk, "size=64k"):
        pytest.skip("mounting a 64 KiB tmpfs needs root")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


@pytest.fixture
def read_only_dir(tmp_path: Path):
    where = tmp_path / "read-only"
    if os.geteuid() != 0:
        where.mkdir()
        where.chmod(0o555)
        yield where
        where.chmod(0o755)
        return
    if not mount_tmpfs(where, "ro,size=64k"):
        pytest.skip("root ignores file modes, and a read-only tmpfs cannot be mounted here")
    yield where
    subprocess.run(["umount", str(where)], check=True)


def test_a_really_full_disk_leaves_nothing_behind(tiny_disk: Path) -> None:
    out = tiny_disk / "snapshot"
    with pytest.raises(CorpusError, match="No space left on device") as failed:
        run(load_pipeline(PIPELINE).with_overrides(inputs=[str(SAMPLES)], output=str(out)))
    assert "nothing was published" in str(failed.value)
    # Only the work directory is left, for a rerun (once there is room) to resume from; no snapshot, no lock.
    assert [p.name for p in tiny_disk.iterdir()] in ([], ["snapshot.work"])


def test_an_unwritable_output_is_one_clear_error(read_only_dir: Path) -> None:
    out = read_only_dir / "snapshot"
    with pytest.raises(CorpusError, match=r"cannot write a snapshot here \((Read-only file system|Permission denied)"):
        run_seed(out)
    assert list(read_only_dir.iterdir()) == []


def test_the_cli_prints_one_line_not_a_traceback_when_the_output_cannot_be_written(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    done = corpus("run", str(PIPELINE), "--input", str(SEED), "--output", str(blocker / "snapshot"), "--no-progress")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("Error: ") and "cannot write a snapshot here" in line and str(blocker) in line


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_the_clean_command_reports_a_full_disk_in_one_line() -> None:
    done = corpus("clean", str(SEED), "--output", "/dev/full", "--no-progress")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip() == "Error: /dev/full: cannot write (No space left on device); no output was kept"


def test_a_failed_jsonl_write_leaves_no_half_file(tmp_path: Path) -> None:
    from corpus.document import Document
    from corpus.writers import write_jsonl

    def documents():
        yield Document(id="a", text="Officers refused.")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with pytest.raises(CorpusError, match="No space left on device"):
        write_jsonl(documents(), tmp_path / "out.jsonl.gz")
    assert list(tmp_path.iterdir()) == []
