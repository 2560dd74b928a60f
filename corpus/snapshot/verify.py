"""Checking a snapshot from its files alone: :func:`verify_snapshot`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from corpus.errors import InputError
from corpus.snapshot.bag import BAG_FILES, bag_problems
from corpus.snapshot.format import MANIFEST, SIGNATURE_PARAMS, _sha256_file
from corpus.snapshot.ledger import _accounting_problem, _Ledger
from corpus.snapshot.load import _document_records, _read_manifest, _records, load_snapshot


def verify_snapshot(path: str | os.PathLike[str]) -> list[str]:
    """Every problem found in the snapshot at ``path``; an empty list means it is sound.

    Checks each file's presence, byte size and sha256; that compressed files
    decompress to the end with the recorded number of records; that nothing
    unlisted is in the directory; the accounting; that every merged id is in
    exactly one cluster; that no id is both kept and rejected; and that the
    BagIt files agree with the manifest and the tag files (format version 2;
    a flat snapshot of version 1 has none).
    """
    root = Path(path)
    try:
        manifest = _read_manifest(root)
    except InputError as exc:
        return [str(exc)]
    problems: list[str] = []
    files: dict[str, dict[str, Any]] = manifest["files"]
    bag = manifest["format_version"] >= 2
    expected = set(files) | {MANIFEST} | (set(BAG_FILES) if bag else set())
    for name in sorted(_present(root) - expected):
        problems.append(f"{name}: not listed in {MANIFEST}")

    ledger = _Ledger()
    readable: set[str] = set()
    for name, entry in files.items():
        file_problems = _verify_file(root, name, entry, ledger)
        problems.extend(file_problems)
        if not file_problems:
            readable.add(name)

    if all(name in readable for name, e in files.items() if e.get("role") in ("documents", "clusters", "rejects")):
        problems.extend(ledger.finish())
        recorded = manifest.get("accounting") or {}
        counted = ledger.accounting(recorded.get("inputs", -1))
        for key in ("kept", "merged", "rejected"):
            if recorded.get(key) != counted[key]:
                problems.append(f"{MANIFEST}: accounting says {key} = {recorded.get(key)}, the files hold {counted[key]}")
        if problem := _accounting_problem(counted):
            problems.append(f"{MANIFEST}: {problem}")
    problems.extend(_verify_signatures(root, manifest, readable, ledger))
    if bag:
        problems.extend(bag_problems(root, files))
    return problems


def _present(root: Path) -> set[str]:
    """Every file under ``root``, as a path relative to it (``data/clusters.jsonl.gz``)."""
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir()}


def _verify_file(root: Path, name: str, entry: Mapping[str, Any], ledger: _Ledger) -> list[str]:
    path = root / name
    if not path.is_file():
        return [f"{name}: missing"]
    digest, size = _sha256_file(path)
    problems = []
    if size != entry.get("bytes"):
        problems.append(f"{name}: {size} bytes, manifest says {entry.get('bytes')}")
    if digest != entry.get("sha256"):
        problems.append(f"{name}: sha256 {digest} does not match the manifest ({entry.get('sha256')})")
    role = entry.get("role")
    if role not in ("documents", "clusters", "rejects", "signature_ids"):
        return problems
    records = 0
    try:
        lines = _document_records(path, ["id"]) if role == "documents" else _records(path)
        unit = "row" if name.endswith(".parquet") else "line"
        for records, record in enumerate(lines, start=1):
            where = f"{name} {unit} {records}"
            if role == "documents":
                if not isinstance(record, dict) or not isinstance(record.get("id"), str):
                    problems.append(f"{where}: a document needs a string 'id'")
                    continue
                ledger.keep(record["id"], where)
            elif role == "clusters":
                ledger.cluster(record, where)
            elif role == "rejects":
                ledger.reject(record.get("id") if isinstance(record, dict) else None)
    except InputError as exc:
        problems.append(f"{name}: {exc.reason}" + (f" (line {exc.line})" if exc.line else ""))
        return problems
    if records != entry.get("records"):
        problems.append(f"{name}: {records} records, manifest says {entry.get('records')}")
    return problems


def _verify_signatures(root: Path, manifest: Mapping[str, Any], readable: set[str], ledger: _Ledger) -> list[str]:
    entry = manifest.get("signatures")
    if not entry:
        return []
    missing = [p for p in SIGNATURE_PARAMS if p not in entry.get("params", {})]
    problems = [f"{MANIFEST}: signature parameters {', '.join(missing)} missing"] if missing else []
    if entry.get("values") not in readable or entry.get("ids") not in readable:
        return problems  # already reported as a file problem
    try:
        signatures = load_snapshot(root).signatures()
    except InputError as exc:
        return problems + [str(exc)]
    assert signatures is not None
    if signatures.values.shape[1] != entry["params"].get("num_perm"):
        problems.append(
            f"{entry['values']}: {signatures.values.shape[1]} columns, num_perm is {entry['params'].get('num_perm')}"
        )
    if problem := ledger.signature_problem(signatures.ids, entry["ids"]):
        problems.append(problem)
    return problems
