"""Readers: every format, and bad input that becomes a reject naming file and line."""

import gzip
import json
import os

import pytest

from corpus.document import Document
from corpus.errors import InputError
from corpus.readers import IdOwners, ReadLimits, detect_format, read
from corpus.writers import write_jsonl


def collect(paths, **kwargs):
    rejects = []
    docs = list(read(paths, on_reject=rejects.append, **kwargs))
    return docs, rejects


def test_formats_are_detected_from_extensions():
    assert detect_format("a/b.jsonl.gz") == ("jsonl", "gzip")
    assert detect_format("b.warc.gz") == ("warc", "gzip")
    assert detect_format("c.htm") == ("html", None)
    assert detect_format("d.md") == ("text", None)
    assert detect_format("e.pdf") == (None, None)


def test_text_file_id_is_its_stem(tmp_path):
    (tmp_path / "story-1.txt").write_text("The officer was charged.", encoding="utf-8")
    docs, rejects = collect(tmp_path)
    assert [d.id for d in docs] == ["story-1"] and rejects == []
    assert docs[0].metadata["format"] == "text"


@pytest.mark.parametrize("suffix", [".jsonl", ".jsonl.gz", ".jsonl.zst"])
def test_jsonl_round_trip_keeps_fields(tmp_path, suffix):
    docs = [Document(id="a", text="One.", source="s.example", url="https://s.example/a", published="2023-09-24",
                     metadata={"lang": "en"}),
            Document(id="b", text="Two.")]
    write_jsonl(docs, tmp_path / f"docs{suffix}")
    back, rejects = collect(tmp_path)
    assert rejects == []
    assert [d.to_json() for d in back] == [{**d.to_json(), "metadata": {**d.metadata, "format": "text"}} for d in docs]


def test_jsonl_fields_other_than_known_ones_are_carried_in_metadata(tmp_path):
    record = {"id": 7, "html": "<p>x</p>", "lang": "en", "source": "a.example"}
    (tmp_path / "x.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    [doc], _ = collect(tmp_path)
    assert doc.id == "7" and doc.metadata == {"lang": "en", "format": "html"} and doc.source == "a.example"


def test_jsonl_without_id_gets_file_and_line(tmp_path):
    (tmp_path / "feed.jsonl").write_text('{"text": "a"}\n\n{"text": "b"}\n', encoding="utf-8")
    docs, _ = collect(tmp_path)
    assert [d.id for d in docs] == ["feed:1", "feed:3"]


def test_bad_jsonl_lines_are_rejected_with_their_line_and_reading_goes_on(tmp_path):
    lines = ['{"id": "ok1", "text": "fine"}', '{"id": "broken", "text": ', '[1, 2]', '{"id": "no-text"}',
             '{"id": "num", "text": 5}', '{"id": "blank", "text": "  "}', '{"id": "ok1", "text": "again"}',
             '{"id": "ok2", "text": "fine too"}']
    (tmp_path / "mixed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    docs, rejects = collect(tmp_path)
    assert [d.id for d in docs] == ["ok1", "ok2"]
    by_line = {r.line: r.reason for r in rejects}
    assert set(by_line) == {2, 3, 4, 5, 6, 7}
    assert "malformed JSON" in by_line[2]
    assert "not an object" in by_line[3]
    assert "no 'text' or 'html'" in by_line[4]
    assert "not a string" in by_line[5]
    assert "empty" in by_line[6]
    assert "duplicate id 'ok1'" in by_line[7] and "mixed.jsonl:1" in by_line[7]
    assert all(r.path.endswith("mixed.jsonl") and r.stage == "read" for r in rejects)


def test_ids_stay_unique_across_read_calls_that_share_their_owners(tmp_path):
    (tmp_path / "monday.jsonl").write_text('{"id": "a", "text": "first"}\n{"id": "b"}\n', encoding="utf-8")
    (tmp_path / "tuesday.jsonl").write_text('{"id": "a", "text": "again"}\n{"id": "b", "text": "late"}\n'
                                            '{"id": "c", "text": "new"}\n', encoding="utf-8")
    owners = IdOwners()
    first, _ = collect(tmp_path / "monday.jsonl", ids=owners)
    second, rejects = collect(tmp_path / "tuesday.jsonl", ids=owners)
    assert [d.id for d in first] == ["a"] and [d.id for d in second] == ["c"]
    assert [(r.line, r.id) for r in rejects] == [(1, None), (2, None)]
    assert "monday.jsonl:1" in rejects[0].reason and "monday.jsonl:2 (rejected)" in rejects[1].reason
    # Without shared owners, each call owns its ids afresh.
    assert [d.id for d in collect(tmp_path / "tuesday.jsonl")[0]] == ["a", "b", "c"]


def test_a_text_file_in_a_legacy_encoding_is_read_with_its_encoding(tmp_path):
    text = "Die Beamten weigerten sich, Waffen zu tragen. \u00c4rger \u00fcber die Anklage w\u00e4chst.\n"
    (tmp_path / "de.txt").write_bytes(text.encode("cp1252"))
    (tmp_path / "good.txt").write_text("fine", encoding="utf-8")
    docs, rejects = collect(tmp_path)
    assert rejects == [] and [d.id for d in docs] == ["de", "good"]
    assert docs[0].text == text
    assert docs[0].metadata == {"format": "text", "encoding": "windows-1252", "encoding_from": "detected"}
    assert docs[1].metadata == {"format": "text", "encoding": "utf-8", "encoding_from": "utf-8"}


def test_nul_bytes_name_the_line(tmp_path):
    (tmp_path / "bad.txt").write_bytes(b"first line\nsecond \x00 line\n")
    _, [reject] = collect(tmp_path)
    assert reject.line == 2 and "NUL bytes" in reject.reason and reject.path.endswith("bad.txt")


def test_utf16_with_bom_is_read(tmp_path):
    (tmp_path / "u16.txt").write_bytes("Officers’ protest".encode("utf-16"))
    [doc], _ = collect(tmp_path)
    assert doc.text == "Officers’ protest"


def test_binary_file_with_text_extension_is_rejected(tmp_path):
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    _, [reject] = collect(tmp_path)
    assert "NUL bytes: a binary file" in reject.reason


def test_empty_file_is_rejected(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    _, [reject] = collect(tmp_path)
    assert reject.reason == "empty document" and reject.path.endswith("empty.txt")


def test_truncated_gzip_keeps_the_lines_before_the_damage(tmp_path):
    data = gzip.compress(b"".join(b'{"id": "%d", "text": "line %d"}\n' % (i, i) for i in range(2000)))
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    docs, [reject] = collect(tmp_path)
    assert 0 < len(docs) < 2000
    assert "truncated" in reject.reason and reject.path.endswith("cut.jsonl.gz")


def test_decompression_bomb_stops_at_the_limit(tmp_path):
    (tmp_path / "bomb.jsonl.gz").write_bytes(gzip.compress(b" " * 5_000_000))
    _, [reject] = collect(tmp_path, limits=ReadLimits(max_decompressed_bytes=1_000_000))
    assert "max_decompressed_bytes" in reject.reason


def test_unreadable_file_is_rejected(tmp_path):
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "nowhere.txt")
    (tmp_path / "ok.txt").write_text("fine", encoding="utf-8")
    docs, [reject] = collect(tmp_path)
    assert [d.id for d in docs] == ["ok"]
    assert reject.path.endswith("dangling.txt") and "cannot read file" in reject.reason


def test_unsupported_extension_and_missing_path_are_rejected(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(b"%PDF")
    _, rejects = collect([tmp_path, tmp_path / "gone"])
    reasons = {os.path.basename(r.path): r.reason for r in rejects}
    assert "unsupported file type" in reasons["scan.pdf"]
    assert "no such file" in reasons["gone"]


def test_strict_stops_at_the_first_bad_input(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": "1", "text": "ok"}\nnot json\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"a\.jsonl:2: malformed JSON"):
        list(read(tmp_path, strict=True))


def test_directory_loops_are_walked_once(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.txt").write_text("x", encoding="utf-8")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    docs, rejects = collect(tmp_path)
    assert [d.id for d in docs] == ["a"]


def test_order_does_not_depend_on_listing_order(tmp_path):
    for name in "cab":
        (tmp_path / f"{name}.txt").write_text(name, encoding="utf-8")
    assert [d.id for d in read(tmp_path)] == ["a", "b", "c"]
    assert [d.id for d in read([tmp_path / "c.txt", tmp_path / "a.txt"])] == ["a", "c"]


def test_exclude_patterns(tmp_path):
    (tmp_path / "README.md").write_text("about", encoding="utf-8")
    (tmp_path / "a.txt").write_text("x", encoding="utf-8")
    assert [d.id for d in read(tmp_path, exclude=["README*"])] == ["a"]


def wet_record(n: int, text: str, uri: str = "https://news.example/story") -> bytes:
    body = text.encode("utf-8")
    head = (f"WARC/1.0\r\nWARC-Type: conversion\r\nWARC-Target-URI: {uri}/{n}\r\n"
            f"WARC-Date: 2023-09-2{n}T10:00:00Z\r\nWARC-Record-ID: <urn:uuid:0000-{n}>\r\n"
            f"WARC-Identified-Content-Language: eng\r\nContent-Type: text/plain\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    return head + body + b"\r\n\r\n"


WARCINFO = b"WARC/1.0\r\nWARC-Type: warcinfo\r\nWARC-Record-ID: <urn:uuid:info>\r\nContent-Length: 4\r\n\r\ninfo\r\n\r\n"


@pytest.mark.parametrize("name", ["crawl.wet", "crawl.wet.gz", "CC-MAIN-0001.warc.wet.gz"])
def test_wet_conversion_records_are_page_text_with_url_date_and_id(tmp_path, name):
    records = [WARCINFO, wet_record(1, "Officers refused to carry guns."), wet_record(2, "Soldiers were put on standby.")]
    data = b"".join(gzip.compress(r, mtime=0) for r in records) if name.endswith(".gz") else b"".join(records)
    (tmp_path / name).write_bytes(data)
    docs, rejects = collect(tmp_path)
    assert rejects == []
    assert [(d.id, d.url, d.published, d.text) for d in docs] == [
        ("<urn:uuid:0000-1>", "https://news.example/story/1", "2023-09-21", "Officers refused to carry guns."),
        ("<urn:uuid:0000-2>", "https://news.example/story/2", "2023-09-22", "Soldiers were put on standby.")]
    assert docs[0].metadata == {"format": "text", "encoding": "utf-8", "encoding_from": "utf-8", "language": "eng",
                                "warc_date": "2023-09-21T10:00:00Z"}


def test_a_truncated_wet_keeps_the_records_before_the_cut(tmp_path):
    members = [gzip.compress(wet_record(n, f"Record {n}: officers refused to carry guns. " * 40), mtime=0)
               for n in range(1, 4)]
    data = members[0] + members[1] + members[2][: len(members[2]) // 2]
    (tmp_path / "cut.warc.wet.gz").write_bytes(data)
    docs, [reject] = collect(tmp_path)
    assert [d.id for d in docs] == ["<urn:uuid:0000-1>", "<urn:uuid:0000-2>"]
    assert "truncated" in reject.reason and reject.path.endswith("cut.warc.wet.gz")


def test_a_gzip_member_cut_in_its_middle_is_a_reject_not_a_silent_loss(tmp_path):
    members = [gzip.compress(wet_record(n, "Officers refused to carry guns. " * 40), mtime=0) for n in range(1, 4)]
    # The cut falls inside the second member: warcio alone ends there without an error.
    (tmp_path / "cut.wet.gz").write_bytes(members[0] + members[1][: len(members[1]) // 2])
    docs, [reject] = collect(tmp_path)
    assert [d.id for d in docs] == ["<urn:uuid:0000-1>"] and "truncated" in reject.reason


def test_a_warc_response_in_a_legacy_encoding_is_decoded_by_its_header_then_its_meta(tmp_path):
    text = "Die Beamten weigerten sich, Waffen zu tragen. Ärger über die Anklage wächst."
    def response(n: int, content_type: str, head: str) -> bytes:
        body = f"<html><head>{head}</head><body><p>{text}</p></body></html>".encode("cp1252")
        http = f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n\r\n".encode() + body
        return (f"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:r{n}>\r\n"
                f"WARC-Target-URI: https://zeitung.example/{n}\r\nWARC-Date: 2023-09-25T00:00:00Z\r\n"
                f"Content-Type: application/http; msgtype=response\r\nContent-Length: {len(http)}\r\n\r\n").encode() \
            + http + b"\r\n\r\n"
    (tmp_path / "de.warc.gz").write_bytes(gzip.compress(response(1, "text/html; charset=ISO-8859-1", ""), mtime=0)
                                          + gzip.compress(response(2, "text/html", '<meta charset="windows-1252">'),
                                                          mtime=0))
    docs, rejects = collect(tmp_path)
    assert rejects == [] and all(text in d.text for d in docs)
    assert [(d.metadata["encoding"], d.metadata["encoding_from"]) for d in docs] == [
        ("windows-1252", "http"), ("windows-1252", "meta")]


def test_parquet_rows_are_documents_with_jsonl_field_mapping(tmp_path):
    import datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({
        "id": ["a", None, "c", "d"],
        "text": ["Officers refused to carry guns.", "Soldiers were put on standby.", None, "   "],
        "url": ["https://news.bbc.co.uk/1", None, None, None],
        "published": [datetime.date(2023, 9, 24), None, None, None],
        "score": [0.5, float("nan"), 1.0, 2.0],
        "raw": [b"\x00\x01", None, None, None],
    })
    pq.write_table(table, tmp_path / "news.parquet", row_group_size=2)
    docs, rejects = collect(tmp_path)
    assert [(d.id, d.text, d.url, d.published) for d in docs] == [
        ("a", "Officers refused to carry guns.", "https://news.bbc.co.uk/1", "2023-09-24"),
        ("news:2", "Soldiers were put on standby.", None, None)]
    assert docs[0].metadata == {"score": 0.5, "raw": "AAE=", "format": "text"}
    assert docs[1].metadata["score"] is None  # NaN cannot be written as JSON
    assert [(r.line, r.id) for r in rejects] == [(3, "c"), (4, "d")]
    assert "row has no 'text' or 'html' field" in rejects[0].reason and rejects[0].path.endswith("news.parquet")
    assert rejects[1].reason == "empty text"


def test_parquet_html_as_bytes_is_decoded_as_a_page(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    page = '<html><head><meta charset="iso-8859-2"></head><body><p>Policjanci z Łodzi odmówili.</p></body></html>'
    pq.write_table(pa.table({"html": [page.encode("iso-8859-2")]}), tmp_path / "pages.parquet")
    [doc], _ = collect(tmp_path)
    assert doc.text == page and doc.metadata == {"encoding": "iso-8859-2", "encoding_from": "meta", "format": "html"}


def test_bad_parquet_files_are_rejects_naming_the_file(tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"text": [f"Story {i}." for i in range(1000)]}), tmp_path / "whole.parquet")
    data = (tmp_path / "whole.parquet").read_bytes()
    (tmp_path / "cut.parquet").write_bytes(data[: len(data) // 2])
    (tmp_path / "not.parquet").write_bytes(b"id,text\n1,hello\n")
    pq.write_table(pa.table({"body": ["no text column"]}), tmp_path / "columns.parquet")
    docs, rejects = collect(tmp_path)
    assert len(docs) == 1000
    reasons = {os.path.basename(r.path): r.reason for r in rejects}
    assert set(reasons) == {"cut.parquet", "not.parquet", "columns.parquet"}
    assert "not a Parquet file, or truncated" in reasons["cut.parquet"]
    assert "not a Parquet file, or truncated" in reasons["not.parquet"]
    assert "no 'text' or 'html' column (columns: body)" in reasons["columns.parquet"]
