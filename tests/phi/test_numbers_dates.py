"""Phones, pagers, dates, ages, IPs and ID numbers in the shapes ICU nursing notes write them, and the clinical
numbers (ventilator settings, strengths, scores, ratios, doses) that look like them but are not PHI."""

from __future__ import annotations

import pytest

from phi import Engine

ENGINE = Engine()
NUMBER_TYPES = frozenset(
    {"PHONE", "FAX", "DATE", "AGE", "IP", "ID", "SSN", "MRN", "ACCOUNT", "HEALTH_PLAN", "LICENSE", "VEHICLE", "DEVICE"}
)
PLAN_OR_ID = frozenset({"ID", "HEALTH_PLAN"})


def found(text: str) -> list[tuple[str, str]]:
    """(covered text, type) for each entity."""
    return [(text[e.start : e.end], e.type) for e in ENGINE.analyze(text)]


def numbers(text: str) -> list[tuple[str, str]]:
    """The entities of the number, date and age types only."""
    return [(value, kind) for value, kind in found(text) if kind in NUMBER_TYPES]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("NIECE'S CELL 508/555-2918, CALL AFTER 5", "508/555-2918"),
        ("home 781-555- 4420 after 6pm", "781-555- 4420"),
        ("CALL SON AT 9785550143 WITH UPDATES", "9785550143"),
        ("updates to 6175550199 please", "6175550199"),
        ("sister can be reached at 413 5550187", "413 5550187"),
        ("home (508) 555 6612", "(508) 555 6612"),
        ("DAUGHTER REACHED @ 555 0143 AT WORK", "555 0143"),
        ("friend at 555- 0172 if no answer", "555- 0172"),
    ],
)
def test_phone_numbers_in_odd_shapes(text: str, value: str) -> None:
    assert (value, "PHONE") in found(text)


@pytest.mark.parametrize(
    ("text", "phone", "extension"),
    [
        ("office 978-555-3100 x31 for the case manager", "978-555-3100", "x31"),
        ("VNA 617-555-7000 EXT 5120", "617-555-7000", "5120"),
        ("rehab 413-555-2000 ext. 77 admissions", "413-555-2000", "77"),
        ("CLINIC 508-555-0100 X4-2210", "508-555-0100", "X4-2210"),
    ],
)
def test_an_extension_after_a_phone_number_is_a_phone_hit(text: str, phone: str, extension: str) -> None:
    assert (phone, "PHONE") in found(text)
    assert (extension, "PHONE") in found(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("NOTIFIED DR LEE PG 23456", "23456"),
        ("cross cover pager 6-2210 aware", "6-2210"),
        ("PAGER #7-3321 FOR RT", "7-3321"),
        ("beeper 34512", "34512"),
        ("BEEPER #5-1187", "5-1187"),
        ("please call x6-4410 with results", "x6-4410"),
        ("resident paged #3-9904, aware", "3-9904"),
        ("SW FOLLOWING, EXT 3-6640", "3-6640"),
        ("called the covering NP @ x7731", "x7731"),
        ("PAGE DR ONO WITH CHANGES, #4471", "4471"),
        ("hospital police (x61200) notified", "x61200"),
        ("called SW at ext 42", "42"),
    ],
)
def test_pagers_and_extensions(text: str, value: str) -> None:
    assert (value, "PHONE") in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "faxed to 617-555-8120 at 1400",
        "records sent to 617-555-8121 (unit fax)",
        "FAX: 617-555-8122",
    ],
)
def test_fax_context(text: str) -> None:
    assert [kind for _value, kind in numbers(text)] == ["FAX"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("PUMP REPORTING FROM 10.31.4.77.", "10.31.4.77"),
        ("gateway 192.168.22.5 offline", "192.168.22.5"),
        ("telemetry box at 172.16.0.9, reset", "172.16.0.9"),
    ],
)
def test_ip_addresses_even_at_the_end_of_a_sentence(text: str, value: str) -> None:
    assert (value, "IP") in found(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Medicare, MBI 3RT7-KW2-HN48, secondary pending", "3RT7-KW2-HN48"),
        ("card shows 4DF2GH5KT81", "4DF2GH5KT81"),
        ("MEMBER ID HX44019827", "HX44019827"),
        ("secondary BCBS ZKP551230987", "ZKP551230987"),
        ("plan ID QRT 4410 2290 17 on the card", "QRT 4410 2290 17"),
    ],
)
def test_plan_and_beneficiary_identifiers(text: str, value: str) -> None:
    assert any(v == value and kind in PLAN_OR_ID for v, kind in found(text))


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("path S24-10937 pending", "S24-10937"),
        ("SP-21-00458 final read", "SP-21-00458"),
        ("accession M11-30482 sent", "M11-30482"),
        ("study ID NCT-09-118-2204 on hold", "NCT-09-118-2204"),
        ("interpreter Anya #20573 used", "20573"),
    ],
)
def test_accession_and_other_id_numbers(text: str, value: str) -> None:
    assert (value, "ID") in found(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("plate 6HJ 221 in garage", "6HJ 221"),
        ("PLATE 4TR-K19", "4TR-K19"),
        ("VEHICLE (538-WKD) TOWED", "538-WKD"),
        ("his car (7PL 204) is in the ED lot", "7PL 204"),
        ("tag 2XR77B on the van", "2XR77B"),
    ],
)
def test_vehicle_plates(text: str, value: str) -> None:
    assert (value, "VEHICLE") in found(text)


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("RX # 4410987-02 at the pharmacy", "4410987-02", "ID"),
        ("CDL 550192837 renewal form", "550192837", "LICENSE"),
        ("UNIT #: 33-81-902 ON LABEL", "33-81-902", "MRN"),
        ("insulin pump # MED-550219 at bedside", "MED-550219", "DEVICE"),
        ("PACER SN44017729 INTERROGATED", "SN44017729", "DEVICE"),
    ],
)
def test_keyed_numbers(text: str, value: str, kind: str) -> None:
    assert (value, kind) in found(text)


@pytest.mark.parametrize(
    ("text", "dates"),
    [
        ("PMH: HTN, CABG '95, CVA '08, GERD", ["'95", "'08"]),
        ("HIP FX IN '02 AND '09, LIVES ALONE", ["'02", "'09"]),
        ("L hip fx6/98 with ORIF", ["6/98"]),
        ("s/p CVA3/04, residual L weakness", ["3/04"]),
        ("dx9/01 at MGH", ["9/01"]),
        ("fall2/14 with hip fx", ["2/14"]),
        ("PMH: DM2, R CEA 7/96, HTN", ["7/96"]),
        ("PPM placed 10/2008", ["10/2008"]),
        ("last colonoscopy 4/2011", ["4/2011"]),
        ("LAST ECHO 03/09 WITH EF 40%", ["03/09"]),
    ],
)
def test_history_dates(text: str, dates: list[str]) -> None:
    assert [value for value, kind in found(text) if kind == "DATE"] == dates


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("S/P CARDIAC CATH 3/3 WITH DES TO RCA", "3/3"),
        ("REPEAT BLOOD CX FROM 2/4 NO GROWTH", "2/4"),
        ("accepted at rehab for 1/5 pending insurance", "1/5"),
        ("CVL placed 4/5, tip in SVC", "4/5"),
        ("family meeting 2/3 at 1500 with team", "2/3"),
        ("WENT TO OSH 3-27 WITH SOB", "3-27"),
        ("seen on the 14th by GI", "14th"),
        ("follow up Feb 2nd", "Feb 2nd"),
        ("went to the ED dec. 18 with sob", "dec. 18"),
    ],
)
def test_short_dates_in_date_context(text: str, date: str) -> None:
    assert (date, "DATE") in found(text)


def test_a_timeline_of_short_dates() -> None:
    text = "HOSPITAL COURSE:\n1/2 - intubated in ED\n1/3 - extubated\n1/4 - to floor"
    assert [value for value, kind in found(text) if kind == "DATE"] == ["1/2", "1/3", "1/4"]


def test_short_dates_near_the_other_dates_of_the_note() -> None:
    text = "ADMITTED 3/2. LINES: R IJ TLC 3/4, A-LINE 3/5."
    assert [value for value, kind in found(text) if kind == "DATE"] == ["3/2", "3/4", "3/5"]


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("NINETY-ONE YEAR OLD WOMAN", "NINETY-ONE"),
        ("pt's father who is ninety-two", "ninety-two"),
        ("AGE 90", "90"),
        ("97 YO MAN WITH PNA", "97"),
        ("91 YO F ADMITTED WITH UROSEPSIS", "91"),
        ("Pt is 94 and lives alone", "94"),
        ("93 y/o female", "93"),
        ("ONE HUNDRED AND ONE YEAR OLD MAN", "ONE HUNDRED AND ONE"),
        ("99YO M", "99"),
        ("her mother, who is ninety-six, lives with her", "ninety-six"),
        ("celebrated his 100th birthday last week", "100th"),
        ("WIFE IS 92 AND DRIVES", "92"),
    ],
)
def test_ages_over_89(text: str, age: str) -> None:
    assert (age, "AGE") in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "PSV 12/5 OVERNIGHT, RSBI 60",
        "BIPAP WEANED TO 12/6 WITH SATS 95%",
        "PS 5/5, FIO2 40%",
        "RR 24, TV 450, PEEP 8, PS 10/8",
        "STRENGTH 5/5 BUE, 4/5 BLE",
        "MAE, 4/5 LOWERS",
        "BP 118/76 HR 92",
        "ABG 7.29/52/71 ON AC",
        "1/2 NS AT 75 CC/HR",
        "LACTULOSE UNTIL 2-3 BMS DAILY",
        "TOF 2/4 ON NIMBEX",
        "3/4 TWITCHES AT 20 MA",
        "DILAUDID 0.5 MG Q4-6H PRN",
        "1:1 SITTER AT BEDSIDE",
        "SENT 1ST SET OF ENZYMES, NEG",
        "GAVE 2ND DOSE OF LASIX",
        "ON THE 2ND DAY OF ABX",
        "H/H 10/31 STABLE",
        "MURMUR 3/6 AT LUSB",
        "3/6 SEM AT RUSB",
        "C/O PAIN 6/10, MEDICATED WITH RELIEF TO 3/10.",
        "PAIN 7/10 -> 2/10 AFTER DILAUDID",
        "GCS 11/15 OFF SEDATION",
        "ATE 1/2 OF BREAKFAST",
        "BCX 2/2 BOTTLES POSITIVE",
        "TUBE FEEDS 3/4 STRENGTH",
        "ANA 1/80, RF NEG",
        "BUN/CR 32/1.4",
        "L4/5 LAMINECTOMY, C5/6 ACDF",
        "IPAP12/EPAP5 ON BIPAP",
        "VANCO DAY 3/14, LEVEL PENDING",
        "STATES '10 OUT OF 10' PAIN",
        "HT 5'6\" WT 70KG",
    ],
)
def test_clinical_ratios_settings_and_scores_are_not_dates(text: str) -> None:
    assert [value for value, kind in found(text) if kind == "DATE"] == []


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("ADMITTED 5/3. STRENGTH: RUE 5/5, LUE 4/5. PT 5/5 IN ALL EXT.", "5/3"),
        ("ON 4/2 PT HAD 2/4 TWITCHES, NOW 4/4.", "4/2"),
        ("ADMITTED 1/3. ATE 1/2 OF TRAY, 1/4 OF LUNCH.", "1/3"),
        ("ADMITTED 10/3. PAIN 10/10 ON ARRIVAL.", "10/3"),
    ],
)
def test_scores_near_real_dates_stay_scores(text: str, date: str) -> None:
    assert [value for value, kind in found(text) if kind == "DATE"] == [date]


@pytest.mark.parametrize(
    "text",
    [
        "PT 85 YO, WIFE 88",
        "SAT 92% ON 2L, HR 96",
        "PT IS 95% ON RA",
        "PT TURNED 90 DEGREES Q2H",
        "SBP 90S-100S, HR 90 SR",
        "NINETY PERCENT OF MEAL TAKEN",
        "HOB AT 30 DEGREES, NINETY MINUTES LATER",
    ],
)
def test_vitals_and_younger_ages_are_not_ages(text: str) -> None:
    assert [value for value, kind in found(text) if kind == "AGE"] == []


@pytest.mark.parametrize(
    "text",
    [
        "PAGED 0300 RE: K 3.1",
        "SKIN TAG 2X3CM ON NECK",
        "STAGE 2 ULCER ON COCCYX",
        "MOTOR VEHICLE ACCIDENT 2 YEARS AGO",
        "LOWER EXT 100 PERCENT PULSES",
        "ID: VANCO 1000 MG Q12H",
        "ID: TMAX 101.2, WBC 14.2",
        "DNR/DNI, A&O X3, X2 PIVS",
        "KCL 20 MEQ IV X2, BOLUS 500CC X1",
        "I/O 2400/1850, UOP 40 CC/HR",
        "VENT AC 500X14, PEEP 5",
        "HCT 30.1, PLT 140, INR 1.4",
        "MIDAZOLAM 2-4 MG Q1H",
        "RESP: VENT SETTINGS UNCHANGED, 1:2 I:E",
    ],
)
def test_clinical_numbers_are_left_alone(text: str) -> None:
    assert numbers(text) == []


def test_ids_and_phones_keep_their_shape_when_deidentified() -> None:
    from phi import DeidContext

    text = "CELL 508/555-2918 x31, PLATE 4TR-K19, CABG '95, ACCESSION M11-30482"
    out = ENGINE.process(text, "deidentify", context=DeidContext(key=b"k" * 32)).text
    assert "2918" not in out and "4TR" not in out and "30482" not in out
    assert out.startswith("CELL ") and "PLATE " in out and "ACCESSION " in out
