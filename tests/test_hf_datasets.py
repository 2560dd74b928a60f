"""A snapshot's data shards load with Hugging Face ``datasets.load_dataset("json" or "parquet", ...)`` as they are."""

import dataclasses
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT
from corpus.engines.local import run
from corpus.pipeline import load_pipeline
from corpus.snapshot import load_snapshot

pytest.importorskip("datasets", reason="Hugging Face datasets is not installed (pip install -e '.[dev]')")

LOAD = """
import glob, json, sys
import datasets
files = sorted(glob.glob(sys.argv[1] + "/data/data-*.jsonl.gz"))
ds = datasets.load_dataset("json", data_files=files, split="train", cache_dir=sys.argv[2])
print(json.dumps({"rows": ds.num_rows, "columns": ds.column_names, "ids": list(ds["id"]),
                  "copies": [len(c) for c in ds["copies"]]}))
"""


def test_snapshot_shards_load_with_datasets(tmp_path):
    out = tmp_path / "snap"
    pipeline = load_pipeline(ROOT / "pipelines" / "case_reporting.toml").with_overrides(output=str(out))
    result = run(pipeline)
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, "-c", LOAD, str(out), str(tmp_path / "cache")], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded["rows"] == result.counts["kept"]
    assert loaded["columns"] == ["id", "text", "title", "published", "source", "url", "story", "removed", "copies",
                                 "metadata"]
    assert "003_45cc1c45fa8d7dc6" in loaded["ids"]
    assert max(loaded["copies"]) == 5


LOAD_PARQUET = """
import glob, json, sys
import datasets
files = sorted(glob.glob(sys.argv[1] + "/data/data-*.parquet"))
ds = datasets.load_dataset("parquet", data_files=files, split="train", cache_dir=sys.argv[2])
print(json.dumps(ds.to_list(), ensure_ascii=False))
"""


def test_parquet_shards_load_with_datasets_as_the_jsonl_snapshot_holds_them(tmp_path):
    pipeline = load_pipeline(ROOT / "pipelines" / "case_reporting.toml")
    snapshots = {}
    for fmt in ("jsonl", "parquet"):
        output = dataclasses.replace(pipeline.output, path=str(tmp_path / fmt), format=fmt)
        snapshots[fmt] = run(dataclasses.replace(pipeline, output=output)).snapshot
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "HF_HOME": str(tmp_path / "hf")}
    done = subprocess.run([sys.executable, "-c", LOAD_PARQUET, str(snapshots["parquet"]), str(tmp_path / "cache")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = json.loads(done.stdout.strip().splitlines()[-1])
    for row in rows:
        row["metadata"] = json.loads(row["metadata"])
    expected = [d.to_json() for d in load_snapshot(snapshots["jsonl"]).documents()]
    assert len(rows) == len(expected) > 0 and max(len(r["copies"]) for r in rows) == 5
    assert rows == expected
