"""DedupConfig: every dedup setting in one immutable record, checked on creation.

Defaults and why:

``threshold = 0.6``
    Estimated Jaccard similarity of word 5-gram sets at which two documents are
    copies. Measured on the sample articles: copies under another outlet's
    chrome with a new headline, a dateline, the last paragraph(s) cut, typos and
    word changes are at 0.67-0.96 (``samples/README.md``; 0.70-0.83 for the
    edited copies in ``tests/dedup_texts.py``), mojibake copies repaired by
    ftfy at 0.91-1.0. Different articles are at most 0.24 (short local articles
    sharing an 8-line footer; 0.29 with the 40 words of chrome in the tests).
    The benchmark's lightly reworded write-ups of one story reach 0.55 against
    their original: at 0.5, 41 such pairs were merged in its 100k corpus; at
    0.6 none, for pair F1 0.9937 instead of 0.9969 (``make bench``). With a
    MinHash standard error of ~0.04, the weakest sample copy is 2 errors above
    0.6 and the closest rewording 1-2 below it.
``ngram = 5``
    Word shingles of 5 tokens: short enough that a typo or an inserted word
    breaks only 5 shingles, long enough that two unrelated articles share
    almost none (common phrases like "the metropolitan police said" are 4).
``char_ngram = 5``
    Character shingles for Chinese, Japanese, Thai... (:mod:`.normalize`): five
    characters are two or three words of Chinese.
``num_perm = 128``
    Standard error of the Jaccard estimate ~ sqrt(J(1-J)/128) <= 0.044;
    signatures cost 512 bytes per document.
``bands, rows = None``
    Derived from threshold and num_perm, tuned for recall (:mod:`.lsh`).
``seed = 1``
    datasketch's default seed; with the scheme it fixes the permutations, so
    it is recorded with the signatures.
``keep = "longest"``
    The most complete cleaned text: the copy with the most shingles that some
    other copy of the cluster also has (its *corroborated length*), so text
    only one copy carries -- its site's headline, dateline or footer -- does
    not make it win; ties go to the shorter raw text, then the smallest id.
    In a cluster of two (which always ties) and among an earlier snapshot's
    kept documents (no texts at hand): the longer raw text. In incremental
    runs an earlier snapshot's kept document stays kept. See :mod:`.keep` for
    every policy and its tie breaks.
``story = True, story_threshold = 0.28, story_window_days = 0``
    Group documents that report the same event (:mod:`.story`): two groups
    join while their members' mean cosine is at least ``story_threshold``
    (``python -m bench.stories``, on the SemEval-2022 Task 8 sample's
    same-language rated pairs by 5-fold cross-validation: a threshold chosen
    on four folds, the highest recall with at most 3% of different-story
    pairs in one story, puts 81.5% ± 4.7 of the fifth fold's same-event pairs
    in one story and 2.7% ± 1.0 of its different-story pairs; the folds chose
    0.28 or 0.30, and 0.30 splits the five sample write-ups, 0.28 keeps them
    one story with nothing unrelated joining; at 0.28, over all pairs, 84.5%
    and 3.1%).
    ``story_window_days`` > 0 keeps documents published more than that many
    days apart out of one story (documents without a date are not held
    apart); 0: no window.
``batch_size = 1024``
    Documents signed together; bounds the memory of one batch of shingles.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from corpus.dedup.keep import POLICIES
from corpus.dedup.lsh import band_params
from corpus.dedup.signatures import SCHEME
from corpus.errors import ConfigError


def _int(name: str, value: Any, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigError(f"dedup option {name!r} must be an integer >= {minimum}, got {value!r}")


def _fraction(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 1:
        raise ConfigError(f"dedup option {name!r} must be a number in (0, 1], got {value!r}")


@dataclass(frozen=True)
class DedupConfig:
    """Settings of :class:`corpus.dedup.Deduplicator` (see the module docstring)."""

    threshold: float = 0.6
    ngram: int = 5
    char_ngram: int = 5
    num_perm: int = 128
    bands: int | None = None
    rows: int | None = None
    seed: int = 1
    keep: str = "longest"
    source_priority: Sequence[str] = field(default=())
    story: bool = True
    story_threshold: float = 0.28
    story_window_days: int = 0
    batch_size: int = 1024

    def __post_init__(self) -> None:
        _fraction("threshold", self.threshold)
        _int("ngram", self.ngram, 1)
        _int("char_ngram", self.char_ngram, 1)
        _int("num_perm", self.num_perm, 2)
        if self.bands is not None:
            _int("bands", self.bands, 2)
        if self.rows is not None:
            _int("rows", self.rows, 1)
        bands, rows = self.bands or 2, self.rows or 1
        if bands * rows > self.num_perm:
            raise ConfigError(
                f"dedup options 'bands' x 'rows' must be <= 'num_perm': {self.bands} x {self.rows} > {self.num_perm}"
            )
        _int("seed", self.seed, 0)
        if self.seed >= 2**32:
            raise ConfigError(f"dedup option 'seed' must be below 2**32, got {self.seed!r}")
        if self.keep not in POLICIES:
            raise ConfigError(f"dedup option 'keep' must be one of {', '.join(POLICIES)}; got {self.keep!r}")
        if isinstance(self.source_priority, str) or not all(isinstance(s, str) for s in self.source_priority):
            raise ConfigError(f"dedup option 'source_priority' must be a list of source names, got {self.source_priority!r}")
        object.__setattr__(self, "source_priority", tuple(self.source_priority))
        if self.keep == "source-priority" and not self.source_priority:
            raise ConfigError("dedup option 'keep' = 'source-priority' needs a non-empty 'source_priority' list")
        if not isinstance(self.story, bool):
            raise ConfigError(f"dedup option 'story' must be true or false, got {self.story!r}")
        _fraction("story_threshold", self.story_threshold)
        _int("story_window_days", self.story_window_days, 0)
        _int("batch_size", self.batch_size, 1)

    def band_params(self) -> tuple[int, int]:
        """``(bands, rows)`` as configured, or derived (see :func:`.lsh.band_params`)."""
        return band_params(float(self.threshold), self.num_perm, self.bands, self.rows)

    def signature_params(self) -> dict[str, Any]:
        """What makes two signatures comparable; stored with them in a snapshot."""
        return {
            "scheme": SCHEME,
            "num_perm": self.num_perm,
            "seed": self.seed,
            "ngram": self.ngram,
            "char_ngram": self.char_ngram,
            "shingle_hash": "xxh32-poly32",
        }

    def to_json(self) -> dict[str, Any]:
        """Every setting, with bands and rows resolved, in a fixed key order."""
        record = asdict(self)
        record["source_priority"] = list(self.source_priority)
        record["bands"], record["rows"] = self.band_params()
        record["scheme"] = SCHEME
        return record
