"""The place scanner: US cities and counties, hospitals and other facilities, street addresses and ZIP codes."""

from __future__ import annotations

import re
from bisect import bisect_left

from phi.lexicon import (
    CITY,
    CITY_AMBIG,
    CITY_HEAD,
    CLINICAL,
    COMMON,
    ENGLISH,
    FIRST,
    LAST,
    NAME,
    NOTEWORD,
    RARE,
    Lexicon,
)
from phi.orgs import find_orgs
from phi.scan import Doc, Hit
from phi.sites import find_sites
from phi.words import words

__all__ = ["find_places"]

_FACILITY = words("facility")
_FACILITY_PAIRS = frozenset(
    {
        ("MEDICAL", "CENTER"),
        ("MED", "CTR"),
        ("MEDICAL", "CTR"),
        ("MED", "CENTER"),
        ("HEALTH", "CENTER"),
        ("CARE", "CENTER"),
        ("LIVING", "CENTER"),
        ("CANCER", "CENTER"),
        ("NURSING", "HOME"),
        ("HEALTH", "SYSTEM"),
        ("MEDICAL", "GROUP"),
        ("ASSISTED", "LIVING"),
        ("SENIOR", "LIVING"),
        ("NURSING", "CENTER"),
        ("REHAB", "CENTER"),
        ("HEALTH", "ALLIANCE"),
    }
)
# Words a facility name may hold that say nothing on their own ("the community hospital").
_GENERIC = words("generic")
_STOP_LEFT = words("stop_left")
_SAINTS = frozenset({"ST", "SAINT", "STE", "MT", "MOUNT"})
_PLACE_WORDS = frozenset({"FROM", "IN", "NEAR", "AT", "TO"})
_STRONG_PLACE = frozenset({("LIVES", "IN"), ("LIVING", "IN"), ("RESIDES", "IN"), ("RESIDENT", "OF"), ("HOME", "IN")})
_STRONG_PLACE |= {("MOVED", "TO"), ("TOWN", "OF"), ("CITY", "OF"), ("NATIVE", "OF"), ("VISITING", "FROM")}
_STRONG_PLACE |= {("HOUSE", "IN"), ("APARTMENT", "IN"), ("APT", "IN"), ("RELOCATED", "TO"), ("BORN", "IN")}
_TRANSFER = words("transfer")
_MOVES = frozenset({"RETURN", "RETURNS", "GO", "GOING", "GOES", "WENT", "BACK", "ACCEPTED", "SCREENED", "WORKS",
                    "WORKED", "LIVES", "STAYING", "STAYS", "STUDENT", "PROFESSOR", "EMPLOYED", "VOLUNTEERS",
                    "CARE", "FOLLOWED", "SEEN", "DIALYSIS", "HD", "REHAB", "FAXED", "SENT", "CLINIC", "APPT",
                    "VISIT"})  # fmt: skip
_NOT_A_PLACE_AFTER = words("not_a_place_after")
_PLACE_AFTER = words("place_after")

_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|"
    "OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_STATE_AFTER_COMMA: dict[str, re.Pattern[str]] = {}
_CITY_WORDS = re.compile(r"((?:[A-Z][A-Za-z.'-]+[ \t]){0,2}[A-Z][A-Za-z.'-]+)$")
_STATE_ZIP = re.compile(rf"(?<![A-Z0-9])({_STATES})[ \t]+(\d{{5}}(?:-\d{{4}})?)(?![\d-])")
_ZIP_AFTER = re.compile(r"\.?[ \t]+(\d{5}(?:-\d{4})?)(?![\w-])")


def _state_after_comma(lex: Lexicon) -> re.Pattern[str]:
    """', MA' / ', Massachusetts': the comma and state that follow a city (the city is found backwards)."""
    got = _STATE_AFTER_COMMA.get("re")
    if got is None:
        names = sorted(lex.state_names.values(), key=len, reverse=True)
        full = "|".join(re.escape(s) + "|" + re.escape(s.upper()) for s in names)
        got = _STATE_AFTER_COMMA["re"] = re.compile(rf",[ \t]*(?:{_STATES}|{full})\b")
    return got


_STREET = re.compile(
    r"\d(?<![\w.,/-]\d)\d{0,5}[A-Z]?[ \t]+(?:[NSEW]\.?[ \t]+)?((?:[A-Z][A-Z0-9'-]*[ \t]+){1,4})"
    r"(?:STREET|ST|AVENUE|AVE|ROAD|RD|BOULEVARD|BLVD|LANE|LN|DRIVE|DR|COURT|CT|PLACE|PL|TERRACE|TER|WAY|"
    r"CIRCLE|CIR|HIGHWAY|HWY|PARKWAY|PKWY|SQUARE|SQ|TRAIL|TRL|PIKE|TURNPIKE|ROW|GLEN|CROSSING|HEIGHTS|"
    r"ESTATES?|GARDENS|GROVE|HILLS?|KNOLL|LOOP|MEADOWS?|PLAZA|RIDGE|ROUTE|RTE|EXPRESSWAY|FREEWAY|ALLEY|"
    r"BROOK|COMMONS?|MEWS|WHARF|ISLAND|LANDING|COVE|CREEK|HARBOR|LAKE|PARK)\b\.?"
    r"(?:,?[ \t]*(?:APT|APARTMENT|UNIT|SUITE|STE|#)\.?[ \t]*#?[ \t]*[A-Z0-9-]+)?"
)
_PO_BOX = re.compile(r"\bP\.?[ \t]?O\.?[ \t]+BOX[ \t]+\d+\b")
_ZIP = re.compile(r"\bZIP(?:[ \t]?CODE)?\b[ \t:#]*(\d{5}(?:-\d{4})?)\b")
_STREET_STOP = words("street_stop")
_COMMON_SUFFIXES = frozenset({"ST", "STREET", "AVE", "AVENUE", "RD", "ROAD", "LANE", "LN", "DR", "DRIVE", "BLVD",
                              "WAY", "CT", "COURT", "TER", "TERRACE", "PL", "CIR", "CIRCLE"})  # fmt: skip


_LABELLED = re.compile(
    r"\bADDRESS(?:[ \t]+(?:IS|LINE))?[ \t]*[:#-]?[ \t]*(\d{1,6}[ \t]+[A-Z0-9][^,;\n]{2,40}?)(?=,|;|\n|$)"
)


def _addresses(text: str, up: str, lex: Lexicon) -> list[Hit]:
    hits: list[Hit] = []
    if "ADDRESS" in up:
        hits.extend((m.start(1), m.end(1), "LOCATION", 0.85) for m in _LABELLED.finditer(up))
    for m in _STREET.finditer(up):
        words = m.group(1).split()
        written = text[m.start(1) : m.end(1)].split()
        suffix = up[m.end(1) : m.end()].strip(" .\t").split(",")[0].split()[0] if m.end() > m.end(1) else ""
        titled = (
            text != up
            and suffix in _COMMON_SUFFIXES
            and all(w[:1].isupper() and w[1:2].islower() for w in written)  # 19 Old Post Rd
        )
        stopped = any(w in _STREET_STOP or (lex.classes.get(w, 0) & CLINICAL and not w[0].isdigit()) for w in words)
        if stopped and not titled:
            continue
        hits.append((m.start(), m.end(), "LOCATION", 0.85))
    if "BOX" in up:
        hits.extend((m.start(), m.end(), "LOCATION", 0.9) for m in _PO_BOX.finditer(up))
    if "ZIP" in up:
        hits.extend((m.start(1), m.end(1), "LOCATION", 0.9) for m in _ZIP.finditer(up))
    for m in _STATE_ZIP.finditer(up):  # FOXVILLE MA 34010, bellview, ma 54442: a state before a ZIP code
        if any(s <= m.start() < e for s, e, _k, _sc in hits):
            continue
        hits.append((m.start(1), m.end(2), "LOCATION", 0.85))
        words = re.findall(r"[A-Z][A-Z'.-]*", up[max(0, m.start() - 40) : m.start()].split(",")[-1])[-3:]
        kept = [w for w in words if not lex.classes.get(w.strip(".'"), 0) & (CLINICAL | ENGLISH)]
        if kept and kept == words[-len(kept) :]:
            start = up.rfind(kept[0], max(0, m.start() - 40), m.start())
            if start >= 0:
                hits.append((start, start + len(up[start : m.start()].rstrip(" ,")), "LOCATION", 0.8))
    for m in _state_after_comma(lex).finditer(text):
        words = _CITY_WORDS.search(text, max(0, m.start() - 60), m.start())
        if words is None:
            continue
        city = words.group(1)
        known = _known_city([p.upper().replace("'", "") for p in city.split()], lex)
        city_end = words.end(1)
        zip_code = _ZIP_AFTER.match(text, m.end())
        if zip_code:
            tail = " ".join(city.split()[-len(known) :]) if known else city
            hits.append((city_end - len(tail), city_end, "LOCATION", 0.85))
            state_start = m.start() + 1 + (len(m.group()) - 1 - len(m.group()[1:].lstrip()))
            hits.append((state_start, zip_code.end(1), "LOCATION", 0.9))  # the state rides with the ZIP code
        elif known:
            tail = " ".join(city.split()[-len(known) :])
            hits.append((city_end - len(tail), city_end, "LOCATION", 0.85))
    return hits


def _known_city(parts: list[str], lex: Lexicon) -> list[str]:
    """The longest tail of `parts` that is a listed city or county."""
    for k in range(len(parts)):
        tail = parts[k:]
        head = tail[0]
        if len(tail) == 1 and lex.classes.get(head, 0) & (CITY | CITY_AMBIG):
            return tail
        if tuple(tail[1:]) in lex.multi_cities.get(head, ()):
            return tail
    return []


def _place_context(doc: Doc, i: int, fresh: bool = False) -> int:
    """2: strong place context before token i (LIVES IN, TRANSFERRED FROM); 1: weak (FROM, IN); 0: none."""
    if not doc.near(i):
        return 0
    keys = doc.keys
    prev = keys[i - 1]
    before = keys[i - 2] if i >= 2 else ""
    if (before, prev) in _STRONG_PLACE or (before in _TRANSFER and prev in ("FROM", "TO", "AT")):
        return 2
    if prev in ("AT", "TO") or (fresh and prev == "IN"):
        # weak before a word no list knows: a place only when written like one or after going or staying
        return 1 if (not doc.caps and doc.titlecase(i)) or before in _MOVES else 0
    return 1 if prev in _PLACE_WORDS else 0


_PLACE_PREFIX = words("place_prefix")
_PLACE_PARTS = words("place_parts")
_RESIDENCE = words("residence")


def _fresh(doc: Doc, i: int) -> bool:
    """An unlisted, name-shaped word: not English, not clinical (a noun English seldom writes counts as unlisted:
    WordNet lists people and places among its nouns, WOLLASTON)."""
    c = doc.classes[i]
    return (c & (COMMON | CLINICAL) == 0 or bool(c & RARE and not c & (CLINICAL | ENGLISH))) and doc.shaped(i)


def _town(doc: Doc, i: int, ctx: int, hits: list[Hit]) -> int:
    """An unlisted town after place context (LIVES IN BAR NUNN, FROM OWENTON, LIVES IN NEW TINAVIEW): take it
    and the next capitalised place words; return the index after it."""
    keys, classes = doc.keys, doc.classes
    j = i + 1
    while j < len(keys) and j - i < 3 and doc.tight(j) and not classes[j] & CLINICAL:
        if not (doc.caps or doc.titlecase(j)) or keys[j] in _RESIDENCE:
            break
        after_prefix = j == i + 1 and keys[i] in _PLACE_PREFIX and not classes[j] & ENGLISH  # FROM FORT HOOD
        plain = classes[j] & COMMON and keys[j] not in _PLACE_PARTS and not (ctx == 2 and not classes[j] & ENGLISH)
        if plain and not after_prefix:
            break
        j += 1
    if keys[i] in _RESIDENCE or (j == i + 1 and keys[i] in _PLACE_PREFIX):
        return i + 1
    if all(classes[k] & ENGLISH for k in range(i, j)):
        return j
    hits.append((doc.starts[i], doc.ends[j - 1], "LOCATION", 0.75 if ctx == 2 else 0.6))
    return j


def _before_services(doc: Doc, hits: list[Hit]) -> None:
    """BROUGHT IN BY SOUTH RACHELSIDE EMS: unlisted place words in front of EMS, POLICE, FIRE..."""
    keys, classes = doc.keys, doc.classes
    for i in [i for i, k in enumerate(keys) if k in _PLACE_AFTER]:
        j = i
        while j > 0 and i - j < 3 and doc.tight(j) and not classes[j - 1] & (CLINICAL | _CITY_BITS):
            word = keys[j - 1]
            if not (_fresh(doc, j - 1) or word in _PLACE_PREFIX or word in _PLACE_PARTS):
                break
            j -= 1
        if j < i and any(_fresh(doc, k) for k in range(j, i)) and (doc.caps or doc.titlecase(j)):
            hits.append((doc.starts[j], doc.ends[i - 1], "LOCATION", 0.7))


_CITY_BITS = CITY | CITY_AMBIG | CITY_HEAD
_NOT_TOWN_BEFORE = frozenset({"A", "AN", "THE", "L", "R", "LEFT", "RIGHT", "BILAT", "BILATERAL", "HIS", "HER"})
_PLACE_PREV = _PLACE_WORDS | {"TO", "AT", "OF"}


def _cities(doc: Doc, lex: Lexicon, hits: list[Hit]) -> None:
    keys, classes = doc.keys, doc.classes
    done = 0
    for i in [i for i, c in enumerate(classes) if c & _CITY_BITS or (i and keys[i - 1] in _PLACE_PREV)]:
        if i >= done:
            done = _city_at(doc, lex, i, hits)


def _city_at(doc: Doc, lex: Lexicon, i: int, hits: list[Hit]) -> int:
    """Look for a place starting at token i; return the index to continue from."""
    keys, classes = doc.keys, doc.classes
    n = len(keys)
    c = classes[i]
    ctx = _place_context(doc, i)
    capital = doc.caps or not doc.lower(i)
    if not c & _CITY_BITS:
        ctx = _place_context(doc, i, fresh=True)
        fresh = _fresh(doc, i) or keys[i] in _PLACE_PREFIX
        if ctx and capital and not doc.eponym(i) and (fresh or (ctx == 2 and not c & (ENGLISH | CLINICAL))):
            return _town(doc, i, ctx, hits)
        return i + 1
    length = 0
    if c & CITY_HEAD:
        for rest in lex.multi_cities.get(keys[i], ()):
            k = len(rest)
            if tuple(keys[i + 1 : i + 1 + k]) == rest and all(doc.tight(j) for j in range(i + 1, i + 1 + k)):
                length = k + 1
                break
    width = max(length, 1)
    after = keys[i + width] if i + width < n else ""
    if doc.eponym(i + width - 1):
        return i + width
    if length:
        plain = all(classes[j] & (COMMON | CLINICAL) for j in range(i, i + length))
        if not plain or ctx or after in _PLACE_AFTER:
            hits.append((doc.starts[i], doc.ends[i + length - 1], "LOCATION", 0.85 if ctx else 0.75))
            return i + length
    if c & CITY and not c & CLINICAL:
        if not ctx and after not in _PLACE_AFTER and _not_a_town(doc, i):
            return i + 1
        score = 0.9 if ctx == 2 else 0.8 if ctx or after in _PLACE_AFTER else 0.5
        if c & NAME and not ctx and lex.city_pop.get(keys[i], 0) >= 50_000:
            score = 0.65
        if not capital:
            score = min(score, 0.4)
        hits.append((doc.starts[i], doc.ends[i], "LOCATION", score))
    elif c & CITY_AMBIG and not c & CLINICAL and (ctx == 2 or (ctx and not c & NOTEWORD) or after in _PLACE_AFTER):
        if capital:
            hits.append((doc.starts[i], doc.ends[i], "LOCATION", 0.8))
    elif ctx and (keys[i] in _PLACE_PREFIX or _fresh(doc, i)) and capital:
        return _town(doc, i, ctx, hits)
    return i + 1


def _not_a_town(doc: Doc, i: int) -> bool:
    """A listed town's name used as a word: after an article or a side (A BAKER, L APEX), joined to the word
    before it (GREY-TURNER), or in lower case in mixed-case text (door closed)."""
    if not doc.caps and doc.lower(i):
        return True
    if i and doc.gap(i) == "-":
        return True
    return i > 0 and doc.keys[i - 1] in _NOT_TOWN_BEFORE and doc.near(i)


def _joined(doc: Doc, j: int) -> bool:
    """Token j-1 and token j belong to one facility name (GOOD SAMARITAN, ST. ANN'S, NEWTON-WELLESLEY)."""
    gap = doc.gap(j)
    if doc.tight(j) or gap in ("'s ", "'S ", "-"):
        return True
    return doc.keys[j - 1] in _SAINTS and doc.near(j)


_FACILITY_ANY = _FACILITY | _SAINTS | {first for first, _second in _FACILITY_PAIRS}


def _facilities(doc: Doc, hits: list[Hit]) -> None:
    keys, classes = doc.keys, doc.classes
    n = len(keys)
    for i in [i for i, k in enumerate(keys) if k in _FACILITY_ANY]:
        key = keys[i]
        end = i
        if i + 1 < n and (key, keys[i + 1]) in _FACILITY_PAIRS and doc.tight(i + 1):
            end = i + 1
        elif key not in _FACILITY:
            saint_word = key == "SAINT" and doc.gap(i + 1) == " " if i + 1 < n else False  # Saint Vincent
            dotted = i + 1 < n and "." in doc.gap(i + 1)
            if key in _SAINTS and i + 1 < n and doc.near(i + 1) and classes[i + 1] & FIRST and (dotted or saint_word):
                end_at = doc.ends[i + 1]
                if doc.text[end_at : end_at + 2].upper() == "'S":
                    end_at += 2
                hits.append((doc.starts[i], end_at, "LOCATION", 0.7))
            continue
        if end + 1 < n and keys[end + 1] in _NOT_A_PLACE_AFTER and doc.tight(end + 1):
            continue
        j = i
        proper = 0
        while j > 0 and i - j < 5 and _joined(doc, j):
            word = keys[j - 1]
            cj = classes[j - 1]
            named = word in _GENERIC or word in _FACILITY or word in _SAINTS or cj & (FIRST | LAST)
            if word in _STOP_LEFT or (cj & CLINICAL and not named):
                break
            if word in ("THE", "A", "AN"):
                break  # PAYING THE HOSPITAL BILL, Explained the hospital: a name starts after the article
            if not doc.caps and doc.lower(j - 1) and word not in _GENERIC:
                break
            j -= 1
            proper += word not in _GENERIC and word not in _SAINTS and word not in _FACILITY
        if proper:
            hits.append((doc.starts[j], doc.ends[end], "LOCATION", 0.85))


def find_places(doc: Doc, lex: Lexicon) -> list[Hit]:
    """LOCATION hits: addresses, ZIP codes, cities, counties and named facilities."""
    hits = _addresses(doc.text, doc.up, lex)
    _cities(doc, lex, hits)
    _before_services(doc, hits)
    _facilities(doc, hits)
    hits.extend(find_sites(doc, lex))
    hits.extend(find_orgs(doc, lex, hits))
    return _with_service_suffix(doc, hits)


_SERVICE_SUFFIX = frozenset({"EMS", "VNA", "NH", "LTAC", "LTACH", "SNF", "ALF"})


def _with_service_suffix(doc: Doc, hits: list[Hit]) -> list[Hit]:
    """A place's own service rides with it: BOSTON EMS, NORTH SHORE VNA, SUNRISE MANOR NH."""
    out: list[Hit] = []
    for start, end, kind, score in hits:
        k = bisect_left(doc.starts, end)
        if k < len(doc.keys) and doc.keys[k] in _SERVICE_SUFFIX and doc.text[end : doc.starts[k]] == " ":
            end = doc.ends[k]
        out.append((start, end, kind, score))
    return out
