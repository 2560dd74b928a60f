"""Run a pipeline on Ray Data: the stages of :mod:`corpus.engines.local`, the same snapshot bytes.

``run(pipeline, address=...)`` connects to a Ray cluster (``"auto"``, ``"ray://host:10001"``)
or, without an address, starts a local Ray on this machine (no dashboard, no usage
stats: nothing leaves the machine). Every stage calls the function the local
engine calls; only where it runs differs. Order never depends on scheduling:
every row carries an input-order key, ``order = file index * 2**32 + item index``
(an item is a document or a reject of that file, in the order the reader met
them), and every stage whose result depends on order sorts by it.

Stage by stage, and what each holds in memory (N documents; the driver is the
process that calls :func:`run`):

1. **list** (driver): the input files (``readers`` walk), and the walk's rejects.
   Driver: the file list.
2. **read** (map over files): ``readers.read`` on one file, plus its size and
   sha256 for the manifest. Workers: a chunk of one file's documents (rows
   leave a task every 1,000 documents; one file is still read by one task,
   its records in sequence). Driver: the rejects. Which record owns a
   repeated id depends on the global order, so the reader only records each
   id claim; a group-by on id settles them afterwards as
   :class:`~corpus.readers.IdOwners` does locally, and the records that lose
   their id become the same rejects.
3. **clean** (map over batches): ``Cleaner.run``. Workers: one batch.
4. **learned boilerplate** (only if enabled): per-(source, line key) document
   counts as a map + group-by sum; lines common to many sources as a group-by on
   key; the "different articles" check of :mod:`corpus.clean.learned` as a
   group-by on candidate line, each group holding, for every document with that
   line, its article line keys (its lines minus its source's candidates), sorted
   by order so that the check stops where the local one stops. Driver: the
   candidate lines and per-source document counts (small). Then strip (map).
5. **dedup**: token exact keys and MinHash signatures (map over batches, the
   same :func:`~corpus.dedup.batch.token_batch` and :func:`~corpus.dedup.deduplicator.sign_batch`); exact duplicates as a
   group-by on key (the first in order represents the group); LSH banding as a
   group-by on (band, bucket) over the representatives, each bucket verifying its
   own pairs (so each band row carries its signature: bands x 4 x num_perm bytes
   per document are shuffled); connected components (scipy) on the driver
   over the edges only (exact-duplicate and verified pairs: two ints each, and
   the nodes they touch); clusters resolved by a group-by on component root
   (the same :func:`~corpus.dedup.deduplicator.resolve_clusters`), singletons by
   a map. Driver: the edges, an ``order -> root`` table of the clustered
   documents (16 bytes each, broadcast to the workers), and every signature
   (num_perm x 4 bytes per document), which the snapshot stores.
6. **story**: story-term counts and the published date of the kept documents
   (map); grouping from them on the driver (``stories_from_counts``, as
   local); each kept document gets its story on the driver as it streams to
   the snapshot writer. Driver: the kept documents' term counts, dates and
   story labels.
7. **snapshot** (driver): ``write_snapshot`` as local, streaming the kept
   documents from a distributed sort by order; clusters records and rejects are
   collected (one small record each).

Incremental runs (``base``): the earlier snapshot is loaded on the driver as the
local engine loads it (its signatures, clusters and kept documents' metadata,
no texts); its signatures join the LSH buckets (pairs between two of its rows
are not verified again), its clusters join the components, and the components
that hold a new document are resolved with the base index shared through the
object store. Its kept documents are streamed into the new snapshot before this
run's.

Strict mode: the earliest bad input by order raises, as it would locally.
``on_reject`` is called on the driver once every reject is known, in the
snapshot's order. Workers must import the same ``corpus`` (install it on every
node), and the inputs must have the same paths on the driver and the workers (a
shared file system); the snapshot is written by the driver.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import pickle
import socket
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from corpus.clean import Cleaner
from corpus.clean.learned import (  # the per-group decisions themselves, so both engines decide alike
    ANY_SOURCE,
    LearnedBoilerplate,
    SCOPE_SEP,
    LineCounts,
    article_keys,
    distinct_articles,
    scopes_of,
    source_floor,
    source_of,
    source_of_scope,
)
from corpus.dedup.batch import token_batch
from corpus.dedup.clusters import components
from corpus.dedup.deduplicator import (
    Merged,
    Node,
    Signatures,
    base_metadata,
    base_signatures,
    check_ids,
    combined_index,
    resolve_clusters,
    shingle_counts,
    sign_batch,
)
from corpus.dedup.lsh import similarity
from corpus.dedup.review import CandidateReview
from corpus.dedup.keep import Member
from corpus.dedup.story import stories_from_counts, term_counts
from corpus.document import Document, Reject
from corpus.engines.local import (
    RunCounts,
    RunResult,
    base_index,
    carry_forward,
    not_input_paths,
    previous_learned,
    publish,
)
from corpus.errors import CorpusError, InputError
from corpus.pipeline import Pipeline
from corpus.readers import IdOwners, read, walk
from corpus.snapshot import Snapshot, describe_inputs, load_snapshot
from corpus.snapshot.publish import output_lock

#: An item's index within its file takes the low 32 bits of its order key.
ITEM_BITS = 32
#: Rows per block the clean and dedup stages aim for (a block is one task's work).
ROWS_PER_BLOCK = 500

# The order in which local emits rejects: read and clean rejects as they happen, then learned.
_STAGE_RANK = {"read": 0, "clean": 0, "learned": 1}


def run(
    pipeline: Pipeline,
    *,
    base: str | Path | None = None,
    progress: bool = False,
    on_reject: Callable[[Reject], None] | None = None,
    address: str | None = None,
) -> RunResult:
    """Run ``pipeline`` on Ray and publish its snapshot, byte-identical to :func:`corpus.engines.local.run`.

    ``address``: an existing cluster (``"auto"``, ``"ray://head:10001"``); without
    it, a Ray already initialised in this process is used, else a local one is
    started (and stopped afterwards).
    """
    if not pipeline.input.paths:
        raise CorpusError(f"{pipeline.source or 'pipeline'}: no inputs; list them in [input] paths or pass --input")
    with output_lock(pipeline.output.path):
        previous = load_snapshot(base) if base is not None else None
        with _ray_session(address, progress):
            return _Run(pipeline, progress, previous, base).execute(on_reject)


@contextlib.contextmanager
def _ray_session(address: str | None, progress: bool) -> Iterator[None]:
    """Connect to (or start) Ray, and set Ray Data up for this run; undo both afterwards."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError as err:
        raise CorpusError("the ray engine needs Ray: pip install 'corpus[ray]'") from err
    from ray.data.context import DataContext, ShuffleStrategy

    started = not ray.is_initialized()
    if started and address is not None:
        _check_reachable(address)
    if started:
        # A Ray started here has no dashboard (a web server) and reports no usage stats.
        local = {"include_dashboard": False} if address is None else {}
        try:
            ray.init(address=address, log_to_driver=progress,
                     logging_level=logging.INFO if progress else logging.ERROR, **local)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise CorpusError(f"cannot start or reach Ray at {address or 'this machine'}: {err}") from err
    ctx = DataContext.get_current()
    saved = (ctx.enable_progress_bars, ctx.shuffle_strategy)
    data_log = logging.getLogger("ray.data")
    saved_level = data_log.level
    # The pull-based sort shuffle starts in a fraction of a second; the hash shuffle's
    # aggregator actors take seconds per group-by, which dominates a run of this size.
    ctx.shuffle_strategy = ShuffleStrategy.SORT_SHUFFLE_PULL_BASED
    ctx.enable_progress_bars = progress
    if not progress:
        data_log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        ctx.enable_progress_bars, ctx.shuffle_strategy = saved
        data_log.setLevel(saved_level)
        if started:
            ray.shutdown()


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail within seconds when nothing answers at ``host:port`` (Ray itself retries for minutes).

    ``auto`` and addresses without a port are left to Ray, which resolves them.
    """
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        raise CorpusError(f"cannot reach Ray at {address}: {err.strerror or err}; start a cluster there "
                          "(ray start --head) or check the address") from err


# --------------------------------------------------------------------------- rows
# Every dataset holds pyarrow tables. A document or reject travels pickled in a
# ``blob`` column: its metadata is free-form JSON that no fixed schema fits.


def _order(file: int, item: int) -> int:
    return (file << ITEM_BITS) | item


def _table(columns: dict[str, tuple[Any, list[Any]]]) -> Any:
    import pyarrow as pa

    return pa.table({name: pa.array(values, type=kind) for name, (kind, values) in columns.items()})


def _doc_rows(orders: list[int], kinds: list[str], blobs: list[bytes], ids: list[str | None],
              sources: list[str | None]) -> Any:
    import pyarrow as pa

    return _table({"order": (pa.int64(), orders), "kind": (pa.string(), kinds), "blob": (pa.binary(), blobs),
                   "id": (pa.string(), ids), "source": (pa.string(), sources)})


def _error_blob(err: CorpusError) -> bytes:
    """An error as plain data: ``InputError`` does not survive pickling (its arguments are not its ``args``)."""
    if isinstance(err, InputError):
        return pickle.dumps(("input", err.path, err.reason, err.line))
    return pickle.dumps(("other", type(err), str(err)))


def _raise(blob: bytes) -> None:
    kind, *rest = pickle.loads(blob)
    if kind == "input":
        raise InputError(*rest)
    cls, message = rest
    raise cls(message)


class _Items:
    """A file's items in the order the reader meets them, as rows, handed over a chunk at a time."""

    def __init__(self, file: int) -> None:
        self.file = file
        self.count = 0
        self.columns: tuple[list[Any], ...] = ([], [], [], [], [])

    def add(self, kind: str, obj: Any, doc_id: str | None = None, source: str | None = None) -> None:
        self._append(_order(self.file, self.count), kind, obj, doc_id, source)
        self.count += 1

    def claim(self, doc_id: str, claim: tuple[str, str | None, str | None, int | None]) -> None:
        """The id claim of the item the reader hands over next (it shares that item's order)."""
        self._append(_order(self.file, self.count), "claim", claim, doc_id, None)

    def _append(self, order: int, kind: str, obj: Any, doc_id: str | None, source: str | None) -> None:
        for column, value in zip(self.columns, (order, kind, obj if isinstance(obj, bytes) else
                                                pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL), doc_id, source)):
            column.append(value)

    def __len__(self) -> int:
        return len(self.columns[0])

    def take(self) -> Any:
        """The rows added since the last call."""
        rows = _doc_rows(*self.columns)
        self.columns = ([], [], [], [], [])
        return rows


class _Claims(IdOwners):
    """Records one file's id claims and settles none: the claims of every file are settled
    together afterwards (:func:`_settle_ids`), in input order, as one ``IdOwners`` does locally."""

    def __init__(self, items: _Items) -> None:
        super().__init__()
        self.items = items

    def claim_reject(self, reason: str, doc_id: str, path: str | None, line: int | None) -> tuple[str, str | None]:
        self.items.claim(doc_id, ("reject", reason, path, line))
        return reason, doc_id

    def claim_document(self, doc_id: str, path: str, line: int | None) -> str | None:
        self.items.claim(doc_id, ("doc", None, path, line))
        return None


# --------------------------------------------------------------------------- stage functions (run on workers)


def _read_files(batch: Any, pipeline: Pipeline) -> Iterator[Any]:
    """Read each listed file with ``readers.read``, and describe it for the manifest.

    Rows go out every :data:`ROWS_PER_BLOCK` documents, so one big file never
    sits whole in a worker's memory.
    """
    inp = pipeline.input
    for file, paths in zip(batch.column("file").to_pylist(), batch.column("paths").to_pylist()):
        items = _Items(file)
        try:
            for doc in read(paths, format=inp.format, strict=inp.strict, on_reject=lambda r: items.add("reject", r),
                            exclude=inp.exclude, limits=inp.limits, ids=_Claims(items)):
                items.add("doc", doc, doc.id)
                if len(items) >= 2 * ROWS_PER_BLOCK:
                    yield items.take()
            items.add("input", describe_inputs(paths)[0])
        except CorpusError as err:
            items.add("error", _error_blob(err))
        yield items.take()


def _settle_ids(group: Any, strict: bool) -> Any:
    """The claims of one id, in input order: the records that lose it, as the rejects (or,
    strict, the errors) that replace them. An id claimed once yields nothing."""
    out: tuple[list[Any], ...] = ([], [], [], [], [])
    if group.num_rows > 1:
        owners = IdOwners()
        doc_id = group.column("id")[0].as_py()
        for order, blob in sorted(zip(group.column("order").to_pylist(), group.column("blob").to_pylist())):
            kind, reason, path, line = pickle.loads(blob)
            if kind == "doc":
                reason = owners.claim_document(doc_id, path, line)
                if reason is None:
                    continue
            else:
                reason, still_owned = owners.claim_reject(reason, doc_id, path, line)
                if still_owned is not None:
                    continue
            if strict:
                kind, blob = "error", _error_blob(InputError(path or "<input>", reason, line))
            else:
                kind, blob = "reject", pickle.dumps(Reject(stage="read", reason=reason, path=path, line=line))
            for column, value in zip(out, (order, kind, blob, None, None)):
                column.append(value)
    return _doc_rows(*out)


def _by_order(batch: Any, orders: np.ndarray, keep: bool) -> Any:
    """The rows whose order is (``keep``) or is not in the sorted array ``orders``."""
    import pyarrow as pa

    inside = _in_sorted(batch.column("order").to_numpy(), orders)
    return batch.filter(pa.array(inside if keep else ~inside))


def _clean(batch: Any, pipeline: Pipeline) -> Any:
    """Clean the batch's documents with ``Cleaner.run``: a document becomes a cleaned one, a reject, or (strict) an error."""
    cleaner = Cleaner(pipeline.clean)
    out: tuple[list[Any], ...] = ([], [], [], [], [])
    for order, kind, blob, doc_id in zip(*(batch.column(c).to_pylist() for c in ("order", "kind", "blob", "id"))):
        source = None
        if kind == "doc":
            rejects: list[Reject] = []
            try:
                cleaned = list(cleaner.run([pickle.loads(blob)], on_reject=rejects.append, strict=pipeline.input.strict))
            except CorpusError as err:
                kind, blob = "error", _error_blob(err)
            else:
                if cleaned:
                    blob, source = pickle.dumps(cleaned[0], protocol=pickle.HIGHEST_PROTOCOL), source_of(cleaned[0])
                else:
                    kind, blob = "reject", pickle.dumps(rejects[0])
        for column, value in zip(out, (order, kind, blob, doc_id, source)):
            column.append(value)
    return _doc_rows(*out)


def _doc_line_keys(doc: Document) -> tuple[np.ndarray, np.ndarray, dict[int, str]]:
    """A document's distinct line keys and prose line keys (sorted) and each key's first line, as ``LineCounts.add`` sees them."""
    counts = LineCounts()
    counts.add(doc)
    return counts.doc_keys[0][1], counts.doc_prose[0], counts.text_of


def _unsigned(key: int) -> int:
    """A line key back from the int64 column that holds it (Ray's group-by cannot sum by a uint64 key)."""
    return key & 0xFFFF_FFFF_FFFF_FFFF


def _kind(*kinds: str) -> Any:
    """A filter on the ``kind`` column."""
    from ray.data.expressions import col

    return col("kind").is_in(list(kinds))


def _at_least(batch: Any, floors: dict[str, float]) -> Any:
    """The (source, key) counts that reach their source's floor (``learn_boilerplate``'s ``own``)."""
    floor = np.array([floors[s] for s in batch.column("source").to_pylist()], dtype=np.float64)
    return batch.filter(batch.column("sum(n)").to_numpy() >= floor)


def _scope_rows(batch: Any) -> Any:
    """A row per counting scope of each document (:func:`corpus.clean.learned.scopes_of`), to count them."""
    import pyarrow as pa

    scopes = [scope for blob in batch.column("blob").to_pylist() for scope in scopes_of(pickle.loads(blob))]
    return _table({"source": (pa.string(), scopes)})


def _source_rows(batch: Any) -> Any:
    """The rows of whole sources, not of a source's template (for the count of sources holding a line)."""
    import pyarrow.compute as pc

    return batch.filter(pc.invert(pc.match_substring(batch.column("source"), SCOPE_SEP)))


def _line_counts(batch: Any) -> Any:
    """Per (scope, line key): how many of the batch's documents hold the line (summed by a group-by)."""
    import pyarrow as pa

    seen = LineCounts()
    for blob in batch.column("blob").to_pylist():
        seen.add(pickle.loads(blob))
    items = sorted(((source, key), n) for source, keys in seen.per_source.items() for key, n in keys.items())
    keys = np.array([k for (_, k), _ in items], dtype=np.uint64).view(np.int64)
    return _table({"source": (pa.string(), [s for (s, _), _ in items]),
                   "key": (pa.int64(), keys),
                   "n": (pa.int64(), [n for _, n in items])})


def _in_sorted(keys: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Which of ``keys`` are in the sorted array ``table``: a binary search per key, so a
    task's cost does not grow with the table (``np.isin`` sorts the table with the keys)."""
    if not len(table):
        return np.zeros(len(keys), dtype=bool)
    at = np.minimum(np.searchsorted(table, keys), len(table) - 1)
    return table[at] == keys


def _candidate_rows(batch: Any, own: dict[str, np.ndarray], shared: np.ndarray) -> Any:
    """For every candidate line a document holds: the document's order and article line keys, or the line's text.

    Groups: ``o <source> <key>`` (a line of one source), ``s <key>`` (across
    sources), ``t <key>`` (the text of the first line with that key, any source).
    ``own`` (per source) and ``shared`` are sorted key arrays; Ray hands a task
    numpy arrays without copying them, so the candidates cost each task nothing
    to receive, however many the corpus has.
    """
    import pyarrow as pa

    groups, orders, lines, texts = [], [], [], []
    empty = np.empty(0, np.uint64)

    def add(group: str, order: int, article: bytes, text: str) -> None:
        groups.append(group)
        orders.append(order)
        lines.append(article)
        texts.append(text)

    for order, source, blob in zip(*(batch.column(c).to_pylist() for c in ("order", "source", "blob"))):
        keys, prose, first = _doc_line_keys(pickle.loads(blob))
        mine = own.get(source, empty)
        in_own, in_shared = _in_sorted(keys, mine), _in_sorted(keys, shared)
        if not (in_own.any() or in_shared.any()):
            continue
        article = article_keys(keys, prose, mine).tobytes()
        for key, is_own, is_shared in zip(keys.tolist(), in_own.tolist(), in_shared.tolist()):
            if not (is_own or is_shared):
                continue
            add(f"t {key}", order, b"", first[key])
            if is_own:
                add(f"o {source}\0{key}", order, article, "")
            if is_shared:
                add(f"s {key}", order, article, "")
    return _table({"group": (pa.string(), groups), "order": (pa.int64(), orders), "lines": (pa.binary(), lines),
                   "text": (pa.string(), texts)})


def _decide(group: Any, min_documents: int, min_sources: int) -> Any:
    """One candidate line: whether its documents hold enough different articles; or its first text."""
    import pyarrow as pa

    rows = sorted(zip(*(group.column(c).to_pylist() for c in ("order", "lines", "text"))))
    name = group.column("group")[0].as_py()
    if name.startswith("t "):
        result, text = True, rows[0][2]
    else:
        needed = min_documents if name.startswith("o ") else min_sources
        result = distinct_articles((np.frombuffer(lines, dtype=np.uint64) for _, lines, _ in rows), needed)
        text = ""
    return _table({"group": (pa.string(), [name]), "learned": (pa.bool_(), [result]), "text": (pa.string(), [text])})


def _strip(batch: Any, learned: LearnedBoilerplate) -> Any:
    """Remove learned lines; a document left without text becomes a ``learned`` reject."""
    out: tuple[list[Any], ...] = ([], [], [], [], [])
    for order, blob, doc_id, source in zip(*(batch.column(c).to_pylist() for c in ("order", "blob", "id", "source"))):
        doc = learned.strip(pickle.loads(blob))
        if doc.text.strip():
            kind, blob = "doc", pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)
        else:
            kind = "reject"
            blob = pickle.dumps(Reject(stage="learned", reason="no text left after removing learned boilerplate", id=doc.id))
        for column, value in zip(out, (order, kind, blob, doc_id, source)):
            column.append(value)
    return _doc_rows(*out)


def _sign(batch: Any, pipeline: Pipeline) -> Any:
    """Exact-duplicate key and MinHash signature of every document of the batch."""
    import pyarrow as pa

    cfg = pipeline.dedup
    tokens = token_batch([pickle.loads(b).text for b in batch.column("blob").to_pylist()])
    sigs, counts = sign_batch(tokens, cfg)
    return batch.append_column("exact", pa.array(tokens.keys, pa.string())) \
                .append_column("sig", pa.array([s.tobytes() for s in sigs], pa.binary())) \
                .append_column("count", pa.array(counts, pa.uint32()))


def _exact_group(group: Any) -> Any:
    """Documents with one exact key: the first in order represents them."""
    import pyarrow as pa

    rows = sorted(zip(*(group.column(c).to_pylist() for c in ("order", "sig", "count"))))
    rep = rows[0][0]
    return _table({"order": (pa.int64(), [o for o, _, _ in rows]), "rep": (pa.int64(), [rep] * len(rows)),
                   "sig": (pa.binary(), [s for _, s, _ in rows]), "count": (pa.uint32(), [c for _, _, c in rows])})


def _bands(batch: Any, bands: int, rows: int) -> Any:
    """One row per (representative, band): the band's values are the bucket."""
    import pyarrow as pa

    orders, sigs = batch.column("order").to_pylist(), batch.column("sig").to_pylist()
    counts = batch.column("count").to_numpy(zero_copy_only=False)
    buckets = [np.frombuffer(sig, dtype=np.uint32)[b * rows:(b + 1) * rows].tobytes()
               for sig in sigs for b in range(bands)]
    return _table({"band": (pa.int32(), list(range(bands)) * len(orders)), "bucket": (pa.binary(), buckets),
                   "order": (pa.int64(), np.repeat(orders, bands)), "sig": (pa.binary(), [sig for sig in sigs for _ in range(bands)]),
                   "count": (pa.uint32(), np.repeat(counts, bands))})


def _verify_bucket(group: Any, threshold: float, bands: int, rows: int) -> Any:
    """Every pair in one LSH bucket whose similarity reaches the threshold (``lsh.similarity``, as
    ``lsh.similar_pair_arrays`` verifies): ``edge`` rows; and a ``review`` row, the bucket's
    :class:`.review.CandidateReview`, for the report.

    A pair shares a bucket in every band its signatures agree on; the review counts it
    only in the first of them, so each candidate is counted once, as locally.
    """
    import pyarrow as pa

    band = group.column("band")[0].as_py()
    orders = np.array(group.column("order").to_pylist(), dtype=np.int64)
    sigs = np.vstack([np.frombuffer(s, dtype=np.uint32) for s in group.column("sig").to_pylist()])
    counts = group.column("count").to_numpy(zero_copy_only=False)
    pairs = []
    review = CandidateReview(threshold)
    for i in range(1, len(orders)):
        sims = similarity(sigs[:i], counts[:i], sigs[i], int(counts[i]))
        candidate = orders[:i] >= 0 if orders[i] < 0 else np.ones(i, dtype=bool)  # two base rows: not a candidate
        agree = (sigs[:i, :bands * rows] == sigs[i, :bands * rows]).reshape(i, bands, rows).all(axis=-1)
        first = candidate & (np.argmax(agree, axis=1) == band)
        review.add(orders[:i][first], np.full(int(first.sum()), orders[i]), sims[first])
        pairs.extend(sorted((int(orders[j]), int(orders[i]))) for j in np.flatnonzero(candidate & (sims >= threshold)))
    out = [("edge", a, b, b"") for a, b in pairs]
    if review.counts.any():
        out.append(("review", 0, 0, pickle.dumps(review)))
    return _table({"kind": (pa.string(), [r[0] for r in out]), "a": (pa.int64(), [r[1] for r in out]),
                   "b": (pa.int64(), [r[2] for r in out]), "blob": (pa.binary(), [r[3] for r in out])})


def _with_root(batch: Any, table: Any) -> Any:
    """The component root (smallest order) of each document, and whether it shares a component.

    ``table`` is an object reference to ``(members, roots)``: the sorted orders of
    every document in a component of two or more, and their roots (shared by
    every task on a node, not copied into each); a document not among them is alone.
    """
    import pyarrow as pa
    import ray

    members, roots = ray.get(table)

    orders = np.asarray(batch.column("order").to_numpy(zero_copy_only=False), dtype=np.int64)
    if len(members):
        at = np.minimum(np.searchsorted(members, orders), len(members) - 1)
        clustered = members[at] == orders
        root = np.where(clustered, roots[at], orders)
    else:
        clustered, root = np.zeros(len(orders), dtype=bool), orders
    return batch.append_column("root", pa.array(root, pa.int64())).append_column("clustered", pa.array(clustered))


def _resolve(group: Any, pipeline: Pipeline, alone: bool = False, context: Any = None) -> Any:
    """Each component (a group) or each document (``alone``): the kept document with its copies,
    the merged ones, the clusters record. ``context`` refers to ``(base, base_metadata(base))``;
    a base row has no ``blob``."""
    import pyarrow as pa
    import ray

    base, base_meta = ray.get(context) if context is not None else (None, None)
    nodes = [Node(order, doc_id, np.frombuffer(sig, dtype=np.uint32), count,
                  pickle.loads(blob) if blob is not None else None)
             for order, doc_id, blob, sig, count in zip(*(group.column(c).to_pylist()
                                                          for c in ("order", "id", "blob", "sig", "count")))]
    kinds, orders, blobs = [], [], []

    def add(kind: str, order: int, obj: Document | Merged | dict[str, Any]) -> None:
        kinds.append(kind)
        orders.append(order)
        blobs.append(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))

    for resolved in resolve_clusters([[n] for n in nodes] if alone else [nodes] if nodes else [], pipeline.dedup,
                                     base, base_meta):
        if resolved.kept is not None:
            add("kept", *resolved.kept)
        for order, merged in resolved.merged:
            add("merged", order, merged)
        if resolved.record is not None:
            add("record", -1, resolved.record)
    return _table({"kind": (pa.string(), kinds), "order": (pa.int64(), orders), "blob": (pa.binary(), blobs)})


def _member_of(batch: Any) -> Any:
    """What a base index records of each kept document (a :class:`~corpus.dedup.keep.Member`)."""
    import pyarrow as pa

    members = []
    for order, blob in zip(batch.column("order").to_pylist(), batch.column("blob").to_pylist()):
        doc = pickle.loads(blob)
        members.append(pickle.dumps(Member(id=doc.id, source=doc.source, url=doc.url, published=doc.published,
                                           length=len(doc.text), order=order)))
    return _table({"order": (pa.int64(), batch.column("order").to_pylist()), "member": (pa.binary(), members)})


def _sig_rows(orders: np.ndarray, values: np.ndarray, counts: np.ndarray, ids: list[str] | None = None) -> Any:
    """Rows of base signatures: ``order``, ``sig``, ``count`` and, with ``ids``, ``id`` and an empty ``blob``."""
    import pyarrow as pa

    columns: dict[str, tuple[Any, list[Any]]] = {"order": (pa.int64(), orders.tolist())}
    if ids is not None:
        columns["id"] = (pa.string(), ids)
        columns["blob"] = (pa.binary(), [None] * len(ids))
    columns["sig"] = (pa.binary(), [row.tobytes() for row in values])
    columns["count"] = (pa.uint32(), counts.tolist())
    return _table(columns)


def _terms(batch: Any) -> Any:
    """The story-term counts and published date of each kept document (story annotation)."""
    import pyarrow as pa

    docs = [pickle.loads(b) for b in batch.column("blob").to_pylist()]
    return _table({"order": (pa.int64(), batch.column("order").to_pylist()), "id": (pa.string(), [d.id for d in docs]),
                   "published": (pa.string(), [d.published for d in docs]),
                   "terms": (pa.binary(), [pickle.dumps(term_counts(d.text)) for d in docs])})


def _with_story(doc: Document, story: str | None) -> Document:
    doc.story = story
    return doc


# --------------------------------------------------------------------------- the driver


@dataclass
class _Found:
    """What dedup found: this run's kept documents (a stream, in order), the clusters records,
    this run's signatures and the review of its candidate pairs (for the report); with a base, the
    merged records and kept members for the combined index."""

    signatures: Signatures
    kept: Iterator[Document] = field(default_factory=lambda: iter(()))
    kept_count: int = 0
    merged_count: int = 0
    records: list[dict[str, Any]] = field(default_factory=list)
    merged: list[Merged] = field(default_factory=list)
    members: list[Member] = field(default_factory=list)
    review: dict[str, Any] | None = None


class _Run:
    """One run on Ray: the datasets of each stage, and the small things the driver keeps."""

    def __init__(self, pipeline: Pipeline, progress: bool = False, previous: Snapshot | None = None,
                 base: str | Path | None = None) -> None:
        import ray

        self.ray = ray
        self.pipeline = pipeline
        self.previous = previous
        self.base_path = base
        self.base = base_index(previous) if previous is not None else None
        self.progress = progress
        self._clock = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.partitions = max(2, 2 * self.cpus)

    def _done(self, stage: str, step: str) -> None:
        """Count the time since the last step to ``step`` (the local engine's stage names, for
        ``RunResult.seconds``); with ``progress``, print it on stderr."""
        now = time.perf_counter()
        if self.progress:
            print(f"corpus: ray: {stage} {now - self._clock:.1f}s", file=sys.stderr)
        self.seconds[step] = self.seconds.get(step, 0.0) + now - self._clock
        self._clock = now

    def _map(self, ds: Any, fn: Callable[..., Any], **kwargs: Any) -> Any:
        return ds.map_batches(fn, batch_format="pyarrow", fn_kwargs=kwargs or None, zero_copy_batch=True)

    def _groups(self, ds: Any, key: str | list[str], fn: Callable[..., Any], **kwargs: Any) -> Any:
        return ds.groupby(key, num_partitions=self.partitions).map_groups(
            fn, batch_format="pyarrow", fn_kwargs=kwargs or None)

    def _blocks(self, ds: Any, rows: int) -> Any:
        return ds.repartition(max(2 * self.cpus, rows // ROWS_PER_BLOCK, 1))

    def execute(self, on_reject: Callable[[Reject], None] | None) -> RunResult:
        ray, pipeline, inp = self.ray, self.pipeline, self.pipeline.input
        # 1. list: the files, and the walk's own rejects, each at its place in the walk.
        shards: list[dict[str, Any]] = []
        walk_rejects: list[tuple[int, Reject]] = []
        errors: list[tuple[int, bytes]] = []  # (order, error): strict mode's, raised after cleaning

        def walk_reject(reason: str, path: str | None, line: int | None = None, doc_id: str | None = None) -> None:
            order = _order(len(shards) + len(walk_rejects) + len(errors), 0)
            if inp.strict:
                errors.append((order, _error_blob(InputError(path or "<input>", reason, line))))
            else:
                walk_rejects.append((order, Reject(stage="read", reason=reason, path=path, line=line, id=doc_id)))

        for path in walk(inp.paths, inp.exclude, walk_reject, not_input_paths(pipeline, self.base_path)):
            shards.append({"file": len(shards) + len(walk_rejects) + len(errors), "paths": [str(path)]})

        self._done("list", "read+clean")
        # 2. read: one task per file; then every id claimed twice is settled by a group-by on id.
        items = self._map(ray.data.from_items(shards, override_num_blocks=min(len(shards), 8 * self.cpus)), _read_files,
                          pipeline=pipeline).materialize() if shards else None
        inputs = [] if items is None else [pickle.loads(r["blob"]) for r in
                                           items.filter(expr=_kind("input")).sort("order").iter_rows()]
        rejects: list[tuple[int, int, Reject]] = [(0, o, r) for o, r in walk_rejects]
        read_count = 0
        docs = None
        if items is not None:
            claims = items.filter(expr=_kind("claim")).select_columns(["order", "id", "blob"])
            settled = list(self._groups(claims, "id", _settle_ids, strict=inp.strict).iter_rows())
            replaced = {row["order"] for row in settled}
            for row in settled:
                self._note(row, rejects, errors)
            for row in items.filter(expr=_kind("reject", "error")).iter_rows():
                if row["order"] not in replaced:  # else settled above, without the id it lost
                    self._note(row, rejects, errors)
            docs = items.filter(expr=_kind("doc"))
            if replaced:
                docs = self._map(docs, _by_order, orders=np.array(sorted(replaced), dtype=np.int64), keep=False)
            docs = docs.materialize()
            read_count = docs.count()
            docs = self._blocks(docs, read_count)
        read_rejects = len(rejects)

        self._done("read", "read+clean")
        # 3. clean.
        cleaned_count = 0
        if docs is not None:
            cleaned = self._map(docs, _clean, pipeline=pipeline).materialize()
            for row in cleaned.filter(expr=_kind("reject", "error")).iter_rows():
                self._note(row, rejects, errors)
            docs = cleaned.filter(expr=_kind("doc")).materialize()
            cleaned_count = docs.count()
        if errors:  # strict, or an input that cannot be described: the first by order, as local raises it
            _raise(min(errors)[1])

        self._done("clean", "read+clean")
        # 4. learned boilerplate.
        learned_rows = previous_learned(self.previous)
        if docs is not None and pipeline.learned.enabled and cleaned_count:
            learned_rows += self._learn(docs)
        learned = LearnedBoilerplate.from_report(learned_rows)
        if docs is not None and learned.lines:
            stripped = self._map(docs, _strip, learned=learned).materialize()
            for row in stripped.filter(expr=_kind("reject")).iter_rows():
                self._note(row, rejects, errors, rank=_STAGE_RANK["learned"])
            docs = stripped.filter(expr=_kind("doc"))

        self._done("learned", "learn")
        # 5-6. dedup and story.
        found = self._dedup(docs)

        if items is not None:
            rejects = self._locate(rejects, items)
        new_rejects = [r for _, _, r in sorted(rejects, key=lambda x: (x[0], x[1]))]
        if on_reject is not None:
            for reject in new_rejects:
                on_reject(reject)
        # Without a base, ``found.merged`` and ``found.members`` are left empty: only the
        # clusters and signatures of the combined index are used then.
        whole = combined_index(found.signatures, found.merged, found.members, found.records, self.base)
        old_docs, clusters, all_rejects, signatures = carry_forward(self.previous, whole, new_rejects)
        this_run = RunCounts(read=read_count, read_rejects=read_rejects, cleaned=cleaned_count, kept=found.kept_count,
                             merged=found.merged_count, rejected=len(new_rejects))
        # 7. snapshot, as local: the base's documents first, then this run's.
        result = publish(pipeline, itertools.chain(old_docs, found.kept), clusters, all_rejects, signatures=signatures,
                         learned=learned.report(), this_run=this_run, inputs=inputs, previous=self.previous,
                         base=self.base_path, new_rejects=new_rejects, kept_count=len(old_docs) + found.kept_count,
                         review=found.review)
        self._done("snapshot", "write")
        result.seconds = self.seconds
        return result

    @staticmethod
    def _note(row: dict[str, Any], rejects: list[tuple[int, int, Reject]], errors: list[tuple[int, bytes]],
              rank: int = 0) -> None:
        if row["kind"] == "error":
            errors.append((row["order"], row["blob"]))
        elif row["kind"] == "reject":
            rejects.append((rank, row["order"], pickle.loads(row["blob"])))

    def _locate(self, rejects: list[tuple[int, int, Reject]], items: Any) -> list[tuple[int, int, Reject]]:
        """Rejects of documents dropped after reading, with the file and line of the document's id
        claim (as :meth:`corpus.readers.IdOwners.locate` names them locally)."""
        unplaced = sorted(order for _, order, r in rejects if r.path is None and r.id is not None)
        if not unplaced:
            return rejects
        claims = self._map(items.filter(expr=_kind("claim")), _by_order, orders=np.array(unplaced, dtype=np.int64),
                           keep=True)
        place = {row["order"]: pickle.loads(row["blob"])[2:] for row in claims.iter_rows()}
        return [(rank, order, replace(r, path=place[order][0], line=place[order][1]) if order in place else r)
                for rank, order, r in rejects]

    def _learn(self, docs: Any) -> list[dict[str, Any]]:
        """The learned-lines rows :func:`corpus.clean.learned.learn_boilerplate` gives, computed by group-bys."""
        from ray.data.aggregate import Count, Sum

        cfg = self.pipeline.learned
        blobs = docs.select_columns(["blob"])
        per_scope = {r["source"]: r["count()"] for r in self._map(blobs, _scope_rows).groupby("source").count().iter_rows()}
        counts = blobs.map_batches(_line_counts, batch_format="pyarrow") \
            .groupby(["source", "key"], num_partitions=self.partitions).sum("n").materialize()
        floors = {s: source_floor(cfg, n) for s, n in per_scope.items()}
        own_counts: dict[str, dict[int, int]] = {}  # as learn_boilerplate: the largest scope's count that reached its bar
        for row in self._map(counts, _at_least, floors=floors).iter_rows():
            mine, key = own_counts.setdefault(source_of_scope(row["source"]), {}), _unsigned(row["key"])
            mine[key] = max(mine.get(key, 0), row["sum(n)"])
        across = self._map(counts, _source_rows).groupby("key", num_partitions=self.partitions) \
            .aggregate(Count(), Sum("sum(n)"))
        shared = {_unsigned(r["key"]): r["sum(sum(n))"] for r in across.iter_rows() if r["count()"] >= cfg.min_sources}
        if not own_counts and not shared:
            return []
        own = {s: np.array(sorted(k), dtype=np.uint64) for s, k in own_counts.items()}
        candidates = self._map(docs, _candidate_rows, own=own, shared=np.array(sorted(shared), dtype=np.uint64))
        decided = self._groups(candidates, "group", _decide, min_documents=cfg.min_documents,
                               min_sources=cfg.min_sources)
        lines: dict[str, dict[int, int]] = {}
        text_of: dict[int, str] = {}
        for row in decided.iter_rows():
            kind, _, rest = row["group"].partition(" ")
            if kind == "t":
                text_of[int(rest)] = row["text"]
            elif row["learned"] and kind == "o":
                source, _, key = rest.rpartition("\0")
                lines.setdefault(source, {})[int(key)] = own_counts[source][int(key)]
            elif row["learned"]:
                lines.setdefault(ANY_SOURCE, {})[int(rest)] = shared[int(rest)]
        return LearnedBoilerplate(lines, text_of).report()

    def _dedup(self, docs: Any) -> _Found:
        """Stages 5-6 over this run's documents (and the base, if any)."""
        from ray.data.expressions import col

        cfg = self.pipeline.dedup
        params = cfg.signature_params()
        base = self.base
        base_values = base_signatures(base, cfg)
        base_ids = list(base.signatures.ids) if base is not None else []
        m = len(base_ids)
        if docs is None or docs.count() == 0:
            return _Found(Signatures(ids=[], values=np.empty((0, cfg.num_perm), np.uint32), params=params,
                                     counts=np.empty(0, np.uint32)),
                          review=CandidateReview(float(cfg.threshold)).to_record(str, lambda _: None))
        signed = self._map(docs.select_columns(["order", "blob", "id"]), _sign, pipeline=self.pipeline).materialize()
        # Every signature, in order, for the snapshot.
        keyed = sorted((r["order"], r["id"], r["sig"], r["count"])
                       for r in signed.select_columns(["order", "id", "sig", "count"]).iter_rows())
        signatures = Signatures(ids=[i for _, i, _, _ in keyed],
                                values=np.vstack([np.frombuffer(s, dtype=np.uint32) for _, _, s, _ in keyed]),
                                params=params, counts=np.array([c for _, _, _, c in keyed], dtype=np.uint32))
        del keyed
        check_ids(signatures.ids, base_ids)
        self._done("signatures", "dedup")
        # Exact duplicates, then LSH over the representatives.
        exact = self._groups(signed.select_columns(["order", "exact", "sig", "count"]), "exact",
                             _exact_group).materialize()
        edges = [(r["rep"], r["order"]) for r in exact.filter(expr=col("order") != col("rep")).select_columns(["order", "rep"]).iter_rows()]
        bands, rows = cfg.band_params()
        reps = exact.filter(expr=col("order") == col("rep")).select_columns(["order", "sig", "count"])
        base_counts = shingle_counts(base.signatures) if base is not None else np.empty(0, np.uint32)
        if m:  # base rows: order = row - m, below every new document
            reps = reps.union(self.ray.data.from_arrow(_sig_rows(np.arange(m) - m, base_values, base_counts)))
            base_row = {id_: k for k, id_ in enumerate(base_ids)}
            edges += [(base_row[kept] - m, base_row[id_] - m) for id_, kept in base.cluster_of.items()
                      if id_ in base_row and kept in base_row]
        banded = self._map(reps, _bands, bands=bands, rows=rows)
        verified = self._groups(banded, ["band", "bucket"], _verify_bucket, threshold=float(cfg.threshold),
                                bands=bands, rows=rows).materialize()
        edges += [(r["a"], r["b"]) for r in verified.filter(expr=_kind("edge")).iter_rows()]
        review = CandidateReview(float(cfg.threshold))
        for row in verified.filter(expr=_kind("review")).iter_rows():
            review.merge(pickle.loads(row["blob"]))
        wanted = sorted({k for a, b, _ in review.pairs() for k in (a, b) if k >= 0})
        near = {r["order"]: (r["id"], pickle.loads(r["blob"]).text) for r in self._map(
            signed.select_columns(["order", "id", "blob"]), _by_order, orders=np.array(wanted, dtype=np.int64),
            keep=True).iter_rows()} if wanted else {}
        record = review.to_record(lambda k: base_ids[k + m] if k < 0 else near[k][0],
                                  lambda k: None if k < 0 else near[k][1])
        self._done("exact + lsh", "dedup")
        # Components over the nodes the edges touch.
        ends = np.array(edges, dtype=np.int64).reshape(-1, 2)
        nodes = np.unique(ends)
        members, starts = components(len(nodes), np.searchsorted(nodes, ends[:, 0]), np.searchsorted(nodes, ends[:, 1]))
        roots = np.empty(len(nodes), dtype=np.int64)
        roots[members] = nodes[np.repeat(members[starts[:-1]], np.diff(starts))]  # smallest order of each component
        # Only components with a new document are resolved; the base's own stay as they were.
        with_new = np.isin(roots, roots[nodes >= 0])
        nodes, roots = nodes[with_new], roots[with_new]
        table = self.ray.put((nodes, roots))
        members = signed.select_columns(["order", "id", "blob", "sig", "count"])
        old = nodes[nodes < 0]
        if len(old):
            members = members.union(self.ray.data.from_arrow(
                _sig_rows(old, base_values[old + m], base_counts[old + m], ids=[base_ids[k] for k in (old + m).tolist()])))
        rooted = self._map(members, _with_root, table=table).materialize()
        # resolve_clusters reads the base's cluster_of and kept; its signatures stay here.
        slim = replace(base, signatures=Signatures([], base_values[:0], {}, base_counts[:0]),
                       clusters=[]) if base is not None else None
        context = self.ray.put((slim, base_metadata(base))) if base is not None else None
        grouped = self._groups(rooted.filter(expr=col("clustered")), "root", _resolve, pipeline=self.pipeline,
                               context=context)
        alone = self._map(rooted.filter(expr=~col("clustered")), _resolve, pipeline=self.pipeline, alone=True)
        resolved = grouped.union(alone).materialize()
        records = sorted((pickle.loads(r["blob"]) for r in resolved.filter(expr=_kind("record")).iter_rows()),
                         key=lambda r: r["cluster"])
        merged = resolved.filter(expr=_kind("merged")).select_columns(["order", "blob"])
        merged_count = merged.count()
        kept = resolved.filter(expr=_kind("kept")).select_columns(["order", "blob"]).materialize()
        kept_count = kept.count()
        found = _Found(signatures, records=records, kept_count=kept_count, merged_count=merged_count, review=record)
        if base is not None:  # what the combined index needs: who merged into whom, who is kept
            found.merged = [pickle.loads(b) for _, b in sorted((r["order"], r["blob"]) for r in merged.iter_rows())]
            facts = sorted((r["order"], pickle.loads(r["member"])) for r in self._map(kept, _member_of).iter_rows())
            found.members = [replace(member, order=i) for i, (_, member) in enumerate(facts)]
        self._done("clusters", "dedup")
        if cfg.story and kept_count:
            terms = sorted((r["order"], r["id"], r["published"], pickle.loads(r["terms"]))
                           for r in self._map(kept, _terms).iter_rows())
            stories = stories_from_counts([i for _, i, _, _ in terms], [t for _, _, _, t in terms], float(cfg.story_threshold),
                                          [p for _, _, p, _ in terms], cfg.story_window_days)
            self._done("story", "dedup")
            # The kept documents stream to the driver in order, the order ``stories`` is in.
            found.kept = (_with_story(pickle.loads(r["blob"]), story)
                          for r, story in zip(kept.sort("order").iter_rows(), stories, strict=True))
        else:
            found.kept = (pickle.loads(r["blob"]) for r in kept.sort("order").iter_rows())
        return found
