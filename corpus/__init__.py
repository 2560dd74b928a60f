"""corpus: turn raw, messy news coverage into a clean, deduplicated corpus."""

from corpus.document import Copy, Document, Reject, Removal
from corpus.errors import ConfigError, CorpusError, InputError

__version__ = "0.1.0"
__all__ = ["Copy", "Document", "Reject", "Removal", "ConfigError", "CorpusError", "InputError", "__version__"]
