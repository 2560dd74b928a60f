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
