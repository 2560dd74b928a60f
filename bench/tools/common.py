"""What every runner shares: reading the input, timing stages, writing the result."""

from __future__ import annotations

import argparse
import json
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


class Stages:
    """Wall-clock seconds per named stage, in the order the stages ran."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start


def parser(description: str) -> argparse.ArgumentParser:
    """The arguments every runner takes; the LSH ones are shared so all tools run alike."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--input", type=Path, required=True, help="JSONL of documents with id and text")
    p.add_argument("--out", type=Path, required=True, help="result JSON to write")
    p.add_argument("--work", type=Path, required=True, help="scratch directory of this run")
    p.add_argument("--ngram", type=int, default=5, help="words per shingle")
    p.add_argument("--num-perm", type=int, default=128)
    p.add_argument("--threshold", type=float, default=0.7)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=2, help="processes a tool may use")
    return p


def read_docs(path: Path) -> tuple[list[str], list[str]]:
    """(ids, texts) of a JSONL file, in file order."""
    ids, texts = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            ids.append(str(record["id"]))
            texts.append(record["text"])
    return ids, texts


def write_result(path: Path, tool: str, version: str, labels: list[Any], stages: Stages, params: dict[str, Any], **extra: Any) -> None:
    """The runner's result; peak RSS of its worker processes is reported here (the parent's by the caller)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = {
        "tool": tool,
        "version": version,
        "params": params,
        "stages": stages.seconds,
        "labels": labels,
        "children_max_rss_kb": children,
        **extra,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result) + "\n")
