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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from tqdm import tqdm

from corpus.dedup.batch import TokenBatch, token_batch
from corpus.dedup.clusters import components
from corpus.dedup.config import DedupConfig
from corpus.dedup.keep import Member, choose, corroborated_lengths
from corpus.dedup.lsh import pair_similarity, similar_pair_arrays
from corpus.dedup.review import CandidateReview
from corpus.dedup.shingles import batch_shingle_hashes as shingle_hashes
from corpus.dedup.shingles import distinct_counts
from corpus.dedup.signatures import batch_signatures as sign
from corpus.dedup.story import assign_stories
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


def _member(doc: Document, order: int, corroborated: int | None = None) -> Member:
    return Member(id=doc.id, source=doc.source, url=doc.url, published=doc.published, length=len(doc.text), order=order,
                  corroborated=corroborated)


def _bar(progress: bool, total: int, desc: str) -> tqdm:
    return tqdm(total=total, desc=f"dedup {desc}", unit="doc", file=sys.stderr, disable=not progress, leave=False)


# --------------------------------------------------------------------------- stages
# The phases of :meth:`Deduplicator.run` as functions over one document, one batch
# or one cluster.


def sign_batch(batch: TokenBatch, config: DedupConfig, rows: np.ndarray | None = None,
               shingles: list[np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures ``(len(rows), num_perm)`` of the documents ``rows`` of a token batch (default:
    all), and the size of each one's shingle set (``uint32``).

    A row depends on its own tokens only, so any batching gives the same rows.
    ``shingles``, when given, is extended with each document's shingle hashes.
    """
    cfg = config
    rows = np.arange(len(batch)) if rows is None else np.asarray(rows, dtype=np.int64)
    out = np.empty((len(rows), cfg.num_perm), dtype=np.uint32)
    sizes = np.empty(len(rows), dtype=np.uint32)
    hashes: list[np.ndarray] = [np.empty(0, dtype=np.uint32)] * len(rows)
    # Word and character shingles differ in n: one pass over each kind.
    for unspaced, n in ((False, cfg.ngram), (True, cfg.char_ngram)):
        picked = np.flatnonzero(batch.unspaced[rows] == unspaced)
        if len(picked):
            values, counts = shingle_hashes(*batch.rows(rows[picked]), n)
            out[picked] = sign(values, counts, cfg.num_perm, cfg.seed)
            sizes[picked] = distinct_counts(values, counts)
            for k, part in zip(picked.tolist(), np.split(values, np.cumsum(counts)[:-1])):
                hashes[k] = part
    if shingles is not None:
        shingles.extend(hashes)
    return out, sizes


@dataclass
class _Node:
    """One member of a cluster, as :func:`_resolve_clusters` sees it.

    ``order`` sorts members: a new document's input position (any increasing
    key will do), or, for a row of the base index, a negative number (its row
    minus the number of base rows). ``count`` is the size of its shingle set. A
    base row has no ``doc``. ``shingles`` are the document's shingle hashes
    when the caller kept them from signing (else they are made again when needed).
    """

    order: int
    id: str
    signature: np.ndarray
    count: int
    doc: Document | None = None
    shingles: np.ndarray | None = None


@dataclass
class Resolved:
    """What one cluster gives: the kept new document (order, document with its copies) if
    a new one is kept, the merged new documents (order, record), and its clusters record
    (``None`` for a document that stands for no copy)."""

    kept: tuple[int, Document] | None
    merged: list[tuple[int, Merged]]
    record: dict[str, Any] | None


def _resolve_clusters(
    clusters: Sequence[Sequence[_Node]],
    config: DedupConfig,
    base: BaseIndex | None = None,
    base_meta: dict[str, dict[str, Any]] | None = None,
) -> list[Resolved]:
    """Keep one member of each connected component by the keep policy; record every copy.

    A component that holds a document an earlier run kept keeps it (see the
    module docstring). ``base_meta`` is ``_base_metadata(base)``, passed in so
    that it is built once per run, not once per cluster. The array work is
    done for all the clusters given at once: the corroborated lengths of every
    cluster of three or more new members (one sort of all their shingles,
    :func:`.keep.corroborated_lengths`) and every member's similarity to its
    cluster's kept one (the values :func:`.lsh.similarity` gives); what is
    left per cluster is choosing by the policy and writing the records.
    """
    cfg = config
    ordered = [sorted(nodes, key=lambda n: n.order) for nodes in clusters]
    news = [[n for n in nodes if n.doc is not None] for nodes in ordered]
    base_kept = [[n for n in nodes if n.doc is None and base is not None and base.cluster_of.get(n.id) == n.id]
                 for nodes in ordered]
    # Corroborated lengths of the new members of clusters of three or more (a cluster of two ties, see .keep).
    measured = [c for c, new in enumerate(news) if len(new) > 2 and not base_kept[c]]
    hashes = [n.shingles if n.shingles is not None else _shingle_hashes(n.doc.text, cfg)
              for c in measured for n in news[c] if n.doc is not None]
    owners = np.repeat(np.arange(len(measured)), [len(news[c]) for c in measured])
    lengths = iter(corroborated_lengths(hashes, owners))
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
            members = [_member(n.doc, n.order, next(lengths) if c in corroborated else None)
                       for n in new if n.doc is not None]
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
            doc = node.doc
            if doc is not None:
                copies.update((k.id, k) for k in doc.copies)
                if node is not kept_node:
                    copies[doc.id] = Copy(doc.id, doc.source, doc.url, doc.published, sim)
                    merged.append((node.order, Merged(doc.id, chosen.id, sim)))
            elif node is not kept_node:
                info = meta.get(node.id, {})
                copies[node.id] = Copy(node.id, info.get("source"), info.get("url"), info.get("published"), sim)
        copies.pop(chosen.id, None)
        copy_list = [copies[k] for k in sorted(copies)]
        kept = (kept_node.order, replace(kept_node.doc, copies=copy_list)) if kept_node.doc is not None else None
        out[c] = Resolved(kept, merged, _record(chosen, cfg.keep, copy_list) if copy_list else None)
    return out


def _shingle_hashes(text: str, config: DedupConfig) -> np.ndarray:
    batch = token_batch([text])
    return shingle_hashes(batch.hashes, batch.lengths, config.char_ngram if batch.unspaced[0] else config.ngram)[0]


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
        """Deduplicate ``documents`` (against ``base``, if given)."""
        cfg = self.config
        docs = list(documents)
        base_ids = list(base.signatures.ids) if base is not None else []
        base_values = _base_signatures(base, cfg)
        _check_ids([d.id for d in docs], base_ids)

        # 1. exact duplicates: one representative (first occurrence) per key;
        # 2. signatures of the representatives, a batch at a time, so that the
        #    tokens of only one batch are ever held in memory.
        rep_of, reps = [], []
        first_of_key: dict[str, int] = {}
        signed: list[np.ndarray] = [np.empty((0, cfg.num_perm), dtype=np.uint32)]
        sizes: list[np.ndarray] = [np.empty(0, dtype=np.uint32)]
        # Every representative's shingle hashes, for the corroborated lengths of clusters
        # of three or more (4 bytes a shingle, a fraction of the texts already held).
        rep_shingles: list[np.ndarray] = []
        with _bar(progress, len(docs), "exact+signatures") as bar:
            for lo in range(0, len(docs), cfg.batch_size):
                chunk = docs[lo : lo + cfg.batch_size]
                batch = token_batch([d.text for d in chunk])
                new = []
                for k, key in enumerate(batch.keys):
                    r = first_of_key.setdefault(key, len(reps))
                    if r == len(reps):
                        reps.append(lo + k)
                        new.append(k)
                    rep_of.append(r)
                if new:
                    values, counts = sign_batch(batch, cfg, np.array(new), rep_shingles)
                    signed.append(values)
                    sizes.append(counts)
                bar.update(len(chunk))
        rep_sigs, rep_counts = np.vstack(signed), np.concatenate(sizes)
        doc_of = np.asarray(rep_of, dtype=np.int64)
        doc_sigs = rep_sigs[doc_of] if docs else rep_sigs
        doc_counts = rep_counts[doc_of] if docs else rep_counts

        # 3. verified candidate pairs, rows: base first, then representatives.
        m = len(base_ids)
        bands, rows = cfg.band_params()
        base_counts = shingle_counts(base.signatures) if base is not None else np.empty(0, dtype=np.uint32)
        all_sigs = np.vstack([base_values, rep_sigs])
        review = CandidateReview(float(cfg.threshold))
        with _bar(progress, len(reps), "lsh") as bar:
            pair_j, pair_i, _ = similar_pair_arrays(all_sigs, np.concatenate([base_counts, rep_counts]), m,
                                                    float(cfg.threshold), bands, rows, on_query=bar.update,
                                                    review=review)

        # 4. clusters over nodes: base rows, then every new document. Edges: the base's
        #    own clusters, exact duplicates to their representative, similar pairs.
        base_row = {id_: k for k, id_ in enumerate(base_ids)}
        base_edges = [(base_row[id_], base_row[kept_id]) for id_, kept_id in (base.cluster_of.items() if base else ())
                      if id_ in base_row and kept_id in base_row]
        old = np.array(base_edges, dtype=np.int64).reshape(-1, 2)
        rep_nodes = m + np.asarray(reps, dtype=np.int64)
        node_of_row = np.concatenate([np.arange(m), rep_nodes])  # LSH row -> node
        members, starts = components(m + len(docs),
                                     np.concatenate([old[:, 0], m + np.arange(len(docs)), node_of_row[pair_j]]),
                                     np.concatenate([old[:, 1], rep_nodes[doc_of], node_of_row[pair_i]]))

        node_sigs = np.vstack([base_values, doc_sigs])
        node_counts = np.concatenate([base_counts, doc_counts])
        base_meta = _base_metadata(base)
        merged: list[tuple[int, Merged]] = []
        records: list[dict[str, Any]] = []
        kept_at: dict[int, Document] = {}
        size = np.diff(starts)
        with _bar(progress, len(docs), "clusters") as bar:
            groups = [members[lo:hi].tolist() for lo, hi in zip(starts[:-1][size > 1], starts[1:][size > 1])]
            alone = members[starts[:-1][size == 1]]
            for k in (alone[alone >= m] - m).tolist():
                if docs[k].copies:
                    groups.append([m + k])
                else:  # what _resolve_clusters makes of a lone document without copies
                    kept_at[k] = replace(docs[k], copies=[])
            bar.update(len(kept_at))
            # Clusters a chunk at a time, so that the shingles of only a chunk are sorted at once.
            for lo, hi in _chunks([len(g) for g in groups], CLUSTER_CHUNK):
                chunk = [[
                    _Node(g - m, docs[g - m].id, node_sigs[g], int(node_counts[g]), docs[g - m],
                         rep_shingles[rep_of[g - m]]) if g >= m
                    else _Node(g - m, base_ids[g], node_sigs[g], int(node_counts[g]))
                    for g in group
                ] for group in groups[lo:hi]]
                for resolved in _resolve_clusters(chunk, cfg, base, base_meta):
                    if resolved.kept is not None:
                        kept_at[resolved.kept[0]] = resolved.kept[1]
                    merged.extend(resolved.merged)
                    if resolved.record is not None:
                        records.append(resolved.record)
                bar.update(sum(1 for group in groups[lo:hi] for g in group if g >= m))
        kept_docs = [kept_at[i] for i in sorted(kept_at)]
        merged_docs = [m_ for _, m_ in sorted(merged, key=lambda x: x[0])]
        records.sort(key=lambda r: r["cluster"])

        # 5. related coverage among the kept documents.
        if cfg.story and kept_docs:
            with _bar(progress, len(kept_docs), "story") as bar:
                stories = assign_stories([d.id for d in kept_docs], [d.text for d in kept_docs], float(cfg.story_threshold),
                                         [d.published for d in kept_docs], cfg.story_window_days)
                kept_docs = [replace(d, story=s) for d, s in zip(kept_docs, stories)]
                bar.update(len(kept_docs))

        params = cfg.signature_params()
        return DedupResult(
            kept=kept_docs,
            merged=merged_docs,
            clusters=records,
            signatures=Signatures(ids=[d.id for d in docs], values=doc_sigs, params=params, counts=doc_counts),
            settings=cfg.to_json(),
            base=base,
            review=review.to_record(lambda r: base_ids[r] if r < m else docs[reps[r - m]].id,
                                    lambda r: None if r < m else docs[reps[r - m]].text),
        )



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


def _check_ids(ids: list[str], base_ids: list[str]) -> None:
    """Ids name documents in records and provenance: they must be unique."""
    seen = {id_: -1 for id_ in base_ids}
    for i, doc_id in enumerate(ids):
        if doc_id in seen:
            where = "the base index" if seen[doc_id] < 0 else f"input document {seen[doc_id]}"
            raise CorpusError(f"document id {doc_id!r} of input document {i} is already used by {where}; ids must be unique")
        seen[doc_id] = i


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
