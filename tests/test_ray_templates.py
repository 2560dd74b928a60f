"""The Ray engine learns sourceless documents' chrome by their edge lines as the local engine does: the same bytes."""

import json

import pytest

from corpus.clean.learned import UNSOURCED
from corpus.pipeline import pipeline_from_dict
from corpus.snapshot import load_snapshot
from test_learned import corpus
from test_ray import assert_same_snapshot, ray_engine  # noqa: F401 (the fixture)

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")


@pytest.mark.parametrize("page_chrome", [False, True])
def test_page_text_without_sources_gives_the_same_bytes(ray_engine, tmp_path, page_chrome):  # noqa: F811
    raw = tmp_path / "raw"
    raw.mkdir()
    docs = corpus()
    for k in range(2):  # two files, so the documents of one template meet from different tasks
        with open(raw / f"part-{k}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"id": d.id, "text": d.text}) + "\n" for d in docs[k::2])
    pipeline = pipeline_from_dict({"input": {"paths": [str(raw)]}, "clean": {"page_chrome": page_chrome}})
    result = assert_same_snapshot(pipeline, tmp_path, ray_engine)
    if page_chrome:  # the classifier took the chrome before there was any to learn
        removed = {r.rule for doc in load_snapshot(tmp_path / "local").documents() for r in doc.removed}
        assert "chrome" in removed
    else:
        assert any(row["source"] == UNSOURCED for row in result.learned)


def test_one_source_over_several_templates_gives_the_same_bytes(ray_engine, tmp_path):  # noqa: F811
    """A named source whose templates each hold less than half its pages: learned by template in both engines."""
    raw = tmp_path / "raw"
    raw.mkdir()
    docs = corpus()
    for k in range(2):
        with open(raw / f"part-{k}.jsonl", "w", encoding="utf-8") as f:
            f.writelines(json.dumps({"id": d.id, "text": d.text, "source": "one-pool"}) + "\n" for d in docs[k::2])
    result = assert_same_snapshot(pipeline_from_dict({"input": {"paths": [str(raw)]}}), tmp_path, ray_engine)
    assert any(row["source"] == "one-pool" and row["line"] == "Contact the Ledger newsroom" for row in result.learned)
