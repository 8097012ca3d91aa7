"""Second-pass classes from real ICU notes: identifiers carried across a note, wards named like people,
cities abroad. Examples are our own, written for these tests."""

from __future__ import annotations

import pytest

from phi import Engine
from phi.lexicon import load_lexicon
from phi.propagate import propagated
from phi.scan import tokenize
from phi.types import Entity

engine = Engine()


def found(text: str) -> list[tuple[str, str]]:
    return [(text[e.start : e.end], e.type) for e in engine.analyze(text)]


def flagged(text: str) -> set[str]:
    return {text[e.start : e.end] for e in engine.analyze(text)}


def test_a_confirmed_identifier_is_phi_wherever_it_recurs_in_the_note():
    text = "From Quarry Hill Commons, per daughter Kim Tolliver.\nTolliver aware; back to quarry hill commons."
    first = text.index("Quarry")
    place = Entity(first, first + len("Quarry Hill Commons"), "LOCATION", 0.7)
    name = Entity(text.index("Kim"), text.index("Kim") + len("Kim Tolliver"), "NAME", 0.85)
    hits = propagated(tokenize(text, load_lexicon()), [place, name])
    assert {(text[h[0] : h[1]], h[2]) for h in hits} == {("Tolliver", "NAME"), ("quarry hill commons", "LOCATION")}
    assert all(h[4] == "SameNoteRecognizer" and "elsewhere" in h[5] for h in hits)


def test_a_guess_is_not_carried():
    text = "Seen by Halvorsen. Halvorsen aware."
    weak = Entity(8, 17, "NAME", 0.4)
    assert propagated(tokenize(text, load_lexicon()), [weak]) == []


def test_plain_words_of_a_name_are_not_carried_alone():
    # BELL is a surname and an English word: the full name is PHI, the call bell later is not.
    text = "Wife Tasha Bell at bedside. Call bell within reach."
    assert "Tasha Bell" in flagged(text)
    assert "bell" not in flagged(text)


@pytest.mark.parametrize(
    ("text", "ward"),
    [
        ("PT ARRIVED FROM STONEMAN 6 @ 1200 FOR CLOSER MONITORING.", "STONEMAN 6"),
        ("Nursing transfer note -> Reisman 9", "Reisman 9"),
        ("SW met with family in the Kessler 3 family room.", "Kessler 3"),
    ],
)
def test_a_building_named_like_a_person_and_a_floor_is_a_ward(text, ward):
    assert (ward, "LOCATION") in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "LINES: R IJ TLC DAY 3, R RADIAL A-LINE DAY 3.",
        "SAH (HUNT-HESS 3, FISHER 3) S/P COILING.",
        "RESP: TRACH (SHILEY 8 CUFFED) TO CPAP 5.",
        "SKIN: STAGE 2 ON COCCYX. ASKED ABOUT HIS LUNCH 4 TIMES.",
        "NA ROSE 6 IN 12 HRS.",
    ],
)
def test_grades_days_and_devices_with_a_number_are_not_wards(text):
    assert not [t for t, kind in found(text) if kind == "LOCATION"]


def test_a_city_abroad_after_place_context_is_a_location():
    assert ("MONTREAL", "LOCATION") in found("SON LIVES IN MONTREAL, WILL CALL TONIGHT.")
