"""The ``corpus`` command: a thin layer of click commands over the library.

Every error the library raises on purpose (:class:`~corpus.errors.CorpusError`)
is printed as one line naming the file and what to do, with exit status 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from corpus import __version__
from corpus.document import Document, Reject
from corpus.errors import CorpusError

T = TypeVar("T")


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CorpusError as err:
            raise click.ClickException(str(err)) from err

    return wrapper


def _progress(items: Iterable[T], desc: str, enabled: bool, unit: str = "doc") -> Iterator[T]:
    from tqdm import tqdm

    return iter(tqdm(items, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, leave=False))


class _RejectCollector:
    """Collects rejects and prints each one as a warning line on stderr."""

    def __init__(self) -> None:
        self.rejects: list[Reject] = []

    def __call__(self, reject: Reject) -> None:
        from corpus.readers import warn_reject

        self.rejects.append(reject)
        warn_reject(reject)


@click.group()
@click.version_option(__version__, prog_name="corpus")
def main() -> None:
    """Turn raw news coverage into a clean, deduplicated, verifiable corpus."""


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path),
              help="Cleaned documents, JSONL (.jsonl, .jsonl.gz or .jsonl.zst).")
@click.option("--rejects", type=click.Path(path_type=Path),
              help="Write every rejected input here (JSONL), with its stage and reason.")
@click.option("--format", "fmt", type=click.Choice(["text", "html", "jsonl", "warc"]),
              help="Read every input as this format instead of detecting it from the extension.")
@click.option("--strict", is_flag=True, help="Stop at the first bad input instead of skipping it.")
@click.option("--favor-precision", is_flag=True, help="Extract less of each HTML page, more surely article text.")
@click.option("--no-boilerplate", is_flag=True, help="Keep boilerplate lines (only repair and normalize).")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@_reports_errors
def clean(inputs: tuple[Path, ...], output: Path, rejects: Path | None, fmt: str | None, strict: bool,
          favor_precision: bool, no_boilerplate: bool, progress: bool) -> None:
    """Clean raw documents (text, HTML, JSONL, WARC; files or directories) into OUTPUT."""
    from corpus.clean import CleanConfig, Cleaner
    from corpus.readers import read
    from corpus.writers import write_jsonl

    collector = _RejectCollector()
    cleaner = Cleaner(CleanConfig(favor_precision=favor_precision, strip_boilerplate=not no_boilerplate))
    documents = read(inputs, format=fmt, strict=strict, on_reject=collector)
    cleaned = cleaner.run(_progress(documents, "clean", progress), on_reject=collector, strict=strict)
    removed = 0

    def counted(docs: Iterable[Document]) -> Iterator[Document]:
        nonlocal removed
        for doc in docs:
            removed += len(doc.removed)
            yield doc

    output.parent.mkdir(parents=True, exist_ok=True)
    written = write_jsonl(counted(cleaned), output)
    if rejects is not None:
        write_jsonl(collector.rejects, rejects)
    click.echo(f"cleaned {written} documents, rejected {len(collector.rejects)}, "
               f"removed {removed} boilerplate lines -> {output}", err=True)
