"""Writing a snapshot: :func:`write_snapshot` and the manifest it computes.

The output files are hashed, counted and fsynced as they are written; the
ledger must balance before anything is published (see
:mod:`corpus.snapshot.publish` for how). The records go under ``data/``, the
payload of the BagIt bag a snapshot is (see :mod:`corpus.snapshot.bag`). Also
here: the signatures and learned lines stored for later runs, the environment
recorded in the manifest, and :func:`describe_inputs`, the manifest's
description of the files read.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import platform
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import IO, Any

import numpy as np

from corpus.dedup import Signatures
from corpus.document import Document, Reject
from corpus.errors import CorpusError, InputError
from corpus.writers import plain_number, compressing_writer
from corpus.writers import dumps as _dumps
from corpus.report import ReportStats, render_report
from corpus.snapshot.format import (
    COMPRESSIONS,
    DATA_FORMATS,
    DEFAULT_SHARD_BYTES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    PAYLOAD,
    REPORT,
    RESERVED_KEYS,
    SIGNATURE_PARAMS,
    SIGNATURE_COUNTS_FILE,
    SIGNATURES_FILE,
    _sha256_file,
)
from corpus.snapshot.bag import write_bag_files
from corpus.snapshot.ledger import _accounting_problem, _Ledger
from corpus.snapshot.publish import _check_replaceable, _fsync_dir, _publish, _remove_leftovers


# {line: count}, (line, count) pairs, or rows with at least a "line" key.
LearnedLines = Mapping[str, int] | Iterable[tuple[str, int]] | Iterable[Mapping[str, Any]]


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


class HashingSink:
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
    """One file of the snapshot being written, compressed or not, then fsynced; ``name`` is its path in the snapshot."""

    def __init__(self, directory: Path, name: str, role: str, compression: str | None) -> None:
        self.name = name
        self.role = role
        self.records = 0
        self.uncompressed = 0
        self._file = open(directory / name, "wb")
        self._sink = HashingSink(self._file)
        self._stream: Any = compressing_writer(self._sink, compression)

    def write(self, data: bytes) -> None:
        self._stream.write(data)
        self.uncompressed += len(data)

    def write_record(self, line: str) -> None:
        self.write(line.encode("utf-8") + b"\n")
        self.records += 1

    def close(self) -> dict[str, Any]:
        """Finish the stream, fsync, and describe the file for the manifest (abandoned if that fails)."""
        try:
            if self._stream is not self._sink:
                self._stream.close()
            self._file.flush()
            os.fsync(self._file.fileno())
        except BaseException:
            self.abandon()
            raise
        self._file.close()
        return {
            "role": self.role,
            "bytes": self._sink.bytes,
            "sha256": self._sink.sha.hexdigest(),
            "records": self.records,
            "uncompressed_bytes": self.uncompressed,
        }

    def abandon(self) -> None:
        """Close the file without finishing it; its descriptor is released even on a full disk."""
        with contextlib.suppress(OSError):
            self._file.close()


def _serialise(obj: Any, to_json: Any, what: str) -> tuple[Any, str]:
    """One record as JSON data and as its JSONL line, turning any failure into an error that names it."""
    try:
        record = to_json(obj)
        return record, _dumps(record)
    except Exception as exc:  # noqa: BLE001 - any failure of a record's serialisation is reported the same way
        raise CorpusError(f"{what}: cannot be written as JSON: {type(exc).__name__}: {exc}") from exc


def _record_line(obj: Any, to_json: Any, what: str) -> str:
    return _serialise(obj, to_json, what)[1]


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
    data_format: str = "jsonl",
    review: Mapping[str, Any] | None = None,
) -> Path:
    """Write a snapshot and publish it at ``out_dir`` atomically; return its path.

    ``manifest`` is the caller's part of ``manifest.json``: ``counts`` (required,
    with ``inputs``, the number of documents read, plus any per-stage counts;
    ``kept``/``merged``/``rejected``, if given, must match what is written),
    ``pipeline`` (the resolved pipeline), ``inputs`` (see :func:`describe_inputs`)
    and ``created`` if a creation time is wanted (none by default, so that two
    runs give the same bytes). Keys in :data:`RESERVED_KEYS` are computed here.

    ``data_format`` is that of the kept documents' shards: ``"jsonl"``
    (compressed by ``compression``) or ``"parquet"`` (zstd inside; see
    :mod:`corpus.snapshot.parquet`). Clusters, rejects and signature ids are
    JSONL, compressed by ``compression``, in both.

    ``review`` is dedup's record of its verified candidate pairs
    (:meth:`corpus.dedup.review.CandidateReview.to_record`), shown in the report.

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
    if data_format not in DATA_FORMATS:
        raise CorpusError(f"unknown data format {data_format!r}; use one of {', '.join(DATA_FORMATS)}")
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
        body, bag_info = _write_contents(tmp, documents, clusters, rejects, manifest, signatures, learned, compression,
                                         shard_bytes, data_format, review)
        _write_json(tmp / MANIFEST, body)
        write_bag_files(tmp, body["files"], bag_info)
        _fsync_dir(tmp / PAYLOAD)
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
    """``No space left on device: /out/.snap.partial-1-ab/data/data-00000.jsonl.gz`` from an OSError."""
    reason = exc.strerror or str(exc)
    return f"{reason}: {exc.filename}" if exc.filename else reason


@contextlib.contextmanager
def _records_file(tmp: Path, name: str, role: str, compression: str,
                  files: dict[str, dict[str, Any]]) -> Iterator[_OutputFile]:
    """An output file that is closed into ``files`` when the block ends, and abandoned if it raises."""
    output = _OutputFile(tmp, name, role, compression)
    try:
        yield output
    except BaseException:
        output.abandon()
        raise
    files[name] = output.close()


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
    data_format: str,
    review: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Write the records and the report into ``tmp``; return the manifest and the bag-info fields."""
    ext = COMPRESSIONS[compression]
    os.mkdir(tmp / PAYLOAD)
    files: dict[str, dict[str, Any]] = {}
    ledger = _Ledger()
    stats = ReportStats(review=review)
    newest: str | None = None

    def finish(output: Any) -> None:
        files[output.name] = output.close()

    if data_format == "parquet":
        from corpus.snapshot.parquet import EXTENSION, ParquetShard  # pyarrow is imported only when it is needed

        def open_shard(k: int) -> Any:
            return ParquetShard(tmp, _payload(f"data-{k:05d}", EXTENSION))
    else:
        def open_shard(k: int) -> Any:
            return _OutputFile(tmp, _payload(f"data-{k:05d}", ext), "documents", compression)

    shards = 0
    shard = open_shard(shards)
    try:
        for n, doc in enumerate(documents):
            record, line = _serialise(doc, Document.to_json, f"document #{n} (id {getattr(doc, 'id', '?')!r})")
            size = len(line.encode("utf-8")) + 1
            # Both formats cut shards at the same documents: the bound is on the records' JSONL size.
            if shard.records and shard.uncompressed + size > shard_bytes:
                finish(shard)
                shards += 1
                shard = open_shard(shards)
            if data_format == "parquet":
                shard.write_record(record, size)
            else:
                shard.write_record(line)
            ledger.keep(doc.id, f"document #{n}")
            stats.add_document(doc)
            newest = _newest_date(newest, doc)
    except BaseException:
        shard.abandon()
        raise
    finish(shard)

    with _records_file(tmp, _payload("clusters", ext), "clusters", compression, files) as cluster_file:
        for n, cluster in enumerate(clusters):
            cluster_file.write_record(_record_line(cluster, dict, f"cluster #{n}"))
            ledger.cluster(cluster, f"cluster #{n}")
            stats.add_cluster(cluster)

    with _records_file(tmp, _payload("rejects", ext), "rejects", compression, files) as reject_file:
        for n, reject in enumerate(rejects):
            reject_file.write_record(_record_line(reject, Reject.to_json, f"reject #{n}"))
            ledger.reject(reject.id)
            stats.add_reject(reject)

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

    body: dict[str, Any] = {"format": FORMAT, "format_version": FORMAT_VERSION, "corpus_version": corpus_version()}
    body.update(manifest)
    body["environment"] = environment()
    body["accounting"] = accounting
    body["learned_lines"] = learned
    body["compression"] = compression
    body["data_format"] = data_format
    if data_format == "parquet":
        from corpus.snapshot.parquet import writer_description

        body["parquet"] = writer_description()
    body["signatures"] = signatures_entry

    report_stats = stats.to_dict(
        accounting=accounting,
        counts=dict(counts),
        learned_lines=learned,
        title=_title(manifest),
        created=manifest.get("created"),
    )
    with _records_file(tmp, REPORT, "report", None, files) as report:
        report.write(render_report(report_stats).encode("utf-8"))
    del files[REPORT]["records"], files[REPORT]["uncompressed_bytes"]

    body["files"] = files
    try:
        _dumps(body)
    except (TypeError, ValueError) as exc:
        raise CorpusError(f"the manifest given to write_snapshot is not JSON: {exc}") from exc
    return body, _bag_info(body, newest)


def _payload(stem: str, ext: str) -> str:
    """The path in the snapshot of a payload file: ``data/clusters.jsonl.gz``."""
    return f"{PAYLOAD}/{stem}{ext}"


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _newest_date(newest: str | None, doc: Document) -> str | None:
    """The newest ``YYYY-MM-DD`` among ``newest``, the document's date and its copies' dates."""
    for published in (doc.published, *(c.published for c in doc.copies)):
        date = published[:10] if isinstance(published, str) else ""
        if _ISO_DATE.fullmatch(date) and (newest is None or date > newest):
            newest = date
    return newest


def _bag_info(body: Mapping[str, Any], newest: str | None) -> list[tuple[str, str]]:
    """bag-info.txt fields: what wrote the bag and what it holds; nothing of the moment it ran."""
    pipeline = body.get("pipeline")
    name = pipeline.get("name") if isinstance(pipeline, Mapping) else None
    accounting = body["accounting"]
    info = [("Bag-Software-Agent", f"corpus {body['corpus_version']}"),
            ("External-Description", _title(body)),
            ("Corpus-Format", f"{FORMAT} {FORMAT_VERSION}"),
            ("Corpus-Data-Format", body["data_format"])]
    if name:
        info.append(("Corpus-Pipeline", str(name)))
    info += [(f"Corpus-{key.capitalize()}", str(accounting[key])) for key in ("inputs", "kept", "merged", "rejected")]
    if newest is not None:
        info.append(("Corpus-Newest-Published", newest))
    return info


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
    if signatures.counts is not None and np.shape(signatures.counts) != (len(signatures.ids),):
        raise CorpusError(f"{len(signatures.counts)} shingle counts for {len(signatures.ids)} signatures")


def _write_signatures(
    tmp: Path, signatures: Signatures, ext: str, compression: str, files: dict[str, dict[str, Any]]
) -> dict[str, Any]:
    with _records_file(tmp, _payload("signature_ids", ext), "signature_ids", compression, files) as ids:
        for doc_id in signatures.ids:
            ids.write_record(_dumps(doc_id))
    with _records_file(tmp, _payload(SIGNATURES_FILE, ""), "signatures", None, files) as values:
        # Little-endian, C order: the same bytes on every machine.
        np.save(values, np.ascontiguousarray(signatures.values, dtype="<u4"), allow_pickle=False)
    files[values.name]["records"] = len(signatures.ids)
    stored = {
        "values": values.name,
        "ids": ids.name,
        "count": len(signatures.ids),
        "dtype": "<u4",
        "params": dict(signatures.params),
    }
    if signatures.counts is not None:
        with _records_file(tmp, _payload(SIGNATURE_COUNTS_FILE, ""), "signature_counts", None, files) as counts:
            np.save(counts, np.ascontiguousarray(signatures.counts, dtype="<u4"), allow_pickle=False)
        files[counts.name]["records"] = len(signatures.ids)
        stored["counts"] = counts.name
    return stored


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


def corpus_version() -> str:
    try:
        return importlib.metadata.version("corpus")
    except importlib.metadata.PackageNotFoundError:
        from corpus import __version__

        return __version__


def environment() -> dict[str, Any]:
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
