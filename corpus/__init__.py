"""corpus: turn raw, messy news coverage into a clean, deduplicated, verifiable corpus.

The data flows one way, one module per stage::

    readers -> clean -> clean.learned -> dedup -> snapshot

In a notebook::

    import corpus
    docs = corpus.read("samples/")                      # Documents from text, HTML, JSONL, WARC, WET, Parquet
    cleaned = corpus.Cleaner().run(docs)                # article text, chrome removed and recorded
    result = corpus.Deduplicator().run(cleaned)         # one copy per story, with provenance
    corpus.write_jsonl(result.kept, "kept.jsonl")

or a whole pipeline, as ``make corpus`` runs it::

    corpus.run_pipeline(corpus.load_pipeline("pipelines/case_reporting.toml"))
"""

from corpus.clean import CleanConfig, Cleaner, CleaningError, Rule, clean_html, clean_text
from corpus.clean.learned import LearnConfig, LearnedBoilerplate, LineCounts, learn_boilerplate
from corpus.dedup import BaseIndex, DedupConfig, DedupResult, Deduplicator, Signatures, stories
from corpus.document import Copy, Document, Reject, Removal
from corpus.engines.local import RunResult
from corpus.engines.local import run as run_pipeline
from corpus.errors import ConfigError, CorpusError, InputError
from corpus.pipeline import Pipeline, load_pipeline
from corpus.readers import IdOwners, ReadLimits, read
from corpus.snapshot import diff_snapshots, load_snapshot, verify_snapshot, write_snapshot
from corpus.writers import write_jsonl

__version__ = "0.1.0"

__all__ = [
    "BaseIndex", "CleanConfig", "Cleaner", "CleaningError", "ConfigError", "Copy", "CorpusError",
    "DedupConfig", "DedupResult", "Deduplicator", "Document", "IdOwners", "InputError", "LearnConfig",
    "LearnedBoilerplate", "LineCounts", "Pipeline", "ReadLimits", "Reject", "Removal", "Rule",
    "RunResult", "Signatures", "__version__", "clean_html", "clean_text", "diff_snapshots",
    "learn_boilerplate", "load_pipeline", "load_snapshot", "read", "run_pipeline", "stories", "verify_snapshot",
    "write_jsonl", "write_snapshot",
]
