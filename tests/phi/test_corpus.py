"""The synthetic corpus (deterministic, gold spans aligned) and the token-level metrics."""

from __future__ import annotations

import re

from phi import Engine
from phi.corpus import STYLES, generate
from phi.metrics import score


def test_the_corpus_is_deterministic_for_a_seed() -> None:
    assert generate(15, seed=3) == generate(15, seed=3)
    assert generate(15, seed=3) != generate(15, seed=4)


def test_gold_spans_cover_text_and_styles_vary() -> None:
    notes = generate(80, seed=9)
    assert {n.style for n in notes} == set(STYLES)
    for note in notes:
        for span in note.spans:
            value = note.text[span.start : span.end]
            assert value and value == value.strip() and re.search(r"[A-Za-z0-9]", value)
    caps = [n for n in notes if n.style == "nursing_caps"]
    assert caps and all(n.text == n.text.upper() for n in caps)


def test_metrics_count_alphanumeric_tokens() -> None:
    text = "DR. JOHN SMITH SAW PT ON 7/22"
    gold = [(4, 14, "NAME"), (25, 29, "DATE")]
    predicted = [(0, 14, "NAME")]  # too wide on the left, misses the date
    report = score([(text, gold, predicted)])
    assert report.gold == {"NAME": 2, "DATE": 2}
    assert report.recall() == 0.5 and report.recall("NAME") == 1.0 and report.recall("DATE") == 0.0
    assert report.precision() == 2 / 3 and report.predicted["NAME"] == 3


def test_the_engine_meets_the_targets_on_a_fresh_sample(engine: Engine) -> None:
    notes = generate(80, seed=2024)
    report = score(
        (
            n.text,
            [(s.start, s.end, s.type) for s in n.spans],
            [(e.start, e.end, e.type) for e in engine.analyze(n.text)],
        )
        for n in notes
    )
    assert report.recall() >= 0.97
    assert report.precision() >= 0.95
