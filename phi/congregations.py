"""Congregations named for a holy thing or person: HOLY ROSARY OF CZESTOCHOWA, Holy Family, SACRED HEART,
Our Lady of La Vang. Such a name needs no head word (CHURCH, PARISH) after it: HOLY, SACRED and OUR LADY OF
open nothing else in a clinical note."""

from __future__ import annotations

from phi.lexicon import CLINICAL, RELATIVE, ROLE, TITLE
from phi.org_shapes import _where, _written_proper
from phi.scan import Doc, Hit

_ORDINALS = frozenset({"FIRST", "SECOND", "THIRD"})
_DENOMINATIONS = frozenset({"BAPTIST", "CONGREGATIONAL", "METHODIST", "LUTHERAN", "PRESBYTERIAN", "EPISCOPAL",
                            "PENTECOSTAL", "UNITARIAN", "REFORMED", "AME", "CME", "CHURCH"})  # fmt: skip


def _denominational(doc: Doc, first: int, last: int) -> bool:
    """A congregation's name runs from `first` to `last`: an ordinal opens it (FIRST BAPTIST, Second Reformed)."""
    return any(doc.keys[k] in _DENOMINATIONS for k in range(first, last + 1))


_OPENERS = ("HOLY", "SACRED", "LADY")
_STOP = CLINICAL | TITLE | ROLE | RELATIVE


def _name_word(doc: Doc, k: int) -> bool:
    return _written_proper(doc, k) and not doc.classes[k] & _STOP and len(doc.keys[k]) >= 3


def holy_names(doc: Doc, hits: list[Hit]) -> None:
    """HOLY or SACRED and up to two written-proper words, then an OF part (OF CZESTOCHOWA); OUR LADY OF X."""
    keys = doc.keys
    n = len(keys)
    for i in _where(doc, *_OPENERS):
        start = i
        if keys[i] == "LADY":
            if keys[i - 1] != "OUR" or i + 2 >= n or keys[i + 1] != "OF" or not doc.tight(i + 1):
                continue
            start, last = i - 1, i + 1
        elif not _written_proper(doc, i) or (doc.word(i).islower() and not doc.caps):
            continue
        else:
            last = i
        k = last + 1
        while k < n and k - last <= 2 and doc.tight(k) and _name_word(doc, k):
            last = k
            k += 1
        if last == i or (keys[start] == "OUR" and last == i + 1):
            continue  # HOLY alone; OUR LADY OF with nothing after it
        of_tail = last + 2 < n and keys[last + 1] == "OF" and doc.tight(last + 1) and doc.tight(last + 2)
        if of_tail and _name_word(doc, last + 2):
            last += 2
        hits.append((doc.starts[start], doc.ends[last], "LOCATION", 0.65))
