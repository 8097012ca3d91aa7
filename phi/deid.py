"""Surrogates for de-identification: HMAC-keyed, consistent per organisation, format-preserving."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
from collections.abc import Sequence

from phi.dates import HOLIDAYS, shift_date
from phi.lexicon import Lexicon, norm_key
from phi.words import word_list, words

__all__ = ["Deidentifier", "date_offset"]

_WORD = re.compile(r"[A-Za-z][A-Za-z']*")
_STREETS = word_list("streets")
_STREET_SUFFIXES = words("street_suffixes")
_FACILITY_KEEP = words("facility_keep")
_SAINTS = frozenset({"ST", "SAINT", "STE", "MT", "MOUNT"})
_TEST_NETS = ("192.0.2", "198.51.100", "203.0.113")
_DOMAINS = ("example.com", "example.org", "example.net")
_MIN_SHIFT, _MAX_SHIFT = 30, 364


def _apply_case(model: str, word: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model.islower():
        return word.lower()
    return word[:1].upper() + word[1:].lower()


def date_offset(key: bytes, subject: str | None) -> int:
    """The subject's date shift in days: HMAC-derived, non-zero, between 30 and 364 days either way."""
    digest = hmac.new(key, b"date-shift\x00" + (subject or "").encode(), hashlib.sha256).digest()
    span = _MAX_SHIFT - _MIN_SHIFT + 1
    days = _MIN_SHIFT + int.from_bytes(digest[:4], "big") % span
    return days if digest[4] & 1 else -days


class Deidentifier:
    """Maps each identifier to a surrogate that depends only on the key, its type and its normalised value."""

    def __init__(self, key: bytes, lex: Lexicon) -> None:
        self._key = key
        self._lex = lex

    def _digest(self, label: str, value: str, counter: int = 0) -> bytes:
        message = f"{label}\x00{counter}\x00{value}".encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()

    def _index(self, label: str, value: str, size: int) -> int:
        return int.from_bytes(self._digest(label, value)[:8], "big") % size

    def _pick(self, label: str, value: str, pool: Sequence[str]) -> str:
        index = self._index(label, value, len(pool))
        choice = pool[index]
        if norm_key(choice) == norm_key(value):
            choice = pool[(index + 1) % len(pool)]
        return choice

    def _stream(self, label: str, value: str, size: int) -> bytes:
        out = b""
        counter = 0
        while len(out) < size:
            out += self._digest(label, value, counter)
            counter += 1
        return out

    def surrogate(self, kind: str, value: str, subject: str | None = None) -> str:
        """The replacement for `value`, an entity of type `kind`."""
        if kind == "NAME":
            return _WORD.sub(lambda m: self._name_word(m.group()), value)
        if kind == "DATE":
            return self._date(value, subject)
        if kind == "AGE":
            return "90+"
        if kind in ("PHONE", "FAX"):
            return self._phone(value)
        if kind == "EMAIL":
            return self._email(value)
        if kind == "URL":
            return self._url(value)
        if kind == "IP":
            return self._ip(value)
        if kind == "LOCATION":
            return self._location(value)
        return self._shape(kind, value, first_digit="9" if kind == "SSN" else None)

    def _name_word(self, word: str) -> str:
        key = norm_key(word)
        if len(key) == 1:
            letters = [chr(c) for c in range(65, 91)]
            return _apply_case(word, self._pick("initial", key, letters))
        first, last = self._lex.first_rank, self._lex.last_rank
        is_first = key in first and first[key] < last.get(key, 10**9)
        if not is_first:
            return _apply_case(word, self._pick("last", key, self._lex.last_pool))
        male = key in self._lex.males
        pool = self._lex.male_pool if male else self._lex.first_pool
        return _apply_case(word, self._pick("male" if male else "female", key, pool))

    def _date(self, value: str, subject: str | None) -> str:
        days = date_offset(self._key, subject)
        shifted = shift_date(value, days)
        if shifted is not None:
            return shifted
        if not any(ch.isdigit() for ch in value):
            return _apply_case(value, self._pick("holiday", value.upper(), HOLIDAYS))
        return self._shape("DATE", value)

    def _shape(self, label: str, value: str, first_digit: str | None = None) -> str:
        """Same length and shape: digits become digits, letters letters of the same case, the rest stays."""
        stream = self._stream(label, value.upper(), len(value))
        out: list[str] = []
        for ch, byte in zip(value, stream, strict=False):
            if ch.isdigit():
                out.append(str(byte % 10))
            elif ch.isascii() and ch.isalpha():
                letter = chr(65 + byte % 26)
                out.append(letter if ch.isupper() else letter.lower())
            else:
                out.append(ch)
        if first_digit is not None:
            for i, ch in enumerate(out):
                if ch.isdigit():
                    out[i] = first_digit
                    break
        result = "".join(out)
        return result if result != value else self._shape(label + "'", value, first_digit)

    def _phone(self, value: str) -> str:
        digits = [ch for ch in value if ch.isdigit()]
        core = digits[-10:] if len(digits) >= 10 else digits[-7:] if len(digits) >= 7 else digits
        seed = self._stream("phone", "".join(digits), 8)
        if len(core) >= 7:
            line = ["0", "1", str(seed[0] % 10), str(seed[1] % 10)]
            new = ["5", "5", "5", *line]
            if len(core) == 10:
                new = [str(2 + seed[2] % 8), str(seed[3] % 10), str(seed[4] % 10), *new]
        else:
            new = [str(b % 10) for b in self._stream("pager", "".join(digits), len(core))]
        replaced = digits[: len(digits) - len(core)] + new
        it = iter(replaced)
        return "".join(next(it) if ch.isdigit() else ch for ch in value)

    def _email(self, value: str) -> str:
        local = value.split("@", 1)[0]
        first = self._pick("first", "email:" + local.upper(), self._lex.first_pool)
        last = self._pick("last", "email:" + local.upper(), self._lex.last_pool)
        domain = self._pick("domain", value.upper(), _DOMAINS)
        address = f"{first}.{last}@{domain}".lower()
        return address.upper() if value.isupper() else address

    def _url(self, value: str) -> str:
        lowered = value.lower()
        scheme = next((s for s in ("https://", "http://") if lowered.startswith(s)), "")
        rest = value[len(scheme) :]
        www = "www." if rest.lower().startswith("www.") else ""
        domain = self._pick("domain", value.upper(), _DOMAINS)
        path = ""
        if "/" in rest.rstrip("/"):
            path = "/" + self._digest("url", value.upper()).hex()[:8]
        out = f"{scheme}{www}{domain}{path}"
        return out.upper() if value.isupper() else out

    def _ip(self, value: str) -> str:
        digest = self._digest("ip", value.lower())
        try:
            version = ipaddress.ip_address(value).version
        except ValueError:
            version = 6 if ":" in value else 4
        if version == 4:
            return f"{_TEST_NETS[digest[0] % 3]}.{1 + digest[1] % 254}"
        return f"2001:db8::{digest[2:4].hex()}:{digest[4:6].hex()}"

    def _location(self, value: str) -> str:
        stripped = value.strip()
        upper = stripped.upper()
        if re.fullmatch(r"\d{5}(?:-\d{4})?", stripped) or re.match(r"P\.?\s?O\.?\s+BOX", upper):
            return self._shape("LOCATION", value)
        words = [norm_key(w) for w in _WORD.findall(stripped)]
        if stripped[:1].isdigit():
            return self._street(value)
        if any(w in _FACILITY_KEEP - {"OF", "THE", "AND"} for w in words) or (words[:1] and words[0] in _SAINTS):
            return self._facility(value)
        city = self._pick("city", upper, self._lex.city_pool)
        return _apply_case(stripped, city) if " " not in city or not stripped.istitle() else city

    def _street(self, value: str) -> str:
        def word(m: re.Match[str]) -> str:
            w = m.group()
            if norm_key(w) in _STREET_SUFFIXES:
                return w
            return _apply_case(w, self._pick("street", norm_key(w), _STREETS))

        digits = self._shape("LOCATION", re.sub(r"[^\d]", "", value)) if any(c.isdigit() for c in value) else ""
        if digits.startswith("0"):
            digits = str(1 + int(digits[1:2] or "0") % 9) + digits[1:]
        it = iter(digits)
        numbered = "".join(next(it, ch) if ch.isdigit() else ch for ch in value)
        return _WORD.sub(word, numbered)

    def _facility(self, value: str) -> str:
        def word(m: re.Match[str]) -> str:
            w = m.group()
            key = norm_key(w)
            if key in _FACILITY_KEEP or key in _SAINTS:
                return w
            prev = value[: m.start()].rstrip(" .").upper()
            pool = self._lex.first_pool if prev.endswith(("ST", "SAINT")) else self._lex.city_pool
            return _apply_case(w, self._pick("facility", key, pool).split()[0])

        return _WORD.sub(word, value)
