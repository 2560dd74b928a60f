"""The ``corpus`` command: a thin layer of click commands over the library.

Every error the library raises on purpose (:class:`~corpus.errors.CorpusError`)
is printed as one line naming the file and what to do, with exit status 1.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from corpus import __version__
from corpus.document import Document, Reject
from corpus.errors import CorpusError
from corpus.readers import FORMATS

if TYPE_CHECKING:
    from corpus.readers import IdOwners

T = TypeVar("T")


def _reports_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CorpusError as err:
            raise click.ClickException(str(err)) from err
        except OSError as err:  # a full disk, a read-only or missing directory: one line, not a traceback
            where = f"{err.filename}: " if err.filename else ""
            raise click.ClickException(f"{where}{err.strerror or err}") from err

    return wrapper


def _progress(items: Iterable[T], desc: str, enabled: bool, unit: str = "doc") -> Iterator[T]:
    from tqdm import tqdm

    return iter(tqdm(items, desc=desc, unit=unit, disable=not enabled, file=sys.stderr, leave=False))


class _RejectCollector:
    """Collects rejects and prints each one as a warning line on stderr; with ``owners``, a
    document dropped after reading is named by the file and line it was read from."""

    def __init__(self, owners: IdOwners | None = None) -> None:
        self.rejects: list[Reject] = []
        self._owners = owners

    def __call__(self, reject: Reject) -> None:
        from corpus.readers import warn_reject

        if self._owners is not None:
            reject = self._owners.locate(reject)
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
@click.option("--format", "fmt", type=click.Choice(list(FORMATS)),
              help="Read every input as this format instead of detecting it from the extension.")
@click.option("--strict", is_flag=True, help="Stop at the first bad input instead of skipping it.")
@click.option("--favor-precision", is_flag=True, help="Extract less of each HTML page, more surely article text.")
@click.option("--no-boilerplate", is_flag=True, help="Keep boilerplate lines (only repair and normalize).")
@click.option("--workers", type=click.IntRange(min=1),
              help="Processes that clean documents [default: every core this process may use]. "
                   "The output is the same for any number.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar on stderr.")
@_reports_errors
def clean(inputs: tuple[Path, ...], output: Path, rejects: Path | None, fmt: str | None, strict: bool,
          favor_precision: bool, no_boilerplate: bool, workers: int | None, progress: bool) -> None:
    """Clean raw documents (text, HTML, JSONL, WARC, WET, Parquet; files or directories) into OUTPUT."""
    from corpus.clean import CleanConfig
    from corpus.engines.workers import clean_in_order, in_read_order, usable_cores
    from corpus.readers import IdOwners, read
    from corpus.writers import write_jsonl

    owners = IdOwners()
    collector = _RejectCollector(owners)
    config = CleanConfig(favor_precision=favor_precision, strip_boilerplate=not no_boilerplate)
    # The outputs may lie inside an input directory: they are never read as input.
    not_inputs = [output] + ([rejects] if rejects is not None else [])
    read_rejects: list[Reject] = []
    documents = read(inputs, format=fmt, strict=strict, on_reject=read_rejects.append, ids=owners,
                     exclude_paths=not_inputs)
    items = _progress(in_read_order(documents, read_rejects), "clean", progress)
    removed = 0

    def cleaned() -> Iterator[Document]:
        nonlocal removed
        for item in clean_in_order(items, config, strict=strict, workers=workers or usable_cores()):
            if isinstance(item, Reject):
                collector(item)
            else:
                removed += len(item.removed)
                yield item

    output.parent.mkdir(parents=True, exist_ok=True)
    written = write_jsonl(cleaned(), output)
    if rejects is not None:
        write_jsonl(collector.rejects, rejects)
    click.echo(f"cleaned {written} documents, rejected {len(collector.rejects)}, "
               f"removed {removed} boilerplate lines -> {output}", err=True)


@main.command()
@click.argument("input_file", metavar="IN.jsonl", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(path_type=Path), help="Kept documents, JSONL.")
@click.option("--clusters", type=click.Path(path_type=Path), help="One JSON line per cluster of two or more.")
@click.option("--threshold", type=float, help="Estimated containment of the shorter text at which two documents are copies.")
@click.option("--ngram", type=int, help="Words per shingle.")
@click.option("--num-perm", type=int, help="MinHash permutations.")
@click.option("--keep", type=click.Choice(["longest", "earliest", "source-priority", "first"]),
              help="Which copy of a cluster to keep.")
@click.option("--source-priority", multiple=True, help="With --keep source-priority: sources, best first.")
@click.option("--no-story", is_flag=True, help="Do not annotate related coverage with a story id.")
@click.option("--progress/--no-progress", default=True, help="Show a progress bar per phase on stderr.")
@_reports_errors
def dedup(input_file: Path, output: Path, clusters: Path | None, threshold: float | None, ngram: int | None,
          num_perm: int | None, keep: str | None, source_priority: tuple[str, ...], no_story: bool,
          progress: bool) -> None:
    """Keep one copy of each story in cleaned IN.jsonl; list where every copy ran."""
    from corpus.dedup import DedupConfig, Deduplicator
    from corpus.readers import read
    from corpus.writers import write_jsonl

    options = {"threshold": threshold, "ngram": ngram, "num_perm": num_perm, "keep": keep}
    config = DedupConfig(**{k: v for k, v in options.items() if v is not None},
                         source_priority=source_priority, story=not no_story)
    collector = _RejectCollector()
    docs = list(_progress(read(input_file, format="jsonl", on_reject=collector), "read", progress))
    result = Deduplicator(config).run(docs, progress=progress)
    output.parent.mkdir(parents=True, exist_ok=True)
    write_jsonl(result.kept, output)
    if clusters is not None:
        write_jsonl(result.clusters, clusters)
    click.echo(f"kept {len(result.kept)} of {len(docs)} documents, merged {len(result.merged)} into "
               f"{len(result.clusters)} clusters, rejected {len(collector.rejects)} -> {output}", err=True)


@main.command(name="run")
@click.argument("pipeline_file", metavar="PIPELINE.toml", type=click.Path(path_type=Path))
@click.option("-i", "--input", "inputs", multiple=True, help="Read these files or directories instead of the pipeline's.")
@click.option("-o", "--output", help="Write the snapshot here instead of the pipeline's output path.")
@click.option("--base", type=click.Path(path_type=Path, exists=True, file_okay=False),
              help="An earlier snapshot: deduplicate the new inputs against it and carry it forward.")
@click.option("--strict", is_flag=True, default=None, help="Stop at the first bad input.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
              help="Where the stages run: this process, or Ray (needs the 'ray' extra).")
@click.option("--address", help="With --engine ray: the cluster to join (e.g. auto, ray://head:10001); "
                                "by default a local Ray is started.")
@click.option("--workers", type=click.IntRange(min=1),
              help="With --engine local: processes that clean documents [default: every core this process may use]. "
                   "The snapshot is the same for any number.")
@click.option("--work", type=click.Path(path_type=Path),
              help="Keep the cleaned shards here, for a rerun to resume from "
                   "[default: OUTPUT.work beside the output].")
@click.option("--fresh", is_flag=True, help="Discard what an earlier, interrupted run left in the work directory.")
@click.option("--keep-work", is_flag=True, help="Keep the work directory after the snapshot is published.")
@click.option("--progress/--no-progress", default=True, help="Show progress bars on stderr.")
@_reports_errors
def run_command(pipeline_file: Path, inputs: tuple[str, ...], output: str | None, base: Path | None,
                strict: bool | None, engine: str, address: str | None, workers: int | None, work: Path | None,
                fresh: bool, keep_work: bool, progress: bool) -> None:
    """Run a pipeline and publish its snapshot; print what each stage cost on stderr.

    Rerunning the same command after an interruption resumes it: the documents
    already cleaned are taken from the work directory instead of cleaned again.
    """
    from corpus.pipeline import load_pipeline
    from corpus.readers import warn_reject

    pipeline = load_pipeline(pipeline_file).with_overrides(list(inputs), output, strict)

    def notice(line: str) -> None:
        click.echo(line, err=True)

    if engine == "ray":
        try:
            from corpus.engines.ray import run as run_on_ray
        except ImportError as err:
            raise click.ClickException(
                f"--engine ray needs Ray: pip install 'corpus[ray]' (or .venv/bin/pip install -e '.[ray]'); {err}"
            ) from err
        if workers is not None:
            raise click.UsageError("--workers goes with --engine local (Ray uses every CPU of its cluster)")
        result = run_on_ray(pipeline, base=base, progress=progress, on_reject=warn_reject, address=address,
                            work=work, fresh=fresh, keep_work=keep_work, on_notice=notice)
    else:
        if address is not None:
            raise click.UsageError("--address goes with --engine ray")
        from corpus.engines.local import run
        from corpus.engines.workers import usable_cores

        result = run(pipeline, base=base, progress=progress, on_reject=warn_reject, workers=workers or usable_cores(),
                     work=work, fresh=fresh, keep_work=keep_work, on_notice=notice)
    if result.reused_shards:
        click.echo(f"resumed: {result.reused_shards} of {result.shards} cleaned shards taken from the work "
                   "directory", err=True)
    if result.usage:
        click.echo(result.usage_summary(), err=True)
    click.echo(result.summary(), err=True)


@main.command()
@click.argument("snapshot", type=click.Path(path_type=Path))
@_reports_errors
def verify(snapshot: Path) -> None:
    """Check every checksum, count and the accounting of SNAPSHOT."""
    from corpus.snapshot import verify_snapshot

    problems = verify_snapshot(snapshot)
    for problem in problems:
        click.echo(f"{snapshot}: {problem}", err=True)
    if problems:
        raise SystemExit(1)
    click.echo(f"{snapshot}: OK")


@main.command()
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@_reports_errors
def diff(old: Path, new: Path) -> None:
    """List documents added, removed and merged differently between two snapshots."""
    from corpus.snapshot import diff_snapshots

    click.echo(diff_snapshots(old, new).to_text())


@main.command()
@click.argument("snapshot", type=click.Path(path_type=Path))
@click.argument("doc_id", metavar="ID")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as one JSON object.")
@_reports_errors
def explain(snapshot: Path, doc_id: str, as_json: bool) -> None:
    """Say what became of ID in SNAPSHOT: kept (with its removed lines and copies), merged, or rejected."""
    from corpus.snapshot import explain_id
    from corpus.writers import dumps

    answer = explain_id(snapshot, doc_id)
    click.echo(dumps(answer.to_json()) if as_json else answer.to_text(), nl=as_json)
