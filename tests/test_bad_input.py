"""The bad-input matrix: every kind of broken input, run through the whole pipeline.

Each case writes its bad input next to one good article (a seed), runs
read -> clean -> learned -> dedup -> snapshot, and checks what the issue
promises: the run does not crash (or, where an error is the right answer, it
is a :class:`~corpus.errors.CorpusError` naming the file), the snapshot
verifies, ``inputs = kept + merged + rejected`` counted from the snapshot's
files, the good article is kept, and the bad input is in ``rejects.jsonl.gz``
with the expected stage and reason.
"""

from __future__ import annotations

import gzip
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import zstandard

from conftest import SAMPLES
from corpus.engines.local import run
from corpus.errors import CorpusError, InputError
from corpus.pipeline import pipeline_from_dict
from corpus.snapshot import load_snapshot, verify_snapshot

GOOD_ID = "good"
SEED = SAMPLES / "text" / "000_7e251f1d1e3ad37f.txt"
ARTICLE = [line for line in SEED.read_text(encoding="utf-8").split("\n") if len(line) > 80][:6]
BIG = 50 * 1024 * 1024  # the 50 MB document, over the 20 MB default max_document_bytes


@dataclass(frozen=True)
class Kept:
    """The case's inputs are all kept (``ids`` besides the good article), nothing rejected."""

    ids: tuple[str, ...] = ()
    text_has: str | None = None
    text_lacks: str | None = None


@dataclass(frozen=True)
class Rejected:
    """The bad input is rejected at ``stage`` with ``reason`` in its reason, from file ``file``."""

    stage: str
    reason: str
    file: str | None = None
    count: int = 1


@dataclass(frozen=True)
class Raises:
    """The run stops with a CorpusError (no traceback material) whose message holds ``message``."""

    error: type[CorpusError]
    message: str


@dataclass(frozen=True)
class Case:
    make: Callable[[Path], None]
    expected: Kept | Rejected | Raises
    input: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- inputs


def page(body: str, head: str = "") -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in ARTICLE)
    return f"{head}<html><head><title>Firearms officers</title></head><body>{body.replace('ARTICLE', paragraphs)}</body></html>"


def write(name: str, data: bytes | str) -> Callable[[Path], None]:
    def make(d: Path) -> None:
        (d / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return make


def jsonl(name: str, *lines: bytes | dict[str, Any]) -> Callable[[Path], None]:
    raw = b"".join((json.dumps(x).encode() if isinstance(x, dict) else x) + b"\n" for x in lines)
    return write(name, raw)


def records(n: int) -> bytes:
    return b"".join(json.dumps({"id": f"r{i}", "text": f"Record {i} of the feed. " + ARTICLE[i % 6]}).encode() + b"\n"
                    for i in range(n))


def cut(data: bytes, keep: float) -> bytes:
    return data[: int(len(data) * keep)]


def truncated_zst(d: Path) -> None:
    # Cut at the end of a zstd block: the stream reader zstandard offers ends
    # there without an error, so only a frame check notices the lost lines.
    data = zstandard.ZstdCompressor().compress(records(200))
    (d / "feed.jsonl.zst").write_bytes(cut(data, 0.6))


def big_text(d: Path) -> None:
    (d / "huge.txt").write_bytes(b"word " * (BIG // 5))


def big_jsonl_line(d: Path) -> None:
    with open(d / "huge.jsonl", "wb") as f:
        f.write(b'{"id": "huge", "text": "' + b"word " * (BIG // 5) + b'"}\n')


def gzip_bomb(d: Path) -> None:
    with gzip.open(d / "bomb.jsonl.gz", "wb") as f:
        f.write(b'{"id": "bomb", "text": "' + b"a" * (4 * 1024 * 1024) + b'"}\n')


def zstd_bomb(d: Path) -> None:
    data = b'{"id": "bomb", "text": "' + b"a" * (4 * 1024 * 1024) + b'"}\n'
    (d / "bomb.jsonl.zst").write_bytes(zstandard.ZstdCompressor(level=19).compress(data))


def laughs() -> str:
    """A page whose DTD defines the 'billion laughs' entity (10^9 'lol's if expanded)."""
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10))
    return page("<article><p>Laugh: &lol9;</p>ARTICLE</article>", head=f"<!DOCTYPE html [{entities}]>")


def dir_loop(d: Path) -> None:
    (d / "sub").mkdir()
    os.symlink(d, d / "sub" / "up")  # sub/up -> the input directory itself


def file_loop(d: Path) -> None:
    os.symlink(d / "b.txt", d / "a.txt")
    os.symlink(d / "a.txt", d / "b.txt")


def warc_response(body: bytes, content_type: str = "text/html; charset=utf-8") -> bytes:
    http = b"HTTP/1.1 200 OK\r\nContent-Type: " + content_type.encode() + b"\r\n\r\n" + body
    head = (b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Record-ID: <urn:uuid:0000-%d>\r\n"
            b"WARC-Target-URI: https://example.org/%d\r\nWARC-Date: 2023-09-25T00:00:00Z\r\n"
            b"Content-Type: application/http; msgtype=response\r\nContent-Length: %d\r\n\r\n")
    return head % (len(body), len(body), len(http)) + http + b"\r\n\r\n"


def warc(name: str, *records_: bytes, keep: float = 1.0) -> Callable[[Path], None]:
    members = b"".join(gzip.compress(r, mtime=0) for r in records_)
    return write(name, cut(members, keep))


PAGE = page("<article>ARTICLE</article>").encode()


CASES: dict[str, Case] = {
    # encodings
    # Text in a legacy encoding is read as a browser reads it (corpus.readers.decoding), not rejected.
    "a text file in cp1252": Case(write("cp1252.txt", "Caf\u00e9 officers \u201cquit\u201d".encode("cp1252")),
                                  Kept(("cp1252",), text_has="Caf\u00e9 officers \u201cquit\u201d")),
    "a page in iso-8859-2, declared": Case(write("pl.html", page("<article>ARTICLE<p>Policjanci z \u0141odzi odm\u00f3wili "
                                                                 "noszenia broni.</p></article>",
                                                                 head='<meta charset="iso-8859-2">').encode("iso-8859-2", "xmlcharrefreplace")),
                                           Kept(("pl",), text_has="Policjanci z \u0141odzi odm\u00f3wili")),
    "mixed encodings in one file": Case(write("mixed.txt", "Officers \u2019refused\u2019.\n".encode()
                                              + "Caf\u00e9 officers quit.".encode("latin-1")),
                                        Kept(("mixed",), text_has="Officers \u2019refused\u2019.\n\nCaf\u00e9 officers quit.")),
    "mojibake in valid utf-8 is repaired": Case(write("moji.txt", "Hundreds of officers\u00e2\u20ac\u2122 guns were handed in."),
                                                Kept(("moji",), text_has="officers\u2019 guns")),
    "utf-16 with a bom": Case(write("u16.txt", "\ufeffHundreds of officers refused to carry guns.".encode("utf-16-le")),
                              Kept(("u16",), text_has="refused to carry guns")),
    "utf-16 without a bom": Case(write("u16.txt", "Officers refused.".encode("utf-16-le")),
                                 Rejected("read", "NUL bytes", "u16.txt")),
    "nul bytes in text": Case(write("nul.txt", b"Officers\x00refused"), Rejected("read", "NUL bytes", "nul.txt")),
    "binary file behind .html": Case(write("image.html", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4),
                                     Rejected("read", "NUL bytes: a binary file", "image.html")),
    "lone surrogate in a record": Case(jsonl("feed.jsonl", b'{"id": "s", "text": "Officers \\ud800 refused."}'),
                                       Rejected("read", "lone UTF-16 surrogate", "feed.jsonl")),
    "invalid utf-8 in a jsonl line": Case(jsonl("feed.jsonl", b'{"id": "b", "text": "Caf\xe9"}'),
                                          Rejected("read", "invalid UTF-8 at byte", "feed.jsonl")),
    # empty
    "empty file": Case(write("empty.txt", b""), Rejected("read", "empty document", "empty.txt")),
    "white space only": Case(write("blank.html", " \n\t\n"), Rejected("read", "empty document", "blank.html")),
    "empty text in a record": Case(jsonl("feed.jsonl", {"id": "e", "text": "  "}), Rejected("read", "empty text", "feed.jsonl")),
    "blank lines are not records": Case(write("feed.jsonl", b"\n\n" + records(1) + b"\n  \n"), Kept(("r0",))),
    "only boilerplate": Case(write("chrome.txt", "Share on Facebook\nAdvertisement\n|"),
                             Rejected("clean", "every line was boilerplate")),
    "control characters only": Case(write("ctrl.txt", b"\x01\x02\x1b[31m\x7f"), Rejected("clean", "no text left")),
    "a page without an article": Case(write("nav.html", "<html><body><nav><a href='/'>Home</a></nav></body></html>"),
                                      Rejected("clean", "no text left")),
    # JSON lines
    "malformed json": Case(jsonl("feed.jsonl", b'{"id": "m", "text": "unterminated}'),
                           Rejected("read", "malformed JSON", "feed.jsonl")),
    "json list, string, number, null": Case(jsonl("feed.jsonl", b"[1, 2]", b'"text"', b"42", b"null"),
                                            Rejected("read", "not an object", "feed.jsonl", count=4)),
    "no text or html": Case(jsonl("feed.jsonl", {"id": "n", "title": "Officers"}),
                            Rejected("read", "no 'text' or 'html' field", "feed.jsonl")),
    "text is not a string": Case(jsonl("feed.jsonl", {"id": "a", "text": 42}, {"id": "b", "html": ["<p>x</p>"]}),
                                 Rejected("read", "not a string", "feed.jsonl", count=2)),
    "NaN and 1e400 numbers": Case(jsonl("feed.jsonl", b'{"id": "a", "text": "Officers.", "score": NaN}',
                                        b'{"id": "b", "text": "Officers.", "score": 1e400}'),
                                  Rejected("read", "non-standard JSON number", "feed.jsonl", count=2)),
    "malformed provenance": Case(jsonl("feed.jsonl", {"id": "p", "text": "Officers.", "removed": "abc"},
                                       {"id": "q", "text": "Officers.", "copies": [{"id": "x"}]}),
                                 Rejected("read", "'removed' or 'copies'", "feed.jsonl", count=2)),
    "json nested 100,000 deep": Case(jsonl("feed.jsonl", b'{"id": "d", "text": "x", "m": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
                                     Rejected("read", "nested too deeply", "feed.jsonl")),
    "duplicate ids in a feed": Case(jsonl("feed.jsonl", {"id": "r0", "text": "Officers refused."},
                                          {"id": "r0", "text": "Another text."}),
                                    Rejected("read", "duplicate id 'r0'", "feed.jsonl")),
    "duplicate id across files": Case(jsonl("feed.jsonl", {"id": GOOD_ID, "text": "Officers refused."}),
                                      Rejected("read", f"duplicate id '{GOOD_ID}'")),
    # archives
    "truncated .jsonl.gz": Case(write("feed.jsonl.gz", cut(gzip.compress(records(200), mtime=0), 0.6)),
                                Rejected("read", "truncated or corrupt compressed stream", "feed.jsonl.gz")),
    "truncated .jsonl.zst": Case(truncated_zst, Rejected("read", "truncated or corrupt compressed stream", "feed.jsonl.zst")),
    "garbage behind .jsonl.gz": Case(write("feed.jsonl.gz", b"not gzip at all"),
                                     Rejected("read", "corrupt compressed stream", "feed.jsonl.gz")),
    "truncated .warc.gz": Case(warc("crawl.warc.gz", warc_response(PAGE), warc_response(PAGE + b" "), keep=0.4),
                               Rejected("read", "truncated", "crawl.warc.gz")),
    "garbage behind .warc": Case(write("crawl.warc", b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99\r\n\r\nshort"),
                                 Rejected("read", "corrupt WARC", "crawl.warc")),
    "non-html warc response": Case(warc("crawl.warc.gz", warc_response(b"%PDF-1.4", "application/pdf")),
                                   Rejected("read", "not an HTML response (application/pdf)", "crawl.warc.gz")),
    # limits
    "a 50 MB text document": Case(big_text, Rejected("read", "max_document_bytes", "huge.txt")),
    "a 50 MB jsonl line": Case(big_jsonl_line, Rejected("read", "max_line_bytes", "huge.jsonl")),
    "gzip decompression bomb": Case(gzip_bomb, Rejected("read", "max_decompressed_bytes", "bomb.jsonl.gz"),
                                    input={"max_decompressed_bytes": 1024 * 1024}),
    "zstd decompression bomb": Case(zstd_bomb, Rejected("read", "max_decompressed_bytes", "bomb.jsonl.zst"),
                                    input={"max_decompressed_bytes": 1024 * 1024}),
    "a document over a lowered limit": Case(jsonl("feed.jsonl", {"id": "long", "text": "Officers refused. " * 200}),
                                            Rejected("read", "larger than 3000 bytes (max_document_bytes)", "feed.jsonl"),
                                            input={"max_document_bytes": 3000}),
    # hostile HTML
    "html nested 10,000 deep around the article": Case(write("deep.html", page("<div>" * 10_000 + "ARTICLE" + "</div>" * 10_000)),
                                                       Rejected("clean", "no article text")),
    "html nested 10,000 deep beside the article": Case(
        write("deep.html", page("<article>ARTICLE" + "<div>" * 10_000 + "x" + "</div>" * 10_000 + "</article>")),
        Kept(("deep",), text_has=ARTICLE[0][:40])),
    "billion laughs entity bomb": Case(write("laughs.html", laughs()), Kept(("laughs",), text_lacks="lollol")),
    "billion laughs in a jsonl html field": Case(jsonl("feed.jsonl", {"id": "lol", "html": laughs()}),
                                                 Kept(("lol",), text_lacks="lollol")),
    # the file system
    "a directory that loops": Case(dir_loop, Kept()),
    "symlinks that loop": Case(file_loop, Rejected("read", "Too many levels of symbolic links", count=2)),
    "a broken symlink": Case(lambda d: os.symlink(d / "gone.txt", d / "broken.txt"),
                             Rejected("read", "cannot read file", "broken.txt")),
    "a fifo named .txt": Case(lambda d: os.mkfifo(d / "pipe.txt"), Rejected("read", "not a regular file", "pipe.txt")),
    "an unsupported extension": Case(write("report.pdf", b"%PDF-1.4"), Rejected("read", "unsupported file type", "report.pdf")),
    # strict: the first bad input is an error that names the file and line
    "strict stops at a malformed line": Case(jsonl("feed.jsonl", *[{"id": "ok", "text": "Officers."}], b"{broken"),
                                             Raises(InputError, "feed.jsonl:2: malformed JSON"), input={"strict": True}),
}


# --------------------------------------------------------------------------- the run


def run_case(tmp_path: Path, case: Case) -> tuple[Any, Path]:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SEED, inputs / f"{GOOD_ID}.txt")
    case.make(inputs)
    out = tmp_path / "snapshot"
    pipeline = pipeline_from_dict({"input": {"paths": [str(inputs)], **case.input}, "output": {"path": str(out)}})
    return run(pipeline), out


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_accounted_for(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    expected = case.expected
    if isinstance(expected, Raises):
        with pytest.raises(expected.error, match=expected.message):
            run_case(tmp_path, case)
        assert not (tmp_path / "snapshot").exists()
        assert [p.name for p in tmp_path.iterdir()] == ["in"]  # no partial snapshot left beside it
        return

    result, out = run_case(tmp_path, case)
    assert verify_snapshot(out) == []
    snap = load_snapshot(out)
    kept = {d.id: d for d in snap.documents()}
    merged = [m["id"] for c in snap.clusters() for m in c["members"] if m["id"] != c["kept"]]
    rejects = list(snap.rejects())
    # Counted from the files, not taken from the manifest.
    assert result.counts["inputs"] == len(kept) + len(merged) + len(rejects)
    assert GOOD_ID in kept or GOOD_ID in merged

    if isinstance(expected, Kept):
        assert rejects == []
        assert set(expected.ids) <= set(kept) | set(merged)
        for doc_id in expected.ids:
            text = kept[doc_id].text if doc_id in kept else ""
            if expected.text_has is not None:
                assert expected.text_has in text
            if expected.text_lacks is not None:
                assert expected.text_lacks not in text
        return

    assert len(rejects) == expected.count, rejects
    for reject in rejects:
        assert reject.stage == expected.stage
        assert expected.reason in reject.reason
        if expected.file is not None:
            assert reject.path is not None and Path(reject.path).name == expected.file
        if reject.stage == "read":
            assert reject.path is not None  # a read reject always names its file


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_an_unreadable_file_is_rejected_not_fatal(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "secret.txt").write_text("Officers refused.")
    os.chmod(inputs / "secret.txt", 0)
    out = tmp_path / "snapshot"
    result = run(pipeline_from_dict({"input": {"paths": [str(inputs)]}, "output": {"path": str(out)}}))
    assert verify_snapshot(out) == []
    [reject] = load_snapshot(out).rejects()
    assert "permission denied" in reject.reason and result.counts["inputs"] == 1


def test_a_missing_input_path_is_a_reject_naming_it(tmp_path: Path) -> None:
    shutil.copy(SEED, tmp_path / f"{GOOD_ID}.txt")
    out = tmp_path / "snapshot"
    pipeline = pipeline_from_dict({"input": {"paths": [str(tmp_path / f"{GOOD_ID}.txt"), str(tmp_path / "gone")]},
                                   "output": {"path": str(out)}})
    result = run(pipeline)
    assert verify_snapshot(out) == []
    [reject] = load_snapshot(out).rejects()
    assert reject.reason == "no such file or directory" and reject.path.endswith("gone")
    assert result.counts["inputs"] == 2
