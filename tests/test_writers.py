"""JSONL writing: a document's line is json's, byte for byte, however its text is escaped."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.document import Copy, Document, Removal
from corpus.writers import document_line, dumps, write_jsonl

# Characters json escapes or that the bytes path handles: quotes, backslashes, newlines, other
# control characters, non-ASCII (2-4 byte UTF-8), and the key the text's place is found by.
TRICKY = st.sampled_from(['"', "\\", "\n", "\t", "\r", "\x00", "\x1f", "\x7f", "é", "’", "伦", "😀", "\u2028",
                          ',"text":"', 'a', ' '])
TEXTS = st.lists(TRICKY | st.text(max_size=5), max_size=12).map("".join)
OPTIONAL = st.none() | TEXTS


def documents():
    return st.builds(
        Document, id=TEXTS, text=TEXTS, title=OPTIONAL, published=OPTIONAL, source=OPTIONAL, url=OPTIONAL,
        story=OPTIONAL,
        removed=st.lists(st.builds(Removal, rule=TEXTS, line=TEXTS), max_size=2),
        copies=st.lists(st.builds(Copy, id=TEXTS, source=OPTIONAL, url=OPTIONAL, published=OPTIONAL,
                                  similarity=st.floats(0, 1)), max_size=2),
        metadata=st.dictionaries(TEXTS, TEXTS | st.integers(), max_size=2),
    )


@settings(max_examples=300, deadline=None)
@given(documents())
def test_a_documents_line_is_jsons(doc):
    assert document_line(doc) == dumps(doc.to_json()).encode("utf-8")


def test_written_documents_are_their_json_lines(tmp_path):
    docs = [Document('say "hi"', 'Line one\nsaid "x" \\ y — ’quoted’\n伦敦', title="T"),
            Document("b", "tab\there", metadata={"k": [1, 2]}),
            Document('c,"text":"', "plain")]
    path = tmp_path / "out.jsonl"
    assert write_jsonl(docs, path) == 3
    assert path.read_bytes() == b"".join(dumps(d.to_json()).encode("utf-8") + b"\n" for d in docs)
