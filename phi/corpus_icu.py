"""ICU nursing progress notes in the style of the MIMIC-II era, for the synthetic corpus (phi.corpus).

Telegraphic fragments from phi/data/corpus.txt (the icu_* sections) under system headers in a varied order,
with each writer's habits (abbreviations, separators, header punctuation) and case: ALL CAPS in most notes,
all lower case in some, mixed case in a few.  PHI of every class comes in the odd surface forms real notes
hold.  Literals are written in capitals and PHI in its natural case; the note is cased at the end, one
character for one (ASCII only), so the gold spans stay exact.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from phi.corpus import Note, Piece, _Builder, _Gen
from phi.words import lines, word_list

__all__ = ["icu_note"]

_TOKEN = re.compile(r"\{(\w+)\}|\{([^{}]*\|[^{}]*)\}")
_SYSTEMS: dict[str, tuple[str, ...]] = {
    "neuro": ("NEURO", "NEURO", "NEURO", "N", "NEURO/MS", "NEUROLOGIC"),
    "cv": ("CV", "CV", "CV", "C/V", "CARDIAC", "HEMODYNAMICS"),
    "resp": ("RESP", "RESP", "RESP", "PULM", "RESPIRATORY", "R"),
    "gi": ("GI", "GI", "GI/NUTR", "ABD"),
    "gu": ("GU", "GU", "RENAL", "GU/RENAL"),
    "id": ("ID", "ID", "ID/TEMP", "TEMP"),
    "skin": ("SKIN", "SKIN", "INTEG", "SKIN/WOUND"),
    "endo": ("ENDO", "ENDO", "FS"),
    "heme": ("HEME", "HEME", "BLOOD"),
    "lines": ("LINES", "ACCESS", "IV ACCESS"),
    "social": ("SOCIAL", "SOCIAL", "FAMILY", "SOC", "PSYCHOSOCIAL", "DISPO"),
    "plan": ("PLAN", "PLAN", "A/P", "P"),
}
_OPTIONAL = {"id": 0.6, "skin": 0.55, "endo": 0.3, "heme": 0.35, "lines": 0.3, "social": 0.7, "plan": 0.75}
# A writer's habits: each is on in a note with some chance.
_HABITS = [
    (r"\bWITH\b", "W/"),
    (r"\bW/ ?", "WITH "),
    (r" @ ", " AT "),
    (r" -> ", " TO "),
    (r"\bCONT\b", "CONTINUE"),
    (r"\bPT\b", "PATIENT"),
    (r"\bAND\b", "&"),
    (r"\bAND\b", "+"),
    (r"\bMTG\b", "MEETING"),
    (r"\bDTR\b", "DAUGHTER"),
    (r"\bABD\b", "ABDOMEN"),
    (r"\bGTT\b", "DRIP"),
    (r"\bAS TOL\b", "AS TOLERATED"),
    (r"\bSX\b", "SUCTIONED"),
    (r"\bFAMILY\b", "FAM"),
    (r"\bUPDATED\b", "UPDATE GIVEN"),
    (r"\bSECRETIONS\b", "SECR"),
]
_LOWER = frozenset(word_list("icu_lower", "corpus.txt"))  # short words a mixed-case writer types in lower case
_UPPER = frozenset(word_list("icu_upper", "corpus.txt"))  # abbreviations with vowels that stay in capitals
_REL_WORDS = word_list("icu_relatives", "corpus.txt")
_PLURALS = frozenset(("SON", "DTR", "DAUGHTER", "SISTER", "BROTHER", "NIECE", "NEPHEW", "FRIEND", "COUSIN"))


@cache
def _clinical_words() -> frozenset[str]:
    """Every capitalised token of the icu_* fragments: a facility's initials must not be one of them."""
    found = {"NH", "MA", "CT", "RI", "ME", "VT", "NY", "NJ", "PA", "FL", "USA", "ICU", "EMS", "VNA", "PCP", "SNF"}
    for section in _sections():
        for line in lines(section):
            found.update(re.findall(r"[A-Z]+", line))
    return frozenset(found)


@cache
def _sections() -> tuple[str, ...]:
    names = ["headers", "open", "dx", "proc", "pmh", *_SYSTEMS, "phi_social", "phi_team", "phi_events"]
    return tuple(f"icu_{n}" for n in names)


def _value(g: _Gen, name: str) -> str | None:
    """A value slot (not PHI), or None when `name` is not one."""
    r = g.r
    n = r.randint
    simple: dict[str, Callable[[], str]] = {
        "HR": lambda: str(n(48, 135)),
        "HR10": lambda: str(n(5, 13) * 10),
        "SBP": lambda: str(n(8, 16) * 10),
        "BP": lambda: f"{n(78, 175)}/{n(38, 98)}",
        "MAP": lambda: str(n(55, 95)),
        "SAT": lambda: str(n(88, 100)),
        "RR": lambda: str(n(10, 34)),
        "TEMP": lambda: f"{r.uniform(96.0, 102.8):.1f}",
        "K": lambda: f"{r.uniform(2.9, 5.8):.1f}",
        "MG": lambda: f"{r.uniform(1.3, 2.6):.1f}",
        "HCT": lambda: f"{r.uniform(20.5, 36.0):.1f}",
        "WBC": lambda: f"{r.uniform(2.1, 24.0):.1f}",
        "INR": lambda: f"{r.uniform(1.0, 3.9):.1f}",
        "GLU": lambda: str(n(68, 330)),
        "PLT": lambda: str(n(18, 420)),
        "ABG": lambda: f"7.{n(18, 52):02d}/{n(26, 70)}/{n(55, 190)}",
        "VT": lambda: str(n(7, 13) * 50),
        "RATE": lambda: str(n(8, 24)),
        "PEEP": lambda: str(r.choice((5, 5, 5, 8, 10, 12, 15))),
        "FIO2": lambda: str(r.choice((30, 35, 40, 40, 50, 60, 70, 100))),
        "PS": lambda: str(r.choice((5, 8, 10, 12, 15, 18, 20))),
        "O2": lambda: r.choice(("2L NC", "4L NP", "50% FM", "40% CFM", "100% NRB", "3L N/C", "6L NC", "RA")),
        "TIME": lambda: _time(g),
        "ORD": lambda: r.choice(("1ST", "2ND", "2ND", "3RD", "4TH")),
        "N": lambda: str(n(1, 4)),
        "UO": lambda: str(n(2, 40) * 5),
        "CVP": lambda: str(n(2, 20)),
        "RSBI": lambda: str(n(20, 120)),
        "YEAR": lambda: str(n(1968, 2008)),
        "YOUNG": lambda: str(n(19, 89)),
        "RHYTHM": lambda: r.choice(("SR", "NSR", "ST", "SB", "AFIB", "A-FLUTTER", "V-PACED", "SR/ST")),
        "ECTOPY": lambda: r.choice(("NO ECTOPY", "RARE PVCS", "OCC PVCS", "FREQ PACS", "RUNS OF NSVT", "PVCS")),
        "GTT": lambda: r.choice(("LEVO", "NEO", "DOPA", "PROPOFOL", "FENT GTT", "INSULIN GTT", "NTG", "HEP GTT")),
    }
    return simple[name]() if name in simple else None


def _time(g: _Gen) -> str:
    h, m = g.r.randint(0, 23), g.r.choice((0, 0, 0, 15, 30, 45))
    h12, half = (h % 12) or 12, "AM" if h < 12 else "PM"
    return g.r.choice(
        (f"{h:02d}{m:02d}", f"{h:02d}{m:02d}", f"{h12}{half}", f"{h12}:{m:02d}{half[0]}", f"{h12} {half}")
    )


def _phi(g: _Gen, name: str) -> list[Piece]:
    """The pieces of a PHI slot: the PHI itself with its class, and the words around it in some forms."""
    r = g.r
    first, last, second = g.first(), g.last(), g.first()
    doc, rel = "clinician_name", "relative_name"
    if name == "PTNAME":
        return r.choice(
            [["MR. ", (last, "patient_name")], ["MRS. ", (last, "patient_name")], [(first, "patient_name")]]
        )
    if name == "RELNAME":
        return [(first, rel)]
    if name == "REL":
        w = r.choice(_REL_WORDS)
        return r.choice(
            [
                [f"{w} ", (first, rel)],
                [f"{w} ", (first, rel)],
                [f"{w} (", (first, rel), ")"],
                [(first, rel), f" ({w})"],
                [f"PT'S {w} ", (first, rel)],
                [f"{w}/HCP ", (first, rel)],
                [f"{w} ", (f"{first} {last}", rel)],
                [f"{w if w in _PLURALS else 'DTR'}S ", (first, rel), " & ", (second, rel)],
                [w],
                [f"PT'S {w}"],
            ]
        )
    if name == "DR":
        return r.choice(
            [
                ["DR. ", (last, doc)],
                ["DR ", (last, doc)],
                ["DR.", (last, doc)],
                [(f"{first[0]}. {last}", doc)],
                ["NP ", (last, doc)],
                ["DR. ", (f"{first} {last}", doc)],
                [(last, doc), " (HO)"],
            ]
        )
    if name == "DRS":
        a, b, c, cl = last, g.last(), g.last(), "clinician_list"
        return r.choice(
            [
                ["DR. ", (a, cl), " AND ", (b, cl)],
                ["DRS. ", (a, cl), " AND ", (b, cl)],
                ["DRS ", (a, cl), "/", (b, cl)],
                ["DR ", (a, cl), ", DR ", (b, cl)],
                ["DR. ", (a, cl), " & ", (b, cl)],
                [(a, cl), " AND ", (b, cl)],
                ["DRS. ", (a, cl), ", ", (b, cl), " AND ", (c, cl)],
                [(f"{first[0]}. {a}", cl), " AND ", (f"{second[0]}. {b}", cl)],
            ]
        )
    if name == "RN":
        return r.choice([["RN ", (last, doc)], [(first, doc)], [(f"{first} {last[0]}.", doc)], [(first, doc), " RN"]])
    if name in ("HOSP", "XHOSP"):
        if name == "HOSP" and g.chance(0.7):
            return [(g.hospital(last), "facility_full")]
        place = r.choice([g.town(), last, g.invented()])
        return [(f"{place} {r.choice(('Hospital', 'Hospital', 'Hosp'))}", "facility_full")]
    if name == "HOSPSHORT":
        return [(_short_facility(g), "facility_short")]
    if name == "UNIT":
        unit = r.choice([f"{last} {r.randint(1, 12)}", f"{last}{r.randint(1, 12)}", f"{last} {r.randint(2, 9)}N"])
        return [(unit, "ward_unit")]
    if name == "CAMPUS":
        return [(f"{r.choice(('East', 'West', 'North', 'South', g.town()))} Campus", "campus")]
    if name == "TOWN":
        return [(g.town(), "city")]
    if name == "ADDR":
        state = r.choice((", MA ", " MA ", ", NH ", " "))
        return [(g.street(), "street_address"), r.choice((", ", " ")), (g.town(), "city"), state, (g.zip(), "zip")]
    if name in ("DSHORT", "DFULL", "DMY", "DAPOS", "DGLUE"):
        cls = {"DSHORT": "date_short", "DFULL": "date_full", "DMY": "date_month_year"}.get(name, "")
        cls = cls or {"DAPOS": "date_apostrophe_year", "DGLUE": "date_glued"}[name]
        form = "date_numeric" if name == "DSHORT" and g.chance(0.75) else cls
        return [(g.date(form)[0], cls)]
    if name == "AGE":
        return [(str(r.randint(90, 104)), "age_over_89")]
    if name == "PHONE":
        return [g.phone(odd=g.chance(0.7))]
    if name == "PAGER":
        return [r.choice(("PG ", "PAGER ", "PAGER #", "BEEPER ", "#")), (g.shaped("pager"), "pager")]
    if name == "EXT":
        digits = g.shaped("pager")[: r.randint(2, 5)]
        return r.choice([[(f"x{digits}", "phone_extension")], ["EXT ", (digits, "phone_extension")]])
    if name == "EMAIL":
        return [(g.email(first, last), "email")]
    if name == "URL":
        return [(g.url(last), "url")]
    if name == "IP":
        return [(g.ip(), "ip")]
    ids = {"MRN": "mrn", "SSN": "ssn", "MBI": "mbi", "ACC": "accession", "HPLAN": "health_plan", "ACCT": "account"}
    ids |= {"LIC": "license", "SERIAL": "device_serial", "PLATE": "vehicle_plate"}
    return [(g.shaped(ids[name]), ids[name])]


def _short_facility(g: _Gen) -> str:
    """Invented initials of 2-4 capitals (NWH, SEMC), never a word the fragments use."""
    r = g.r
    while True:
        head = r.choice(("N", "S", "E", "W", "NE", "SE", "NW", "SW", g.town()[0], g.last()[0] + g.town()[0]))
        name = (head + r.choice(("H", "MC", "GH", "CH", "RH", "MH", "HC", "RMC", "H", "MC"))).upper()
        if 2 <= len(name) <= 4 and name.isalpha() and name not in _clinical_words():
            return name


class _Writer:
    """One note's author: habits, separators and case, and the builder the note goes into."""

    def __init__(self, g: _Gen) -> None:
        r = self.r = g.r
        self.g = g
        self.b = _Builder(caps=False)
        self.case = r.choices(("caps", "lower", "mixed"), (0.65, 0.2, 0.15))[0]
        self.habits = [(re.compile(p), s) for p, s in _HABITS if g.chance(0.25)]
        self.sep = r.choice((". ", ". ", ", ", "; ", "  ", " ", "... ", ".  ", " - "))
        self.end = "." if "." in self.sep else r.choice(("", "."))
        self.colon = r.choice((":", ":", ":", "-", " -", ";", "--", ":"))
        self.breaks = r.choice(("\n", "\n", "\n\n", " ", "  "))

    def literal(self, text: str) -> None:
        for pattern, sub in self.habits:
            text = pattern.sub(sub, text)
        self.b.add(text)

    def render(self, template: str) -> None:
        pos = 0
        for m in _TOKEN.finditer(template):
            self.literal(template[pos : m.start()])
            pos = m.end()
            if m.group(2) is not None:
                self.literal(self.r.choice(m.group(2).split("|")))
            elif m.group(1) in ("PMH", "DX", "PROC"):
                self.listing(m.group(1))
            elif (value := _value(self.g, m.group(1))) is not None:
                self.b.add(value)
            else:
                for piece in _phi(self.g, m.group(1)):
                    self.b.add(piece)
        self.literal(template[pos:])

    def listing(self, name: str) -> None:
        section = {"PMH": "icu_pmh", "DX": "icu_dx", "PROC": "icu_proc"}[name]
        items = self.r.sample(lines(section), self.r.randint(2, 6) if name == "PMH" else 1)
        joint = self.r.choice((", ", ", ", "; ", " ", " / "))
        for i, item in enumerate(items):
            self.literal(joint if i else "")
            self.render(item)

    def fragments(self, templates: list[str]) -> None:
        for i, template in enumerate(templates):
            self.literal(self.sep if i else "")
            self.render(template)
        self.literal(self.end)

    def text(self) -> str:
        text = "".join(self.b.parts)
        if self.case == "caps":
            return text.upper()
        if self.case == "lower":
            return text.lower()
        mixed = re.sub(r"[A-Za-z][A-Za-z']*:?", _mixed_word, text)
        mixed = re.sub(r"(?:^|\.\s+|\n\s*)[a-z]", lambda m: m.group().upper(), mixed)  # a sentence's first letter
        chars = list(mixed)
        for span in self.b.spans:
            chars[span.start : span.end] = text[span.start : span.end]
        return "".join(chars)


def _mixed_word(m: re.Match[str]) -> str:
    """A mixed-case writer's word: abbreviations in capitals, headers capitalised, other words in lower case."""
    word = m.group().rstrip(":")
    upper = word.upper()
    short = (len(word) <= 3 and upper not in _LOWER) or not re.search("[AEIOUY]", upper) or upper in _UPPER
    cased = upper if short else upper.capitalize() if m.group().endswith(":") else word.lower()
    return cased + m.group()[len(word) :]


def icu_note(g: _Gen, index: int) -> Note:
    """One ICU nursing progress note with its gold spans."""
    r = g.r
    w = _Writer(g)

    def pick(section: str, k: int) -> list[str]:
        return r.sample(lines(section), min(k, len(lines(section))))

    systems = [s for s in _SYSTEMS if s not in _OPTIONAL or g.chance(_OPTIONAL[s])]
    for _ in range(r.randint(0, 3)):  # a writer's own order: swap neighbours
        i = r.randrange(len(systems) - 1)
        systems[i], systems[i + 1] = systems[i + 1], systems[i]
    body: dict[str, list[str]] = {s: pick(f"icu_{s}", r.randint(1, 4)) for s in systems}
    for _ in range(r.randint(3, 8)):  # the PHI-bearing fragments
        kind = r.choices(("phi_social", "phi_team", "phi_events"), (0.35, 0.3, 0.35))[0]
        home = "social" if kind == "phi_social" else r.choice([*systems, "plan", "plan"])
        body.setdefault(home, []).insert(r.randint(0, len(body.get(home, []))), r.choice(lines(f"icu_{kind}")))
    if g.chance(0.85):
        w.render(r.choice(lines("icu_headers")))
        w.literal(r.choice(("\n", "\n", " ", ": ", "\n\n")))
    if g.chance(0.75):
        w.fragments(pick("icu_open", 1))
        w.literal(w.breaks)
    if g.chance(0.2):  # narrative: no headers, the fragments in any order
        flat = [t for part in body.values() for t in part]
        r.shuffle(flat)
        w.fragments(flat)
    else:
        for i, (system, templates) in enumerate(body.items()):
            w.literal(w.breaks if i else "")
            w.literal(r.choice(_SYSTEMS[system]) + w.colon + " ")
            w.fragments(templates)
    if g.chance(0.85):
        w.literal(r.choice(("\n", " ", "\n\n", "  ")))
        for piece in _signoff(g):
            w.b.add(piece)
    return Note(f"icu_nursing-{index:05d}", "icu_nursing", w.text(), tuple(w.b.spans))


def _signoff(g: _Gen) -> list[Piece]:
    first, last, sign = g.first(), g.last(), "clinician_signoff"
    return g.r.choice(
        [
            [(f"{first[0]}. {last}", sign), " RN"],
            [(last, sign), ", RN"],
            [(first, sign), " RN"],
            [(f"{first} {last}", sign), " RN/CRT"],
            [(f"{first[0]}.{last}", sign), " RN"],
            ["- ", (first, sign)],
            [(f"{first} {last[0]}.", sign), " RN"],
            [(last, sign), " RRT"],
            ["RN: ", (f"{first[0]}. {last}", sign)],
            [(f"{first[0]}{last[0]}", sign), " RN"],
            [(f"{first} {last}", sign), ", RN, BSN"],
            [(f"{first[0]}. {last}", sign), " RN/CRT"],
        ]
    )
