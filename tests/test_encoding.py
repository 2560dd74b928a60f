"""Encoding repair gives ftfy's own result, fixes named included, on every text.

``repair_encoding`` skips ftfy on a text with nothing for any fix to act on,
and skips each fix a text gives nothing to act on (corpus/clean/encoding.py).
Checked against ``ftfy_repair`` (ftfy's ``fix_and_explain`` itself) on the
samples, the benchmark generator's texts, real articles in ten languages, the
same damaged in the ways scraped text is, and generated strings.
"""

from __future__ import annotations

import csv
import gzip
import html
import json

import ftfy
import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)
import pytest
from ftfy import badness, chardata
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.generate import generate
from conftest import SAMPLES, SHARED
from corpus.clean.encoding import (
    MOJIBAKE_FOLLOWERS,
    MOJIBAKE_LEADS,
    REPAIR,
    _Triggers,
    ftfy_repair,
    has_utf8_mojibake,
    needs_repair,
    repair_encoding,
)

DATA = SHARED / "bench-data"
SEEDS = [p.read_text(encoding="utf-8") for p in sorted((SAMPLES / "text").glob("*.txt"))]


def damaged(text: str) -> list[str]:
    """``text`` as scraped news gets it: intact, mojibake (whole, or from the middle on), escaped, CRLF."""
    raw = text.encode("utf-8")
    half = len(raw) // 2
    return [
        text,
        raw.decode("sloppy-windows-1252"),
        raw.decode("latin-1"),
        text[: len(text) // 2] + raw[half:].decode("sloppy-windows-1252", errors="replace"),
        html.escape(text),
        text.replace(". ", ".\r\n"),
    ]


def assert_same_as_ftfy(texts: list[str]) -> None:
    for text in texts:
        assert repair_encoding(text) == ftfy_repair(text), text[:200]


def test_samples_and_their_damage_are_repaired_as_ftfy_does():
    assert_same_as_ftfy([variant for seed in SEEDS for variant in damaged(seed)])


def test_generated_benchmark_texts_are_repaired_as_ftfy_does():
    records, _ = generate(300, seed=3)
    texts = [r.get("text") or r["html"] for r in records]
    assert sum(needs_repair(t) for t in texts) > 20  # the generator's mojibake, and its pages' entities
    assert_same_as_ftfy(texts)


def test_the_shortcut_is_taken_on_clean_text():
    # Curly quotes, dashes, accents, other scripts: nothing for ftfy to do, and it is not called.
    for text in ("London’s police “refused” — they said.", "Köln / Göttingen: café, São Paulo, naïve",
                 "Москва — «новости»", "北京时间 新闻", "مرحبا بالعالم", "Ελληνικά νέα"):
        assert not needs_repair(text), text
        assert ftfy_repair(text) == (text, [])


@pytest.mark.parametrize("text,fix", [
    ("it&#x2019;s", "unescape_html"), ("caf\u00c3\u00a9", "utf-8"), ("a\x85b", "windows-1252"),
    ("\ufb01ne", "fix_latin_ligatures"), ("a\rb", "fix_line_breaks"), ("a\x00b", "remove_control_chars"),
    ("\x1b[31mred", "remove_terminal_escapes"), ("a\u2028b", "fix_line_breaks"), ("\ud83d\udca9", "fix_surrogates"),
    ("e\u0301", "NFC"), ("\ufeffhello", "remove_control_chars"), ("\u0080x \u2019", "fix_c1_controls"),
])
def test_each_fix_is_still_applied(text, fix):
    assert needs_repair(text)
    fixed, fixes = repair_encoding(text)
    assert fix in fixes
    assert (fixed, fixes) == ftfy_repair(text)


def test_other_configurations_are_ftfy_too():
    for config in (ftfy.TextFixerConfig(), ftfy.TextFixerConfig(uncurl_quotes=False, normalization="NFKC"),
                   ftfy.TextFixerConfig(fix_encoding=False, unescape_html=True)):
        for seed in SEEDS[:2]:
            for text in damaged(seed) + ["“Ｎｏ comment,” he said.", "x\u00ady &lt;b&gt;"]:
                assert repair_encoding(text, config) == ftfy_repair(text, config)


def test_every_alternative_of_the_badness_test_has_a_clue():
    # The clue stands in for ftfy's badness test only if it is narrower than "any non-ASCII text".
    clue = _Triggers.of(REPAIR).mojibake
    assert clue.pattern != "[^\\x00-\\x7f]"
    for text in ("Ã ", "â€™", "Ã©", "\u0085", "œ ", "×²", "вЂ", "ГўВЂВ™ ", "Â ", "a Â “"):
        assert badness.BADNESS_RE.search(text), text
        assert clue.search(text), text


# Characters ftfy's fixes and badness test look at, plus plain ones around them.
_SUSPECT = sorted({chr(c) for c in range(0x80, 0x250)} | set("€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ√≈‰∞≠≤≥")
                  | set(map(chr, chardata.LIGATURES)) | set(map(chr, chardata.CONTROL_CHARS))
                  | set("ВГРСўЂвβΒΓΞΟā\u2028\u2029\r\n\ufffd\ufeff"))
_PIECES = (st.sampled_from(_SUSPECT) | st.sampled_from(["a", "e", " ", ".", "&amp;", "&#8217;", "&nbsp", "<p>", "\x1b[1m"])
           | st.sampled_from(SEEDS[0].split()[:200]).map(lambda w: w.encode("utf-8").decode("sloppy-windows-1252")))
suspect_texts = st.lists(_PIECES, max_size=40).map("".join)
any_texts = st.text(st.characters(exclude_categories=()), max_size=80)


@settings(deadline=None, max_examples=400)
@given(suspect_texts | any_texts)
def test_repair_is_ftfy_on_generated_strings(text):
    assert repair_encoding(text) == ftfy_repair(text)
    if not needs_repair(text):
        assert ftfy_repair(text) == (text, [])


@settings(deadline=None, max_examples=400)
@given(suspect_texts)
def test_badness_is_never_found_without_the_clue(text):
    if not text.isascii() and badness.BADNESS_RE.search(text):
        assert _Triggers.of(REPAIR).mojibake.search(text)


def _semeval_texts() -> list[str]:
    with gzip.open(DATA / "semeval-2022-task8-sample" / "pairs.csv.gz", "rt", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [row[side] for row in rows[::8] for side in ("text1", "text2")]


def _bodies(name: str) -> list[str]:
    truth = json.loads((DATA / name / "ground-truth.json").read_text(encoding="utf-8"))
    return [value.get("articleBody") or "" for _, value in sorted(truth.items())]


@pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is absent (the shared benchmark data)")
def test_real_articles_in_ten_languages_are_repaired_as_ftfy_does():
    texts = _semeval_texts() + _bodies("aeb") + _bodies("readability")
    assert_same_as_ftfy(texts)
    assert_same_as_ftfy([t.encode("utf-8").decode("sloppy-windows-1252") for t in texts[::10]])


@pytest.mark.skipif(not DATA.exists(), reason=f"{DATA} is absent (the shared benchmark data)")
def test_real_pages_are_repaired_as_ftfy_does():
    # What cleaning repairs before extracting a page that shows mojibake: the whole page source.
    pages = []
    for name in ("aeb", "readability"):
        for path in sorted((DATA / name / "html").glob("*.html.gz"))[::25]:
            pages.append(gzip.decompress(path.read_bytes()).decode("utf-8"))
    assert_same_as_ftfy(pages)


def test_the_fixes_ftfy_runs_are_the_ones_accounted_for():
    # The shortcut knows what each of these fixes acts on; a fix added to ftfy would need its triggers.
    assert set(ftfy.FIXERS) == {
        "unescape_html", "remove_terminal_escapes", "restore_byte_a0", "replace_lossy_sequences",
        "decode_inconsistent_utf8", "fix_c1_controls", "fix_latin_ligatures", "fix_character_width",
        "uncurl_quotes", "fix_line_breaks", "fix_surrogates", "remove_control_chars",
    }
    assert chardata.HTML_ENTITY_RE.pattern.startswith("&")  # no entity without "&", which is checked first



def _mojibake_by_characters(text: str) -> bool:
    """The definition of UTF-8 mojibake :func:`has_utf8_mojibake` tests: a lead character, then a follower."""
    return any(a in MOJIBAKE_LEADS and b in MOJIBAKE_FOLLOWERS for a, b in zip(text, text[1:]))


@settings(deadline=None, max_examples=400)
@given(suspect_texts | any_texts | st.text(st.sampled_from(MOJIBAKE_LEADS + MOJIBAKE_FOLLOWERS + "aé\ud800€"), max_size=12))
def test_the_page_mojibake_test_searching_bytes_is_the_character_test(text):
    assert has_utf8_mojibake(text) == _mojibake_by_characters(text)


def test_the_page_mojibake_test_on_every_pair_of_its_characters():
    chars = MOJIBAKE_LEADS + MOJIBAKE_FOLLOWERS + "aZ \u00c1\u00f5\u00bf\u00c0\u2017\u201f\u20ad"
    for a in chars:
        for b in chars:
            assert has_utf8_mojibake(f"x{a}{b}y") == _mojibake_by_characters(f"x{a}{b}y"), (a, b)
