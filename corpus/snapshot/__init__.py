"""Snapshots: a corpus on disk that can be checked years later.

A snapshot is a directory, published atomically, that holds everything needed
to trust it, extend it and read it back without this package. It is a BagIt
bag (RFC 8493; see :mod:`corpus.snapshot.bag`): the records are its payload,
under ``data/``::

    data/data-00000.jsonl.gz      kept documents, one ``Document.to_json()`` per line,
    data/data-00001.jsonl.gz      in shards of at most ``shard_bytes`` uncompressed
    data/clusters.jsonl.gz        one duplicate cluster per line (kept id + members)
    data/rejects.jsonl.gz         every input dropped, with its stage and reason
    data/signatures.npy           MinHash signatures, uint32 (n, num_perm), plain .npy
    data/signature_ids.jsonl.gz   the document id of each signature row, in order
    data/signature_counts.npy     the size of each row's shingle set, uint32 (n,): containment estimates need it
    report.html                   the human summary (see :mod:`corpus.report`)
    manifest.json                 versions, pipeline, inputs, counts, and the sha256,
                                  byte size and record count of every file above
    bagit.txt, bag-info.txt, manifest-sha256.txt, tagmanifest-sha256.txt

``.jsonl.zst`` replaces ``.jsonl.gz`` with ``compression="zst"``, and
``data-NNNNN.parquet`` the document shards with ``data_format="parquet"``
(see :mod:`corpus.snapshot.parquet`). Nothing here
depends on pickle: the signatures load with ``numpy.load(allow_pickle=False)``
and their dedup parameters (``num_perm``, ``seed``, ``scheme``, ``ngram``) are
in the manifest, so an incremental run can reuse them as a base index.
Snapshots written before the bag layout (format version 1, every file at the
top level) are still read, verified, diffed and used as a base.

Every input is accounted for: ``inputs = kept + merged + rejected``, where
*merged* counts cluster members other than the cluster's kept document. The
writer refuses to publish a snapshot where this does not hold, and
:func:`verify_snapshot` checks it again from the files.

Two writes of the same documents give byte-identical files: gzip without
mtime or file name, single-threaded zstd at a fixed level, Parquet with every
writer option pinned, no date of the run in bag-info.txt, and no timestamps
unless the caller puts one (``created``) in the manifest.

The modules, one per concern (this one only re-exports the public API)::

    format    file names, layout, format version, compressions, reserved manifest keys
    bag       the BagIt tag files: writing them, checking them
    parquet   the Parquet data shards: schema, writer options, reading them back
    ledger    the accounting, shared by the writer and the verifier
    write     write_snapshot: output files, signatures, learned lines, manifest
    publish   atomic publication and the leftovers of killed writers
    load      load_snapshot and the lazy, checked reading of records
    verify    verify_snapshot
    diff      diff_snapshots
    explain   explain_id: what became of one id
"""

from __future__ import annotations

from corpus.snapshot.diff import MergeChange, SnapshotDiff, diff_snapshots
from corpus.snapshot.explain import Explanation, explain_id
from corpus.snapshot.format import (
    COMPRESSIONS,
    DATA_FORMATS,
    DEFAULT_SHARD_BYTES,
    FORMAT,
    FORMAT_VERSION,
    MANIFEST,
    REPORT,
    RESERVED_KEYS,
    SIGNATURE_PARAMS,
    SIGNATURES_FILE,
)
from corpus.snapshot.load import Snapshot, load_snapshot
from corpus.snapshot.verify import verify_snapshot
from corpus.snapshot.write import LearnedLines, describe_inputs, write_snapshot

__all__ = [
    "COMPRESSIONS",
    "DATA_FORMATS",
    "DEFAULT_SHARD_BYTES",
    "Explanation",
    "FORMAT",
    "FORMAT_VERSION",
    "MANIFEST",
    "REPORT",
    "RESERVED_KEYS",
    "SIGNATURE_PARAMS",
    "SIGNATURES_FILE",
    "LearnedLines",
    "MergeChange",
    "Snapshot",
    "SnapshotDiff",
    "describe_inputs",
    "diff_snapshots",
    "explain_id",
    "load_snapshot",
    "verify_snapshot",
    "write_snapshot",
]
