"""Identifier scanners: SSNs, record, account, plan, licence, vehicle, device and other ID numbers, plus the
phone numbers that only a key in front makes one (pagers, extensions: "PAGER 4-1234", "EXT 214").

Numbers are found digit-first (one scan for digit runs) and typed by the keyword in front of them
(MRN, ACCT, MEMBER ID, PAGER, FAX...), which keeps the cost per character low.  The few shapes without a
three-digit run (Medicare beneficiary identifiers, licence plates) get their own cheap, guarded scans.
"""

from __future__ import annotations

import re

from phi.scan import Hit

__all__ = ["fax_context", "find_identifiers"]

_SSN = re.compile(r"\d(?<![\w/.+-]\d)\d\d([ -])\d\d\1\d{4}(?![\w/]|-\d|\.\d)")
_DIGITS = re.compile(r"\d{3,}")
_TOKEN_LEFT = re.compile(r"[A-Z0-9][A-Z0-9-]*$")
_TOKEN_RIGHT = re.compile(r"[A-Z0-9-]*[A-Z0-9]")

_FAX_BEFORE = re.compile(r"\bFAX\b[^\n\d]{0,12}$|\bFAX(?:ED|ING)\b[^\n\d.;]{0,40}$")
_FAX_AFTER = re.compile(r"[ \t]*\((?:[A-Z]+[ \t]+){0,2}FAX\)")

# Keys that make a bare number a phone number. The weak ones also stand before clock times ("PAGED 0300").
_STRONG_PHONE_KEYS = r"PHONE|TEL|TELEPHONE|CELL|MOBILE|PAGER|PGR|BEEPER|EXT|EXTN|EXTENSION|FAX|NUMBER"
_WEAK_PHONE_KEYS = r"PH|HOME|WORK|CONTACT|CALL|PAGE|PAGED|PG|BEEP|BEEPED"
_KEYED_PHONE = re.compile(
    rf"\b(?:(?P<strong>{_STRONG_PHONE_KEYS})|{_WEAK_PHONE_KEYS})\b\.?[ \t]*(?:#|NO\.?|NUMBER)?[ \t:#.]*\Z"
)
_AT_BEFORE = re.compile(r"(?:@|\bAT|\bCALL|\bCALLED)[ \t]*\Z")
_PAGE_NEAR = re.compile(r"\bPAG(?:E|ER|ED|ING)\b[^\n#]{0,40}#[ \t]*\Z")
_PAGER_VALUE = re.compile(r"X?\d{1,2}-\d{4}|X?\d{4,7}|\d{10}")

_ID_KEYS: tuple[tuple[str, str], ...] = (
    ("SSN", r"SSN|SOCIAL[ \t]+SECURITY(?:[ \t]+(?:NUMBER|NO|#))?|SS#"),
    (
        "MRN",
        r"MRN|MR[ \t]*#|MR[ \t]+NO|MED(?:ICAL)?[ \t]+REC(?:ORD)?S?(?:[ \t]+(?:NO|NUM|NUMBER))?|"
        r"UNIT[ \t]+(?:NO|NUMBER)|HOSPITAL[ \t]+(?:NO|NUMBER)|CHART[ \t]+(?:NO|NUMBER)|PATIENT[ \t]+ID|PT[ \t]+ID|"
        r"HOSP[ \t]+#|CASE[ \t]+(?:NO|#)|UNIT[ \t]*#",
    ),
    (
        "ACCOUNT",
        r"ACCOUNT|ACCT|ACC'T|A/C|BILLING[ \t]+(?:NO|NUMBER|#)|ENCOUNTER(?:[ \t]+(?:NO|ID))?|VISIT[ \t]+(?:NO|ID)|"
        r"CSN|FIN|INVOICE|CLAIM",
    ),
    (
        "HEALTH_PLAN",
        r"MEMBER(?:[ \t]+ID)?|SUBSCRIBER(?:[ \t]+ID)?|POLICY|GROUP|HEALTH[ \t]+PLAN(?:[ \t]+ID)?|"
        r"INSURANCE(?:[ \t]+ID)?|INS|MEDICARE|MEDICAID|HICN|MBI|BENEFICIARY",
    ),
    ("LICENSE", r"LICEN[CS]E|LIC|DEA|NPI|DRIVER'?S[ \t]+LICEN[CS]E|DL|CDL|CERTIFICATE|CERTIFICATION|CERT|PERMIT"),
    ("VEHICLE", r"VIN|LICEN[CS]E[ \t]+PLATE|PLATE|TAG|REGISTRATION"),
    (
        "DEVICE",
        r"SERIAL(?:[ \t]+NUMBER)?|S/N|SN|DEVICE(?:[ \t]+ID)?|MODEL|UDI|IMPLANT(?:[ \t]+ID)?|LOT|"
        r"(?:MACHINE|PUMP|MONITOR)(?=[ \t]*(?:#|NO\b|ID\b))|PACER|PACEMAKER|ICD|AICD|DEFIBRILLATOR|GENERATOR",
    ),
    ("ID", r"ID|IDENTIFIER|REF|REFERENCE|CONFIRMATION|ACCESSION|SPECIMEN|REQUISITION|REFERRAL|RX|PRESCRIPTION"),
)
_KEYED_ID = re.compile(
    r"(?<![\w/])(?:"
    + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _ID_KEYS)
    + r")(?![A-Z])\.?[ \t]*(?:NO\.?|NUMBER|NUM|#)?[ \t]*(?:IS[ \t]+)?[:#=.]?[ \t]*$"
)
_UNIT_AFTER = re.compile(
    r"[ \t]*(?:(?:MG|MCG|ML|CC|UNITS?|U|G|GM|GRAMS?|MEQ|MMOL|KG|LBS?|L|LPM|MIN|MINS|HRS?|HOURS?|X|MPH|CM|MM|DEG|"
    r"DEGREES)\b|%)"
)
# A number with a letter prefix, a two-digit year and a serial: lab and pathology accession numbers.
_ACCESSION = re.compile(r"[A-Z]{1,4}-?\d{2}-(?:\d{4,6}|\d{3}-\d{2,6})")
# An asset tag: letters, a letter group and a serial ("RT-CPAP-0117"), a device when a machine word is near.
_ASSET = re.compile(r"[A-Z]{2,4}-[A-Z]{2,5}-\d{3,6}")
_SERIAL = re.compile(r"[A-Z]{1,4}-?\d{5,}[A-Z]?")
_DEVICE_NEAR = re.compile(r"\b(?:MACHINE|PUMP|DEVICE|MONITOR|PACER|PACEMAKER|AICD|ICD|DEFIBRILLATOR)\b[^\n]{0,16}\Z")
# Medicare beneficiary identifier: C A AN N A AN N A A N N (letters without S L O I B Z), dashes optional.
_L = "AC-HJKMNP-RT-Y"
_MBI = re.compile(rf"\d(?<![\w-]\d)[{_L}][{_L}0-9]\d(-?)[{_L}][{_L}0-9]\d\1[{_L}]{{2}}\d\d(?![\w-])")
_PLATE_KEYS = ("PLATE", "TAG", "REGISTRATION", "VEHICLE", "CAR", "TRUCK")
_PAREN_KEYS = ("CAR", "TRUCK")  # "HIS CAR (6KZ 273)": these only with the plate in brackets
_PLATE = re.compile(
    r"[ \t]*(?:(?:NO\.?|NUMBER|#|IS)[ \t]*)?[:#]?[ \t]*\(?[ \t]*"
    r"((?:(?:AZ|CA|TX|NY|NJ|FL|GA|NV|NM|WA|MA|NH|VT|RI|CT|OH|MI|IL|WI|MN|TN|NC|SC|VA|KY|UT|NE|KS|IA|MO|AR|"
    r"MS|MT|WY|SD|ND|WV|AK)[ \t]+(?=[A-Z0-9]*\d[A-Z0-9]*\b))?"  # a state code may lead: AZ AD38817
    r"(?:\d{3,4}[ \t][A-Z]{3}\b|[A-Z0-9]{1,8}(?:-[A-Z0-9]{1,4}|[ \t][A-Z]{0,3}\d[A-Z0-9]{0,3}){0,2}))"
    r"(?![\w-])"
)
_MEASURE = re.compile(r"\d+(?:X\d+)*(?:CM|MM|M|IN|CC|ML|MG|G|KG|L|LB|LBS|FT|MPH)?")
_NEXT_GROUP = re.compile(r"[ \t](\d{2,6})(?![\w/:]|[.,]\d)")


def fax_context(up: str, start: int, end: int) -> bool:
    """A number at up[start:end] is a fax number: FAX (or FAXED TO ...) in front, or "(... FAX)" after it."""
    return bool(_FAX_BEFORE.search(up, max(0, start - 48), start) or _FAX_AFTER.match(up, end))


def find_identifiers(text: str, up: str) -> list[Hit]:
    """SSN, MRN, ACCOUNT, HEALTH_PLAN, LICENSE, VEHICLE, DEVICE and other ID hits, plus keyed PHONE (pagers)."""
    hits: list[Hit] = [(m.start(), m.end(), "SSN", 0.95) for m in _SSN.finditer(up)]
    last_token = -1
    size = len(up)
    for m in _DIGITS.finditer(up):
        if m.start() < last_token:
            continue
        left = _TOKEN_LEFT.search(up, max(0, m.start() - 24), m.start() + 1)
        start = left.start() if left else m.start()
        right = _TOKEN_RIGHT.match(up, m.start())
        end = right.end() if right else m.end()
        last_token = end
        if (
            (start and up[start - 1] in "/.,@")
            or (end < size and up[end] in "/@")
            or (up[end : end + 2][1:2].isdigit() and up[end] in ".,")
        ):
            continue
        hit = _number(up, start, end) or _grouped(up, start, end)
        if hit:
            hits.append(hit)
            last_token = max(last_token, hit[1])
    for m in _MBI.finditer(up):
        keyed = _KEYED_ID.search(up, max(0, m.start() - 40), m.start())
        hits.append((m.start(), m.end(), _key_kind(keyed) if keyed else "ID", 0.85))
    hits.extend(_plates(up))
    return hits


def _key_kind(keyed: re.Match[str]) -> str:
    return next(k for k, _p in _ID_KEYS if keyed.group(k))


def _number(up: str, start: int, end: int) -> Hit | None:
    value = up[start:end]
    digits = sum(ch.isdigit() for ch in value)
    window = max(0, start - 40)
    keyed = _KEYED_ID.search(up, window, start) if digits >= 3 and len(value) >= 4 else None
    if keyed:
        kind = _key_kind(keyed)
        if kind in ("ID", "DEVICE") and _UNIT_AFTER.match(up, end):  # "ID: 1000 MG": the infectious disease section
            return None
        return (start, _extend(up, end), kind, 0.9)
    phone = _phone(up, start, end, value, window)
    if phone:
        return phone
    if len(value) == 17 and digits >= 3 and sum(ch.isalpha() for ch in value) >= 3 and not set("IOQ") & set(value):
        return (start, end, "VEHICLE", 0.7)
    if value.isdigit() and (digits >= 7 or (digits >= 5 and "#" in up[max(0, start - 2) : start])):
        return (start, end, "ID", 0.5)
    if _ASSET.fullmatch(value):
        return (start, end, "DEVICE" if _DEVICE_NEAR.search(up, window, start) else "ID", 0.6)
    if value.startswith("SN") and value[2:].isdigit() and digits >= 5:  # PACER SN55195026
        return (start, end, "DEVICE", 0.7)
    if _SERIAL.fullmatch(value) and _DEVICE_NEAR.search(up, window, start):  # PACER XZ4990971
        return (start, end, "DEVICE", 0.7)
    if re.fullmatch(r"[A-Z]{1,3}\d{6,}|\d{3,}-\d{3,}-\d{3,}", value) or _ACCESSION.fullmatch(value):
        return (start, end, "ID", 0.6)
    return None


def _phone(up: str, start: int, end: int, value: str, window: int) -> Hit | None:
    """A pager, extension or bare phone number typed by its key: PAGER 12345, PG 4-1234, EXT 214, x4-5512."""
    kind = "FAX" if fax_context(up, start, end) else "PHONE"
    if value[0] == "X" and "-" in value and _PAGER_VALUE.fullmatch(value):  # an extension: x4-5512
        return (start, end, kind, 0.8)
    if value.isdigit() and len(value) <= 3:  # extensions of two to five digits: phi.contacts
        return None
    if value[0] == "X" and value[1:].isdigit() and len(value) <= 6:  # (x65500), CALLED DR WOLF @ X8215
        if (start and up[start - 1] == "(") or _AT_BEFORE.search(up, max(0, start - 12), start):
            return (start, end, kind, 0.7)
        return None
    if value.isdigit() and len(value) <= 6 and _PAGE_NEAR.search(up, max(0, start - 60), start):
        return (start, end, kind, 0.7)  # PAGE DR SMITH WITH CHANGES, #4471
    if not _PAGER_VALUE.fullmatch(value):
        return None
    key = _KEYED_PHONE.search(up, window, start)
    if not key:
        return None
    if not key.group("strong") and len(value) == 4 and int(value[:2]) < 24 and int(value[2:]) < 60:
        return None  # a clock time: "PAGED 0300"
    return (start, end, kind, 0.8)


def _extend(up: str, end: int) -> int:
    """The end of a keyed value written in groups: "MEMBER ID 1234 5678 90"."""
    for _ in range(4):
        m = _NEXT_GROUP.match(up, end)
        if not m or _UNIT_AFTER.match(up, m.end()):
            break
        end = m.end()
    return end


def _grouped(up: str, start: int, end: int) -> Hit | None:
    """A keyed value whose key stands a group or two before this number: "CLAIM # C-28 441 902", "ID FCH 2087"."""
    pos = first = start
    for _ in range(2):
        if pos < 2 or up[pos - 1] not in " \t":
            return None
        left = _TOKEN_LEFT.search(up, max(0, pos - 8), pos - 1)
        if not left:
            return None
        group = up[left.start() : pos - 1]
        prefix = group.replace("-", "").isalpha() and len(group) <= 5
        if (left.start() and up[left.start() - 1].isalnum()) or len(group) > 6:
            return None
        if not (prefix or any(ch.isdigit() for ch in group)):
            return None
        pos = left.start()
        if "-" not in group or not prefix:  # "EMT-B 884210": a dashed word before the number is no part of it
            first = pos
        keyed = _KEYED_ID.search(up, max(0, pos - 40), pos)
        if keyed:
            kind = _key_kind(keyed)
            stop = _extend(up, end)
            if kind == "VEHICLE" or _UNIT_AFTER.match(up, stop):
                return None
            if sum(ch.isdigit() for ch in up[pos:stop]) < 6:
                return None
            return (first, stop, kind, 0.85)
    return None


def _key_ends(up: str) -> list[int]:
    """Where each plate key (PLATE, PLATES, TAG, TAGS, REGISTRATION, VEHICLE, CAR (...)) standing as a word ends."""
    found: list[int] = []
    for key in _PLATE_KEYS:
        at = up.find(key)
        while at >= 0:
            end = at + len(key)
            end += up.startswith("S", end) and key in ("PLATE", "TAG")
            word = not (at and up[at - 1].isalnum()) and not (end < len(up) and up[end].isalnum())
            if word and (key not in _PAREN_KEYS or up.startswith(" (", end)):
                found.append(end)
            at = up.find(key, at + 1)
    return found


def _plates(up: str) -> list[Hit]:
    """Licence plates after PLATE, TAG, REGISTRATION or VEHICLE: "PLATE 5GX 318", "VEHICLE (412-LPX)"."""
    found: list[Hit] = []
    for key_end in _key_ends(up):
        m = _PLATE.match(up, key_end)
        if not m:
            continue
        value = m.group(1)
        chars = sum(ch.isalnum() for ch in value)
        most = 10 if value[2:3] in (" ", "\t") and value[:2].isalpha() else 8  # a leading state code: AZ AD38817
        if not 5 <= chars <= most or not any(ch.isdigit() for ch in value) or _UNIT_AFTER.match(up, m.end()):
            continue
        if _MEASURE.fullmatch(value.replace(" ", "")):  # SKIN TAG 2X3CM
            continue
        found.append((m.start(1), m.end(1), "VEHICLE", 0.9))
    return found
