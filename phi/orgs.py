"""Businesses, practices, agencies, schools and congregations, named as a proper word and a generic head.

Real notes name where the patient works, worships, studied or gets care by a town or a proper word and a head
no list of facilities holds: SOUTH SHORE FAMILY PRACTICE, Dedham Medical Associates, Lynnfield High, Mystic
Valley VNA, Charlestown Navy Yard, Mike's Collision. A name of that shape is a place (LOCATION); the proper
first word is what keeps "family practice" or "GRADE SCHOOL" out. Also here: a town in parentheses after a
place (SAINT ANNE'S HOSPITAL (FALL RIVER)) and a town after a street address (8 PROSPECT HILL, REVERE).
"""

from __future__ import annotations

from phi.lexicon import CITY, CITY_AMBIG, CITY_HEAD, CLINICAL, COMMON, ENGLISH, FIRST, LAST, NAME, REGION, Lexicon
from phi.scan import Doc, Hit
from phi.words import words

__all__ = ["find_orgs"]

_HEADS = words("org_heads")
_MIDDLE = words("org_middle")
_PROPER = CITY | CITY_AMBIG | CITY_HEAD | FIRST | LAST | NAME | REGION
_NOT_AFTER = frozenset({"PLAN", "PLANS", "INSURANCE", "ID", "BENEFITS", "PROTEIN", "SCIENTIFIC", "CARD"})
_LEADS = frozenset({"NORTH", "SOUTH", "EAST", "WEST", "NEW", "OLD", "CAPE", "MOUNT", "MT", "SAINT", "ST", "FORT"})


def _written_proper(doc: Doc, i: int) -> bool:
    """Token i is written like a proper word: capitalised in mixed-case text, any case in blind text."""
    if doc.lowered:
        return False
    return doc.caps or doc.titlecase(i) or (doc.word(i).isupper() and len(doc.keys[i]) > 1)


def _proper_first(doc: Doc, i: int) -> bool:
    """Token i can open an organisation's name: a town, a census name or a word no list knows."""
    c = doc.classes[i]
    key = doc.keys[i]
    if len(key) < 3 and key not in ("MT", "ST"):
        return False
    if key in _LEADS:
        return True
    if c & CLINICAL and not c & CITY:
        return False
    if c & (COMMON | ENGLISH):
        return bool(c & (CITY | CITY_AMBIG | REGION))  # CONCORD HOSPITAL, but not GOOD COLLEGE or HIGH SCHOOL
    return bool(c & _PROPER) or doc.shaped(i)


def _orgs(doc: Doc, hits: list[Hit]) -> None:
    keys = doc.keys
    n = len(keys)
    for i in range(n):
        if keys[i] not in _HEADS or not _written_proper(doc, i):
            continue
        if i + 1 < n and keys[i + 1] in _NOT_AFTER and doc.tight(i + 1):
            continue  # an insurer (FALLON COMMUNITY HEALTH PLAN) or a product, not a place
        j = i
        while j > 0 and i - j < 4 and (doc.tight(j) or doc.gap(j) in (" & ", "'s ", "'S ")):
            k = j - 1
            if not _written_proper(doc, k) and keys[k] not in ("OF", "AND", "THE"):
                break
            if keys[k] in _MIDDLE or keys[k] in _HEADS or _proper_first(doc, k):
                j = k
                continue
            break
        while j < i and not _proper_first(doc, j):
            j += 1  # the name opens on its proper word: FAMILY PRACTICE alone is no name
        if j < i:
            hits.append((doc.starts[j], doc.ends[i], "LOCATION", 0.7))


def _in_parentheses(doc: Doc, lex: Lexicon, places: list[Hit], hits: list[Hit]) -> None:
    """(FALL RIVER), (Methuen): a listed town alone in parentheses right after a place."""
    text = doc.text
    ends = {end for _s, end, kind, _sc in places if kind == "LOCATION"}
    for i in range(1, len(doc.keys)):
        gap = doc.gap(i)
        if gap.strip() != "(" or doc.ends[i - 1] not in ends:
            continue
        j = i
        while j + 1 < len(doc.keys) and j - i < 2 and doc.tight(j + 1):
            j += 1
        close = text.find(")", doc.ends[j])
        if close != doc.ends[j] and text[doc.ends[j] : close].strip(" ,.") != "":
            continue
        parts = [doc.keys[k] for k in range(i, j + 1)]
        known = lex.classes.get(parts[0], 0) & (CITY | CITY_AMBIG) if len(parts) == 1 else None
        if known or tuple(parts[1:]) in lex.multi_cities.get(parts[0], ()):
            hits.append((doc.starts[i], doc.ends[j], "LOCATION", 0.75))


_LINKS = frozenset({"AT", "OF"})
_COMPASS = frozenset({"NORTH", "SOUTH", "EAST", "WEST", "MAIN"})
_RIGHT_HEADS = frozenset({"CHURCH", "PARISH", "HOSPITAL", "CLINIC", "CAMPUS", "SCHOOL", "REHAB", "VNA", "HOSPICE",
                          "MEDICAL", "CENTER", "CENTRE", "MANOR", "HEALTH", "NH", "SNF", "LTAC", "BANK", "LIBRARY",
                          "ACADEMY", "COLLEGE", "UNIVERSITY", "HIGH", "TEMPLE", "SYNAGOGUE", "MOSQUE"})  # fmt: skip
_STAY = frozenset({"INN", "PAVILION", "VNA", "HOSPITAL", "HOSPICE", "LODGE", "HOUSE", "MANOR", "VILLAGE"})


def _linked(doc: Doc, places: list[Hit], hits: list[Hit]) -> None:
    """Brookhaven at Lexington, the Inn at Longwood, VNA of Middlesex East: a named or generic head joined by
    AT or OF to a place already found is one place."""
    starts = {start: end for start, end, kind, _sc in places if kind == "LOCATION"}
    ends = {end for _s, end, kind, _sc in places if kind == "LOCATION"}
    keys = doc.keys
    for i in range(2, len(keys)):
        if doc.starts[i] not in starts or keys[i - 1] not in _LINKS or doc.gap(i) != " " or doc.gap(i - 1) != " ":
            continue
        head = i - 2
        if not _written_proper(doc, head) or (doc.caps and keys[head] not in _STAY and doc.ends[head] not in ends):
            continue
        named = keys[head] in _STAY or keys[head] in _HEADS or doc.ends[head] in ends or _unlisted(doc, head)
        if not (named or _titled_mid_sentence(doc, head)):
            continue
        hits.append((doc.starts[head], starts[doc.starts[i]], "LOCATION", 0.7))


def _titled_mid_sentence(doc: Doc, i: int) -> bool:
    """Sunrise (of Arlington): a capitalised word inside a sentence of mixed-case text, no shorthand."""
    return not doc.caps and doc.titlecase(i) and not doc.sentence_start(i) and not doc.classes[i] & CLINICAL


def _widened(doc: Doc, places: list[Hit], hits: list[Hit]) -> None:
    """ST. MARY'S CHURCH, DaVita Brockton, Radius Danvers: a place found takes the head after it and a proper
    word no list knows right before it."""
    keys = doc.keys
    by_start = {doc.starts[i]: i for i in range(len(keys))}
    by_end = {doc.ends[i]: i for i in range(len(keys))}
    for start, end, kind, score in places:
        first, last = by_start.get(start), by_end.get(end)
        if kind != "LOCATION" or score < 0.7 or first is None or last is None:
            continue  # only a confident place grows: a surname read as a town (SMITH) stays as it is
        new_start, new_end = start, end
        k = last + 1
        while k < len(keys) and k - last <= 2 and doc.tight(k) and keys[k] in _RIGHT_HEADS and _any_case(doc, k):
            new_end = doc.ends[k]
            k += 1
        j = first - 1
        if j >= 0 and doc.gap(first) == " " and not doc.caps and not doc.sentence_start(j):
            word = doc.word(j)
            plain = doc.classes[j] & (COMMON | ENGLISH | CLINICAL | FIRST | LAST | NAME)
            if word[:1].isupper() and not plain and doc.shaped(j):
                new_start = doc.starts[j]
        if (new_start, new_end) != (start, end):
            hits.append((new_start, new_end, "LOCATION", score))


def _any_case(doc: Doc, k: int) -> bool:
    return doc.lowered or _written_proper(doc, k)


def _campuses(doc: Doc, hits: list[Hit]) -> None:
    """the West campus, EAST CAMPUS: a named campus of the hospital."""
    keys = doc.keys
    for i in range(1, len(keys)):
        if keys[i] == "CAMPUS" and keys[i - 1] in _COMPASS and doc.gap(i) == " ":
            hits.append((doc.starts[i - 1], doc.ends[i], "LOCATION", 0.7))


def _unlisted(doc: Doc, i: int) -> bool:
    """A capitalised word no list knows, in mixed-case text (Hearthstone, Wingate)."""
    return not doc.caps and doc.titlecase(i) and not doc.classes[i] & (COMMON | ENGLISH | CLINICAL) and doc.shaped(i)


def find_orgs(doc: Doc, lex: Lexicon, places: list[Hit]) -> list[Hit]:
    """LOCATION hits for named organisations and for towns that qualify a place already found."""
    hits: list[Hit] = []
    _orgs(doc, hits)
    _in_parentheses(doc, lex, [*places, *hits], hits)
    _linked(doc, [*places, *hits], hits)
    _widened(doc, [*places, *hits], hits)
    _campuses(doc, hits)
    return hits
