"""Places named after a preposition in mixed-case text: referral to UMass Memorial, screen for rehab (Hebrew
SeniorLife), lives at Beechwood on the Bay, a case manager at Healthcare for the Homeless, in Wells.

A note written in mixed case capitalises a proper name in mid-sentence and little else; right after AT, FROM,
TO, IN or OUT OF, a run of such words is where someone lives, works, worships or gets care. Nothing here looks
at ALL-CAPS or lower-case notes, where a capital carries no signal, and a word that is clinical shorthand, a
title, a role or a relative, a country or a state, or a plain English word without a capital's support stops
the run.
"""

from __future__ import annotations

from phi.lexicon import CITY, CITY_AMBIG, CLINICAL, ENGLISH, REGION, RELATIVE, ROLE, TITLE
from phi.org_shapes import _LEADS, _camel, _where
from phi.scan import Doc, Hit

_PREPOSITIONS = ("AT", "FROM", "TO", "IN", "OF")
_INNER = frozenset({"of", "on", "the", "for", "at", "de", "la", "du", "&"})
_STOPPING = CLINICAL | TITLE | ROLE | RELATIVE | REGION
_NOT_PLACES = frozenset({"I", "AM", "PM", "OK", "US", "ED", "OR", "ICU", "CCU", "MICU", "SICU", "PACU", "NICU",
                         "ER", "HOME", "RN", "MD", "PT", "OT", "SLP", "EMS", "GI", "IV", "PO", "BID", "TID",
                         "DR", "NP", "PA", "CM", "SW", "HCP", "DNR", "DNI", "CMO", "ROOM", "BED", "FLOOR",
                         "ENGLISH", "SPANISH", "MEDICINE", "SURGERY", "NEUROLOGY", "CARDIOLOGY", "ONCOLOGY",
                         "MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"})  # fmt: skip


def _proper(doc: Doc, i: int, *, inside: bool = False) -> bool:
    """Token i is written as a name's word: capitalised (Wells) or in a brand's camel case (UMass, DaVita). The
    first word must not be plain English (Fort and Mount open names); inside a name any capitalised word goes."""
    word = doc.word(i)
    if doc.keys[i] in _NOT_PLACES or doc.classes[i] & _STOPPING or len(word) < 2:
        return False
    if _camel(word):
        return True
    if not doc.titlecase(i) or len(word) < 3:
        return False
    c = doc.classes[i]
    return inside or not c & ENGLISH or bool(c & (CITY | CITY_AMBIG)) or doc.keys[i] in _LEADS


def places_after_prepositions(doc: Doc, hits: list[Hit]) -> None:
    """A run of capitalised words (with of/on/the inside) right after AT, FROM, TO, IN or OF, mid-sentence."""
    if doc.caps or doc.lowered:
        return
    keys = doc.keys
    n = len(keys)
    for p in _where(doc, *_PREPOSITIONS):
        i = p + 1
        if i >= n or not doc.word(p).islower() or doc.gap(i) != " ":
            continue
        if keys[i] == "THE" and doc.word(i) == "the" and i + 1 < n and doc.gap(i + 1) == " ":
            i += 1
        if not _proper(doc, i):
            continue
        last = j = i
        while j + 1 < n and j - i < 5 and doc.gap(j + 1) in (" ", "'s ", " & ", "-"):
            k = j + 1
            if _proper(doc, k, inside=True):
                last = j = k
            elif doc.word(k) in _INNER:
                m = k + 1 if k + 1 < n and doc.word(k + 1) == "the" and doc.gap(k + 1) == " " else k
                if m + 1 < n and doc.gap(m + 1) == " " and _proper(doc, m + 1, inside=True):
                    last = j = m + 1  # Beechwood on the Bay, Healthcare for the Homeless
                else:
                    break
            else:
                break
        if not doc.eponym(last):  # similar to Bell's palsy, hx of Addison's disease
            hits.append((doc.starts[i], doc.ends[last], "LOCATION", 0.6))
