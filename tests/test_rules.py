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
