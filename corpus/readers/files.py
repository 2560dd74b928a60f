"""Which files are read, in which order, as which format.

``walk`` lists files and directories in a fixed (sorted) order, so the same
inputs always give the same documents in the same order, whatever order they
were listed in. A file's format comes from its extension.
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

EXTENSIONS = {
    ".txt": "text",
    ".md": "text",
    ".html": "html",
    ".htm": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".warc": "warc",
    ".wet": "wet",
    ".parquet": "parquet",
}
COMPRESSIONS = {".gz": "gzip", ".zst": "zstd"}
SUPPORTED = ".txt, .md, .html, .htm, .jsonl[.gz|.zst], .warc[.gz], .wet[.gz] (.warc.wet.gz) or .parquet"


def detect_format(path: str | Path) -> tuple[str | None, str | None]:
    """The (format, compression) of a file from its extension.

    >>> detect_format("news/2023.jsonl.zst")
    ('jsonl', 'zstd')
    >>> detect_format("page.HTML")
    ('html', None)
    >>> detect_format("CC-MAIN-20230921-00000.warc.wet.gz")
    ('wet', 'gzip')
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    compression = None
    if suffixes and suffixes[-1] in COMPRESSIONS:
        compression = COMPRESSIONS[suffixes.pop()]
    fmt = EXTENSIONS.get(suffixes[-1]) if suffixes else None
    return fmt, compression


def stem(path: Path) -> str:
    """A file's name without its format and compression extensions: the id of the document it holds."""
    name = path.name
    fmt, compression = detect_format(path)
    for present in (compression, fmt):
        if present:
            name = name.rsplit(".", 1)[0]
    return name


def input_files(paths: str | Path | Iterable[str | Path], exclude: Iterable[str] = (),
                exclude_paths: Iterable[str | Path] = ()) -> list[Path]:
    """The files :func:`~corpus.readers.read` opens for ``paths``, in the order it opens them.

    A path it rejects before opening (missing, not a regular file, unreadable)
    is not listed, so every listed file can be described in a manifest.
    """
    return list(walk(paths, exclude, exclude_paths=exclude_paths))


def walk(paths: str | Path | Iterable[str | Path], exclude: Iterable[str] = (),
         reject: Callable[..., None] = lambda *args: None, exclude_paths: Iterable[str | Path] = ()) -> Iterator[Path]:
    """The files :func:`~corpus.readers.read` opens for ``paths``, in its order.

    Paths are sorted, directories walked in sorted order and a directory loop
    entered once. A path that cannot be read goes to ``reject(reason, path)``.
    ``exclude_paths`` (files or directories, such as a run's own output inside
    an input directory) are skipped wherever they are met; hidden names are
    skipped anyway (a snapshot's ``.NAME.partial-*``, a lock file).
    """
    paths = [paths] if isinstance(paths, (str, Path)) else sorted(paths, key=str)
    exclude = list(exclude)
    skipped = {os.path.realpath(p) for p in exclude_paths}
    visited: set[str] = set(skipped)
    for root in paths:
        root = Path(root)
        if skipped and os.path.realpath(root) in skipped:
            continue
        if not root.exists():
            reject("no such file or directory", str(root))
            continue
        if not root.is_dir():
            if _openable(root, reject):
                yield root
            continue
        for directory, subdirs, files in os.walk(root, followlinks=True):
            real = os.path.realpath(directory)
            if real in visited:
                subdirs[:] = []
                continue
            visited.add(real)
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            for name in sorted(files):
                if name.startswith(".") or any(fnmatch.fnmatch(name, pat) for pat in exclude):
                    continue
                if skipped and os.path.realpath(os.path.join(directory, name)) in skipped:
                    continue
                if _openable(Path(directory) / name, reject):
                    yield Path(directory) / name


def _openable(path: Path, reject: Callable[..., None]) -> bool:
    """Whether ``path`` is a regular file this process may read; if not, reject it with the reason.

    Opening a FIFO would block the run forever, and a broken or looping
    symlink or an unreadable file cannot be described in the manifest.
    """
    try:
        mode = os.stat(path).st_mode
    except OSError as err:
        reject(f"cannot read file: {err.strerror or err}", str(path))
        return False
    if not stat.S_ISREG(mode):
        reject("not a regular file (a FIFO, socket or device)", str(path))
        return False
    if not os.access(path, os.R_OK):
        reject("cannot read file: permission denied", str(path))
        return False
    return True
