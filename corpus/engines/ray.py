"""Run a pipeline on Ray: the local engine's run, with the documents cleaned by Ray tasks.

This module schedules; it holds no stage logic. :func:`run` is
:func:`corpus.engines.local.run` with one executor swapped in, for the stage
that costs most of a run and needs nothing but its own document (cleaning):

- **read** (driver): :func:`corpus.readers.read`, ids settled in input order, as locally.
- **clean** (Ray tasks, :func:`clean_in_order`): the read items are cut into the chunks the local
  worker processes get (:func:`~corpus.engines.workers.chunked`); each chunk's
  documents are one task, which cleans them with
  :func:`~corpus.engines.workers.clean_documents`, the call a local worker
  makes. At most :data:`~corpus.engines.workers.IN_FLIGHT_PER_WORKER` tasks per
  CPU of the cluster are out at once, and results are taken oldest first
  (:func:`~corpus.engines.workers.clean_submitted`), so they come back in input
  order whatever finishes first.
- **learn, strip, dedup, story, write** (driver): the local engine's own code.

The snapshot is therefore the local engine's, byte for byte, by construction.

``run(pipeline, address=...)`` connects to a Ray cluster (``"auto"``,
``"ray://host:10001"``) or, without an address, starts a local Ray on this
machine (no dashboard, no usage stats: nothing leaves the machine). Ray is
joined when cleaning starts and left when it ends (a Ray started here is
stopped then), after the output is locked and before the driver's own stages,
which thus have the machine's memory to themselves. Workers must import the
same ``corpus`` (install it on every node); only documents travel to them, as
task arguments, so the inputs need to be readable by the driver alone.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import socket
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from corpus.clean import CleanConfig, Cleaner
from corpus.document import Document, Reject
from corpus.engines import local
from corpus.engines.local import RunResult
from corpus.engines.workers import (
    IN_FLIGHT_PER_WORKER,
    Item,
    Outcome,
    WorkerError,
    chunked,
    clean_documents,
    clean_submitted,
)
from corpus.errors import CorpusError
from corpus.pipeline import Pipeline


def run(
    pipeline: Pipeline,
    *,
    base: str | Path | None = None,
    progress: bool = False,
    on_reject: Callable[[Reject], None] | None = None,
    address: str | None = None,
    work: str | Path | None = None,
    fresh: bool = False,
    keep_work: bool = False,
    on_notice: Callable[[str], None] | None = None,
) -> RunResult:
    """Run ``pipeline`` with cleaning on Ray and publish its snapshot, the bytes :func:`corpus.engines.local.run` writes.

    ``address``: an existing cluster (``"auto"``, ``"ray://head:10001"``); without
    it, a Ray already initialised in this process is used, else a local one is
    started (and stopped once cleaning is done). ``work``, ``fresh``,
    ``keep_work`` and ``on_notice`` are the local engine's: the cleaned shards
    go to the same work directory, and a rerun resumes from it on either engine.
    """
    return local.run(pipeline, base=base, progress=progress, on_reject=on_reject,
                     clean=functools.partial(clean_in_order, address=address, progress=progress),
                     work=work, fresh=fresh, keep_work=keep_work, on_notice=on_notice)


def clean_in_order(items: Iterable[Item], config: CleanConfig, strict: bool = False, *, address: str | None = None,
                   progress: bool = False) -> Iterator[Document | Reject]:
    """:func:`corpus.engines.workers.clean_in_order` on Ray tasks: every item in input order, each
    document cleaned (or its reject), an error raised at its place; Ray joined for the while (see
    :func:`run` for ``address``)."""
    with _ray_session(address, progress):
        import ray

        task = ray.remote(_clean_chunk)
        shared_config = ray.put(config)
        cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))

        def outcomes(ref: ray.ObjectRef) -> list[Outcome]:
            try:
                return ray.get(ref)
            except (ray.exceptions.WorkerCrashedError, ray.exceptions.NodeDiedError, ray.exceptions.ObjectLostError,
                    ray.exceptions.OutOfMemoryError) as err:
                raise WorkerError(f"a Ray worker cleaning documents died ({type(err).__name__}: killed, out of "
                                  "memory, or its node lost) after Ray's retries; nothing was published. "
                                  "Run again") from err

        yield from clean_submitted(chunked(items), lambda docs: task.remote(shared_config, strict, docs), outcomes,
                                   IN_FLIGHT_PER_WORKER * cpus)


def _clean_chunk(config: CleanConfig, strict: bool, docs: list[Document]) -> list[Outcome]:
    """One chunk, in a Ray task: what a local worker process does with it (a cleaner takes microseconds to build)."""
    return clean_documents(Cleaner(config), docs, strict)


@contextlib.contextmanager
def _ray_session(address: str | None, progress: bool) -> Iterator[None]:
    """Connect to (or start) Ray for the block, unless this process already has; then disconnect (or stop it)."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError as err:
        raise CorpusError("the ray engine needs Ray: pip install 'corpus[ray]'") from err

    started = not ray.is_initialized()
    if started and address is not None:
        _check_reachable(address)
    if started:
        # A Ray started here has no dashboard (a web server) and reports no usage stats.
        local_only = {"include_dashboard": False} if address is None else {}
        try:
            ray.init(address=address, log_to_driver=progress,
                     logging_level=logging.INFO if progress else logging.ERROR, **local_only)
        except (ConnectionError, RuntimeError, ValueError) as err:
            raise CorpusError(f"cannot start or reach Ray at {address or 'this machine'}: {err}") from err
    try:
        yield
    finally:
        if started:
            ray.shutdown()


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail within seconds when nothing answers at ``host:port`` (Ray itself retries for minutes).

    ``auto`` and addresses without a port are left to Ray, which resolves them.
    """
    host, sep, port = address.removeprefix("ray://").rpartition(":")
    if not sep or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except OSError as err:
        raise CorpusError(f"cannot reach Ray at {address}: {err.strerror or err}; start a cluster there "
                          "(ray start --head) or check the address") from err
