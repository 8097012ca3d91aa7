"""The shape of an organisation's name, shared by the rules that find one (phi/orgs.py, phi/org_context.py):
its heads and inner words, and how a word is written (capitalised, camel case, in capitals) in the note's case."""

from __future__ import annotations

import re
from bisect import bisect_left

from phi.lexicon import CLINICAL, COMMON, ENGLISH
from phi.scan import Doc
from phi.words import words

_HEADS = words("org_heads")


_GENERIC_WORDS = words("generic")


_PLACE_PARTS = words("place_parts")


_MIDDLE = words("org_middle")


_LEADS = frozenset({"NORTH", "SOUTH", "EAST", "WEST", "NEW", "OLD", "CAPE", "MOUNT", "MT", "SAINT", "ST", "FORT",
                    "HOLY", "SACRED", "BLESSED", "DIVINE", "IMMACULATE"})  # fmt: skip


def _written_proper(doc: Doc, i: int) -> bool:
    """Token i is written like a proper word: capitalised in mixed-case text or in lower-case text (where a
    capital is rare and telling), any case in ALL-CAPS text."""
    if doc.lowered:
        return doc.titlecase(i) or (doc.word(i).isupper() and len(doc.keys[i]) > 1)
    return doc.caps or doc.titlecase(i) or (doc.word(i).isupper() and len(doc.keys[i]) > 1)


def _capitalised(doc: Doc, i: int) -> bool:
    """Written with a capital and lower-case letters: Tufts, and the camel case of brands (UMass, DaVita)."""
    word = doc.word(i)
    return word[:1].isupper() and any(ch.islower() for ch in word[1:])


def _camel(word: str) -> bool:
    """UMass, DaVita: a capital inside a word that has lower-case letters, the way brands write themselves."""
    return len(word) > 2 and word[0].isupper() and any(ch.isupper() for ch in word[1:]) and not word.isupper()


def _cased(doc: Doc) -> bool:
    """Letter case is a signal: mixed-case text, or lower-case text where a capital word stands out."""
    return not doc.caps or doc.lowered


def _where(doc: Doc, *words: str) -> list[int]:
    """Indexes (never 0) of the tokens whose key is one of `words`: the rules ask for a few words each, so the
    document's keys are indexed once (on the Doc) instead of scanned once per rule."""
    index = doc.positions()
    if len(words) == 1:
        return index.get(words[0], [])
    found = [index[word] for word in words if word in index]
    if len(found) <= 1:
        return found[0] if found else []
    return sorted(i for positions in found for i in positions)


_Index = tuple[dict[int, int], dict[int, int]]


def _unlisted(doc: Doc, i: int) -> bool:
    """A capitalised word no list knows, in mixed-case text (Hearthstone, Wingate)."""
    return _cased(doc) and doc.titlecase(i) and not doc.classes[i] & (COMMON | ENGLISH | CLINICAL) and doc.shaped(i)


def _after_bracket(doc: Doc) -> list[int]:
    """Tokens that open a bracket: the only places the bracket rules look."""
    if "(" not in doc.text:
        return []
    found = {bisect_left(doc.starts, m.end()) for m in _OPEN_BRACKET.finditer(doc.text)}
    return sorted(i for i in found if 0 < i < len(doc.keys))


_OPEN_BRACKET = re.compile(r"\([ \t]*")
