"""DedupConfig: every dedup setting in one immutable record, checked on creation.

Defaults and why:

``threshold = 0.73``
    Estimated containment of the shorter text's word 5-gram set in the other's
    (:func:`.lsh.similarity`: the MinHash Jaccard J and the two shingle-set
    sizes give ``|A & B| = J (|A| + |B|) / (1 + J)``) at which two documents
    are copies. Containment, not Jaccard, because syndication cuts: a copy
    with its last paragraph gone is wholly inside its original yet far from it
    in Jaccard. Chosen on the real benchmark (``make bench-real``,
    :mod:`bench.real`: real article bodies in ten languages, real site chrome,
    ordinary syndication edits), extractor-left text (kind ``a``), pair F1 and
    same-story pairs merged, seeds 0 / 1 / 2::

        Jaccard 0.60 (the former default)   0.9495 (0)  0.9513 (0)  0.9605 (0)
        containment 0.60 (25 x 5 bands)                 0.9797 (8)  0.9836 (2)
        containment 0.70                                0.9927 (8)  0.9943 (0)
        containment 0.72                    0.9865 (6)  0.9913 (0)  0.9924 (0)
        containment 0.73                    0.9851 (0)  0.9897 (0)  0.9902 (0)
        containment 0.74                    0.9837 (0)  0.9885 (0)  0.9881 (0)
        containment 0.75                    0.9787 (0)  0.9850 (0)  0.9869 (0)

    (precision 1.0 wherever no same-story pair merged; the Jaccard default
    loses 8-10% of the copy pairs, the cut ones). Real write-ups of one
    story are far below copies: of the 207 same-language SemEval-2022 pairs
    rated the same event, 197 have a 5-gram Jaccard under 0.1. The one between
    0.4 and 0.5 (Jaccard 0.49, containment 0.67) is two outlets' versions of one
    Anadolu Agency release, one near-verbatim and one with its lede and several
    sentences rewritten; it is what sets the threshold: with the benchmark's
    stray chrome lines its copies are estimated at up to 0.723 (seed 0), merged
    at 0.72. The next highest is 0.62 (two translations of one Reuters story).
    Copies against their original: median containment 0.93, 5th percentile 0.80.
    The margin over that Anadolu pair is small (0.007 over the highest estimate
    seen); the recall lost at 0.74-0.75 is what a wider one costs.
``ngram = 5````ngram = 5``
    Word shingles of 5 tokens: short enough that a typo or an inserted word
    breaks only 5 shingles, long enough that two unrelated articles share
    almost none (common phrases like "the metropolitan police said" are 4).
``char_ngram = 5``
    Character shingles for Chinese, Japanese, Thai... (:mod:`.normalize`): five
    characters are two or three words of Chinese.
``num_perm = 128``
    Standard error of the Jaccard estimate ~ sqrt(J(1-J)/128) <= 0.044; the
    containment estimate's is about as large for texts of similar length and
    grows with the length ratio (the Anadolu pair above: exact 0.66, estimated
    up to 0.70). Signatures cost 512 bytes per document, shingle counts 4.
``bands, rows = None``
    Derived by datasketch for the Jaccard a copy at the threshold has when it is
    half as long as the other, ``t / (3 - t)`` = 0.32 at 0.73: 28 bands x 2
    rows (:mod:`.lsh`). On the real benchmark (REAL_VERSION 2, seed 0, at 0.72) 29 x 2
    and 42 x 3 find the same pairs (F1 0.9899), while 16 x 8, what a Jaccard
    threshold this high would get, misses a fifth of them (F1 0.8852).
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
    pairs in one story, puts 83.9% ± 4.0 of the fifth fold's same-event pairs
    in one story and 2.2% ± 1.1 of its different-story pairs; every fold
    chose 0.28, which keeps the five sample write-ups one story with nothing
    unrelated joining; at 0.28, over all pairs, 84.1% and 2.2%. A smaller
    corpus links more: each fold's texts grouped alone, about 480 documents,
    give 3.6% on average).
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

    threshold: float = 0.73
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
            "shingle_counts": "distinct",
        }

    def to_json(self) -> dict[str, Any]:
        """Every setting, with bands and rows resolved, in a fixed key order."""
        record = asdict(self)
        record["source_priority"] = list(self.source_priority)
        record["bands"], record["rows"] = self.band_params()
        record["scheme"] = SCHEME
        return record
