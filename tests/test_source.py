"""A document's source from its URL: the registrable domain, without the network."""

import json
import socket
import subprocess
import sys

import pytest

from conftest import ROOT, SAMPLES
from corpus.clean import Cleaner, clean_html
from corpus.clean.source import registrable_domain
from corpus.document import Document
from corpus.readers import read


@pytest.mark.parametrize("url,domain", [
    ("https://news.bbc.co.uk/1/hi/uk/123.stm", "bbc.co.uk"),
    ("https://www.bbc.co.uk/news", "bbc.co.uk"),
    ("https://www.theguardian.com/uk-news", "theguardian.com"),
    ("http://www.abc.net.au/news/", "abc.net.au"),
    ("https://www.gov.uk/government/news", "www.gov.uk"),        # gov.uk is itself a public suffix
    ("https://alice.blogspot.com/2023/09/x.html", "alice.blogspot.com"),  # the list's private section counts
    ("HTTP://User:pw@WWW.Example.COM.:8080/a", "example.com"),
    ("https://riversidegazette.example/news/x", "riversidegazette.example"),  # no rule: the last label is the suffix
    ("https://www.riversidegazette.example/x", "riversidegazette.example"),
    ("http://localhost:8000/x", "localhost"),
    ("http://192.0.2.7/x", "192.0.2.7"),
    ("http://[2001:db8::1]:8080/x", "2001:db8::1"),
    ("file:///tmp/page.html", None),
    ("http://[not-an-ip/x", None),
    ("not a url", None),
])
def test_registrable_domain(url, domain):
    assert registrable_domain(url) == domain


def test_the_suffix_list_is_read_without_network_or_cache_writes(tmp_path):
    # A fresh process, sockets refused and HOME a fresh directory: the lookup works and writes nothing.
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise OSError('network used')\n"
        "socket.socket.connect = refuse\nsocket.create_connection = refuse\nsocket.getaddrinfo = refuse\n"
        "from corpus.clean.source import registrable_domain\n"
        "print(registrable_domain('https://news.bbc.co.uk/x'))\n"
    )
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"), "PYTHONPATH": str(ROOT),
           "PATH": "/usr/bin:/bin"}
    run = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "bbc.co.uk" and "network used" not in run.stderr
    assert list(tmp_path.rglob("*")) == []


def test_a_record_with_only_a_url_gets_its_source_marked_derived():
    doc = Cleaner().clean(Document(id="a", text="Officers refused to carry guns.", url="https://news.bbc.co.uk/x"))
    assert doc.source == "bbc.co.uk" and doc.metadata["source_from"] == "url"
    named = Cleaner().clean(Document(id="b", text="Officers refused.", url="https://news.bbc.co.uk/x", source="BBC"))
    assert named.source == "BBC" and "source_from" not in named.metadata
    assert Cleaner().clean(doc).source == "bbc.co.uk"  # idempotent


def test_jsonl_records_without_source_get_it_when_cleaned(tmp_path):
    (tmp_path / "feed.jsonl").write_text(
        json.dumps({"id": "a", "text": "Officers refused to carry guns.", "url": "https://www.abc.net.au/news/1"}) + "\n"
        + json.dumps({"id": "b", "text": "Officers refused again.", "url": "https://abc.net.au/2", "source": "ABC"})
        + "\n", encoding="utf-8")
    docs = list(Cleaner().run(read(tmp_path)))
    assert [(d.source, d.metadata.get("source_from")) for d in docs] == [("abc.net.au", "url"), ("ABC", None)]


def test_warc_records_get_the_registrable_domain_of_their_uri():
    docs = list(Cleaner().run(read(SAMPLES / "warc"), on_reject=lambda r: None))
    assert docs and all(d.source == "riversidegazette.example" and d.metadata["source_from"] == "url" for d in docs)


def test_a_page_gets_the_registrable_domain_of_its_url_after_extraction():
    paragraphs = "".join(f"<p>Paragraph {i}: hundreds of firearms officers handed in their permits today.</p>"
                         for i in range(6))
    html = f"<html><head><title>Officers</title></head><body><article>{paragraphs}</article></body></html>"
    doc = clean_html(html, url="https://news.bbc.co.uk/uk-66912345")
    assert doc.source == "bbc.co.uk" and doc.metadata["source_from"] == "url"
    # A canonical link the page gives is its URL when the caller gives none.
    linked = clean_html(html.replace("<head>", '<head><link rel="canonical" href="https://www.abc.net.au/news/1">'))
    assert linked.url == "https://www.abc.net.au/news/1" and linked.source == "abc.net.au"


def test_no_socket_is_opened_in_this_process(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the network was used")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    from corpus.clean import source

    source._public_suffix_list.cache_clear()
    assert registrable_domain("https://www.abc.net.au/news") == "abc.net.au"
