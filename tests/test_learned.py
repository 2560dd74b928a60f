"""Learned boilerplate without sources: a site's chrome is learned from its template; prose never is."""

from corpus.clean.learned import (ANY_SOURCE, TEMPLATE, LearnConfig, LineCounts, learn_boilerplate, line_key,
                                  source_of)
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


def test_documents_of_one_template_form_one_source():
    docs = corpus()
    assert all(doc.source is None for doc in docs)
    sources = {source_of(doc) for doc in docs}
    assert all(s.startswith(TEMPLATE) for s in sources) and len(sources) == 10
    assert source_of(Document(id="x", text="Any\ntext", source="ledger.example")) == "ledger.example"


def test_a_sites_chrome_is_learned_without_sources_and_stripped():
    docs = corpus()
    learned = learn(docs)
    rows = learned.report()
    ledger = {row["line"] for row in rows if row["source"] == source_of(docs[0])}
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
    # Shared by every site, and a line of more than five sources' different articles: learned across sources.
    assert {"News", "Sport", "What's on"} <= {row["line"] for row in learn(docs).report() if row["source"] == ANY_SOURCE}


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
    """Cleaning with page_chrome records the template before the chrome (its first and last lines) goes."""
    from corpus.clean import CleanConfig, Cleaner

    cleaner = Cleaner(CleanConfig(page_chrome=True))
    docs = corpus()
    cleaned = [cleaner.clean(doc) for doc in docs[:4]]  # one site's four articles
    assert all(not doc.text.startswith("Ledger") for doc in cleaned)
    assert len({source_of(doc) for doc in cleaned}) == 1
    # The same template as without page_chrome: the text's edges once the rules have run.
    assert source_of(cleaned[0]) == source_of(Cleaner().clean(docs[0])) == cleaned[0].metadata["template"]
