"""Hospital short forms, named wards and other named sites that the city and facility scanners miss.

Notes name the hospitals a patient came from by their initials (FROM MGH, PER SMNH RECORDS, BIDMC ED), the
wards they go to by a building name and a floor (TRANSFER TO FARR 6, callout to Kessler 4), and the places
they stay by a proper name and a generic head (HOPE LODGE, Pine Street Inn, North Shore VNA).
"""

from __future__ import annotations

import re

from phi.lexicon import AMBIG, CITY, CITY_AMBIG, CLINICAL, COMMON, ENGLISH, FIRST, LAST, NAME, Lexicon
from phi.scan import Doc, Hit
from phi.words import words

__all__ = ["find_sites"]

# Words before a site: a short form after them is a place (FROM MGH, TRANSFERRED TO BWH, PER LGH RECORDS).
_SITE_BEFORE = frozenset({"FROM", "AT", "TO", "PER", "VIA", "XFER", "OSH", "CALLED", "FAXED", "CALL"})
# Words after a hospital short form that show it is one (BIDMC ED, MGH RECORDS, LGH EW).
_SITE_AFTER = frozenset({"ED", "ER", "EW", "RECORDS", "RECS", "HOSPITAL", "ICU", "MICU", "CCU", "CLINIC", "ER'S"})
# The shape of a hospital's initials: ends in Hospital, Medical Center, Health Center or General Hospital.
_HOSPITAL_INITIALS = re.compile(r"[A-Z]{1,4}(?:H|MC|HC)")
# Generic heads after a proper name that make a place where people stay or are cared for.
_STAY_HEADS = frozenset({"INN", "LODGE", "HOUSE", "TABERNACLE", "CHURCH", "SHELTER", "PAVILION", "VNA", "LTAC",
                         "LTACH", "MANOR", "VILLAGE", "RESIDENCE", "COMMONS", "GARDENS", "CENTER", "MEMORIAL",
                         "REGIONAL", "GENERAL", "BAPTIST", "SAMARITAN", "DEACONESS", "HEALTH", "SCHOOL", "COLLEGE",
                         "UNIVERSITY", "ACADEMY", "STATION", "AIRPORT", "HOME", "DIMENSIONS", "PARISH",
                         "CAMPUS"})  # fmt: skip
# Words before a head that make it generic, not a named place (HOME HEALTH, GOOD HEALTH, AT HOME).
_GENERIC_BEFORE = frozenset({"HOME", "PUBLIC", "MENTAL", "BEHAVIORAL", "OCCUPATIONAL", "POOR", "FAIR",
                             "NURSING", "MEDICAL", "NURSES", "CHARGE", "MONITORING", "MED", "DIALYSIS", "GRADE",
                             "ELEMENTARY", "LAW", "BUSINESS", "SUMMER", "NIGHT", "SUNDAY", "BOARDING", "PREP",
                             "TRADE", "VOCATIONAL", "COMMUNITY"})  # fmt: skip
# Ordinary words that may sit inside a place's name, between proper words and the head.
_CONNECTORS = frozenset({"HIGH", "FUNERAL", "GOOD", "NORTH", "SOUTH", "EAST", "WEST", "NEW", "OF", "SAINTS"})
_NOT_STAY_BEFORE = frozenset({"HOUSE", "OPEN", "HALFWAY", "GROUP", "NURSING", "TRAILER", "THE", "HIS", "HER"})
# A floor after a building: FARR 6, BROWN 7N, Yu1, Holluin12 (not a time, a dose or a ratio).
_FLOOR = re.compile(r" ?\d{1,2}[NSEWnsew]?(?![\w:/]|\.\d)")
# Words that end a ward name: TO FARR 6 AT 1600 (a time), FARR 10 WHEN BED AVAILABLE.
_WARD_BEFORE = frozenset({"TO", "ON", "FLOOR", "FROM"})
_WARD_CONTEXT = frozenset({"TRANSFER", "TRANSFERRED", "TRANSFERED", "XFER", "CALLOUT", "CALLED", "OUT", "FLOOR",
                           "BED", "MOVED", "GOING", "GO", "GOES", "SENT", "TRANSFERRING", "BACK", "REPORT",
                           "GIVEN"})  # fmt: skip


def _unlisted_acronym(doc: Doc, i: int) -> bool:
    """Token i is upper-case initials no list knows: not a word, a name, shorthand or an abbreviation."""
    key = doc.keys[i]
    word = doc.word(i)
    if not 2 < len(key) <= 5 or not (word.isupper() or doc.lowered) or not key.isalpha():
        return False
    return not doc.classes[i] & (COMMON | CLINICAL | ENGLISH | NAME | FIRST | LAST | CITY | CITY_AMBIG)


def _acronyms(doc: Doc, hits: list[Hit]) -> None:
    keys = doc.keys
    for i in [i for i, key in enumerate(keys) if 2 < len(key) <= 5]:  # initials are three to five letters
        if not _unlisted_acronym(doc, i):
            continue
        before = keys[i - 1] if i and doc.near(i) and "\n" not in doc.gap(i) else ""
        if i and doc.gap(i).strip() == "@":
            before = "AT"  # CATH @ NMC
        after = keys[i + 1] if i + 1 < len(keys) and doc.gap(i + 1) == " " else ""
        shaped = _HOSPITAL_INITIALS.fullmatch(keys[i]) is not None
        if before in ("FROM", "AT") and doc.word(i).isupper() and not doc.caps:
            shaped = True  # mixed-case text: initials no list knows (the heart's borders, RUSB, are listed)
        if before in ("AT", "FROM") and not doc.classes[i] & (COMMON | CLINICAL | ENGLISH):
            shaped = True  # initials no list knows, as where a patient was or works: AT DFCI, FROM WPNC
        if (before in _SITE_BEFORE and (shaped or after in _SITE_AFTER)) or (shaped and after in _SITE_AFTER):
            hits.append((doc.starts[i], doc.ends[i], "LOCATION", 0.7))


def _proper(doc: Doc, j: int, street: bool = False) -> bool:
    """Token j can be part of a place's proper name: capitalised, no shorthand, no function word (a street's
    name may be a plain noun: BLUE HILL AVE, MASS AVE)."""
    c = doc.classes[j]
    if c & CLINICAL and not c & (AMBIG | CITY):
        return False  # shorthand and function words (IN, THE), which the census may list as surnames
    if not street and c & COMMON and not c & (CITY | CITY_AMBIG | LAST) and not (not doc.caps and doc.titlecase(j)):
        return False  # a plain noun (GRADE SCHOOL, SELF AND HOSPITAL) is no proper name in blind text
    if not (doc.caps or doc.titlecase(j)) or len(doc.keys[j]) < 2:
        return False
    return street or not (c & ENGLISH and not c & (FIRST | LAST | CITY))  # streets: BEACON ST, PLEASANT ST


def _named(doc: Doc, j: int) -> bool:
    """Token j (or the word before it) is a proper name: a census name, a city, or a word no list knows."""
    for k in (j, j - 1):
        c = doc.classes[k]
        named = c & (FIRST | LAST | NAME | CITY | CITY_AMBIG) or not c & (COMMON | CLINICAL)
        if k >= 0 and named and _proper(doc, k):
            return True
        if k == j and doc.keys[j] not in ("FUNERAL", "HIGH", "NORTH", "SOUTH", "EAST", "WEST"):
            break
    return False


def _wards(doc: Doc, lex: Lexicon, hits: list[Hit]) -> None:
    """FARR 6, Kessler 4, feldberg 7: a building and a floor after a transfer word."""
    text, keys = doc.text, doc.keys
    for i in range(1, len(keys)):
        if keys[i - 1] not in _WARD_BEFORE or not doc.near(i):
            continue
        context = {keys[k] for k in range(max(0, i - 6), i)}
        if not context & _WARD_CONTEXT and "(" not in doc.gap(i):
            continue
        c = lex.cls(keys[i])  # as listed: a building glued to its floor (MATEJUK9) is no shorthand
        if (c & (CLINICAL | ENGLISH) and not c & (FIRST | LAST | NAME)) or len(keys[i]) < 3 or not keys[i].isalpha():
            continue
        floor = _FLOOR.match(text, doc.ends[i])
        if floor:
            hits.append((doc.starts[i], floor.end(), "LOCATION", 0.7))
    _named_floors(doc, lex, hits)


# What may follow a number that is a count or a measure, not a floor: FARR 6 is a ward, SMITH 2 TIMES is not.
_MEASURE_AFTER = frozenset({"X", "TIMES", "MG", "MCG", "G", "GM", "CC", "ML", "L", "MM", "CM", "HR", "HRS", "HOURS",
                            "DAYS", "DAY", "WKS", "WEEKS", "MIN", "MINS", "AM", "PM", "YO", "YR", "YRS", "YEARS",
                            "UNITS", "U", "MEQ", "PERCENT", "OF", "PTS", "POINTS", "LBS", "KG", "LITERS", "AND",
                            "OR", "TO"})  # fmt: skip
_NOT_WARD_BEFORE = frozenset({"DR", "DRS", "MR", "MRS", "MS", "MISS", "SON", "DAUGHTER", "WIFE", "HUSBAND", "X",
                              "PAGE", "PAGED", "CALLED", "CALL", "BED", "ROOM", "RM"})  # fmt: skip


_WARD_TALK = frozenset({"BED", "FLOOR", "CAMPUS", "TRANSFER", "TRANSFERRED", "CALLOUT", "C/O", "UNIT", "STEP",
                        "ACCEPTED", "AWAITING", "HOSPITAL", "ARRIVAL", "ARRIVED", "LIKELY", "ADMITTED", "ADMIT",
                        "ADM", "ADMISSION"})  # fmt: skip
_WARD_TALK_WEAK = _WARD_TALK | {"TO", "FROM", "CALL", "OUT", "DOWN", "ON"}


def _ward_talk(doc: Doc, i: int, words: frozenset[str] = _WARD_TALK) -> bool:
    """A word about beds and floors among the six before token i, or the ward in brackets: (BAKER 5)."""
    if i and doc.gap(i).strip() == "(" and doc.text.startswith(")", doc.ends[i] + 2):
        return True
    return any(doc.keys[k] in words for k in range(max(0, i - 6), i))


def _named_floors(doc: Doc, lex: Lexicon, hits: list[Hit]) -> None:
    """KESSLER 3, Stoneman 6, Baker 12: a building named like a person, then a floor, wherever it stands (a
    surname is never followed by a bare small number otherwise, and a drug or a measure is shorthand)."""
    text, keys = doc.text, doc.keys
    by_end = {end: i for i, end in enumerate(doc.ends)}
    for m in _WORD_THEN_NUMBER.finditer(text):  # the cheap test first: a number right after a word
        i = by_end.get(m.start() + 1, -1)
        if i < 0:
            continue
        key = keys[i]
        c = lex.cls(key) | doc.classes[i]
        if len(key) < 4 or not key.isalpha() or c & CLINICAL:
            continue
        talk = _ward_talk(doc, i)
        unlisted = not c & (COMMON | ENGLISH | FIRST) and doc.shaped(i) and _ward_talk(doc, i, _WARD_TALK_WEAK)
        if unlisted and not doc.caps and doc.word(i).isupper():
            continue  # an unlisted word in capitals inside mixed-case text is shorthand (EPAP 8), not a building
        if not (c & (LAST | NAME) or unlisted) or key in _SCALE_EPONYMS:
            continue  # a listed surname only: DAY 3, STAGE 2 and device brands (SHILEY 8) are not buildings
        if c & (COMMON | ENGLISH) and not talk:
            continue  # a surname that is a word (BAKER 5) only where beds and floors are talked about
        if i and doc.gap(i) in ("-", "/"):
            continue  # HUNT-HESS 3
        written = doc.titlecase(i) or doc.word(i).isupper() or (doc.caps and (not doc.lowered or talk or unlisted))
        if not written:
            continue
        if i and keys[i - 1] in _NOT_WARD_BEFORE and doc.near(i):
            continue
        floor = _NAMED_FLOOR.match(text, doc.ends[i])
        if floor is None:
            continue
        k = i + 1  # the word after the floor's number
        if k < len(keys) and doc.starts[k] - floor.end() <= 1 and keys[k] in _MEASURE_AFTER:
            continue
        hits.append((doc.starts[i], floor.end(), "LOCATION", 0.65))


_SCALE_EPONYMS = words("scale_eponyms")
_WORD_THEN_NUMBER = re.compile(r"[^\W\d_] (?=\d)")
_NAMED_FLOOR = re.compile(r" (?:1\d|[1-9])[NSEWnsew]?(?![\w:/%'-]|\.\d| ?/)")


def _stays(doc: Doc, hits: list[Hit]) -> None:
    """HOPE LODGE, Pine Street Inn, Andrew House, North Shore VNA, Brightwater LTAC."""
    keys = doc.keys
    for i in range(1, len(keys)):
        if keys[i] not in _STAY_HEADS or not doc.tight(i) or keys[i - 1] in _NOT_STAY_BEFORE | _GENERIC_BEFORE:
            continue
        if keys[i] in ("HOME", "HEALTH", "GENERAL", "STATION", "SCHOOL") and not (i > 1 and _named(doc, i - 1)):
            continue  # these heads follow a proper name only: KEOHANE FUNERAL HOME, FENWAY HEALTH, MASS GENERAL
        if not (doc.caps or doc.titlecase(i) or doc.word(i).isupper()):
            continue
        j = i
        while j > 0 and i - j < 3 and doc.tight(j) and (_proper(doc, j - 1) or keys[j - 1] in _CONNECTORS):
            j -= 1
        while j < i and keys[j] in _CONNECTORS and keys[j] != "SAINTS" and keys[i] not in _SELF_NAMED:
            j += 1  # a name starts with a proper word (AT NORTH STATION: the station; but EAST CAMPUS)
        if j < i and (any(_proper(doc, k) or keys[k] == "SAINTS" for k in range(j, i)) or keys[i] in _SELF_NAMED):
            hits.append((doc.starts[j], doc.ends[i], "LOCATION", 0.7))


# A street named without a house number: ON BEACON ST, on Gainsborough St, OFF BLUE HILL AVE.
_BARE_STREET = re.compile(
    r"(?=[ONA])\b(?:ON|OFF|NEAR|AT|ALONG)[ \t]+((?:(?:[NS]?[EW]|[NS])\.?[ \t]+)?"
    r"(?:(?:[A-Z][A-Z'-]+|\d{1,3}(?:ST|ND|RD|TH))[ \t]+){1,3}"
    r"(?:ST|STREET|AVE|AVENUE|RD|ROAD|BLVD|BOULEVARD|LN|LANE|PKWY|PARKWAY|HWY|HIGHWAY|SQ|SQUARE|TER|TERRACE|DRIVE))\b"
)
# A numbered road: RT 128, ROUTE 9, I-93, HWY 1 (after ON, OFF, NEAR, ALONG: not "ROUTE" of a drug).
_ROAD = re.compile(r"\b(?:ON|OFF|NEAR|ALONG|FROM|AT)[ \t]+((?:RT|RTE|ROUTE|HWY|HIGHWAY|I|US|SR|FM|CR)[ \t-]?\d{1,3})\b")
# Saint nicknames of hospitals: ST. E'S, ST V'S.
_SAINT_NICKNAME = re.compile(r"\b(?:ST|SAINT)\.?[ \t]?[A-Z][A-Z]*'S\b")  # ST. E'S, ST. ADALBERT'S


_DIRECTIONS = frozenset({"N", "S", "E", "W", "NE", "NW", "SE", "SW"})
_ORDINAL = re.compile(r"\d{1,3}(?:ST|ND|RD|TH)")
_SELF_NAMED = frozenset({"SAMARITAN", "CAMPUS"})  # GOOD SAMARITAN, EAST CAMPUS: plain words make the name
_COMPASS = frozenset({"OLD", "NEW", "NORTH", "SOUTH", "EAST", "WEST"})


def _streets(doc: Doc, hits: list[Hit]) -> None:
    up = doc.up
    if "ST" in up or "AVE" in up or "RD" in up or "BLVD" in up or "LN" in up:
        for m in _BARE_STREET.finditer(up):
            first = m.start(1)
            i = doc.starts.index(first) if first in doc.starts else -1
            names = m.group(1).split()[:-1]
            words = [w for w in names if w.strip(".") not in _DIRECTIONS and not _ORDINAL.fullmatch(w)]
            if i < 0:
                continue
            k0 = doc.starts.index(m.start(1) + m.group(1).index(words[0])) if words else i
            if not all(_proper(doc, k0 + k, street=True) or words[k] in _COMPASS for k in range(len(words))):
                continue  # (an ordinal street, SE 82ND AVE, has no words to check)
            hits.append((m.start(1), m.end(1), "LOCATION", 0.8))
    for m in _ROAD.finditer(up):
        hits.append((m.start(1), m.end(1), "LOCATION", 0.75))
    for m in _SAINT_NICKNAME.finditer(up):
        hits.append((m.start(), m.end(), "LOCATION", 0.7))


def find_sites(doc: Doc, lex: Lexicon) -> list[Hit]:
    """LOCATION hits for hospital initials, named wards and named places to stay."""
    hits: list[Hit] = []
    _streets(doc, hits)
    _acronyms(doc, hits)
    _wards(doc, lex, hits)
    _stays(doc, hits)
    return hits
