"""Words no identifier can contain, for releasing the opening of a streamed answer at once.

A streamed answer usually opens on plain words (The patient was seen today...). Holding those back for a whole
window (phi/stream.py) is what made the first token slow. A word is *inert* when it is written in lower case,
is a plain English, common or clinical word by the lexicon, and is none of what a name or a place is made of: no
census name (MAY is not inert), no town or region word, no word that opens or ends an organisation's name (BAY,
NORTH, CHURCH), no month or number word, no digit. A capitalised word is inert only where a sentence opens and
the next word is inert too (The patient; not The Dalles). Nothing here decides what is PHI: it decides only what
cannot be part of PHI, and the first word it is unsure of ends the fast release.

The gateway's own redaction labels are inert too: in the redact mode the model sees `[REDACTED NAME]` where the
prompt had a name and often repeats it (Patient [REDACTED NAME] was seen on [REDACTED DATE]...). A complete label
is our text, not the patient's; the engine never reads one as an identifier, and it stands in for a word in the
rules above (a capitalised opener before a label is inert as before another plain word). So is the start of
an entity the engine found (Patient Earnest Hewitt, in the de-identify mode): the opener stays out of it.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import cache

from phi.lexicon import (
    AMBIG,
    CITY,
    CITY_AMBIG,
    CITY_HEAD,
    CLINICAL,
    COMMON,
    ENGLISH,
    FIRST,
    LAST,
    NAME,
    RARE,
    REGION,
    RELATIVE,
    ROLE,
    TITLE,
    VERB,
    Lexicon,
    norm_key,
)
from phi.org_shapes import _HEADS, _LEADS, _MIDDLE, _PLACE_PARTS
from phi.types import ENTITY_TYPES

__all__ = ["inert_prefix"]


@cache
def _stop_words() -> frozenset[str]:
    """spaCy's English stop words, upper case. Imported on first use, never at module import: the gateway imports
    this module while the URLconf loads, and a worker's engine warm-up imports spaCy in another thread meanwhile
    (two threads importing spaCy at once fail with a partially initialised module)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(w.upper() for w in STOP_WORDS if w.isalpha())


# A word with the punctuation or markup around it (no digit, no @ or /), and the whitespace after it.
_WORD = re.compile(r"([\s*#>(\[\"'`_-]*)([A-Za-z]+)([*)\]\"'`_,.;:!?-]*)(\s+)")
# One of our redaction labels (phi.engine.redaction_label), complete, with the punctuation around it.
_LABEL = re.compile(rf"([\s*#>(\[\"'`_-]*)\[REDACTED (?:{'|'.join(ENTITY_TYPES)})\]([*)\]\"'`_,.;:!?-]*)(\s+)")
_LEAD = re.compile(r"[\s*#>(\[\"'`_-]*")
_NAME_OR_PLACE = FIRST | NAME | CITY | CITY_AMBIG | CITY_HEAD | REGION | RARE
_SURNAME_TOO = LAST | AMBIG  # PATIENT, SEEN, LABS are census surnames too: plain unless a cue stands before
_CUES = RELATIVE | TITLE | ROLE | VERB  # daughter grace, Dr. Will, called hope: the next word may be a name
_PLAIN = COMMON | ENGLISH | CLINICAL
_CALENDAR = frozenset(
    {"JANUARY", "FEBRUARY", "MARCH", "APRIL", "MAY", "JUNE", "JULY", "AUGUST", "SEPTEMBER", "OCTOBER", "NOVEMBER",
     "DECEMBER", "JAN", "FEB", "MAR", "APR", "JUN", "JUL", "AUG", "SEP", "SEPT", "OCT", "NOV", "DEC", "MONDAY",
     "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY", "CHRISTMAS", "EASTER", "THANKSGIVING"}
)  # fmt: skip
_NUMBER_WORDS = frozenset(
    {"ONE", "TWO", "THREE", "FOUR", "FIVE", "SIX", "SEVEN", "EIGHT", "NINE", "TEN", "ELEVEN", "TWELVE", "TWENTY",
     "THIRTY", "FORTY", "FIFTY", "SIXTY", "SEVENTY", "EIGHTY", "NINETY", "HUNDRED", "FIRST", "SECOND", "THIRD"}
)  # fmt: skip
_NAME_PARTS = _HEADS | _LEADS | _MIDDLE | _PLACE_PARTS  # months and number words are refused before these


def _word_at(text: str, at: int) -> int:
    """Where the next word's letters begin at or after `at` (past whitespace and opening punctuation)."""
    lead = _LEAD.match(text, at)
    return lead.end() if lead is not None else at


def _plain(key: str, lex: Lexicon, after_cue: bool) -> bool:
    if after_cue or key in _CALENDAR or key in _NUMBER_WORDS:
        return False
    if key in _stop_words():
        return True  # function words: the lexicon never reads them as names (THE, WAS, WILL)
    if key in _NAME_PARTS:
        return False
    bits = lex.cls(key)
    return bool(bits & _PLAIN) and not bits & _NAME_OR_PLACE


def _opens(lead: str, gap_before: str, previous_tail: str) -> bool:
    """A sentence, a line, a heading or a list item opens here."""
    return "\n" in gap_before or any(ch in previous_tail for ch in ".!?:") or any(ch in lead for ch in "#-*>")


def inert_prefix(text: str, start: int, lex: Lexicon, entity_starts: Collection[int] = ()) -> int:
    """The end of the run of complete inert words (each with the punctuation and whitespace around it) that opens
    at `start`; `start` when the first word there is not inert or not complete yet. `entity_starts`: where the
    engine found an entity beginning in `text`; a capitalised opener right before one is as inert as before a
    plain word (Patient Earnest Hewitt: the name is the entity, the opener is not part of it)."""
    cut = at = start
    after_cue = False
    before = text[:start]
    sentence_open = not before.strip() or before.rstrip()[-1] in ".!?:" or "\n" in before[len(before.rstrip()) :]
    while True:
        label = _LABEL.match(text, at)
        if label is not None:
            sentence_open, after_cue = _opens("", label.group(3), label.group(2)), False
            cut = at = label.end()
            continue
        m = _WORD.match(text, at)
        if m is None:
            return cut
        lead, word, tail = m.group(1), m.group(2), m.group(3)
        key = norm_key(word)
        opens = sentence_open or _opens(lead, "", "")
        if word.islower():
            ok = _plain(key, lex, after_cue)
        else:  # The, Summary: only where a sentence, line or heading opens, and only before another plain word
            after = _WORD.match(text, m.end())
            plain_after = (
                _LABEL.match(text, m.end()) is not None
                or _word_at(text, m.end()) in entity_starts
                or (
                    after is not None
                    and _plain(norm_key(after.group(2)), lex, bool(lex.cls(key) & _CUES))
                    and (after.group(2).islower() or _opens(after.group(1), m.group(4), tail))
                )
            )
            ok = opens and word[0].isupper() and word[1:].islower() and _plain(key, lex, after_cue) and plain_after
        if not ok:
            return cut
        sentence_open = _opens("", m.group(4), tail)
        after_cue = bool(lex.cls(key) & _CUES)
        cut = at = m.end()
