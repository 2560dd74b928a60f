"""Kept documents as Parquet: one fixed schema, pinned writer options, and reading them back.

Dataset builders exchange corpora as Parquet (the Hugging Face hub converts
every dataset to it; datatrove, polars and DuckDB read it natively), so with
``[output] format = "parquet"`` the data shards are ``data/data-NNNNN.parquet``
instead of JSONL. Clusters, rejects and signature ids stay JSONL: they are
small, and the archivist's tools read them as they are.

The columns are :meth:`Document.to_json`'s keys in its order, with a schema
that does not depend on the documents: ``removed`` and ``copies`` are lists of
structs, and ``metadata``, free-form (a reader carries whatever fields an input
had), is its JSON text (``json.loads(row["metadata"])``). A struct would need
one schema for every record, which free-form metadata does not have, and
shards (or corpora) with different fields would not load together. Read back
(:func:`read_records`), a row is the JSONL snapshot's record, key for key.

The bytes depend only on the documents: every writer option is pinned here,
and Parquet records no time; its ``created_by`` names the pyarrow version,
which the manifest records too.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from corpus.errors import CorpusError, InputError
from corpus.snapshot.format import _sha256_file

EXTENSION = ".parquet"

_COPY = pa.struct([("id", pa.string()), ("source", pa.string()), ("url", pa.string()),
                   ("published", pa.string()), ("similarity", pa.float64())])
SCHEMA = pa.schema([
    pa.field("id", pa.string(), nullable=False),
    pa.field("text", pa.string(), nullable=False),
    pa.field("title", pa.string()),
    pa.field("published", pa.string()),
    pa.field("source", pa.string()),
    pa.field("url", pa.string()),
    pa.field("story", pa.string()),
    pa.field("removed", pa.list_(pa.struct([("rule", pa.string()), ("line", pa.string())])), nullable=False),
    pa.field("copies", pa.list_(_COPY), nullable=False),
    pa.field("metadata", pa.string(), nullable=False),
])

# A row group holds at most this many documents, or this many bytes of their JSON, whichever comes first:
# readers that stream (datasets, DuckDB) hold one row group at a time.
ROW_GROUP_ROWS = 1000
ROW_GROUP_BYTES = 32 * 1024 * 1024
ZSTD_LEVEL = 9
WRITER_OPTIONS: dict[str, Any] = {
    "version": "2.6",
    "compression": "zstd",
    "compression_level": ZSTD_LEVEL,
    "use_dictionary": True,
    "write_statistics": True,
    "data_page_size": 1024 * 1024,
    "data_page_version": "1.0",
    "write_page_index": False,
    "write_page_checksum": True,
    "store_schema": True,
    "use_compliant_nested_type": True,
}


def writer_description() -> dict[str, Any]:
    """What the manifest records of how the shards were written."""
    return {"created_by": f"parquet-cpp-arrow version {pa.__version__}", "row_group_rows": ROW_GROUP_ROWS,
            "row_group_bytes": ROW_GROUP_BYTES, **WRITER_OPTIONS}


class ParquetShard:
    """One ``data-NNNNN.parquet`` being written, a row group at a time, then fsynced."""

    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self.role = "documents"
        self.records = 0
        self.uncompressed = 0  # bytes of the records as JSON lines, which ``shard_bytes`` bounds
        self._path = root / name
        self._file = open(self._path, "wb")
        self._writer = pq.ParquetWriter(self._file, SCHEMA, **WRITER_OPTIONS)
        self._rows: list[dict[str, Any]] = []
        self._row_bytes = 0

    def write_record(self, record: Mapping[str, Any], size: int) -> None:
        """Add one ``Document.to_json()`` record, ``size`` bytes as a JSON line."""
        self._rows.append({**record, "metadata": json.dumps(record["metadata"], ensure_ascii=False,
                                                            separators=(",", ":"), allow_nan=False)})
        self.records += 1
        self.uncompressed += size
        self._row_bytes += size
        if len(self._rows) >= ROW_GROUP_ROWS or self._row_bytes >= ROW_GROUP_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._rows:
            return
        try:
            table = pa.Table.from_pylist(self._rows, schema=SCHEMA)
        except (pa.ArrowException, TypeError, ValueError):
            self._name_the_misfit()
            raise
        self._writer.write_table(table, row_group_size=len(self._rows))
        self._rows = []
        self._row_bytes = 0

    def _name_the_misfit(self) -> None:
        """Raise an error naming the first buffered document that does not fit :data:`SCHEMA`."""
        for row in self._rows:
            try:
                pa.Table.from_pylist([row], schema=SCHEMA)
            except (pa.ArrowException, TypeError, ValueError) as exc:
                raise CorpusError(f"document {row.get('id')!r} ({self.name}) does not fit the Parquet schema "
                                  f"({type(exc).__name__}: {exc}); its fields must have the types Document "
                                  f"declares") from exc

    def close(self) -> dict[str, Any]:
        """Write the last row group and the footer, fsync, and describe the file for the manifest."""
        self._flush()
        self._writer.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        digest, size = _sha256_file(self._path)
        return {"role": self.role, "bytes": size, "sha256": digest, "records": self.records,
                "uncompressed_bytes": self.uncompressed}

    def abandon(self) -> None:
        """Stop writing (the partial directory is removed): the footer need not be whole, and may fail."""
        with contextlib.suppress(pa.ArrowException, OSError):
            self._writer.close()
        self._file.close()


def read_records(path: Path, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """The records of a Parquet shard as ``Document.to_json()`` gives them (``metadata`` decoded).

    A file that is not Parquet, is truncated, fails a page checksum, or does
    not have the snapshot's columns raises InputError naming it.
    """
    rows = 0
    try:
        shard = pq.ParquetFile(path)
        missing = [name for name in columns or SCHEMA.names if name not in shard.schema_arrow.names]
        if missing:
            raise InputError(str(path), f"not a snapshot's Parquet shard: no column {', '.join(missing)}")
        for batch in shard.iter_batches(batch_size=ROW_GROUP_ROWS, columns=columns):
            for row in batch.to_pylist():
                rows += 1
                if "metadata" in row:
                    row["metadata"] = _metadata(path, row["metadata"], rows)
                yield row
    except (pa.ArrowException, OSError) as exc:
        raise InputError(str(path), f"cannot read Parquet after row {rows}: corrupted ({type(exc).__name__}: {exc})") \
            from exc


def _metadata(path: Path, text: Any, row: int) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise InputError(str(path), f"row {row}: metadata is not JSON text: {exc}") from exc
