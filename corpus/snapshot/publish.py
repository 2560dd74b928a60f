"""Atomic publication: the output path holds a whole snapshot or none.

A snapshot is written in a hidden sibling, ``.NAME.partial-PID-*``, fsynced,
then renamed into place. A previous snapshot is first moved aside to
``.NAME.old-PID-*`` and removed only once the new one is in place. A writer
killed midway leaves these hidden directories behind; the next write of the
same output removes those of processes no longer running, or puts an ``.old``
one back if nothing was published, so a crash never loses the last good
snapshot.

Two runs writing the same output at once would sweep each other's partial
directories; :func:`output_lock` makes the second one stop at its start instead.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import json
import os
import re
import secrets
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path

from corpus.errors import CorpusError
from corpus.snapshot.format import FORMAT, MANIFEST


@contextlib.contextmanager
def output_lock(out_dir: str | os.PathLike[str], what: str = "snapshot") -> Iterator[Path]:
    """Hold ``.NAME.lock`` beside the output ``NAME`` for the block; yield the lock file's path.

    ``what`` the output is, for the messages: "snapshot", or "work directory"
    (a run locks its work directory too, which another output's run may name).

    The lock is an ``flock`` on the file, which the kernel releases when its
    holder exits however it exits (even SIGKILL), so a killed run never leaves
    a lock that blocks the next: its file stays, unlocked, and the next run
    takes it. The file names its holder (pid, host, start time) and is removed
    when the block ends. A second run on the same output raises
    :class:`CorpusError` naming the first. ``flock`` is advisory: it guards
    against other ``corpus`` runs, not against other programs.
    """
    out = Path(out_dir)
    lock = out.parent / f".{out.name}.lock"
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        where = exc.filename or out.parent
        raise CorpusError(f"{out}: cannot write a {what} here ({exc.strerror or exc}: {where})") from exc
    fd = _take_lock(out, lock, what)
    try:
        started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        with contextlib.suppress(OSError):  # a full disk: the lock holds all the same, unnamed
            os.pwrite(fd, f"pid {os.getpid()} on {socket.gethostname()}, started {started}\n".encode(), 0)
        yield lock
    finally:
        with contextlib.suppress(OSError):
            os.unlink(lock)  # while still locked: a run that opened it meanwhile sees it is gone, and retries
        os.close(fd)  # releases the lock


def _take_lock(out: Path, lock: Path, what: str) -> int:
    """Open and lock ``lock``, the file at that path now (a holder that ended may have just removed it)."""
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise CorpusError(f"{out}: cannot write a {what} here ({exc.strerror or exc}: {lock})") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "just starting"
            os.close(fd)
            this = "output" if what == "snapshot" else what
            raise CorpusError(f"{out}: another corpus run is writing this {this} ({holder}; lock file {lock}); "
                              f"wait for it to finish, or choose another {this}") from None
        try:
            current = os.stat(lock)
        except FileNotFoundError:
            current = None
        mine = os.fstat(fd)
        if current is not None and (current.st_dev, current.st_ino) == (mine.st_dev, mine.st_ino):
            os.ftruncate(fd, 0)  # what a killed holder wrote
            return fd
        os.close(fd)


def _check_replaceable(out: Path) -> None:
    """Refuse to replace anything but an empty directory or an older snapshot."""
    if not out.exists() and not out.is_symlink():
        return
    if not out.is_dir() or out.is_symlink():
        raise CorpusError(f"{out}: exists and is not a snapshot directory; choose another output")
    if not any(out.iterdir()):
        return
    try:
        existing = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        existing = None
    if not isinstance(existing, dict) or existing.get("format") != FORMAT:
        raise CorpusError(f"{out}: exists and is not a corpus snapshot (no {MANIFEST}); it will not be replaced")


_LEFTOVER = re.compile(r"\.(?P<name>.+)\.(partial|old)-(?P<pid>\d+)-[0-9a-f]+")


def _remove_leftovers(out: Path) -> None:
    """Remove what a writer of ``out`` that was killed left behind: ``.NAME.partial-PID-*`` and ``.NAME.old-PID-*``.

    Only directories of processes that are no longer running go; a live
    writer's are left alone. An ``.old`` directory is a previous snapshot that
    a writer killed mid-publish had moved aside; it is put back if nothing is
    published at ``out``, so a crash never loses the last good snapshot.
    """
    if not out.parent.is_dir():
        return
    for entry in sorted(out.parent.iterdir()):
        match = _LEFTOVER.fullmatch(entry.name)
        if match is None or match.group("name") != out.name or _running(int(match.group("pid"))):
            continue
        if ".old-" in entry.name and not out.exists() and (entry / MANIFEST).is_file():
            os.rename(entry, out)
        else:
            shutil.rmtree(entry, ignore_errors=True)


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def _publish(tmp: Path, out: Path) -> None:
    """Rename ``tmp`` to ``out``; an old snapshot there is moved aside first, then removed."""
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}-{secrets.token_hex(4)}"
        os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        if old is not None:
            os.rename(old, out)
        raise
    _fsync_dir(out.parent)
    if old is not None:
        # Published already: a failure here only leaves a hidden leftover, swept by the next write.
        shutil.rmtree(old, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
