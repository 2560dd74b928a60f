"""The thin glue of `make bench-PART`: a part's JSON as Markdown, and pipeline settings for the real part."""

import pytest

from bench.report import part_section
from bench.tools.corpus_pipeline import parse_setting


def test_a_part_renders_rows_as_a_table_and_deeper_dicts_under_headings() -> None:
    data = {"pages": 311, "speed": {"uchardet": {"seconds": 1.3864, "pages_per_s": 442.8},
                                    "charset-normalizer": {"seconds": 12.2, "pages_per_s": 50.3}},
            "detectors": {"uchardet": {"right": 3048, "by_style": {"page none": {"right": 603, "cases": 614}}}}}
    text = part_section("encodings", data)
    assert text.startswith("### Real pages in legacy encodings")
    assert "pages: 311." in text
    assert "| | seconds | pages_per_s |" in text
    assert "| uchardet | 1.386 | 443 |" in text and "| charset-normalizer | 12.2 | 50.3 |" in text
    assert "#### detectors" in text and "| page none | 603 | 614 |" in text


def test_a_skipped_part_says_why() -> None:
    assert "Skipped: ../shared is absent." in part_section("chrome", {"skipped": "../shared is absent"})


def test_settings_are_toml_values_under_a_table() -> None:
    assert parse_setting("clean.page_chrome=true") == ("clean", "page_chrome", True)
    assert parse_setting("dedup.threshold = 0.8") == ("dedup", "threshold", 0.8)
    assert parse_setting('clean.disable_rules=["share"]') == ("clean", "disable_rules", ["share"])
    for bad in ("page_chrome=true", "clean.page_chrome", "clean.page_chrome=yes"):
        with pytest.raises(SystemExit, match="--set"):
            parse_setting(bad)


def test_the_scale_part_reads_the_stage_table_corpus_run_prints() -> None:
    from bench.scale import stage_usage
    from corpus.engines.local import RunResult, StageUsage

    usage = {"read+clean": StageUsage(12.5, 20.0, 300 * 2**20, 150 * 2**20),
             "dedup": StageUsage(3.25, 3.0, 900 * 2**20, 150 * 2**20)}
    table = RunResult(snapshot=None, counts={}, usage=usage).usage_summary()  # type: ignore[arg-type]
    rows = stage_usage("corpus: a warning\n" + table + "\n1000 inputs: ...")
    assert list(rows) == ["read+clean", "dedup"]
    assert rows["dedup"] == {"wall_s": 3.2, "cpu_s": 3.0, "peak_mb": 900, "worker_peak_mb": 150}


def test_the_scale_corpus_is_parts_of_distinct_ids(tmp_path, monkeypatch) -> None:
    import json

    from bench import scale

    monkeypatch.setattr(scale, "PART_DOCS", 40)
    manifest = scale.corpus_file(100, tmp_path)
    records = [json.loads(line) for line in (tmp_path / "raw.jsonl").read_text().splitlines()]
    assert manifest["documents"] == len(records) == 100
    assert len({r["id"] for r in records}) == 100 and len({r["url"] for r in records}) == 100
    assert all("text" in r and "html" not in r for r in records)
    assert {r["id"].split("-")[0] for r in records} == {"p0", "p1", "p2"}
    written = (tmp_path / "raw.jsonl").stat().st_mtime_ns
    assert scale.corpus_file(100, tmp_path) == manifest and (tmp_path / "raw.jsonl").stat().st_mtime_ns == written
