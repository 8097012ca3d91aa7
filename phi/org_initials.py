"""Initials that stand for a place: the ones a note defines in brackets right after a place's name (Sisters of
Providence Hospital (SPH), carried to every other place the note writes them), and initials joined by a slash to
a place's initials (AT DFCI/BWH)."""

from __future__ import annotations

import re

from phi.lexicon import CLINICAL, COMMON, ENGLISH, RELATIVE, ROLE, TITLE
from phi.org_shapes import _after_bracket, _where
from phi.scan import Doc, Hit


def _acronym_in_brackets(doc: Doc, places: list[Hit], hits: list[Hit]) -> None:
    """Sisters of Providence Hospital (SPH): the initials a note gives a place right after its name."""
    text = doc.text
    ends = {end for _s, end, kind, score in places if kind == "LOCATION" and score >= 0.7}
    starts = {end: start for start, end, kind, score in places if kind == "LOCATION" and score >= 0.7}
    for i in _after_bracket(doc):
        word = doc.word(i)
        if doc.gap(i).strip() != "(" or doc.ends[i - 1] not in ends or not text.startswith(")", doc.ends[i]):
            continue
        if not (2 <= len(word) <= 6 and word.isupper() and word.isalpha()):
            continue
        spelled = _initials_of(text[starts[doc.ends[i - 1]] : doc.ends[i - 1]], word)
        if not spelled and doc.classes[i] & (CLINICAL | TITLE | ROLE | RELATIVE | COMMON | ENGLISH):
            continue
        hits.append((doc.starts[i], doc.ends[i], "LOCATION", 0.7))
        if spelled:  # initials the note defined stand for the place wherever they recur: FROM SCH, BOTH FROM SCH
            hits.extend((doc.starts[k], doc.ends[k], "LOCATION", 0.7) for k in _where(doc, doc.keys[i])
                        if k != i and doc.word(k) == word)  # fmt: skip


_SKIPPED_IN_INITIALS = frozenset({"OF", "THE", "AND", "AT", "S"})


def _initials_of(name: str, acronym: str) -> bool:
    """ST. COLUMBKILLE'S HOSPITAL (SCH), Androscoggin Valley Medical Center (AVMC): the acronym spells, in
    order, the first letters of the name's words (each word's letter used at most once, minor words optional)."""
    firsts = [(w[0].upper(), w.upper() in _SKIPPED_IN_INITIALS) for w in re.findall(r"[A-Za-z]+", name)]
    letters, k = acronym.upper(), 0
    for letter, minor in firsts:
        if k < len(letters) and letters[k] == letter:
            k += 1
        elif not minor:
            return False
    return k == len(letters) and len(firsts) >= 2


_SLASHED = re.compile(r"/([A-Z]{2,5})\b")


def _slash_siblings(doc: Doc, places: list[Hit], hits: list[Hit]) -> None:
    """AT DFCI/BWH: initials joined by a slash to a place's initials are a place too."""
    text = doc.text
    for start, end, kind, _score in places:
        if kind != "LOCATION" or not text[start:end].isupper() or end - start > 6:
            continue
        m = _SLASHED.match(text, end)
        if m:
            hits.append((m.start(1), m.end(1), "LOCATION", 0.7))
