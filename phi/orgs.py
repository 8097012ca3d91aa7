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
        if not (keys[head] in _STAY or keys[head] in _HEADS or doc.ends[head] in ends or _unlisted(doc, head)):
            continue
        hits.append((doc.starts[head], starts[doc.starts[i]], "LOCATION", 0.7))


def _unlisted(doc: Doc, i: int) -> bool:
    """A capitalised word no list knows, in mixed-case text (Hearthstone, Wingate)."""
    return not doc.caps and doc.titlecase(i) and not doc.classes[i] & (COMMON | ENGLISH | CLINICAL) and doc.shaped(i)


def find_orgs(doc: Doc, lex: Lexicon, places: list[Hit]) -> list[Hit]:
    """LOCATION hits for named organisations and for towns that qualify a place already found."""
    hits: list[Hit] = []
    _orgs(doc, hits)
    _in_parentheses(doc, lex, [*places, *hits], hits)
    _linked(doc, [*places, *hits], hits)
    return hits
