"""Date and age scanners: full and partial dates, month names, holidays, ages over 89.

Speed matters here: every regex starts with a digit or a month name (so the regex engine can skip ahead),
runs on an upper-case copy instead of IGNORECASE, and does its context checks in Python afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from phi.scan import Hit
from phi.words import word_list, words

__all__ = ["MONTHS", "find_dates", "month_number", "prev_word", "upper_copy"]

MONTHS = (
    r"(?:JAN(?:UARY)?|FEB(?:RUARY)?|MAR(?:CH)?|APR(?:IL)?|MAY|JUNE?|JULY?|AUG(?:UST)?|"
    r"SEP(?:T(?:EMBER)?)?|OCT(?:OBER)?|NOV(?:EMBER)?|DEC(?:EMBER)?)"
)
_MONTH_INDEX = {
    m: i + 1 for i, m in enumerate(["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"])
}
_AMBIGUOUS_MONTHS = frozenset({"MAY", "MAR", "DEC"})  # modal verb, medication record, "decreased"
_DATE_WORDS = words("date_words")
_STRONG_DATE_WORDS = _DATE_WORDS - {"TO", "FROM", "THE", "BY", "OF", "AROUND", "APPROX", "BEFORE", "AFTER"}
_DASH_DATE_WORDS = _DATE_WORDS - {"TO", "FROM", "THE"}
_FRACTION_WORDS = words("fraction_words")
_FRACTION_NEXT = re.compile(
    r"\s*(?:NS\b|NORMAL|SALINE|STRENGTH|TABS?\b|DOSE|RAILS?|SIDE|SIDERAILS|ASSIST|CUPS?\b|LENGTH|OF\b|PAIN|"
    r"TIMES|MAX|ML|MG|CC|L\b|LPM|UNITS?|%|MEQ|AMP|VIAL|BAG)"
)
_UNIT_NEXT = re.compile(r"\s*(?:MG|MCG|ML|CC|UNITS?\b|U\b|%|L\b|MEQ|MMOL|KG|LBS?\b|MIN|HRS?\b|X\b|:\d|\.\d|/)")
_DASH_NEXT = re.compile(r"\s*(?:SHIFT|HRS?\b|HOURS|PM|AM|MG|MCG|ML|CC|L\b|X\b)")
_PREV_WORD = re.compile(r"([A-Z]+)[^A-Z0-9\n]{0,3}$")

# One scan for numeric dates: 7/22, 01/15/1965, 1-15-65, 2020-03-04 (a lookbehind after the first digit
# keeps the digit prefix that lets the regex engine skip ahead).
_SLASHED = re.compile(r"(\d(?<![\w/.+-]\d)\d{0,3})([/.-])(\d{1,2})(?:\2(\d{4}|\d{1,2}))?(?![\w/%]|\.\d)")
_MONTH_FIRST = re.compile(
    rf"({MONTHS})(?:\.?[ \t]*-?[ \t]*(\d{{1,2}})(ST|ND|RD|TH)?\b(?:(?:,[ \t]*|[ \t]+|-)((?:19|20)\d\d|'\d\d)\b)?"
    rf"|\.?,?[ \t]+((?:19|20)\d\d|'\d\d)\b)"
)
_DAY_FIRST = re.compile(
    rf"(\d(?<![\w/.]\d)\d?)(ST|ND|RD|TH)?((?:[ \t]+OF)?[ \t-]*)({MONTHS})\b(?:(?<=\b[A-Z]{{3}})\.|(?<=\bSEPT)\.)?"
    rf"(?:(?:,?[ \t]*|-)((?:19|20)\d\d|\d\d)\b)?"
)
_ORDINAL_DAY = re.compile(r"(\d(?<![\w.]\d)\d?)(?:ST|ND|RD|TH)\b")
_ORDINAL_BEFORE = re.compile(r"\b(?:ON|SINCE|BY|UNTIL|THE)[ \t]+(?:THE[ \t]+)?$")
_ORDINAL_NOUNS = re.compile(
    r"[ \t]+(?:FLOOR|DOSE|DAY|DAYS|TIME|TIMES|ATTEMPT|ROUND|NIGHT|GRADE|CYCLE|TRY|UNIT|LINE|PERCENTILE|OF\b)"
)
_HOLIDAY_WORDS = word_list("holiday_words")
_HOLIDAY = re.compile(
    r"\b(?:CHRISTMAS(?:[ \t]+(?:EVE|DAY))?|THANKSGIVING(?:[ \t]+DAY)?|EASTER(?:[ \t]+SUNDAY)?|"
    r"NEW[ \t]+YEAR'?S(?:[ \t]+(?:EVE|DAY))?|HALLOWEEN|VALENTINE'?S[ \t]+DAY|INDEPENDENCE[ \t]+DAY|"
    r"(?:FOURTH|4TH)[ \t]+OF[ \t]+JULY|MEMORIAL[ \t]+DAY|LABOR[ \t]+DAY|MOTHER'?S[ \t]+DAY|FATHER'?S[ \t]+DAY|"
    r"HANUKKAH|CHANUKAH|PASSOVER|YOM[ \t]+KIPPUR|ROSH[ \t]+HASHANAH|KWANZAA)\b"
)
_OLD = re.compile(r"(\d(?<![\w.]\d)\d\d?)\b(?![.]\d)")
_AGE_AFTER = re.compile(
    r"[ \t]*-?[ \t]*(?:Y\.?[ \t]?O\b|Y/O|YOM|YOF|YOW|YRS?\b|YEARS?\b|YEAR-OLD|YR-OLD)"
    r"|[ \t]?[MF]\b(?=[ \t]+(?:W/|WITH|S/P|PMH|H/O|WHO|ADMITTED|PRESENTS|PRESENTING|HX))"
)
_AGE_BEFORE = re.compile(
    r"(?:\bAGE[DS]?[ \t:]*|\bAGE:[ \t]*|\b(?:SHE|HE|WHO|PT|PATIENT)[ \t]+(?:IS|WAS|TURNED|TURNS)[ \t]+)$"
)
_AGE_UNITS = re.compile(r"[ \t]*(?:%|/|MG|KG|LB|CM)")


def month_number(word: str) -> int:
    """1-12 for a month name or abbreviation; 0 if it is none."""
    return _MONTH_INDEX.get(word[:3].upper(), 0)


def upper_copy(text: str) -> str:
    """An upper-case copy with the same offsets (ASCII-only upper-casing where Unicode would change lengths)."""
    up = text.upper()
    if len(up) == len(text):
        return up
    return "".join(ch.upper() if len(ch.upper()) == 1 else ch for ch in text)


def prev_word(up: str, start: int) -> str:
    """The word just before `start` (across at most three spaces or punctuation marks), upper case."""
    m = _PREV_WORD.search(up, max(0, start - 24), start)
    return m.group(1) if m else ""


def _valid_md(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def find_dates(text: str, up: str | None = None) -> list[Hit]:
    """DATE hits (all elements but a year on its own) and AGE hits (90 and over)."""
    up = up if up is not None else upper_copy(text)
    hits: list[Hit] = []
    taken: list[tuple[int, int]] = []

    def add(start: int, end: int, kind: str, score: float) -> None:
        for s, e in taken:
            if s < end and start < e:
                return
        taken.append((start, end))
        hits.append((start, end, kind, score))

    for m in _SLASHED.finditer(up):
        _slashed(up, m, add)
    for m in _DAY_FIRST.finditer(up):
        month = m.group(4)
        if not 1 <= int(m.group(1)) <= 31 or (_UNIT_NEXT.match(up, m.end(1)) and not m.group(2)):
            continue
        if month in _AMBIGUOUS_MONTHS | {"MARCH"} and not (m.group(5) or "OF" in m.group(3)):
            continue
        add(m.start(), m.end(), "DATE", 0.85)
    for m in _MONTH_FIRST.finditer(up):
        if m.start() and up[m.start() - 1].isalpha():
            continue
        if m.group(2) is not None:
            _month_day(text, up, m, add)
        else:
            add(m.start(), m.end(), "DATE", 0.8)
    for m in _ORDINAL_DAY.finditer(up):
        day = int(m.group(1))
        before = _ORDINAL_BEFORE.search(up, max(0, m.start() - 16), m.start())
        if 1 <= day <= 31 and before and not _ORDINAL_NOUNS.match(up, m.end()):
            add(m.start(), m.end(), "DATE", 0.6)
    if any(word in up for word in _HOLIDAY_WORDS):
        for m in _HOLIDAY.finditer(up):
            add(m.start(), m.end(), "DATE", 0.6)
    for m in _OLD.finditer(up):
        if 90 <= int(m.group(1)) <= 119:
            before = _AGE_BEFORE.search(up, max(0, m.start() - 24), m.start())
            if _AGE_AFTER.match(up, m.end()) or (before and not _AGE_UNITS.match(up, m.end())):
                add(m.start(), m.end(), "AGE", 0.9)
    return hits


def _slashed(up: str, m: re.Match[str], add: Callable[[int, int, str, float], None]) -> None:
    first, sep, second, year = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(first) == 4:  # 2020-03-04
        if year and first[:2] in ("19", "20") and _valid_md(int(second), int(year)):
            add(m.start(), m.end(), "DATE", 0.95)
        return
    if len(first) > 2:
        return
    a, b = int(first), int(second)
    if year:
        if (sep == "." and len(year) != 4) or len(year) == 1:
            return
        if _valid_md(a, b) or _valid_md(b, a):
            add(m.start(), m.end(), "DATE", 0.95)
        return
    if sep == ".":
        return
    if sep == "-":
        dated = prev_word(up, m.start()) in _DASH_DATE_WORDS
        if _valid_md(a, b) and dated and not _DASH_NEXT.match(up, m.end()):
            add(m.start(), m.end(), "DATE", 0.7)
        return
    if not _valid_md(a, b):
        return
    prev = prev_word(up, m.start())
    if prev in _FRACTION_WORDS or _FRACTION_NEXT.match(up, m.end()):
        return
    fraction = (b in (2, 3, 4, 5, 8, 10) and a < b) or (a == b and a <= 5) or b == 10
    if fraction and prev not in _STRONG_DATE_WORDS:
        return
    add(m.start(), m.end(), "DATE", 0.85 if prev in _DATE_WORDS else 0.75)


def _month_day(text: str, up: str, m: re.Match[str], add: Callable[[int, int, str, float], None]) -> None:
    month = m.group(1)
    day = int(m.group(2))
    if not 1 <= day <= 31:
        return
    year, ordinal = m.group(4), m.group(3)
    if not year and not ordinal and _UNIT_NEXT.match(up, m.end(2)):
        return
    if month in _AMBIGUOUS_MONTHS and not (year or ordinal):
        written = text[m.start(1) : m.end(1)]
        if prev_word(up, m.start()) not in _DATE_WORDS and not (written.istitle() and not text.isupper()):
            return
    add(m.start(), m.end(), "DATE", 0.9)
