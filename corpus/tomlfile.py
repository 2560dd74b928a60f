"""Reading the project's TOML files (pipelines, rules) with errors that name the file."""

from __future__ import annotations

import os
import sys
from typing import Any

from corpus.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def load_toml(path: str | os.PathLike[str], what: str) -> dict[str, Any]:
    """The parsed TOML of ``path``; a missing file or bad TOML is a ConfigError naming ``what`` it is."""
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except OSError as err:
        raise ConfigError(f"{path}: cannot read the {what} ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from err
