"""Cleaning the sample articles: chrome goes, every sentence of the article stays."""

import re

import pytest

from conftest import SAMPLES
from corpus.clean import Cleaner, clean_html, clean_text
from corpus.document import Document
from corpus.readers import read

SEEDS = sorted((SAMPLES / "text").glob("*.txt"))
CHROME = ["Trinity Audio", "TDPel Media", "Thanks for reading", "World News", "Share on"]


def sentences(text: str) -> list[str]:
    """The sentences of a text's prose lines (lines of six words or more)."""
    found = []
    for line in text.splitlines():
        if len(line.split()) >= 6 and not any(chrome in line for chrome in CHROME):
            found += [s.strip() for s in re.split(r"(?<=[.!?”])\s+(?=[A-Z“])", line) if s.strip()]
    return found


@pytest.fixture(scope="module")
def cleaned():
    cleaner = Cleaner()
    return {doc.id: cleaner.clean(doc) for doc in read(SAMPLES / "text")}


def test_the_five_seeds_are_samples():
    assert len(SEEDS) == 5


def test_no_chrome_remains_in_the_seeds(cleaned):
    for doc in cleaned.values():
        for chrome in CHROME:
            assert chrome not in doc.text, (doc.id, chrome)
        assert not any(line.strip() == "|" for line in doc.text.splitlines()), doc.id
        assert not any(line.strip() == "Share" for line in doc.text.splitlines()), doc.id


def test_every_sentence_of_every_seed_remains(cleaned):
    for path in SEEDS:
        raw = path.read_text(encoding="utf-8")
        doc = cleaned[path.stem]
        flat = " ".join(doc.text.split())
        for sentence in sentences(raw):
            sentence = re.sub(r"^\s*date \d{4}-\d{2}-\d{2}\s+", "", sentence)
            assert " ".join(sentence.split()) in flat, (path.stem, sentence)


@pytest.mark.parametrize(
    "seed,sentence",
    [
        ("000_7e251f1d1e3ad37f", "The incident has highlighted a growing crisis of confidence in London’s police force"),
        ("001_9f6d73feaf8bfb0f", "London’s Metropolitan Police is exploring the possibility of seeking assistance from the British Army"),
        ("002_9424a0f75d81eaf2", "According to the Police Act of 1996, it is a crime to sow discord within the ranks."),
        ("003_45cc1c45fa8d7dc6", "His death prompted a number of protests and renewed allegations of racism within the force."),
        ("004_0370d9609c729879", "Their dedication and courage remain steadfast even as they grapple with the weight of their responsibilities."),
    ],
)
def test_named_sentences_survive(cleaned, seed, sentence):
    assert sentence in cleaned[seed].text


def test_the_date_of_001_is_published(cleaned):
    assert cleaned["001_9f6d73feaf8bfb0f"].published == "2023-11-15"
    assert not cleaned["001_9f6d73feaf8bfb0f"].text.startswith("date")


def test_every_removal_is_recorded_with_its_rule(cleaned):
    removed = {(r.rule, r.line) for r in cleaned["004_0370d9609c729879"].removed}
    assert ("published-on", "This article was published on TDPel Media. Thanks for reading!") in removed
    assert ("section-label", "World News") in removed
    assert {r.rule for r in cleaned["003_45cc1c45fa8d7dc6"].removed} == {"audio-player", "separator"}


def test_paragraphs_are_blank_line_blocks(cleaned):
    # 003 separates its paragraphs with single line breaks; the cleaned text uses blank lines.
    assert "\n\n" in cleaned["003_45cc1c45fa8d7dc6"].text
    assert "\n\n\n" not in cleaned["003_45cc1c45fa8d7dc6"].text


def test_cleaning_is_idempotent(cleaned):
    cleaner = Cleaner()
    for doc in cleaned.values():
        again = cleaner.clean(doc)
        assert again.text == doc.text
        assert again.removed == doc.removed
        assert again.published == doc.published


def test_lines_joined_after_a_removal_bring_a_footer_into_the_tail_rules():
    """Found by hypothesis: removing "* * *" let normalizing join the two lines around it, which put
    the copyright line among the last five, where the tail rules look; the first cleaning kept it and
    a second removed it. Cleaning repeats until stable, so one cleaning removes it."""
    report = "A 2022 report commissioned by the Met confirmed the force's institutional failings, revealing much."
    text = "\n".join(["© 2023 Northbank Post Ltd", report, report, report, "",
                      "London's Metropolitan Police is exploring the possibility", "* * *",
                      "15 November 2023 was the day the officer was charged."])
    once = Cleaner().clean(Document(id="d", text=text))
    assert [r.rule for r in once.removed] == ["separator", "copyright"]
    assert "possibility 15 November" in once.text
    again = Cleaner().clean(once)
    assert (again.text, again.removed) == (once.text, once.removed)


def test_mojibake_is_repaired_and_recorded():
    import ftfy.bad_codecs  # noqa: F401  (registers sloppy-windows-1252)

    broken = "London’s police don’t “know”".encode("utf-8").decode("sloppy-windows-1252")
    assert "â€" in broken
    doc = Cleaner().clean(Document(id="m", text=broken))
    assert doc.text == "London’s police don’t “know”"
    assert doc.metadata["encoding_fixes"]


def test_curly_quotes_and_full_width_stay():
    assert clean_text("“Ｎｏ comment,” he said.") == "“Ｎｏ comment,” he said."


def test_html_page_gives_article_and_metadata():
    html = """<html><head><title>Army on standby | The Example Times</title>
    <meta property="og:site_name" content="The Example Times">
    <meta property="article:published_time" content="2023-09-25T08:00:00Z">
    <link rel="canonical" href="https://www.times.example/news/army"></head>
    <body><nav><a href="/">Home</a> <a href="/world">World</a></nav>
    <article><h1>Army on standby</h1>
    <p>Getting your Trinity Audio player ready...</p>
    <p>The Ministry of Defence has offered soldiers to support armed police in London after officers stood down.</p>
    <p>More than 100 officers have turned in permits allowing them to carry weapons, a source said.</p>
    <p>Share on Facebook | Share on Twitter</p></article>
    <footer>© 2023 The Example Times</footer></body></html>"""
    doc = clean_html(html)
    assert "Ministry of Defence has offered soldiers" in doc.text
    assert "More than 100 officers have turned in permits" in doc.text
    assert "Trinity Audio" not in doc.text and "Share on" not in doc.text
    assert doc.published == "2023-09-25"
    assert doc.url == "https://www.times.example/news/army"
    assert doc.source == "times.example"
    assert doc.metadata["extracted_from"] == "html"


def test_html_without_article_is_a_cleaning_reject():
    rejects = []
    docs = [Document(id="empty", text="<html><body><div></div></body></html>", metadata={"format": "html"})]
    assert list(Cleaner().run(docs, on_reject=rejects.append)) == []
    assert rejects[0].stage == "clean" and rejects[0].id == "empty" and "no article text" in rejects[0].reason


def test_a_document_that_is_all_boilerplate_is_rejected_with_its_reason():
    rejects = []
    docs = [Document(id="chrome", text="World News\nShare\n|")]
    assert list(Cleaner().run(docs, on_reject=rejects.append)) == []
    assert "every line was boilerplate" in rejects[0].reason


def test_white_space_runs_collapse_as_one_pattern_over_every_run_would():
    # normalize rewrites only the runs that are not already one plain space; the result is the same.
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from corpus.clean.normalize import _SPACE_SET, _SPACES

    every_run = re.compile(f"[{_SPACE_SET}]+")

    @settings(deadline=None, max_examples=300)
    @given(st.text(st.sampled_from(list("ab\n.\u00ad") + [" ", " ", "\t", "\u00a0", "\u2003", "\u3000", "\u200b"])))
    def check(text):
        assert _SPACES.sub(" ", text) == every_run.sub(" ", text)

    check()
