"""The metrics against brute force over every pair, and against known values."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from bench.metrics import adjusted_rand_index, false_merges, pair_scores, text_scores, wrong_pairs

labels = st.lists(st.integers(0, 4), min_size=2, max_size=30)


def brute_pairs(truth, predicted):
    both = true = pred = 0
    for i, j in itertools.combinations(range(len(truth)), 2):
        t, p = truth[i] == truth[j], predicted[i] == predicted[j]
        true += t
        pred += p
        both += t and p
    return both, true, pred


@given(st.data())
def test_pair_counts_equal_brute_force(data):
    truth = data.draw(labels)
    predicted = data.draw(st.lists(st.integers(0, 4), min_size=len(truth), max_size=len(truth)))
    s = pair_scores(truth, predicted)
    both, true, pred = brute_pairs(truth, predicted)
    assert (s["correct_pairs"], s["true_pairs"], s["predicted_pairs"]) == (both, true, pred)
    assert s["precision"] == (both / pred if pred else 1.0)
    assert s["recall"] == (both / true if true else 1.0)


def test_ari_known_values():
    # Identical partitions up to renaming: 1. Worked example (Hubert & Arabie form):
    # truth {0,1,2},{3,4,5}; predicted {0,1},{2,3},{4,5}: index 2, a 6, b 3, n 6.
    assert adjusted_rand_index([0, 0, 1, 1], ["x", "x", "y", "y"]) == 1.0
    expected = 6 * 3 / 15
    assert abs(adjusted_rand_index([0, 0, 0, 1, 1, 1], [0, 0, 1, 1, 2, 2]) - (2 - expected) / (4.5 - expected)) < 1e-12


def test_everything_merged_has_full_recall_and_low_precision():
    s = pair_scores(["a", "a", "b", "c"], [0, 0, 0, 0])
    assert s["recall"] == 1.0 and s["precision"] == 1 / 6


def test_false_merges_count_only_same_story_different_article():
    cluster = ["a", "a", "b", "c", "d"]
    story = ["s", "s", "s", "t", "u"]
    predicted = [0, 0, 0, 0, 1]
    # pairs merged across articles: (a,b) x2 same story; (a,c) x2, (b,c) other story.
    assert false_merges(cluster, story, predicted) == 2
    assert wrong_pairs(cluster, predicted, [True] * 5) == 5
    assert wrong_pairs(cluster, predicted, [False, False, True, True, False]) == 1


def test_text_scores_follow_the_aeb_definition():
    expected = "one two three four five"
    # Output: the article plus one extra word: 2 of 3 output 4-grams are right.
    s = text_scores([(expected, expected + " six")])
    assert abs(s["precision"] - 2 / 3) < 1e-12 and s["recall"] == 1.0
    # An empty output has no precision to average and zero recall.
    s = text_scores([(expected, ""), (expected, expected)])
    assert s["precision"] == 1.0 and s["recall"] == 0.5
