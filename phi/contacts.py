"""Contact and number scanners: phones, faxes, pagers, e-mail, URLs, IPs, SSNs, record and other ID numbers.

Numbers are found digit-first (one scan for digit runs) and typed by the keyword in front of them
(MRN, ACCT, MEMBER ID, PAGER, FAX...), which keeps the cost per character low.
"""

from __future__ import annotations

import ipaddress
import re

from phi.scan import Hit

__all__ = ["find_contacts", "find_identifiers"]

_PHONE = re.compile(r"\d(?<![\w/.+-]\d)\d\d([ \t.-])(\d{2,4})(?:([ \t.-])(\d{4}))?(?![\w/]|-\d|\.\d)")
_PHONE_PAREN = re.compile(r"\(\d{3}\)[ \t]*\d{3}[ \t.-]\d{4}(?![\w/]|-\d)")
_PHONE_INTL = re.compile(r"\+?1[ \t.-]\(?\d{3}\)?[ \t.-]?\d{3}[ \t.-]\d{4}(?![\w/]|-\d)")
_FAX_BEFORE = re.compile(r"\bFAX\b[^\n\d]{0,12}$")
_KEYED_PHONE = re.compile(
    r"\b(?:PHONE|PH|TEL|TELEPHONE|CELL|MOBILE|HOME|WORK|CONTACT|NUMBER|PAGER|PGR|BEEPER|BEEP|EXT|EXTENSION|"
    r"FAX|CALL)\b\.?[ \t]*(?:#|NO\.?|NUMBER)?[ \t:#.]*$"
)
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_LOCAL = re.compile(r"[\w.+-]+$")
_TLD = re.compile(r"\.(?:COM|ORG|NET|EDU|GOV|IO|US|INFO|BIZ|HEALTH|CARE)\b")
_URL = re.compile(r"(?:HTTPS?://|WWW\.)[^\s<>\"']+")
_HOST_LEFT = re.compile(r"(?:[A-Z0-9-]+\.)*[A-Z0-9-]+$")
_PATH = re.compile(r"/[^\s<>\"']*")
_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?![\w.]|\.\d)")
_IPV6_HINT = re.compile(r":[0-9A-F]{0,4}:")
_IPV6 = re.compile(r"[0-9A-F:]{2,39}")
_DIGITS = re.compile(r"\d{3,}")
_TOKEN_LEFT = re.compile(r"[A-Z0-9][A-Z0-9-]*$")
_TOKEN_RIGHT = re.compile(r"[A-Z0-9-]*[A-Z0-9]")

_ID_KEYS: tuple[tuple[str, str], ...] = (
    ("SSN", r"SSN|SOCIAL[ \t]+SECURITY(?:[ \t]+(?:NUMBER|NO|#))?|SS#"),
    (
        "MRN",
        r"MRN|MR[ \t]*#|MR[ \t]+NO|MED(?:ICAL)?[ \t]+REC(?:ORD)?S?(?:[ \t]+(?:NO|NUM|NUMBER))?|"
        r"UNIT[ \t]+(?:NO|NUMBER)|HOSPITAL[ \t]+(?:NO|NUMBER)|CHART[ \t]+(?:NO|NUMBER)|PATIENT[ \t]+ID|PT[ \t]+ID|"
        r"HOSP[ \t]+#|CASE[ \t]+(?:NO|#)",
    ),
    (
        "ACCOUNT",
        r"ACCOUNT|ACCT|ACC'T|A/C|BILLING[ \t]+(?:NO|NUMBER|#)|ENCOUNTER(?:[ \t]+(?:NO|ID))?|VISIT[ \t]+(?:NO|ID)|"
        r"CSN|FIN|INVOICE|CLAIM",
    ),
    (
        "HEALTH_PLAN",
        r"MEMBER(?:[ \t]+ID)?|SUBSCRIBER(?:[ \t]+ID)?|POLICY|GROUP|HEALTH[ \t]+PLAN(?:[ \t]+ID)?|"
        r"INSURANCE(?:[ \t]+ID)?|MEDICARE|MEDICAID|HICN|MBI|BENEFICIARY",
    ),
    ("LICENSE", r"LICEN[CS]E|LIC|DEA|NPI|DRIVER'?S[ \t]+LICEN[CS]E|DL|CERTIFICATE|CERT|PERMIT"),
    ("VEHICLE", r"VIN|LICEN[CS]E[ \t]+PLATE|PLATE|TAG|REGISTRATION"),
    ("DEVICE", r"SERIAL(?:[ \t]+NUMBER)?|S/N|SN|DEVICE(?:[ \t]+ID)?|MODEL|UDI|IMPLANT(?:[ \t]+ID)?|LOT"),
    ("ID", r"ID|IDENTIFIER|REF|REFERENCE|CONFIRMATION"),
)
_KEYED_ID = re.compile(
    r"(?<![\w/])(?:"
    + "|".join(f"(?P<{kind}>{pattern})" for kind, pattern in _ID_KEYS)
    + r")(?![A-Z])\.?[ \t]*(?:NO\.?|NUMBER|NUM|#)?[ \t]*(?:IS[ \t]+)?[:#=.]?[ \t]*$"
)


def find_contacts(text: str, up: str) -> list[Hit]:
    """PHONE, FAX, EMAIL, URL and IP hits."""
    hits: list[Hit] = []
    emails = _emails(text)
    hits.extend((s, e, "EMAIL", 0.99) for s, e in emails)
    hits.extend((s, e, "URL", 0.9) for s, e in _urls(up) if not any(a <= s < b for a, b in emails))
    for regex in (_PHONE, _PHONE_PAREN, _PHONE_INTL):
        for m in regex.finditer(up):
            if regex is _PHONE and not _phone_shape(m):
                continue
            kind = "FAX" if _FAX_BEFORE.search(up, max(0, m.start() - 16), m.start()) else "PHONE"
            hits.append((m.start(), m.end(), kind, 0.9))
    for m in _IPV4.finditer(up):
        if all(int(part) <= 255 for part in m.group().split(".")):
            hits.append((m.start(), m.end(), "IP", 0.9))
    if "::" in up or _IPV6_HINT.search(up):
        for m in _IPV6.finditer(up):
            value = m.group().strip(":") if m.group().count("::") == 0 else m.group()
            if value.count(":") >= 2 and re.search(r"[0-9A-F]{3}", value):
                try:
                    ipaddress.IPv6Address(value)
                except ValueError:
                    continue
                start = m.start() + m.group().index(value)
                hits.append((start, start + len(value), "IP", 0.85))
    return hits


def _phone_shape(m: re.Match[str]) -> bool:
    sep1, mid, last = m.group(1), m.group(2), m.group(4)
    if last:
        return len(mid) == 3
    return len(mid) == 4 and sep1 == "-"


def _emails(text: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    at = text.find("@")
    while at > 0:
        left = _LOCAL.search(text, max(0, at - 64), at)
        right = _DOMAIN.match(text, at + 1)
        if left and right:
            found.append((left.start(), right.end()))
        at = text.find("@", at + 1)
    return found


def _urls(up: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    if "://" in up or "WWW." in up:
        for m in _URL.finditer(up):
            spans.append((m.start(), _trim(up, m.start(), m.end())))
    for m in _TLD.finditer(up):
        if any(s <= m.start() < e for s, e in spans):
            continue
        left = _HOST_LEFT.search(up, max(0, m.start() - 80), m.start())
        if not left or (left.start() and up[left.start() - 1] in "@.-_"):
            continue
        end = m.end()
        path = _PATH.match(up, end)
        if path:
            end = _trim(up, end, path.end())
        spans.append((left.start(), end))
    return spans


def _trim(up: str, start: int, end: int) -> int:
    while end > start and up[end - 1] in ".,;:)]}>'\"":
        end -= 1
    return end


def find_identifiers(text: str, up: str) -> list[Hit]:
    """SSN, MRN, ACCOUNT, HEALTH_PLAN, LICENSE, VEHICLE, DEVICE and other ID hits, plus keyed PHONE (pagers)."""
    hits: list[Hit] = []
    for m in _PHONE.finditer(up):
        if m.group(4) and len(m.group(2)) == 2 and m.group(1) == m.group(3) and m.group(1) in "- ":
            hits.append((m.start(), m.end(), "SSN", 0.95))
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
        hit = _number(up, start, end)
        if hit:
            hits.append(hit)
    return hits


def _number(up: str, start: int, end: int) -> Hit | None:
    value = up[start:end]
    digits = sum(ch.isdigit() for ch in value)
    window = max(0, start - 40)
    keyed = _KEYED_ID.search(up, window, start) if digits >= 3 and len(value) >= 4 else None
    if keyed:
        kind = next(k for k, _p in _ID_KEYS if keyed.group(k))
        return (start, end, kind, 0.9)
    if value.isdigit() and (digits == 10 or 4 <= digits <= 7) and _KEYED_PHONE.search(up, window, start):
        kind = "FAX" if _FAX_BEFORE.search(up, window, start) else "PHONE"
        return (start, end, kind, 0.8)
    if len(value) == 17 and digits >= 3 and sum(ch.isalpha() for ch in value) >= 3 and not set("IOQ") & set(value):
        return (start, end, "VEHICLE", 0.7)
    if value.isdigit() and digits >= 7:
        return (start, end, "ID", 0.5)
    if re.fullmatch(r"[A-Z]{1,3}\d{6,}|\d{3,}-\d{3,}-\d{3,}", value):
        return (start, end, "ID", 0.5)
    return None
