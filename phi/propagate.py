"""Same words, same verdict: a name or a place found once in a note is PHI wherever else it appears there.

A note introduces a person or a place once with good evidence (DAUGHTER KIMBERLY OSTROWSKI, RETURN TO MARINA
BAY REHAB) and then repeats the bare word where no context helps (OSTROWSKI AWARE, marina bay liaison). De-id
systems have long carried a confirmed identifier over the whole document; this module does that for NAME and
LOCATION entities:

* the whole entity, as a run of words, wherever the same words appear in the same order;
* for a name, each of its words that no clinical, common or English list knows (a surname like OSTROWSKI):
  a word that is also plain English or shorthand (BELL, ROSE, MAE) is carried only as part of the full run.
"""

from __future__ import annotations

from collections.abc import Sequence

from phi.lexicon import CLINICAL, COMMON, ENGLISH, REGION, TITLE
from phi.scan import Doc
from phi.types import Entity

__all__ = ["propagated"]

SourcedHit = tuple[int, int, str, float, str, str]

_CARRIED = ("NAME", "LOCATION")
_MIN_SCORE = 0.6  # only confident entities are carried: a guess repeated is still a guess
_PLAIN = CLINICAL | COMMON | ENGLISH | REGION | TITLE
_RECOGNIZER = "SameNoteRecognizer"


def _tokens_in(doc: Doc, entity: Entity) -> list[int]:
    return [i for i in range(len(doc.keys)) if doc.starts[i] >= entity.start and doc.ends[i] <= entity.end]


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
