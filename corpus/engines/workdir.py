"""A run's work directory: the cleaned documents as shards on disk, and what lets a rerun reuse them.

Cleaning is most of a run, so its results are kept where a rerun finds them:
the input, in read order, is cut into chunks of :data:`SHARD_ITEMS` items (a
document, or a reject the reader made), by position alone, so the cuts are the
same whatever the number of workers or the engine. Each chunk's outcomes (its
cleaned documents and rejects, in order) become one shard, written to a hidden
temporary file, fsynced and renamed into place; then a small record of the
shard (its item and document counts, byte size and sha256) is written the same
way. A shard without its record, or whose bytes no longer match it, is cleaned
again.

Whether shards may be reused at all is decided by a fingerprint of what the
cleaning depended on (:func:`fingerprint`): the input files' paths, sizes and
content hashes, the resolved pipeline, the base snapshot, corpus and its
dependencies' versions, and the shard layout. A work directory made for another
fingerprint is emptied and started over, with one line saying what changed.

Later stages read the documents back from the shards as a stream
(:meth:`WorkDir.documents`), so no process holds the cleaned corpus while it
is being cleaned.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from corpus.document import Document, Reject
from corpus.engines.workers import Item
from corpus.errors import CorpusError
from corpus.snapshot.format import _sha256_file
from corpus.snapshot.write import HashingSink
from corpus.writers import plain_number

#: Items (documents and read rejects) per shard. A rerun after a kill cleans at most
#: the shard being written plus what was in flight again: about 1,000 documents, a few
#: seconds of one core, while a million documents make a thousand shards.
SHARD_ITEMS = 1000
#: Bumped whenever what a shard holds, or how the input is cut into shards, changes.
WORK_FORMAT = 1
MARKER = "work.json"
ZSTD_LEVEL = 3  # ~300 MB/s on one core: the main process writes every shard, beside the workers

#: What cleans: the items of a run, in input order -> one outcome (the cleaned document
#: or its reject; a read reject passed on) per item, in input order.
Cleaning = Callable[[Iterable[Item]], Iterator[Document | Reject]]

_SHARD = re.compile(r"(\d{5,})\.json")


def default_work_path(output: str | os.PathLike[str]) -> Path:
    """Where a run on ``output`` keeps its work by default: ``NAME.work`` beside it."""
    out = Path(output)
    return out.parent / f"{out.name}.work"


def check_work_path(work: Path, output: Path) -> None:
    """Refuse a work directory that publishing the output would replace, or that holds the output."""
    w, o = Path(os.path.abspath(work)), Path(os.path.abspath(output))
    if w == o or o in w.parents or w in o.parents:
        raise CorpusError(f"{work}: the work directory must lie outside the output {output} and not contain it")


def fingerprint(*, inputs: list[dict[str, Any]], pipeline: dict[str, Any], base: dict[str, Any] | None,
                corpus_version: str, environment: dict[str, Any]) -> dict[str, Any]:
    """Everything the cleaned shards depend on, as a JSON object.

    ``inputs`` are the files read, each with its path, size and sha256
    (:func:`~corpus.snapshot.describe_inputs`, which the manifest records
    anyway, so hashing them costs the run nothing more). Content hashes rather
    than modification times: a copy, a checkout or a ``touch`` changes an mtime
    but not what cleaning sees, and would throw away hours of cleaning, while
    an edit that keeps size and mtime would be missed. ``base`` is the base
    snapshot's manifest (it lists every file's checksum), or None.
    """
    return {
        "layout": {"work_format": WORK_FORMAT, "shard_items": SHARD_ITEMS},
        "corpus_version": corpus_version,
        "environment": environment,
        "pipeline": pipeline,
        "base": None if base is None else hashlib.sha256(_canonical(base)).hexdigest(),
        "inputs": inputs,
    }


_WHAT_DIFFERS = {"layout": "shard layout", "corpus_version": "corpus version", "environment": "dependencies",
                 "pipeline": "pipeline", "base": "base snapshot", "inputs": "inputs"}


@dataclass(frozen=True)
class ShardRecord:
    """What was written for one shard: how many items went in, what came out, and its bytes' checksum."""

    index: int
    items: int
    documents: int
    rejects: int
    bytes: int
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"shard": self.index, "items": self.items, "documents": self.documents, "rejects": self.rejects,
                "bytes": self.bytes, "sha256": self.sha256}


class WorkDir:
    """The work directory of one run; :meth:`open` it, :meth:`clean` into it, read :meth:`documents` back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._shards = path / "clean"
        #: Shards complete and verified, by index.
        self.shards: dict[int, ShardRecord] = {}
        #: How many of them were found from an earlier run (the rest were cleaned by this one).
        self.reused = 0

    @classmethod
    def open(cls, path: str | os.PathLike[str], made_for: dict[str, Any], *, fresh: bool = False,
             on_notice: Callable[[str], None] | None = None) -> WorkDir:
        """The work directory at ``path`` for a run of fingerprint ``made_for``, with its reusable shards.

        A directory made for another fingerprint, or any with ``fresh``, is
        emptied. A directory that is neither empty nor a corpus work directory
        is refused: it is not this run's to empty.
        """
        path = Path(path)
        notice = on_notice or (lambda message: None)
        marker = path / MARKER
        if path.exists() and not path.is_dir():
            raise CorpusError(f"{path}: exists and is not a directory; choose another --work")
        if path.is_dir() and not marker.is_file() and any(not e.name.startswith(f".{MARKER}.partial-")
                                                          for e in path.iterdir()):
            raise CorpusError(f"{path}: exists and is not a corpus work directory (no {MARKER}); "
                              "choose another --work, or remove it")
        found = _read_marker(marker)
        if found is None and marker.is_file() and not fresh:
            notice(f"{marker}: unreadable; cleaning from the start")
        if found is not None and not fresh and found.get("made_for") != made_for:
            old = found.get("made_for") if isinstance(found.get("made_for"), dict) else {}
            differ = [name for key, name in _WHAT_DIFFERS.items() if old.get(key) != made_for.get(key)]
            notice(f"{path}: made by a run with other {', '.join(differ) or 'settings'}; cleaning from the start")
            found = None
        with _writing(path):
            if found is None or fresh:
                _empty(path)
                _write_json_atomically(marker, {"format": "corpus-work", "made_for": made_for})
            work = cls(path)
            work._shards.mkdir(exist_ok=True)
            work.shards = work._verified(notice)
        work.reused = len(work.shards)
        return work

    def _verified(self, notice: Callable[[str], None]) -> dict[int, ShardRecord]:
        """The shards whose record is there and whose bytes match it; what a killed writer left is removed."""
        done: dict[int, ShardRecord] = {}
        for entry in sorted(self._shards.iterdir()):
            match = _SHARD.fullmatch(entry.name)
            if entry.name.startswith("."):  # a temporary file of a writer that was killed
                entry.unlink()
                continue
            if match is None:
                continue
            data = self._data(int(match.group(1)))
            record = _read_record(entry)
            if record is None or record.index != int(match.group(1)) or not _matches(data, record):
                notice(f"{data}: incomplete or damaged (its checksum does not match); cleaning it again")
                entry.unlink()
                data.unlink(missing_ok=True)
                continue
            done[record.index] = record
        for entry in self._shards.glob("*.jsonl.zst"):  # data whose record was never written
            if int(entry.name.split(".")[0]) not in done:
                entry.unlink()
        return done

    def _data(self, index: int) -> Path:
        return self._shards / f"{index:05d}.jsonl.zst"

    def clean(self, items: Iterable[Item], cleaning: Cleaning, on_reject: Callable[[Reject], None]) -> None:
        """Clean ``items`` into shards, skipping those already done; every reject goes to ``on_reject`` in input order.

        ``items`` are read in full (a done shard's items are counted and
        dropped, never cleaned again); ``cleaning`` gets only those of the
        shards still to do. A shard is written as soon as its last outcome is
        back, so a run killed at any point keeps every shard finished before.
        """
        plan = _Plan(dict(self.shards))  # the shards done before; self.shards grows as this run writes more
        announced = 0  # the rejects of every shard below this index have gone to on_reject

        def announce_until(index: int) -> None:
            nonlocal announced
            for k in range(announced, index):
                if k in plan.done and plan.done[k].rejects:
                    for outcome in self._outcomes(k):
                        if isinstance(outcome, Reject):
                            on_reject(outcome)
            announced = max(announced, index)

        shard: _ShardWriter | None = None
        try:
            for outcome in cleaning(plan.feed(items)):
                index = plan.owner.popleft()
                if shard is None:
                    announce_until(index)
                    announced = index + 1
                    with _writing(self.path):
                        shard = _ShardWriter(self._shards, index)
                with _writing(self.path):
                    shard.add(outcome)
                if isinstance(outcome, Reject):
                    on_reject(outcome)
                if plan.sizes.get(index) == shard.items:
                    self._commit(shard)
                    shard = None
            if shard is not None:  # the input's last shard: its size was known only once the input ended
                if plan.sizes.get(shard.index) != shard.items:
                    raise CorpusError(f"{self.path}: cleaning gave {shard.items} outcomes for shard {shard.index}, "
                                      f"of {plan.sizes.get(shard.index)} items")
                self._commit(shard)
                shard = None
            if plan.owner:
                raise CorpusError(f"{self.path}: cleaning ended {len(plan.owner)} outcomes short of its items")
            plan.check_reused()
            announce_until(plan.count)
        finally:
            if shard is not None:
                shard.abandon()

    def _commit(self, shard: _ShardWriter) -> None:
        with _writing(self.path):
            self.shards[shard.index] = shard.commit(self._data(shard.index))

    @property
    def cleaned(self) -> int:
        """Documents cleaned (not rejected) in every shard."""
        return sum(r.documents for r in self.shards.values())

    def documents(self, removed: bool = True) -> Iterator[Document]:
        """Every cleaned document, in input order, read back from the shards; without ``removed``,
        with no list of the lines cleaning removed (often as large as the text, and slower to read)."""
        for index in sorted(self.shards):
            for outcome in self._outcomes(index, removed):
                if isinstance(outcome, Document):
                    yield outcome

    def _outcomes(self, index: int, removed: bool = True) -> Iterator[Document | Reject]:
        import zstandard

        with open(self._data(index), "rb") as raw, zstandard.ZstdDecompressor().stream_reader(raw) as unzipped:
            for line in io.BufferedReader(unzipped, buffer_size=1 << 20):
                record = json.loads(line)
                if "document" in record:
                    if not removed:
                        record["document"]["removed"] = []
                    yield Document.from_json(record["document"])
                else:
                    yield Reject(**record["reject"])

    def remove(self) -> None:
        """Remove the work directory (a strict run stopped by a bad input: it could never be reused)."""
        shutil.rmtree(self.path)


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[None]:
    """A failed write in the work directory (a full disk): one clear error."""
    try:
        yield
    except OSError as exc:
        where = exc.filename or path
        raise CorpusError(f"{where}: cannot write the work directory ({exc.strerror or exc}); nothing was "
                          "published. Free some space (or choose another --work) and run again") from exc


class _Plan:
    """Which items go to cleaning, and to which shard each outcome coming back belongs.

    ``owner`` holds the shard index of every item handed to cleaning whose
    outcome is not back yet (as many as cleaning keeps in flight); ``sizes``
    the item count of each shard to write, once its last item has been handed over.
    """

    def __init__(self, done: dict[int, ShardRecord]) -> None:
        self.done = done
        self.owner: deque[int] = deque()
        self.sizes: dict[int, int] = {}
        self.count = 0  # shards in the input, once it has been read to its end
        self._seen: dict[int, int] = {}

    def feed(self, items: Iterable[Item]) -> Iterator[Item]:
        index = n = 0
        for item in items:
            n += 1
            full = n == SHARD_ITEMS
            if index in self.done:
                if isinstance(item, Exception):  # a strict reader's error where a shard was done: inputs changed
                    raise item
                if full:
                    self._seen[index] = n
            else:
                self.owner.append(index)
                if full:
                    self.sizes[index] = n  # before its last item is handed over: its outcome may come back at once
                yield item
            if full:
                index, n = index + 1, 0
        if n:
            (self._seen if index in self.done else self.sizes)[index] = n
        self.count = index + (n > 0)

    def check_reused(self) -> None:
        """Every reused shard was made from as many items as the inputs give at its place now."""
        for index, record in self.done.items():
            if self._seen.get(index) != record.items:
                raise CorpusError(f"shard {index} of the work directory was cleaned from {record.items} items, "
                                  f"but the inputs give {self._seen.get(index, 0)} there now; rerun with --fresh")


class _ShardWriter:
    """One shard being written: JSON lines, zstd-compressed, hashed on the way, in a hidden temporary file."""

    def __init__(self, directory: Path, index: int) -> None:
        import zstandard

        self.index = index
        self.items = self.documents = self.rejects = 0
        self._tmp = directory / f".{index:05d}.partial-{os.getpid()}"
        self._file = open(self._tmp, "wb")
        self._sink = HashingSink(self._file)
        self._zstd = zstandard.ZstdCompressor(level=ZSTD_LEVEL).stream_writer(self._sink, closefd=False)
        self._buffer: list[bytes] = []
        self._buffered = 0

    def add(self, outcome: Document | Reject) -> None:
        if isinstance(outcome, Document):
            record, self.documents = {"document": outcome.to_json()}, self.documents + 1
        else:
            record, self.rejects = {"reject": outcome.to_json()}, self.rejects + 1
        # ASCII JSON (escapes kept), so any text comes back exactly as it went in.
        line = (json.dumps(record, separators=(",", ":"), default=plain_number) + "\n").encode("ascii")
        self.items += 1
        self._buffer.append(line)
        self._buffered += len(line)
        if self._buffered >= 1 << 20:
            self._flush()

    def _flush(self) -> None:
        self._zstd.write(b"".join(self._buffer))
        self._buffer, self._buffered = [], 0

    def commit(self, data: Path) -> ShardRecord:
        """Finish the shard, rename it to ``data``, then write its record; return the record."""
        import zstandard

        self._flush()
        self._zstd.flush(zstandard.FLUSH_FRAME)
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.rename(self._tmp, data)
        record = ShardRecord(index=self.index, items=self.items, documents=self.documents, rejects=self.rejects,
                             bytes=self._sink.bytes, sha256=self._sink.sha.hexdigest())
        _write_json_atomically(data.parent / f"{self.index:05d}.json", record.to_json())
        return record

    def abandon(self) -> None:
        with contextlib.suppress(OSError):
            self._file.close()
        with contextlib.suppress(OSError):
            self._tmp.unlink()


def _matches(data: Path, record: ShardRecord) -> bool:
    try:
        return data.stat().st_size == record.bytes and _sha256_file(data)[0] == record.sha256
    except OSError:
        return False


def _read_record(path: Path) -> ShardRecord | None:
    try:
        return ShardRecord(**{("index" if k == "shard" else k): v for k, v in json.loads(path.read_bytes()).items()})
    except (OSError, ValueError, TypeError):
        return None


def _read_marker(path: Path) -> dict[str, Any] | None:
    try:
        found = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("format") == "corpus-work" else None


def _empty(path: Path) -> None:
    """Make ``path`` an empty directory (what is in it was checked to be a work directory's)."""
    path.mkdir(parents=True, exist_ok=True)
    for entry in path.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _write_json_atomically(path: Path, obj: Any) -> None:
    tmp = path.parent / f".{path.name}.partial-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(json.dumps(obj, ensure_ascii=False, indent=1, default=plain_number).encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=plain_number).encode("utf-8")
