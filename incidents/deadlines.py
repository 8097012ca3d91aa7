"""Breach notification deadlines (45 CFR 164.404-164.408) from the discovery date and the affected counts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

NOTICE_DAYS = 60
MEDIA_THRESHOLD = 500  # residents of one state or jurisdiction
HHS_IMMEDIATE_THRESHOLD = 500  # individuals in all

JURISDICTIONS: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California", "CO": "Colorado",
    "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
    "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts",
    "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi", "MO": "Missouri", "MT": "Montana",
    "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico",
    "NY": "New York", "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
    "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota",
    "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "PR": "Puerto Rico", "GU": "Guam",
    "VI": "U.S. Virgin Islands", "AS": "American Samoa", "MP": "Northern Mariana Islands",
}  # fmt: skip


@dataclass(frozen=True)
class Deadline:
    kind: str  # individual | media | hhs | hhs_annual (the NotificationRecord kinds)
    due_date: date
    audience: str
    citation: str
    jurisdiction: str = ""

    def days_left(self, today: date) -> int:
        return (self.due_date - today).days


def media_jurisdictions(by_jurisdiction: Mapping[str, int]) -> list[str]:
    """Codes of the states or jurisdictions with at least MEDIA_THRESHOLD affected residents, sorted."""
    return sorted(code for code, count in by_jurisdiction.items() if count >= MEDIA_THRESHOLD)


def hhs_annual_due(discovered: date) -> date:
    """60 days after the end of the calendar year of discovery: 1 March, or 29 February after a leap year's end."""
    return date(discovered.year, 12, 31) + timedelta(days=NOTICE_DAYS)


def deadlines(
    *, discovered: date, notifiable: bool, total_individuals: int, by_jurisdiction: Mapping[str, int]
) -> list[Deadline]:
    """The notifications a breach discovered on `discovered` requires, each with its latest due date.

    Nothing is due unless the risk assessment found a notifiable breach. The 60 days are the outer limit:
    each rule requires notice "without unreasonable delay"."""
    if not notifiable:
        return []
    within = discovered + timedelta(days=NOTICE_DAYS)
    due = [
        Deadline(
            "individual", within, "Each affected individual (first-class mail, or email if agreed)", "45 CFR 164.404(b)"
        ),
    ]
    for code in media_jurisdictions(by_jurisdiction):
        name = JURISDICTIONS.get(code, code)
        due.append(Deadline("media", within, f"Prominent media outlets serving {name}", "45 CFR 164.406(b)", code))
    if total_individuals >= HHS_IMMEDIATE_THRESHOLD or media_jurisdictions(by_jurisdiction):
        due.append(
            Deadline(
                "hhs", within, "The Secretary of HHS, contemporaneously with the individual notice", "45 CFR 164.408(b)"
            )
        )
    else:
        due.append(
            Deadline(
                "hhs_annual",
                hhs_annual_due(discovered),
                "The Secretary of HHS, in the annual log of breaches under 500",
                "45 CFR 164.408(c)",
            )
        )
    return due
