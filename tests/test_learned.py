"""Learned boilerplate without sources: a site's chrome is learned from its template; prose never is."""

from corpus.clean.learned import (ANY_SOURCE, UNSOURCED, LearnConfig, LineCounts, learn_boilerplate, line_key,
                                  scopes_of, source_of)
from corpus.document import Document

TOPICS = ["the council budget", "a new tram line", "the harbour wall", "school meals", "the river clean-up",
          "the night bus", "a library closure", "the market hall", "the bridge repairs", "the park cafe"]


def article(topic: str, n: int) -> list[str]:
    """Three prose paragraphs about ``topic``, different for each ``n``."""
    return [f"Councillors met on day {n} to discuss {topic}, and residents asked many questions about the plan.",
            f"The officer in charge of {topic} said the work would cost more than the {n} estimates so far.",
            f"A decision on {topic} is expected next month, after a consultation that runs for {n} more weeks."]


def site(name: str) -> tuple[list[str], list[str]]:
    """A site's chrome: a menu above the article, a footer below."""
    return ([f"{name} — local news", "News", "Sport", "What's on"],
            [f"More from {name}", f"Contact the {name} newsroom", f"© 2023 {name} Media Ltd. All rights reserved."])


def page(doc_id: str, chrome: tuple[list[str], list[str]], paragraphs: list[str]) -> Document:
    head, tail = chrome
    return Document(id=doc_id, text="\n\n".join(["\n".join(head), *paragraphs, "\n".join(tail)]))


def learn(docs: list[Document], config: LearnConfig = LearnConfig()):
    counts = LineCounts()
    for doc in docs:
        counts.add(doc)
    return learn_boilerplate(counts, config)


def corpus() -> list[Document]:
    """Four sites, four different articles each; one wire story under six more sites; no url, no source."""
    docs = []
    for s, name in enumerate(["Ledger", "Gazette", "Courier", "Herald"]):
        for k in range(4):
            docs.append(page(f"{name}-{k}", site(name), article(TOPICS[(s + k) % len(TOPICS)], 10 * s + k)))
    wire = article("the strike", 99) + ["“We will not carry guns until this is settled,” the union's chair said on Monday."]
    for name in ["Post", "Times", "Echo", "Star", "Mail", "Sun"]:
        docs.append(page(f"wire-{name}", site(name), wire))
    return docs


def test_documents_of_one_site_share_their_edge_scopes():
    docs = corpus()
    assert all(doc.source is None and source_of(doc) == UNSOURCED for doc in docs)
    ledger, gazette = scopes_of(docs[0]), scopes_of(docs[4])
    assert all(scopes_of(doc) == ledger for doc in docs[:4])
    assert ledger and not set(ledger) & set(gazette)
    # No scope of every sourceless document: they are no site, and a quote in half of them is no chrome.
    assert UNSOURCED not in ledger
    assert scopes_of(Document(id="x", text="Any\ntext", source="ledger.example"))[0] == "ledger.example"


def test_a_sites_chrome_is_learned_without_sources_and_stripped():
    docs = corpus()
    learned = learn(docs)
    rows = learned.report()
    ledger = {row["line"] for row in rows if row["source"] == UNSOURCED}
    head, tail = site("Ledger")
    assert set(head + tail) <= ledger
    stripped = learned.strip(docs[0])
    assert stripped.text == "\n\n".join(article(TOPICS[0], 0))
    assert {r.line for r in stripped.removed if r.rule == "learned"} == set(head + tail)


def test_syndicated_and_quoted_prose_is_never_learned():
    docs = corpus()
    lines = {row["line"] for row in learn(docs).report()}
    wire = article("the strike", 99)
    assert not lines & set(wire)
    assert not any("carry guns" in line for line in lines)
    # Every site's menu: learned among the pages without a source.
    assert {"News", "Sport", "What's on"} <= {row["line"] for row in learn(docs).report() if row["source"] == UNSOURCED}


def test_a_quote_in_articles_of_several_templates_is_not_learned():
    quote = "“Nobody will be left behind,” the mayor told the meeting on Thursday evening in the town hall."
    docs = [page(f"{name}-q", site(name), article(TOPICS[k], k) + [quote])
            for k, name in enumerate(["Ledger", "Gazette", "Courier", "Herald"])]
    docs += [page(f"{name}-{k}", site(name), article(TOPICS[k + 4], k + 40)) for k, name in enumerate(["Ledger", "Gazette"])]
    assert quote not in {row["line"] for row in learn(docs).report()}


def test_a_named_source_with_several_templates_learns_each_templates_chrome():
    """One source over ten templates (one registrable domain, several sections): no template's chrome is in
    half the source's documents, yet each is learned from its own template's pages; the wire story is not."""
    docs = [Document(id=d.id, text=d.text, source="one-pool") for d in corpus()]
    rows = learn(docs).report()
    learned = {row["line"] for row in rows if row["source"] == "one-pool"}
    head, tail = site("Ledger")
    assert set(head[:1] + tail) <= learned
    assert {row["documents"] for row in rows if row["line"] == tail[-1]} == {4}  # the Ledger template's pages
    assert not learned & set(article("the strike", 99))
    without_templates = LineCounts()
    for doc in docs:  # the same documents counted by source alone: the site's footer reaches no share
        without_templates.per_source["one-pool"].update({line_key(line) for line in doc.text.split("\n") if line})
        without_templates.documents["one-pool"] += 1
    assert without_templates.per_source["one-pool"][line_key(tail[-1])] < 0.5 * len(docs)


def test_a_line_without_letters_is_never_learned():
    docs = [page(f"d{k}", site("Ledger"), article(TOPICS[k], k) + ["2023", "1 / 5"]) for k in range(6)]
    lines = {row["line"] for row in learn(docs).report()}
    assert "Contact the Ledger newsroom" in lines
    assert not lines & {"2023", "1 / 5"}


def test_page_chrome_keeps_the_template_it_strips():
    """Cleaning with page_chrome records the edge scopes before the chrome (its first and last lines) goes."""
    from corpus.clean import CleanConfig, Cleaner

    cleaner = Cleaner(CleanConfig(page_chrome=True))
    docs = corpus()
    cleaned = [cleaner.clean(doc) for doc in docs[:4]]  # one site's four articles
    assert all(not doc.text.startswith("Ledger") for doc in cleaned)
    assert set.intersection(*(set(scopes_of(doc)) for doc in cleaned))  # they meet in a scope
    # The same scopes as without page_chrome: the text's edges once the rules have run.
    assert scopes_of(cleaned[0]) == scopes_of(Cleaner().clean(docs[0]))
    assert [scope.split("\0")[1] for scope in scopes_of(cleaned[0])] == cleaned[0].metadata["template"]


def test_a_site_whose_pages_open_with_their_own_title_is_learned_by_its_footer():
    """No chrome above the article: the first lines are each page's own, the last ones the site's.
    The pages still meet in the scope of their last lines, and the footer is learned."""
    _, tail = site("Ledger")
    docs = [Document(id=f"t{k}", text="\n\n".join([f"Headline number {k} about {TOPICS[k]}",
                                                    *article(TOPICS[k], k), "\n".join(tail)]))
            for k in range(6)]
    learned = learn(docs)
    assert set(tail) <= {row["line"] for row in learned.report() if row["source"] == UNSOURCED}
    stripped = learned.strip(docs[0])
    assert stripped.text.startswith("Headline number 0") and not set(tail) & set(stripped.text.split("\n"))


def test_a_quote_that_ends_several_different_articles_is_not_learned():
    """Extractor-clean text without sources: three write-ups of one event end with the same quote, and
    two with the same two closing lines. Edges are two lines, and the different-articles test holds."""
    quote = "“Nobody will be left behind,” the mayor told the meeting on Thursday evening in the town hall."
    sign_off = "The mayor's office said more details would follow in the coming days, after the talks."
    docs = [Document(id=f"q{k}", text="\n\n".join([*article(TOPICS[k], k), quote])) for k in range(3)]
    docs += [Document(id=f"s{k}", text="\n\n".join([*article(TOPICS[k + 3], k), sign_off, quote])) for k in range(2)]
    lines = {row["line"] for row in learn(docs).report()}
    assert not lines & {quote, sign_off}
    assert not lines & {line for doc in docs for line in doc.text.split("\n")}


TEASERS = ["The harbour wall will be rebuilt next spring, the council said on Friday night.",
           "School meals will cost more from September, parents were told at a meeting.",
           "The night bus returns to the old town after a long campaign by residents."]


def test_a_page_whose_text_is_only_its_sites_teasers_is_rejected_not_merged(tmp_path):
    """Pages of one site whose extractor kept its "most read" teasers under each article, and three whose
    extracted text is those teasers alone: the teasers are learned (they end different articles), the three
    pages are rejected with the reason, and the articles keep every line and merge with nothing."""
    import json

    from corpus.engines.local import run
    from corpus.pipeline import pipeline_from_dict
    from corpus.snapshot import load_snapshot

    records = [{"id": f"article-{k}", "source": "ledger.example",
                "text": "\n\n".join([f"Headline {k}: {TOPICS[k]}", *article(TOPICS[k], k), *TEASERS])} for k in range(5)]
    records += [{"id": f"teasers-{k}", "source": "ledger.example", "text": "\n\n".join(TEASERS)} for k in range(3)]
    (tmp_path / "pages.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    result = run(pipeline_from_dict({"input": {"paths": [str(tmp_path / "pages.jsonl")]},
                                     "output": {"path": str(tmp_path / "out")}}))
    rejected = {r.id: (r.stage, r.reason) for r in result.rejects}
    assert sorted(rejected) == [f"teasers-{k}" for k in range(3)]
    assert all(stage == "learned" and "learned boilerplate" in reason for stage, reason in rejected.values()), rejected
    snapshot = load_snapshot(tmp_path / "out")
    kept = {doc.id: doc.text for doc in snapshot.documents()}
    assert kept == {f"article-{k}": "\n\n".join([f"Headline {k}: {TOPICS[k]}", *article(TOPICS[k], k)]) for k in range(5)}
    assert not list(snapshot.clusters()) or all(len(c["members"]) <= 1 for c in snapshot.clusters())


def test_a_heading_that_many_sites_articles_share_stays():
    """Prose that looks like chrome: "What happens next", a heading in one article of each of six sites
    without sources. Each site's scope holds it once, and the sourceless pages as a whole are no scope:
    it stays, while each site's own chrome goes."""
    names = ["Ledger", "Gazette", "Courier", "Herald", "Post", "Times"]
    docs = []
    for s, name in enumerate(names):
        for k in range(3):
            paragraphs = article(TOPICS[(s + k) % len(TOPICS)], 10 * s + k)
            if k == 0:
                paragraphs = [*paragraphs[:2], "What happens next", paragraphs[2]]
            docs.append(page(f"{name}-{k}", site(name), paragraphs))
    learned = learn(docs)
    lines = {row["line"] for row in learned.report()}
    assert "What happens next" not in lines
    assert all(set(site(name)[1]) <= lines for name in names)
    assert "What happens next" in learned.strip(docs[0]).text.split("\n")


def with_summary(docs: list[Document], ids: set[str]) -> list[Document]:
    """``docs`` with a "Summary" heading above the article of each page in ``ids``."""
    out = []
    for doc in docs:
        if doc.id in ids:
            head, _, rest = doc.text.partition("\n\n")
            doc = Document(id=doc.id, text="\n\n".join([head, "Summary", rest]))
        out.append(doc)
    return out


def test_a_heading_learned_in_one_sites_scope_stays_in_another_sites_article():
    """"Summary" heads every article of one site without sources (learned there, as its chrome) and one
    article of another site: it is stripped from the first site's pages only, not from every sourceless page."""
    docs = with_summary(corpus(), {f"Ledger-{k}" for k in range(4)} | {"Gazette-0"})
    learned = learn(docs)
    assert "Summary" not in learned.strip(Document(id=docs[0].id, text=docs[0].text)).text.split("\n")
    gazette = learned.strip(Document(id=docs[4].id, text=docs[4].text))
    assert "Summary" in gazette.text.split("\n")
    assert "Contact the Gazette newsroom" not in gazette.text  # its own site's chrome still goes
    rows = [row for row in learned.report() if row["line"] == "Summary"]
    assert rows and all(row["source"] == UNSOURCED and UNSOURCED + "\0" + row["scope"] in scopes_of(docs[0])
                        for row in rows)
    # Its outermost scopes only: stripping it from the pages that open with the site's first line strips it
    # from those that open with its first two or three, so one row says all three.
    assert sorted(row["scope"].split(":")[1] for row in rows) == ["first1", "last1"]


def test_learned_lines_round_trip_through_report_rows_with_their_scopes():
    """The manifest's rows rebuild what strips the same lines from the same documents; rows written before
    lines were kept by scope (no "scope") strip their line from every sourceless document, as they did."""
    from corpus.clean.learned import LearnedBoilerplate

    docs = with_summary(corpus(), {f"Ledger-{k}" for k in range(4)} | {"Gazette-0"})
    learned = learn(docs)
    rebuilt = LearnedBoilerplate.from_report(learned.report())
    assert rebuilt.report() == learned.report()
    for doc in docs:
        assert rebuilt.strip(Document(id=doc.id, text=doc.text)).text == learned.strip(
            Document(id=doc.id, text=doc.text)).text
    old_rows = [{"source": UNSOURCED, "line": "Summary", "documents": 4}]
    assert "Summary" not in LearnedBoilerplate.from_report(old_rows).strip(
        Document(id="g", text=docs[4].text)).text.split("\n")


def variants(line: str, rng) -> list[str]:
    """``line`` written other ways that :func:`line_key` reads alike: case, spacing, other digits."""
    import re

    def respace(text: str) -> str:
        return re.sub(r" ", lambda _: rng.choice([" ", "  ", "\t", "\u00a0", " \u3000"]), text)

    def redigit(text: str) -> str:
        return re.sub(r"\d+", lambda _: rng.choice(["7", "1999", "٣", "00042"]), text)

    return [rng.choice(["", " ", "\t "]) + respace(redigit(f(line))) + rng.choice(["", "  ", "\r"])
            for f in (str.upper, str.lower, str.title, str.swapcase) for _ in range(3)]


def test_a_learned_line_is_stripped_however_its_case_spacing_and_digits_are_written():
    """Stripping looks at a line's first and last word before its key (:func:`line_ends`): a line of the
    learned key goes whatever its case ("STRASSE" for "Straße"), its spaces (tabs, no-break, ideographic)
    and its digits (other numbers, Arabic-Indic); a line of another key stays."""
    import random

    from corpus.clean.learned import LearnedBoilerplate, line_ends

    rng = random.Random(5)
    learned_lines = ["© 2023 The Straße Post", "Read more", "Subscribe from £1 a week.", "ᾳ 12 news ΣΑΣ"]
    kept_lines = ["Read more about the strike.", "The Straße Post said on Monday that 12 more would close.", "Read"]
    learned = LearnedBoilerplate({"s": {line_key(line): 3 for line in learned_lines}},
                                 {line_key(line): line for line in learned_lines})
    for line in learned_lines:
        for variant in variants(line, rng):
            assert line_key(variant) == line_key(line) and line_ends(variant) == line_ends(line)
            doc = learned.strip(Document(id="d", source="s", text="\n".join(kept_lines + [variant])))
            assert doc.text.split("\n") == kept_lines and [r.line for r in doc.removed] == [variant.strip()]
    # Without the learned lines' texts (no ends to compare), each line's key decides alone.
    keys_only = LearnedBoilerplate({"s": {line_key(line): 3 for line in learned_lines}}, {})
    doc = keys_only.strip(Document(id="d", source="s", text="\n".join(kept_lines + ["READ   MORE"])))
    assert doc.text.split("\n") == kept_lines and [r.line for r in doc.removed] == ["READ   MORE"]
