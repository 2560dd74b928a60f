"""HTML page -> article text and metadata, with trafilatura.

Two settings matter for a news corpus:
- ``deduplicate=False``: trafilatura's deduplication is a process-wide LRU
  cache of text segments, so with it on, the second outlet's copy of a wire
  story comes out with its paragraphs silently missing. Dedup is a later,
  explicit step here.
- ``include_comments=False``: reader comments are not the article.

Around trafilatura, two steps that raise extraction F1 on real pages
(``python -m bench.aeb``: AEB 0.9598 -> 0.9661, Mozilla's Readability set
0.9333 -> 0.9399) by precision, recall nearly unchanged (-0.001 and -0.003:
Readability's reference keeps some headlines, and some of what its pages
hide):
- what a browser does not show is not the article: elements with the
  ``hidden`` attribute, ``aria-hidden="true"``, or styled ``display: none`` /
  ``visibility: hidden`` are pruned before extraction (Readability's test of a
  visible node), unless they hold nearly all the page's text (a page that
  hides its body until a script reveals it keeps it), and the page is
  extracted again unpruned if nothing is left;
- the headline trafilatura leaves as the first line goes to ``title`` only: a
  line among the first three that repeats the page's title (at least four
  words, found in the title) is taken out of the text and reported as removed.

``favor_precision`` trades recall for precision (measured on the article
extraction benchmark by ``make bench``); it is off by default because cleaning
must never lose article prose when in doubt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lxml.etree import XPath

if TYPE_CHECKING:
    from lxml.html import HtmlElement
    from trafilatura.settings import Document as TrafilaturaDocument


@dataclass
class Extracted:
    """The article of a page: its text (one paragraph a line) and what the page says of itself.

    ``title_line`` is the headline line taken out of the text because it
    repeats ``title`` (None if there was none).
    """

    text: str
    title: str | None
    published: str | None
    site_name: str | None
    url: str | None
    title_line: str | None = None


class ExtractionError(ValueError):
    """No article text could be extracted from a page."""


# The attributes by which an element is not rendered (Readability's _isProbablyVisible): ``hidden``,
# ``aria-hidden="true"``, a style of ``display: none`` or ``visibility: hidden``. The attributes are
# found by one XPath and judged here: an XPath test on every element costs 8% of a page's time.
_SCRIPTS = XPath("//script[not(@type = 'application/ld+json')] | //style")
_HIDING_ATTRIBUTES = XPath("//@hidden | //@aria-hidden | //@style")
_HIDING_STYLE = re.compile("display:none|visibility:hidden")
_TEXT_LENGTH = XPath("string-length()")
# Hidden elements holding more than this share of the body's text are a page hidden until a script
# runs. On the AEB and Readability sets hidden elements hold at most 0.66 of a page's text (wikia),
# and all of it is chrome, comments or script templates.
HIDDEN_MAX_SHARE = 0.9


def extract_article(html: str, url: str | None = None, favor_precision: bool = False) -> Extracted:
    """Extract the article of an HTML page.

    The page is parsed once; its metadata is read from that tree, then its
    scripts and hidden elements are pruned and trafilatura extracts the
    article from it. Raises :class:`ExtractionError` when the page has no article
    text, or when lxml cannot parse it at all.
    """
    from trafilatura.utils import load_html

    try:
        tree = load_html(html)
        if tree is None:
            raise ExtractionError("no article text found in the page")
        meta = page_metadata(tree, url)
        drop_scripts(tree)
        pruned = prune_hidden(tree)
        text = article_text(tree, url or meta.url, favor_precision)
        if pruned and not text.strip():  # what the page hides may be what a script of it shows
            text = article_text(load_html(html), url or meta.url, favor_precision)
    except (TypeError, ValueError) as err:  # trafilatura's own signal of a page it cannot use
        if isinstance(err, ExtractionError):
            raise
        raise ExtractionError("no article text found in the page") from err
    except (RecursionError, MemoryError) as err:
        raise ExtractionError(f"the page cannot be parsed ({type(err).__name__}: {err})") from err
    text, title_line = split_title_line(text, meta.title)
    if not text.strip():
        raise ExtractionError("no article text found in the page")
    return Extracted(
        text=text,
        title=meta.title or None,
        published=meta.date or None,
        site_name=meta.sitename or None,
        url=meta.url or url,
        title_line=title_line,
    )


def article_text(tree: HtmlElement, url: str | None, favor_precision: bool = False) -> str:
    """The text ``trafilatura.bare_extraction(tree, ...)`` gives, extracted from ``tree`` itself (which it changes).

    ``bare_extraction`` copies a tree it is given before extracting; the
    copy costs about 5% of the time of a page, and the page's tree has no
    other use once its metadata is read. So this runs the steps
    ``bare_extraction`` runs for these options (no language filter, no
    metadata, no dedup), with trafilatura's non-public ``trafilatura_sequence``;
    a test compares the two, so a trafilatura change fails loudly. Empty when
    trafilatura would return nothing.
    """
    from trafilatura.core import trafilatura_sequence
    from trafilatura.settings import Extractor
    from trafilatura.xml import xmltotxt

    options = Extractor(output_format="python", precision=favor_precision, comments=False, dedup=False, url=url)
    body, text, _, comments = trafilatura_sequence(tree, options, options.url)
    if len(text) < options.min_output_size and len(comments) < options.min_output_comm_size:
        return ""
    return xmltotxt(body, options.formatting)


def drop_scripts(tree: HtmlElement) -> None:
    """Remove the scripts and style sheets that every step of trafilatura's extraction removes first.

    Only for speed: trafilatura copies the tree three times and walks it many
    more, and what it would delete at each step need not be copied and walked.
    JSON-LD scripts stay (trafilatura reads articles and forum posts in them).
    The extracted text is the same (tested on the AEB and Readability pages).
    """
    for element in _SCRIPTS(tree):
        element.drop_tree()


def prune_hidden(tree: HtmlElement) -> int:
    """Remove the elements a browser does not show (their tail text stays); return how many.

    Nothing is removed when the hidden elements hold more than
    :data:`HIDDEN_MAX_SHARE` of the body's text: such a
    page shows its article by script, and the article is what is hidden.
    """
    found = hidden_elements(tree)
    if not found:
        return 0
    chosen = set(found)
    outermost = [el for el in found if not any(a in chosen for a in el.iterancestors())]
    body = tree.find("body")
    page_chars = _TEXT_LENGTH(body if body is not None else tree)
    if sum(_TEXT_LENGTH(el) for el in outermost) > HIDDEN_MAX_SHARE * page_chars:
        return 0
    for el in outermost:
        el.drop_tree()
    return len(outermost)


def hidden_elements(tree: HtmlElement) -> list[HtmlElement]:
    """The elements of a page that its own attributes hide, in document order (``html`` and ``body`` never)."""
    found: dict[HtmlElement, None] = {}
    for value in _HIDING_ATTRIBUTES(tree):
        name = value.attrname
        if name == "aria-hidden" and value.strip().lower() != "true":
            continue
        if name == "style" and not _HIDING_STYLE.search("".join(value.lower().split())):
            continue
        element = value.getparent()
        if element.tag not in ("html", "body"):
            found[element] = None
    return list(found)


_WORDS = re.compile(r"\w+")
# A headline line shorter than this may be a section heading that happens to be in the title.
TITLE_LINE_MIN_WORDS = 4
TITLE_LINE_SEARCH = 3


def split_title_line(text: str, title: str | None) -> tuple[str, str | None]:
    """``text`` less the first line that repeats ``title``, and that line (or None).

    Only the first :data:`TITLE_LINE_SEARCH` non-blank lines are looked at; a
    line repeats the title when its words, lower-cased, are the title's or a
    run of them (titles often add the site's name), and are at least
    :data:`TITLE_LINE_MIN_WORDS` words. A text that is only its title keeps it.

    >>> split_title_line("Police refuse to carry guns - London\\nHundreds of officers refused.", "Police refuse to carry guns")
    ('Police refuse to carry guns - London\\nHundreds of officers refused.', None)
    >>> split_title_line("Police refuse to carry guns\\nHundreds of officers refused.", "Police refuse to carry guns | The Herald")
    ('Hundreds of officers refused.', 'Police refuse to carry guns')
    """
    if not title:
        return text, None
    wanted = " ".join(_WORDS.findall(title.lower()))
    lines = text.split("\n")
    seen = 0
    for i, line in enumerate(lines):
        words = _WORDS.findall(line.lower())
        if not words:
            continue
        seen += 1
        if seen > TITLE_LINE_SEARCH:
            break
        key = " ".join(words)
        if len(words) >= TITLE_LINE_MIN_WORDS and f" {key} " in f" {wanted} ":
            rest = "\n".join(lines[:i] + lines[i + 1:]).strip("\n")
            return (rest, line.strip()) if _WORDS.search(rest) else (text, None)
    return text, None


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
