"""Contact scanners: phones and faxes (with extensions), e-mail, URLs and IP addresses.

Every regex starts with a digit or a literal, so the regex engine can skip ahead.  Keyed numbers (pagers,
record and other ID numbers) are in phi.identifiers; find_identifiers is re-exported here.
"""

from __future__ import annotations

import ipaddress
import re

from phi.identifiers import fax_context, find_identifiers
from phi.scan import Hit

__all__ = ["find_contacts", "find_identifiers"]

# 617-555-1234, 617.555.1234, 617 555 1234, 617/555-1234, 617-555- 1234 and 555-1234 (shape checked after).
_PHONE = re.compile(r"\d(?<![\w/.+-]\d)\d\d([ \t.-]|/|-[ \t])(\d{2,4})(?:([ \t.-]|-[ \t])(\d{4}))?(?![\w/]|-\d|\.\d)")
_PHONE_PAREN = re.compile(r"\(\d{3}\)[ \t]*\d{3}(?:[ \t.-]|-[ \t])\d{4}(?![\w/]|-\d)")
_PHONE_INTL = re.compile(r"\+?1[ \t.-]\(?\d{3}\)?[ \t.-]?\d{3}[ \t.-]\d{4}(?![\w/]|-\d)")
# Ten digits run together (or 3 + 7), read as a phone number when they make a valid North American one.
_PHONE_RUN = re.compile(r"\d(?<![\w/.+#-]\d)\d\d[ \t-]?\d{7}(?![\w/]|[-.,]\d)")
_KEY_BEFORE = re.compile(
    r"(?:\b(?:PHONE|PH|TEL|TELEPHONE|CELL|MOBILE|HOME|WORK|CONTACT|NUMBER|CALL|CALLED|REACHED|AT|FAX)\b|@|#)"
    r"\.?[ \t:#.]*\Z"
)
_AMOUNT_AFTER = re.compile(
    r"[ \t]*(?:(?:MG|MCG|ML|CC|UNITS?|G|GM|MEQ|MMOL|KG|L|MIN|HRS?|DEG|DEGREES|REPS|SETS|TIMES)\b|%|/|°)"
)
# An extension on its own, after AT, @, CALL or "(": "called Dr Wolf at ext 90" (not KNEE EXTENSION 90).
_EXT_ALONE = re.compile(r"EXT(?:N|ENSION)?\b\.?[ \t:#.]*(\d{2,5})(?![\w/]|[.,]\d)")
_EXT_INTRO = re.compile(r"(?:@|\bAT|\bCALL|\bCALLED|\bREACHED|\()[ \t]*\Z")
# An extension after a phone number: "x22", "ext 4411", "EXT. 214", "x4-5512" (its digits are their own hit).
_EXT_AFTER = re.compile(
    r"[ \t,]*(?:(X)(?=\d)|(?:X|EXT|EXTN|EXTENSION)\b\.?[ \t:#.]*)(\d{1,5}(?:-\d{4})?)(?![\w/]|[.,]\d)"
)
_DOMAIN = re.compile(r"[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_LOCAL = re.compile(r"[\w.+-]+$")
_TLD = re.compile(r"\.(?:COM|ORG|NET|EDU|GOV|IO|US|INFO|BIZ|HEALTH|CARE)\b")
_URL = re.compile(r"(?:HTTPS?://|WWW\.)[^\s<>\"']+")
_HOST_LEFT = re.compile(r"(?:[A-Z0-9-]+\.)*[A-Z0-9-]+$")
_PATH = re.compile(r"/[^\s<>\"']*")
_IPV4 = re.compile(r"\d(?<![\w.]\d)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\w|\.\d)")
_IPV6_HINT = re.compile(r":[0-9A-F]{0,4}:")
_IPV6 = re.compile(r"[0-9A-F:]{2,39}")


def find_contacts(text: str, up: str) -> list[Hit]:
    """PHONE, FAX, EMAIL, URL and IP hits."""
    hits: list[Hit] = []
    emails = _emails(text)
    hits.extend((s, e, "EMAIL", 0.99) for s, e in emails)
    hits.extend((s, e, "URL", 0.9) for s, e in _urls(up) if not any(a <= s < b for a, b in emails))
    hits.extend(_phones(up))
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


def _phones(up: str) -> list[Hit]:
    hits: list[Hit] = []
    for regex in (_PHONE, _PHONE_PAREN, _PHONE_INTL, _PHONE_RUN):
        for m in regex.finditer(up):
            score = 0.9
            if regex is _PHONE and not _phone_shape(up, m):
                continue
            if regex is _PHONE_RUN:
                if not _nanp(re.sub(r"\D", "", m.group())):
                    continue
                score = 0.85 if _KEY_BEFORE.search(up, max(0, m.start() - 24), m.start()) else 0.55
            kind = "FAX" if fax_context(up, m.start(), m.end()) else "PHONE"
            hits.append((m.start(), m.end(), kind, score))
            ext = _EXT_AFTER.match(up, m.end())
            if ext:
                hits.append((ext.start(1) if ext.group(1) else ext.start(2), ext.end(), kind, score))
    if "EXT" in up:
        for m in _EXT_ALONE.finditer(up):
            if (m.start() and up[m.start() - 1].isalnum()) or not _EXT_INTRO.search(
                up, max(0, m.start() - 10), m.start()
            ):
                continue
            if not _AMOUNT_AFTER.match(up, m.end()):
                hits.append((m.start(1), m.end(), "PHONE", 0.8))
    return hits


def _phone_shape(up: str, m: re.Match[str]) -> bool:
    """3-3-4 digits, or a seven-digit number: 555-1234; 555- 1234 or 555 1234 where no amount follows."""
    sep1, mid, sep2, last = m.group(1), m.group(2), m.group(3), m.group(4)
    if last:
        return len(mid) == 3 and (sep1 != "/" or sep2 in ("-", "."))
    if len(mid) != 4 or sep1 in ("/", ".") or _AMOUNT_AFTER.match(up, m.end()):
        return False
    if sep1 == "-":
        return True
    if sep1 == " " or sep1 == "\t":  # 864 8263: only after a key ("REACHED AT", "PHONE", "@")
        return bool(_KEY_BEFORE.search(up, max(0, m.start() - 24), m.start()))
    return up[m.start()] not in "01"  # 732- 9273: an exchange starts 2-9, a range "100- 1200" rarely does


def _nanp(digits: str) -> bool:
    """A valid North American number: area code and exchange start 2-9, the area code's middle digit isn't 9."""
    return digits[0] not in "01" and digits[1] != "9" and digits[3] not in "01"


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
