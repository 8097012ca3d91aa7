"""The presidio configurations: our recognizers inside an AnalyzerEngine agree with the fast path."""

from __future__ import annotations

from presidio_analyzer import AnalyzerEngine, EntityRecognizer

from phi import Engine
from phi.corpus import generate
from phi.recognizers import build_analyzer, default_recognizers

TEXT = "SEEN BY DR. SMITH ON 7/22. WIFE MARY CALLED 617-555-1234. MRN 1234567. LIVES IN QUINCY. 92 YO."


def test_recognizers_are_presidio_entity_recognizers() -> None:
    recognizers = default_recognizers()
    assert all(isinstance(r, EntityRecognizer) for r in recognizers)
    covered = {t for r in recognizers for t in r.supported_entities}
    assert {"NAME", "DATE", "AGE", "PHONE", "EMAIL", "SSN", "MRN", "URL", "IP", "LOCATION"} <= covered


def test_an_analyzer_engine_runs_our_recognizers() -> None:
    analyzer = build_analyzer()
    assert isinstance(analyzer, AnalyzerEngine)
    found = {(TEXT[r.start : r.end], r.entity_type) for r in analyzer.analyze(TEXT, language="en")}
    assert {("SMITH", "NAME"), ("7/22", "DATE"), ("617-555-1234", "PHONE"), ("QUINCY", "LOCATION")} <= found


def test_the_presidio_backend_gives_the_fast_path_entities(engine: Engine) -> None:
    slow = Engine(backend="presidio")
    for note in generate(12, seed=5):
        assert slow.analyze(note.text) == engine.analyze(note.text)


def test_the_spacy_option_adds_person_entities_in_prose() -> None:
    with_spacy = Engine(use_spacy=True)
    text = "Yesterday Bartholomew Quenneville brought his mother to the clinic."
    found = [(text[e.start : e.end], e.type) for e in with_spacy.analyze(text)]
    assert ("Bartholomew Quenneville", "NAME") in found
