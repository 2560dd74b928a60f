"""Tokenization: the ASCII fast path gives exactly what the regular path gives."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.dedup.normalize import _WORD, _readable, fold, is_unspaced, tokenize, tokens
from test_dedup_texts import UNRELATED, mojibake, seed_texts


def regular_path(text: str) -> tuple[list[str], bool]:
    """The definition: undo mojibake, fold the whole text, find the words (characters when unspaced)."""
    text = _readable(text)
    words = _WORD.findall(fold(text))
    unspaced = is_unspaced(text)
    return ([ch for w in words for ch in w] if unspaced else words), unspaced


# ASCII, typographic punctuation, accented and decomposed letters, ligatures,
# full-width and superscript forms, fractions, case folds that change length,
# other scripts (which must take the regular path), underscores.
ALPHABET = list("aZ09 _-'.,\n") + [
    "’", "“", "—", "…", "£", "\u00a0", "é", "e\u0301", "\u0301", "ﬁ", "Ｃ", "３", "²", "½",
    "ß", "İ", "Σ", "д", "伦", "敦", "ก", "٣", "™", "¨",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), max_size=40).map("".join))
def test_fast_path_equals_the_regular_path(text):
    assert tokenize(text) == regular_path(text)
    assert tokens(text) == regular_path(text)[0]


def test_news_texts_tokenize_as_defined():
    texts = seed_texts() + [mojibake(t) for t in seed_texts()] + list(UNRELATED.values())
    for text in texts:
        assert tokenize(text) == regular_path(text)
    assert tokenize("Café “Kaba”, ½ of £24_000") == (["cafe", "kaba", "1", "2", "of", "24", "000"], False)
    assert tokenize("Сергей Иванов, 24") == (["сергеи", "иванов", "24"], False)  # й: и + breve, dropped
    assert tokenize("伦敦警察拒绝携, London") == (list("伦敦警察拒绝携london"), True)  # 7 of 13 letters: more than half


def test_forced_choice_overrides_detection():
    assert tokens("ab cd", unspaced=True) == ["a", "b", "c", "d"]
    assert tokens("伦敦 警察", unspaced=False) == ["伦敦", "警察"]


def test_mojibake_tokenizes_like_the_text_it_broke():
    for text in seed_texts():
        assert tokenize(mojibake(text)) == tokenize(text)
