"""The synthetic corpus (deterministic, gold spans aligned and classed, ICU nursing style) and the metrics."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from phi import Engine
from phi.corpus import CLASSES, STYLES, GoldSpan, Note, generate, read_jsonl, write_jsonl
from phi.metrics import score
from phi.words import lines

# The classes the brief for the ICU style names; CLASSES may hold more.
REQUIRED_CLASSES = {
    *("patient_name", "relative_name", "clinician_signoff", "clinician_list", "clinician_name"),
    *("facility_full", "facility_short", "ward_unit", "campus", "city", "street_address", "zip"),
    *("date_full", "date_short", "date_month_year", "date_apostrophe_year", "date_glued", "age_over_89"),
    *("phone", "phone_odd", "pager", "phone_extension", "fax", "email", "url", "ip"),
    *("mrn", "ssn", "mbi", "accession", "health_plan", "account", "license", "device_serial", "vehicle_plate"),
}


@pytest.fixture(scope="module")
def sample() -> list[Note]:
    return generate(300, seed=11)


def icu(notes: list[Note]) -> list[Note]:
    return [n for n in notes if n.style == "icu_nursing"]


def test_the_corpus_is_deterministic_for_a_seed() -> None:
    assert generate(15, seed=3) == generate(15, seed=3)
    assert generate(15, seed=3) != generate(15, seed=4)
    assert generate(6, seed=3, styles=["icu_nursing"]) == generate(6, seed=3, styles=["icu_nursing"])


def test_gold_spans_are_exact_classed_and_disjoint(sample: list[Note]) -> None:
    assert {n.style for n in sample} == set(STYLES)
    for note in sample:
        end = 0
        for span in sorted(note.spans, key=lambda s: s.start):
            value = note.text[span.start : span.end]
            assert value and value == value.strip() and re.search(r"[A-Za-z0-9]", value), (note.id, span)
            assert span.start >= end, (note.id, span)  # no overlaps
            assert span.cls in CLASSES and span.type == CLASSES[span.cls], span
            around = note.text[span.start - 1 : span.start] + note.text[span.end : span.end + 1]
            assert span.cls in ("date_glued", "age_over_89") or not re.search(r"[A-Za-z0-9]", around), (note.id, span)
            end = span.end
    caps = [n for n in sample if n.style == "nursing_caps"]
    assert caps and all(n.text == n.text.upper() for n in caps)


def test_icu_nursing_dominates_and_every_class_appears(sample: list[Note]) -> None:
    styles = Counter(n.style for n in sample)
    assert 0.5 <= styles["icu_nursing"] / len(sample) <= 0.7
    found = Counter(s.cls for n in sample for s in n.spans)
    assert set(CLASSES) >= REQUIRED_CLASSES
    assert set(found) == set(CLASSES), set(CLASSES) - set(found)
    assert all(n.spans for n in icu(sample))


def test_icu_notes_come_in_capitals_lower_case_and_mixed_case(sample: list[Note]) -> None:
    notes = icu(sample)
    caps = [n for n in notes if n.text == n.text.upper()]
    lower = [n for n in notes if n.text == n.text.lower()]
    mixed = len(notes) - len(caps) - len(lower)
    assert len(caps) > len(notes) / 2 and len(lower) >= 10 and mixed >= 10
    assert len({n.text[:40] for n in notes}) > len(notes) * 0.8  # not one template


def test_icu_notes_read_like_icu_nursing_notes(sample: list[Note]) -> None:
    text = "\n".join(n.text.upper() for n in icu(sample))
    for word in ("NPN", "NEURO", "CV", "RESP", "PLAN", "PEEP", "CAREVUE", "PRBC", "HCT", "ABG", "PERRLA", "CTA", "MAE"):
        assert re.search(rf"\b{re.escape(word)}\b", text), word
    for distractor in ("WILL", "GRANT", "ROSE", "MARK", "BILL", "HOPE", "FAITH", "FOLEY", "SWAN", "HICKMAN"):
        assert re.search(rf"\b{distractor}\b", text), distractor
    assert "PASSY-MUIR" in text and "TRENDELENBURG" in text and re.search(r"\b\d/\d\d\b", text)


def test_the_non_phi_stays_unannotated(sample: list[Note]) -> None:
    """Lone four-digit years and ages under 90 are not PHI; distractor words are not names."""
    lone_years = 0
    for note in icu(sample):
        dates = [(s.start, s.end) for s in note.spans if s.type == "DATE"]
        for m in re.finditer(r"(?<![\w/'-])(19|20)\d\d(?![\w/-])", note.text):
            lone_years += not any(a <= m.start() < b for a, b in dates)
        for span in note.spans:
            value = note.text[span.start : span.end]
            assert span.type != "DATE" or not re.fullmatch(r"(19|20)\d\d", value), (note.id, value)
            if span.cls == "age_over_89":
                assert 90 <= int(value) <= 110
            if span.type == "NAME":
                assert value.upper() not in {"FOLEY", "SWAN", "HICKMAN", "TRENDELENBURG", "PASSY-MUIR"}
    assert lone_years >= 10


def test_every_icu_fragment_renders_without_leftover_slots() -> None:
    sections = ["headers", "open", "pmh", "neuro", "cv", "resp", "gi", "gu", "id", "skin", "endo", "heme", "lines"]
    sections += ["social", "plan", "phi_social", "phi_team", "phi_events"]
    for section in sections:
        for template in lines(f"icu_{section}"):
            bare = re.sub(r"\{\w+\}|\{[^{}]*\|[^{}]*\}", "", template)  # slots and {a|b} choices, not nested
            assert "{" not in bare and "}" not in bare, template
    for note in icu(generate(60, seed=5, styles=["icu_nursing"])):
        assert "{" not in note.text and "}" not in note.text and note.text.isascii()


def test_classes_survive_jsonl(tmp_path: Path, sample: list[Note]) -> None:
    path = tmp_path / "notes.jsonl"
    write_jsonl(sample[:40], path)
    assert read_jsonl(path) == sample[:40]
    assert '"class": "' in path.read_text(encoding="utf-8")
    legacy = tmp_path / "legacy.jsonl"
    legacy.write_text('{"id": "a", "text": "SEEN BY DR. SMITH", "spans": [{"start": 12, "end": 17, "type": "NAME"}]}\n')
    assert read_jsonl(legacy)[0].spans == (GoldSpan(12, 17, "NAME"),)
    assert "class" not in Note("b", "", "x", (GoldSpan(0, 1, "NAME"),)).to_json()["spans"][0]


def test_metrics_count_alphanumeric_tokens() -> None:
    text = "DR. JOHN SMITH SAW PT ON 7/22"
    gold = [(4, 14, "NAME"), (25, 29, "DATE")]
    predicted = [(0, 14, "NAME")]  # too wide on the left, misses the date
    report = score([(text, gold, predicted)])
    assert report.gold == {"NAME": 2, "DATE": 2}
    assert report.recall() == 0.5 and report.recall("NAME") == 1.0 and report.recall("DATE") == 0.0
    assert report.precision() == 2 / 3 and report.predicted["NAME"] == 3


def test_the_engine_meets_the_targets_on_a_fresh_sample(engine: Engine) -> None:
    """Thresholds: what the engine reached on these notes (ICU style added) minus 0.02.

    Measured while the engine was being edited: recall 0.905-0.939, precision 0.961-0.971 on these 80 notes;
    the lowest of each, less 0.02, is the floor.  Raise it as the engine improves.
    """
    notes = generate(80, seed=2024)
    report = score(
        (
            n.text,
            [(s.start, s.end, s.type) for s in n.spans],
            [(e.start, e.end, e.type) for e in engine.analyze(n.text)],
        )
        for n in notes
    )
    assert report.recall() >= 0.885
    assert report.precision() >= 0.94
