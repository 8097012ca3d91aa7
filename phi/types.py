"""The PHI engine's value types: entity types, modes, Entity, Result, DeidContext and PHIRejected."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Literal

__all__ = [
    "ENTITY_TYPES",
    "MODES",
    "DeidContext",
    "Entity",
    "Mode",
    "PHIError",
    "PHIRejected",
    "Result",
    "normalize_mode",
]

# The 18 HIPAA Safe Harbor identifiers, as they can appear in text.  Full-face photographs and biometric
# identifiers are not text; an "other unique identifying number" is ID.
ENTITY_TYPES: tuple[str, ...] = (
    "NAME",
    "LOCATION",
    "DATE",
    "AGE",
    "PHONE",
    "FAX",
    "EMAIL",
    "SSN",
    "MRN",
    "HEALTH_PLAN",
    "ACCOUNT",
    "LICENSE",
    "VEHICLE",
    "DEVICE",
    "URL",
    "IP",
    "ID",
)

Mode = Literal["detect", "redact", "reject", "deidentify"]
MODES: tuple[Mode, ...] = ("detect", "redact", "reject", "deidentify")


def normalize_mode(mode: str) -> Mode:
    """Accept the documented spellings ("de-identify", "Redact") and return the canonical mode."""
    canon = mode.strip().lower().replace("-", "").replace("_", "")
    for known in MODES:
        if canon == known:
            return known
    raise ValueError(f"unknown PHI mode {mode!r}; expected one of {', '.join(MODES)}")


@dataclass(frozen=True, slots=True, order=True)
class Entity:
    """One detected identifier: character offsets into the analysed text, its type and a confidence."""

    start: int
    end: int
    type: str
    score: float
    recognizer: str = field(default="", compare=False)  # which recognizer found it (NAME, LOCATION, ...)
    evidence: str = field(default="", compare=False)  # why: "title before the name", "ZIP code", ...

    def to_dict(self) -> dict[str, object]:
        """The CLI's contract: offsets, type and score only (byte-compatible across releases)."""
        return {"start": self.start, "end": self.end, "type": self.type, "score": round(self.score, 3)}

    def explain(self) -> dict[str, object]:
        """`to_dict` plus the recognizer and its evidence, for a console that explains a redaction."""
        return {**self.to_dict(), "recognizer": self.recognizer, "evidence": self.evidence}


@dataclass(frozen=True, slots=True)
class Result:
    """The outcome of `Engine.process`: the (possibly rewritten) text and the entities, in input offsets.

    `entities` are the identifiers the mode handled; `allowed` are those let through by `allowed_types`;
    `spans[i]` is where `entities[i]` (or what replaced it) sits in `text`, in output offsets.
    """

    text: str
    entities: tuple[Entity, ...]
    mode: Mode
    allowed: tuple[Entity, ...] = ()
    spans: tuple[tuple[int, int], ...] = ()

    def counts(self) -> dict[str, int]:
        """How many entities of each type were handled (for audit details: types and counts, never values)."""
        return dict(sorted(Counter(e.type for e in self.entities).items()))


@dataclass(frozen=True, slots=True)
class DeidContext:
    """What de-identification needs: the organisation's HMAC key and, optionally, the subject (patient) id.

    The key makes surrogates consistent within an organisation; the subject picks the date shift, so all
    dates of one patient move by the same number of days and intervals survive.
    """

    key: bytes = field(repr=False)
    subject: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.key, bytes) or len(self.key) < 16:
            raise ValueError("the de-identification key must be at least 16 bytes")


class PHIError(Exception):
    """Base class of the PHI engine's errors."""


class PHIRejected(PHIError):
    """Raised by the `reject` mode. It names the entity types and counts found, never their values."""

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = dict(sorted(counts.items()))
        self.types = tuple(self.counts)
        super().__init__("PHI detected: " + ", ".join(f"{t} ({n})" for t, n in self.counts.items()))
