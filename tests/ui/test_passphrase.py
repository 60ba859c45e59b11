"""The passphrase strength estimate: common and patterned passwords refused, several words accepted."""

from __future__ import annotations

import dataclasses

import pytest

from fieldapp.storage.keys import MIN_PASSPHRASE_CHARS

from ui.passphrase import LABELS, Strength, acceptable, strength

WEAK = ["password", "Password1!", "password123", "qwertyuiop", "iloveyou", "12345678", "abcd1234", "abcdefghij",
        "aaaaaaaaaaaa", "Summer2024", "the and for you", "horse horse horse horse", "Tr0ub4dor&3", "Elephant42!"]
STRONG = ["violet ferry lamp orchard", "correct horse battery staple", "lamp orbit velvet crane",
          "blue fish moon tree", "granite Otter sleeps kettle", "Xk9#mQ2$vLp7"]


@pytest.mark.parametrize("passphrase", WEAK)
def test_common_short_and_patterned_passwords_are_not_acceptable(passphrase: str) -> None:
    assert not acceptable(strength(passphrase))


@pytest.mark.parametrize("passphrase", STRONG)
def test_four_unrelated_words_or_a_long_random_string_are_acceptable(passphrase: str) -> None:
    assert acceptable(strength(passphrase))


def test_anything_shorter_than_the_vault_minimum_scores_zero_and_says_how_long_to_make_it() -> None:
    result = strength("a" * (MIN_PASSPHRASE_CHARS - 1))
    assert result.score == 0 and result.label == "Too weak" and str(MIN_PASSPHRASE_CHARS) in result.advice


def test_a_common_password_is_named_as_one() -> None:
    assert "common password" in strength("letmein99").advice


def test_advice_names_sequences_and_repeats() -> None:
    assert "1234" in strength("abcdefgh12345678").advice
    assert "repeated" in strength("zzzzzzzzzzzzq").advice


def test_more_words_never_score_lower() -> None:
    words = ["violet", "ferry", "lamp", "orchard", "quartz"]
    scores = [strength(" ".join(words[:n])).score for n in range(2, 6)]
    assert scores == sorted(scores) and scores[-1] == 4


def test_the_score_is_within_zero_to_four_with_a_matching_label_and_some_advice() -> None:
    for passphrase in WEAK + STRONG + ["", " ", "é" * 20, "😀" * 10, "a b c d e f g h"]:
        result = strength(passphrase)
        assert 0 <= result.score <= 4 and result.label == LABELS[result.score] and result.advice


def test_acceptable_means_a_score_of_three_or_more_and_the_result_is_frozen() -> None:
    assert [acceptable(Strength(s, LABELS[s], "")) for s in range(5)] == [False, False, False, True, True]
    with pytest.raises(dataclasses.FrozenInstanceError):
        strength("violet ferry lamp orchard").score = 0  # type: ignore[misc]
