"""Detection per identifier type, in ALL-CAPS nursing shorthand and in ordinary prose, and what must stay alone."""

from __future__ import annotations

import itertools

import pytest

from phi import Engine
from tests.phi.conftest import spans

SEED = "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."


def test_the_seed_example_has_one_name_and_one_date(engine: Engine) -> None:
    assert spans(engine, SEED) == [("John Smith", "NAME"), ("01/15/1965", "DATE")]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("SEEN BY DR. SMITH TODAY", "SMITH"),
        ("seen by dr. smith today", "smith"),
        ("Seen by Dr. Smith today", "Smith"),
        ("RN JONES AWARE OF LOW UO", "JONES"),
        ("HUSBAND JOHN CALLED FOR UPDATE", "JOHN"),
        ("DAUGHTER SUSAN CALLED, QUESTIONS ANSWERED", "SUSAN"),
        ("SEEN BY MARY THIS AM", "MARY"),
        ("DR. WHITE AT BEDSIDE", "WHITE"),  # a surname that is also an English word, after a title
        ("WIFE ROSE IN TO VISIT", "ROSE"),  # a first name that is also an English word, after a relative
        ("PAGED DR KOWALCZYK RE: HYPOTENSION", "KOWALCZYK"),  # in no name list: the title decides
        ("REPORT GIVEN TO NGOZI OKAFOR, RN", "NGOZI OKAFOR"),
        ("Her son, Christian, will drive her home.", "Christian"),
    ],
)
def test_names_with_titles_relatives_and_credentials(engine: Engine, text: str, name: str) -> None:
    assert (name, "NAME") in spans(engine, text)


def test_a_first_and_last_name_pair_is_one_entity(engine: Engine) -> None:
    assert spans(engine, "SPOKE WITH MARY A. WHITE WHO IS HCP") == [("MARY A. WHITE", "NAME")]


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("FELL AT HOME ON 7/22, NO LOC", "7/22"),
        ("DOB 01/15/1965", "01/15/1965"),
        ("seen in clinic on Jan 3rd", "Jan 3rd"),
        ("ADMITTED JAN 3 WITH UROSEPSIS", "JAN 3"),
        ("echo 2020-03-04 showed EF 35%", "2020-03-04"),
        ("S/P CABG 3/4/09", "3/4/09"),
        ("born on the 3rd of January", "3rd of January"),
        ("NEXT APPT 15 MAR 2019", "15 MAR 2019"),
        ("last seen March 5, 2019", "March 5, 2019"),
        ("home for CHRISTMAS", "CHRISTMAS"),
    ],
)
def test_dates_full_and_partial(engine: Engine, text: str, date: str) -> None:
    assert (date, "DATE") in spans(engine, text)


def test_a_year_on_its_own_is_not_phi(engine: Engine) -> None:
    assert spans(engine, "S/P CABG IN 2004, STENTS 2010") == []


@pytest.mark.parametrize(
    "text", ["92 YO F WITH UROSEPSIS", "PT IS A 92 Y/O WOMAN", "AGE 95, FULL CODE", "a 101-year-old man"]
)
def test_ages_over_89(engine: Engine, text: str) -> None:
    assert [kind for _value, kind in spans(engine, text)] == ["AGE"]


def test_ages_up_to_89_are_not_phi(engine: Engine) -> None:
    assert spans(engine, "PT IS A 75 YO MAN, 89 YO WIFE") == []


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("CALL WIFE AT 617-555-1234", "617-555-1234", "PHONE"),
        ("home (617) 555-1234", "(617) 555-1234", "PHONE"),
        ("cell 617.555.1234", "617.555.1234", "PHONE"),
        ("CELL 555-1234", "555-1234", "PHONE"),
        ("PAGE WITH ANY CHANGES, PAGER 12345", "12345", "PHONE"),
        ("FAX: 617-555-9876", "617-555-9876", "FAX"),
        ("email mary.jones@gmail.com today", "mary.jones@gmail.com", "EMAIL"),
        ("SSN 123-45-6789", "123-45-6789", "SSN"),
        ("MRN: 1234567", "1234567", "MRN"),
        ("MR# 00123456", "00123456", "MRN"),
        ("ACCT # 55512345", "55512345", "ACCOUNT"),
        ("MEMBER ID W123456789", "W123456789", "HEALTH_PLAN"),
        ("LICENSE # D1234567", "D1234567", "LICENSE"),
        ("VIN 1HGCM82633A004352", "1HGCM82633A004352", "VEHICLE"),
        ("PACEMAKER SERIAL NUMBER PX12345", "PX12345", "DEVICE"),
        ("forms at https://portal.example.org/x.", "https://portal.example.org/x", "URL"),
        ("see www.example.com", "www.example.com", "URL"),
        ("from IP 192.168.10.12", "192.168.10.12", "IP"),
        ("from 2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::8a2e:370:7334", "IP"),
        ("REF 8675309000", "8675309000", "ID"),
    ],
)
def test_numbers_and_addresses(engine: Engine, text: str, value: str, kind: str) -> None:
    assert (value, kind) in spans(engine, text)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("PT LIVES IN QUINCY WITH WIFE", "QUINCY"),
        ("TRANSFERRED FROM NEWTON-WELLESLEY HOSPITAL", "NEWTON-WELLESLEY HOSPITAL"),
        ("came from St. Elizabeth's Medical Center", "St. Elizabeth's Medical Center"),
        ("45 Elm Street, Springfield, MA 01103", "45 Elm Street"),
        ("45 Elm Street, Springfield, MA 01103", "Springfield"),
        ("45 Elm Street, Springfield, MA 01103", "MA 01103"),
        ("BROUGHT IN BY BOSTON EMS", "BOSTON EMS"),
    ],
)
def test_locations(engine: Engine, text: str, place: str) -> None:
    assert (place, "LOCATION") in spans(engine, text)


def test_a_state_alone_is_not_phi(engine: Engine) -> None:
    assert spans(engine, "PT MOVED HERE FROM FLORIDA LAST YEAR") == []


@pytest.mark.parametrize(
    "text",
    [
        "PT IS NPO, PRN BID MEDS, SOB, CHF, BP 120/80 HR 88 RR 18",
        "PAIN 5/10, MEDICATED WITH MSO4. MAY NEED MORE LASIX. WILL CONT TO MONITOR.",
        "FOLEY DRAINING CLEAR YELLOW URINE. LG BROWN GUAIAC NEG STOOL. GREEN SPUTUM.",
        "DR AWARE. MD NOTIFIED. PA LINE DC'D. SWAN OUT. PEG TUBE INTACT.",
        "RESP: PS 10/5, PEEP 5, FIO2 40%. 1/2 NS @ 100CC/HR. 3/4 SIDE RAILS UP.",
        "HX OF PARKINSON'S DISEASE AND GRAVES DISEASE, BELL'S PALSY.",
        "MARCH TO THE OR AT 0700. UO DEC 20CC/HR. HOB > 30 DEGREES.",
        "NEURO: A+OX3, MAE, PERRLA. CV: NSR 80S. GI: ABD SOFT, +BS. GU: FOLEY TO GD.",
    ],
)
def test_clinical_shorthand_is_left_alone(engine: Engine, text: str) -> None:
    assert spans(engine, text) == []


def test_entities_are_sorted_non_overlapping_python_offsets(engine: Engine) -> None:
    text = "Ünïcode ✓ — SEEN BY DR. SMITH ON 7/22, CALL 617-555-1234"
    entities = engine.analyze(text)
    assert [text[e.start : e.end] for e in entities] == ["SMITH", "7/22", "617-555-1234"]
    assert all(a.end <= b.start for a, b in itertools.pairwise(entities))


def test_empty_text(engine: Engine) -> None:
    assert engine.analyze("") == []
