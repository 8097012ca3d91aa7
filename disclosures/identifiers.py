"""Normalising identifiers before they are hashed: one patient's name spelled or ordered differently, phone
numbers with or without punctuation, e-mail in any case all reach the same value. Django-free."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from phi import Entity

# What the index holds, one keyed hash per kind and value; the kind is part of what is hashed.
KINDS: tuple[str, ...] = ("name_dob", "mrn", "ssn", "phone", "email")
KIND_LABELS: dict[str, str] = {
    "name_dob": "name and date of birth",
    "mrn": "medical record number",
    "ssn": "social security number",
    "phone": "phone number",
    "email": "e-mail address",
}
_DIGIT_KINDS = {"MRN": "mrn", "SSN": "ssn", "PHONE": "phone"}
_TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "jr", "sr", "ii", "iii", "iv", "md"})
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}  # fmt: skip
_DOB_CONTEXT = re.compile(r"(?:\bd\.?\s?o\.?\s?b\b|\bborn\b|\bbirth|\bb\.\s?d\b)", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})[/.\-](\d{1,2})[/.\-](\d{1,2})$")
_WORD_DATE_MDY = re.compile(r"^([a-z]{3})[a-z]*\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_WORD_DATE_DMY = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]{3})[a-z]*\.?,?\s+(\d{4})$")
MAX_DATES_PER_NAME = 5  # without a "DOB" cue every full date in the text pairs with the name, up to this many


@dataclass(frozen=True)
class Identifier:
    kind: str
    value: str  # normalised; hashed at once and never stored


def normalise_name(name: str) -> str:
    """`SMITH, JOHN`, `John Q. Smith`, `Dr. john smith` → `john smith`: accents, case, punctuation, titles and
    initials dropped, last-name-first undone, first and last name only (middle names vary between records)."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).casefold()
    if "," in text:  # "Smith, John Q" → "John Q Smith"
        last, _, rest = text.partition(",")
        text = f"{rest} {last}"
    text = re.sub("['\u2019\\-]", "", text)  # O'Brien, Álvarez-Núñez: one word each
    words = [w for w in re.split(r"[^a-z0-9]+", text) if len(w) > 1 and w not in _TITLES]
    if not words:
        return ""
    return words[0] if len(words) == 1 else f"{words[0]} {words[-1]}"


def normalise_date(value: str) -> str:
    """A full date (month, day and year) as ISO `YYYY-MM-DD`, or "" when it is partial or not a date. Numeric
    dates are read month first (US style), two-digit years as the most recent past century."""
    text = value.strip().casefold()
    year = month = day = 0
    if m := _ISO_DATE.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _NUMERIC_DATE.match(text):
        month, day, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            this_century = date.today().year // 100 * 100  # noqa: DTZ011 - a calendar year, no time zone matters
            year += this_century if this_century + year <= date.today().year else this_century - 100  # noqa: DTZ011
    elif (m := _WORD_DATE_MDY.match(text)) and m[1] in _MONTHS:
        month, day, year = _MONTHS[m[1]], int(m[2]), int(m[3])
    elif (m := _WORD_DATE_DMY.match(text)) and m[2] in _MONTHS:
        day, month, year = int(m[1]), _MONTHS[m[2]], int(m[3])
    else:
        return ""
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def normalise_digits(value: str, kind: str) -> str:
    digits = "".join(c for c in value if c.isdigit())
    if kind == "phone" and len(digits) == 11 and digits.startswith("1"):  # +1 (617) 555-0100 = 617-555-0100
        digits = digits[1:]
    return digits


def normalise_email(value: str) -> str:
    return value.strip().casefold()


def name_dob(name: str, dob: str) -> str:
    return f"{name}|{dob}"


def from_text(text: str, entities: Sequence[Entity]) -> set[Identifier]:
    """The identifiers the PHI engine found in one text: each name paired with the dates of birth in the same
    text (dates with a DOB cue just before them; without any cue, every full date), MRN/SSN/phone as digits,
    e-mail in lower case."""
    found: set[Identifier] = set()
    names: list[str] = []
    cued: list[str] = []
    dates: list[str] = []
    for entity in entities:
        value = text[entity.start : entity.end]
        if entity.type == "NAME":
            if name := normalise_name(value):
                names.append(name)
        elif entity.type == "DATE":
            if day := normalise_date(value):
                dates.append(day)
                if _DOB_CONTEXT.search(text[max(0, entity.start - 24) : entity.start]):
                    cued.append(day)
        elif entity.type in _DIGIT_KINDS:
            kind = _DIGIT_KINDS[entity.type]
            if digits := normalise_digits(value, kind):
                found.add(Identifier(kind, digits))
        elif entity.type == "EMAIL" and "@" in value:
            found.add(Identifier("email", normalise_email(value)))
    births = list(dict.fromkeys(cued or dates))[:MAX_DATES_PER_NAME]
    found.update(Identifier("name_dob", name_dob(name, day)) for name in names for day in births)
    return found


def from_texts(texts: Iterable[tuple[str, Sequence[Entity]]]) -> set[Identifier]:
    found: set[Identifier] = set()
    for text, entities in texts:
        found |= from_text(text, entities)
    return found
