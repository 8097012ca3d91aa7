"""Breach notification deadlines, table-tested: 60 days, the 500 threshold per state, and the HHS year-end log."""

from __future__ import annotations

from datetime import date

import pytest

from incidents.deadlines import deadlines, hhs_annual_due


def due(discovered, *, total, states, notifiable=True):
    return [
        (d.kind, d.jurisdiction, d.due_date)
        for d in deadlines(
            discovered=discovered, notifiable=notifiable, total_individuals=total, by_jurisdiction=states
        )
    ]


D = date(2025, 3, 10)
IN_60 = date(2025, 5, 9)


@pytest.mark.parametrize(
    ("discovered", "total", "states", "expected"),
    [
        # under 500 in all: individuals within 60 days, HHS in the annual log (60 days after the year ends)
        (D, 12, {"CA": 12}, [("individual", "", IN_60), ("hhs_annual", "", date(2026, 3, 1))]),
        (D, 499, {"CA": 499}, [("individual", "", IN_60), ("hhs_annual", "", date(2026, 3, 1))]),
        # 499 in each of two states: no media notice, but 998 in all means HHS within 60 days
        (D, 998, {"CA": 499, "NV": 499}, [("individual", "", IN_60), ("hhs", "", IN_60)]),
        # 500 residents of one state: media there, and HHS contemporaneously
        (D, 500, {"CA": 500}, [("individual", "", IN_60), ("media", "CA", IN_60), ("hhs", "", IN_60)]),
        (
            D,
            1300,
            {"TX": 700, "CA": 500, "NY": 100},
            [("individual", "", IN_60), ("media", "CA", IN_60), ("media", "TX", IN_60), ("hhs", "", IN_60)],
        ),
        # 500 in all but no state known: HHS within 60 days, no media
        (D, 500, {}, [("individual", "", IN_60), ("hhs", "", IN_60)]),
        # year end: discovered in 2023 -> log due 60 days after 2023-12-31, i.e. 29 February 2024 (leap year)
        (date(2023, 11, 20), 3, {}, [("individual", "", date(2024, 1, 19)), ("hhs_annual", "", date(2024, 2, 29))]),
        (date(2024, 12, 31), 3, {}, [("individual", "", date(2025, 3, 1)), ("hhs_annual", "", date(2025, 3, 1))]),
        (date(2024, 1, 1), 3, {}, [("individual", "", date(2024, 3, 1)), ("hhs_annual", "", date(2025, 3, 1))]),
    ],
)
def test_deadlines(discovered, total, states, expected):
    assert due(discovered, total=total, states=states) == expected


def test_a_breach_that_is_not_notifiable_has_no_deadlines():
    assert due(D, total=5000, states={"CA": 5000}, notifiable=False) == []


@pytest.mark.parametrize(
    ("discovered", "expected"),
    [
        (date(2025, 6, 1), date(2026, 3, 1)),
        (date(2027, 1, 1), date(2028, 2, 29)),
        (date(2099, 12, 31), date(2100, 3, 1)),
    ],
)
def test_hhs_annual_log_is_due_60_days_after_the_year_of_discovery(discovered, expected):
    assert hhs_annual_due(discovered) == expected


def test_each_deadline_names_its_audience_and_citation():
    rows = deadlines(discovered=D, notifiable=True, total_individuals=600, by_jurisdiction={"PR": 600})
    assert [(d.citation, d.audience) for d in rows] == [
        ("45 CFR 164.404(b)", "Each affected individual (first-class mail, or email if agreed)"),
        ("45 CFR 164.406(b)", "Prominent media outlets serving Puerto Rico"),
        ("45 CFR 164.408(b)", "The Secretary of HHS, contemporaneously with the individual notice"),
    ]
    assert rows[0].days_left(date(2025, 5, 1)) == 8 and rows[0].days_left(date(2025, 5, 10)) == -1
