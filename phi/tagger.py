"""A small learned word tagger over the rule engine: an averaged perceptron on word, shape, lexicon and context
features, trained on our own annotated notes (bench/train_tagger.py) and shipped as a JSON file.

It sees what the rules decided for each word and around it, and adds words the rules missed (a name or place
that no context rule reaches).  Pure Python, no Django, no download: the weights live in phi/data/tagger.json.gz.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from phi.lexicon import (
    AMBIG,
    CITY,
    CITY_AMBIG,
    CLINICAL,
    COMMON,
    ENGLISH,
    FIRST,
    LAST,
    NAME,
    POSTCRED,
    REGION,
    RELATIVE,
    ROLE,
    TITLE,
    VERB,
)
from phi.scan import Doc
from phi.types import Entity

__all__ = ["WEIGHTS", "Perceptron", "WordTagger", "features", "ruled_words", "word_labels"]

WEIGHTS = Path(__file__).resolve().parent / "data" / "tagger.json.gz"
_BITS = (
    ("first", FIRST),
    ("last", LAST),
    ("name", NAME),
    ("ambig", AMBIG),
    ("common", COMMON),
    ("clin", CLINICAL),
    ("city", CITY | CITY_AMBIG),
    ("eng", ENGLISH),
    ("title", TITLE),
    ("role", ROLE),
    ("rel", RELATIVE),
    ("cred", POSTCRED),
    ("verb", VERB),
    ("region", REGION),
)


def _shape(word: str) -> str:
    if word.isupper():
        return "UP" if len(word) > 1 else "U1"
    if word[:1].isupper():
        return "Title"
    return "low"


def _bits(c: int) -> Iterator[str]:
    for name, bit in _BITS:
        if c & bit:
            yield name


def _gap(doc: Doc, i: int) -> str:
    if i <= 0 or i >= len(doc.keys):
        return "edge"
    gap = doc.gap(i)
    if "\n" in gap:
        return "nl"
    marks = "".join(ch for ch in gap if not ch.isspace())[:2]
    return marks or "sp"


def features(doc: Doc, i: int, ruled: Sequence[str]) -> list[str]:
    """The feature names of word i; `ruled` holds the rule engine's type for each word ("" when none)."""
    keys, classes = doc.keys, doc.classes
    n = len(keys)
    word = doc.word(i)
    shape = "blind" if doc.caps else _shape(word)
    out = ["bias", f"w={keys[i]}", f"shape={shape}", f"len={min(len(keys[i]), 8)}", f"rule={ruled[i]}"]
    out.extend(f"b={b}" for b in _bits(classes[i]))
    if not classes[i] & (COMMON | CLINICAL | FIRST | LAST):
        out.append("unknown")
    out.append(f"gapL={_gap(doc, i)}")
    out.append(f"gapR={_gap(doc, i + 1)}")
    for offset in (-2, -1, 1, 2):
        j = i + offset
        if 0 <= j < n:
            out.append(f"w{offset}={keys[j]}")
            out.append(f"rule{offset}={ruled[j]}")
            if abs(offset) == 1:
                out.extend(f"b{offset}={b}" for b in _bits(classes[j]))
        else:
            out.append(f"w{offset}=<none>")
    return out


def word_labels(doc: Doc, spans: Sequence[tuple[int, int, str]]) -> list[bool]:
    """For training: whether each word lies inside a gold span."""
    covered = [False] * len(doc.text)
    for start, end, _kind in spans:
        for k in range(max(0, start), min(end, len(doc.text))):
            covered[k] = True
    return [any(covered[s:e]) for s, e in zip(doc.starts, doc.ends, strict=True)]


class Perceptron:
    """Binary averaged perceptron: score(features) > 0 means PHI."""

    def __init__(self, weights: dict[str, float] | None = None) -> None:
        self.weights: dict[str, float] = weights or {}
        self._totals: dict[str, float] = {}
        self._stamps: dict[str, int] = {}
        self._step = 0

    def score(self, feats: Sequence[str]) -> float:
        get = self.weights.get
        return sum(get(f, 0.0) for f in feats)

    def update(self, feats: Sequence[str], truth: bool) -> None:
        self._step += 1
        guess = self.score(feats) > 0
        if guess == truth:
            return
        delta = 1.0 if truth else -1.0
        for f in feats:
            weight = self.weights.get(f, 0.0)
            self._totals[f] = self._totals.get(f, 0.0) + (self._step - self._stamps.get(f, 0)) * weight
            self._stamps[f] = self._step
            self.weights[f] = weight + delta

    def average(self) -> None:
        for f, weight in self.weights.items():
            total = self._totals.get(f, 0.0) + (self._step - self._stamps.get(f, 0)) * weight
            self.weights[f] = round(total / max(self._step, 1), 4)
        self.weights = {f: w for f, w in self.weights.items() if w}

    def save(self, path: Path) -> None:
        with gzip.open(path, "wt", encoding="utf-8") as handle:
            json.dump(self.weights, handle, sort_keys=True, separators=(",", ":"))

    @classmethod
    def load(cls, path: Path = WEIGHTS) -> Perceptron:
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            weights: dict[str, float] = json.load(handle)
        return cls(weights)


def ruled_words(doc: Doc, entities: Sequence[Entity]) -> list[str]:
    """The rule engine's type for each word of `doc` ("" when no entity covers it); both lists are sorted."""
    ruled = [""] * len(doc.keys)
    k = 0
    for i, (start, end) in enumerate(zip(doc.starts, doc.ends, strict=True)):
        while k < len(entities) and entities[k].end <= start:
            k += 1
        if k < len(entities) and entities[k].start < end:
            ruled[i] = entities[k].type
    return ruled


_PLACE_BEFORE = frozenset({"AT", "FROM", "IN", "TO", "NEAR"})
_SKIP = CLINICAL | ENGLISH  # shorthand, function words and plain English never reach the tagger on their own
EVIDENCE = "learned from the words around it (the word tagger)"
SCORE = 0.5


class WordTagger:
    """The trained perceptron applied after the rules: words it scores above zero become NAME or LOCATION."""

    def __init__(self, model: Perceptron) -> None:
        self.model = model

    @staticmethod
    def available() -> bool:
        return WEIGHTS.exists()

    @classmethod
    def load(cls) -> WordTagger:
        return cls(Perceptron.load(WEIGHTS))

    def candidate(self, doc: Doc, i: int) -> bool:
        """Only words that could be a name or place are scored (the cost stays a fraction of the rules')."""
        c = doc.classes[i]
        return len(doc.keys[i]) >= 2 and (not c & _SKIP or bool(c & AMBIG))

    def additions(self, doc: Doc, entities: Sequence[Entity]) -> list[tuple[int, int, str, float, str, str]]:
        ruled = ruled_words(doc, entities)
        out: list[tuple[int, int, str, float, str, str]] = []
        for i in range(len(doc.keys)):
            if ruled[i] or not self.candidate(doc, i):
                continue
            if self.model.score(features(doc, i, ruled)) > 0:
                kind = "LOCATION" if i and doc.keys[i - 1] in _PLACE_BEFORE else "NAME"
                out.append((doc.starts[i], doc.ends[i], kind, SCORE, "WordTagger", EVIDENCE))
        return out
