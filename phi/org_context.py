"""Organisations found by what is said around them: where the patient works, worships, studies, came from or
stays (WORKS FOR THE MBTA, transferred from Green Country Regional), what stands between AT and IN <a town>
(pharmacist at rite aid in medfield), and, in a note written in lower case, a head after a listed town
(north reading family practice)."""

from __future__ import annotations

import re

from phi.lexicon import CITY, CITY_AMBIG, CLINICAL, COMMON, ENGLISH, RARE, RELATIVE, ROLE, TITLE, Lexicon
from phi.org_shapes import _HEADS, _LEADS, _MIDDLE, _PLACE_PARTS, _capitalised, _cased, _Index, _where
from phi.scan import Doc, Hit

# Phrases after which a capitalised name is where someone works, studies or goes for care.
_ORG_CONTEXT = re.compile(
    r"\b(?:WORKS?|WORKED|WORKING|EMPLOYED|JOB|STUDENT|STUDIES|TEACHES|TAUGHT|PROFESSOR|VOLUNTEERS?|RETIRED)"
    r"(?:[ \t]+(?:AS[ \t]+(?:AN?[ \t]+)?[A-Z]+))?[ \t]+(?:AT|FOR|BY|FROM)[ \t]+(?:THE[ \t]+)?\Z"
    r"|\bEMPLOYER[ \t]*[(:][ \t]*\Z"
    r"|\b(?:RETURN|RETURNS|RETURNING|GO[ \t]+BACK|GOING[ \t]+BACK|BACK|D/C|DC|DISCHARGED?|APPLICATIONS?|"
    r"ACCEPTED)[ \t]+(?:TO|AT)[ \t]+(?:THE[ \t]+)?\Z"
    r"|\bSCREEN(?:ED|ING)?[ \t]+FOR[ \t]+REHAB[ \t]*[:-]?[ \t]*\Z"
    r"|\b(?:DRIVES|DRIVER|OWNS|OWNED|RUNS|RUN|LAID[ \t]+OFF|BUSINESS|COMPANY)[ \t]+(?:FOR|FROM|AT)?[ \t]*"
    r"(?:THE[ \t]+)?\Z"
    r"|\b(?:IS|WAS)[ \t]+(?:AN?[ \t]+)?(?:[A-Z]+[ \t]+){1,2}?(?:AT|FOR)[ \t]+(?:THE[ \t]+)?\Z"
    r"|\b(?:PASTOR|PRIEST|RABBI|IMAM|MINISTER|DEACON|MONK|REV|FR)S?\.?[ \t]+(?:FROM|AT|OF)[ \t]+(?:THE[ \t]+)?\Z"
    r"|\b(?:ATTENDS?|PRAYS[ \t]+AT|WORSHIPS[ \t]+AT|MEMBERS?[ \t]+OF|PARISHIONERS?[ \t]+AT)[ \t]+(?:THE[ \t]+)?\Z"
    r"|\b(?:CHURCH|PARISH|TEMPLE|CONGREGATION|EMPLOYER|BUSINESS|WORK)[ \t]*[(:][ \t]*\Z"
    r"|\b(?:TRANSFERRED|TRANSFERED|TRANSFER|TX|ADMITTED|ADM|ARRIVED|ARRIVES|CAME|COMES|RESIDENT)[ \t]+"
    r"(?:HERE[ \t]+|IN[ \t]+)?(?:FROM|OF)[ \t]+(?:THE[ \t]+)?\Z"
    r"|\b(?:STAYING|STAYS|LIVES|LIVING|RESIDES)[ \t]+AT[ \t]+(?:THE[ \t]+)?\Z"
)


# The first word of each phrase above: only the few words after one of these are tested against the phrases.
_CONTEXT_TRIGGERS = frozenset({"WORK", "WORKS", "WORKED", "WORKING", "EMPLOYED", "JOB", "STUDENT", "STUDIES",
                               "TEACHES", "TAUGHT", "PROFESSOR", "VOLUNTEER", "VOLUNTEERS", "RETIRED", "EMPLOYER",
                               "RETURN", "RETURNS", "RETURNING", "GO", "GOING", "BACK", "D", "DC", "DISCHARGE",
                               "DISCHARGED", "APPLICATION", "APPLICATIONS", "ACCEPTED", "SCREEN", "SCREENED",
                               "SCREENING", "DRIVES", "DRIVER", "OWNS", "OWNED", "RUNS", "RUN", "LAID", "BUSINESS",
                               "COMPANY", "IS", "WAS", "PASTOR", "PASTORS", "PRIEST", "PRIESTS", "RABBI", "IMAM",
                               "MINISTER", "DEACON", "MONK", "REV", "FR", "ATTEND", "ATTENDS", "PRAYS", "WORSHIPS",
                               "MEMBER", "MEMBERS", "PARISHIONER", "PARISHIONERS", "CHURCH", "PARISH", "TEMPLE",
                               "CONGREGATION", "TRANSFERRED", "TRANSFERED", "TRANSFER", "TX", "ADMITTED", "ADM",
                               "ARRIVED", "ARRIVES", "CAME", "COMES", "RESIDENT", "STAYING", "STAYS", "LIVES",
                               "LIVING", "RESIDES"})  # fmt: skip


_NOT_ORG_WORDS = frozenset({"HOME", "BASELINE", "BED", "SLEEP", "FLOOR", "ICU", "UNIT", "WORK", "SCHOOL", "REHAB",
                            "CHAIR", "NORMAL", "THE", "HIS", "HER", "THEIR"})  # fmt: skip


def _context_orgs(doc: Doc, lex: Lexicon, hits: list[Hit]) -> None:
    """WORKS FOR THE MBTA, grad student at Northeastern, employer (Raytheon), return to Golden Pond, SCREENED FOR
    REHAB - YOUVILLE AND SPAULDING: a name after words about work, study or where a patient goes next."""
    up, keys = doc.up, doc.keys
    if not any(w in up for w in ("AT", "FOR", "TO", "EMPLOYER", "REHAB")):
        return
    after = {k for t in _where(doc, *_CONTEXT_TRIGGERS) for k in range(t + 1, t + 6)}
    for i in sorted(k for k in after if 0 < k < len(keys)):
        if not _ORG_CONTEXT.search(up, max(0, doc.starts[i] - 48), doc.starts[i]):
            continue  # the phrase must end right before this word
        for _item in range(3):  # SCREENING FOR REHAB: VENTURE HILL, GOVERNOR'S CENTER: a list names several
            j = _name_after_context(doc, lex, i)
            if j == i:
                break
            hits.append((doc.starts[i], doc.ends[j - 1], "LOCATION", 0.65))
            if j >= len(keys) or doc.gap(j) not in (", ", " / ", "; ") or not doc.sentence_start(i):
                break  # only a list that opens a field (after a colon) goes on past a comma
            i = j


def _name_after_context(doc: Doc, lex: Lexicon, i: int) -> int:
    """The end (exclusive) of the name that opens at token i, or i when none does."""
    keys = doc.keys
    j = i
    while j < len(keys) and j - i < 4 and (j == i or doc.tight(j) or doc.gap(j) in (" & ", "'s ", "'S ")):
        if not (_org_word(doc, j) or (j > i and _org_tail(doc, lex, j))):
            break
        j += 1
    headed = i + 1 < len(keys) and keys[i + 1] in _NAME_ENDS and (doc.tight(i + 1) or doc.gap(i + 1) in ("'s ", "'S "))
    if j == i and headed and _plain_opening(doc, i):
        j = i + 2  # a plain word and a head: SERENITY HOUSE, NATIONAL GRID, GOVERNOR'S CENTER, MAPLE RIDGE
    return j


_NAME_ENDS = _HEADS | _PLACE_PARTS | {"HOUSE", "VILLAS", "TOWERS", "APARTMENTS", "GARDENS", "ESTATES", "LODGE"}


def _plain_opening(doc: Doc, i: int) -> bool:
    """A plain word that may open a name before its head (SERENITY, NATIONAL): no shorthand, title or person."""
    key = doc.keys[i]
    if not doc.caps and not _capitalised(doc, i):
        return False  # mixed-case text capitalises a name: not "arrived from outside hospital"
    return len(key) >= 3 and key not in _NOT_ORG_WORDS and not doc.classes[i] & (CLINICAL | TITLE | ROLE | RELATIVE)


def _org_tail(doc: Doc, lex: Lexicon, j: int) -> bool:
    """A plain noun may continue a name once it has begun: TULSA TIRE & LUBE, PEACHTREE POLYTECHNIC."""
    c = doc.classes[j]
    key = doc.keys[j]
    if key in _NOT_ORG_WORDS or c & (CLINICAL | TITLE | ROLE | RELATIVE) or len(key) < 3:
        return False
    if key in _HEADS:
        return True  # GREEN COUNTRY REGIONAL
    if c & ENGLISH and key not in lex.nouns:
        return False  # a verb or an adjective ends it (TIRE is a noun too)
    return doc.caps or _capitalised(doc, j)


def _org_word(doc: Doc, j: int) -> bool:
    c = doc.classes[j]
    key = doc.keys[j]
    if key in _NOT_ORG_WORDS or c & (CLINICAL | TITLE | ROLE | RELATIVE) or len(key) < 2:
        return False
    if _cased(doc) and (_capitalised(doc, j) or (doc.word(j).isupper() and len(key) >= 2)):
        return True
    if not doc.caps:
        return False  # mixed-case text writes a name capitalised
    return not c & (COMMON | ENGLISH) or bool(c & (CITY | CITY_AMBIG | RARE))


_AT_FROM = frozenset({"AT", "FROM"})


_TOWNISH = CITY | CITY_AMBIG


def _plain_town(c: int) -> bool:
    """A listed town that is no word of English or of the clinic (BRIDGEWATER; not ORAL, READING alone)."""
    return bool(c & _TOWNISH) and not c & (ENGLISH | COMMON | CLINICAL)


def _lower_case_orgs(doc: Doc, hits: list[Hit]) -> None:
    """north reading family practice, first baptist church of weymouth, vna of cape cod: in a note written in
    lower case no capital marks a name, so a head counts when a listed town opens the name or follows its OF."""
    keys, classes = doc.keys, doc.classes
    for i in _where(doc, *_HEADS):
        j = i
        while j > 0 and i - j < 4 and doc.tight(j):
            k = j - 1
            if keys[k] in _MIDDLE or keys[k] in _HEADS or keys[k] in _LEADS or classes[k] & _TOWNISH:
                j = k
                continue
            break
        while j < i and not _plain_town(classes[j]) and keys[j] not in _LEADS:
            j += 1  # the name opens on a town (or a compass word before one): FAMILY PRACTICE alone is no name
        opens = j < i and (_plain_town(classes[j]) or (keys[j] in _LEADS and classes[j + 1] & _TOWNISH))
        end = i
        if i + 2 < len(keys) and keys[i + 1] == "OF" and doc.tight(i + 1) and doc.tight(i + 2):
            k = i + 2
            while k < len(keys) and k - i <= 4 and doc.tight(k) and (classes[k] & _TOWNISH or keys[k] in _LEADS):
                end = k
                k += 1
            if end > i and not classes[end] & _TOWNISH:
                end = i
        if opens or end > i:
            start = j if opens else max(j, i - 3)
            while start < i and classes[start] & CLINICAL and not classes[start] & _TOWNISH:
                start += 1
            hits.append((doc.starts[start], doc.ends[end], "LOCATION", 0.65))


def _at_org_in_town(doc: Doc, places: list[Hit], hits: list[Hit], index: _Index) -> None:
    """pharmacist at rite aid in medfield, s/p vf arrest at planet fitness in middleton, HAIRDRESSER AT SHEAR BLISS
    SALON IN FOXBOROUGH: what stands between AT (or FROM) and IN <a town found> is a place of its own. One
    plain word alone (at the gym in Quincy) is no name; two, or one no list knows, are."""
    keys = doc.keys
    by_start, _by_end = index
    for start, _end, kind, score in places:
        t = by_start.get(start)
        if kind != "LOCATION" or score < 0.6 or t is None or t < 3 or keys[t - 1] != "IN" or not doc.tight(t - 1):
            continue
        last = k = t - 2
        while k > 0 and last - k < 4 and keys[k] not in _AT_FROM and doc.tight(k + 1):
            if keys[k] == "THE" and keys[k - 1] in _AT_FROM and k < last:
                k -= 1  # at the YMCA in Quincy
                break
            c = doc.classes[k]
            if c & (CLINICAL | TITLE | ROLE | RELATIVE) or keys[k] in _NOT_ORG_WORDS or len(keys[k]) < 2:
                break
            k -= 1
        if keys[k] not in _AT_FROM or k == last or not doc.tight(k + 1):
            continue
        first = k + 1
        if keys[first] == "THE" and first < last:
            first += 1
        plain = all(doc.classes[w] & (COMMON | ENGLISH) for w in range(first, last + 1))
        if first == last and plain:
            continue
        hits.append((doc.starts[first], doc.ends[last], "LOCATION", 0.6))
