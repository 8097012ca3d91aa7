"""Organisations and dates found by the rules added for the hand-annotated dev notes' misses: places after a
preposition in mixed-case text, initials a note defines, congregations, names after a context phrase, month/day
pairs that look like ratios. Examples are our own, written for these tests; each rule has a case it must leave."""

from __future__ import annotations

import pytest

from phi import Engine

engine = Engine()


def flagged(text: str, kind: str | None = None) -> set[str]:
    return {text[e.start : e.end] for e in engine.analyze(text) if kind is None or e.type == kind}


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("Pt came over from Larchmont on the Sound w/ fever.", "Larchmont on the Sound"),
        ("Her caseworker at Pinegate for the Unhoused called.", "Pinegate for the Unhoused"),
        ("Dialysis at DaVita Northgate three times a week.", "DaVita Northgate"),
        ("Son calls from Fort Drum most nights.", "Fort Drum"),
    ],
)
def test_a_capitalised_run_after_a_preposition_in_mixed_case_text_is_a_place(text, place):
    assert any(place in found for found in flagged(text, "LOCATION"))


@pytest.mark.parametrize(
    "text",
    [
        "Facial droop similar to Bell's palsy per pt.",
        "Pt with hx of Addison's disease, on hydrocortisone.",
        "Transferred to ICU at 0300, then to Medicine in am.",
        "Pain improved. Plan: to OR in AM, NPO after midnight.",
    ],
)
def test_an_eponym_a_unit_or_a_service_after_a_preposition_is_not_a_place(text):
    assert not flagged(text, "LOCATION")


def test_an_all_caps_note_gets_no_preposition_rule():
    assert not flagged("PT UP TO CHAIR WITH ASSIST X2, BACK TO BED AT 1400 PER RN.", "LOCATION")


def test_initials_the_note_defines_for_a_place_are_a_place_wherever_they_recur():
    text = "ADMITTED FROM ST. BRENDAN'S HOSPITAL (SBH) ED W/ SEPSIS. PICC PLACED AT SBH 2 DAYS AGO."
    places = [text[e.start : e.end] for e in engine.analyze(text) if e.type == "LOCATION"]
    assert places.count("SBH") == 2


def test_initials_that_do_not_spell_the_place_stay_clinical_shorthand():
    text = "ADMITTED FROM ST. BRENDAN'S HOSPITAL (SAH) W/ HEADACHE."
    assert "SAH" not in flagged(text)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("DEACON FROM SECOND BAPTIST CHURCH OF MILLBURY VISITED.", "SECOND BAPTIST CHURCH OF MILLBURY"),
        ("Family from First Tongan Methodist brought dinner.", "First Tongan Methodist"),
        ("FAMILY ATTENDS HOLY TRINITY OF BRAINTREE, PRIEST IN TO SEE PT.", "HOLY TRINITY OF BRAINTREE"),
        ("Wife asks for a priest from Our Lady of Fatima parish.", "Our Lady of Fatima"),
        ("CHURCH: RIVER HOUSE OF GRACE, PASTOR TO VISIT.", "RIVER HOUSE OF GRACE"),
    ],
)
def test_congregations_are_places(text, place):
    assert any(place in found for found in flagged(text, "LOCATION"))


def test_an_ordinal_without_a_denomination_opens_no_name():
    assert not flagged("FIRST DOSE GIVEN AT 0600. FIRST CHEST TUBE OUT, FIRST ASSEMBLY MEETING AT 0900.", "LOCATION")


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("PT WORKS FOR NATIONAL FREIGHT AS A DRIVER.", "NATIONAL FREIGHT"),
        ("WIFE STAYING AT HARMONY HOUSE NEAR THE HOSPITAL.", "HARMONY HOUSE"),
        ("DISPO: SCREENING FOR REHAB: WILLOW HILL, MAGISTRATE'S CENTER. PLAN: SITTER.", "MAGISTRATE'S CENTER"),
    ],
)
def test_a_plain_word_and_a_head_after_a_context_phrase_is_a_place(text, place):
    assert place in flagged(text, "LOCATION")


def test_lower_case_plain_words_after_a_context_phrase_in_mixed_case_text_are_no_place():
    assert not flagged("Transfer note: Pt arrived from outside hospital via ambulance.", "LOCATION")


def test_a_ratio_shaped_month_day_near_dates_of_the_same_month_is_a_date():
    text = "ERCP 6/10 here, stone extracted. Cultures 6/12 NGTD, 6/14 pending."
    assert {"6/10", "6/12", "6/14"} <= flagged(text, "DATE")


def test_a_common_fraction_or_a_pain_score_near_a_date_stays_a_ratio():
    text = "Crackles 1/2 way up bilat. Pain 6/10 after turning. Lasix started 6/12."
    dates = flagged(text, "DATE")
    assert "1/2" not in dates and "6/10" not in dates and "6/12" in dates
