"""A document's source from its URL: the registrable domain, by the public suffix list.

Learning boilerplate and the ``source-priority`` keep policy work per source,
so a document that names only its URL still needs one. The registrable domain
is the name a site's owner controls: ``news.bbc.co.uk`` and ``www.bbc.co.uk``
are both ``bbc.co.uk``, where the host minus ``www.`` would split one outlet in
two and ``co.uk`` would merge thousands. It is the domain browsers use to scope
cookies, so the list's private section counts too (``alice.blogspot.com`` and
``bob.blogspot.com`` are different owners).

The list is tldextract's bundled snapshot, configured never to fetch a newer
one and never to write a cache: nothing here touches the network or the disk.
A host no rule of the list covers (``outlet.example``, ``localhost``) follows the
list's own default rule, under which the last label is the public suffix; an IP
address is its own source.
"""

from __future__ import annotations

import functools
import ipaddress
from typing import Any
from urllib.parse import urlsplit

from corpus.document import Document


def registrable_domain(url: str) -> str | None:
    """The registrable domain of ``url``'s host, or None if it has no host.

    >>> [registrable_domain(u) for u in ("https://news.bbc.co.uk/x", "http://www.outlet.example/a",
    ...                                  "http://192.0.2.7:8080/", "https://alice.blogspot.com/", "file:///tmp/x")]
    ['bbc.co.uk', 'outlet.example', '192.0.2.7', 'alice.blogspot.com', None]
    """
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:  # an invalid IPv6 literal, an out-of-range port
        return None
    host = (host or "").rstrip(".")
    if not host:
        return None
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    parts = _public_suffix_list()(host)
    if parts.suffix:
        return f"{parts.domain}.{parts.suffix}" if parts.domain else host
    labels = host.split(".")
    return ".".join(labels[-2:])


def derive_source(doc: Document) -> None:
    """Set ``doc.source`` from ``doc.url`` if it has none, marked ``metadata["source_from"] = "url"``."""
    if doc.source is None and doc.url:
        domain = registrable_domain(doc.url)
        if domain is not None:
            doc.source = domain
            doc.metadata["source_from"] = "url"


@functools.lru_cache(maxsize=1)
def _public_suffix_list() -> Any:
    import tldextract

    return tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None, fallback_to_snapshot=True,
                                 include_psl_private_domains=True)
