"""Cleaning: raw document -> article text, with a record of everything removed.

The steps run in this order, each switchable in :class:`CleanConfig`:

1. ``extract_html``: a page (``metadata["format"] == "html"``) becomes its
   article text; title, date, site and URL become document fields (a first
   line that repeats the title is removed as ``title``). A page
   given as bytes is decoded first, as a browser would
   (:func:`corpus.readers.decoding.decode`).
2. ``repair_encoding``: ftfy fixes mojibake, entities and control characters.
3. ``normalize``: NFC, collapsed spaces, paragraphs as blank-line blocks.
4. ``strip_boilerplate``: rule-named chrome lines go, each recorded in
   ``Document.removed`` with the rule that removed it; a date line's value
   goes to ``published``.
5. ``page_chrome`` (off by default): in plain text that was not extracted from
   HTML (a crawl's page text), the menus, section lists and footers around the
   article go too (:mod:`corpus.clean.chrome`), each recorded as ``chrome``;
   the edge scopes its chrome made are kept in ``metadata["template"]``
   (:func:`corpus.clean.learned.template_of`), for learning.

A document with a URL and no source gets its URL's registrable domain as its
source (:mod:`corpus.clean.source`), whichever reader or engine it came from.

Cleaning is idempotent: cleaning a cleaned document changes nothing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

from corpus.clean.boilerplate import BUILTIN_RULES, Rule, load_rules, strip_boilerplate
from corpus.clean.chrome import strip_chrome
from corpus.clean.encoding import has_utf8_mojibake, repair_encoding
from corpus.clean.html import ExtractionError, extract_article
from corpus.clean.learned import template_of
from corpus.clean.normalize import normalize_text
from corpus.clean.source import derive_source
from corpus.document import Document, Reject, Removal
from corpus.errors import ConfigError, CorpusError
from corpus.readers.decoding import NotText, content_type_header, decode

__all__ = [
    "BUILTIN_RULES",
    "CleanConfig",
    "Cleaner",
    "CleaningError",
    "Rule",
    "clean_html",
    "clean_text",
    "load_rules",
]


# The rule name of the headline line taken out of an extracted page's text (it is in ``title``).
TITLE_RULE = "title"


class CleaningError(CorpusError):
    """A document has no article text left to keep (its reason says why)."""


@dataclass(frozen=True)
class CleanConfig:
    """How to clean. The defaults are what ``make corpus`` uses.

    ``rules`` are the boilerplate rules in force (the built-in ones unless
    replaced); ``disabled_rules`` switches some off by name. ``edge_lines`` is
    how many non-blank lines count as the head and the tail of a text for
    rules that apply only there.
    """

    extract_html: bool = True
    repair_encoding: bool = True
    normalize: bool = True
    strip_boilerplate: bool = True
    rules: tuple[Rule, ...] = BUILTIN_RULES
    disabled_rules: frozenset[str] = frozenset()
    edge_lines: int = 5
    favor_precision: bool = False
    page_chrome: bool = False

    def __post_init__(self) -> None:
        names = {rule.name for rule in self.rules}
        unknown = sorted(set(self.disabled_rules) - names)
        if unknown:
            raise ConfigError(f"disabled_rules: no rule is named {unknown[0]!r}; rules: {', '.join(sorted(names))}")
        if self.edge_lines < 0:
            raise ConfigError(f"edge_lines = {self.edge_lines}; it must be 0 or more")

    @property
    def active_rules(self) -> tuple[Rule, ...]:
        return tuple(rule for rule in self.rules if rule.name not in self.disabled_rules)


class Cleaner:
    """Cleans many documents with one configuration.

    >>> from corpus.document import Document
    >>> doc = Cleaner().clean(Document(id="a", text="World News\\nThe officer was charged.\\n|"))
    >>> doc.text, [r.rule for r in doc.removed]
    ('The officer was charged.', ['section-label', 'separator'])
    """

    def __init__(self, config: CleanConfig = CleanConfig()) -> None:
        self.config = config
        self._rules = config.active_rules

    def clean(self, doc: Document) -> Document:
        """A cleaned copy of ``doc``; raises :class:`CleaningError` if no text is left."""
        cfg = self.config
        doc = dataclasses.replace(doc, removed=list(doc.removed), metadata=dict(doc.metadata))
        if doc.metadata.get("format") == "html":
            if not cfg.extract_html:
                derive_source(doc)
                return doc
            # Repair a page with mojibake before extracting: lxml drops the invisible C1
            # control characters it leaves (U+009D ends a mis-decoded ”), and without
            # them ftfy can no longer undo the damage. Clean pages skip this (the costly
            # part of cleaning a page); their extracted text is repaired below anyway.
            if cfg.repair_encoding and has_utf8_mojibake(doc.text):
                doc.text = self._repair(doc, doc.text)
            self._extract(doc)
        derive_source(doc)
        text = self._repair(doc, doc.text) if cfg.repair_encoding else doc.text
        if cfg.normalize:
            text = normalize_text(text)
        page_text = cfg.page_chrome and doc.metadata.get("extracted_from") != "html"
        # A removal can bring new lines into the first and last lines the edge rules look at: page
        # chrome gone, or lines joined by normalizing what a removal left. Again, until stable, so
        # that cleaning a cleaned text changes nothing.
        while True:
            joined = False
            if cfg.strip_boilerplate:
                stripped = strip_boilerplate(text, self._rules, cfg.edge_lines)
                text = normalize_text(stripped.text) if cfg.normalize else stripped.text
                joined = text != stripped.text
                doc.removed.extend(stripped.removed)
                if doc.published is None and "published" in stripped.fields:
                    doc.published = stripped.fields["published"]
            if page_text and "template" not in doc.metadata:
                doc.metadata["template"] = template_of(text)  # what learning groups it by, before its chrome goes
            chrome = strip_chrome(text) if page_text else None
            if chrome and chrome.removed:
                text = normalize_text(chrome.text) if cfg.normalize else chrome.text
                doc.removed.extend(chrome.removed)
            elif not joined:
                break
        if not text.strip():
            raise CleaningError("no text left after cleaning: every line was boilerplate")
        doc.text = text
        return doc

    @staticmethod
    def _repair(doc: Document, text: str) -> str:
        text, fixes = repair_encoding(text)
        if fixes:
            doc.metadata["encoding_fixes"] = sorted(set(doc.metadata.get("encoding_fixes", [])) | set(fixes))
        return text

    def _extract(self, doc: Document) -> None:
        try:
            article = extract_article(doc.text, url=doc.url, favor_precision=self.config.favor_precision)
        except ExtractionError as err:
            raise CleaningError(str(err)) from err
        doc.text = article.text
        if article.title_line:
            doc.removed.append(Removal(rule=TITLE_RULE, line=article.title_line))
        doc.title = doc.title or article.title
        doc.published = article.published or doc.published
        doc.url = doc.url or article.url
        derive_source(doc)
        if doc.source is None and article.site_name:
            doc.source = article.site_name
            doc.metadata["source_from"] = "site_name"
        if article.site_name:
            doc.metadata["site_name"] = article.site_name
        doc.metadata["format"] = "text"
        doc.metadata["extracted_from"] = "html"

    def clean_html(self, page: str | bytes, url: str | None = None,
                   headers: Mapping[str, str] | None = None) -> Document:
        """Extract and clean one page, given as text or as the bytes a server sent.

        Bytes are decoded as a browser decodes them: the charset of the
        ``Content-Type`` in ``headers``, else the page's meta declaration, else
        detection (the encoding goes to ``metadata["encoding"]``). Raises
        :class:`CleaningError` if no text is left, or if the bytes are not text.
        """
        metadata: dict[str, object] = {"format": "html"}
        if isinstance(page, (bytes, bytearray, memoryview)):
            try:
                decoded = decode(bytes(page), content_type=content_type_header(headers), html=True)
            except NotText as err:
                raise CleaningError(f"the page is not text: {err.reason}") from err
            page = decoded.text
            metadata.update(decoded.metadata())
        return self.clean(Document(id=url or "html", text=page, url=url, metadata=metadata))

    def run(
        self, docs: Iterable[Document], on_reject: Callable[[Reject], None] | None = None, strict: bool = False
    ) -> Iterator[Document]:
        """Clean a stream of documents; one that cannot be cleaned goes to ``on_reject``."""
        for doc in docs:
            try:
                yield self.clean(doc)
            except CleaningError as err:
                if strict or on_reject is None:
                    raise CleaningError(f"document {doc.id!r}: {err}") from err
                on_reject(Reject(stage="clean", reason=str(err), id=doc.id))


def clean_text(text: str, config: CleanConfig = CleanConfig()) -> str:
    """Clean one plain text; return the cleaned text (empty if nothing was left).

    >>> clean_text("Getting your Trinity Audio player ready...\\n|\\nHundreds of officers  refused.")
    'Hundreds of officers refused.'
    """
    try:
        return Cleaner(config).clean(Document(id="text", text=text)).text
    except CleaningError:
        return ""


def clean_html(html: str | bytes, url: str | None = None, config: CleanConfig = CleanConfig(),
               headers: Mapping[str, str] | None = None) -> Document:
    """Extract and clean the article of one HTML page; title, date, source and URL included.

    ``html`` may be the page's text or its bytes, with the HTTP ``headers`` they
    came with if any (see :meth:`Cleaner.clean_html`).
    """
    return Cleaner(config).clean_html(html, url=url, headers=headers)
