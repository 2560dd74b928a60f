"""HTML page -> article text and metadata, with trafilatura.

Two settings matter for a news corpus:
- ``deduplicate=False``: trafilatura's deduplication is a process-wide LRU
  cache of text segments, so with it on, the second outlet's copy of a wire
  story comes out with its paragraphs silently missing. Dedup is a later,
  explicit step here.
- ``include_comments=False``: reader comments are not the article.

``favor_precision`` trades recall for precision (measured on the article
extraction benchmark by ``make bench``); it is off by default because cleaning
must never lose article prose when in doubt.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Extracted:
    """The article of a page: its text (one paragraph a line) and what the page says of itself."""

    text: str
    title: str | None
    published: str | None
    site_name: str | None
    url: str | None
    author: str | None


class ExtractionError(ValueError):
    """No article text could be extracted from a page."""


def extract_article(html: str, url: str | None = None, favor_precision: bool = False) -> Extracted:
    """Extract the article of an HTML page.

    Raises :class:`ExtractionError` when the page has no article text, or
    when lxml cannot parse it at all.
    """
    import trafilatura

    try:
        result = trafilatura.bare_extraction(
            html,
            url=url,
            include_comments=False,
            deduplicate=False,
            favor_precision=favor_precision,
            with_metadata=True,
        )
    except (ValueError, RecursionError, MemoryError) as err:
        raise ExtractionError(f"the page cannot be parsed ({type(err).__name__}: {err})") from err
    if result is None or not (result.text or "").strip():
        raise ExtractionError("no article text found in the page")
    return Extracted(
        text=result.text,
        title=result.title or None,
        published=result.date or None,
        site_name=result.sitename or None,
        url=result.url or url,
        author=result.author or None,
    )
