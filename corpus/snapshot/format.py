"""What a snapshot is made of: file names, layout, format version, compressions, reserved manifest keys.

Also how a file on disk is fingerprinted (sha256 and byte size), as
:func:`~corpus.snapshot.describe_inputs` records each input and the verifier
checks each file against its manifest entry. Nothing else of the package is
imported here, so every module can import from it.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


FORMAT = "corpus-snapshot"
# 2: a BagIt bag, the records under data/ (see corpus.snapshot.bag). 1: every file at the top level.
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
PAYLOAD = "data"
DEFAULT_SHARD_BYTES = 64 * 1024 * 1024
SIGNATURE_PARAMS = ("num_perm", "seed", "scheme", "ngram")
COMPRESSIONS = {"gz": ".jsonl.gz", "zst": ".jsonl.zst"}
DATA_FORMATS = ("jsonl", "parquet")
MANIFEST = "manifest.json"
REPORT = "report.html"
SIGNATURES_FILE = "signatures.npy"
#: The size of each signed document's shingle set (uint32, one per signature row).
SIGNATURE_COUNTS_FILE = "signature_counts.npy"

# Keys the writer computes itself; a caller's manifest may not set them.
RESERVED_KEYS = (
    "format",
    "format_version",
    "corpus_version",
    "environment",
    "accounting",
    "learned_lines",
    "compression",
    "data_format",
    "parquet",
    "signatures",
    "files",
)
_CHUNK = 1024 * 1024


def _sha256_file(path: Path) -> tuple[str, int]:
    sha = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sha.update(chunk)
            size += len(chunk)
    return sha.hexdigest(), size
