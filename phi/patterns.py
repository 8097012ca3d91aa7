"""Date and age scanners: full and partial dates, month names, holidays, ages over 89.

Speed matters here: every regex starts with a digit, a literal or a month name (so the regex engine can skip ahead),
runs on an upper-case copy instead of IGNORECASE, and does its context checks in Python afterwards.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable

from phi.scan import Hit
from phi.words import word_list, words

__all__ = ["MONTHS", "find_dates", "month_number", "prev_word", "upper_copy"]


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


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
_SLASHED = re.compile(r"(\d(?<![\w/.+-]\d)\d{0,3})([/.-])(\d{1,2}|(?:19|20)\d\d)(?:\2(\d{4}|\d{1,2}))?(?![\w/%]|\.\d)")
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
_HOLIDAY_WORDS = word_list("holiday_words")
_HOLIDAY = re.compile(
    r"\b(?:CHRISTMAS(?:[ \t]+(?:EVE|DAY))?|THANKSGIVING(?:[ \t]+DAY)?|EASTER(?:[ \t]+SUNDAY)?|"
    r"NEW[ \t]+YEAR'?S(?:[ \t]+(?:EVE|DAY))?|HALLOWEEN|VALENTINE'?S[ \t]+DAY|INDEPENDENCE[ \t]+DAY|"
    r"(?:FOURTH|4TH)[ \t]+OF[ \t]+JULY|MEMORIAL[ \t]+DAY|LABOR[ \t]+DAY|MOTHER'?S[ \t]+DAY|FATHER'?S[ \t]+DAY|"
    r"HANUKKAH|CHANUKAH|PASSOVER|YOM[ \t]+KIPPUR|ROSH[ \t]+HASHANAH|KWANZAA)\b"
)
_OLD = re.compile(r"(\d(?<![\w.]\d)\d\d?)(?!\d|\.\d)")
_AGE_AFTER = re.compile(
    r"[ \t]*-?[ \t]*(?:Y\.?[ \t]?O\b|Y/O|YOM|YOF|YOW|YRS?\b|YEARS?\b|YEAR-OLD|YR-OLD)"
    r"|[ \t]?[MF]\b(?=[ \t]+(?:W/|WITH|S/P|PMH|H/O|WHO|ADMITTED|PRESENTS|PRESENTING|HX))"
)
_AGE_GLUED = re.compile(r"(?:YO|Y/O|YOM|YOF|YRS?|YEAR-OLD|YR-OLD)\b")
_RELATIVES = (
    r"MOTHER|FATHER|MOM|DAD|WIFE|HUSBAND|SPOUSE|PARTNER|SISTER|BROTHER|AUNT|UNCLE|GRANDMOTHER|GRANDFATHER|"
    r"GRANDMA|GRANDPA|FRIEND|NEIGHBOR"
)
_AGE_BEFORE = re.compile(
    r"(?:\bAGE[DS]?[ \t:]*|\bAGE:[ \t]*|\b(?:SHE|HE|WHO|PT|PATIENT)[ \t]+(?:IS|WAS|TURNED|TURNS)[ \t]+"
    rf"|\b(?:{_RELATIVES})(?:[ \t]+[A-Z]+)?,?[ \t]+(?:IS|WAS|TURNED|TURNS|TURNING)[ \t]+)\Z"
)
_AGE_UNITS = re.compile(r"[ \t]*(?:%|/|MG|KG|LB|CM|DEG)")
_UNITS_ONES = r"ONE|TWO|THREE|FOUR|FIVE|SIX|SEVEN|EIGHT|NINE"
_SPELLED_AGE = re.compile(
    rf"(?:NINETY|HUNDRED)(?:[ \t-]+(?:AND[ \t-]+)?(?:{_UNITS_ONES}|TEN|ELEVEN|TWELVE)\b)?(?![A-Z])"
)
_HUNDRED_BEFORE = re.compile(r"\b(?:A|ONE)[ \t-]+\Z")
_BIRTHDAY = re.compile(r"(\d(?<![\w.]\d)\d\d?(?:ST|ND|RD|TH))[ \t]+BIRTHDAY")

# Context for short numeric dates (3/5, 10/10) that could be ratios, settings, scores or fractions.
_SETTINGS = _wordset(
    """
    PSV PS PEEP CPAP BIPAP IPAP EPAP VENT VENTILATOR SETTING SETTINGS STRENGTH MOTOR TOF TWITCH TWITCHES TRAIN
    GRADE GRADED PAIN SCORE SCALE RATED RATES LEVEL MAE UE LE BUE BLE LUE RUE LLE RLE EXT EXTREMITY EXTREMITIES
    UPPER UPPERS LOWER LOWERS ARMS LEGS GRIP HANDS FEET BILAT BILATERALLY DELTOIDS BICEPS TRICEPS QUADS HIPS SIDE
    SIDED DAY POD PUPILS MURMUR SEM HSM SYSTOLIC DIASTOLIC GCS RASS H/H HCT HGB HB CR CREAT BUN/CR BUN/CREAT ANA TITER
    TITRE RPR RATIO I/E DILUTION NS SALINE
    """
)
_COUNT_WORDS = _wordset("POSITIVE POS NEGATIVE NEG BOTTLES BOTTLE SETS GROWING")  # BCX 2/2 POSITIVE
_FACILITY_WORDS = _wordset("HOSPITAL HOSP CLINIC OSH ED ER REHAB")
_EVENT_VERBS = _wordset(
    """
    PLACED INSERTED REMOVED PULLED DISCONTINUED DCED CHANGED EXCHANGED REPLACED BEGAN DONE PERFORMED DRAWN SENT
    OBTAINED COLLECTED ACCEPTED ADMITTED DISCHARGED TRANSFERRED EXTUBATED INTUBATED REINTUBATED TRACHED PEGGED
    CATHED STENTED SCOPED TAPPED DIALYZED TRANSFUSED DIAGNOSED SCHEDULED BOOKED PLANNED RESTARTED STOPPED RESUMED
    CONSULTED OPERATED DELIVERED DIED EXPIRED FELL INJURED ARRIVED PRESENTED CONVERTED CARDIOVERTED ABLATED
    IMPLANTED EXPLANTED INTERROGATED REPEATED RECHECKED CULTURED SWABBED IMAGED RETURNED TRANSFERED
    """
)
_DATE_PREPOSITIONS = frozenset({"FROM", "FOR", "SINCE", "UNTIL", "TILL", "THRU", "ON", "DUE"})
_HISTORY_WORDS = frozenset({"S/P", "H/O", "PMH", "PSH", "HX", "DX", "DIAGNOSED"})
_LINE_WORDS = re.compile(r"[A-Z]+(?:/[A-Z]+)?")
_HISTORY_LINE = re.compile(r"\b(?:PMH|PSH|S/P|H/O|HX|HISTORY|DX|DIAGNOSED)\b")
_TIMELINE_NEXT = re.compile(r"[ \t]*(?:-+|:)[ \t]")
_DAY_WORDS = frozenset({"TODAY", "YESTERDAY", "TONIGHT", "TOMORROW", "OVERNIGHT"})
_CLOCK_NEXT = re.compile(r"[ \t]+(?:[1-9]|1[0-2])(?::[0-5]\d)?(?:-(?:[1-9]|1[0-2])(?::[0-5]\d)?)?[ \t]*(?:AM|PM)\b")
_TIME_NEXT = re.compile(r"[ \t]+(?:AT[ \t]+|@[ \t]*)?(?:[01]\d|2[0-3])[0-5]\d\b")
_DATE_NEXT = re.compile(r"[ \t]*(?:[,.;:)\n-]|\Z|(?:AT|WITH|AND|FOR|ON|BY|WHEN|AFTER|BEFORE|THEN|AM|PM|PER|VIA|IN)\b)")
_PAIN = re.compile(r"\b(?:PAIN|RELIEF|SCORE|SCALE|RATES|RATED|RATING|DISCOMFORT|HURTS|ACHE|ACHING|C/O|DENIES)\b")
_FRACTION = re.compile(r"(\d(?<![\w/.]\d)\d?)/(\d\d?)(?![\w/]|\.\d)")
_PLURAL_NEXT = re.compile(r"[ \t]+(?!(?:WAS|HAS|THIS|PLUS|LESS|ITS|VS|AS|IS|US|BILAT)\b)[A-Z]{2,}S\b")
_SAME_SCALE_NEXT = re.compile(r"[ \t]*(?:TO|->|-->|>)[ \t]*(\d{1,2})/(\d{1,2})\b")
_GLUED = re.compile(r"(\d(?<=[A-Z]{2}\d)\d?)/(\d\d?|(?:19|20)\d\d)(?:/(\d{4}|\d\d))?(?![\w/%]|\.\d)")
_APOSTROPHE_YEAR = re.compile(r"'(\d\d)(?![\w'%\"]|[.,:/]\d)")
_QUOTE_CLOSE = re.compile(r"[^'\n]{0,20}'(?!\d\d|S\b)")  # '10 OUT OF 10': a quotation, not a year
_NOT_A_YEAR_NEXT = re.compile(r"[ \t]*(?:MIN|MINS|MINUTES|HRS?|HOURS?|FT|FEET|IN\b|INCHES|LBS?|KG|MG|%|X\b)")
_FULL_MONTHS = _wordset("JANUARY FEBRUARY APRIL JUNE JULY AUGUST SEPTEMBER OCTOBER NOVEMBER DECEMBER")
_MONTH_ALONE = re.compile(rf"(?:{'|'.join(sorted(_FULL_MONTHS))})(?![A-Z]|[ \t]*\d)")
_MONTH_ALONE_BEFORE = _wordset("IN SINCE UNTIL LAST NEXT EARLY LATE MID OF BY FROM DURING THROUGH")
_ORDINAL_FOLLOWERS = _wordset(
    "AT AND OR TO THRU THROUGH TILL UNTIL WHEN IF AM PM FOR WITH BY AFTER BEFORE IN PT PATIENT SHE HE WE THEY I "
    "FAMILY WHICH"
)
_NEXT_WORD = re.compile(r"[ \t]+([A-Z]+(?:/[A-Z]+)?)")
_GLUED_UNIT = re.compile(r"\s*(?:MG|MCG|ML|CC|UNITS?\b|U\b|%|MEQ|MMOL|KG)")
_GLUED_WORD = re.compile(r"(?<![A-Z0-9])[A-Z]{2,}\Z")
_AMOUNT_NEXT = re.compile(
    r"[ \t]*(?:HOURS?|HRS?|DAYS?|WEEKS?|WKS?|MONTHS?|MOS?|MIN|MINUTES?|TABS?|TABLETS?|PILLS?|CUPS?|DOSES?|AMPS?|"
    r"CANS?|BOTTLES?|GLASS|PACKS?|PPD|INCH|INCHES|CM|MM|TIMES)\b"
)


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


class _Found:
    """The hits so far, their spans (sorted, non-overlapping) and the (month, day) of the dates among them."""

    def __init__(self) -> None:
        self.hits: list[Hit] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.known: list[tuple[int, int]] = []
        self.deferred: list[tuple[int, int, int, int]] = []  # short dates that need a known date near them

    def add(self, start: int, end: int, kind: str, score: float) -> bool:
        """Take a hit unless it overlaps one taken before."""
        i = bisect_left(self.starts, start)
        if (i and self.ends[i - 1] > start) or (i < len(self.starts) and self.starts[i] < end):
            return False
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        self.hits.append((start, end, kind, score))
        return True


def _valid_md(month: int, day: int) -> bool:
    return 1 <= month <= 12 and 1 <= day <= 31


def find_dates(text: str, up: str | None = None) -> list[Hit]:
    """DATE hits (all elements but a year on its own) and AGE hits (90 and over)."""
    up = up if up is not None else upper_copy(text)
    found = _Found()
    add, known = found.add, found.known
    for m in _SLASHED.finditer(up):
        _slashed(up, m, found)
    for m in _GLUED.finditer(up):
        _glued(up, m, add)
    for m in _DAY_FIRST.finditer(up):
        month = m.group(4)
        if not 1 <= int(m.group(1)) <= 31 or (_UNIT_NEXT.match(up, m.end(1)) and not m.group(2)):
            continue
        if month in _AMBIGUOUS_MONTHS | {"MARCH"} and not (m.group(5) or "OF" in m.group(3)):
            continue
        if add(m.start(), m.end(), "DATE", 0.85):
            known.append((month_number(month), int(m.group(1))))
    for m in _MONTH_FIRST.finditer(up):
        if m.start() and up[m.start() - 1].isalpha():
            continue
        if m.group(2) is None:
            add(m.start(), m.end(), "DATE", 0.8)
        elif _month_day(text, up, m, add):
            known.append((month_number(m.group(1)), int(m.group(2))))
    for start, end, month, day in found.deferred:
        if any(k_month == month and abs(k_day - day) <= 10 for k_month, k_day in known):
            add(start, end, "DATE", 0.6)
    if "'" in up:
        for m in _APOSTROPHE_YEAR.finditer(up):
            s = m.start()
            if s and (up[s - 1].isalnum() or up[s - 1] == "'"):
                continue
            if not _NOT_A_YEAR_NEXT.match(up, m.end()) and not _QUOTE_CLOSE.match(up, m.end()):
                add(s, m.end(), "DATE", 0.7)
    for m in _MONTH_ALONE.finditer(up) if any(month in up for month in _FULL_MONTHS) else ():
        if not (m.start() and up[m.start() - 1].isalpha()) and prev_word(up, m.start()) in _MONTH_ALONE_BEFORE:
            add(m.start(), m.end(), "DATE", 0.7)
    for m in _ORDINAL_DAY.finditer(up):
        day = int(m.group(1))
        before = _ORDINAL_BEFORE.search(up, max(0, m.start() - 16), m.start())
        follower = _NEXT_WORD.match(up, m.end())
        if 1 <= day <= 31 and before and not (follower and follower.group(1) not in _ORDINAL_FOLLOWERS):
            add(m.start(), m.end(), "DATE", 0.6)
    if any(word in up for word in _HOLIDAY_WORDS):
        for m in _HOLIDAY.finditer(up):
            add(m.start(), m.end(), "DATE", 0.6)
    _ages(up, add)
    return found.hits


def _ages(up: str, add: Callable[[int, int, str, float], bool]) -> None:
    for m in _OLD.finditer(up):
        if not 90 <= int(m.group(1)) <= 119:
            continue
        end = m.end()
        if end < len(up) and up[end].isalpha():  # glued: 94YO
            if _AGE_GLUED.match(up, end):
                add(m.start(), end, "AGE", 0.9)
            continue
        before = _AGE_BEFORE.search(up, max(0, m.start() - 32), m.start())
        if _AGE_AFTER.match(up, end) or (before and not _AGE_UNITS.match(up, end)):
            add(m.start(), end, "AGE", 0.9)
    if "NINETY" in up or "HUNDRED" in up:
        for m in _SPELLED_AGE.finditer(up):
            start = m.start()
            if start and up[start - 1].isalpha():
                continue
            hundred = _HUNDRED_BEFORE.search(up, max(0, start - 6), start) if up[start] == "H" else None
            start = hundred.start() if hundred else start
            if _AGE_AFTER.match(up, m.end()) or _AGE_BEFORE.search(up, max(0, start - 32), start):
                add(start, m.end(), "AGE", 0.85)
    if "BIRTHDAY" in up:
        for m in _BIRTHDAY.finditer(up):
            if 90 <= int(m.group(1)[:-2]) <= 119:
                add(m.start(1), m.end(1), "AGE", 0.85)


def _slashed(up: str, m: re.Match[str], found: _Found) -> None:
    add, known = found.add, found.known
    first, sep, second, year = m.group(1), m.group(2), m.group(3), m.group(4)
    if len(first) == 4:  # 2020-03-04
        if year and first[:2] in ("19", "20") and _valid_md(int(second), int(year)):
            add(m.start(), m.end(), "DATE", 0.95)
        return
    if len(first) > 2:
        return
    a, b = int(first), int(second)
    if len(second) == 4:  # 11/2006
        if sep == "/" and not year and 1 <= a <= 12:
            add(m.start(), m.end(), "DATE", 0.9)
        return
    if year:
        if (sep == "." and len(year) != 4) or len(year) == 1:
            return
        if (_valid_md(a, b) or _valid_md(b, a)) and add(m.start(), m.end(), "DATE", 0.95) and _valid_md(a, b):
            known.append((a, b))
        return
    if sep == ".":
        return
    if sep == "-":
        prev = prev_word(up, m.start())
        dated = prev in _DASH_DATE_WORDS or prev in _FACILITY_WORDS  # WENT TO OSH 3-27 WITH SOB
        next_ok = not (
            _DASH_NEXT.match(up, m.end()) or _PLURAL_NEXT.match(up, m.end()) or _AMOUNT_NEXT.match(up, m.end())
        )
        if _valid_md(a, b) and dated and next_ok and add(m.start(), m.end(), "DATE", 0.7):
            known.append((a, b))
        return
    _short(up, m.start(), m.end(), second, found)


def _short(up: str, start: int, end: int, second: str, found: _Found) -> None:
    """A month/day (3/5) or month/year (3/98) with no year after it: a date only where no ratio fits."""
    add, known = found.add, found.known
    a, b = int(up[start : up.index("/", start)]), int(second)
    prev = prev_word(up, start)
    words = _words_before(up, start)
    following = _NEXT_WORD.match(up, end)
    setting = not _SETTINGS.isdisjoint(words) or bool(following and following.group(1) in _SETTINGS)
    if prev in _FRACTION_WORDS or _FRACTION_NEXT.match(up, end):
        return
    if len(second) == 2 and b > 31:  # month/year in a history: "FEM-POP 3/98"
        history = prev in _DATE_WORDS or _HISTORY_LINE.search(up, _line_start(up, start), start)
        if 1 <= a <= 12 and not setting and history:
            add(start, end, "DATE", 0.75)
        return
    if not _valid_md(a, b):
        return
    strong = prev in _STRONG_DATE_WORDS
    if setting and not strong:
        return
    leading_zero = (second[0] == "0" and len(second) == 2) or up[start] == "0"  # 05/10, 3/07
    fraction = not leading_zero and ((b in (2, 3, 4, 5, 8, 10) and a < b) or (a == b and a <= 5) or b == 10)
    if fraction and not strong:
        if (
            _AMOUNT_NEXT.match(up, end)
            or _PLURAL_NEXT.match(up, end)
            or _other_scale(up, end, a, b)
            or _scale_run(up, start, end, a, b)
        ):
            return
        if not _COUNT_WORDS.isdisjoint(words) or (following and following.group(1) in _COUNT_WORDS):
            return
        if not _dated(up, start, end, prev, words):
            pain = b == 10 and _PAIN.search(up, max(_line_start(up, start), start - 80), start)
            full_scale = a == b and b in (4, 5)  # 5/5 strength, 4/4 twitches
            common_fraction = b <= 4 and a < b and not _DATE_NEXT.match(up, end)  # crackles 1/2 way up
            if not pain and not full_scale and not common_fraction:
                found.deferred.append((start, end, a, b))
            return
    if add(start, end, "DATE", 0.85 if prev in _DATE_WORDS else 0.75):
        known.append((a, b))


def _glued(up: str, m: re.Match[str], add: Callable[[int, int, str, float], bool]) -> None:
    """A date glued to the word before it: "FX4/97", "S/P MI2/03", "FALL1/15"."""
    word = _GLUED_WORD.search(up, max(0, m.start() - 16), m.start())
    a, second = int(m.group(1)), m.group(2)
    if not word or not 1 <= a <= 12 or _GLUED_UNIT.match(up, m.end()):
        return
    key = word.group()
    if key in _FRACTION_WORDS or key in _SETTINGS or (a == 2 and key.endswith("O")):  # PS10/5, PCO2/45
        return
    if m.group(3) and not _valid_md(a, int(second)):
        return
    if len(second) == 4 or (len(second) == 2 and (int(second) > 31 or second[0] == "0")) or _valid_md(a, int(second)):
        add(m.start(), m.end(), "DATE", 0.8)


def _line_start(up: str, pos: int) -> int:
    """The start of the line holding `pos`, looking back at most 200 characters."""
    low = max(0, pos - 200)
    newline = up.rfind("\n", low, pos)
    return newline + 1 if newline >= 0 else low


def _words_before(up: str, start: int) -> list[str]:
    """Up to three words before `start` in the same line, sentence and clause."""
    low = max(0, start - 40)
    cut = max(up.rfind(mark, low, start) for mark in ("\n", ". ", ";", ",", ">", "("))
    return _LINE_WORDS.findall(up, cut + 1 if cut >= 0 else low, start)[-3:]


def _other_scale(up: str, end: int, a: int, b: int) -> bool:
    """A score going somewhere on the same scale: "8/10 TO 2/10", "2/4 -> 4/4"."""
    m = _SAME_SCALE_NEXT.match(up, end)
    return bool(m and int(m.group(2)) == b and int(m.group(1)) != a)


def _scale_run(up: str, start: int, end: int, a: int, b: int) -> bool:
    """Another x/b on the line, with a different x: scores share the scale ("RUE 2/5, LUE 4/5"), dates the month."""
    low, high = max(_line_start(up, start), start - 60), end + 60
    newline = up.find("\n", end, high)
    for m in _FRACTION.finditer(up, low, high if newline < 0 else newline):
        if m.start() != start and int(m.group(2)) == b and int(m.group(1)) != a:
            return True
    return False


def _dated(up: str, start: int, end: int, prev: str, words: list[str]) -> bool:
    """Context that makes a fraction-shaped number a date: FROM 3/5, S/P CATH 2/2, PLACED 3/5, 3/4 - EXTUBATED."""
    if prev in _DATE_PREPOSITIONS or prev in _EVENT_VERBS or not _HISTORY_WORDS.isdisjoint(words):
        return True
    if prev in _DAY_WORDS and not up.startswith("10", end - 2):  # PLACED TODAY 3/4, but not PAIN TODAY 5/10
        return True
    if _TIME_NEXT.match(up, end) or _CLOCK_NEXT.match(up, end):  # 3/8 AT 1400, 3/3 2-4PM
        return True
    return not up[_line_start(up, start) : start].strip(" \t-*•") and bool(_TIMELINE_NEXT.match(up, end))


def _month_day(text: str, up: str, m: re.Match[str], add: Callable[[int, int, str, float], bool]) -> bool:
    month = m.group(1)
    day = int(m.group(2))
    if not 1 <= day <= 31:
        return False
    year, ordinal = m.group(4), m.group(3)
    if not year and not ordinal and _UNIT_NEXT.match(up, m.end(2)):
        return False
    if month in _AMBIGUOUS_MONTHS and not (year or ordinal or up.startswith(".", m.end(1))):  # DEC. 18
        written = text[m.start(1) : m.end(1)]
        if prev_word(up, m.start()) not in _DATE_WORDS and not (written.istitle() and not text.isupper()):
            return False
    return add(m.start(), m.end(), "DATE", 0.9)
