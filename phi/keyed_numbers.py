"""Numbers that are PHI by the words around them, in the shapes the pattern scanners leave out.

* ages over 89 said the way people say them: "I'M 95", "PT (96)", "MOTHER EVELYN (91)", "ALIVE, 93,", "92F W/",
  "WILL BE 100 ON", "TURNED 90 TODAY";
* an extension or internal line on its own: "J. WHITCOMBE MD, X7741", "CM, X6-2210", "EXT 44";
* telephone numbers in odd shapes: 617/555/0134, (978)5550123, 617-555-0134/0135;
* the last four digits of a social security number: "LAST 4 5512", "LAST FOUR OF SSN 0192";
* case, authorisation and job numbers after their label: "AUTH # HHP-SNF-5521093", "JOB # CAT-44812";
* insurer member numbers with a suffix: "HPHC 88713009-02", "AARP 399018822-1";
* a Medicare beneficiary identifier written with any letters (1EG4-TE5-MK73's shape, dashes required).
"""

from __future__ import annotations

import re

from phi.scan import Hit

__all__ = ["find_keyed_ages", "find_keyed_contacts", "find_keyed_dates", "find_keyed_ids"]

# A month and a day (3-14, 6/11, 10-2) where an event word says it is a date: S/P MVC 10-2, WIRE PLACED 6-11,
# ARREST AT HOME 3-14, ESOPHAGECTOMY (IVOR LEWIS) 2-26. Elsewhere such pairs are ranges and ratios (HR 80-90, 5/5).
_MONTH_DAY = re.compile(r"(?=\d)(?<![\w/.:-])(?:1[0-2]|0?[1-9])[-/](?:3[01]|[12]\d|0?[1-9])(?![\w/.%:-]|[.,]\d)")
_EVENT_BEFORE = re.compile(
    r"\b(?:S/P|SP|STATUS[ \t]+POST|PLACED|ADM|ADMITTED|ADMIT|SINCE|DONE|REMOVED|INSERTED|MVC|ARREST|REPAIR|REVISION|"
    r"SURGERY|TODAY|INTUBATED|EXTUBATED|EXPLORED|TX|TRANSPLANT|DIAGNOSED|DX|DATED|BORN|DOB|DOS|DOA|ONSET|"
    r"[A-Z]+ECTOMY|[A-Z]+OTOMY|[A-Z]+OSTOMY|[A-Z]+PLASTY|AT[ \t]+HOME|IN[ \t]+CATH[ \t]+LAB)\b([^\d\n]{0,24})\Z"
)
# Labels of measures and settings: a pair after them is a value (PS 10/5, STRENGTH 5/5, WEANED 10-5).
_MEASURE_LABEL = re.compile(
    r"\b(?:PS|PEEP|CPAP|BIPAP|STRENGTH|BP|SBP|HR|RR|SATS?|FIO2|TV|RATE|K|MG|INR|GCS|PAIN|SCORE|RASS|WEANED|"
    r"TITRATED|GTT|DRIP|X|MAE|GRIPS?|PUPILS|PERRL|AC|SIMV|PSV|IS|NOW|UP|DOWN)\b"
)
_RANGE_AFTER = re.compile(
    r"[ \t]*(?:MG|MCG|ML|CC|L\b|LPM|UNITS?|U\b|TABS?|PUFFS|X\b|HRS?|MIN|%|CM|MM|DAYS|WKS|WEEKS|TIMES|BEATS|BPM|MMHG|"
    r"/HR|KG|G\b|BREATHS|PACK)"
)

_AGE_NUMBER = re.compile(r"(?=[91])(?<![\w./-])(9\d|1[01]\d)(?![\w./%-]|[.,]\d)")
_AGE_SAID = re.compile(
    r"(?:\bI'?M|\bI[ \t]+AM|\bWILL[ \t]+BE|\bTURNED|\bTURNS|\bTURNING|\bALIVE,?|\bAGED?|\bNOW)[ \t]+\Z"
    r"|\b(?:PT|PATIENT|MOTHER|FATHER|MOM|DAD|WIFE|HUSBAND|SISTER|BROTHER|AUNT|UNCLE|GRANDMOTHER|GRANDFATHER)"
    r"(?:[ \t]+[A-Z][A-Z'-]+)?[ \t]*\([ \t]*\Z"
)
_AGE_AFTER_PAREN = re.compile(r"[ \t]*\)")
_AGE_SEX = re.compile(
    r"(?=[91])(?<![\w./-])(9\d|1[01]\d)[ \t]?[MF](?=[ \t,]+(?:W/|WITH|S/P|ADM|ADMITTED|PMH|H/O|HX|WHO|FROM|PRESENTING))"
)
_NOT_AN_AGE_AFTER = re.compile(r"[ \t]*(?:DEGREES?|DEG\b|°|%|/|MG|KG|LBS?\b|CM|MMHG|BPM|TIMES|X\b)")
_EXTENSION = re.compile(r"(?=X)(?<![\w/.-])X(?:[ \t]?(\d{4,5}|\d-\d{4})|(\d{3}))(?![\w/%-]|[.,]\d)")
_EXT_WORD = re.compile(r"(?<![\w])EXT\.?[ \t]*#?[ \t]*(\d{2,5})(?![\w+/%-]|[.,]\d)")
_LIMB_BEFORE = re.compile(r"(?:LOWER|UPPER|\bL|\bR|\bLE|\bUE|BILAT|ALL|\d|BLE|BUE|LEFT|RIGHT)[ \t]*\Z")
# 617/555/0134, (978)5550123, 617-555-0134/0135: telephone shapes the phone scanner leaves out.
_ODD_PHONE = re.compile(
    r"(?=[\d(])(?<![\w/])(?:\d{3}/\d{3}/\d{4}|\(\d{3}\)[ \t]?\d{7}|\d{3}-\d{3}-\d{4}/(?:\d{3}-\d{3}-)?\d{4}"
    r"|\d{3}[ \t]+-[ \t]+\d{3}[ \t]+-[ \t]+\d{4})(?![\w/]|[.,]\d)"
)
_NOT_COUNT_AFTER = re.compile(r"[ \t]*(?:CC|ML|MG|MCG|UNITS?|MIN|MINS|HRS?|DAYS?|TIMES|ML/HR|CC/HR|L\b)")
_LAST_FOUR = re.compile(r"\bLAST[ \t]+(?:4|FOUR)\b[^\n\d]{0,20}?(\d{4})(?!\d)")
_CASE_NUMBER = re.compile(
    r"(?=[AJCTPRBEMGOI])\b(?:AUTH|AUTHORIZATION|JOB|CASE|CLAIM|TICKET|TRACKING|PRECERT|REFERRAL|CONTROL|BADGE|"
    r"EMPLOYEE|MEMBER|"
    r"POLICY|GROUP|CONFIRMATION|OPERATOR|INCIDENT|REPORT)[ \t]*(?:#|NO\.?|NUMBER)?[ \t:#]*"
    r"([A-Z0-9](?:[A-Z0-9]|-(?=[A-Z0-9])){3,24})"
)
_MEMBER_NUMBER = re.compile(r"(?=\d)(?<![\w/.-])(\d{7,12}-\d{1,3})(?![\w/.-])")
_MBI_ANY = re.compile(r"(?=[1-9])(?<![\w-])[1-9][A-Z][A-Z0-9]\d-[A-Z][A-Z0-9]\d-[A-Z]{2}\d\d(?![\w-])")


_NAME_AND_AGE = re.compile(r"(?=[A-Z])\b[A-Z][a-z][A-Za-z'-]*[ \t]*\([ \t]*(9\d|1[01]\d)[ \t]*\)")


def find_keyed_ages(up: str, text: str = "") -> list[Hit]:
    hits: list[Hit] = []
    if "(" in text:  # Mrs. Esther Gold (91), Evelyn (93): an age in brackets after a capitalised name
        hits.extend((m.start(1), m.end(1), "AGE", 0.8) for m in _NAME_AND_AGE.finditer(text))
    for m in _AGE_NUMBER.finditer(up):
        start, end = m.span(1)
        said = _AGE_SAID.search(up, max(0, start - 40), start)
        closed = said is not None and (not said.group().rstrip().endswith("(") or _AGE_AFTER_PAREN.match(up, end))
        if closed and not _NOT_AN_AGE_AFTER.match(up, end):
            hits.append((start, end, "AGE", 0.8))
    hits.extend((m.start(), m.end(), "AGE", 0.8) for m in _AGE_SEX.finditer(up))
    return hits


def find_keyed_dates(up: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _MONTH_DAY.finditer(up):
        if _RANGE_AFTER.match(up, m.end()):
            continue
        event = _EVENT_BEFORE.search(up, max(0, m.start() - 60), m.start())
        if event is None or _MEASURE_LABEL.search(event.group(1)):
            continue
        if "/" in m.group() and len(event.group(1).strip(" ,(")) > 0:
            continue  # M/D right after the event word only (PLACED 1/8); a slashed pair further on is a ratio
        hits.append((m.start(), m.end(), "DATE", 0.7))
    return hits


def find_keyed_contacts(up: str) -> list[Hit]:
    hits: list[Hit] = []
    if "X" in up:
        for m in _EXTENSION.finditer(up):
            group = 1 if m.group(1) else 2
            if not _NOT_COUNT_AFTER.match(up, m.end()):
                hits.append((m.start(group), m.end(group), "PHONE", 0.6))
    if "EXT" in up:
        for m in _EXT_WORD.finditer(up):
            if not _LIMB_BEFORE.search(up, max(0, m.start() - 8), m.start()):
                hits.append((m.start(1), m.end(1), "PHONE", 0.6))
    if "/" in up or "(" in up or " - " in up:
        hits.extend((m.start(), m.end(), "PHONE", 0.75) for m in _ODD_PHONE.finditer(up))
    return hits


def find_keyed_ids(up: str) -> list[Hit]:
    hits: list[Hit] = []
    if "LAST" in up:
        hits.extend((m.start(1), m.end(1), "SSN", 0.7) for m in _LAST_FOUR.finditer(up))
    if "#" in up or "NO" in up or "NUMBER" in up:
        for m in _CASE_NUMBER.finditer(up):
            if sum(ch.isdigit() for ch in m.group(1)) >= 4:
                hits.append((m.start(1), m.end(1), "ID", 0.7))
    if "-" in up:
        hits.extend((m.start(1), m.end(1), "ID", 0.6) for m in _MEMBER_NUMBER.finditer(up))
        hits.extend((m.start(), m.end(), "ID", 0.8) for m in _MBI_ANY.finditer(up))
    return hits
