"""One runner per dedup tool, each run as its own process by :mod:`bench.run`.

Every runner reads the same JSONL of cleaned documents (``id``, ``text``) and
writes one JSON result: a group label per document (input order), the seconds
each of its stages took, its version and the parameters it ran with. The peers'
runners import only the standard library from ``bench`` so that they run in the
peers' virtualenv, where ``corpus`` is not installed.
"""
