"""The real benchmark's parts: templates from pages, the article swap, charsets, edits, line scores."""

from __future__ import annotations

import random

import pytest

from bench import real
from bench.metrics import line_scores

ARTICLE = ("The council voted on Tuesday to close the old library on Mill Street after forty years.\n\n"
           "Residents said the building had been in poor repair since the floods of last winter.\n\n"
           "A new library will open next spring in the former post office, the mayor said.")

PAGE = """<html><head><meta charset="utf-8"><title>Library to close</title></head><body>
<nav><ul><li>Home</li><li>Local news</li><li>Sport</li></ul></nav>
<article>
<p>The council voted on Tuesday to close the old library on Mill Street after forty years.</p>
<div class="promo">Read more: the council budget explained</div>
<p>Residents said the building had been in poor repair since the floods of last winter.</p>
<p>A new library will open next spring in the former post office, the mayor said.</p>
</article>
<footer><p>Copyright Millbrook Gazette, all rights reserved</p><p>Contact us | Advertise</p></footer>
</body></html>"""


def template() -> real.Template:
    t = real.make_template("gazette", "gazette.example", "en", PAGE, ARTICLE)
    assert t is not None
    return t


def test_a_page_becomes_chrome_before_inside_and_after_its_article():
    t = template()
    assert t.head == ("Home", "Local news", "Sport")  # <title> is not page text
    assert t.between == ("Read more: the council budget explained",)
    assert t.tail == ("Copyright Millbrook Gazette, all rights reserved", "Contact us | Advertise")
    assert t.swappable


def test_a_page_without_its_article_is_no_template():
    assert real.make_template("x", "x.example", "en", "<html><body><p>Only a menu</p></body></html>", ARTICLE) is None


def test_the_swapped_page_shows_the_copy_and_the_chrome_not_the_old_article():
    t = template()
    base = real.Base("other", "", ("Ferry services resume after a week of storms on the coast.",
                                    "Operators expect delays until the weekend."), "other", "en", "aeb")
    copy = real.Copy(base, t, "Ferries back", list(base.paragraphs))
    lines = real.visible_lines(real.page_html(copy))
    assert "Ferry services resume after a week of storms on the coast." in lines
    assert "Operators expect delays until the weekend." in lines
    assert "Read more: the council budget explained" in lines and "Contact us | Advertise" in lines
    assert not any("Mill Street" in line for line in lines)


@pytest.mark.parametrize("language, charset", [("en", "windows-1252"), ("pl", "iso-8859-2"), ("zh", "gbk")])
def test_a_re_encoded_page_declares_its_charset_as_chosen(language, charset):
    html = PAGE.replace("forty years", "forty years – “Zażółć” 图书馆")
    seen = set()
    for seed in range(40):
        data, used, how = real.encode_page(html, language, random.Random(seed))
        seen.add(how)
        if used == "utf-8":
            assert data == html.encode("utf-8")
            continue
        assert used == charset
        text = data.decode(charset)
        assert ("charset=" in text.lower()) == (how != "none")
        assert text.lower().count("charset") <= 1  # the page's own utf-8 declaration is gone
        assert "forty years" in text
    assert {"meta", "http-equiv", "none", "as-is"} <= seen


def test_edits_are_light_and_deterministic():
    paragraphs = tuple(f"Paragraph {k} tells how the river rose by {k} metres near the town of Ashford "
                       f"and the bridge closed for {k} days." for k in range(6))
    base = real.Base("b", "", paragraphs, "b", "en", "aeb")
    donors = ["An outlet added this sentence to the story."]
    copies = [real.edit(base, template(), random.Random(s), donors) for s in range(30)]
    assert [c.text for c in copies] == [real.edit(base, template(), random.Random(s), donors).text for s in range(30)]
    for c in copies:  # at most one paragraph cut, at most one sentence added
        assert len(paragraphs) - 1 <= len(c.paragraphs) <= len(paragraphs) + 1
    words = sum(len(p.split()) for p in paragraphs)
    changed = [real._change_words(list(paragraphs), 0.02, random.Random(s)) for s in range(50)]
    assert 0.01 * words <= sum(changed) / len(changed) <= 0.03 * words


def test_line_scores_count_chrome_left_and_prose_lost():
    expected = "First line of prose.\n\nSecond line of prose."
    assert line_scores([(expected, expected)])["f1"] == 1.0
    s = line_scores([(expected, "Share this\n\nFirst line of prose.")])
    assert (s["precision"], s["recall"]) == (0.5, 0.5)


def test_without_the_shared_data_the_benchmark_says_what_is_missing(tmp_path):
    with pytest.raises(real.DataMissing, match="real benchmark skipped.*aeb/ground-truth.json"):
        real.require(tmp_path)


def test_the_first_copy_of_an_article_without_a_page_is_swapped_into_its_site():
    base = real.Base("other", "", ("Ferry services resume after a week of storms on the coast.",), "other", "en",
                     "semeval")
    lines = real.visible_lines(real.page_html(real.Copy(base, template(), "", list(base.paragraphs), role="original")))
    assert "Ferry services resume after a week of storms on the coast." in lines
    assert not any("Mill Street" in line for line in lines)
