"""CER/WER: hand-computed values and a brute-force Levenshtein reference."""

from __future__ import annotations

import random
from functools import cache

import pytest

from foveal.evaluate.ocr import (
    cer,
    find_ground_truth,
    normalize_text,
    score_page,
    wer,
)
from foveal.ops import edit_distance


def _reference_distance(a: str, b: str) -> int:
    """Plain recursive definition of the Levenshtein distance (independent of the numpy version)."""

    @cache
    def d(i: int, j: int) -> int:
        if i == 0:
            return j
        if j == 0:
            return i
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("kitten", "sitting", 3),  # k->s, e->i, +g
        ("flaw", "lawn", 2),  # -f, +n
        ("", "abc", 3),
        ("abc", "", 3),
        ("abc", "abc", 0),
        ("intention", "execution", 5),
        ("ab", "ba", 2),
    ],
)
def test_edit_distance_hand_computed(a: str, b: str, expected: int) -> None:
    assert edit_distance(a, b) == expected
    assert edit_distance(b, a) == expected


def test_edit_distance_matches_recursive_definition() -> None:
    rng = random.Random(5)
    for _ in range(200):
        a = "".join(rng.choice("abcd ") for _ in range(rng.randint(0, 12)))
        b = "".join(rng.choice("abcd ") for _ in range(rng.randint(0, 12)))
        assert edit_distance(a, b) == _reference_distance(a, b), (a, b)


def test_edit_distance_on_word_lists() -> None:
    assert edit_distance("the cat sat".split(), "the bat sat down".split()) == 2


def test_cer_and_wer_hand_computed() -> None:
    # one substitution in 19 reference characters
    assert cer("The quick brown fax", "The quick brown fox") == pytest.approx(1 / 19)
    # 1 substituted word of 4
    assert wer("The quick brown fax", "The quick brown fox") == pytest.approx(1 / 4)
    # a missing space between words is one character error and two word errors (1 sub + 1 del)
    assert cer("Thequick", "The quick") == pytest.approx(1 / 9)
    assert wer("Thequick", "The quick") == pytest.approx(2 / 2)
    assert cer("", "") == 0.0
    assert cer("x", "") == 1.0
    assert cer("", "abc") == 1.0


def test_normalisation_ignores_layout_only() -> None:
    ref = "This is\na test.\n\nNew paragraph."
    assert cer("This is a test. New paragraph.", ref) == 0.0
    assert cer("This  is\ta test.\nNew paragraph.  ", ref) == 0.0
    assert normalize_text(ref, keep_lines=True) == "This is\na test.\nNew paragraph."
    assert cer("This is a test.\nNew paragraph.", ref, keep_lines=True) == pytest.approx(1 / 30)
    # NFC: a decomposed e + combining acute equals the precomposed character
    assert cer("caf\u0065\u0301", "caf\u00e9") == 0.0


def test_score_page_counts() -> None:
    s = score_page("x", "helo world", "hello world\n")
    assert (s.char_errors, s.chars, s.word_errors, s.words) == (1, 11, 1, 2)
    assert s.to_dict()["cer"] == pytest.approx(1 / 11, abs=1e-6)


def test_find_ground_truth(tmp_path) -> None:
    (tmp_path / "a.png").write_bytes(b"")
    (tmp_path / "a.gt.txt").write_text("x")
    (tmp_path / "b.tif").write_bytes(b"")
    (tmp_path / "b.gold.txt").write_text("y")
    assert find_ground_truth(tmp_path / "a.png") == tmp_path / "a.gt.txt"
    assert find_ground_truth(tmp_path / "b.tif") == tmp_path / "b.gold.txt"
    assert find_ground_truth(tmp_path / "c.png") is None
