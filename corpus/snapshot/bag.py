"""A snapshot as a BagIt bag (RFC 8493), so that fixity is checked with standard tools.

The records are the bag's payload, under ``data/``; ``manifest.json`` and
``report.html`` are tag files next to the four BagIt ones::

    bagit.txt               BagIt-Version 1.0, UTF-8
    manifest-sha256.txt     sha256 of every payload file (the same digests as manifest.json)
    bag-info.txt            who wrote the bag and what it holds (see below)
    tagmanifest-sha256.txt  sha256 of every other top-level file

``bag-info.txt`` has no ``Bagging-Date``: a date of the run would make two runs
of the same input differ. It gives the date of the data instead
(``Corpus-Newest-Published``, the newest ``published`` date of a kept document
or of a copy it stands for), or none if no document has one.

A bag is checked by ``bagit.Bag(path).validate()`` (bagit-python), ``bagit.py
--validate``, or any other BagIt tool; :func:`bag_problems` is the same check as
part of :func:`~corpus.snapshot.verify_snapshot`, without bagit-python.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corpus.snapshot.format import PAYLOAD, _sha256_file

BAGIT_TXT = "bagit.txt"
BAG_INFO = "bag-info.txt"
PAYLOAD_MANIFEST = "manifest-sha256.txt"
TAG_MANIFEST = "tagmanifest-sha256.txt"
BAG_FILES = (BAGIT_TXT, BAG_INFO, PAYLOAD_MANIFEST, TAG_MANIFEST)
BAGIT_DECLARATION = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"


def write_bag_files(root: Path, files: Mapping[str, Mapping[str, Any]], info: list[tuple[str, str]]) -> None:
    """Write the BagIt tag files of the snapshot in ``root``, whose other files are all written.

    ``files`` is the manifest's table (the payload's digests are taken from it,
    not computed again); ``info`` the ``bag-info.txt`` fields after
    ``Payload-Oxum``, in order.
    """
    payload = _payload(files)
    octets = sum(int(files[name]["bytes"]) for name in payload)
    _write_text(root / PAYLOAD_MANIFEST, "".join(f"{files[name]['sha256']}  {name}\n" for name in payload))
    _write_text(root / BAGIT_TXT, BAGIT_DECLARATION)
    fields = [("Payload-Oxum", f"{octets}.{len(payload)}"), *info]
    _write_text(root / BAG_INFO, "".join(f"{label}: {_one_line(value)}\n" for label, value in fields))
    tagged = sorted(p.name for p in root.iterdir() if p.is_file() and p.name != TAG_MANIFEST)
    _write_text(root / TAG_MANIFEST, "".join(f"{_sha256_file(root / name)[0]}  {name}\n" for name in tagged))


def bag_problems(root: Path, files: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """What makes ``root`` an invalid bag, or a bag that disagrees with its manifest table ``files``.

    The payload's own bytes are checked against ``files`` by the verifier;
    here the bag's manifest must list exactly those files with the same
    digests, and every tag file must match the tag manifest.
    """
    problems = []
    missing = [name for name in BAG_FILES if not (root / name).is_file()]
    if missing:
        return [f"{name}: missing (a snapshot is a BagIt bag)" for name in missing]
    if (root / BAGIT_TXT).read_bytes() != BAGIT_DECLARATION.encode():
        problems.append(f"{BAGIT_TXT}: not the BagIt 1.0 declaration")
    listed, bad = _read_checksums(root / PAYLOAD_MANIFEST)
    problems += bad
    payload = _payload(files)
    for name in payload:
        if name not in listed:
            problems.append(f"{PAYLOAD_MANIFEST}: does not list {name}")
        elif listed[name] != files[name].get("sha256"):
            problems.append(f"{PAYLOAD_MANIFEST}: sha256 of {name} differs from manifest.json's")
    problems += [f"{PAYLOAD_MANIFEST}: lists {name}, which manifest.json does not" for name in listed if name not in files]
    oxum = f"{sum(int(files[name].get('bytes', -1)) for name in payload)}.{len(payload)}"
    if f"Payload-Oxum: {oxum}\n" not in (root / BAG_INFO).read_text(encoding="utf-8", errors="replace"):
        problems.append(f"{BAG_INFO}: Payload-Oxum is not {oxum} (bytes.files of the payload)")
    tags, bad = _read_checksums(root / TAG_MANIFEST)
    problems += bad
    present = sorted(p.name for p in root.iterdir() if p.is_file() and p.name != TAG_MANIFEST)
    for name in present:
        if name not in tags:
            problems.append(f"{TAG_MANIFEST}: does not list {name}")
        elif tags[name] != _sha256_file(root / name)[0]:
            problems.append(f"{name}: sha256 does not match {TAG_MANIFEST}")
    problems += [f"{TAG_MANIFEST}: lists {name}, which is missing" for name in tags if name not in present]
    return problems


def _payload(files: Mapping[str, Any]) -> list[str]:
    return sorted(name for name in files if name.startswith(f"{PAYLOAD}/"))


def _read_checksums(path: Path) -> tuple[dict[str, str], list[str]]:
    """``{file: sha256}`` from a BagIt manifest, and a problem per line that is not ``DIGEST  PATH``."""
    listed: dict[str, str] = {}
    problems = []
    for n, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        digest, _, name = line.partition(" ")
        if len(digest) != 64 or not name.strip():
            problems.append(f"{path.name} line {n}: not 'SHA256  PATH'")
            continue
        listed[name.strip()] = digest.lower()
    return listed, problems


def _one_line(value: str) -> str:
    """A bag-info value on one line: RFC 8493 reads a line break as the end of the value."""
    return " ".join(str(value).split())


def _write_text(path: Path, text: str) -> None:
    with open(path, "wb") as f:
        f.write(text.encode("utf-8"))
        f.flush()
        os.fsync(f.fileno())
