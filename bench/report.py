"""Results JSON -> the Markdown tables that go into README.md (``bench/results/RESULTS*.md``).

    python -m bench.report bench/results/bench.json [--out bench/results/RESULTS.md]
    python -m bench.report bench/results/encodings.json [--out bench/results/RESULTS-encodings.md]

Prints the Markdown and writes it to ``--out``. Every number comes from the
JSON; nothing is measured here. A ``bench.run`` result gets its own tables; the
JSON of a standalone part (``PARTS``: ``bench.encodings``, ``bench.chrome``, ...)
is laid out as it is nested: a dict of same-shaped rows as a table, anything
deeper under a heading of its key.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path
from typing import Any

TOOL_ORDER = ("corpus", "datasketch", "datatrove", "text-dedup")
# Extraction must beat trafilatura's defaults by this much F1 on the AEB and Readability sets (issue #11).
EXTRACTION_MARGIN = 0.005


def _f(x: float | None, digits: int = 3) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def _n(x: float | None) -> str:
    return "–" if x is None else f"{x:,.0f}"


def _mb(kb: int | None) -> str:
    return "–" if not kb else f"{kb / 1024:,.0f}"


def dedup_table(size: dict[str, Any]) -> list[str]:
    n = size["documents"]
    tools = size["tools"]
    ref = tools.get("corpus", {})
    rows = [
        "| tool | wall s | docs/s | peak RSS MB | precision | recall | F1 | ARI | same-story pairs merged "
        "| short-article pairs merged | time / corpus |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    entries = [(name, tools[name]) for name in TOOL_ORDER if name in tools]
    if "corpus_e2e" in size:
        entries.append(("corpus end to end (raw pages: `corpus run`, read+clean+learn+dedup+snapshot)", size["corpus_e2e"]))
    if "corpus_ray" in size:
        entries.append(("corpus end to end on Ray (`corpus run --engine ray`, local Ray on every core)", size["corpus_ray"]))
    for name, r in entries:
        if not r.get("ok"):
            rows.append(f"| {name} | {r.get('error', 'failed')} |" + " |" * 9)
            continue
        s = r["scores"]
        ratio = r["wall_s"] / ref["wall_s"] if ref.get("ok") else None
        rows.append(
            f"| {name} | {_f(r['wall_s'], 1)} | {_n(n / r['wall_s'])} | {_mb(r.get('max_rss_kb'))} | {_f(s['precision'], 4)} "
            f"| {_f(s['recall'], 4)} | **{_f(s['f1'], 4)}** | {_f(s['ari'], 4)} | {s['same_story_merged_pairs']:,} "
            f"| {s['short_chrome_merged_pairs']:,} | {_f(ratio, 2)}x |"
        )
    return rows


def stage_table(size: dict[str, Any]) -> list[str]:
    rows = ["| tool | stage | seconds | docs/s | MB/s |", "|---|---|---:|---:|---:|"]
    entries = [("clean (once, for every tool)", size.get("clean", {}))]
    entries += [(name, size["tools"][name]) for name in TOOL_ORDER if size["tools"].get(name, {}).get("ok")]
    if size.get("corpus_e2e", {}).get("ok"):
        entries.append(("corpus end to end", size["corpus_e2e"]))
    if size.get("corpus_ray", {}).get("ok"):
        entries.append(("corpus end to end on Ray", size["corpus_ray"]))
    for name, r in entries:
        for stage, m in r.get("stages", {}).items():
            rows.append(f"| {name} | {stage} | {_f(m['seconds'], 2)} | {_n(m['docs_per_s'])} | {_f(m['mb_per_s'], 1)} |")
    return rows


def growth_table(results: dict[str, Any]) -> list[str]:
    """Each stage's seconds at every size, and how it grows: the exponent k in time ~ documents^k
    between the two largest sizes that measured it (1.0 is linear, 2.0 quadratic)."""
    sizes = sorted(results["sizes"], key=int)
    runs: dict[tuple[str, str], dict[str, float]] = {}
    for n in sizes:
        size = results["sizes"][n]
        entries = [(name, size["tools"][name]) for name in ("corpus",) if size["tools"].get(name, {}).get("ok")]
        entries += [(label, size[key]) for key, label in (("corpus_e2e", "end to end, local"),
                                                          ("corpus_ray", "end to end, Ray"))
                    if size.get(key, {}).get("ok")]
        for name, r in entries:
            runs.setdefault((name, "total (wall)"), {})[n] = r["wall_s"]
            for stage, m in r.get("stages", {}).items():
                runs.setdefault((name, stage), {})[n] = m["seconds"]
    rows = ["| run | stage | " + " | ".join(f"{int(n):,}" for n in sizes) + " | growth |",
            "|---|---|" + "---:|" * (len(sizes) + 1)]
    for (name, stage), seconds in runs.items():
        measured = [n for n in sizes if seconds.get(n)]
        growth = "–"
        if len(measured) >= 2:
            lo, hi = measured[-2], measured[-1]
            growth = f"n^{math.log(seconds[hi] / seconds[lo]) / math.log(int(hi) / int(lo)):.2f}"
        cells = " | ".join(_f(seconds.get(n), 2) for n in sizes)
        rows.append(f"| {name} | {stage} | {cells} | {growth} |")
    return rows


def targets(results: dict[str, Any]) -> list[str]:
    """Each target of the issue, met or missed and by how much."""
    out = []
    sig = results.get("signatures", {})
    if "speedup" in sig:
        speedup = sig["speedup"]
        verdict = "met" if speedup >= 10 else f"missed by {10 - speedup:.1f}x"
        out.append(f"- Signatures >= 10x datasketch `update_batch` (one core): **{speedup:.1f}x** — {verdict}; "
                   f"identical values: {sig['identical']}.")
    biggest = max(results["sizes"], key=int) if results["sizes"] else None
    size = results["sizes"][biggest] if biggest else {"tools": {}}
    tools, corpus = size["tools"], size["tools"].get("corpus", {})
    if corpus.get("ok"):
        f1 = corpus["scores"]["f1"]
        merged = corpus["scores"]["same_story_merged_pairs"]
        out.append(f"- F1 >= 0.97 with no reworded same-story pair merged ({int(biggest):,} docs): F1 **{f1:.4f}**, "
                   f"{merged} same-story pairs merged — {'met' if f1 >= 0.97 and merged == 0 else 'missed'}.")
        for peer in ("datatrove", "text-dedup"):
            r = tools.get(peer, {})
            if not r.get("ok"):
                out.append(f"- Faster than {peer} at {int(biggest):,}: not measured ({r.get('error', 'not run')}).")
                continue
            faster = corpus["wall_s"] < r["wall_s"]
            f1_ok = f1 >= r["scores"]["f1"]
            out.append(
                f"- Dedup of {int(biggest):,} faster than {peer} with F1 at least its: corpus {corpus['wall_s']:.1f} s vs "
                f"{r['wall_s']:.1f} s ({r['wall_s'] / corpus['wall_s']:.2f}x), F1 {f1:.4f} vs {r['scores']['f1']:.4f} — "
                f"{'met' if faster and f1_ok else 'missed'}."
            )
    compared = [(int(n), size["corpus_ray"]["files_differing_from_local"]) for n, size in results["sizes"].items()
                if "files_differing_from_local" in size.get("corpus_ray", {})]
    if compared:
        same = all(not differ for _, differ in compared)
        sizes = ", ".join(f"{n:,}" for n, _ in sorted(compared))
        detail = "" if same else " (" + "; ".join(f"{n:,}: {', '.join(d)}" for n, d in sorted(compared) if d) + ")"
        out.append(f"- Ray engine writes the same snapshot bytes as the local engine ({sizes} documents): "
                   f"{'every file the same' if same else 'files differ'}{detail} — {'met' if same else 'missed'}.")
    for key, name in (("aeb", "AEB"), ("readability", "Readability")):
        aeb = results.get(key, {})
        if "corpus" in aeb:
            d, lost = aeb["f1_difference"], len(aeb.get("lost_pages", []))
            met = d >= EXTRACTION_MARGIN and not lost
            out.append(f"- {name} extraction F1 >= trafilatura defaults + {EXTRACTION_MARGIN}, no page left empty "
                       f"that trafilatura extracts: corpus **{aeb['corpus']['f1']:.4f}** vs "
                       f"{aeb['trafilatura']['f1']:.4f} ({d:+.4f}), {lost} pages lost — {'met' if met else 'missed'}.")
        elif "skipped" in aeb:
            out.append(f"- {name}: skipped ({aeb['skipped']}).")
    return out


#: The real benchmark's targets per kind: (F1, precision) to reach.
REAL_TARGETS = {"a": (0.985, 0.995), "b": (0.95, None), "c": (0.90, None)}
REAL_KINDS = {"a": "text as an extractor leaves it (dedup only)", "b": "page text with url (`corpus run`)",
              "c": "page text, no url or source (`corpus run`)", "d": "HTML pages, some in legacy charsets (`corpus run`)"}


def real_section(real: dict[str, Any]) -> list[str]:
    """The real benchmark: per kind, pair scores, hard negatives, accounting, cleaning; per language."""
    if "skipped" in real:
        return ["", "### Real benchmark", "", f"Skipped: {real['skipped']}."]
    c = real["corpus"]
    lines = ["", "### Real benchmark (`bench/real.py`)", "",
             f"{c['bases']:,} real bases ({', '.join(f'{k} {v}' for k, v in c['bases_by_origin'].items())}), "
             f"{c['templates']} real pages as site templates ({c['swappable_templates']} with a swappable article), "
             "copies with syndication edits; same-story SemEval pairs and short articles under heavy chrome as "
             "hard negatives." + (f" Pipeline of kinds b-d with {', '.join(f'`{x}`' for x in real['settings'])}."
                                   if real.get("settings") else ""), "",
             "| kind | tool | docs | wall s | precision | recall | F1 | target | same-story pairs merged "
             "| short-article pairs merged | kept | merged | rejected | lost | cleaning P/R per line |",
             "|---|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"]
    for kind, result in real["kinds"].items():
        for name, r in result["tools"].items():
            if not r.get("ok"):
                lines.append(f"| {kind} | {name} | {result['documents']:,} | {r.get('error', 'failed')} |" + " |" * 11)
                continue
            s, acc = r["scores"], r.get("accounting", {})
            f1_target, p_target = REAL_TARGETS.get(kind, (None, None))
            target = "–"
            if f1_target is not None:
                met = s["f1"] >= f1_target and (p_target is None or s["precision"] >= p_target)
                target = f"F1 >= {f1_target}" + (f", P >= {p_target}" if p_target else "") + (": met" if met else ": missed")
            clean = r.get("cleaning")
            lines.append(
                f"| {kind}: {REAL_KINDS[kind]} | {name} | {result['documents']:,} | {_f(r['wall_s'], 1)} "
                f"| {_f(s['precision'], 4)} | {_f(s['recall'], 4)} | **{_f(s['f1'], 4)}** | {target} "
                f"| {s['same_story_merged_pairs']:,} | {s['short_chrome_merged_pairs']:,} | {_n(acc.get('kept'))} "
                f"| {_n(acc.get('merged'))} | {_n(acc.get('rejected'))} | {acc.get('lost', 0):,} "
                f"| {_f(clean['precision']) + ' / ' + _f(clean['recall']) if clean else '–'} |")
    lines += ["", "Per language (corpus; pairs within the language):", "",
              "| kind | " + " | ".join(sorted({k for kr in real["kinds"].values() for r in kr["tools"].values()
                                              if r.get("ok") for k in r["scores"]["languages"]})) + " |"]
    langs = sorted({k for kr in real["kinds"].values() for r in kr["tools"].values() if r.get("ok")
                    for k in r["scores"]["languages"]})
    lines.append("|---|" + "---:|" * len(langs))
    for kind, result in real["kinds"].items():
        r = result["tools"].get("corpus", {})
        if r.get("ok"):
            by = r["scores"]["languages"]
            cells = [f"{_f(by[k]['f1'], 3)} ({by[k]['documents']})" if k in by and by[k]["true_pairs"] else "–"
                     for k in langs]
            lines.append(f"| {kind} | " + " | ".join(cells) + " |")
    rejected = {k: r["accounting"].get("rejected_by_charset") for k, kr in real["kinds"].items()
                for n, r in kr["tools"].items() if r.get("ok") and r.get("accounting", {}).get("rejected_by_charset")}
    for kind, by in rejected.items():
        lines += ["", f"Kind {kind} rejects by charset/declaration: " + ", ".join(f"{k} {v}" for k, v in by.items()) + "."]
    return lines


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    v = results["versions"]
    lines = [
        "## Benchmark",
        "",
        f"Run {results['date']} on {m['cpu']}, {m['cores']} cores, {m['ram_gb']} GB RAM (shared with other jobs), "
        f"Python {m['python']}. Versions: " + ", ".join(f"{k} {val}" for k, val in v.items() if val) + ".",
        "",
        "Synthetic syndication corpus from `bench/generate.py` (seed "
        f"{results['seed']}): copies of base articles under site chrome (text and HTML pages) with edits, plus "
        "reworded same-story articles and short articles under heavy chrome. Every tool dedups the same "
        "text, cleaned once by `corpus`; same shingle size, permutations, threshold and seed; banding is each "
        "tool's own for that threshold. Scores are over pairs of documents (a pair is true when both are copies of "
        "one base); ARI is the adjusted Rand index.",
        "",
        "### Targets",
        "",
        *targets(results),
    ]
    if "real" in results:
        lines += real_section(results["real"])
    for n, size in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        c = size["corpus"]
        lines += ["", f"### {int(n):,} documents ({c['clusters']:,} clusters, {c['bytes'] / 1e6:,.0f} MB raw)", ""]
        lines += dedup_table(size)
        q = size.get("clean", {}).get("quality")
        if q:
            lines += ["", "Cleaning quality (word 4-gram overlap with the article text, AEB metric):", "",
                      "| pages | precision | recall | F1 |", "|---|---:|---:|---:|"]
            lines += [f"| {k} | {_f(s['precision'], 4)} | {_f(s['recall'], 4)} | {_f(s['f1'], 4)} |" for k, s in q.items()]
        lines += ["", "<details><summary>Stages</summary>", "", *stage_table(size), "", "</details>"]
    if results["sizes"]:
        lines += ["", "### How each stage's cost grows with the corpus", "",
              "Seconds per stage at each size; growth is k in time ~ documents^k between the two largest "
              "sizes measured (1.00 is linear). Stages under a second are dominated by fixed costs.", "",
              *growth_table(results)]
    sig = results.get("signatures", {})
    if "speedup" in sig:
        lines += ["", "### Signatures (one core)", "",
                  f"{sig['documents']:,} documents, {sig['shingles']:,} shingles, {sig['num_perm']} permutations, best of {sig['repeat']}:", "",
                  "| implementation | seconds | signatures/s |", "|---|---:|---:|",
                  *(f"| {k} | {_f(sig['seconds'][k], 3)} | {_n(sig['signatures_per_s'][k])} |" for k in sig["seconds"])]
    for key, name in (("aeb", "AEB"), ("readability", "Readability")):
        aeb = results.get(key, {})
        if "corpus" in aeb:
            lines += ["", f"### Extraction ({name}, {aeb['pages']} pages)", "",
                      "| extractor | precision | recall | F1 | empty pages | pages/s |", "|---|---:|---:|---:|---:|---:|"]
            for k in ("corpus", "trafilatura"):
                s = aeb[k]
                lines.append(f"| {k} {s['version']} | {_f(s['precision'], 4)} | {_f(s['recall'], 4)} | {_f(s['f1'], 4)} "
                             f"| {s.get('empty', '')} | {_f(s['pages_per_s'], 1)} |")
    return "\n".join(lines) + "\n"


#: The standalone parts ``make bench-PART`` runs: their results file's stem -> (heading, command).
PARTS = {
    "encodings": ("Real pages in legacy encodings", "python -m bench.encodings"),
    "warc_readers": ("WARC readers: speed and broken archives", "python -m bench.warc_readers"),
    "chrome": ("Page chrome, and learned boilerplate without sources, on real pages",
               "python -m bench.chrome --learned --extracted"),
    "stories": ("Story grouping (SemEval, 5-fold cross-validation)", "python -m bench.stories"),
    "cleanspeed": ("Cleaning speed (one core, CPU time)", "python -m bench.cleanspeed"),
    "scale": ("Text documents end to end at scale (time and peak memory)", "python -m bench.scale"),
}


def _value(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.4g}"
    if isinstance(x, list):
        return ", ".join(_value(v) for v in x) if len(x) <= 12 and all(_scalar(v) for v in x) else f"{len(x)} items"
    return "–" if x is None else str(x)


def _scalar(x: Any) -> bool:
    return not isinstance(x, (dict, list))


def _rows(x: Any) -> bool:
    """Whether ``x`` is a dict of dicts of (near-)scalars: a table, one row a key."""
    return isinstance(x, dict) and bool(x) and all(
        isinstance(row, dict) and row and all(not isinstance(v, dict) for v in row.values()) for row in x.values())


def tree(data: dict[str, Any], depth: int) -> list[str]:
    """Nested results as Markdown: scalars in a line, tables of rows, the rest under headings."""
    lines: list[str] = []
    flat = [f"{k}: {_value(v)}" for k, v in data.items() if not isinstance(v, dict)]
    if flat:
        lines += ["", "; ".join(flat) + "."]
    for key, value in data.items():
        if not isinstance(value, dict) or not value:
            continue
        if _rows(value):
            columns = list(dict.fromkeys(c for row in value.values() for c in row))
            lines += ["", f"{key}:", "", "| | " + " | ".join(columns) + " |", "|---|" + "---:|" * len(columns)]
            lines += [f"| {name} | " + " | ".join(_value(row.get(c)) for c in columns) + " |" for name, row in value.items()]
        elif all(_scalar(v) or isinstance(v, list) for v in value.values()):
            lines += ["", f"{key}: " + "; ".join(f"{k} {_value(v)}" for k, v in value.items()) + "."]
        else:
            lines += ["", f"{'#' * min(depth, 6)} {key}", *tree(value, depth + 1)]
    return lines


def part_section(name: str, data: dict[str, Any]) -> str:
    """The Markdown of one standalone part's results JSON (``bench/results/NAME.json``)."""
    heading, command = PARTS.get(name, (name, f"python -m bench.{name}"))
    lines = [f"### {heading}", "", f"From `{command}` (`bench/results/{name}.json`)."]
    if "skipped" in data:
        return "\n".join([*lines, "", f"Skipped: {data['skipped']}."]) + "\n"
    return "\n".join([*lines, *tree(data, 4)]) + "\n"


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("results", type=Path)
    p.add_argument("--out", type=Path)
    args = p.parse_args()
    data = json.loads(args.results.read_text())
    text = render(data) if "machine" in data else part_section(args.results.stem, data)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
