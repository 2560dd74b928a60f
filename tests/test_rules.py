"""Every built-in rule removes its examples and keeps its look-alike prose.

The cases live with the rules in corpus/clean/rules.toml (tests as data, as in
ftfy): adding a rule without examples of both kinds fails here.
"""

import pytest

from corpus.clean import BUILTIN_RULES, CleanConfig, Cleaner, Rule, clean_text
from corpus.clean.boilerplate import strip_boilerplate
from corpus.document import Document
from corpus.errors import ConfigError

RULES = {rule.name: rule for rule in BUILTIN_RULES}
EXAMPLES = [(rule.name, line) for rule in BUILTIN_RULES for line in rule.examples]
KEEPS = [(rule.name, line) for rule in BUILTIN_RULES for line in rule.keeps]


def test_every_rule_has_examples_and_keeps():
    for rule in BUILTIN_RULES:
        assert rule.examples, f"rule {rule.name} has no examples"
        assert rule.keeps, f"rule {rule.name} has no look-alike prose it must keep"


@pytest.mark.parametrize("name,line", EXAMPLES)
def test_rule_removes_its_examples(name, line):
    result = strip_boilerplate(line, [RULES[name]])
    assert [r.rule for r in result.removed] == [name]
    if RULES[name].match == "line":
        assert result.text.strip() == ""


@pytest.mark.parametrize("name,line", KEEPS)
def test_rule_keeps_lookalike_prose(name, line):
    assert strip_boilerplate(line, [RULES[name]]).text == line


@pytest.mark.parametrize("name,line", KEEPS)
def test_no_builtin_rule_removes_any_keep_line(name, line):
    # A keep line of one rule must survive all the others too, in a real article body.
    text = f"The officer was charged on Wednesday.\n\n{line}\n\nHe appeared in court last week."
    assert line in clean_text(text)


@pytest.mark.parametrize(
    "prose",
    [
        "Supporters were urged to share the appeal on social media and sign the petition.",
        "The Police Federation newsletter said members felt abandoned by the decision.",
        "Readers can subscribe to the inquiry's updates, the IOPC said in a statement.",
        "Related news emerged later that evening, when the commissioner wrote to the home secretary.",
        "By Sunday, more than 100 officers had handed in their permits.",
    ],
)
def test_prose_that_mentions_chrome_stays(prose):
    assert clean_text(f"World News\n{prose}\nShare") == prose


def test_date_line_value_goes_to_published():
    doc = Cleaner().clean(Document(id="d", text="Published: 15 November 2023\nOfficers refused to carry guns."))
    assert doc.published == "2023-11-15"
    assert doc.text == "Officers refused to carry guns."


def test_date_prefix_keeps_the_prose_after_it():
    doc = Cleaner().clean(Document(id="d", text=" date 2023-11-15 London’s police asked the army for help."))
    assert doc.text == "London’s police asked the army for help."
    assert doc.published == "2023-11-15"
    assert [(r.rule, r.line) for r in doc.removed] == [("date-prefix", "date 2023-11-15")]


def test_an_impossible_date_is_not_taken_and_the_line_stays():
    doc = Cleaner().clean(Document(id="d", text="2023-02-30\nOfficers refused to carry guns."))
    assert doc.published is None
    assert doc.text.startswith("2023-02-30")


def test_head_rules_only_apply_near_the_top():
    body = "\n".join(f"Paragraph {i} of the report." for i in range(12))
    text = f"By Jane Smith\n{body}\nBy Jane Smith"
    doc = Cleaner().clean(Document(id="d", text=text))
    assert [r.rule for r in doc.removed] == ["byline"]
    assert doc.text.endswith("By Jane Smith")


def test_rules_can_be_switched_off_and_added():
    config = CleanConfig(disabled_rules=frozenset({"section-label"}))
    assert clean_text("World News\nThe officer was charged.", config).startswith("World News")
    extra = Rule(name="ledger-footer", pattern=r"the southwark ledger[^\n]*")
    config = CleanConfig(rules=BUILTIN_RULES + (extra,))
    assert clean_text("The officer was charged.\nThe Southwark Ledger, since 1998", config) == "The officer was charged."


def test_bad_rules_are_config_errors_naming_the_rule():
    with pytest.raises(ConfigError, match="rule 'x'.*regular expression"):
        Rule(name="x", pattern="(")
    with pytest.raises(ConfigError, match="where"):
        Rule(name="x", pattern="a", where="middle")
    with pytest.raises(ConfigError, match="no rule is named 'nope'"):
        CleanConfig(disabled_rules=frozenset({"nope"}))


# --------------------------------------------------------------------------- the line screen
# strip_boilerplate tries a line rule by rule only where one pattern of all the whole-line rules
# (the screen) says a rule may match; the removals must be those of trying every rule on every line.


def same_both_ways(text: str, rules=BUILTIN_RULES, edge_lines: int = 5) -> list[tuple[str, str]]:
    screened = strip_boilerplate(text, rules, edge_lines)
    one_by_one = strip_boilerplate(text, rules, edge_lines, screen=False)
    assert (screened.text, screened.removed, screened.fields) == (one_by_one.text, one_by_one.removed,
                                                                   one_by_one.fields)
    return [(r.rule, r.line) for r in screened.removed]


def test_screen_removes_what_the_rules_one_by_one_remove_in_the_rule_examples():
    lines = [line for rule in BUILTIN_RULES for line in rule.examples + rule.keeps]
    for edge_lines in (0, 2, 5):
        same_both_ways("\n".join(lines), edge_lines=edge_lines)
        same_both_ways("\n\n".join(reversed(lines)), edge_lines=edge_lines)


def test_screen_removes_what_the_rules_one_by_one_remove_in_generated_pages():
    from bench.generate import generate
    from corpus.clean.normalize import normalize_text

    records, _ = generate(300, seed=5)
    texts = [r["text"] for r in records if "text" in r]
    removed = sum(len(same_both_ways(normalize_text(t))) for t in texts)
    assert removed > 5 * len(texts)  # the generator's chrome is there to be removed


def test_screen_keeps_the_order_of_the_rules():
    # Both rules match "Share"; the first in the list names the removal, with or without the screen.
    first, second = Rule(name="first", pattern="share"), Rule(name="second", pattern="share|tweet")
    assert same_both_ways("Share\nTweet\nProse stays here.", (first, second)) == [("first", "Share"), ("second", "Tweet")]
    assert same_both_ways("Share\nProse stays here.", (second, first)) == [("second", "Share")]


def test_a_rule_that_does_not_apply_where_the_line_is_leaves_it_to_the_next():
    head_only = Rule(name="head-only", pattern="share", where="head")
    anywhere = Rule(name="anywhere", pattern="share|tweet")
    text = "\n".join(["Share"] + [f"Paragraph {i} of the report." for i in range(8)] + ["Share"])
    assert same_both_ways(text, (head_only, anywhere), edge_lines=2) == [("head-only", "Share"), ("anywhere", "Share")]


@pytest.mark.parametrize("pattern", [r"(share)\s+\1", r"(?P<word>share)\s+(?P=word)", r"(?s)share.share",
                                     r"(?x) share \s share", r"(share)?(?(1)\s+share|tweet)"])
def test_rules_the_screen_cannot_hold_are_still_tried_in_their_place(pattern):
    from corpus.clean.boilerplate import Screen

    special = Rule(name="special", pattern=pattern)
    later = Rule(name="later", pattern="share share|share\nshare|tweet")
    assert special in Screen.of((special, later)).candidates("Tweet")  # outside the screen: always tried
    assert same_both_ways("Share share\nProse stays here.", (special, later))[0][0] == "special"
