"""Snapshots: a corpus on disk that can be checked years later.

A snapshot is a directory, published atomically, that holds everything needed
to trust it, extend it and read it back without this package::

    data-00000.jsonl.gz      kept documents, one ``Document.to_json()`` per line,
    data-00001.jsonl.gz      in shards of at most ``shard_bytes`` uncompressed
    clusters.jsonl.gz        one duplicate cluster per line (kept id + members)
    rejects.jsonl.gz         every input dropped, with its stage and reason
    signatures.npy           MinHash signatures, uint32 (n, num_perm), plain .npy
    signature_ids.jsonl.gz   the document id of each signature row, in order
    report.html              the human summary (see :mod:`corpus.report`)
    manifest.json            versions, pipeline, inputs, counts, and the sha256,
                             byte size and record count of every file above

``.jsonl.zst`` replaces ``.jsonl.gz`` with ``compression="zst"``. Nothing here
depends on pickle: the signatures load with ``numpy.load(allow_pickle=False)``
and their dedup parameters (``num_perm``, ``seed``, ``scheme``, ``ngram``) are
in the manifest, so an incremental run can reuse them as a base index.

Every input is accounted for: ``inputs = kept + merged + rejected``, where
*merged* counts cluster members other than the cluster's kept document. The
writer refuses to publish a snapshot where this does not hold, and
:func:`verify_snapshot` checks it again from the files.

Two writes of the same documents give byte-identical files: gzip without
mtime or file name, single-threaded zstd at a fixed level, no timestamps
unless the caller puts one (``created``) in the manifest.
"""

from __future__ import annotations

import gzip
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import zstandard

from corpus.dedup import Signatures
from corpus.document import Document, Reject
from corpus.errors import CorpusError, InputError
from corpus.writers import plain_number, compressing_writer
from corpus.writers import dumps as _dumps
from corpus.report import ReportStats, render_report

FORMAT = "corpus-snapshot"
FORMAT_VERSION = 1
DEFAULT_SHARD_BYTES = 64 * 1024 * 1024
SIGNATURE_PARAMS = ("num_perm", "seed", "scheme", "ngram")
COMPRESSIONS = {"gz": ".jsonl.gz", "zst": ".jsonl.zst"}
MANIFEST = "manifest.json"
REPORT = "report.html"
SIGNATURES_FILE = "signatures.npy"

# Keys the writer computes itself; a caller's manifest may not set them.
RESERVED_KEYS = (
    "format",
    "format_version",
    "corpus_version",
    "environment",
    "accounting",
    "learned_lines",
    "compression",
    "signatures",
    "files",
)
_CHUNK = 1024 * 1024


# {line: count}, (line, count) pairs, or rows with at least a "line" key.
LearnedLines = Mapping[str, int] | Iterable[tuple[str, int]] | Iterable[Mapping[str, Any]]


@dataclass(frozen=True)
class MergeChange:
    """A document present in both snapshots whose grouping changed.

    ``*_kept`` is the id of the document that represents it (itself when it
    is kept); ``*_group`` the sorted ids of its cluster, itself included,
    restricted to documents present in both snapshots.
    """

    id: str
    old_kept: str
    new_kept: str
    old_group: tuple[str, ...]
    new_group: tuple[str, ...]


@dataclass
class SnapshotDiff:
    """What changed between two snapshots, by document id (sorted)."""

    old: str
    new: str
    old_total: int
    new_total: int
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    merged_differently: list[MergeChange] = field(default_factory=list)
    # For removed ids that the new snapshot rejected: "stage: reason".
    rejected_in_new: dict[str, str] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.merged_differently)

    def to_text(self) -> str:
        """A readable summary, one line per changed document."""
        lines = [
            f"{self.old} -> {self.new}",
            f"documents (kept + merged): {self.old_total} -> {self.new_total}: "
            f"{len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.merged_differently)} merged differently",
        ]
        if self.added:
            lines.append(f"added ({len(self.added)}):")
            lines.extend(f"  + {doc_id}" for doc_id in self.added)
        if self.removed:
            lines.append(f"removed ({len(self.removed)}):")
            for doc_id in self.removed:
                why = self.rejected_in_new.get(doc_id)
                lines.append(f"  - {doc_id}" + (f"  (rejected: {why})" if why else ""))
        if self.merged_differently:
            lines.append(f"merged differently ({len(self.merged_differently)}):")
            for change in self.merged_differently:
                lines.append(
                    f"  ~ {change.id}: {_grouping_text(change.id, change.old_kept, change.old_group)}"
                    f" -> {_grouping_text(change.id, change.new_kept, change.new_group)}"
                )
        if self.is_empty:
            lines.append("no changes")
        return "\n".join(lines) + "\n"


def _grouping_text(doc_id: str, kept: str, group: tuple[str, ...]) -> str:
    """``kept alone``, ``kept with b, c`` or ``merged into a with c``."""
    others = [g for g in group if g not in (doc_id, kept)]
    if kept == doc_id:
        return "kept " + (f"with {', '.join(others)}" if others else "alone")
    return f"merged into {kept}" + (f" with {', '.join(others)}" if others else "")


# --------------------------------------------------------------------------- inputs


def describe_inputs(paths: Iterable[str | os.PathLike[str]]) -> list[dict[str, Any]]:
    """Path, byte size and sha256 of each input file, in the order given.

    Pass the files the pipeline actually read (not directories): the manifest
    must let an archivist check that the same bytes produce the same corpus.
    """
    described = []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            raise InputError(str(path), "is a directory; describe the files the pipeline read")
        try:
            digest, size = _sha256_file(path)
        except OSError as exc:
            raise InputError(str(path), f"cannot read input: {exc.strerror or exc}") from exc
        described.append({"path": str(p), "bytes": size, "sha256": digest})
    return described


def _sha256_file(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size


# --------------------------------------------------------------------------- ledger


class _Ledger:
    """Where every input ended up: kept, merged into a cluster, or rejected.

    Fed while writing (to refuse a bad snapshot) and while verifying (to find
    one); ``where`` strings name the file and line in the messages.
    """

    def __init__(self) -> None:
        self.kept: set[str] = set()
        self.kept_records = 0
        self.merged: dict[str, str] = {}  # merged id -> cluster id
        self.merged_records = 0
        self.rejected_records = 0
        self.rejected_ids: set[str] = set()
        self.representatives: dict[str, str] = {}  # kept id -> cluster id
        self.cluster_ids: set[str] = set()
        self.cluster_kept: list[tuple[str, str, str]] = []  # (cluster, kept id, where)
        self.problems: list[str] = []

    def keep(self, doc_id: str, where: str) -> None:
        self.kept_records += 1
        if doc_id in self.kept:
            self.problems.append(f"{where}: document {doc_id!r} is kept twice")
        self.kept.add(doc_id)

    def cluster(self, cluster: Any, where: str) -> None:
        """Record one cluster; a malformed one is a problem, not an exception."""
        if not isinstance(cluster, Mapping) or not isinstance(cluster.get("members"), list):
            self.problems.append(f"{where}: a cluster must be an object with a 'members' list")
            return
        cluster_id, kept = str(cluster.get("cluster")), cluster.get("kept")
        if cluster_id in self.cluster_ids:
            self.problems.append(f"{where}: cluster {cluster_id!r} appears twice")
        self.cluster_ids.add(cluster_id)
        if not isinstance(kept, str):
            self.problems.append(f"{where}: cluster {cluster_id!r} has no 'kept' id")
            return
        if kept in self.representatives:
            self.problems.append(
                f"{where}: document {kept!r} is kept for clusters {self.representatives[kept]!r} and {cluster_id!r}"
            )
        self.representatives[kept] = cluster_id
        self.cluster_kept.append((cluster_id, kept, where))
        for member in cluster["members"]:
            member_id = member.get("id") if isinstance(member, Mapping) else None
            if not isinstance(member_id, str):
                self.problems.append(f"{where}: cluster {cluster_id!r} has a member without an 'id'")
                continue
            if member_id == kept:
                continue
            self.merged_records += 1
            if member_id in self.merged:
                self.problems.append(
                    f"{where}: merged document {member_id!r} is in clusters "
                    f"{self.merged[member_id]!r} and {cluster_id!r}"
                )
            else:
                self.merged[member_id] = cluster_id

    def reject(self, doc_id: str | None) -> None:
        self.rejected_records += 1
        if doc_id is not None:
            self.rejected_ids.add(doc_id)

    def finish(self) -> list[str]:
        """Cross-checks that need everything seen: ids in two places at once."""
        problems = list(self.problems)
        for cluster_id, kept, where in self.cluster_kept:
            if kept not in self.kept:
                problems.append(f"{where}: cluster {cluster_id!r} keeps {kept!r}, which is not a kept document")
        for doc_id in sorted(self.kept & self.merged.keys()):
            problems.append(f"document {doc_id!r} is both kept and merged into cluster {self.merged[doc_id]!r}")
        for doc_id in sorted(self.kept & self.rejected_ids):
            problems.append(f"document {doc_id!r} is both kept and rejected")
        for doc_id in sorted(self.merged.keys() & self.rejected_ids):
            problems.append(f"document {doc_id!r} is both merged and rejected")
        return problems

    def signature_problem(self, ids: list[str], where: str) -> str | None:
        """Signatures may only describe documents the snapshot holds (kept or merged)."""
        unknown = [i for i in ids if i not in self.kept and i not in self.merged]
        if not unknown:
            return None
        return f"{where}: {len(unknown)} signatures of documents neither kept nor merged (first: {unknown[0]!r})"

    def accounting(self, inputs: int) -> dict[str, int]:
        return {
            "inputs": inputs,
            "kept": self.kept_records,
            "merged": self.merged_records,
            "rejected": self.rejected_records,
        }


def _accounting_problem(acc: Mapping[str, int]) -> str | None:
    total = acc["kept"] + acc["merged"] + acc["rejected"]
    if acc["inputs"] == total:
        return None
    return (
        f"accounting does not hold: inputs = {acc['inputs']} but kept {acc['kept']} + merged {acc['merged']}"
        f" + rejected {acc['rejected']} = {total} ({acc['inputs'] - total:+d} documents unaccounted for)"
    )


# --------------------------------------------------------------------------- writing


class _Sink:
    """The raw bytes going to one file: hashed and counted on the way."""

    def __init__(self, f: IO[bytes]) -> None:
        self.f = f
        self.sha = hashlib.sha256()
        self.bytes = 0

    def write(self, data: bytes) -> int:
        self.sha.update(data)
        self.bytes += len(data)
        return self.f.write(data)

    def flush(self) -> None:
        self.f.flush()


class _OutputFile:
    """One file of the snapshot being written, compressed or not, then fsynced."""

    def __init__(self, directory: Path, name: str, role: str, compression: str | None) -> None:
        self.name = name
        self.role = role
        self.records = 0
        self.uncompressed = 0
        self._file = open(directory / name, "wb")
        self._sink = _Sink(self._file)
        self._stream: Any = compressing_writer(self._sink, compression)

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self.uncompressed += len(data)

    def write_record(self, line: str) -> None:
        self.write(line.encode("utf-8") + b"\n")
        self.records += 1

    def close(self) -> dict[str, Any]:
        """Finish the stream, fsync, and describe the file for the manifest."""
        if self._stream is not self._sink:
            self._stream.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        return {
            "role": self.role,
            "bytes": self._sink.bytes,
            "sha256": self._sink.sha.hexdigest(),
            "records": self.records,
            "uncompressed_bytes": self.uncompressed,
        }

    def abandon(self) -> None:
        self._file.close()


def _record_line(obj: Any, to_json: Any, what: str) -> str:
    """Serialise one record, turning any failure into an error that names it."""
    try:
        return _dumps(to_json(obj))
    except Exception as exc:  # noqa: BLE001 - any failure of a record's serialisation is reported the same way
        raise CorpusError(f"{what}: cannot be written as JSON: {type(exc).__name__}: {exc}") from exc


def write_snapshot(
    out_dir: str | os.PathLike[str],
    documents: Iterable[Document],
    clusters: Iterable[Mapping[str, Any]],
    rejects: Iterable[Reject],
    *,
    manifest: Mapping[str, Any],
    signatures: Signatures | None = None,
    learned_lines: LearnedLines | None = None,
    compression: str = "gz",
    shard_bytes: int = DEFAULT_SHARD_BYTES,
) -> Path:
    """Write a snapshot and publish it at ``out_dir`` atomically; return its path.

    ``manifest`` is the caller's part of ``manifest.json``: ``counts`` (required,
    with ``inputs``, the number of documents read, plus any per-stage counts;
    ``kept``/``merged``/``rejected``, if given, must match what is written),
    ``pipeline`` (the resolved pipeline), ``inputs`` (see :func:`describe_inputs`)
    and ``created`` if a creation time is wanted (none by default, so that two
    runs give the same bytes). Keys in :data:`RESERVED_KEYS` are computed here.

    Files are written in a hidden sibling directory, fsynced, then renamed into
    place; an existing snapshot at ``out_dir`` is replaced only once the new one
    is complete. On any failure the partial directory is removed and
    ``out_dir`` is left as it was.
    """
    out = Path(out_dir)
    if compression not in COMPRESSIONS:
        raise CorpusError(f"unknown compression {compression!r}; use one of {', '.join(COMPRESSIONS)}")
    if shard_bytes <= 0:
        raise CorpusError(f"shard_bytes must be positive, got {shard_bytes}")
    counts = manifest.get("counts")
    if not isinstance(counts, Mapping) or not isinstance(counts.get("inputs"), int):
        raise CorpusError(
            "manifest['counts']['inputs'] (the number of documents read) is required to prove that no document was lost"
        )
    reserved = sorted(k for k in manifest if k in RESERVED_KEYS)
    if reserved:
        raise CorpusError(f"manifest keys {', '.join(reserved)} are computed by write_snapshot; do not pass them")
    if signatures is not None:
        _check_signatures(signatures)
    learned = _learned_lines(learned_lines)

    _check_replaceable(out)
    tmp = out.parent / f".{out.name}.partial-{os.getpid()}-{secrets.token_hex(4)}"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(out)
        os.mkdir(tmp)
    except OSError as exc:
        raise CorpusError(f"{out}: cannot write a snapshot here ({_os_reason(exc)})") from exc
    try:
        body = _write_contents(tmp, documents, clusters, rejects, manifest, signatures, learned, compression, shard_bytes)
        _write_json(tmp / MANIFEST, body)
        _fsync_dir(tmp)
        _publish(tmp, out)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if isinstance(exc, OSError):
            raise CorpusError(f"{out}: writing the snapshot failed ({_os_reason(exc)}); "
                              "nothing was published and the partial files were removed") from exc
        raise
    return out


def _os_reason(exc: OSError) -> str:
    """``No space left on device: /out/.snap.partial-1-ab/data-00000.jsonl.gz`` from an OSError."""
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename}" if exc.filename else reason


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(partial|old)-(?P<pid>\d+)-[0-9a-f]+")


def _remove_leftovers(out: Path) -> None:
    """Remove what a writer of ``out`` that was killed left behind: ``.NAME.partial-PID-*`` and ``.NAME.old-PID-*``.

    Only directories of processes that are no longer running go; a live
    writer's are left alone. An ``.old`` directory is a previous snapshot that
    a writer killed mid-publish had moved aside; it is put back if nothing is
    published at ``out``, so a crash never loses the last good snapshot.
    """
    if not out.parent.is_dir():
        return
    for entry in sorted(out.parent.iterdir()):
        match = _LEFTOVER.fullmatch(entry.name)
        if match is None or match.group("name") != out.name or _running(int(match.group("pid"))):
            continue
        if ".old-" in entry.name and not out.exists() and (entry / MANIFEST).is_file():
            os.rename(entry, out)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _write_contents(
    tmp: Path,
    documents: Iterable[Document],
    clusters: Iterable[Mapping[str, Any]],
    rejects: Iterable[Reject],
    manifest: Mapping[str, Any],
    signatures: Signatures | None,
    learned: list[dict[str, Any]],
    compression: str,
    shard_bytes: int,
) -> dict[str, Any]:
    """Write every file but the manifest into ``tmp``; return the manifest."""
    ext = COMPRESSIONS[compression]
    files: dict[str, dict[str, Any]] = {}
    ledger = _Ledger()
    stats = ReportStats()

    def finish(output: _OutputFile) -> None:
        files[output.name] = output.close()

    shards = 0
    shard = _OutputFile(tmp, f"data-{shards:05d}{ext}", "documents", compression)
    try:
        for n, doc in enumerate(documents):
            line = _record_line(doc, Document.to_json, f"document #{n} (id {getattr(doc, 'id', '?')!r})")
            if shard.records and shard.uncompressed + len(line.encode("utf-8")) + 1 > shard_bytes:
                finish(shard)
                shards += 1
                shard = _OutputFile(tmp, f"data-{shards:05d}{ext}", "documents", compression)
            shard.write_record(line)
            ledger.keep(doc.id, f"document #{n}")
            stats.add_document(doc)
    except BaseException:
        shard.abandon()
        raise
    finish(shard)

    cluster_file = _OutputFile(tmp, f"clusters{ext}", "clusters", compression)
    try:
        for n, cluster in enumerate(clusters):
            cluster_file.write_record(_record_line(cluster, dict, f"cluster #{n}"))
            ledger.cluster(cluster, f"cluster #{n}")
            stats.add_cluster(cluster)
    except BaseException:
        cluster_file.abandon()
        raise
    finish(cluster_file)

    reject_file = _OutputFile(tmp, f"rejects{ext}", "rejects", compression)
    try:
        for n, reject in enumerate(rejects):
            reject_file.write_record(_record_line(reject, Reject.to_json, f"reject #{n}"))
            ledger.reject(reject.id)
            stats.add_reject(reject)
    except BaseException:
        reject_file.abandon()
        raise
    finish(reject_file)

    problems = ledger.finish()
    if signatures is not None and (problem := ledger.signature_problem(signatures.ids, "signatures")):
        problems.append(problem)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        raise CorpusError(f"snapshot not written: {shown}")
    counts = manifest["counts"]
    accounting = ledger.accounting(counts["inputs"])
    declared = {k: counts[k] for k in ("kept", "merged", "rejected") if k in counts}
    differ = [f"{k}: counted {v} by the pipeline, {accounting[k]} written" for k, v in declared.items() if v != accounting[k]]
    if differ:
        raise CorpusError("snapshot not written: " + "; ".join(differ))
    if problem := _accounting_problem(accounting):
        raise CorpusError(f"snapshot not written: {problem}")

    signatures_entry = None
    if signatures is not None:
        signatures_entry = _write_signatures(tmp, signatures, ext, compression, files)

    body: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "corpus_version": _corpus_version()}
    body.update(manifest)
    body["environment"] = _environment()
    body["accounting"] = accounting
    body["learned_lines"] = learned
    body["compression"] = compression
    body["signatures"] = signatures_entry

    report_stats = stats.to_dict(
        accounting=accounting,
        counts=dict(counts),
        learned_lines=learned,
        title=_title(manifest),
        created=manifest.get("created"),
    )
    report = _OutputFile(tmp, REPORT, "report", None)
    report.write(render_report(report_stats).encode("utf-8"))
    entry = report.close()
    del entry["records"], entry["uncompressed_bytes"]
    files[REPORT] = entry

    body["files"] = files
    try:
        _dumps(body)
    except (TypeError, ValueError) as exc:
        raise CorpusError(f"the manifest given to write_snapshot is not JSON: {exc}") from exc
    return body


def _title(manifest: Mapping[str, Any]) -> str:
    pipeline = manifest.get("pipeline")
    name = pipeline.get("name") if isinstance(pipeline, Mapping) else None
    return f"corpus snapshot: {name}" if name else "corpus snapshot"


def _check_signatures(signatures: Signatures) -> None:
    values = signatures.values
    missing = [p for p in SIGNATURE_PARAMS if p not in signatures.params]
    if missing:
        raise CorpusError(f"signature parameters {', '.join(missing)} are missing; they are needed to reuse them")
    if not isinstance(values, np.ndarray) or values.dtype != np.uint32 or values.ndim != 2:
        raise CorpusError("signatures must be a 2-D numpy uint32 array (documents x num_perm)")
    if values.shape[0] != len(signatures.ids):
        raise CorpusError(f"{values.shape[0]} signatures for {len(signatures.ids)} ids")
    if values.shape[1] != signatures.params["num_perm"]:
        raise CorpusError(f"signatures have {values.shape[1]} columns but num_perm is {signatures.params['num_perm']}")
    if len(set(signatures.ids)) != len(signatures.ids):
        raise CorpusError("signature ids are not unique")


def _write_signatures(
    tmp: Path, signatures: Signatures, ext: str, compression: str, files: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    ids = _OutputFile(tmp, f"signature_ids{ext}", "signature_ids", compression)
    for doc_id in signatures.ids:
        ids.write_record(_dumps(doc_id))
    files[ids.name] = ids.close()
    values = _OutputFile(tmp, SIGNATURES_FILE, "signatures", None)
    # Little-endian, C order: the same bytes on every machine.
    np.save(values, np.ascontiguousarray(signatures.values, dtype="<u4"), allow_pickle=False)
    entry = values.close()
    entry["records"] = len(signatures.ids)
    files[SIGNATURES_FILE] = entry
    return {
        "values": SIGNATURES_FILE,
        "ids": ids.name,
        "count": len(signatures.ids),
        "dtype": "<u4",
        "params": dict(signatures.params),
    }


def _learned_lines(learned: LearnedLines | None) -> list[dict[str, Any]]:
    """Learned boilerplate as manifest rows.

    A mapping ``{line: count}`` becomes ``{"line", "count"}`` rows, most frequent
    first (ties by line); rows given as mappings (such as the cleaner's
    ``{"source", "line", "documents"}``) are kept as they are, in the given
    order, so a later run can rebuild what it learned from the manifest.
    """
    if learned is None:
        return []
    if isinstance(learned, Mapping):
        ranked = sorted(learned.items(), key=lambda item: (-item[1], item[0]))
        return [{"line": str(line), "count": int(count)} for line, count in ranked]
    rows = []
    for n, row in enumerate(learned):
        if isinstance(row, Mapping):
            if not isinstance(row.get("line"), str):
                raise CorpusError(f"learned line #{n} has no 'line' text: {row!r}")
            rows.append(dict(row))
        else:
            line, count = row
            rows.append({"line": str(line), "count": int(count)})
    return rows


def _corpus_version() -> str:
    try:
        return importlib.metadata.version("corpus")
    except importlib.metadata.PackageNotFoundError:
        from corpus import __version__

        return __version__


def _environment() -> dict[str, Any]:
    """Python and the installed versions of corpus's declared dependencies."""
    try:
        requirements = importlib.metadata.requires("corpus") or []
    except importlib.metadata.PackageNotFoundError:
        requirements = []
    versions: dict[str, str] = {}
    for requirement in requirements:
        if "extra ==" in requirement:
            continue
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        if not match:
            continue
        try:
            versions[match.group(0)] = importlib.metadata.version(match.group(0))
        except importlib.metadata.PackageNotFoundError:
            continue  # e.g. tomli, only required on older Pythons
    return {"python": platform.python_version(), "dependencies": dict(sorted(versions.items()))}


def _write_json(path: Path, obj: Any) -> None:
    with open(path, "wb") as f:
        f.write((json.dumps(obj, ensure_ascii=False, indent=2, default=plain_number) + "\n").encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _check_replaceable(out: Path) -> None:
    """Refuse to replace anything but an empty directory or an older snapshot."""
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir() or out.is_symlink():
        raise CorpusError(f"{out}: exists and is not a snapshot directory; choose another output")
    if not any(out.iterdir()):
        return
    try:
        existing = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        existing = None
    if not isinstance(existing, dict) or existing.get("format") != FORMAT:
        raise CorpusError(f"{out}: exists and is not a corpus snapshot (no {MANIFEST}); it will not be replaced")


def _publish(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an old snapshot there is moved aside first, then removed."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    _fsync_dir(out.parent)
    if old is not None:
        # Published already: a failure here only leaves a hidden leftover, swept by the next write.
        shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- reading


class _Truncated(Exception):
    """A compressed file that ends before its end-of-stream marker."""


def _raw_chunks(path: Path) -> Iterator[bytes]:
    """Decompressed bytes of a snapshot file, raising if it is truncated or corrupt.

    zstd's stream reader returns a short read on a truncated frame without
    error, so frames are decompressed here and checked for their end.
    """
    if path.name.endswith(".gz"):
        with gzip.open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk
    elif path.name.endswith(".zst"):
        decompressor = zstandard.ZstdDecompressor().decompressobj()
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                if decompressor.eof:
                    raise ValueError("data after the end of the zstd frame")
                yield decompressor.decompress(chunk)
        if not decompressor.eof:
            raise _Truncated("zstd frame ends early")
        if decompressor.unused_data:
            raise ValueError("data after the end of the zstd frame")
    else:
        with open(path, "rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk


def _lines(path: Path) -> Iterator[bytes]:
    """Lines (without newline) of a snapshot file, decompressed."""
    pending = b""
    for chunk in _raw_chunks(path):
        pending += chunk
        *complete, pending = pending.split(b"\n")
        yield from complete
    if pending:
        yield pending


def _records(path: Path) -> Iterator[Any]:
    """JSON records of a snapshot file; a broken one raises InputError naming the line."""
    lineno = 0
    try:
        for lineno, line in enumerate(_lines(path), start=1):
            try:
                yield json.loads(line)
            except ValueError as exc:
                raise InputError(str(path), f"not a JSON record: {exc}", lineno) from exc
    except InputError:
        raise
    except (OSError, EOFError, zlib.error, zstandard.ZstdError, _Truncated, ValueError) as exc:
        raise InputError(str(path), f"cannot decompress after line {lineno}: {_decompress_reason(exc)}") from exc


def _decompress_reason(exc: BaseException) -> str:
    if isinstance(exc, (EOFError, _Truncated)):
        return f"truncated ({exc})"
    return f"corrupted ({type(exc).__name__}: {exc})"


@dataclass
class Snapshot:
    """A snapshot on disk: its manifest and lazy iterators over its records."""

    path: Path
    manifest: dict[str, Any]

    def _files(self, role: str) -> list[Path]:
        return [self.path / name for name, entry in self.manifest["files"].items() if entry.get("role") == role]

    def documents(self) -> Iterator[Document]:
        for shard in self._files("documents"):
            for record in _records(shard):
                yield Document.from_json(record)

    def clusters(self) -> Iterator[dict[str, Any]]:
        for path in self._files("clusters"):
            yield from _records(path)

    def rejects(self) -> Iterator[Reject]:
        for path in self._files("rejects"):
            for line, record in enumerate(_records(path), start=1):
                if not isinstance(record, dict) or "stage" not in record or "reason" not in record:
                    raise InputError(str(path), "a reject needs a 'stage' and a 'reason'", line)
                yield Reject(
                    stage=record["stage"],
                    reason=record["reason"],
                    path=record.get("path"),
                    line=record.get("line"),
                    id=record.get("id"),
                )

    def signatures(self) -> Signatures | None:
        """The stored signatures and their dedup parameters, or None if there are none."""
        entry = self.manifest.get("signatures")
        if not entry:
            return None
        ids = [str(i) for i in _records(self.path / entry["ids"])]
        try:
            values = np.load(self.path / entry["values"], allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise InputError(str(self.path / entry["values"]), f"cannot load signatures: {exc}") from exc
        if values.dtype != np.uint32 or values.ndim != 2 or values.shape[0] != len(ids):
            raise InputError(
                str(self.path / entry["values"]),
                f"expected uint32 ({len(ids)}, num_perm), found {values.dtype} {values.shape}",
            )
        return Signatures(ids=ids, values=values, params=dict(entry["params"]))


def load_snapshot(path: str | os.PathLike[str]) -> Snapshot:
    """Open a snapshot; records are read lazily. Use :func:`verify_snapshot` to check it."""
    root = Path(path)
    manifest = _read_manifest(root)
    return Snapshot(path=root, manifest=manifest)


def _read_manifest(root: Path) -> dict[str, Any]:
    where = root / MANIFEST
    try:
        manifest = json.loads(where.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(str(where), "missing: this is not a corpus snapshot") from exc
    except (OSError, ValueError) as exc:
        raise InputError(str(where), f"cannot be read as JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise InputError(str(where), f"not a {FORMAT} manifest")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InputError(
            str(where), f"format version {manifest.get('format_version')!r}; this corpus reads {FORMAT_VERSION}"
        )
    if not isinstance(manifest.get("files"), dict):
        raise InputError(str(where), "has no 'files' table")
    for name in manifest["files"]:
        # Only plain names: a manifest must not point a reader outside its snapshot.
        if name in ("", ".", "..", MANIFEST) or "/" in name or "\\" in name:
            raise InputError(str(where), f"file name {name!r} is not a plain name in the snapshot directory")
    return manifest


# --------------------------------------------------------------------------- verifying


def verify_snapshot(path: str | os.PathLike[str]) -> list[str]:
    """Every problem found in the snapshot at ``path``; an empty list means it is sound.

    Checks each file's presence, byte size and sha256; that compressed files
    decompress to the end with the recorded number of records; that nothing
    unlisted is in the directory; the accounting; that every merged id is in
    exactly one cluster; and that no id is both kept and rejected.
    """
    root = Path(path)
    try:
        manifest = _read_manifest(root)
    except InputError as exc:
        return [str(exc)]
    problems: list[str] = []
    files: dict[str, dict[str, Any]] = manifest["files"]
    present = {p.name for p in root.iterdir()} if root.is_dir() else set()
    for name in sorted(present - set(files) - {MANIFEST}):
        problems.append(f"{name}: not listed in {MANIFEST}")

    ledger = _Ledger()
    readable: set[str] = set()
    for name, entry in files.items():
        file_problems = _verify_file(root / name, entry, ledger)
        problems.extend(file_problems)
        if not file_problems:
            readable.add(name)

    if all(name in readable for name, e in files.items() if e.get("role") in ("documents", "clusters", "rejects")):
        problems.extend(ledger.finish())
        recorded = manifest.get("accounting") or {}
        counted = ledger.accounting(recorded.get("inputs", -1))
        for key in ("kept", "merged", "rejected"):
            if recorded.get(key) != counted[key]:
                problems.append(f"{MANIFEST}: accounting says {key} = {recorded.get(key)}, the files hold {counted[key]}")
        if problem := _accounting_problem(counted):
            problems.append(f"{MANIFEST}: {problem}")
    problems.extend(_verify_signatures(root, manifest, readable, ledger))
    return problems


def _verify_file(path: Path, entry: Mapping[str, Any], ledger: _Ledger) -> list[str]:
    name = path.name
    if not path.is_file():
        return [f"{name}: missing"]
    digest, size = _sha256_file(path)
    problems = []
    if size != entry.get("bytes"):
        problems.append(f"{name}: {size} bytes, manifest says {entry.get('bytes')}")
    if digest != entry.get("sha256"):
        problems.append(f"{name}: sha256 {digest} does not match the manifest ({entry.get('sha256')})")
    role = entry.get("role")
    if role not in ("documents", "clusters", "rejects", "signature_ids"):
        return problems
    records = 0
    try:
        for records, record in enumerate(_records(path), start=1):
            where = f"{name} line {records}"
            if role == "documents":
                if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                    problems.append(f"{where}: a document needs a string 'id'")
                    continue
                ledger.keep(record["id"], where)
            elif role == "clusters":
                ledger.cluster(record, where)
            elif role == "rejects":
                ledger.reject(record.get("id") if isinstance(record, dict) else None)
    except InputError as exc:
        problems.append(f"{name}: {exc.reason}" + (f" (line {exc.line})" if exc.line else ""))
        return problems
    if records != entry.get("records"):
        problems.append(f"{name}: {records} records, manifest says {entry.get('records')}")
    return problems


def _verify_signatures(root: Path, manifest: Mapping[str, Any], readable: set[str], ledger: _Ledger) -> list[str]:
    entry = manifest.get("signatures")
    if not entry:
        return []
    missing = [p for p in SIGNATURE_PARAMS if p not in entry.get("params", {})]
    problems = [f"{MANIFEST}: signature parameters {', '.join(missing)} missing"] if missing else []
    if entry.get("values") not in readable or entry.get("ids") not in readable:
        return problems  # already reported as a file problem
    try:
        signatures = load_snapshot(root).signatures()
    except InputError as exc:
        return problems + [str(exc)]
    assert signatures is not None
    if signatures.values.shape[1] != entry["params"].get("num_perm"):
        problems.append(
            f"{entry['values']}: {signatures.values.shape[1]} columns, num_perm is {entry['params'].get('num_perm')}"
        )
    if problem := ledger.signature_problem(signatures.ids, entry["ids"]):
        problems.append(problem)
    return problems


# --------------------------------------------------------------------------- diff


def _groupings(snapshot: Snapshot) -> tuple[dict[str, str], dict[str, frozenset[str]], dict[str, str]]:
    """For each present document: its representative and its cluster; and the rejected ids with why."""
    kept_by: dict[str, str] = {d.id: d.id for d in snapshot.documents()}
    group: dict[str, frozenset[str]] = {doc_id: frozenset((doc_id,)) for doc_id in kept_by}
    for n, cluster in enumerate(snapshot.clusters(), start=1):
        try:
            members = frozenset([cluster["kept"], *(m["id"] for m in cluster["members"])])
        except (KeyError, TypeError) as exc:
            raise InputError(str(snapshot.path), f"cluster #{n} is malformed ({exc!r}); run verify", None) from exc
        for member in members:
            kept_by[member] = cluster["kept"]
            group[member] = members
    rejected = {r.id: f"{r.stage}: {r.reason}" for r in snapshot.rejects() if r.id is not None}
    return kept_by, group, rejected


def diff_snapshots(old: str | os.PathLike[str], new: str | os.PathLike[str]) -> SnapshotDiff:
    """Documents added, removed, and merged differently between two snapshots.

    A document is *present* if it is kept or merged. It is merged differently
    if its representative changed, or its cluster gained or lost documents that
    are present in both snapshots (a newly added duplicate joining a cluster
    is reported as added, not as a change to the others).
    """
    old_kept, old_group, _ = _groupings(load_snapshot(old))
    new_kept, new_group, new_rejected = _groupings(load_snapshot(new))
    common = old_kept.keys() & new_kept.keys()
    changes = []
    for doc_id in sorted(common):
        before = tuple(sorted(old_group[doc_id] & common))
        after = tuple(sorted(new_group[doc_id] & common))
        if before != after or old_kept[doc_id] != new_kept[doc_id]:
            changes.append(MergeChange(doc_id, old_kept[doc_id], new_kept[doc_id], before, after))
    removed = sorted(old_kept.keys() - new_kept.keys())
    return SnapshotDiff(
        old=str(old),
        new=str(new),
        old_total=len(old_kept),
        new_total=len(new_kept),
        added=sorted(new_kept.keys() - old_kept.keys()),
        removed=removed,
        merged_differently=changes,
        rejected_in_new={doc_id: new_rejected[doc_id] for doc_id in removed if doc_id in new_rejected},
    )
