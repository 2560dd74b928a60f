"""Cleaning over worker processes, the results in input order.

Cleaning is the costly stage (about 3 ms a document, most of a run), and each
document is cleaned on its own, so it spreads over processes: the reader (in
this process) cuts the input into chunks, the workers clean them with
:meth:`Cleaner.run`, and the results come back restored to input order by
their position, never by which worker finished first. The snapshot is
therefore the same, byte for byte, whatever the number of workers.

Memory stays bounded: at most two chunks per worker are in flight, and the
reader is not asked for more until the oldest is back. A chunk holds at most
:data:`CHUNK_DOCUMENTS` documents and :data:`CHUNK_CHARACTERS` of text.

The ordering and the bound are :func:`clean_submitted`'s, whoever cleans a
chunk: these processes, or the Ray engine's tasks (:mod:`corpus.engines.ray`),
both with :func:`clean_documents`.

Documents travel to the workers pickled through in-memory pipes, as
:mod:`concurrent.futures` ships them; nothing pickled is read from or written
to a file. Workers are started with ``spawn`` (a fresh interpreter: no state
or lock of this process is inherited), and only when the input is more than
one chunk, so a small corpus is cleaned here without the start-up cost.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

from corpus.clean import CleanConfig, Cleaner, CleaningError
from corpus.document import Document, Reject
from corpus.errors import CorpusError

#: Documents per chunk: small enough that the workers stay evenly loaded and the
#: chunks in flight hold little, large enough that the pipes cost nothing next to cleaning.
CHUNK_DOCUMENTS = 32
#: Text per chunk (characters): a few huge pages make a chunk of their own.
CHUNK_CHARACTERS = 8_000_000
#: Chunks in flight per worker: one being cleaned, one queued behind it.
IN_FLIGHT_PER_WORKER = 2

#: What flows through: a document to clean, or an item read that is passed on at its place
#: (a read reject, or, with ``strict``, the error that stopped the reader).
Item = Document | Reject | CorpusError
#: What comes out of cleaning one document: the cleaned document, its reject, or (strict) the error.
Outcome = Document | Reject | CleaningError
#: What an executor's ``submit`` returns for one chunk: a future, a Ray object reference.
Handle = TypeVar("Handle")


class WorkerError(CorpusError):
    """A cleaning worker process died (killed, or out of memory)."""


def usable_cores() -> int:
    """The cores this process may run on (its affinity mask), the default number of workers."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def clean_documents(cleaner: Cleaner, docs: Iterable[Document], strict: bool) -> list[Outcome]:
    """One outcome per document, in order; with ``strict``, the first error ends the list.

    Every engine path cleans through this, so a document is cleaned by the same
    call (:meth:`Cleaner.run`) in this process and in a worker.
    """
    outcomes: list[Outcome] = []
    for doc in docs:
        rejects: list[Reject] = []
        try:
            outcomes.extend(cleaner.run([doc], on_reject=rejects.append, strict=strict))
        except CleaningError as err:
            outcomes.append(err)
            break
        outcomes.extend(rejects)
    return outcomes


def clean_in_order(items: Iterable[Item], config: CleanConfig, *, strict: bool = False,
                   workers: int = 1) -> Iterator[Document | Reject]:
    """Clean the documents of ``items`` on ``workers`` processes; yield every item in input order.

    A document becomes its cleaned copy or its ``clean`` reject; a reject read
    is passed on at its place; an error (among the items, or from a strict
    cleaning) is raised at its place, once everything before it has been yielded.
    """
    if workers < 1:
        raise CorpusError(f"workers = {workers}; it must be 1 or more")
    chunks = chunked(items)
    if workers > 1:
        head = list(itertools.islice(chunks, 2))
        chunks = itertools.chain(head, chunks)
        if len(head) > 1:
            yield from _clean_on_workers(chunks, config, strict, workers)
            return
    cleaner = Cleaner(config)
    for chunk in chunks:
        yield from _merge(chunk, clean_documents(cleaner, _documents(chunk), strict))


def in_read_order(documents: Iterator[Document], rejects: list[Reject]) -> Iterator[Item]:
    """The items :func:`clean_in_order` takes: the documents ``documents`` reads, each reject the
    reader appended to ``rejects`` (its ``on_reject``) put at its place among them, and (strict) the
    error that stopped the reader last, to be raised once everything before it is done."""
    try:
        for doc in documents:
            yield from _drain(rejects)
            yield doc
    except CorpusError as err:
        yield from _drain(rejects)
        yield err
        return
    yield from _drain(rejects)


def _drain(rejects: list[Reject]) -> list[Reject]:
    drained = rejects[:]
    rejects.clear()
    return drained


def chunked(items: Iterable[Item]) -> Iterator[list[Item]]:
    """``items`` cut into the chunks every executor cleans: at most :data:`CHUNK_DOCUMENTS`
    documents and :data:`CHUNK_CHARACTERS` of text, an error ending its chunk."""
    chunk: list[Item] = []
    docs = characters = 0
    for item in items:
        chunk.append(item)
        if isinstance(item, Document):
            docs += 1
            characters += len(item.text)
        if docs >= CHUNK_DOCUMENTS or characters >= CHUNK_CHARACTERS or isinstance(item, CorpusError):
            yield chunk
            chunk, docs, characters = [], 0, 0
    if chunk:
        yield chunk


def _documents(chunk: list[Item]) -> list[Document]:
    return [item for item in chunk if isinstance(item, Document)]


def _merge(chunk: list[Item], outcomes: list[Outcome]) -> Iterator[Document | Reject]:
    """The chunk's items with each document replaced by its outcome; an error is raised at its place."""
    results = iter(outcomes)
    for item in chunk:
        if isinstance(item, Document):
            item = next(results)
        if isinstance(item, Exception):
            raise item
        yield item


def clean_submitted(chunks: Iterable[list[Item]], submit: Callable[[list[Document]], Handle],
                    outcomes: Callable[[Handle], list[Outcome]], in_flight: int) -> Iterator[Document | Reject]:
    """Each chunk's documents handed to ``submit`` (a worker pool, Ray), ``in_flight`` chunks at most
    at once; every item yielded in input order, each document replaced by its outcome.

    ``outcomes(handle)`` waits for one chunk's outcomes. The oldest chunk is
    always awaited first, so the order never depends on which chunk finishes
    first, and no more chunks are read while ``in_flight`` are out.
    """
    pending: deque[tuple[list[Item], Handle]] = deque()
    for chunk in chunks:
        pending.append((chunk, submit(_documents(chunk))))
        if len(pending) >= in_flight:
            chunk, handle = pending.popleft()
            yield from _merge(chunk, outcomes(handle))
    while pending:
        chunk, handle = pending.popleft()
        yield from _merge(chunk, outcomes(handle))


def _clean_on_workers(chunks: Iterator[list[Item]], config: CleanConfig, strict: bool,
                      workers: int) -> Iterator[Document | Reject]:
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_worker, initargs=(config, strict, os.getpid()))
    try:
        yield from clean_submitted(chunks, lambda docs: pool.submit(_clean_chunk, docs), Future.result,
                                   IN_FLIGHT_PER_WORKER * workers)
    except BrokenProcessPool as err:
        raise WorkerError("a cleaning worker process died (killed, or out of memory?); nothing was published. "
                          "Run again, with fewer --workers if memory is short") from err
    finally:
        # Also on an error or an interrupt: queued chunks are dropped, running ones finish.
        pool.shutdown(wait=True, cancel_futures=True)


_cleaner: Cleaner | None = None
_strict = False


def _start_worker(config: CleanConfig, strict: bool, parent: int) -> None:
    """Set up a worker: its cleaner, built once. Ctrl-C is for the main process, which stops the workers."""
    global _cleaner, _strict
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_exit_when_orphaned, args=(parent,), daemon=True).start()
    _cleaner, _strict = Cleaner(config), strict


def _exit_when_orphaned(parent: int) -> None:
    """End this worker once the main process is gone (killed: it cannot tell the workers to stop,
    and a worker waiting for its next chunk would wait forever)."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(1)


def _clean_chunk(docs: list[Document]) -> list[Outcome]:
    assert _cleaner is not None, "the worker was not started by _start_worker"
    return clean_documents(_cleaner, docs, _strict)
