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
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from trafilatura.settings import Document as TrafilaturaDocument


@dataclass
class Extracted:
    """The article of a page: its text (one paragraph a line) and what the page says of itself."""

    text: str
    title: str | None
    published: str | None
    site_name: str | None
    url: str | None


class ExtractionError(ValueError):
    """No article text could be extracted from a page."""


def extract_article(html: str, url: str | None = None, favor_precision: bool = False) -> Extracted:
    """Extract the article of an HTML page.

    The page is parsed once; its metadata and its article are read from that
    tree (trafilatura extracts from a copy of it). Raises
    :class:`ExtractionError` when the page has no article text, or when lxml
    cannot parse it at all.
    """
    import trafilatura
    from trafilatura.utils import load_html

    try:
        tree = load_html(html)
        if tree is None:
            raise ExtractionError("no article text found in the page")
        meta = page_metadata(tree, url)
        result = trafilatura.bare_extraction(
            tree,
            url=url or meta.url,
            include_comments=False,
            deduplicate=False,
            favor_precision=favor_precision,
        )
    except (TypeError, ValueError) as err:  # trafilatura's own signal of a page it cannot use
        if isinstance(err, ExtractionError):
            raise
        raise ExtractionError("no article text found in the page") from err
    except (RecursionError, MemoryError) as err:
        raise ExtractionError(f"the page cannot be parsed ({type(err).__name__}: {err})") from err
    if result is None or not (result.text or "").strip():
        raise ExtractionError("no article text found in the page")
    return Extracted(
        text=result.text,
        title=meta.title or None,
        published=meta.date or None,
        site_name=meta.sitename or None,
        url=meta.url or url,
    )


def page_metadata(tree: HtmlElement, url: str | None = None) -> TrafilaturaDocument:
    """The title, URL, date and site name that trafilatura's ``extract_metadata`` finds in a page.

    The same steps in the same order, less those whose results cleaning does
    not use (author, categories, tags, licence), which take more than half of
    its time: finding the author alone copies and prunes the whole tree.
    """
    from htmldate import find_date
    from trafilatura.metadata import META_URL, examine_meta, extract_meta_json, extract_sitename, extract_title, extract_url
    from trafilatura.settings import DEFAULT_CONFIG, set_date_params

    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:
        metadata.author = None
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # noqa: BLE001 - as trafilatura: bugs in its JSON-LD reader leave the meta tags' values
        pass
    if not metadata.title:
        metadata.title = extract_title(tree)
    if not metadata.url:
        metadata.url = extract_url(tree, url)
    date_params = set_date_params(DEFAULT_CONFIG.getboolean("DEFAULT", "EXTENSIVE_DATE_SEARCH"))
    metadata.date = find_date(tree, **{**date_params, "url": metadata.url})
    if not metadata.sitename:
        metadata.sitename = extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif metadata.url and (match := META_URL.match(metadata.url)):
        metadata.sitename = match[1]
    metadata.clean_and_trim()
    return metadata
