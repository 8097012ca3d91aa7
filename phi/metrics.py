"""Token-level scoring of PHI spans: recall, precision and F1 over alphanumeric tokens, overall and per type."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = ["Report", "Span", "score"]

_TOKEN = re.compile(r"[A-Za-z0-9]+")
_YEAR = re.compile(r"(?:19|20)\d\d")
Span = tuple[int, int, str]
"""(start, end, type)"""


@dataclass(slots=True)
class Report:
    """Token counts. Recall per gold type: share of that type's tokens covered by any predicted span.
    Precision per predicted type: share of the tokens it covers that are PHI of any type."""

    gold: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    predicted: Counter[str] = field(default_factory=Counter)
    correct: Counter[str] = field(default_factory=Counter)

    @staticmethod
    def _ratio(num: int, den: int) -> float:
        return num / den if den else 1.0

    def recall(self, kind: str | None = None) -> float:
        if kind is None:
            return self._ratio(sum(self.found.values()), sum(self.gold.values()))
        return self._ratio(self.found[kind], self.gold[kind])

    def precision(self, kind: str | None = None) -> float:
        if kind is None:
            return self._ratio(sum(self.correct.values()), sum(self.predicted.values()))
        return self._ratio(self.correct[kind], self.predicted[kind])

    def f1(self) -> float:
        p, r = self.precision(), self.recall()
        return 2 * p * r / (p + r) if p + r else 0.0


def _labels(text_len: int, spans: Iterable[Span]) -> list[str]:
    labels = [""] * text_len
    for start, end, kind in spans:
        for i in range(max(0, start), min(end, text_len)):
            if not labels[i]:
                labels[i] = kind
    return labels


def _alone(gold: list[str], start: int, end: int) -> bool:
    """The token at start:end is not part of a longer gold span (a full date keeps its year as PHI)."""
    inside = any(gold[i] for i in range(start, end))
    if not inside:
        return True
    before = start > 0 and bool(gold[start - 1]) and gold[start - 1] == gold[start]
    after = end < len(gold) and bool(gold[end]) and gold[end] == gold[end - 1]
    return not (before or after)


def score(pairs: Iterable[tuple[str, Sequence[Span], Sequence[Span]]]) -> Report:
    """Score (text, gold spans, predicted spans) triples; a token counts as covered if a span overlaps it."""
    report = Report()
    for text, gold_spans, predicted_spans in pairs:
        gold = _labels(len(text), gold_spans)
        pred = _labels(len(text), predicted_spans)
        for m in _TOKEN.finditer(text):
            start, end = m.start(), m.end()
            g = next((gold[i] for i in range(start, end) if gold[i]), "")
            p = next((pred[i] for i in range(start, end) if pred[i]), "")
            if _YEAR.fullmatch(m.group()) and _alone(gold, start, end):
                continue  # a year on its own is not PHI under Safe Harbor: it counts neither way
            if g:
                report.gold[g] += 1
                if p:
                    report.found[g] += 1
            if p:
                report.predicted[p] += 1
                if g:
                    report.correct[p] += 1
    return report
