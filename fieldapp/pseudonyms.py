"""'Never a real name': says why a pseudonym looks like a person's name, address or contact
details, before it is saved and synced. A prompt, not a rule: the inspector may carry on.

Pure and fast enough to run on each keystroke of a short field: no vault, no Qt.
"""

from __future__ import annotations

import re
from functools import lru_cache

from fieldapp.framework import RESOURCES_DIR

FIRST_NAMES_FILE = RESOURCES_DIR / "names" / "first-names-uk.txt"
ADVICE = "If it is made up, carry on; if not, use a pseudonym such as ‘Carer C4’ or ‘Person P17’."

_EMAIL = re.compile(r"[\w.+'-]+@[\w-]+(?:\.[\w-]+)+")
# Digits with the spaces, dashes and brackets people type between them; counted afterwards.
_PHONE = re.compile(r"(?<![\w+])(?:\+|00)?[\d(][\d\s().-]{7,}\d(?!\w)")
# A full UK postcode (outward and inward parts): "NE1 4ST", "SW1A 1AA", "m14 5rd".
_POSTCODE = re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[ABD-HJLNP-UW-Z]{2}\b", re.IGNORECASE)
# Words that name a street and little else ("Park", "Green" or "Hill" also name wards and teams).
_STREETS = (
    "Lane|Road|Street|Close|Avenue|Drive|Way|Court|Crescent|Place|Gardens|Grove|Terrace|Square|Walk|"
    "Row|Mews|Rise|Parade|Wharf|Cottages|Boulevard|Rd|St|Ave|Ln|Cres|Sq|Gdns|Ct"
)
# A house number (perhaps "14a", "Flat 3,") then up to three words, then a street word: "14 Mill Lane".
_ADDRESS = re.compile(
    rf"(?:\b(?:Flat|Apartment|Unit)\s+\d+[A-Za-z]?\b)|(?:\b\d{{1,4}}[A-Za-z]?,?\s+(?:[A-Z][\w'’.-]*\s+){{0,3}}(?:{_STREETS})\b\.?)"
)
_TITLES = "Mr|Mrs|Ms|Miss|Mx|Dr|Prof|Professor|Sir|Dame|Lady|Lord|Rev|Revd|Cllr"
# A title, perhaps initials ("Dr A. Patel"), then a name of two letters or more, perhaps three
# ("Mrs Margaret Thompson"). "Mr X" and "Mrs B" are how people are anonymised: a lone letter
# after a title is left alone.
_NAME_WORD = r"[A-Z][a-z'’][\w'’-]*"
_TITLED = re.compile(rf"\b(?:{_TITLES})\.?\s+(?:[A-Z]\.?\s+)*{_NAME_WORD}(?:\s+{_NAME_WORD}){{0,2}}")
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_PLACEHOLDERS = {"doe", "bloggs", "public"}  # Jane Doe, Joe Bloggs, John Q. Public: not anyone real


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """The shipped list of common UK first names, lower-cased."""
    lines = FIRST_NAMES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


Hit = tuple[int, int, str]  # (start, end, what it looks like) of a part of the text


def real_name_warning(text: str) -> str | None:
    """Why `text` looks like a real name, an address or contact details, with advice; None when it
    reads as a pseudonym ('Person A', 'Carer 3', 'Mr X', 'P1', 'Service user B').

    'Margaret Thompson, 14 Mill Lane' -> "‘Margaret Thompson’ looks like a first name and a surname;
    ‘14 Mill Lane’ looks like part of an address. If it is made up, carry on; if not, …"
    """
    hits: list[Hit] = []
    for found in (_email, _phone, _postcode, _address, _titled, _full_name):
        for start, end, what in found(text):
            if not any(start < e and s < end for s, e, _w in hits):  # each part of the text once
                hits.append((start, end, what))
    if not hits:
        return None
    reasons = "; ".join(f"‘{text[start:end].strip()}’ looks like {what}" for start, end, what in sorted(hits))
    return f"{reasons}. {ADVICE}"


def _email(text: str) -> list[Hit]:
    return [(m.start(), m.end(), "an email address") for m in _EMAIL.finditer(text)]


def _phone(text: str) -> list[Hit]:
    hits = []
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match.group())
        national = digits.startswith("0") or (digits.startswith("44") and match.group().startswith("+"))
        if national and 10 <= len(digits.removeprefix("00")) <= 13:
            unopened = match.group().startswith("(") and ")" not in match.group()  # "(07700 900123)"
            hits.append((match.start() + unopened, match.end(), "a phone number"))
    return hits


def _postcode(text: str) -> list[Hit]:
    return [(m.start(), m.end(), "a postcode") for m in _POSTCODE.finditer(text)]


def _address(text: str) -> list[Hit]:
    return [(m.start(), m.end(), "part of an address") for m in _ADDRESS.finditer(text)]


def _titled(text: str) -> list[Hit]:
    return [(m.start(), m.end(), "a person's title and name") for m in _TITLED.finditer(text)]


def _full_name(text: str) -> list[Hit]:
    """A known first name then a capitalised surname ('Margaret Thompson', 'Amara Okafor'), or a
    surname, a comma and a first name ('Thompson, Margaret'). A first name alone is left alone:
    made-up first names are a common way to anonymise."""
    words = list(_WORD.finditer(text))
    names = first_names()
    hits = []
    for first, second in zip(words, words[1:]):
        a, b, between = first.group(), second.group(), text[first.end() : second.start()].strip()
        if not (a[0].isupper() and b[0].isupper()) or between not in ("", ","):
            continue
        if between == "" and a.lower() in names and _surname(b):
            hits.append((first.start(), second.end(), "a first name and a surname"))
        elif between == "," and b.lower() in names and _surname(a):
            hits.append((first.start(), second.end(), "a surname and a first name"))
    return hits


def _surname(word: str) -> bool:
    """Two letters or more, letters only (a hyphen or apostrophe inside): not 'B' or 'C4'."""
    letters = word.replace("-", "").replace("'", "").replace("’", "")
    return len(letters) >= 2 and letters.isalpha() and word.lower() not in _PLACEHOLDERS
