"""The HTML report of a snapshot: what went in, what came out, and why.

:class:`ReportStats` gathers the numbers in the same single pass that writes
the snapshot; :func:`render_report` turns them into one self-contained HTML
file. Plots are inline SVG drawn here: no JavaScript, fonts, stylesheets or
images are fetched, so the report opens in any browser, offline, years later
(a Content-Security-Policy forbids loading anything). The same stats always
render to the same bytes.

The stats are a plain JSON-able dict (see :meth:`ReportStats.to_dict`)::

    title, created            str, str | None
    accounting                {"inputs", "kept", "merged", "rejected"}
    counts                    the pipeline's counts per stage (numbers, maybe nested)
    sources                   [[source, kept documents]]
    cluster_sizes             [[documents in the cluster, clusters]]
    story_sizes               [[documents in the story, stories]]
    largest_stories           [{"story", "documents", "terms", "titles"}], largest first; terms as words
    similarity                {"edges": [0.0, 0.05, ..., 1.0], "counts": [...]}
    rejects                   [[stage, reason, count]]
    removed_by_rule           [[rule, total, [[line, count], ...]]]
    removed_by_source         [[source, total, [[line, count], ...]]]
    learned_lines             [{"line", "count"} or the cleaner's {"source", "line", "documents"}]
    review                    dedup's verified candidates (:meth:`corpus.dedup.review.CandidateReview.to_record`)
                              or None: {"threshold", "edges", "counts", "merged", "above", "below"}, each near pair
                              {"a", "b", "similarity", "text_a", "text_b"}

The review section is for a curator deciding whether the threshold is right:
the similarity of every verified candidate pair, merged or not, with the
threshold drawn; the pairs nearest it on both sides, side by side with their
word-level differences marked (``<del>`` in the first, ``<ins>`` in the second);
and each source's learned lines.
"""

from __future__ import annotations

import difflib
import html
import math
import re
from collections import Counter, defaultdict
from collections.abc import Collection, Mapping
from typing import Any

from corpus.dedup.review import TEXT_SHOWN
from corpus.dedup.story import headline_terms, headline_words
from corpus.document import Document, Reject

SIMILARITY_BINS = 20
#: Members of a story whose titles and headline terms are kept for the report.
STORY_MEMBERS_READ = 20
#: Headline terms shown for each of the largest stories (each as its most frequent word).
STORY_TERMS_SHOWN = 8
UNKNOWN_SOURCE = "(unknown source)"


def _top(counter: Counter[Any], n: int | None) -> list[tuple[Any, int]]:
    """Most common first, ties broken by key, so the order never depends on arrival."""
    ranked = sorted(counter.items(), key=lambda item: (-item[1], str(item[0])))
    return ranked if n is None else ranked[:n]


class ReportStats:
    """Numbers for the report, fed one record at a time while a snapshot is written.

    ``top_lines`` bounds the removed lines shown per rule and per source,
    ``top_sources`` the sources shown with their removed lines. ``review`` is
    dedup's candidate record; a near pair's text dedup had none of (a base
    row) is taken from the kept documents as they pass.
    """

    def __init__(self, *, top_lines: int = 10, top_sources: int = 25, top_stories: int = 10,
                 review: Mapping[str, Any] | None = None) -> None:
        self.review = review
        self.review_texts: dict[str, str | None] = {}
        for pair in (review or {}).get("above", []) + (review or {}).get("below", []):
            for side in ("a", "b"):
                if pair[f"text_{side}"] is None:
                    self.review_texts[pair[side]] = None
        self.top_lines = top_lines
        self.top_sources = top_sources
        self.top_stories = top_stories
        self.story_sizes: Counter[str] = Counter()
        self.story_titles: defaultdict[str, list[str]] = defaultdict(list)
        self.story_terms: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.story_words: defaultdict[str, defaultdict[str, Counter[str]]] = defaultdict(lambda: defaultdict(Counter))
        self.headline_df: Counter[str] = Counter()
        self.sources: Counter[str] = Counter()
        self.removed_by_rule: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.removed_by_source: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.cluster_sizes: Counter[int] = Counter()
        self.similarity = [0] * SIMILARITY_BINS
        self.rejects: Counter[tuple[str, str]] = Counter()

    def add_document(self, doc: Document) -> None:
        source = doc.source or UNKNOWN_SOURCE
        self.sources[source] += 1
        if doc.id in self.review_texts:
            self.review_texts[doc.id] = doc.text[:TEXT_SHOWN]
        for removal in doc.removed:
            self.removed_by_rule[removal.rule][removal.line] += 1
            self.removed_by_source[source][removal.line] += 1
        if doc.story:
            self.story_sizes[doc.story] += 1
            terms = headline_terms(doc.text)
            self.headline_df.update(terms)
            if self.story_sizes[doc.story] <= STORY_MEMBERS_READ:
                self.story_titles[doc.story].append(doc.title or _short(doc.text, 90))
                self.story_terms[doc.story].update(terms)
                words = self.story_words[doc.story]
                for term, word in headline_words(doc.text):
                    words[term][word] += 1

    def _largest_stories(self) -> list[dict[str, Any]]:
        """The largest stories of two documents or more: their headline terms (shared, rare first) and titles.

        A term is shown as the word its members wrote most often for it (a
        stem such as "offi" reads as "officers").
        """
        docs = sum(self.story_sizes.values())
        largest = sorted((item for item in self.story_sizes.items() if item[1] > 1), key=lambda kv: (-kv[1], kv[0]))
        out = []
        for story, size in largest[: self.top_stories]:
            terms = self.story_terms[story]
            weight = {t: n * math.log((1 + docs) / self.headline_df[t]) for t, n in terms.items() if n > 1}
            top = sorted(weight, key=lambda t: (-weight[t], t))[:STORY_TERMS_SHOWN]
            words = self.story_words[story]
            top = [_top(words[t], 1)[0][0] if words[t] else t for t in top]
            out.append({"story": story, "documents": size, "terms": top, "titles": sorted(self.story_titles[story])[:5]})
        return out

    def add_cluster(self, cluster: Mapping[str, Any]) -> None:
        """Count a cluster's size and the similarity of each merged member to the kept one."""
        kept = cluster.get("kept")
        members = [m for m in cluster.get("members") or [] if isinstance(m, Mapping)]
        self.cluster_sizes[len({kept, *(m.get("id") for m in members)})] += 1
        for member in members:
            similarity = member.get("similarity")
            if member.get("id") == kept or not isinstance(similarity, (int, float)):
                continue
            index = min(max(int(float(similarity) * SIMILARITY_BINS), 0), SIMILARITY_BINS - 1)
            self.similarity[index] += 1

    def add_reject(self, reject: Reject) -> None:
        self.rejects[(reject.stage, reject.reason)] += 1

    def to_dict(
        self,
        *,
        accounting: Mapping[str, int],
        counts: Mapping[str, Any] | None = None,
        learned_lines: list[dict[str, Any]] | None = None,
        title: str = "corpus snapshot",
        created: str | None = None,
    ) -> dict[str, Any]:
        """The stats as the plain dict :func:`render_report` takes (deterministic order)."""
        by_source = sorted(self.removed_by_source.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
        return {
            "title": title,
            "created": created,
            "accounting": dict(accounting),
            "counts": dict(counts or {}),
            "sources": [list(item) for item in _top(self.sources, None)],
            "cluster_sizes": [[size, n] for size, n in sorted(self.cluster_sizes.items())],
            "story_sizes": [[size, n] for size, n in sorted(Counter(self.story_sizes.values()).items())],
            "largest_stories": self._largest_stories(),
            "similarity": {
                "edges": [round(i / SIMILARITY_BINS, 4) for i in range(SIMILARITY_BINS + 1)],
                "counts": list(self.similarity),
            },
            "rejects": [[stage, reason, n] for (stage, reason), n in _top(self.rejects, None)],
            "removed_by_rule": [
                [rule, sum(lines.values()), [list(item) for item in _top(lines, self.top_lines)]]
                for rule, lines in sorted(self.removed_by_rule.items())
            ],
            "removed_by_source": [
                [source, sum(lines.values()), [list(item) for item in _top(lines, self.top_lines)]]
                for source, lines in by_source[: self.top_sources]
            ],
            "removed_sources_not_shown": max(len(by_source) - self.top_sources, 0),
            "learned_lines": [dict(row) for row in learned_lines or []],
            "review": self._review(),
        }

    def _review(self) -> dict[str, Any] | None:
        if self.review is None:
            return None
        texts = self.review_texts

        def filled(pair: Mapping[str, Any]) -> dict[str, Any]:
            out = dict(pair)
            for side in ("a", "b"):
                if out[f"text_{side}"] is None:
                    out[f"text_{side}"] = texts.get(out[side])
            return out

        return {**self.review, "above": [filled(p) for p in self.review["above"]],
                "below": [filled(p) for p in self.review["below"]]}


# --------------------------------------------------------------------------- rendering

_CSS = """
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.25rem; margin-top: 2.2rem; border-bottom: 1px solid #ddd; }
h3 { font-size: 1.05rem; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
td, th { border: 1px solid #ddd; padding: .2rem .5rem; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
.line { font-family: ui-monospace, monospace; font-size: .85rem; white-space: pre-wrap; word-break: break-word; }
.totals { display: flex; gap: 1rem; flex-wrap: wrap; }
.total { border: 1px solid #ddd; border-radius: 6px; padding: .5rem 1rem; min-width: 7rem; }
.total b { display: block; font-size: 1.6rem; }
.ok { color: #1a7f37; } .bad { color: #c62828; font-weight: bold; }
.empty { color: #777; font-style: italic; }
svg.chart { display: block; margin: .5rem 0 1rem; }
svg.chart .bar { fill: #3b6ea8; } svg.chart text { font: 12px system-ui, sans-serif; fill: #333; }
svg.chart .axis { stroke: #888; stroke-width: 1; }
svg.chart line.marker { stroke: #c62828; stroke-width: 2; stroke-dasharray: 5 3; } svg.chart text.marker { fill: #c62828; }
.pair { border: 1px solid #ddd; border-radius: 6px; margin: .8rem 0; padding: .4rem .6rem; }
.pair header { font-size: .9rem; margin-bottom: .3rem; } .pair header b { font-variant-numeric: tabular-nums; }
.sides { display: grid; grid-template-columns: 1fr 1fr; gap: .8rem; }
.sides .text { font-size: .8rem; line-height: 1.35; white-space: pre-wrap; word-break: break-word; max-height: 16rem;
  overflow-y: auto; background: #fafafa; padding: .3rem .4rem; }
del { background: #ffd7d5; color: #82071e; } ins { background: #ccf2d4; color: #0b4d1d; text-decoration: none; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _n(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else _e(value)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _hbar_chart(name: str, rows: list[tuple[str, int]], *, width: int = 720) -> str:
    """Horizontal bars, one per labelled value: good for stages and sources."""
    if not rows:
        return '<p class="empty">Nothing to plot.</p>'
    label_w, value_w, bar_h, gap = 230, 70, 18, 6
    top = max(v for _, v in rows) or 1
    height = len(rows) * (bar_h + gap)
    parts = [
        f'<svg class="chart" data-chart="{_e(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(name)}">'
    ]
    for i, (label, value) in enumerate(rows):
        y = i * (bar_h + gap)
        w = round((width - label_w - value_w) * value / top, 1)
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end">{_e(_short(str(label), 34))}</text>'
            f'<rect class="bar" x="{label_w}" y="{y}" width="{w}" height="{bar_h}">'
            f"<title>{_e(label)}: {_n(value)}</title></rect>"
            f'<text x="{label_w + w + 6}" y="{y + 13}">{_n(value)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _column_chart(name: str, labels: list[str], values: list[int], *, x_title: str, y_title: str,
                  marker: tuple[float, str] | None = None) -> str:
    """Vertical bars over ordered categories: good for histograms.

    ``marker`` draws a vertical line at a fraction of the x axis, labelled (a threshold); the bars'
    labels are then their lower edges, written under the edge, so the line sits where its value reads.
    """
    if not values or not any(values):
        return '<p class="empty">Nothing to plot.</p>'
    width, height, left, bottom, top_pad = 720, 240, 56, 44, 14
    plot_w, plot_h = width - left - 10, height - bottom - top_pad
    top = max(values)
    slot = plot_w / len(values)
    every = max(1, len(values) // 10)  # label at most ~10 ticks so they do not overlap
    parts = [
        f'<svg class="chart" data-chart="{_e(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" aria-label="{_e(name)}">',
        f'<line class="axis" x1="{left}" y1="{top_pad + plot_h}" x2="{left + plot_w}" y2="{top_pad + plot_h}"/>',
        f'<line class="axis" x1="{left}" y1="{top_pad}" x2="{left}" y2="{top_pad + plot_h}"/>',
        f'<text x="{left - 6}" y="{top_pad + plot_h}" text-anchor="end">0</text>',
        f'<text x="{left - 6}" y="{top_pad + 10}" text-anchor="end">{_n(top)}</text>',
        f'<text x="{left + plot_w / 2:.1f}" y="{height - 4}" text-anchor="middle">{_e(x_title)}</text>',
        f'<text x="14" y="{top_pad + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {top_pad + plot_h / 2:.1f})">{_e(y_title)}</text>',
    ]
    for i, (label, value) in enumerate(zip(labels, values)):
        h = round(plot_h * value / top, 1)
        bar_w = min(slot * 0.8, 60)
        x = round(left + (i + 0.5) * slot - bar_w / 2, 1)
        parts.append(
            f'<rect class="bar" x="{x}" y="{round(top_pad + plot_h - h, 1)}" width="{round(bar_w, 1)}" '
            f'height="{h}"><title>{_e(label)}: {_n(value)}</title></rect>'
        )
        if i % every == 0:
            parts.append(
                f'<text x="{round(left + (i + (0 if marker else 0.5)) * slot, 1)}" y="{top_pad + plot_h + 16}" '
                f'text-anchor="middle">{_e(label)}</text>'
            )
    if marker is not None:
        at, text = marker
        x = round(left + plot_w * at, 1)
        parts.append(
            f'<line class="marker" data-marker="{_e(text)}" x1="{x}" y1="{top_pad - 4}" x2="{x}" y2="{top_pad + plot_h}"/>'
            f'<text class="marker" x="{x + 4}" y="{top_pad + 8}">{_e(text)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[Any]], *, numeric: Collection[int], mono: Collection[int] = ()) -> str:
    if not rows:
        return '<p class="empty">None.</p>'
    head = "".join(f'<th{" class=n" if i in numeric else ""}>{_e(h)}</th>' for i, h in enumerate(headers))
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            cls = "n" if i in numeric else "line" if i in mono else ""
            cells.append(f'<td{f" class={cls}" if cls else ""}>{_n(cell) if i in numeric else _e(cell)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _flatten(counts: Mapping[str, Any], prefix: str = "") -> list[tuple[str, Any]]:
    """Nested per-stage counts as dotted names: {"clean": {"kept": 3}} -> [("clean.kept", 3)]."""
    flat: list[tuple[str, Any]] = []
    for key, value in counts.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.extend(_flatten(value, f"{name}."))
        else:
            flat.append((name, value))
    return flat


def _section(anchor: str, title: str, *content: str) -> str:
    return f'<section id="{anchor}"><h2>{_e(title)}</h2>{"".join(content)}</section>'


def _accounting(acc: Mapping[str, int]) -> str:
    boxes = "".join(
        f'<div class="total" data-count="{key}">{_e(key)}<b>{_n(acc.get(key, 0))}</b></div>'
        for key in ("inputs", "kept", "merged", "rejected")
    )
    total = acc.get("kept", 0) + acc.get("merged", 0) + acc.get("rejected", 0)
    holds = acc.get("inputs") == total
    check = (
        f'<p class="{"ok" if holds else "bad"}">inputs = kept + merged + rejected: '
        f'{_n(acc.get("inputs"))} {"=" if holds else "≠"} {_n(acc.get("kept", 0))} + '
        f'{_n(acc.get("merged", 0))} + {_n(acc.get("rejected", 0))}</p>'
    )
    return f'<div class="totals">{boxes}</div>{check}'


def _removed_lines(groups: list[list[Any]], what: str) -> str:
    if not groups:
        return '<p class="empty">No lines were removed.</p>'
    parts = []
    for name, total, lines in groups:
        parts.append(f"<h3>{_e(name)} <small>(removed {_n(total)} times)</small></h3>")
        parts.append(_table(["line", "times"], lines, numeric={1}, mono={0}))
    return _hbar_chart(f"removed-by-{what}", [(g[0], g[1]) for g in groups]) + "".join(parts)


_WORD = re.compile(r"\S+\s*|\s+")


def word_diff(a: str, b: str) -> tuple[str, str]:
    """Two texts as HTML with their word-level differences marked: ``<del>`` in ``a``, ``<ins>`` in ``b``.

    Words are compared without the white space after them, which is kept as written.

    >>> word_diff("Officers refused to carry guns.", "Officers declined to carry guns.")
    ('Officers <del>refused </del>to carry guns.', 'Officers <ins>declined </ins>to carry guns.')
    """
    words_a, words_b = _WORD.findall(a), _WORD.findall(b)
    matcher = difflib.SequenceMatcher(None, [w.strip() for w in words_a], [w.strip() for w in words_b], autojunk=False)
    out_a, out_b = [], []
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        part_a, part_b = _e("".join(words_a[i1:i2])), _e("".join(words_b[j1:j2]))
        if op == "equal":
            out_a.append(part_a)
            out_b.append(part_b)
            continue
        if part_a:
            out_a.append(f"<del>{part_a}</del>")
        if part_b:
            out_b.append(f"<ins>{part_b}</ins>")
    return "".join(out_a), "".join(out_b)


def _pair(pair: Mapping[str, Any], relation: str) -> str:
    """One near pair side by side; ``relation`` to the threshold (``"≥ 0.73"``) is said, as 4 digits may not."""
    text_a, text_b = pair.get("text_a"), pair.get("text_b")
    if text_a is not None and text_b is not None:
        shown_a, shown_b = word_diff(text_a, text_b)
    else:
        missing = '<span class="empty">text not in this run: a document of the base snapshot, since merged</span>'
        shown_a = _e(text_a) if text_a is not None else missing
        shown_b = _e(text_b) if text_b is not None else missing
    return (
        f'<div class="pair" data-similarity="{pair["similarity"]}"><header>similarity <b>{pair["similarity"]:.4f}</b> {_e(relation)}: '
        f'<span class="line">{_e(pair["a"])}</span> and <span class="line">{_e(pair["b"])}</span></header>'
        f'<div class="sides"><div class="text" dir="auto">{shown_a}</div><div class="text" dir="auto">{shown_b}</div></div></div>'
    )


def _review(review: Mapping[str, Any] | None, learned: list[Mapping[str, Any]]) -> str:
    """The curator's review: all candidates' similarities, the pairs nearest the threshold, learned lines per source."""
    parts = []
    if review is None:
        parts.append('<p class="empty">No dedup candidates were recorded for this snapshot.</p>')
    else:
        threshold, edges, counts = review["threshold"], review["edges"], review["counts"]
        merged = review["merged"]
        parts += [
            "<h3>Similarity of every verified candidate pair</h3>",
            f"<p>{_n(sum(counts))} candidate pairs from LSH were verified by estimated containment: "
            f"{_n(merged)} at or above the threshold {threshold:g} merged, {_n(sum(counts) - merged)} below it not. "
            "Copies should sit right of the line, different articles left of it, with a gap between.</p>",
            _column_chart("candidates", [f"{edges[k]:.2f}" for k in range(len(counts))], list(counts),
                          x_title="estimated containment of the shorter document", y_title="candidate pairs",
                          marker=(threshold, f"threshold {threshold:g}")),
        ]
        for side, title, relation in (("above", "merged: nearest above the threshold", f"≥ {threshold:g}"),
                                      ("below", "not merged: nearest below it", f"< {threshold:g}")):
            pairs = review.get(side, [])
            parts.append(f'<h3 id="near-{side}">{len(pairs)} pair{"" if len(pairs) == 1 else "s"} {title}</h3>')
            parts.append(f'<div data-near="{side}">' + "".join(_pair(p, relation) for p in pairs) + "</div>"
                         if pairs else '<p class="empty">None.</p>')
        parts.append(f'<p class="empty">Texts are their first {TEXT_SHOWN:,} characters; words only in the left one '
                     "are <del>struck</del>, words only in the right one <ins>marked</ins>.</p>")
    parts.append("<h3>Learned boilerplate lines per source</h3>")
    parts.append(_learned_by_source(learned))
    return "".join(parts)


def _learned_by_source(rows: list[Mapping[str, Any]]) -> str:
    """Each source's learned lines with the number of documents they were removed from (``*``: any source)."""
    if not rows:
        return '<p class="empty">No lines were learned.</p>'
    by_source: defaultdict[str, list[list[Any]]] = defaultdict(list)
    for row in rows:
        count = row.get("documents", row.get("count", ""))
        by_source[str(row.get("source", "*"))].append([row.get("line", ""), count])
    parts = []
    for source in sorted(by_source):
        lines = sorted(by_source[source], key=lambda r: (-r[1] if isinstance(r[1], int) else 0, str(r[0])))
        name = "* (any source)" if source == "*" else source
        parts.append(f'<h4 data-source="{_e(source)}">{_e(name)} <small>({len(lines)} lines)</small></h4>')
        parts.append(_table(["line", "documents"], lines, numeric={1}, mono={0}))
    return "".join(parts)


def render_report(stats: Mapping[str, Any]) -> str:
    """The report as one self-contained HTML page (see the module docstring for ``stats``)."""
    acc = stats.get("accounting", {})
    counts = _flatten(stats.get("counts", {}))
    similarity = stats.get("similarity", {"edges": [], "counts": []})
    edges, sim_counts = similarity.get("edges", []), similarity.get("counts", [])
    sim_labels = [f"{edges[i]:.2f}" for i in range(len(sim_counts))]
    sizes = stats.get("cluster_sizes", [])
    stories = stats.get("story_sizes", [])
    largest = stats.get("largest_stories", [])
    rejects = stats.get("rejects", [])
    by_stage: Counter[str] = Counter()
    for stage, _, n in rejects:
        by_stage[stage] += n
    hidden = stats.get("removed_sources_not_shown", 0)
    created = stats.get("created")

    body = [
        f"<h1>{_e(stats.get('title', 'corpus snapshot'))}</h1>",
        f"<p>Created {_e(created)}.</p>" if created else "",
        _section("accounting", "Accounting", _accounting(acc)),
        _section("review", "Review: is the threshold right?",
                 _review(stats.get("review"), stats.get("learned_lines", []))),
        _section(
            "counts",
            "Counts per stage",
            _hbar_chart("counts", [(k, v) for k, v in counts if isinstance(v, int)]),
            _table(["stage", "count"], [[k, v] for k, v in counts], numeric={1}),
        ),
        _section("sources", "Kept documents per source", _hbar_chart("sources", stats.get("sources", [])[:30])),
        _section(
            "clusters",
            "Cluster size distribution",
            _column_chart(
                "cluster-sizes",
                [str(size) for size, _ in sizes],
                [n for _, n in sizes],
                x_title="documents in cluster",
                y_title="clusters",
            ),
            _table(["documents in cluster", "clusters"], [list(s) for s in sizes], numeric={0, 1}),
        ),
        _section(
            "stories",
            "Stories: write-ups of one event",
            _column_chart("story-sizes", [str(size) for size, _ in stories], [n for _, n in stories],
                          x_title="documents in story", y_title="stories"),
            _table(["documents in story", "stories"], [list(s) for s in stories], numeric={0, 1}),
            "<h3>Largest stories</h3>",
            _table(["story", "documents", "headline terms", "titles"],
                   [[s["story"], s["documents"], " ".join(s["terms"]), " · ".join(s["titles"])] for s in largest],
                   numeric={1}, mono={0})
            if largest else '<p class="empty">No story has two documents or more.</p>',
        ),
        _section(
            "similarity",
            "Similarity of merged documents to the kept one",
            _column_chart(
                "similarity", sim_labels, list(sim_counts), x_title="estimated Jaccard similarity", y_title="documents"
            ),
        ),
        _section(
            "rejects",
            "Rejected inputs",
            _hbar_chart("rejects-by-stage", _top(by_stage, None)),
            _table(["stage", "reason", "inputs"], rejects, numeric={2}),
        ),
        _section("removed-by-rule", "Top removed lines per rule", _removed_lines(stats.get("removed_by_rule", []), "rule")),
        _section(
            "removed-by-source",
            "Top removed lines per source",
            _removed_lines(stats.get("removed_by_source", []), "source"),
            f'<p class="empty">{_n(hidden)} more sources not shown.</p>' if hidden else "",
        ),
    ]
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f"<title>{_e(stats.get('title', 'corpus snapshot'))}</title><style>{_CSS}</style></head>\n"
        "<body>\n" + "\n".join(part for part in body if part) + "\n</body></html>\n"
    )
