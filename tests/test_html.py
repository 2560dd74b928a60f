"""Extraction reads a page once, and finds what trafilatura's full metadata pass would find.

``extract_article`` parses a page with trafilatura's ``load_html``, reads the
title, URL, date and site name with ``page_metadata`` (trafilatura's
``extract_metadata`` less the fields cleaning does not use) and extracts the
article from that same tree. Article text and fields must be what one
``bare_extraction(html, with_metadata=True)`` call gives.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
import trafilatura
from trafilatura.metadata import extract_metadata
from trafilatura.utils import load_html

from bench.generate import generate
from conftest import SAMPLES, SHARED
from corpus.clean.html import ExtractionError, extract_article, page_metadata

DATA = SHARED / "bench-data"


def one_call(html: str, url: str | None) -> tuple | None:
    """Text and fields as trafilatura gives them in one call with its full metadata pass."""
    result = trafilatura.bare_extraction(html, url=url, include_comments=False, deduplicate=False, with_metadata=True)
    if result is None or not (result.text or "").strip():
        return None
    return result.text, result.title or None, result.date or None, result.sitename or None, result.url or url


def ours(html: str, url: str | None) -> tuple | None:
    try:
        a = extract_article(html, url)
    except ExtractionError:
        return None
    return a.text, a.title, a.published, a.site_name, a.url


def pages() -> list[tuple[str, str, str | None]]:
    found = [(p.name, p.read_text(encoding="utf-8"), None) for p in sorted((SAMPLES / "html").glob("*.html"))]
    records, _ = generate(200, seed=7)
    found += [(r["id"], r["html"], r.get("url")) for r in records if "html" in r][:25]
    return found


def real_pages(step: int) -> list[tuple[str, str, None]]:
    paths = [p for name in ("aeb", "readability") for p in sorted((DATA / name / "html").glob("*.html.gz"))[::step]]
    return [(p.name, gzip.decompress(p.read_bytes()).decode("utf-8"), None) for p in paths]


@pytest.mark.parametrize("with_url", [False, True])
def test_article_and_fields_are_those_of_one_trafilatura_call(with_url):
    for name, html, url in pages():
        url = url or ("https://outlet.example/story" if with_url else None)
        assert ours(html, url) == one_call(html, url), name


def test_page_metadata_is_what_the_full_metadata_pass_finds():
    for name, html, url in pages():
        tree = load_html(html)
        full, ours_ = extract_metadata(tree, url), page_metadata(tree, url)
        assert (ours_.title, ours_.url, ours_.date, ours_.sitename) == (full.title, full.url, full.date, full.sitename), name


@pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is absent (the shared benchmark data)")
def test_real_pages_extract_as_with_one_trafilatura_call():
    for name, html, _ in real_pages(step=12):
        assert ours(html, None) == one_call(html, None), name


@pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is absent (the shared benchmark data)")
def test_real_pages_metadata_is_what_the_full_metadata_pass_finds():
    for name, html, _ in real_pages(step=3):
        tree = load_html(html)
        full, ours_ = extract_metadata(tree, None), page_metadata(tree, None)
        assert (ours_.title, ours_.url, ours_.date, ours_.sitename) == (full.title, full.url, full.date, full.sitename), name


def test_a_page_that_is_not_html_has_no_article():
    for page in ("", "just some text", "<p>x</p>", "\x00\x01"):
        with pytest.raises(ExtractionError, match="no article text"):
            extract_article(page)
