"""Entity-level passes after the recognizers: the same words get the same verdict across a note, names joined
to a name are names, and a name with a street suffix is a street.

Same words, same verdict: a name or a place found once in a note is PHI wherever else it appears there.

A note introduces a person or a place once with good evidence (DAUGHTER KIMBERLY OSTROWSKI, RETURN TO MARINA
BAY REHAB) and then repeats the bare word where no context helps (OSTROWSKI AWARE, marina bay liaison). De-id
systems have long carried a confirmed identifier over the whole document; this module does that for NAME and
LOCATION entities:

* the whole entity, as a run of words, wherever the same words appear in the same order;
* for a name, each of its words that no clinical, common or English list knows (a surname like OSTROWSKI):
  a word that is also plain English or shorthand (BELL, ROSE, MAE) is carried only as part of the full run.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence

from phi.lexicon import CLINICAL, COMMON, ENGLISH, RARE, REGION, RELATIVE, ROLE, TITLE, Lexicon
from phi.scan import Doc, SourcedHit
from phi.types import Entity

__all__ = ["coordinated", "propagated", "streets"]


_CARRIED = ("NAME", "LOCATION")
_MIN_SCORE = 0.6  # only confident entities are carried: a guess repeated is still a guess
_PLAIN = CLINICAL | COMMON | ENGLISH | REGION | TITLE
_RECOGNIZER = "SameNoteRecognizer"


def _tokens_in(doc: Doc, entity: Entity) -> list[int]:
    first = bisect_left(doc.starts, entity.start)
    last = bisect_left(doc.starts, entity.end)
    return [i for i in range(first, last) if doc.ends[i] <= entity.end]


def _runs(doc: Doc, entities: Sequence[Entity]) -> dict[tuple[str, ...], tuple[str, float]]:
    """Word runs to look for, with the type and score of the entity they came from."""
    runs: dict[tuple[str, ...], tuple[str, float]] = {}
    for entity in entities:
        if entity.type not in _CARRIED or entity.score < _MIN_SCORE:
            continue
        index = _tokens_in(doc, entity)
        if not index:
            continue
        whole = tuple(doc.keys[i] for i in index)
        if len(whole) > 1 or (len(whole[0]) >= 3 and not doc.classes[index[0]] & _PLAIN):
            runs.setdefault(whole, (entity.type, entity.score))
        if entity.type == "NAME" and len(index) > 1:
            for i in index:
                if len(doc.keys[i]) >= 3 and not doc.classes[i] & _PLAIN:
                    runs.setdefault((doc.keys[i],), (entity.type, entity.score))
    return runs


_JOINERS = frozenset({" & ", " and ", " AND ", "/", ", ", " / ", " ("})
_NOT_JOINED = CLINICAL | TITLE | RELATIVE | ROLE | REGION


def coordinated(doc: Doc, entities: Sequence[Entity], lex: Lexicon) -> list[SourcedHit]:
    """YARBOROUGH/TSEGAYE, dr mbeki-stone & frobisher, (EMMA, LIAM, NORA): a single name-shaped word joined to a
    confident name by a slash, an ampersand, AND or a comma in a bracketed list is a name too."""
    names = [e for e in entities if e.type == "NAME" and e.score >= _MIN_SCORE]
    if not names:
        return []
    by_start = {doc.starts[i]: i for i in range(len(doc.keys))}
    by_end = {doc.ends[i]: i for i in range(len(doc.keys))}
    taken = {(e.start, e.end) for e in entities}
    hits: list[SourcedHit] = []
    for entity in names:
        after = _next_word(doc, by_end, entity.end)
        before = _previous_word(doc, by_start, entity.start)
        for k, gap in (after, before):
            if k < 0 or gap not in _JOINERS or (doc.starts[k], doc.ends[k]) in taken:
                continue
            if gap == ", " and not (_in_brackets(doc, k) or _listed_given(doc, lex, k)):
                continue  # a comma joins names inside brackets, or given names in a list (dtrs Marisa, Pilar)
            if gap == " (" and not doc.text.startswith(")", doc.ends[k]):
                continue  # a nickname alone in brackets after the name: LOLITA (LOLY)
            if _joinable(doc, lex, k):
                evidence = "joined to a name by a list or an ampersand"
                hits.append((doc.starts[k], doc.ends[k], "NAME", 0.7, "NameListRecognizer", evidence))
    return hits


def _next_word(doc: Doc, by_end: dict[int, int], end: int) -> tuple[int, str]:
    i = by_end.get(end)
    if i is None or i + 1 >= len(doc.keys):
        return -1, ""
    return i + 1, doc.gap(i + 1)


def _previous_word(doc: Doc, by_start: dict[int, int], start: int) -> tuple[int, str]:
    i = by_start.get(start)
    if i is None or i == 0:
        return -1, ""
    return i - 1, doc.gap(i)


def _listed_given(doc: Doc, lex: Lexicon, k: int) -> bool:
    """Token k is a capitalised given name (census or unlisted) in mixed-case text: one item of a list."""
    return not doc.caps and doc.titlecase(k) and (doc.keys[k] in lex.first_rank or not doc.classes[k] & COMMON)


def _in_brackets(doc: Doc, k: int) -> bool:
    text = doc.text
    opening = text.rfind("(", 0, doc.starts[k])
    return opening >= 0 and "\n" not in text[opening : doc.starts[k]] and text.find(")", doc.ends[k]) >= 0


def _joinable(doc: Doc, lex: Lexicon, k: int) -> bool:
    c = doc.classes[k]
    key = doc.keys[k]
    if c & _NOT_JOINED or len(key) < 3 or not doc.shaped(k):
        return False
    if not (doc.caps or doc.titlecase(k) or doc.lowered):
        return False
    listed = key in lex.first_rank or key in lex.last_rank or bool(c & RARE)
    return listed or not c & (COMMON | ENGLISH)  # a plain word joined to a name stays a word: SMITH AND WOUND


_STREET_SUFFIXES = frozenset({"ST", "STREET", "AVE", "AVENUE", "RD", "ROAD", "BLVD", "BOULEVARD", "LN", "LANE", "WAY",
                              "SQ", "SQUARE", "TER", "TERRACE", "PKWY", "PARKWAY", "HWY", "HIGHWAY"})  # fmt: skip
_HOUSE_NUMBER = re.compile(r"(?:^|(?<=[\s(,]))(?!(?:19|20)\d\d\b)\d{1,5}[A-Z]?[ \t]+\Z")  # not a year: 2014 Honda


def streets(doc: Doc, entities: Sequence[Entity]) -> list[SourcedHit]:
    """ESSEX ST, Harvard St, 1200 Broadway: a name or place followed by a street suffix (or led by a house
    number) is a street, whatever the scanners typed its first word as."""
    by_end = {doc.ends[i]: i for i in range(len(doc.keys))}
    hits: list[SourcedHit] = []
    for entity in entities:
        if entity.type not in _CARRIED:
            continue
        i = by_end.get(entity.end)
        start, end = entity.start, entity.end
        suffix = i is not None and i + 1 < len(doc.keys) and doc.keys[i + 1] in _STREET_SUFFIXES
        if suffix and i is not None and doc.gap(i + 1) == " " and not _saint(doc, i + 1):
            end = doc.ends[i + 1]
        number = _HOUSE_NUMBER.search(doc.text, max(0, start - 8), start)
        street_like = entity.type == "LOCATION" and not doc.text[entity.start : entity.end].upper().startswith("YO ")
        if number and (end > entity.end or street_like or _address_opens(doc.text, number.start())):
            start = number.start()
        if (start, end) != (entity.start, entity.end):
            hits.append((start, end, "LOCATION", 0.9, "StreetRecognizer", "a street: a name with a suffix or a number"))
    return hits


def _saint(doc: Doc, k: int) -> bool:
    """ST. CLAIR: ST with a dot before a name is a saint, not a street."""
    return doc.keys[k] == "ST" and doc.text.startswith(".", doc.ends[k])


def _address_opens(text: str, at: int) -> bool:
    """A house number that opens an address: at the start of a line, after a bracket or a comma (1200 Broadway)."""
    before = text[:at].rstrip(" \t")
    return not before or before[-1] in "(,\n" or before.upper().endswith((" AT", " ON", " TO", " FROM"))


def propagated(doc: Doc, entities: Sequence[Entity]) -> list[SourcedHit]:
    """Hits for the other places in `doc` where a confident NAME or LOCATION entity's words appear again."""
    runs = _runs(doc, entities)
    if not runs:
        return []
    covered = [False] * len(doc.keys)
    for entity in entities:
        for i in _tokens_in(doc, entity):
            covered[i] = True
    by_first: dict[str, list[tuple[str, ...]]] = {}
    for run in runs:
        by_first.setdefault(run[0], []).append(run)
    hits: list[SourcedHit] = []
    keys = doc.keys
    for i, key in enumerate(keys):
        if covered[i] or key not in by_first:
            continue
        for run in sorted(by_first[key], key=len, reverse=True):
            end = i + len(run)
            if tuple(keys[i:end]) != run or any(covered[i:end]):
                continue
            if any(not doc.tight(j) for j in range(i + 1, end)) or doc.eponym(end - 1):
                continue
            kind, score = runs[run]
            evidence = f"the same words as a {kind} found elsewhere in this text"
            hits.append((doc.starts[i], doc.ends[end - 1], kind, min(score, 0.8), _RECOGNIZER, evidence))
            for j in range(i, end):
                covered[j] = True
            break
    return hits
