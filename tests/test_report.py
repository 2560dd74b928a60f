"""The HTML report: its numbers, its plots, and that a browser shows it without a network."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from corpus.dedup import Deduplicator
from corpus.dedup.review import HISTOGRAM_BINS
from corpus.document import Document, Reject, Removal
from corpus.report import SIMILARITY_BINS, ReportStats, render_report
from corpus.snapshot import write_snapshot

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def members(kept: str, *merged: tuple[str, float]) -> list[dict[str, Any]]:
    return [{"id": kept, "similarity": 1.0}] + [{"id": m, "similarity": s} for m, s in merged]


def small_corpus() -> tuple[list[Document], list[dict[str, Any]], list[Reject]]:
    """4 kept, 4 merged (clusters of 3, 2 and 2), 2 rejected: 10 inputs."""
    documents = [
        Document(id="bbc-1", text="Met officers stepped back from armed duties.", source="bbc", story="story-kaba",
                 title="Met officers step back",
                 removed=[Removal("share", "Share this article"), Removal("nav", "Home | News | UK")]),
        Document(id="itv-1", text="NX121 was charged with murder.", source="itv",
                 removed=[Removal("share", "Share this article"), Removal("promo", "<script>alert(1)</script>")]),
        Document(id="sky-1", text="Chris Kaba, 24, was shot by Met officers.", source="sky", story="story-kaba",
                 removed=[Removal("share", "Share this article")]),
        Document(id="grd-1", text="The Home Secretary ordered a review.", source="guardian", story="story-grd"),
    ]
    clusters = [
        {"cluster": "c0", "kept": "bbc-1", "policy": "earliest", "members": members("bbc-1", ("std-1", 0.97), ("mail-1", 0.83))},
        {"cluster": "c1", "kept": "itv-1", "policy": "earliest", "members": members("itv-1", ("ind-1", 0.91))},
        {"cluster": "c2", "kept": "sky-1", "policy": "earliest", "members": members("sky-1", ("mir-1", 0.86))},
    ]
    rejects = [
        Reject(stage="read", reason="not UTF-8 and not repairable", path="in/bad.html", line=None),
        Reject(stage="clean", reason="fewer than 20 words", id="short-1"),
    ]
    return documents, clusters, rejects


def stats() -> dict[str, Any]:
    documents, clusters, rejects = small_corpus()
    collected = ReportStats()
    for d in documents:
        collected.add_document(d)
    for c in clusters:
        collected.add_cluster(c)
    for r in rejects:
        collected.add_reject(r)
    return collected.to_dict(
        accounting={"inputs": 10, "kept": 4, "merged": 4, "rejected": 2},
        counts={"inputs": 10, "read": {"ok": 9, "rejected": 1}, "clean": {"ok": 8, "rejected": 1}},
        learned_lines=[{"source": "*", "line": "Share this article", "documents": 3},
                       {"source": "bbc", "line": "Home | News | UK", "documents": 2}],
        title="Kaba coverage",
    )


def test_stats_count_cluster_sizes_similarities_and_removed_lines() -> None:
    s = stats()
    assert s["cluster_sizes"] == [[2, 2], [3, 1]]
    assert sum(s["similarity"]["counts"]) == 4  # merged members only, not the kept ones
    assert len(s["similarity"]["edges"]) == SIMILARITY_BINS + 1
    assert s["similarity"]["counts"][19] == 1 and s["similarity"]["counts"][18] == 1  # 0.97 and 0.91
    assert s["similarity"]["counts"][16] == 1 and s["similarity"]["counts"][17] == 1  # 0.83 and 0.86
    by_rule = {rule: (total, lines) for rule, total, lines in s["removed_by_rule"]}
    assert by_rule["share"] == (3, [["Share this article", 3]])
    assert [source for source, _, _ in s["removed_by_source"]] == ["bbc", "itv", "sky"]
    assert s["sources"] == [["bbc", 1], ["guardian", 1], ["itv", 1], ["sky", 1]]
    assert s["rejects"] == [["clean", "fewer than 20 words", 1], ["read", "not UTF-8 and not repairable", 1]]


def test_report_is_deterministic_self_contained_and_escaped() -> None:
    page = render_report(stats())
    assert page == render_report(stats())
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert not re.search(r"<link|<img|<iframe|\bsrc=|url\(|@import", page)
    assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"] * page.count("<svg")
    assert "default-src 'none'" in page


def test_learned_lines_are_shown_per_source_with_their_counts() -> None:
    page = render_report(stats())
    review = page[page.index('id="review"'):page.index("</section>", page.index('id="review"'))]
    anywhere = review[review.index('<h4 data-source="*">'):review.index('<h4 data-source="bbc">')]
    bbc = review[review.index('<h4 data-source="bbc">'):]
    assert "<td class=line>Share this article</td><td class=n>3</td>" in anywhere and "Home | News" not in anywhere
    assert "<td class=line>Home | News | UK</td><td class=n>2</td>" in bbc and "Share this article" not in bbc


class _Dom(HTMLParser):
    """What a reader sees: section titles, the totals, and bars per chart."""

    def __init__(self) -> None:
        super().__init__()
        self.h2: list[str] = []
        self.totals: dict[str, str] = {}
        self.bars: dict[str, int] = {}
        self._stack: list[tuple[str, dict[str, str | None]]] = []
        self._chart: str | None = None
        self._total: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self._stack.append((tag, a))
        if tag == "svg":
            self._chart = a.get("data-chart")
        elif tag == "rect" and a.get("class") == "bar" and self._chart:
            self.bars[self._chart] = self.bars.get(self._chart, 0) + 1
        elif tag == "div" and a.get("data-count"):
            self._total = a["data-count"]

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._chart = None
        while self._stack and self._stack.pop()[0] != tag:
            pass

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1][0] == "h2":
            self.h2.append(data)
        if self._stack and self._stack[-1][0] == "b" and self._total:
            self.totals[self._total] = data
            self._total = None


def _chromium(*args: str, user_data: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={user_data}", *args],
        capture_output=True, text=True, timeout=120, check=True,
    )


def test_largest_stories_show_words_not_stems() -> None:
    stats = ReportStats()
    for doc in small_corpus()[0] + [Document(id="ap-1", text="Officers: the officer is named.", story="story-kaba")]:
        stats.add_document(doc)
    (kaba,) = stats.to_dict(accounting={})["largest_stories"]
    # "offi" was written "officers" twice, "Officers" and "officer" once each: the most frequent word stands for it.
    assert kaba["story"] == "story-kaba" and kaba["terms"] == ["Met", "officers"]  # rare first


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium) to render the report")
def test_chromium_shows_the_report_of_a_snapshot(tmp_path: Path) -> None:
    documents, clusters, rejects = small_corpus()
    snap = write_snapshot(tmp_path / "snap", documents, clusters, rejects,
                          manifest={"pipeline": {"name": "kaba"}, "counts": {"inputs": 10, "read": 10}},
                          learned_lines={"Share this article": 3})
    url = (snap / "report.html").as_uri()
    dom = _chromium("--dump-dom", url, user_data=tmp_path / "profile").stdout
    seen = _Dom()
    seen.feed(dom)
    assert seen.h2 == ["Accounting", "Review: is the threshold right?", "Counts per stage", "Kept documents per source", "Cluster size distribution",
                       "Stories: write-ups of one event", "Similarity of merged documents to the kept one", "Rejected inputs",
                       "Top removed lines per rule", "Top removed lines per source"]
    assert seen.totals == {"inputs": "10", "kept": "4", "merged": "4", "rejected": "2"}
    assert seen.bars["similarity"] == SIMILARITY_BINS
    assert seen.bars["cluster-sizes"] == 2  # sizes 2 and 3
    assert seen.bars["sources"] == 4
    assert seen.bars["rejects-by-stage"] == 2
    assert "inputs = kept + merged + rejected: 10 = 4 + 4 + 2" in dom
    assert seen.bars["story-sizes"] == 2  # a story of 2 and one of 1
    assert "story-kaba" in dom and "Chris Kaba, 24, was shot by Met officers. · Met officers step back" in dom
    assert "<td>Met officers</td>" in dom  # the headline terms the two write-ups share, as words

    png = tmp_path / "report.png"
    _chromium(f"--screenshot={png}", "--window-size=1000,1600", url, user_data=tmp_path / "profile")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def _between(page: str, start: str, end: str) -> str:
    at = page.index(start)
    return page[at:page.index(end, at)]


@pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium) to render the report")
def test_chromium_shows_the_review_of_near_threshold_pairs(tmp_path: Path) -> None:
    from test_review import near_copies

    result = Deduplicator().run(near_copies())
    learned = [{"source": "paper", "line": "Getting your Trinity Audio player ready...", "documents": 2},
               {"source": "*", "line": "Share this article", "documents": 3}]
    snap = write_snapshot(tmp_path / "snap", result.kept, result.clusters, [], manifest={"counts": {"inputs": 4}},
                          learned_lines=learned, review=result.review)
    url = (snap / "report.html").as_uri()
    dom = _chromium("--dump-dom", url, user_data=tmp_path / "profile").stdout
    seen = _Dom()
    seen.feed(dom)
    assert seen.h2[:2] == ["Accounting", "Review: is the threshold right?"]
    # The histogram of every verified candidate, merged or not, with the threshold drawn at 0.73 of its axis.
    assert seen.bars["candidates"] == HISTOGRAM_BINS
    chart = _between(dom, '<svg class="chart" data-chart="candidates"', "</svg>")
    axis = re.search(r'<line class="axis" x1="([\d.]+)" y1="[\d.]+" x2="([\d.]+)"', chart)
    marker = re.search(r'<line class="marker" data-marker="threshold 0.73" x1="([\d.]+)"', chart)
    assert axis and marker
    x0, x1 = float(axis[1]), float(axis[2])
    assert abs(float(marker[1]) - (x0 + 0.73 * (x1 - x0))) < 0.1
    assert "4 candidate pairs from LSH were verified by estimated containment: 1 at or above the threshold 0.73 merged, 3 below it not" in dom
    # The merged pair side by side, the merged copy's text too, its edits marked.
    above = _between(dom, 'data-near="above"', 'id="near-below"')
    assert re.search(r'<b>0\.9\d+</b> ≥ 0\.73: <span class="line">wire</span> and <span class="line">edited</span>', above)
    assert "<del>London </del>" in above and "<ins>the capital </ins>" in above
    below = _between(dom, 'data-near="below"', "<h3>Learned")
    assert below.count('class="pair"') == 3 and "mixed" in below and "<del>" in below and "<ins>" in below
    # Learned lines per source, with their counts.
    learned_part = _between(dom, "<h3>Learned boilerplate lines per source</h3>", "</section>")
    assert re.search(r'data-source="paper">paper.*Getting your Trinity Audio player ready\.\.\.</td><td class="n">2<', learned_part)

    png = tmp_path / "review.png"
    _chromium(f"--screenshot={png}", "--window-size=1000,2000", url, user_data=tmp_path / "profile")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_near_pair_text_dedup_had_not_is_taken_from_the_kept_documents() -> None:
    """A base row (an earlier snapshot's document) has no text in dedup; a kept one passes the report writer."""
    pair = {"a": "bbc-1", "b": "old-merged", "similarity": 0.7, "text_a": None, "text_b": None}
    review = {"threshold": 0.73, "edges": [0.0, 0.5, 1.0], "counts": [0, 1], "merged": 0, "above": [], "below": [pair]}
    collected = ReportStats(review=review)
    for doc in small_corpus()[0]:
        collected.add_document(doc)
    (shown,) = collected.to_dict(accounting={})["review"]["below"]
    assert shown["text_a"] == "Met officers stepped back from armed duties." and shown["text_b"] is None
    page = render_report(collected.to_dict(accounting={}))
    assert "Met officers stepped back from armed duties." in page and "text not in this run" in page
