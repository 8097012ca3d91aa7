"""Date shifting for de-identification: parse a date as written, move it by N days, write it the same way."""

from __future__ import annotations

import re
from datetime import date, timedelta

from phi.patterns import MONTHS, month_number

__all__ = ["HOLIDAYS", "shift_date"]

_REF_YEAR = 2000  # a leap year, so a partial date of 2/29 still parses
_FULL = [
    "JANUARY",
    "FEBRUARY",
    "MARCH",
    "APRIL",
    "MAY",
    "JUNE",
    "JULY",
    "AUGUST",
    "SEPTEMBER",
    "OCTOBER",
    "NOVEMBER",
    "DECEMBER",
]
HOLIDAYS = ("Christmas", "Thanksgiving", "Easter", "New Year's Day", "Labor Day", "Memorial Day", "Halloween")

_NUM = re.compile(r"(\d{1,2})([/.-])(\d{1,2})(?:\2(\d{4}|\d{2}))?")
_ISO = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_MONTH_DAY = re.compile(
    rf"({MONTHS})(\.?[ \t]*-?[ \t]*)(\d{{1,2}})(ST|ND|RD|TH)?(?:(,[ \t]*|[ \t]+|-)(\d{{4}}|'\d{{2}}))?", re.I
)
_DAY_MONTH = re.compile(
    rf"(\d{{1,2}})(ST|ND|RD|TH)?((?:[ \t]+OF)?[ \t-]*)({MONTHS})(\.?)(?:(,?[ \t]*|-)(\d{{4}}|\d{{2}}))?", re.I
)
_MONTH_YEAR = re.compile(rf"({MONTHS})(\.?,?[ \t]+)(\d{{4}}|'\d{{2}})", re.I)
_ORDINAL = re.compile(r"(\d{1,2})(ST|ND|RD|TH)", re.I)


def _case(model: str, word: str) -> str:
    if model.isupper():
        return word.upper()
    if model.islower():
        return word.lower()
    return word.capitalize()


def _num(model: str, value: int, padded: bool = False) -> str:
    return f"{value:02d}" if padded or (len(model) == 2 and model.startswith("0")) else str(value)


def _year(model: str, value: int) -> str:
    if model.startswith("'"):
        return f"'{value % 100:02d}"
    return f"{value % 100:02d}" if len(model) == 2 else f"{value:04d}"


def _month_word(model: str, month: int) -> str:
    full = _FULL[month - 1]
    written = model.upper().rstrip(".")
    word = full if written in _FULL and len(written) > 3 else full[:3]  # "May" reads as an abbreviation
    return _case(model, word)


def _ordinal(model: str | None, day: int) -> str:
    if not model:
        return ""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return _case(model, suffix)


def _full_year(text: str | None) -> int | None:
    if not text:
        return None
    digits = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 4:
        return digits
    return 1900 + digits if digits > 30 else 2000 + digits


def _moved(year: int | None, month: int, day: int, days: int) -> date | None:
    try:
        return date(year or _REF_YEAR, month, day) + timedelta(days=days)
    except ValueError:
        return None


def shift_date(value: str, days: int) -> str | None:
    """`value` moved by `days`, in the same format (separators, padding, case, month style); None if unparsed."""
    v = value.strip()
    if m := _ISO.fullmatch(v):
        new = _moved(int(m[1]), int(m[3]), int(m[4]), days)
        if new:
            return f"{new.year:04d}{m[2]}{_num(m[3], new.month)}{m[2]}{_num(m[4], new.day)}"
    if m := _NUM.fullmatch(v):
        a, b = int(m[1]), int(m[3])
        day_first = a > 12 >= b
        month, day = (b, a) if day_first else (a, b)
        new = _moved(_full_year(m[4]), month, day, days)
        if new:
            first, second = (new.day, new.month) if day_first else (new.month, new.day)
            year = f"{m[2]}{_year(m[4], new.year)}" if m[4] else ""
            pad = len(m[1]) == len(m[3]) == 2
            return f"{_num(m[1], first, pad)}{m[2]}{_num(m[3], second, pad)}{year}"
    if m := _MONTH_DAY.fullmatch(v):
        new = _moved(_full_year(m[6]), month_number(m[1]), int(m[3]), days)
        if new:
            year = f"{m[5]}{_year(m[6], new.year)}" if m[6] else ""
            return f"{_month_word(m[1], new.month)}{m[2]}{_num(m[3], new.day)}{_ordinal(m[4], new.day)}{year}"
    if m := _DAY_MONTH.fullmatch(v):
        new = _moved(_full_year(m[7]), month_number(m[4]), int(m[1]), days)
        if new:
            year = f"{m[6]}{_year(m[7], new.year)}" if m[7] else ""
            return f"{_num(m[1], new.day)}{_ordinal(m[2], new.day)}{m[3]}{_month_word(m[4], new.month)}{m[5]}{year}"
    if m := _MONTH_YEAR.fullmatch(v):
        new = _moved(_full_year(m[3]), month_number(m[1]), 15, days)
        if new:
            return f"{_month_word(m[1], new.month)}{m[2]}{_year(m[3], new.year)}"
    if m := _ORDINAL.fullmatch(v):
        day = (int(m[1]) - 1 + days) % 28 + 1
        return f"{day}{_ordinal(m[2], day)}"
    return None
