"""Errors a user can act on.

Each message names the file (and line or record where there is one) and what to
do, so the CLI can print it as it is instead of a traceback.
"""

from __future__ import annotations


class CorpusError(Exception):
    """Base class of every error ``corpus`` raises on purpose."""


class InputError(CorpusError):
    """A raw input (file, line, record) cannot be read as a document."""

    def __init__(self, path: str, reason: str, line: int | None = None) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {reason}")


class ConfigError(CorpusError):
    """A pipeline file or option has an unknown key or a bad value."""
