"""Golden tests: every sample document, cleaned, equals its reviewed output in tests/golden/.

After a deliberate change to cleaning, regenerate with
``UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/test_golden.py`` and review the diff
of tests/golden/ before committing it.
"""

import json
import os
import re

import pytest

from conftest import ROOT, SAMPLES
from corpus.clean import Cleaner
from corpus.readers import read

GOLDEN = ROOT / "tests" / "golden"
DOCS = {doc.id: doc for doc in read(SAMPLES, exclude=["README*"], on_reject=lambda r: None)}


def golden_name(doc_id: str) -> str:
    return re.sub(r"[^\w.-]+", "_", doc_id).strip("_")


@pytest.mark.parametrize("doc_id", sorted(DOCS))
def test_sample_cleans_to_its_golden_output(doc_id):
    doc = Cleaner().clean(DOCS[doc_id])
    record = {
        "title": doc.title,
        "published": doc.published,
        "source": doc.source,
        "url": doc.url,
        "removed": [r.to_json() for r in doc.removed],
    }
    text_path = GOLDEN / f"{golden_name(doc_id)}.txt"
    meta_path = GOLDEN / f"{golden_name(doc_id)}.json"
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        text_path.write_text(doc.text + "\n", encoding="utf-8")
        meta_path.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert doc.text + "\n" == text_path.read_text(encoding="utf-8")
    assert record == json.loads(meta_path.read_text(encoding="utf-8"))


def test_every_golden_file_has_a_sample():
    names = {golden_name(i) for i in DOCS}
    assert {p.stem for p in GOLDEN.iterdir()} == names
