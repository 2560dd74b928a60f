"""Run a pipeline on this machine: read -> clean -> learn boilerplate -> dedup -> snapshot.

Reading and cleaning stream into shards in the run's work directory
(:mod:`corpus.engines.workdir`), which an interrupted run's rerun reuses.
Learning boilerplate needs the whole cleaned corpus before any document can be
stripped, so it counts line keys over the shards read back as a stream. Dedup
reads the stripped documents back the same way, in a few passes
(:meth:`Deduplicator.find`), and holds a few columns and the signature of
each, never the texts; the writer reads the kept documents back from the
shards, with the lines cleaning removed.

Every input ends up kept, merged into a cluster, or rejected with its stage and
reason; the snapshot writer checks that before it publishes anything.
"""

from __future__ import annotations

import contextlib
import itertools
import resource
import shutil
import time

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from corpus.clean import CleanConfig, CleaningError
from corpus.clean.learned import LearnedBoilerplate, LineCounts, learn_boilerplate
from corpus.dedup import BaseIndex, Deduplicator, Signatures
from corpus.dedup.keep import Member
from corpus.dedup.signatures import estimated_set_sizes
from corpus.document import Copy, Document, Reject
from corpus.engines.workdir import WorkDir, check_work_path, default_work_path, fingerprint
from corpus.engines.workers import Item, clean_in_order, in_read_order
from corpus.errors import CorpusError, InputError
from corpus.pipeline import Pipeline
from corpus.readers import IdOwners, input_files, read
from corpus.snapshot import describe_inputs, load_snapshot, write_snapshot
from corpus.snapshot.publish import output_lock
from corpus.snapshot.write import corpus_version, environment

T = TypeVar("T")
#: How a run cleans: ``clean(items, config, strict)`` yields each document cleaned (or its
#: reject) and each read reject, in input order (as :func:`~corpus.engines.workers.clean_in_order`).
Clean = Callable[[Iterable[Item], CleanConfig, bool], Iterator[Document | Reject]]


@dataclass
class RunResult:
    """What a run wrote and what happened at each stage."""

    snapshot: Path
    counts: dict[str, Any]
    rejects: list[Reject] = field(default_factory=list)
    learned: list[dict[str, Any]] = field(default_factory=list)
    #: Wall seconds per stage (never written into the snapshot, which must not depend on them).
    seconds: dict[str, float] = field(default_factory=dict)
    #: Time and memory per stage, where the engine measures them (the local one does).
    usage: dict[str, StageUsage] = field(default_factory=dict)
    #: Cleaned shards in the work directory, and how many of them an earlier, interrupted run had written.
    shards: int = 0
    reused_shards: int = 0

    def summary(self) -> str:
        c = self.counts
        return (f"{c['inputs']} inputs: {c['kept']} kept, {c['merged']} merged into {c['clusters']} clusters, "
                f"{c['rejected']} rejected; {c['learned_lines']} boilerplate lines learned -> {self.snapshot}")

    def usage_summary(self) -> str:
        """A table of each stage's wall and CPU seconds and peak memory (this process; the largest worker)."""
        rows = [f"{'stage':<12} {'wall s':>8} {'cpu s':>8} {'peak MB':>8} {'worker MB':>9}"]
        for stage, u in self.usage.items():
            rows.append(f"{stage:<12} {u.seconds:>8.1f} {u.cpu_seconds:>8.1f} {u.peak_rss / 2**20:>8.0f} "
                        f"{u.workers_peak_rss / 2**20:>9.0f}")
        return "\n".join(rows)


class _Rejects:
    """Collects rejects, counting them per stage; optionally warns on stderr. A document
    dropped after reading is named by the file and line ``owners`` saw it read from."""

    def __init__(self, warn: Callable[[Reject], None] | None, owners: IdOwners) -> None:
        self.items: list[Reject] = []
        self.by_stage: Counter[str] = Counter()
        self._warn = warn
        self._owners = owners

    def __call__(self, reject: Reject) -> None:
        reject = self._owners.locate(reject)
        self.items.append(reject)
        self.by_stage[reject.stage] += 1
        if self._warn is not None:
            self._warn(reject)


def run(
    pipeline: Pipeline,
    *,
    base: str | Path | None = None,
    progress: bool = False,
    on_reject: Callable[[Reject], None] | None = None,
    workers: int = 1,
    clean: Clean | None = None,
    work: str | Path | None = None,
    fresh: bool = False,
    keep_work: bool = False,
    on_notice: Callable[[str], None] | None = None,
) -> RunResult:
    """Run ``pipeline`` and publish its snapshot at ``pipeline.output.path``.

    With ``base`` (an earlier snapshot), the new inputs are deduplicated
    against it, its documents, clusters and rejects are carried forward, and
    its raw inputs are not read again. ``workers`` processes clean the
    documents (see :mod:`corpus.engines.workers`), or ``clean`` does (the Ray
    engine's tasks); the snapshot is the same either way.

    The cleaned documents go to shards in the work directory ``work``
    (default ``NAME.work`` beside the output; see
    :mod:`corpus.engines.workdir`), which a rerun after an interruption
    reuses, unless ``fresh``; it is removed once the snapshot is published,
    unless ``keep_work``, and kept when the run fails. ``on_notice`` gets a
    line when shards cannot be reused. The output and the work directory are
    locked for the whole run (see :func:`~corpus.snapshot.publish.output_lock`),
    and neither they nor ``base`` are read as input, even inside an input directory.
    """
    if not pipeline.input.paths:
        raise CorpusError(f"{pipeline.source or 'pipeline'}: no inputs; list them in [input] paths or pass --input")
    if clean is None:
        def clean(items: Iterable[Item], config: CleanConfig, strict: bool) -> Iterator[Document | Reject]:
            return clean_in_order(items, config, strict=strict, workers=workers)
    out = Path(pipeline.output.path)
    work_path = Path(work) if work is not None else default_work_path(out)
    check_work_path(work_path, out)
    with output_lock(out), output_lock(work_path, "work directory"):
        done = _run(pipeline, base, progress, on_reject, clean, work_path, fresh, on_notice)
        if not keep_work:
            shutil.rmtree(work_path)
    return done


def _run(pipeline: Pipeline, base: str | Path | None, progress: bool, on_reject: Callable[[Reject], None] | None,
         clean: Clean, work_path: Path, fresh: bool, on_notice: Callable[[str], None] | None) -> RunResult:
    previous = load_snapshot(base) if base is not None else None
    owners = IdOwners()
    rejects = _Rejects(on_reject, owners)
    inp = pipeline.input
    not_inputs = not_input_paths(pipeline, base, work_path)
    # Hashed first, as the fingerprint that decides which shards a rerun may reuse; the manifest records them too.
    inputs = describe_inputs(str(p) for p in input_files(inp.paths, inp.exclude, exclude_paths=not_inputs))
    made_for = fingerprint(inputs=inputs, pipeline=pipeline.to_json(), corpus_version=corpus_version(),
                           base=previous.manifest if previous is not None else None, environment=environment())
    work = WorkDir.open(work_path, made_for, fresh=fresh, on_notice=on_notice)

    meter = _StageMeter()
    with meter("read+clean"):
        read_rejects: list[Reject] = []
        documents = read(inp.paths, format=inp.format, strict=inp.strict, on_reject=read_rejects.append,
                         exclude=inp.exclude, limits=inp.limits, ids=owners, exclude_paths=not_inputs)
        items = _bar(in_read_order(documents, read_rejects), "read+clean", progress)
        try:
            work.clean(items, lambda todo: clean(todo, pipeline.clean, inp.strict), rejects)
        except (InputError, CleaningError):
            # Strict, and a bad input stopped the run: its rerun would stop there again, and fixing
            # the input changes the fingerprint, so what was cleaned could never be reused.
            work.remove()
            raise
        cleaned = work.cleaned
        read_count = cleaned + rejects.by_stage["clean"]

    with meter("learn"):
        learned = _learn(pipeline, _bar(work.documents(removed=False), "learn", progress), previous)

    with meter("dedup"):
        base_idx = base_index(previous) if previous is not None else None
        found = Deduplicator(pipeline.dedup).find(_Stripped(work, learned, rejects, progress), progress=progress,
                                                  base=base_idx, scratch=work.path)

    with meter("write"):
        old_docs, clusters, all_rejects, signatures = carry_forward(previous, found.to_base(), rejects.items)
        this_run = RunCounts(read=read_count, read_rejects=rejects.by_stage["read"], cleaned=cleaned,
                             kept=len(found.kept), merged=len(found.merged), rejected=len(rejects.items))
        kept_count, review = len(old_docs) + len(found.kept), found.review
        stories = found.stories
        kept_as = {found.columns.ids[k]: (found.copies.get(k, []), None if stories is None else stories[order])
                   for order, k in enumerate(found.kept.tolist())}
        del found
        kept = itertools.chain(old_docs, _as_found(work.documents(), learned, kept_as))
        done = publish(pipeline, _bar(kept, "write", progress), clusters, all_rejects, signatures=signatures,
                       learned=learned.report(), this_run=this_run, inputs=inputs, previous=previous, base=base,
                       new_rejects=rejects.items, kept_count=kept_count, review=review)
    done.seconds = {stage: usage.seconds for stage, usage in meter.usage.items()}
    done.usage = meter.usage
    done.shards, done.reused_shards = len(work.shards), work.reused
    return done


class _Stripped:
    """Dedup's passes (:data:`corpus.dedup.deduplicator.Passes`): the cleaned documents without their learned
    boilerplate, read from the work directory again on every call.

    Dedup reads neither the removed lines nor anything but the text and the fields it names, so the
    documents come without their removals (often as large as the text); the writer reads them again.
    The first pass reads them all; a document left without text is rejected there, and skipped on
    every pass. A later pass asks for some positions only: the others are read but not stripped
    (stripping costs ten times reading).
    """

    def __init__(self, work: WorkDir, learned: LearnedBoilerplate, rejects: Callable[[Reject], None],
                 progress: bool) -> None:
        self._work, self._learned, self._rejects, self._progress = work, learned, rejects, progress
        self._empty: set[int] | None = None  # positions among the work directory's documents left without text

    def __call__(self, rows: Sequence[int] | None = None) -> Iterator[Document]:
        if self._empty is None:
            if rows is not None:
                raise ValueError("dedup's first pass reads every document")
            return self._first()
        return self._again(rows)

    def _first(self) -> Iterator[Document]:
        self._empty = set()
        for at, doc in enumerate(_bar(self._work.documents(removed=False), "strip learned", self._progress)):
            self._learned.strip(doc)
            if doc.text.strip():
                yield doc
            else:
                self._empty.add(at)
                self._rejects(Reject(stage="learned", reason="no text left after removing learned boilerplate",
                                     id=doc.id))

    def _again(self, rows: Sequence[int] | None) -> Iterator[Document]:
        assert self._empty is not None
        wanted = iter(rows) if rows is not None else itertools.count()
        want = next(wanted, None)
        position = 0  # among the documents the first pass yielded
        for at, doc in enumerate(self._work.documents(removed=False)):
            if want is None:
                return
            if at in self._empty:
                continue
            if position == want:
                self._learned.strip(doc)
                yield doc
                want = next(wanted, None)
            position += 1


def _as_found(docs: Iterable[Document], learned: LearnedBoilerplate,
              found: dict[str, tuple[list[Copy], str | None]]) -> Iterator[Document]:
    """The documents dedup kept (``found``: their copies and story, by id; a story ``None``: the one
    they came with), whole again, in input order: stripped of learned boilerplate again (only they:
    often a minority), so with every line removed."""
    for doc in docs:
        if doc.id in found:
            learned.strip(doc)
            doc.copies, story = found.pop(doc.id)
            doc.story = doc.story if story is None else story
            yield doc
    if found:
        raise CorpusError(f"the work directory lost {len(found)} kept documents (e.g. {next(iter(found))!r}); "
                          "rerun with --fresh")


def not_input_paths(pipeline: Pipeline, base: str | Path | None, work: str | Path | None = None) -> list[str]:
    """What a run never reads as input: its own output, the snapshot it builds on, and its work directory."""
    return [str(pipeline.output.path)] + [str(p) for p in (base, work) if p is not None]


@dataclass(frozen=True)
class StageUsage:
    """What one stage cost: wall and CPU seconds, and the peak memory so far.

    CPU time counts this process and its finished worker processes, so
    ``cpu_seconds / seconds`` says how many cores the stage kept busy.
    ``peak_rss`` is this process's highest resident set so far (bytes);
    ``workers_peak_rss`` that of the largest worker process so far. Never
    written into the snapshot, whose bytes must not depend on them.
    """

    seconds: float
    cpu_seconds: float
    peak_rss: int
    workers_peak_rss: int


class _StageMeter:
    """Usage per named stage: ``with meter("dedup"): ...``."""

    def __init__(self) -> None:
        self.usage: dict[str, StageUsage] = {}

    @contextlib.contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        start, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
            self.usage[stage] = StageUsage(seconds=time.perf_counter() - start, cpu_seconds=_cpu_seconds() - cpu,
                                           peak_rss=me.ru_maxrss * 1024, workers_peak_rss=children.ru_maxrss * 1024)


def _cpu_seconds() -> float:
    """User and system CPU seconds of this process and of its children that have ended."""
    return sum(u.ru_utime + u.ru_stime for u in (resource.getrusage(resource.RUSAGE_SELF),
                                                  resource.getrusage(resource.RUSAGE_CHILDREN)))


@dataclass(frozen=True)
class RunCounts:
    """What this run (not a base it builds on) read, cleaned, kept, merged and rejected."""

    read: int
    read_rejects: int
    cleaned: int
    kept: int
    merged: int
    rejected: int

    @property
    def inputs(self) -> int:
        """Every input this run saw: a read document or a read reject."""
        return self.read + self.read_rejects


def publish(
    pipeline: Pipeline,
    kept: Iterable[Document],
    clusters: list[dict[str, Any]],
    rejects: list[Reject],
    *,
    signatures: Signatures,
    learned: list[dict[str, Any]],
    this_run: RunCounts,
    inputs: list[dict[str, Any]],
    kept_count: int,
    new_rejects: list[Reject],
    previous: Any = None,
    base: str | Path | None = None,
    review: dict[str, Any] | None = None,
) -> RunResult:
    """Count, describe and write the snapshot: the last stage of every engine.

    ``kept`` may be a stream (an engine that holds the documents elsewhere);
    ``kept_count`` is its length, so the counts can be written first.
    ``rejects`` and ``clusters`` include what a base carried forward;
    ``review`` is this run's dedup candidates, for the report.
    """
    old_counts = previous.manifest["counts"] if previous is not None else {}
    counts = {
        "inputs": this_run.inputs + old_counts.get("inputs", 0),
        "read": this_run.read + old_counts.get("read", 0),
        "cleaned": this_run.cleaned + old_counts.get("cleaned", 0),
        "kept": kept_count,
        "merged": sum(len(c["members"]) - 1 for c in clusters),
        "clusters": len(clusters),
        "rejected": len(rejects),
        "rejected_by_stage": dict(sorted(Counter(r.stage for r in rejects).items())),
        "learned_lines": len(learned),
        "this_run": {"inputs": this_run.inputs, "kept": this_run.kept, "merged": this_run.merged,
                     "rejected": this_run.rejected},
    }
    manifest = {
        "pipeline": pipeline.to_json(),
        "inputs": (previous.manifest.get("inputs", []) if previous is not None else []) + inputs,
        "counts": counts,
    }
    if previous is not None:
        manifest["base"] = {"path": str(base), "files": previous.manifest.get("files", {})}
    out = write_snapshot(pipeline.output.path, kept, clusters, rejects, manifest=manifest,
                         signatures=signatures, learned_lines=learned,
                         compression=pipeline.output.compression, shard_bytes=pipeline.output.shard_bytes,
                         data_format=pipeline.output.format, review=review)
    return RunResult(snapshot=out, counts=counts, rejects=new_rejects, learned=learned)


def _bar(items: Iterable[T], desc: str, enabled: bool) -> Iterable[T]:
    if not enabled:
        return items
    import sys

    from tqdm import tqdm

    return tqdm(items, desc=desc, unit="doc", file=sys.stderr, leave=False)


def previous_learned(previous: Any) -> list[dict[str, Any]]:
    """The learned-lines rows of an earlier snapshot (none without one): they stay learned."""
    return list(previous.manifest.get("learned_lines", [])) if previous is not None else []


def _learn(pipeline: Pipeline, cleaned: Iterable[Document], previous: Any) -> LearnedBoilerplate:
    """Learn boilerplate from this run's documents, plus what an earlier snapshot learned."""
    rows = previous_learned(previous)
    if pipeline.learned.enabled:
        counts = LineCounts()
        for doc in cleaned:
            counts.add(doc)
        rows += learn_boilerplate(counts, pipeline.learned).report()
    return LearnedBoilerplate.from_report(rows)


def base_index(previous: Any) -> BaseIndex:
    """What incremental dedup needs from an earlier snapshot: signatures and clusters, no texts."""
    stored = previous.signatures()
    if stored is None:
        raise CorpusError(f"{previous.path}: the snapshot holds no signatures, so it cannot be a base")
    cluster_of: dict[str, str] = {}
    kept: dict[str, Member] = {}
    for order, doc in enumerate(previous.documents()):
        cluster_of[doc.id] = doc.id
        kept[doc.id] = Member(id=doc.id, source=doc.source, url=doc.url, published=doc.published,
                              length=len(doc.text), order=order)
    clusters = list(previous.clusters())
    for cluster in clusters:
        for member in cluster["members"]:
            cluster_of[member["id"]] = cluster["kept"]
    params, counts = dict(stored.params), stored.counts
    if counts is None and "shingle_counts" not in params:
        # Written before shingle counts were stored: containment needs set sizes, so
        # they are estimated from the signatures themselves (about 9% error at 128
        # permutations); the next snapshot stores them.
        counts = estimated_set_sizes(stored.values)
        params["shingle_counts"] = "distinct"
    return BaseIndex(signatures=Signatures(ids=list(stored.ids), values=stored.values, params=params, counts=counts),
                     cluster_of=cluster_of, kept=kept, clusters=clusters)


def carry_forward(previous: Any, whole: BaseIndex, rejects: list[Reject]) -> tuple[list[Document], list[dict[str, Any]],
                                                                                  list[Reject], Signatures]:
    """What an earlier snapshot passes on: its documents still kept, then every cluster, reject and signature.

    ``whole`` (``DedupResult.to_base()``) holds the clusters and signatures of
    both runs; an old kept document stays unless a new copy now represents its
    cluster. The old documents come first in the snapshot, this run's kept
    ones after them.
    """
    if previous is None:
        return [], whole.clusters, rejects, whole.signatures
    still_kept = {doc_id for doc_id, kept in whole.cluster_of.items() if doc_id == kept}
    old_docs = [doc for doc in previous.documents() if doc.id in still_kept]
    _refresh_copies(old_docs, whole.clusters)
    return old_docs, whole.clusters, list(previous.rejects()) + rejects, whole.signatures


def _refresh_copies(docs: list[Document], clusters: list[dict[str, Any]]) -> None:
    """Give a carried-forward kept document the copies its (grown) cluster now lists."""
    by_kept = {c["kept"]: c for c in clusters}
    for doc in docs:
        cluster = by_kept.get(doc.id)
        if cluster is not None:
            doc.copies = [Copy(id=m["id"], source=m["source"], url=m["url"], published=m["published"],
                               similarity=m["similarity"]) for m in cluster["members"] if m["id"] != doc.id]
