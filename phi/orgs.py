"""Businesses, practices, agencies, schools and congregations, named as a proper word and a generic head.

Real notes name where the patient works, worships, studied or gets care by a town or a proper word and a head
no list of facilities holds: SOUTH SHORE FAMILY PRACTICE, Dedham Medical Associates, Lynnfield High, Mystic
Valley VNA, Charlestown Navy Yard, Mike's Collision. A name of that shape is a place (LOCATION); the proper
first word is what keeps "family practice" or "GRADE SCHOOL" out. Also here: a town in parentheses after a
place (SAINT ANNE'S HOSPITAL (FALL RIVER)) and a town after a street address (8 PROSPECT HILL, REVERE).
"""

from __future__ import annotations

import re

from phi.congregations import _ORDINALS, _denominational, holy_names
from phi.lexicon import (
    CITY,
    CITY_AMBIG,
    CITY_HEAD,
    CLINICAL,
    COMMON,
    ENGLISH,
    FIRST,
    LAST,
    NAME,
    REGION,
    RELATIVE,
    ROLE,
    TITLE,
    Lexicon,
)
from phi.org_context import _at_org_in_town, _context_orgs, _lower_case_orgs
from phi.org_initials import _acronym_in_brackets, _slash_siblings
from phi.org_prepositions import places_after_prepositions
from phi.org_shapes import (
    _GENERIC_WORDS,
    _HEADS,
    _LEADS,
    _MIDDLE,
    _PLACE_PARTS,
    _after_bracket,
    _camel,
    _capitalised,
    _cased,
    _Index,
    _unlisted,
    _where,
    _written_proper,
)
from phi.scan import Doc, Hit

__all__ = ["find_orgs"]

_INTRO = frozenset({"AT", "FROM", "FOR", "TO", "VIA", "WITH", "THE", "BY", "IN"})
_PROPER = CITY | CITY_AMBIG | CITY_HEAD | FIRST | LAST | NAME | REGION
_NOT_AFTER = frozenset({"PLAN", "PLANS", "INSURANCE", "ID", "BENEFITS", "PROTEIN", "SCIENTIFIC", "CARD"})


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
    titled = _cased(doc) and _capitalised(doc, i) and not doc.sentence_start(i) and key not in _GENERIC_WORDS
    # mixed-case text capitalises a name's first word mid-sentence (at the Golden Anchor Diner); an adjective or a
    # verb only right after a preposition (not "Likely hospital delirium")
    if titled and (not c & ENGLISH or (i and doc.keys[i - 1] in _INTRO and doc.gap(i) == " ")):
        return True
    if c & ENGLISH:
        return bool(c & (CITY | CITY_AMBIG | REGION))  # CONCORD HOSPITAL, but not GOOD COLLEGE or HIGH SCHOOL
    if c & COMMON:
        return bool(c & (CITY | CITY_AMBIG | REGION | FIRST | LAST))  # CHARLES RIVER LABS, not GRADE SCHOOL
    return bool(c & _PROPER) or doc.shaped(i)


def _of_tail(doc: Doc, i: int) -> int:
    """CHURCH OF CHRIST, Registry of Deeds, Hospital of Southeastern MA: the OF part of a name after its head."""
    keys = doc.keys
    if i + 2 >= len(keys) or keys[i + 1] != "OF" or doc.gap(i + 1) != " " or doc.gap(i + 2) != " ":
        return i
    k = i + 2
    if keys[k] == "THE" and k + 1 < len(keys):
        k += 1
    last = i
    while k < len(keys) and k - i <= 4 and _written_proper(doc, k) and not doc.classes[k] & CLINICAL:
        if k > i + 2 and not doc.tight(k):
            break
        last = k
        k += 1
    return last


def _counties(doc: Doc, lex: Lexicon, hits: list[Hit]) -> None:
    """Pima County, BEXAR COUNTY SO: a listed county's name before COUNTY, whatever else the word may be."""
    counties = _county_keys(lex)
    for i in _where(doc, "COUNTY"):
        if doc.keys[i - 1] in counties and doc.gap(i) == " " and _written_proper(doc, i - 1):
            hits.append((doc.starts[i - 1], doc.ends[i], "LOCATION", 0.8))


_COUNTY_KEYS: dict[int, frozenset[str]] = {}


def _county_keys(lex: Lexicon) -> frozenset[str]:
    got = _COUNTY_KEYS.get(id(lex))
    if got is None:
        got = _COUNTY_KEYS[id(lex)] = frozenset(c.upper() for c in lex.county_pool if " " not in c)
    return got


_NAME_GAPS = frozenset({" & ", "'s ", "'S ", "-"})


def _dotted_saint(doc: Doc, j: int) -> bool:
    """MT. ZION, ST. MICHAELS: a saint's or a mount's abbreviation with its dot opens the name."""
    return doc.gap(j) == ". " and doc.keys[j - 1] in ("MT", "ST", "STE")


def _orgs(doc: Doc, hits: list[Hit]) -> None:
    keys = doc.keys
    n = len(keys)
    for i in _where(doc, *_HEADS):
        if not _written_proper(doc, i):
            continue
        if i + 1 < n and keys[i + 1] in _NOT_AFTER and doc.tight(i + 1):
            continue  # an insurer (FALLON COMMUNITY HEALTH PLAN) or a product, not a place
        j, clinical_inside = i, False
        while j > 0 and i - j < 5 and (doc.tight(j) or doc.gap(j) in _NAME_GAPS or _dotted_saint(doc, j)):
            k = j - 1
            if not _written_proper(doc, k) and keys[k] not in ("OF", "AND", "THE"):
                break
            if keys[k] in _MIDDLE or keys[k] in _HEADS or keys[k] in _PLACE_PARTS or _proper_first(doc, k):
                j = k
                continue
            if keys[k] in _ORDINALS and _denominational(doc, k + 1, i):
                j = k  # FIRST CONGREGATIONAL CHURCH, First Samoan Congregational
                break
            titled = _cased(doc) and doc.titlecase(k)  # mixed-case text writes the name's words capitalised
            plain = doc.classes[k] & CLINICAL or (doc.classes[k] & ENGLISH and not titled)
            if not plain and len(keys[k]) > 2 and keys[k] not in _GENERIC_WORDS:
                j = k  # any other written-proper word inside the name: HADLEY PRECISION TOOL, CHARLES RIVER LABS
                continue
            if doc.classes[k] & CLINICAL and not clinical_inside and _clinical_inside(doc, k):
                clinical_inside, j = True, k  # Kestrel Point Transplant Institute: one care word inside a name
                continue
            break
        while j < i and not _proper_first(doc, j) and not (keys[j] in _ORDINALS and _denominational(doc, j + 1, i)):
            j += 1  # the name opens on its proper word: FAMILY PRACTICE alone is no name
        if j < i:
            hits.append((doc.starts[j], doc.ends[_of_tail(doc, i)], "LOCATION", 0.7))


def _clinical_inside(doc: Doc, k: int) -> bool:
    """A care word (TRANSPLANT, HEART, KIDNEY) may stand inside a name when a proper word opens it right before:
    Kestrel Point Transplant Institute, TRINITY HEART CENTER; never at its start (the cardiac rehab center)."""
    if k < 1 or not doc.tight(k) or not _written_proper(doc, k - 1):
        return False
    before = k - 1
    return (_proper_first(doc, before) or doc.keys[before] in _PLACE_PARTS) and not doc.classes[before] & CLINICAL


def _in_parentheses(doc: Doc, lex: Lexicon, places: list[Hit], hits: list[Hit]) -> None:
    """(FALL RIVER), (Methuen), home (Sandwich): a listed town alone in parentheses right after a place or a
    word for where someone lives."""
    text = doc.text
    ends = {end for _s, end, kind, score in places if kind == "LOCATION" and score >= 0.7}
    for i in _after_bracket(doc):
        gap = doc.gap(i)
        if gap.strip() != "(" or not (doc.ends[i - 1] in ends or doc.keys[i - 1] in _HOMES):
            continue
        town_written = not doc.caps and doc.titlecase(i) and doc.classes[i] & (CITY | CITY_AMBIG)
        if doc.classes[i] & (TITLE | ROLE | RELATIVE) or (doc.classes[i] & CLINICAL and not town_written):
            continue  # Wilson (HO), THOMAS (MOTHER): a role or a relative, not a town; Whispering Pines (Bend)
        j = i
        while j + 1 < len(doc.keys) and j - i < 2 and doc.tight(j + 1):
            j += 1
        close = text.find(")", doc.ends[j])
        if close != doc.ends[j] and text[doc.ends[j] : close].strip(" ,.") != "":
            continue
        parts = [doc.keys[k] for k in range(i, j + 1)]
        known = lex.classes.get(parts[0], 0) & (CITY | CITY_AMBIG) if len(parts) == 1 else None
        unlisted = len(parts) == 1 and not doc.classes[i] & (COMMON | CLINICAL | ENGLISH) and doc.shaped(i)
        if known or unlisted or tuple(parts[1:]) in lex.multi_cities.get(parts[0], ()):
            hits.append((doc.starts[i], doc.ends[j], "LOCATION", 0.75))


_HOMES = frozenset({"HOME", "HOUSE", "LIVES", "RESIDENCE", "APARTMENT", "APT", "CONDO", "FARM", "COTTAGE"})
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
    for i in [k + 1 for k in _where(doc, *_LINKS) if k >= 1 and k + 1 < len(keys)]:
        if doc.starts[i] not in starts or keys[i - 1] not in _LINKS or doc.gap(i) != " " or doc.gap(i - 1) != " ":
            continue
        head = i - 2
        if not _written_proper(doc, head) or (
            not _cased(doc) and keys[head] not in _STAY and doc.ends[head] not in ends
        ):
            continue
        named = keys[head] in _STAY or keys[head] in _HEADS or doc.ends[head] in ends or _unlisted(doc, head)
        if not (named or _titled_mid_sentence(doc, head)):
            continue
        hits.append((doc.starts[head], starts[doc.starts[i]], "LOCATION", 0.7))


def _titled_mid_sentence(doc: Doc, i: int) -> bool:
    """Sunrise (of Arlington): a capitalised word inside a sentence of mixed-case text, no shorthand."""
    return _cased(doc) and doc.titlecase(i) and not doc.sentence_start(i) and not doc.classes[i] & CLINICAL


def _widened(doc: Doc, places: list[Hit], hits: list[Hit], index: _Index) -> None:
    """ST. MARY'S CHURCH, DaVita Brockton, Radius Danvers: a place found takes the head after it and a proper
    word no list knows right before it."""
    keys = doc.keys
    by_start, by_end = index
    for start, end, kind, score in places:
        first, last = by_start.get(start), by_end.get(end)
        if kind != "LOCATION" or first is None or last is None:
            continue
        camel = first > 0 and _camel(doc.word(first - 1))
        if score < 0.7 and not camel:
            continue  # only a confident place grows (a surname read as a town, SMITH, stays), or UMass Boston
        new_start, new_end = start, end
        k = last + 1
        while k < len(keys) and k - last <= 2 and doc.tight(k) and keys[k] in _TAILS and _any_case(doc, k):
            new_end = doc.ends[k]
            k += 1
        if k < len(keys) and keys[k - 1] in _HEADS and keys[k] in _COMPASS_AFTER and doc.tight(k):
            new_end = doc.ends[k]  # Kindred Hospital Northeast
        j = first - 1
        if j >= 0 and doc.gap(first) == " " and _cased(doc) and not doc.sentence_start(j):
            word = doc.word(j)
            plain = doc.classes[j] & (COMMON | ENGLISH | CLINICAL | FIRST | LAST | NAME)
            if word[:1].isupper() and not plain and doc.shaped(j):
                new_start = doc.starts[j]
        if (new_start, new_end) != (start, end):
            hits.append((new_start, new_end, "LOCATION", score))


_TAILS = _RIGHT_HEADS | _HEADS
_COMPASS_AFTER = frozenset({"NORTH", "SOUTH", "EAST", "WEST", "NORTHEAST", "NORTHWEST", "SOUTHEAST", "SOUTHWEST",
                            "CENTRAL", "DOWNTOWN"})  # fmt: skip


def _any_case(doc: Doc, k: int) -> bool:
    return doc.lowered or _written_proper(doc, k)


def _campuses(doc: Doc, hits: list[Hit]) -> None:
    """the West campus, EAST CAMPUS: a named campus of the hospital."""
    keys = doc.keys
    for i in _where(doc, "CAMPUS"):
        if keys[i - 1] in _COMPASS and doc.gap(i) == " ":
            hits.append((doc.starts[i - 1], doc.ends[i], "LOCATION", 0.7))


_SPANISH_LINKS = frozenset({"DE", "DEL", "LA", "LAS", "LOS", "EL"})
_OUR_LADY = re.compile(r"\bOUR[ \t]+LADY[ \t]+OF[ \t]+(?:THE[ \t]+)?[A-Z][A-Z'-]+(?:[ \t]+[A-Z][A-Z'-]+)?")
_SAINT_PLACE = re.compile(
    r"\b(?:ST|SAINT)\.?[ \t]+[A-Z][A-Z]+(?:'S)?[ \t]+(?:OF[ \t]+[A-Z][A-Z]+|HOME|HOSPITAL|CHURCH|SCHOOL|PARISH|"
    r"ACADEMY|COLLEGE|MANOR|VILLAGE|HOUSE|CENTER|REHAB|NURSING)\b"
)
_PLACE_PART_AFTER = frozenset({"FALLS", "NECK", "SPRING", "SPRINGS", "HEIGHTS", "HILLS", "CENTRE", "CENTER", "VILLAGE",
                               "JUNCTION", "HARBOR", "BEACH", "SQ", "SQUARE", "CORNER", "HIGHLANDS", "PLAIN", "PORT",
                               "LANDING", "MILLS", "CROSSING"})  # fmt: skip
_NOUN_PLACE_PARTS = frozenset({"RIDGE", "HILL", "POND", "PONDS", "VIEW", "MEADOWS", "MEADOW", "WOODS", "GROVE", "GLEN",
                               "BROOK", "SHORES", "PINES", "OAKS", "ESTATES", "GARDENS", "BAY", "LAKE", "HOLLOW",
                               "CREEK", "ACRES", "TERRACE", "COURT", "CROSSING", "LANDING"})  # fmt: skip
_STATE_CODE = re.compile(
    r"(?:,[ \t]*(?:AK|AZ|AR|CA|CT|DC|FL|GA|IL|IA|KS|KY|MA|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|RI|SC|SD|TN|TX|UT|"
    r"VT|VA|WA|WV|WI|WY)|[ \t]+(?:MA|NH|VT|RI|CT|NY|NJ|FL|CA|TX|AZ|NV|NM|GA|TN|WV|NC|SC|ND|SD)"
    r"|,[ \t]*(?:AL|CO|DE|HI|ID|IN|LA|ME|MD|MI|OK|OR|PA)(?=[ \t]*(?:[).;\n]|$)))\b(?![ \t]*\d)"
)  # codes that are words (OK, IN, OR, ME) only right before a bracket or the end of a sentence
_ZIP_AFTER_TOWN = re.compile(r",?[ \t]+\d{5}(?:-\d{4})?\b")


_LEAD_NAMED = re.compile(
    r"(?=[SCRIPHVT])\b(?:SAN|SANTA|SANTO|CASA|RANCHO|IGLESIA|PANADER[IÍ]A|HACIENDA|CAPILLA|PARROQUIA|VILLA|CH[UÙ]A|"
    r"TEMPLO)[ \t]+(?:(?:DE|DEL|LA|LAS|LOS|EL)[ \t]+)*[^\W\d_][\w'-]*"
    r"(?:[ \t]+(?:(?:DE|DEL|LA|LAS|LOS|EL)[ \t]+)*(?!(?:AND|IN|ON|AT|TO|FOR|WITH|MAY)\b)[^\W\d_][\w'-]*){0,2}"
)


def _named_patterns(doc: Doc, hits: list[Hit]) -> None:
    """OUR LADY OF THE IMMACULATE CONCEPTION, ST. CASIMIR'S HOME, ST. ELIZABETH OF HUNGARY, SAN FELIPE DE NERI,
    CASA DE LA LUZ, Rancho Las Palmas, Chùa Linh Sơn: names that open on a word of a church, house or ranch."""
    up = doc.up
    for m in _LEAD_NAMED.finditer(up):
        end, named = m.start(), 0
        for word in re.finditer(r"\S+", doc.text[m.start() : m.end()]):
            text = word.group()
            if text.upper() in _SPANISH_LINKS:
                continue
            if _cased(doc) and not text[:1].isupper():
                break  # mixed-case text capitalises every word of such a name: Rancho Las Palmas vineyard
            end, named = m.start() + word.end(), named + 1
        if named >= 2:
            hits.append((m.start(), end, "LOCATION", 0.7))
    if "LADY" in up:
        hits.extend((m.start(), m.end(), "LOCATION", 0.7) for m in _OUR_LADY.finditer(up))
    if "ST" in up or "SAINT" in up:
        hits.extend((m.start(), m.end(), "LOCATION", 0.7) for m in _SAINT_PLACE.finditer(up))


def _noun_places(doc: Doc, hits: list[Hit]) -> None:
    """MAPLE RIDGE, Venture Hill, Golden Pond, Admiral's Bay: a capitalised noun and a landscape word make a
    place's name (in mixed-case text, both words capitalised inside a sentence is enough)."""
    keys = doc.keys
    for i in _where(doc, *_NOUN_PLACE_PARTS, *_MIXED_PARTS):
        if not (doc.tight(i) or doc.gap(i) in ("'s ", "'S ")):
            continue
        j = i - 1
        c = doc.classes[j]
        cased = _cased(doc) and doc.titlecase(i) and doc.titlecase(j) and not doc.sentence_start(j)
        if cased and not c & CLINICAL and len(keys[j]) >= 4:
            hits.append((doc.starts[j], doc.ends[i], "LOCATION", 0.6))
            continue
        if doc.lowered or keys[i] in _MIXED_PARTS or c & (CLINICAL | ENGLISH) or len(keys[j]) < 4:
            continue
        if not (doc.caps or doc.titlecase(j)) or not (doc.caps or doc.titlecase(i)):
            continue
        if j and doc.classes[j - 1] & CLINICAL and doc.near(j):
            continue
        hits.append((doc.starts[j], doc.ends[i], "LOCATION", 0.6))


_MIXED_PARTS = frozenset({"PLACE", "PARK", "POINT", "VIEW", "HEIGHTS", "COMMONS"})


def _qualified(doc: Doc, places: list[Hit], hits: list[Hit], index: _Index) -> None:
    """CHICOPEE FALLS, SOUTH WEYMOUTH, WARWICK, RI: a place found takes a place word after it, a compass word
    before it and a state code after it."""
    keys, up = doc.keys, doc.up
    by_start, by_end = index
    for start, end, kind, score in places:
        first, last = by_start.get(start), by_end.get(end)
        if kind != "LOCATION" or score < 0.6 or first is None or last is None:
            continue
        new_start, new_end = start, end
        if last + 1 < len(keys) and keys[last + 1] in _PLACE_PART_AFTER and doc.tight(last + 1):
            new_end = doc.ends[last + 1]
        if first and keys[first - 1] in _LEADS and doc.tight(first) and _any_case(doc, first - 1):
            new_start = doc.starts[first - 1]
        state = _STATE_CODE.match(up, new_end)
        if state and doc.text[state.end() - 2 : state.end()].isupper():
            new_end = state.end()
        zip_code = _ZIP_AFTER_TOWN.match(up, new_end)
        if zip_code and not doc.text[start : start + 1].isdigit():
            new_end = zip_code.end()  # Phoenix 85009
        if (new_start, new_end) != (start, end):
            hits.append((new_start, new_end, "LOCATION", score))


_TOWN_AFTER_STREET = re.compile(r",[ \t]*([A-Z][A-Za-z'-]+(?:[ \t][A-Z][A-Za-z'-]+)?)(?=[ \t]*[,;.)\n]|[ \t]*$)")


_STREET_END = re.compile(r"\b(?:ST|STREET|AVE|AVENUE|RD|ROAD|BLVD|LN|LANE|DR|DRIVE|WAY|TER|PL|CT)\.?$", re.IGNORECASE)


def _town_after_street(doc: Doc, places: list[Hit], hits: list[Hit]) -> None:
    """8 Prospect Hill, Revere; 200 OAK ST, NAHANT.: the town named after a house number and street."""
    text = doc.text
    for start, end, kind, _score in places:
        if kind != "LOCATION" or not (text[start : start + 1].isdigit() or _STREET_END.search(text, start, end)):
            continue
        m = _TOWN_AFTER_STREET.match(text, end)
        if m is None:
            continue
        words = m.group(1).upper().split()
        if any(
            lex_bits & CLINICAL
            for lex_bits in (doc.classes[k] for k in range(len(doc.keys)) if m.start(1) <= doc.starts[k] < m.end(1))
        ):
            continue
        if words[0] in ("MA", "NH", "ME", "RI", "CT", "VT", "NY", "APT", "UNIT", "SUITE"):
            continue
        hits.append((m.start(1), m.end(1), "LOCATION", 0.7))


_FAR_TAILS = frozenset({"HOME", "VILLAS", "HOUSE", "APARTMENTS", "TOWERS"})


def _extended_to_head(doc: Doc, places: list[Hit], hits: list[Hit], index: _Index) -> None:
    """Sandhills Veterans Home, GOLDEN YEARS ADULT FOSTER HOME, Kindred Hospital Northeast: a place found runs on
    over up to three words written like a name to the generic head that ends it."""
    keys = doc.keys
    _by_start, by_end = index
    for start, end, kind, score in places:
        last = by_end.get(end)
        if kind != "LOCATION" or score < 0.6 or last is None:
            continue
        reach = None
        k = last + 1
        while k < len(keys) and k - last <= 3 and doc.tight(k) and _written_proper(doc, k):
            if keys[k] in _TAILS or keys[k] in _FAR_TAILS:
                reach = k
            elif doc.classes[k] & (CLINICAL | TITLE | ROLE | RELATIVE) or len(keys[k]) < 3:
                break
            k += 1
        if reach is not None and reach > last + 1:
            hits.append((start, doc.ends[reach], "LOCATION", score))


def _with_of_tail(doc: Doc, places: list[Hit], index: _Index) -> list[Hit]:
    """CHURCH: RCCG HOUSE OF PRAISE: a name found some other way takes the OF part after it."""
    _by_start, by_end = index
    out: list[Hit] = []
    for start, end, kind, score in places:
        last = by_end.get(end)
        if kind != "LOCATION" or last is None or doc.keys[last] not in _OF_HEADS:
            continue
        tail = _of_tail(doc, last)
        if tail > last:
            out.append((start, doc.ends[tail], kind, score))
    return out


_OF_HEADS = _HEADS | _FAR_TAILS


def find_orgs(doc: Doc, lex: Lexicon, places: list[Hit]) -> list[Hit]:
    """LOCATION hits for named organisations and for towns that qualify a place already found."""
    hits: list[Hit] = []
    _orgs(doc, hits)
    if doc.lowered:
        _lower_case_orgs(doc, hits)
    _counties(doc, lex, hits)
    _in_parentheses(doc, lex, [*places, *hits], hits)
    _linked(doc, [*places, *hits], hits)
    order = range(len(doc.keys))
    index = (dict(zip(doc.starts, order, strict=True)), dict(zip(doc.ends, order, strict=True)))
    _widened(doc, [*places, *hits], hits, index)
    _campuses(doc, hits)
    _named_patterns(doc, hits)
    _noun_places(doc, hits)
    _qualified(doc, [*places, *hits], hits, index)
    _acronym_in_brackets(doc, [*places, *hits], hits)
    _town_after_street(doc, [*places, *hits], hits)
    _context_orgs(doc, lex, hits)
    places_after_prepositions(doc, hits)
    holy_names(doc, hits)
    _slash_siblings(doc, [*places, *hits], hits)
    _at_org_in_town(doc, [*places, *hits], hits, index)
    _extended_to_head(doc, [*places, *hits], hits, index)
    hits.extend(_with_of_tail(doc, [*places, *hits], index))
    return hits
