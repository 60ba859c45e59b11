"""How hard a new passphrase would be to guess: a rough entropy estimate with advice (Qt-free).

Dictionary words count for about 3 bits a letter, common words and passwords for almost nothing,
repeats and sequences (aaaa, 1234, abcd) for 1 bit a character; several unrelated words score well.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from fieldapp.storage.keys import MIN_PASSPHRASE_CHARS

LABELS = ("Too weak", "Weak", "Fair", "Good", "Strong")
_THRESHOLDS = (28, 36, 48, 60)  # bits needed for scores 1, 2, 3 and 4
COMMON_PASSWORDS = frozenset(
    "password passw0rd qwerty qwertyuiop asdfgh asdfghjkl zxcvbnm 123456 1234567 12345678 123456789"
    " 1234567890 111111 000000 654321 abc123 iloveyou letmein welcome admin monkey dragon sunshine"
    " princess football baseball shadow master superman batman trustno1 whatever freedom starwars"
    " qazwsx michael charlie computer secret changeme default fieldapp".split()
)
COMMON_WORDS = frozenset(
    "the and for are but not you all any can her was one our out day get has him his how man new"
    " now old see two way who boy did its let put say she too use love this that with have from"
    " they will your what when make like time just know take into year good some them than then"
    " look only come over think also back after work first well even want because these give most"
    " hello house money summer happy family name please thanks".split()
)
_LEET = str.maketrans("0134578@$!", "oieastbasi")
_VOWELS = set("aeiouy")
_ADVICE = {3: "Good. Another unrelated word would make it stronger.", 4: "Hard to guess. Make sure you can remember it."}


@dataclass(frozen=True)
class Strength:
    score: int  # 0 (too weak) to 4 (strong)
    label: str
    advice: str


def acceptable(strength: Strength) -> bool:
    return strength.score >= 3


def verdict(first: str, second: str) -> str:
    """What to say under a new passphrase typed twice: its strength and advice, or the mismatch."""
    result = strength(first)
    if acceptable(result) and second and second != first:
        return "The two passphrases are not the same."
    if not acceptable(result) and first:
        return f"{result.label}: not accepted. {result.advice}"
    return f"{result.label}. {result.advice}"


def strength(passphrase: str) -> Strength:
    """Score a new passphrase from 0 to 4, with one line of advice for the person typing it."""
    if len(passphrase.strip()) < MIN_PASSPHRASE_CHARS:
        return Strength(0, LABELS[0], f"Use at least {MIN_PASSPHRASE_CHARS} characters; four or more unrelated words work well.")
    bare = re.sub(r"[\W\d_]+$", "", passphrase.lower().replace(" ", ""))
    if passphrase.lower().strip() in COMMON_PASSWORDS or bare in COMMON_PASSWORDS:
        return Strength(0, LABELS[0], "This is one of the most common passwords; choose something else.")
    bits, flaws = _bits(passphrase)
    score = sum(bits >= t for t in _THRESHOLDS)
    advice = _ADVICE.get(score, "Add more unrelated words, for example 'lamp orbit velvet crane'.")
    if score < 3 and flaws:
        advice += " Avoid " + " and ".join(sorted(flaws)) + "."
    return Strength(score, LABELS[score], advice)


def _bits(passphrase: str) -> tuple[float, set[str]]:
    """The estimated entropy in bits, and the weaknesses found on the way."""
    both_cases = passphrase != passphrase.lower() and passphrase != passphrase.upper()
    letter_bits = math.log2(52 if both_cases else 26)
    # Undo look-alike digits and symbols only beside letters ("Tr0ub4dor"), not in "2024".
    near_letter = [any(n.isalpha() for n in passphrase[max(i - 1, 0) : i + 2]) for i in range(len(passphrase))]
    text = "".join(ch.translate(_LEET) if near else ch for ch, near in zip(passphrase, near_letter))
    total, flaws, seen = 0.0, set(), set()
    for match in re.finditer(r"[^\W\d_]+|\d+|\s+|.", text):
        run, original = match.group(), passphrase[match.start() : match.end()]
        bonus = sum(a != b for a, b in zip(run, original))  # one bit per look-alike swap
        if run.isspace():
            total += 1
        elif run.isdigit():
            total += _run_bits(run, math.log2(10), flaws)
        elif run.isalpha():
            low = run.lower()
            bonus += sum(c.isupper() for c in run[1:]) if both_cases else 0
            if low in seen:
                total += 2
                flaws.add("repeating words")
            elif low in COMMON_PASSWORDS or low in COMMON_WORDS:
                total += 4 + bonus
                flaws.add("very common words")
            else:
                total += _word_bits(low, letter_bits, flaws) + bonus + (1 if run[0].isupper() else 0)
            seen.add(low)
        else:
            total += math.log2(33)
    return total, flaws


def _word_bits(word: str, letter_bits: float, flaws: set[str]) -> float:
    """A letter run: common words inside it count little; word-like rest 3 bits a letter."""
    for common in sorted(COMMON_PASSWORDS | COMMON_WORDS, key=len, reverse=True):
        if len(common) >= 4 and common in word:
            flaws.add("very common words")
            head, tail = word.split(common, 1)
            return 4 + _word_bits(head, letter_bits, flaws) + _word_bits(tail, letter_bits, flaws)
    if not word:
        return 0.0
    wordlike = len(word) >= 4 and sum(c in _VOWELS for c in word) / len(word) >= 0.25
    return _run_bits(word, 3.0 if wordlike else letter_bits, flaws, wordlike=wordlike)


def _run_bits(run: str, per_char: float, flaws: set[str], *, wordlike: bool = False) -> float:
    """Per-character bits; 1 bit for a repeat (a third in a row, in a word) or a sequence's 3rd step."""
    bits = 0.0
    for i, ch in enumerate(run):
        step = ord(ch) - ord(run[i - 1]) if i else 0
        if i and not step and (not wordlike or (i > 1 and ch == run[i - 2])):
            flaws.add("repeated characters")
        elif i > 1 and abs(step) == 1 and step == ord(run[i - 1]) - ord(run[i - 2]):
            flaws.add("sequences like 1234 or abcd")
        else:
            bits += per_char - 1
        bits += 1
    return bits
