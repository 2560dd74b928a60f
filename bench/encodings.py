"""Real pages in legacy encodings: does ``corpus`` read them as their UTF-8 originals?

The UTF-8 pages of ``../shared/bench-data/readability`` (130) and ``aeb`` (181)
are re-encoded into the legacy encodings their language was published in
(Western European: windows-1252 and iso-8859-1; Central European:
iso-8859-2 and windows-1250; Chinese: gbk, or big5 for zh-TW; Japanese:
shift_jis and euc-jp; Korean euc-kr; Cyrillic windows-1251 and koi8-r;
Greek iso-8859-7). A character the encoding lacks becomes a numeric character
reference (``&#8217;``), as a legacy CMS writes it, so every page is
representable; ``strict`` counts the pages that needed none. Each page's own
charset declarations are removed and one is put back in one style: ``meta``
(``<meta charset>``), ``http-equiv``, ``http`` (only the WARC's HTTP
Content-Type header) or ``none`` (the bytes alone). The article texts
(ground truth) are re-encoded the same way as ``.txt`` files, with no
declaration at all.

A case is right when :func:`corpus.readers.decoding.decode` gives exactly the
text the legacy bytes hold, with each detector in turn: uchardet (resiliparse's
``detect_encoding``) and charset-normalizer. Detection decides only where
nothing is declared (``none`` and the text files); the other styles check the
declaration paths. Speed: each detector alone on the ``none`` pages. Then, for
the default detector, the cleaned text (``corpus.clean_html`` on the bytes)
against the cleaned UTF-8 original, for every page in the ``none`` style.

    python -m bench.encodings [--data ../shared/bench-data] [--out bench/results/encodings.json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from corpus.errors import CorpusError
from corpus.readers.decoding import decode, detect_encoding, encoding_of_label

DEFAULT_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "bench-data"
SETS = ("readability", "aeb")
STYLES = ("meta", "http-equiv", "http", "none")

# A script or language -> the legacy encodings (label, Python codec) its pages were published in.
LEGACY = {
    "western": [("windows-1252", "cp1252"), ("iso-8859-1", "latin-1")],
    "central": [("iso-8859-2", "iso8859-2"), ("windows-1250", "cp1250")],
    "zh-hans": [("gbk", "gbk")],
    "zh-hant": [("big5", "big5")],
    "ja": [("shift_jis", "shift_jis"), ("euc-jp", "euc_jp")],
    "ko": [("euc-kr", "euc_kr")],
    "cyrillic": [("windows-1251", "cp1251"), ("koi8-r", "koi8_r")],
    "greek": [("iso-8859-7", "iso8859-7")],
}
CENTRAL_LETTERS = set("ąćęłńśźżĄĆĘŁŃŚŹŻčďěňřšťůžČĎĚŇŘŠŤŮŽőűŐŰĺľŕĹĽŔăâîșțĂÂÎȘȚ")
DECLARATION = re.compile(rb"<meta\b[^>]*\bcharset\b[^>]*>", re.IGNORECASE)
HEAD = re.compile(rb"<head\b[^>]*>", re.IGNORECASE)
C1 = re.compile("[\x80-\x9f]")


@dataclass(frozen=True)
class Page:
    name: str
    html: bytes      # UTF-8, its own charset declarations removed
    article: str     # the ground-truth article text
    language: str    # a key of LEGACY


def language_of(text: str, lang: str | None) -> str:
    """The key of :data:`LEGACY` for a text, from its letters (and its ``lang`` where it has one)."""
    scripts: Counter[str] = Counter()
    for char in text:
        if not char.isalpha() or char.isascii():
            continue
        name = unicodedata.name(char, "")
        if "HIRAGANA" in name or "KATAKANA" in name:
            scripts["ja"] += 1
        elif "HANGUL" in name:
            scripts["ko"] += 1
        elif "CJK" in name:
            scripts["han"] += 1
        elif "CYRILLIC" in name:
            scripts["cyrillic"] += 1
        elif "GREEK" in name:
            scripts["greek"] += 1
        elif char in CENTRAL_LETTERS:
            scripts["central"] += 1
        else:
            scripts["western"] += 1
    if scripts["ja"]:
        return "ja"
    if scripts["han"] > scripts["western"]:
        return "zh-hant" if (lang or "").lower() in ("zh-tw", "zh-hk", "zh-hant") else "zh-hans"
    top = max(("ko", "cyrillic", "greek", "central"), key=lambda k: scripts[k])
    return top if scripts[top] > scripts["western"] // 10 and scripts[top] else "western"


def load_pages(data: Path) -> list[Page]:
    pages = []
    for name in SETS:
        truth = json.loads((data / name / "ground-truth.json").read_text(encoding="utf-8"))
        for page_id in sorted(truth):
            raw = gzip.decompress((data / name / "html" / f"{page_id}.html.gz").read_bytes())
            raw = raw.removeprefix(b"\xef\xbb\xbf")
            article = truth[page_id].get("articleBody") or ""
            text = raw.decode("utf-8")
            pages.append(Page(f"{name}/{page_id}", DECLARATION.sub(b"", raw), article,
                              language_of(article or text, truth[page_id].get("lang"))))
    return pages


def declare(html: bytes, label: str, style: str) -> bytes:
    """The page with one declaration of ``label`` in ``style``, right after ``<head>``."""
    if style == "meta":
        tag = f'<meta charset="{label}">'.encode()
    elif style == "http-equiv":
        tag = f'<meta http-equiv="Content-Type" content="text/html; charset={label}">'.encode()
    else:
        return html
    head = HEAD.search(html)
    at = head.end() if head else 0
    return html[:at] + tag + html[at:]


def legacy(text: str, codec: str) -> tuple[bytes, bool]:
    """``text`` in ``codec``, characters it lacks as character references; and whether none were needed.

    C1 controls (U+0080-U+009F, mojibake in a few originals) count as lacking:
    as iso-8859-1 bytes, a browser reads them as windows-1252 punctuation.
    """
    text = C1.sub(lambda m: f"&#{ord(m.group())};", text)
    try:
        return text.encode(codec), True
    except UnicodeEncodeError:
        return text.encode(codec, errors="xmlcharrefreplace"), False


def charset_normalizer_detect(data: bytes) -> str | None:
    import charset_normalizer

    best = charset_normalizer.from_bytes(data).best()
    return encoding_of_label(best.encoding.replace("_", "-")) if best is not None else None


DETECTORS: dict[str, Callable[[bytes], str | None]] = {
    "uchardet (resiliparse)": detect_encoding,
    "charset-normalizer": charset_normalizer_detect,
}


def evaluate(pages: list[Page]) -> dict[str, Any]:
    cases = []  # (kind, style, label, data, content_type, expected, strict)
    for page in pages:
        for label, codec in LEGACY[page.language]:
            html, strict = legacy(page.html.decode("utf-8"), codec)
            for style in STYLES:
                data = declare(html, label, style)
                content_type = f"text/html; charset={label}" if style == "http" else None
                expected = data.decode(codec)
                cases.append(("page", style, label, data, content_type, expected, strict))
            if page.article.strip():
                text, strict = legacy(page.article, codec)
                cases.append(("text", "none", label, text, None, text.decode(codec), strict))
    out: dict[str, Any] = {
        "pages": len(pages),
        "languages": dict(Counter(p.language for p in pages)),
        "cases": len(cases),
        "strict_cases": sum(1 for c in cases if c[6]),
        "versions": {name: version(name) for name in ("resiliparse", "charset-normalizer")},
        "detectors": {},
    }
    for detector_name, detector in DETECTORS.items():
        right: dict[str, Counter[str]] = defaultdict(Counter)
        total: dict[str, Counter[str]] = defaultdict(Counter)
        wrong: Counter[str] = Counter()
        for kind, style, label, data, content_type, expected, _ in cases:
            key = f"{kind} {style}"
            decoded = decode(data, content_type=content_type, html=kind == "page", detect=detector)
            total[key][label] += 1
            if decoded.text == expected:
                right[key][label] += 1
            else:
                wrong[f"{key} {label} -> {decoded.encoding} ({decoded.found_by})"] += 1
        out["detectors"][detector_name] = {
            "right": sum(sum(c.values()) for c in right.values()),
            "by_style": {key: {"right": sum(right[key].values()), "cases": sum(total[key].values()),
                               "by_encoding": {lab: f"{right[key][lab]}/{n}" for lab, n in sorted(total[key].items())}}
                         for key in sorted(total)},
            "wrong": dict(wrong.most_common()),
        }
    out["speed"] = speed([c[3] for c in cases if c[0] == "page" and c[1] == "none"])
    return out


def speed(inputs: list[bytes]) -> dict[str, Any]:
    """Each detector alone over ``inputs``: pages/s and MB/s (best of three passes)."""
    megabytes = sum(map(len, inputs)) / 1e6
    result = {}
    for name, detector in DETECTORS.items():
        best = float("inf")
        for _ in range(3):
            start = time.perf_counter()
            for data in inputs:
                detector(data)
            best = min(best, time.perf_counter() - start)
        result[name] = {"seconds": best, "pages_per_s": len(inputs) / best, "mb_per_s": megabytes / best}
    return {"pages": len(inputs), "megabytes": megabytes, **result}


def cleaned_the_same(pages: list[Page]) -> dict[str, Any]:
    """``clean_html`` on each page re-encoded (first encoding of its language, no declaration) vs on its UTF-8."""
    from corpus.clean import clean_html

    def clean(page: str | bytes) -> str:
        try:
            return clean_html(page).text
        except CorpusError:
            return ""

    same, differ, start = 0, [], time.perf_counter()
    for page in pages:
        label, codec = LEGACY[page.language][0]
        data, _ = legacy(page.html.decode("utf-8"), codec)
        if clean(data) == clean(data.decode(codec)):
            same += 1
        else:
            differ.append(f"{page.name} ({label})")
    return {"pages": len(pages), "same": same, "differ": differ, "seconds": time.perf_counter() - start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--no-clean", action="store_true", help="skip the cleaned-text comparison (the slow part)")
    args = parser.parse_args()
    if not all((args.data / name / "ground-truth.json").exists() for name in SETS):
        print(f"bench.encodings: skipped, {args.data}/{{{','.join(SETS)}}} not found")
        return
    pages = load_pages(args.data)
    result = evaluate(pages)
    if not args.no_clean:
        result["cleaned"] = cleaned_the_same(pages)
    print(report(result))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def report(result: dict[str, Any]) -> str:
    lines = [f"{result['pages']} pages ({', '.join(f'{k} {v}' for k, v in sorted(result['languages'].items()))}); "
             f"{result['cases']} cases, {result['strict_cases']} representable without character references", ""]
    names = list(result["detectors"])
    lines.append("| input, declaration | cases | " + " | ".join(names) + " |")
    lines.append("|---|---:|" + "---:|" * len(names))
    first = result["detectors"][names[0]]["by_style"]
    for key in first:
        row = [str(result["detectors"][n]["by_style"][key]["right"]) for n in names]
        lines.append(f"| {key} | {first[key]['cases']} | " + " | ".join(row) + " |")
    lines.append("| all | " + str(result["cases"]) + " | "
                 + " | ".join(str(result["detectors"][n]["right"]) for n in names) + " |")
    lines.append("")
    for name in names:
        wrong = result["detectors"][name]["wrong"]
        if wrong:
            lines.append(f"{name}, wrong: " + "; ".join(f"{k}: {v}" for k, v in list(wrong.items())[:12]))
    speed = result["speed"]
    lines.append("")
    lines.append(f"detection speed on {speed['pages']} pages ({speed['megabytes']:.1f} MB): " + "; ".join(
        f"{n} {speed[n]['pages_per_s']:.0f} pages/s ({speed[n]['mb_per_s']:.1f} MB/s)" for n in names))
    if "cleaned" in result:
        c = result["cleaned"]
        lines.append(f"cleaned text the same as the UTF-8 original's: {c['same']}/{c['pages']} pages"
                     + (f"; differ: {', '.join(c['differ'])}" if c["differ"] else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    main()
