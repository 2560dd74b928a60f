"""Extraction reads a page once, and finds what trafilatura's full metadata pass would find.

``extract_article`` parses a page with trafilatura's ``load_html``, reads the
title, URL, date and site name with ``page_metadata`` (trafilatura's
``extract_metadata`` less the fields cleaning does not use), prunes the
elements a browser does not show and extracts the article from that same
tree. Fields must be what one ``bare_extraction(html, with_metadata=True)``
call gives, and the text what that call gives with the hidden elements pruned
(``prune_xpath``), less a first line that repeats the title.
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
from corpus.clean import Cleaner
from corpus.clean.html import (
    ExtractionError,
    article_text,
    drop_scripts,
    extract_article,
    hidden_elements,
    page_metadata,
    prune_hidden,
    split_title_line,
)

# The hidden elements as one XPath (slow, but written apart from the code under test).
_FOLD = "translate(@style, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ \t\n\r', 'abcdefghijklmnopqrstuvwxyz')"
HIDDEN_XPATH = (f"//*[not(self::html or self::body)][@hidden or translate(normalize-space(@aria-hidden), 'TRUE', 'true') = 'true'"
                f" or contains({_FOLD}, 'display:none') or contains({_FOLD}, 'visibility:hidden')]")

DATA = SHARED / "bench-data"


def one_call(html: str, url: str | None) -> tuple | None:
    """Text and fields as trafilatura gives them in one call with its full metadata pass, hidden elements pruned."""
    result = trafilatura.bare_extraction(html, url=url, include_comments=False, deduplicate=False, with_metadata=True,
                                         prune_xpath=HIDDEN_XPATH)
    if result is None or not (result.text or "").strip():
        return None
    text = split_title_line(result.text, result.title)[0]
    return text, result.title or None, result.date or None, result.sitename or None, result.url or url


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


def test_article_text_is_what_bare_extraction_gives():
    for name, html, url in pages():
        result = trafilatura.bare_extraction(html, url=url, include_comments=False, deduplicate=False)
        assert article_text(load_html(html), url) == (result.text if result is not None else ""), name


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
def test_real_pages_article_text_is_what_bare_extraction_gives_and_scripts_change_nothing():
    for name, html, _ in real_pages(step=6):
        result = trafilatura.bare_extraction(html, include_comments=False, deduplicate=False)
        expected = result.text if result is not None else ""
        assert article_text(load_html(html), None) == expected, name
        tree = load_html(html)
        drop_scripts(tree)
        assert article_text(tree, None) == expected, name


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


def page(body: str, title: str = "Police refuse to carry guns") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


ARTICLE = "".join(f"<p>Paragraph {i} of the article: hundreds of officers handed in their weapons on the day.</p>"
                  for i in range(8))


def test_what_a_browser_does_not_show_is_pruned_with_its_tail_kept():
    hidden = ('<div hidden>Sign in to comment on this story now</div>tail one'
              '<div aria-hidden="true">Screen readers skip this menu entirely</div>'
              '<div style="color: red; DISPLAY : None">Subscribe to our newsletter for more</div>'
              '<div style="visibility:hidden">Template of a modal window here</div>'
              '<div aria-hidden="false">Shown to everyone and read aloud too</div>'
              '<span style="display:block">Shown as a block of text here</span>')
    tree = load_html(page(f"<article>{ARTICLE}{hidden}</article>"))
    assert [el.tag for el in hidden_elements(tree)] == ["div", "div", "div", "div"]
    assert prune_hidden(tree) == 4
    text = " ".join(tree.itertext())
    for gone in ("Sign in", "Screen readers", "Subscribe", "Template"):
        assert gone not in text
    for kept in ("tail one", "Shown to everyone", "Shown as a block", "Paragraph 7"):
        assert kept in text


def test_a_page_hidden_until_a_script_shows_it_keeps_its_article():
    for html in (page(f'<div style="display:none">{ARTICLE}</div>'),          # nearly all the text hidden
                 f'<html><body style="display:none">{ARTICLE}</body></html>'):  # body and html are never pruned
        tree = load_html(html)
        assert prune_hidden(tree) == 0
        assert "Paragraph 7" in extract_article(html).text


def test_the_headline_line_goes_to_the_title_only():
    text = "Police refuse to carry guns\nHundreds of officers refused.\nThe Met borrowed officers."
    assert split_title_line(text, "Police refuse to carry guns | The Herald") == (
        "Hundreds of officers refused.\nThe Met borrowed officers.", "Police refuse to carry guns")
    assert split_title_line("Intro line.\n\nPolice refuse to carry guns\nBody.", "Police Refuse to Carry Guns")[1] == \
        "Police refuse to carry guns"


def test_lines_that_do_not_repeat_the_title_stay():
    for text, title in (
        ("Police refuse guns\nBody text here.", "Police refuse guns"),                 # under four words
        ("Police refuse to carry guns today\nBody.", "Police refuse to carry guns"),  # more than the title
        ("One.\nTwo.\nThree.\nPolice refuse to carry guns\nBody.", "Police refuse to carry guns"),  # not in the first three
        ("Police refuse to carry guns", "Police refuse to carry guns"),                # nothing else left
        ("lice refuse to carry guns\nBody.", "Police refuse to carry guns in London"),  # not whole words of it
        ("Police refuse to carry guns\nBody.", None),
    ):
        assert split_title_line(text, title) == (text, None), text


def test_the_removed_headline_is_recorded():
    html = page(f"<article><h1>Police refuse to carry guns</h1>{ARTICLE}</article>", "Police refuse to carry guns - The Herald")
    doc = Cleaner().clean_html(html)
    assert doc.title.startswith("Police refuse to carry guns")
    assert not doc.text.startswith("Police")
    assert [(r.rule, r.line) for r in doc.removed if r.rule == "title"] == [("title", "Police refuse to carry guns")]
