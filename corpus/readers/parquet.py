"""Parquet files (``.parquet``): one document a row, from a ``text`` or ``html`` column.

Columns map onto the document as JSONL fields do (:mod:`corpus.readers.records`);
a row without ``id`` is ``<stem>:<row>``, and ``line`` in a reject is the row's
number (from 1). Rows are read in record batches, so a file larger than memory
is read in bounded memory (one batch and pyarrow's row group at a time).

A ``text`` or ``html`` column of binary type holds raw bytes, decoded as a text
file or a page (:mod:`corpus.readers.decoding`). Values JSON cannot hold become
values it can, so every document can be written: dates and times in ISO 8601,
decimals as strings, binary as base64 text, NaN and infinities as null.
"""

from __future__ import annotations

import base64
import datetime
import decimal
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from corpus.readers.files import stem
from corpus.readers.records import record_to_document
from corpus.readers.streams import FileFailed, Item, ReadLimits, Rejected, decode_input

BATCH_ROWS = 256


def read_parquet(path: Path, compression: str | None, limits: ReadLimits) -> Iterator[Item]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if compression is not None:
        raise FileFailed(f"a {compression}-compressed Parquet file: Parquet compresses its own pages; "
                         "decompress the file first")
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as err:
        raise FileFailed(f"not a Parquet file, or truncated ({err})") from err
    columns = parquet.schema_arrow.names
    if "text" not in columns and "html" not in columns:
        raise FileFailed(f"no 'text' or 'html' column (columns: {', '.join(columns) or 'none'})")
    name = stem(path)
    row = 0
    batches = parquet.iter_batches(batch_size=BATCH_ROWS)
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError) as err:
            raise FileFailed(f"corrupt Parquet after row {row} ({err})", row or None) from err
        if batch is None:
            return
        for record in batch.to_pylist():
            row += 1
            try:
                yield record_to_document(_plain(record, row), f"{name}:{row}", row, limits, what="row"), row
            except Rejected as rejected:
                yield rejected


def _plain(record: dict[str, Any], row: int) -> dict[str, Any]:
    """A row with raw-byte text decoded and every other value one JSON can hold."""
    out = {}
    for key, value in record.items():
        if key in ("text", "html") and isinstance(value, bytes):
            decoded = decode_input(value, html=key == "html", line=row)
            out[key] = decoded.text
            out.update(decoded.metadata())
        else:
            out[key] = _json_value(value)
    return out


def _json_value(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    return value
