"""The dedup step: documents in, one kept copy per story copy-cluster out.

Phases (each with a tqdm bar on stderr when ``progress=True``):

1. **exact**: documents with the same normalized token stream
   (:mod:`.exact`) are merged at similarity 1.0; one of them stands for the
   group in the next phases. Tokens, their hashes and the exact keys come a
   batch of documents at a time, as arrays (:mod:`.batch`).
2. **signatures**: MinHash signatures of the shingles of each batch's
   representatives (:mod:`.shingles`, :mod:`.signatures`).
3. **LSH**: candidate pairs by banding the signature matrix (datasketch
   MinHashLSH's candidates), verified against the threshold (:mod:`.lsh`).
4. **clustering**: connected components of the pairs (:mod:`.clusters`), then
   one kept document per cluster of two or more by the keep policy
   (:mod:`.keep`), provenance on the kept one; a document alone is kept as it is.
5. **story** (optional): related coverage among the kept documents
   (:mod:`.story`).

The documents are streamed, never held: :meth:`Deduplicator.find` takes a
function that gives them again for each pass (a list, or a run's work
directory read back) and keeps of each document only what
:class:`.columns.DocumentColumns` holds and its signature. The first pass
reads every document and does phases 1-2, writing each representative's
shingle hashes to a temporary file (:class:`.columns.ShingleSpill`), which
the clusters of three or more read back a chunk of clusters at a time for
their corroborated lengths (4); a second pass reads only the kept documents,
for their story terms (5), and the review's near pairs, for their texts.
:meth:`Deduplicator.run` is that over a list in memory, and returns the kept
documents themselves.

Incremental use: ``run(new_docs, base=BaseIndex(...))`` deduplicates new
documents against the signatures an earlier run stored, without its texts. A
late copy of an old story joins the old cluster, and the document that earlier
run kept stays the kept one, whatever the policy would say of the newcomer: a
snapshot's representatives are stable, and the base holds no texts to measure
corroborated lengths with (:mod:`.keep`). When a new document links two old
clusters, the policy picks among their kept ones (``longest`` by raw length,
the only length the base records).
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from corpus.dedup.batch import TokenBatch, batches, token_batch
from corpus.dedup.clusters import components
from corpus.dedup.columns import DocumentColumns, GrowingRows, ShingleSpill, expand_rows
from corpus.dedup.config import DedupConfig
from corpus.dedup.keep import Member, choose, corroborated_lengths
from corpus.dedup.lsh import pair_similarity, similar_pair_arrays
from corpus.dedup.review import TEXT_SHOWN, CandidateReview
from corpus.dedup.shingles import batch_shingle_hashes as shingle_hashes
from corpus.dedup.shingles import distinct_counts
from corpus.dedup.signatures import batch_signatures as sign
from corpus.dedup.story import read_terms_batch, stories_from_readings
from corpus.document import Copy, Document
from corpus.errors import ConfigError, CorpusError

#: Similarities are rounded so records are short and stable to print.
DIGITS = 4
#: Members of the clusters resolved together (:func:`_resolve_clusters`): bounds the
#: shingles sorted at once (about 450 a document in news, 8 bytes each, a few copies).
CLUSTER_CHUNK = 8192


@dataclass(frozen=True)
class Merged:
    """A document dropped as a copy of ``kept``."""

    id: str
    kept: str
    similarity: float

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kept": self.kept, "similarity": self.similarity}


@dataclass
class Signatures:
    """MinHash signatures by document id, and what made them (to store in a snapshot).

    ``counts`` are the sizes of the documents' shingle sets, which turn a
    Jaccard estimate into a containment estimate (:func:`.lsh.similarity`);
    ``None`` only in signatures read from a snapshot written before they were
    stored, which cannot be a base (:func:`_base_signatures` says so).
    """

    ids: list[str]
    values: np.ndarray  # (len(ids), num_perm) uint32
    params: dict[str, Any]
    counts: np.ndarray | None = None  # (len(ids),) uint32


@dataclass
class BaseIndex:
    """What incremental dedup needs from an earlier run: no texts.

    ``cluster_of`` maps every base id to the id of the document kept for it
    (kept ids map to themselves); ``kept`` holds the kept documents' metadata
    (a :class:`.keep.Member`); ``clusters`` the earlier clusters records, for
    the provenance of old copies.
    """

    signatures: Signatures
    cluster_of: dict[str, str]
    kept: dict[str, Member]
    clusters: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class DedupResult:
    """What :meth:`Deduplicator.run` found.

    ``kept``: the documents kept, in input order, with ``copies`` (and
    ``story``) filled in; ``merged``: every dropped document and the id it was
    merged into, in input order; ``clusters``: one record per cluster of two or
    more that gained a new document, sorted by cluster id; ``signatures``: of
    every input document, in input order; ``settings``: the configuration with
    bands and rows resolved and the permutation scheme; ``review``: this run's
    verified candidate pairs for the report (:meth:`.review.CandidateReview.to_record`).
    """

    kept: list[Document]
    merged: list[Merged]
    clusters: list[dict[str, Any]]
    signatures: Signatures
    settings: dict[str, Any]
    base: BaseIndex | None = None
    review: dict[str, Any] | None = None

    def to_base(self) -> BaseIndex:
        """The base index of the next incremental run: this run plus its own base."""
        kept = [_member(d, i) for i, d in enumerate(self.kept)]
        return _combined_index(self.signatures, self.merged, kept, self.clusters, self.base)


def _combined_index(signatures: Signatures, merged: list[Merged], kept: list[Member], clusters: list[dict[str, Any]],
                   base: BaseIndex | None) -> BaseIndex:
    """A run's results (``kept``: its kept documents' :class:`Member`, in order) joined to its base's.

    The texts are not needed, so an engine that keeps them elsewhere can build it.
    """
    sig = signatures
    ids, values, counts = list(sig.ids), sig.values, sig.counts
    cluster_of = {m.id: m.kept for m in merged}
    cluster_of.update({m.id: m.id for m in kept})
    members = {m.id: m for m in kept}
    records = {r["cluster"]: r for r in clusters}
    if base is not None:
        old = base
        ids = list(old.signatures.ids) + ids
        values = np.vstack([old.signatures.values, values])
        counts = np.concatenate([shingle_counts(old.signatures), shingle_counts(sig)])
        for old_id, old_kept in old.cluster_of.items():
            cluster_of[old_id] = cluster_of.get(old_kept, old_kept)
        members = {**{k: m for k, m in old.kept.items() if cluster_of[k] == k}, **members}
        records = {**{r["cluster"]: r for r in old.clusters if cluster_of[r["kept"]] == r["kept"]}, **records}
    return BaseIndex(
        signatures=Signatures(ids=ids, values=values, params=sig.params, counts=counts),
        cluster_of=cluster_of,
        kept=members,
        clusters=[records[k] for k in sorted(records)],
    )


def _member(doc: Document, order: int) -> Member:
    return Member(id=doc.id, source=doc.source, url=doc.url, published=doc.published, length=len(doc.text), order=order)


def _bar(progress: bool, total: int | None, desc: str) -> tqdm:
    return tqdm(total=total, desc=f"dedup {desc}", unit="doc", file=sys.stderr, disable=not progress, leave=False)


# --------------------------------------------------------------------------- stages
# The phases of :meth:`Deduplicator.find` as functions over one batch or a chunk of clusters.


def _shingles_by_kind(batch: TokenBatch, config: DedupConfig,
                      rows: np.ndarray) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """``(picked, values, counts)`` for the word texts, then the character ones, among ``rows`` of a batch:
    which of ``rows`` (positions in it), and their shingle hashes one document after the other."""
    cfg = config
    # Word and character shingles differ in n: one pass over each kind.
    for unspaced, n in ((False, cfg.ngram), (True, cfg.char_ngram)):
        picked = np.flatnonzero(batch.unspaced[rows] == unspaced)
        if len(picked):
            values, counts = shingle_hashes(*batch.rows(rows[picked]), n)
            yield picked, values, counts


def sign_batch(batch: TokenBatch, config: DedupConfig, rows: np.ndarray | None = None,
               spill: ShingleSpill | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures ``(len(rows), num_perm)`` of the documents ``rows`` of a token batch (default:
    all), and the size of each one's shingle set (``uint32``).

    A row depends on its own tokens only, so any batching gives the same rows.
    ``spill``, when given, gets each document's shingle hashes, in the order of ``rows``.
    """
    cfg = config
    rows = np.arange(len(batch)) if rows is None else np.asarray(rows, dtype=np.int64)
    out = np.empty((len(rows), cfg.num_perm), dtype=np.uint32)
    sizes = np.empty(len(rows), dtype=np.uint32)
    hashes: list[np.ndarray] = [np.empty(0, dtype=np.uint32)] * len(rows)
    for picked, values, counts in _shingles_by_kind(batch, cfg, rows):
        out[picked] = sign(values, counts, cfg.num_perm, cfg.seed)
        sizes[picked] = distinct_counts(values, counts)
        if spill is not None:
            for k, part in zip(picked.tolist(), np.split(values, np.cumsum(counts)[:-1])):
                hashes[k] = part
    if spill is not None:
        for part in hashes:
            spill.add(part)
    return out, sizes


@dataclass
class _Node:
    """One member of a cluster, as :func:`_resolve_clusters` sees it.

    ``order`` sorts members: a new document's input position (any increasing
    key will do), or, for a row of the base index, a negative number (its row
    minus the number of base rows). ``count`` is the size of its shingle set. A
    base row has no ``member`` (what the keep policy knows of a new document,
    :class:`.keep.Member`); ``copies`` is the provenance a new document came in with.
    """

    order: int
    id: str
    signature: np.ndarray
    count: int
    member: Member | None = None
    copies: list[Copy] = field(default_factory=list)


@dataclass
class Resolved:
    """What one cluster gives: the kept new document (order, its copies) if a new one is
    kept, the merged new documents (order, record), and its clusters record (``None`` for
    a document that stands for no copy)."""

    kept: tuple[int, list[Copy]] | None
    merged: list[tuple[int, Merged]]
    record: dict[str, Any] | None


def _resolve_clusters(
    clusters: Sequence[Sequence[_Node]],
    config: DedupConfig,
    shingles_of: Callable[[int], np.ndarray],
    base: BaseIndex | None = None,
    base_meta: dict[str, dict[str, Any]] | None = None,
) -> list[Resolved]:
    """Keep one member of each connected component by the keep policy; record every copy.

    A component that holds a document an earlier run kept keeps it (see the
    module docstring). ``shingles_of(order)`` gives a new document's shingle
    hashes, asked only for the members of the clusters measured: three new
    members or more, and none an earlier run kept. ``base_meta`` is ``_base_metadata(base)``, passed in so that it is
    built once per run, not once per cluster. The array work is done for all
    the clusters given at once: the corroborated lengths of every measured
    cluster (one sort of all their shingles, :func:`.keep.corroborated_lengths`)
    and every member's similarity to its cluster's kept one (the values
    :func:`.lsh.similarity` gives); what is left per cluster is choosing by the
    policy and writing the records.
    """
    cfg = config
    ordered = [sorted(nodes, key=lambda n: n.order) for nodes in clusters]
    news = [[n for n in nodes if n.member is not None] for nodes in ordered]
    base_kept = [[n for n in nodes if n.member is None and base is not None and base.cluster_of.get(n.id) == n.id]
                 for nodes in ordered]
    # Corroborated lengths of the new members of clusters of three or more (a cluster of two ties, see .keep).
    measured = [c for c, new in enumerate(news) if len(new) > 2 and not base_kept[c]]
    hashes = [shingles_of(n.order) for c in measured for n in news[c]]
    owners = np.repeat(np.arange(len(measured)), [len(news[c]) for c in measured])
    lengths = iter(corroborated_lengths(hashes, owners))
    del hashes
    kept_nodes: list[_Node | None] = []
    chosen_members: list[Member | None] = []
    corroborated = set(measured)
    for c, nodes in enumerate(ordered):
        new = news[c]
        if not new:
            kept_nodes.append(None)
            chosen_members.append(None)
            continue
        if base_kept[c]:
            assert base is not None
            chosen = choose([replace(base.kept[n.id], order=n.order) for n in base_kept[c]], cfg.keep,
                            cfg.source_priority)
            kept_nodes.append(next(n for n in base_kept[c] if n.id == chosen.id))
        else:
            members = [replace(n.member, corroborated=next(lengths)) if c in corroborated else n.member
                       for n in new if n.member is not None]
            chosen = choose(members, cfg.keep, cfg.source_priority)
            kept_nodes.append(next(n for n in new if n.id == chosen.id))
        chosen_members.append(chosen)

    # Every member's similarity to its cluster's kept one, all at once.
    resolved = [c for c, kept in enumerate(kept_nodes) if kept is not None]
    members_of = [ordered[c] for c in resolved]
    sizes = [len(nodes) for nodes in members_of]
    sigs = np.vstack([n.signature for nodes in members_of for n in nodes]) if resolved else np.empty((0, cfg.num_perm))
    counts = np.array([n.count for nodes in members_of for n in nodes], dtype=np.uint32)
    first = np.cumsum(sizes) - np.array(sizes, dtype=np.int64)
    at = [next(k for k, n in enumerate(ordered[c]) if n is kept_nodes[c]) for c in resolved]
    kept_row = np.repeat(first + np.array(at, dtype=np.int64), sizes)
    sims = iter(round(s, DIGITS) for s in pair_similarity(sigs, counts, np.arange(len(counts)), kept_row).tolist())

    meta = base_meta or {}
    out = [Resolved(None, [], None) for _ in ordered]
    for c in resolved:
        kept_node, chosen = kept_nodes[c], chosen_members[c]
        assert kept_node is not None and chosen is not None
        copies: dict[str, Copy] = {}
        merged: list[tuple[int, Merged]] = []
        for node in ordered[c]:
            sim = next(sims)
            member = node.member
            if member is not None:
                copies.update((k.id, k) for k in node.copies)
                if node is not kept_node:
                    copies[member.id] = Copy(member.id, member.source, member.url, member.published, sim)
                    merged.append((node.order, Merged(member.id, chosen.id, sim)))
            elif node is not kept_node:
                info = meta.get(node.id, {})
                copies[node.id] = Copy(node.id, info.get("source"), info.get("url"), info.get("published"), sim)
        copies.pop(chosen.id, None)
        copy_list = [copies[k] for k in sorted(copies)]
        kept = (kept_node.order, copy_list) if kept_node.member is not None else None
        out[c] = Resolved(kept, merged, _record(chosen, cfg.keep, copy_list) if copy_list else None)
    return out


@dataclass
class Found:
    """What :meth:`Deduplicator.find` found: a :class:`DedupResult` whose kept documents are named by input position.

    ``kept``: the input positions of the documents kept, increasing;
    ``copies``: by input position, the copies of the kept documents that
    stand for any; ``stories``: the story of each kept document, in the order
    of ``kept`` (``None`` when the story step is off: a document keeps the
    story it came with); ``columns``: what dedup held of every input document
    (their ids, urls, lengths, sources and dates). The rest as in
    :class:`DedupResult`.
    """

    kept: np.ndarray
    copies: dict[int, list[Copy]]
    stories: list[str] | None
    columns: DocumentColumns
    merged: list[Merged]
    clusters: list[dict[str, Any]]
    signatures: Signatures
    settings: dict[str, Any]
    base: BaseIndex | None = None
    review: dict[str, Any] | None = None

    def kept_ids(self) -> list[str]:
        return [self.columns.ids[k] for k in self.kept.tolist()]

    def to_base(self) -> BaseIndex:
        """The base index of the next incremental run (as :meth:`DedupResult.to_base`)."""
        kept = [self.columns.member(k, order) for order, k in enumerate(self.kept.tolist())]
        return _combined_index(self.signatures, self.merged, kept, self.clusters, self.base)


#: The documents dedup reads, as a function that gives them again for every pass (a list, or a work
#: directory's shards read back): ``documents()`` yields them all, in the same order on every call;
#: ``documents(rows)`` only those at the increasing positions ``rows`` (the others need not be made).
Passes = Callable[..., Iterable[Document]]


def _in_memory(docs: Sequence[Document]) -> Passes:
    """:data:`Passes` over a list."""
    def passes(rows: Sequence[int] | None = None) -> Iterable[Document]:
        return docs if rows is None else (docs[k] for k in rows)
    return passes


def _rows_again(documents: Passes, rows: np.ndarray, ids: list[str]) -> Iterator[tuple[int, Document]]:
    """``(row, document)`` of the documents at ``rows`` read again, each checked to be the one read first."""
    wanted = rows.tolist()
    count = 0
    for row, doc in zip(wanted, documents(wanted)):
        if doc.id != ids[row]:
            raise CorpusError(f"dedup read document {ids[row]!r} at position {row} on its first pass and "
                              f"{doc.id!r} on a later one: the documents must come the same on every pass")
        count += 1
        yield row, doc
    if count != len(wanted):
        raise CorpusError(f"dedup read {len(ids)} documents on its first pass, and a later pass ended after "
                          f"{count} of the {len(wanted)} it read again: the documents must come the same on every pass")


class Deduplicator:
    """Near-duplicate detection and related-coverage annotation.

    >>> docs = [Document("a", "Officers refused to carry guns after a colleague was charged."),
    ...         Document("b", "OFFICERS refused to carry guns after a colleague was charged!")]
    >>> result = Deduplicator().run(docs)
    >>> [d.id for d in result.kept], [m.to_json() for m in result.merged]
    (['a'], [{'id': 'b', 'kept': 'a', 'similarity': 1.0}])
    """

    def __init__(self, config: DedupConfig | None = None) -> None:
        self.config = config or DedupConfig()

    def run(self, documents: Iterable[Document], progress: bool = False, base: BaseIndex | None = None) -> DedupResult:
        """Deduplicate ``documents`` (against ``base``, if given), held in memory: :meth:`find` over a list."""
        docs = list(documents)
        found = self.find(_in_memory(docs), progress=progress, base=base)
        stories = found.stories
        kept = [replace(docs[k], copies=found.copies.get(k, []),
                        story=docs[k].story if stories is None else stories[order])
                for order, k in enumerate(found.kept.tolist())]
        return DedupResult(kept=kept, merged=found.merged, clusters=found.clusters, signatures=found.signatures,
                           settings=found.settings, base=found.base, review=found.review)

    def find(self, documents: Passes, progress: bool = False, base: BaseIndex | None = None,
             scratch: str | Path | None = None) -> Found:
        """Deduplicate the documents ``documents`` gives (against ``base``, if given), holding none of them.

        The documents are read in two passes (see the module docstring): the
        first reads all and signs them, keeping only
        :class:`.columns.DocumentColumns` and the signatures, and writes their
        shingle hashes to a temporary file in ``scratch`` (read back for the
        clusters of three or more); the second reads the kept documents, for
        their story terms, and the review's near pairs. Memory grows by about
        a signature a document, whatever the length of the texts.
        """
        with ShingleSpill(scratch) as spill:
            return self._find(documents, progress, base, spill)

    def _find(self, documents: Passes, progress: bool, base: BaseIndex | None, spill: ShingleSpill) -> Found:
        cfg = self.config
        base_ids = list(base.signatures.ids) if base is not None else []
        base_values = _base_signatures(base, cfg)

        # 1. exact duplicates: one representative (first occurrence) per key;
        # 2. signatures of the representatives, a batch at a time, so that the
        #    tokens of only one batch are ever held in memory.
        columns = DocumentColumns()
        rep_of, reps = array("q"), array("q")
        first_of_key: dict[str, int] = {}
        signed = GrowingRows(cfg.num_perm, np.uint32)
        sizes = array("I")
        seen = set(base_ids)
        with _bar(progress, None, "exact+signatures") as bar:
            for chunk in batches(documents(), cfg.batch_size):
                lo = len(columns)
                for doc in chunk:
                    if doc.id in seen:
                        _duplicate_id(doc.id, len(columns), columns.ids, base_ids)
                    seen.add(doc.id)
                    columns.add(doc)
                batch = token_batch([d.text for d in chunk])
                del chunk
                new = []
                for k, key in enumerate(batch.keys):
                    r = first_of_key.setdefault(key, len(reps))
                    if r == len(reps):
                        reps.append(lo + k)
                        new.append(k)
                    rep_of.append(r)
                if new:
                    values, counts = sign_batch(batch, cfg, np.array(new), spill)
                    signed.append(values)
                    sizes.extend(counts.tolist())
                bar.update(len(batch))
        del seen, first_of_key
        n = len(columns)
        rep_sigs, rep_counts = signed.array(), np.asarray(sizes, dtype=np.uint32)
        doc_of = np.asarray(rep_of, dtype=np.int64)
        reps_at = np.asarray(reps, dtype=np.int64)
        del rep_of, reps, sizes

        # 3. verified candidate pairs, rows: base first, then representatives.
        m = len(base_ids)
        bands, rows = cfg.band_params()
        base_counts = shingle_counts(base.signatures) if base is not None else np.empty(0, dtype=np.uint32)
        review = CandidateReview(float(cfg.threshold))
        with _bar(progress, len(reps_at), "lsh") as bar:
            pair_j, pair_i, _ = similar_pair_arrays(np.vstack([base_values, rep_sigs]) if m else rep_sigs,
                                                    np.concatenate([base_counts, rep_counts]), m,
                                                    float(cfg.threshold), bands, rows, on_query=bar.update,
                                                    review=review)
        # Every document's signature and shingle count, from its representative's (in place: no second copy).
        doc_sigs = expand_rows(rep_sigs, doc_of)
        doc_counts = rep_counts[doc_of]
        del rep_sigs

        # 4. clusters over nodes: base rows, then every new document. Edges: the base's
        #    own clusters, exact duplicates to their representative, similar pairs.
        base_row = {id_: k for k, id_ in enumerate(base_ids)}
        base_edges = [(base_row[id_], base_row[kept_id]) for id_, kept_id in (base.cluster_of.items() if base else ())
                      if id_ in base_row and kept_id in base_row]
        old = np.array(base_edges, dtype=np.int64).reshape(-1, 2)
        rep_nodes = m + reps_at
        node_of_row = np.concatenate([np.arange(m), rep_nodes])  # LSH row -> node
        members, starts = components(m + n,
                                     np.concatenate([old[:, 0], m + np.arange(n), node_of_row[pair_j]]),
                                     np.concatenate([old[:, 1], rep_nodes[doc_of], node_of_row[pair_i]]))
        del pair_j, pair_i, node_of_row

        # The clusters to resolve: every component of two or more, and a document alone that
        # came with copies; a document alone without is kept as it is.
        size = np.diff(starts)
        lone_at = starts[:-1][size == 1]
        lone_at = lone_at[members[lone_at] >= m]
        lone = members[lone_at] - m
        with_copies = np.isin(lone, np.fromiter(columns.copies, dtype=np.int64, count=len(columns.copies)))
        kept_alone = lone[~with_copies]
        group_lo = np.concatenate([starts[:-1][size > 1], lone_at[with_copies]])
        group_hi = np.concatenate([starts[1:][size > 1], lone_at[with_copies] + 1])
        shown = {int(reps_at[r - m]) for a, b, _ in review.pairs() for r in (a, b) if r >= m}

        # 5. each cluster's kept document by the keep policy, a chunk of clusters at a time.
        base_meta = _base_metadata(base)
        merged: list[tuple[int, Merged]] = []
        records: list[dict[str, Any]] = []
        kept_copies: dict[int, list[Copy]] = {}
        with _bar(progress, n, "clusters") as bar:
            bar.update(len(kept_alone))
            for lo, hi in _chunks((group_hi - group_lo).tolist(), CLUSTER_CHUNK):
                chunk = [[
                    _Node(g - m, columns.ids[g - m], doc_sigs[g - m], int(doc_counts[g - m]),
                          columns.member(g - m, g - m), columns.copies.get(g - m, [])) if g >= m
                    else _Node(g - m, base_ids[g], base_values[g], int(base_counts[g]))
                    for g in members[a:b].tolist()
                ] for a, b in zip(group_lo[lo:hi].tolist(), group_hi[lo:hi].tolist())]
                for resolved in _resolve_clusters(chunk, cfg, lambda k: spill.get(int(doc_of[k])), base, base_meta):
                    if resolved.kept is not None:
                        kept_copies[resolved.kept[0]] = resolved.kept[1]
                    merged.extend(resolved.merged)
                    if resolved.record is not None:
                        records.append(resolved.record)
                bar.update(sum(1 for nodes in chunk for node in nodes if node.member is not None))
        kept = np.sort(np.concatenate([kept_alone, np.fromiter(kept_copies, dtype=np.int64, count=len(kept_copies))]))
        merged_docs = [m_ for _, m_ in sorted(merged, key=lambda x: x[0])]
        records.sort(key=lambda r: r["cluster"])

        # 6. a second pass, over the kept documents (their story terms) and the review's near pairs (their texts).
        stories, texts = self._read_again(documents, kept, shown, columns, progress)

        params = cfg.signature_params()
        return Found(
            kept=kept,
            copies=kept_copies,
            stories=stories,
            columns=columns,
            merged=merged_docs,
            clusters=records,
            signatures=Signatures(ids=columns.ids, values=doc_sigs, params=params, counts=doc_counts),
            settings=cfg.to_json(),
            base=base,
            review=review.to_record(lambda r: base_ids[r] if r < m else columns.ids[reps_at[r - m]],
                                    lambda r: None if r < m else texts[int(reps_at[r - m])]),
        )

    def _read_again(self, documents: Passes, kept: np.ndarray, shown: set[int], columns: DocumentColumns,
                    progress: bool) -> tuple[list[str] | None, dict[int, str]]:
        """The story of each kept document (``None`` without the story step), from their story terms,
        and the texts of the documents ``shown`` (the first :data:`.review.TEXT_SHOWN` characters).

        The kept texts are read as the pass gives them, a batch at a time
        (:func:`.story.read_terms_batch`): only their term numbers are held until
        they are grouped. Without the story step nothing is kept, so the pass
        only notes the ``shown`` texts.
        """
        cfg = self.config
        story = cfg.story and len(kept) > 0
        rows = np.union1d(kept, np.fromiter(shown, dtype=np.int64, count=len(shown))) if story else \
            np.array(sorted(shown), dtype=np.int64)
        if not len(rows):
            return None, {}
        is_kept = np.zeros(len(columns), dtype=bool)
        is_kept[kept] = story
        texts: dict[int, str] = {}

        def kept_texts() -> Iterator[str]:
            """The kept texts in row order (the order of ``kept``), noting the ``shown`` ones on the way."""
            for k, doc in _rows_again(documents, rows, columns.ids):
                if k in shown:
                    texts[k] = doc.text[:TEXT_SHOWN]
                bar.update(1)
                if is_kept[k]:
                    yield doc.text

        with _bar(progress, len(rows), "story" if story else "review texts") as bar:
            readings = read_terms_batch(kept_texts())
        if not story:
            return None, texts
        ordered = kept.tolist()
        return stories_from_readings([columns.ids[k] for k in ordered], readings, float(cfg.story_threshold),
                                     [columns.published[k] for k in ordered], cfg.story_window_days), texts


def _duplicate_id(doc_id: str, position: int, ids: list[str], base_ids: list[str]) -> None:
    """Ids name documents in records and provenance: they must be unique."""
    where = "the base index" if doc_id in set(base_ids) else f"input document {ids.index(doc_id)}"
    raise CorpusError(f"document id {doc_id!r} of input document {position} is already used by {where}; "
                      "ids must be unique")


def _chunks(sizes: list[int], limit: int) -> list[tuple[int, int]]:
    """``(lo, hi)`` ranges of consecutive items whose sizes add up to about ``limit`` (at least one item each)."""
    ranges, lo, total = [], 0, 0
    for k, size in enumerate(sizes):
        total += size
        if total >= limit:
            ranges.append((lo, k + 1))
            lo, total = k + 1, 0
    if lo < len(sizes):
        ranges.append((lo, len(sizes)))
    return ranges


def _base_signatures(base: BaseIndex | None, config: DedupConfig) -> np.ndarray:
    """The base signatures, after checking they were made like this run's."""
    cfg = config
    if base is None:
        return np.empty((0, cfg.num_perm), dtype=np.uint32)
    params = cfg.signature_params()
    if base.signatures.counts is None or "shingle_counts" not in base.signatures.params:
        raise ConfigError(
            "the base index has no shingle counts: it was written by a corpus older than near-duplicates verified "
            "by containment, and its signatures alone cannot be verified that way; rebuild it (corpus run on its "
            "inputs) and use the new snapshot as the base"
        )
    if base.signatures.params != params:
        raise ConfigError(
            f"the base index was signed with {base.signatures.params}, this run signs with {params}; "
            "rebuild the base or use the same dedup options"
        )
    values = np.asarray(base.signatures.values)
    if values.dtype != np.uint32 or values.shape != (len(base.signatures.ids), cfg.num_perm):
        raise CorpusError(
            f"the base index signatures have shape {values.shape} and type {values.dtype}; "
            f"expected ({len(base.signatures.ids)}, {cfg.num_perm}) uint32"
        )
    return values


def shingle_counts(signatures: Signatures) -> np.ndarray:
    """The shingle-set sizes of ``signatures``, checked to match its rows."""
    counts = signatures.counts
    if counts is None or np.shape(counts) != (len(signatures.ids),):
        raise CorpusError(f"signatures of {len(signatures.ids)} documents come with "
                          f"{'no' if counts is None else len(counts)} shingle counts; expected one per document")
    return np.asarray(counts, dtype=np.uint32)


def _base_metadata(base: BaseIndex | None) -> dict[str, dict[str, Any]]:
    """Source, url and published of every base document the base knows about."""
    if base is None:
        return {}
    meta: dict[str, dict[str, Any]] = {}
    for record in base.clusters:
        for member in record["members"]:
            meta[member["id"]] = member
    for kept_id, member in base.kept.items():
        meta[kept_id] = {"source": member.source, "url": member.url, "published": member.published}
    return meta


def _record(kept: Member, policy: str, copies: list[Copy]) -> dict[str, Any]:
    """The clusters record of one cluster: fixed key order, members sorted by id."""
    members = [Copy(kept.id, kept.source, kept.url, kept.published, 1.0), *copies]
    return {
        "cluster": kept.id,
        "kept": kept.id,
        "policy": policy,
        "members": [c.to_json() for c in sorted(members, key=lambda c: c.id)],
    }
