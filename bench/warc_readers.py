"""WARC and WET reading: warcio against fastwarc, for speed and for reading every broken case.

Speed: a generated WARC (gzip member per record, as crawlers write them) of
``--records`` HTML responses whose bodies are the AEB pages in turn (a
generated page where ../shared is absent), and its WET (conversion records
of the same pages' text). Each library iterates the records and reads what
``corpus.readers.warc`` reads (record headers, HTTP Content-Type, the whole
body); best of three passes, records/s. Then ``corpus.readers.read`` on both
files, end to end (decoding included).

Correctness: the broken archives of tests/test_bad_input.py and
tests/test_readers.py (truncated inside a gzip member or inside a record,
garbage, a bad gzip member between good ones, a chunked body), each read by
both libraries: a case is read right when every whole record is returned and
the damage raises an error, so that it can be a reject instead of a silent loss.

    python -m bench.warc_readers [--records 3000] [--out bench/results/warc_readers.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any

from corpus.readers import read

AEB = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data" / "aeb" / "html"


def response(body: bytes, n: int, content_type: str = "text/html; charset=utf-8", extra: bytes = b"") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() + b"\r\n" + extra + b"\r\n" + body
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:%08d-0000-4000-8000-000000000000>\r\n"
            b"WARC-Target-URI: https://outlet%d.example/story/%d\r\nWARC-Date: 2023-09-25T00:00:00Z\r\n"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n")
    return head % (n, n % 40, n, len(http)) + http + b"\r\n\r\n"


def conversion(text: bytes, n: int) -> bytes:
    head = (b"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Record-ID: <urn:uuid:%08d-0000-4000-8000-000000000001>\r\n"
            b"WARC-Target-URI: https://outlet%d.example/story/%d\r\nWARC-Date: 2023-09-25T00:00:00Z\r\n"
            b"Content-Type: text/plain\r\nContent-Length: %d\r\n\r\n")
    return head % (n, n % 40, n, len(text)) + text + b"\r\n\r\n"


def bodies() -> list[bytes]:
    if AEB.is_dir():
        return [gzip.decompress(p.read_bytes()) for p in sorted(AEB.glob("*.html.gz"))]
    paragraph = b"<p>" + b"Hundreds of firearms officers handed in their permits. " * 12 + b"</p>"
    return [b"<html><head><title>Story %d</title></head><body><article>" % i + paragraph * 8 + b"</article></body></html>"
            for i in range(50)]


def warcio_records(path: Path) -> int:
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    with open(path, "rb") as raw:
        for record in ArchiveIterator(raw):
            if record.rec_type not in ("response", "conversion"):
                continue
            record.rec_headers.get_header("WARC-Record-ID")
            record.rec_headers.get_header("WARC-Target-URI")
            if record.http_headers:
                record.http_headers.get_header("Content-Type")
            record.content_stream().read()
            n += 1
    return n


def fastwarc_records(path: Path) -> int:
    from fastwarc.warc import ArchiveIterator, WarcRecordType

    n = 0
    with open(path, "rb") as raw:
        for record in ArchiveIterator(raw, record_types=WarcRecordType.response | WarcRecordType.conversion,
                                      parse_http=True, auto_decode="all", fsspec_args=False):
            record.headers.get("WARC-Record-ID")
            record.headers.get("WARC-Target-URI")
            if record.http_headers is not None:
                record.http_headers.get("Content-Type")
            record.reader.read()
            n += 1
    return n


LIBRARIES: dict[str, Callable[[Path], int]] = {"warcio": warcio_records, "fastwarc": fastwarc_records}


def throughput(path: Path, records: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, iterate in LIBRARIES.items():
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            n = iterate(path)
            best = min(best, time.perf_counter() - start)
        out[name] = {"records": n, "seconds": best, "records_per_s": n / best}
    start = time.perf_counter()
    n = sum(1 for _ in read(path))
    seconds = time.perf_counter() - start
    out["corpus.readers.read"] = {"records": n, "seconds": seconds, "records_per_s": n / seconds}
    return out


def broken_cases() -> dict[str, tuple[bytes, int]]:
    """Broken archives and how many whole records each holds before its damage."""
    page = b"<html><body><p>" + b"Officers refused to carry guns. " * 50 + b"</p></body></html>"
    records = [response(page, i) for i in range(3)]
    members = b"".join(gzip.compress(r, mtime=0) for r in records)
    plain = b"".join(records)
    cut_member = len(gzip.compress(records[0], mtime=0)) + len(gzip.compress(records[1], mtime=0)) // 2
    return {
        "cut inside the 2nd gzip member": (members[:cut_member], 1),
        "cut inside the 3rd gzip member": (members[: int(len(members) * 0.9)], 2),
        "uncompressed, cut inside the 2nd record": (plain[: len(records[0]) + len(records[1]) // 2], 1),
        "garbage after a WARC header": (b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99\r\n\r\nshort", 0),
        "a bad gzip member between good ones": (gzip.compress(records[0]) + b"\x1f\x8b\x08\x00garbage"
                                                + gzip.compress(records[1]), 1),
    }


def correctness() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for case, (data, whole) in broken_cases().items():
            path = Path(tmp) / "case.warc.gz"
            path.write_bytes(data)
            out[case] = {}
            for name, iterate in LIBRARIES.items():
                try:
                    n = iterate(path)
                    out[case][name] = f"wrong: {n} records, no error" if n <= whole else f"wrong: {n} records"
                except Exception as err:  # noqa: BLE001 - what each library raises is what is measured
                    out[case][name] = f"right: error ({type(err).__name__})"
            rejects: list[Any] = []
            kept = sum(1 for _ in read(path, on_reject=rejects.append))
            out[case]["corpus.readers.read"] = (f"{'right' if kept == whole and rejects else 'wrong'}: {kept} documents, "
                                                f"{len(rejects)} rejects")
    chunked = response(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n", 0, extra=b"Transfer-Encoding: chunked\r\n")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "chunked.warc"
        path.write_bytes(chunked)
        out["a chunked body"] = {name: _chunked(name, path) for name in LIBRARIES}
    return out


def _chunked(name: str, path: Path) -> str:
    if name == "warcio":
        from warcio.archiveiterator import ArchiveIterator

        with open(path, "rb") as raw:
            body = next(iter(ArchiveIterator(raw))).content_stream().read()
    else:
        from fastwarc.warc import ArchiveIterator

        with open(path, "rb") as raw:
            body = next(iter(ArchiveIterator(raw, parse_http=True, auto_decode="all", fsspec_args=False))).reader.read()
    return f"{'right' if body == b'hello world' else 'wrong'}: {body!r}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    pages = bodies()
    result: dict[str, Any] = {"versions": {name: version(name) for name in LIBRARIES}, "records": args.records}
    with tempfile.TemporaryDirectory() as tmp:
        warc, wet = Path(tmp) / "crawl.warc.gz", Path(tmp) / "crawl.warc.wet.gz"
        with open(warc, "wb") as f:
            for n in range(args.records):
                f.write(gzip.compress(response(pages[n % len(pages)], n), compresslevel=6, mtime=0))
        with open(wet, "wb") as f:
            for n in range(args.records):
                f.write(gzip.compress(conversion(b"Story %d. " % n + pages[n % len(pages)][:4000], n), mtime=0))
        result["megabytes"] = {"warc": warc.stat().st_size / 1e6, "wet": wet.stat().st_size / 1e6}
        result["warc"] = throughput(warc, args.records)
        result["wet"] = throughput(wet, args.records)
    result["broken"] = correctness()
    for kind in ("warc", "wet"):
        print(f"{kind} ({args.records} records, {result['megabytes'][kind]:.1f} MB gzip): " + "; ".join(
            f"{name} {r['records_per_s']:,.0f} records/s" for name, r in result[kind].items()))
    for case, verdicts in result["broken"].items():
        print(f"{case}: " + "; ".join(f"{name} {v}" for name, v in verdicts.items()))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
