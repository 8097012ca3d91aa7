"""The four-factor breach risk assessment of 45 CFR 164.402(2): the scored choices and the computed result.

An impermissible use or disclosure of PHI is presumed a breach unless a documented assessment of the four
factors shows a low probability that the PHI has been compromised. Each factor is a choice scored 0 (low
risk), 1 (moderate) or 2 (high); the result is computed from the scores (see `compute` and docs/incidents.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

LOW_PROBABILITY = "low_probability"
NOTIFIABLE = "notifiable_breach"
RESULTS = {LOW_PROBABILITY: "Low probability of compromise", NOTIFIABLE: "Notifiable breach"}


@dataclass(frozen=True)
class Factor:
    key: str
    number: int
    title: str
    citation: str
    options: tuple[tuple[str, str, int], ...]  # (value, label, score)

    def score(self, value: str) -> int:
        return next(score for option, _, score in self.options if option == value)

    def label(self, value: str) -> str:
        return next(label for option, label, _ in self.options if option == value)

    @property
    def choices(self) -> list[tuple[str, str]]:
        return [(value, label) for value, label, _ in self.options]


FACTORS: dict[str, Factor] = {
    factor.key: factor
    for factor in (
        Factor("nature_extent", 1, "Nature and extent of the PHI", "164.402(2)(i)", (
            ("limited", "Limited: few identifiers and nothing sensitive", 0),
            ("moderate", "Moderate: identifiers that allow re-identification, or some clinical detail", 1),
            ("extensive", "Extensive: direct identifiers with clinical, financial or other sensitive detail", 2),
        )),
        Factor("recipient", 2, "The unauthorised person who used the PHI or to whom it was disclosed",
               "164.402(2)(ii)", (
            ("covered_entity", "A covered entity, business associate or workforce member bound by HIPAA", 0),
            ("internal_unauthorised", "A member of our workforce without authorisation for this PHI", 1),
            ("external", "An external or unknown person", 2),
        )),
        Factor("acquired", 3, "Whether the PHI was actually acquired or viewed", "164.402(2)(iii)", (
            ("not_acquired", "Not acquired or viewed (shown by forensic analysis or logs)", 0),
            ("unknown", "Cannot be determined (presumed acquired)", 2),
            ("acquired", "Acquired or viewed", 2),
        )),
        Factor("mitigation", 4, "The extent to which the risk to the PHI has been mitigated", "164.402(2)(iv)", (
            ("full", "Mitigated: PHI returned or destroyed, with satisfactory assurances", 0),
            ("partial", "Partly mitigated", 1),
            ("none", "Not mitigated", 2),
        )),
    )
}  # fmt: skip

REIDENTIFICATION: tuple[tuple[str, str, int], ...] = (
    ("low", "Unlikely", 0),
    ("moderate", "Possible", 1),
    ("high", "Likely", 2),
)

IDENTIFIER_TYPES: dict[str, str] = {
    "names": "Names",
    "addresses": "Addresses",
    "dates": "Dates (birth, admission, discharge, death)",
    "phone_numbers": "Telephone or fax numbers",
    "email_addresses": "Email addresses",
    "ssn": "Social Security numbers",
    "medical_record_numbers": "Medical record numbers",
    "health_plan_numbers": "Health plan beneficiary numbers",
    "account_numbers": "Account, credit or debit card numbers",
    "license_numbers": "Certificate or licence numbers",
    "device_identifiers": "Device or vehicle identifiers",
    "biometric": "Biometric identifiers or full-face photographs",
    "diagnoses": "Diagnoses or conditions",
    "treatment": "Treatment, procedures or medications",
    "lab_results": "Laboratory or test results",
    "financial": "Claims or other financial information",
}
# Types whose exposure makes identity theft or financial harm likely: factor 1 counts as high with any of them.
SENSITIVE_TYPES = frozenset({"ssn", "account_numbers", "financial", "license_numbers", "biometric"})


@dataclass(frozen=True)
class Answers:
    nature_extent: str
    recipient: str
    acquired: str
    mitigation: str
    identifier_types: tuple[str, ...] = ()
    reidentification: str = "low"


@dataclass(frozen=True)
class Outcome:
    result: str
    scores: dict[str, int]
    reasoning: list[str]


def _reidentification_score(value: str) -> int:
    return next(score for option, _, score in REIDENTIFICATION if option == value)


def invalid_field(answers: Answers) -> tuple[str, str] | None:
    """(field, message) for the first answer outside its choices, or None."""
    for key, factor in FACTORS.items():
        value = getattr(answers, key)
        if value not in {option for option, _, _ in factor.options}:
            return key, f"Choose one of: {', '.join(option for option, _, _ in factor.options)}."
    if answers.reidentification not in {option for option, _, _ in REIDENTIFICATION}:
        return "reidentification", "Choose one of: low, moderate, high."
    unknown = sorted(set(answers.identifier_types) - set(IDENTIFIER_TYPES))
    if unknown:
        return "identifier_types", f"Unknown identifier types: {', '.join(unknown)}."
    return None


def compute(answers: Answers) -> Outcome:
    """Score the four factors and decide. Breach is the presumption; low probability needs one of:
    the PHI was neither acquired nor viewed and the risk is fully mitigated; the recipient is bound by HIPAA,
    the risk is fully mitigated and factor 1 is not high; or no factor scores high and the four scores sum
    to 2 or less."""
    scores = {key: factor.score(getattr(answers, key)) for key, factor in FACTORS.items()}
    sensitive = sorted(SENSITIVE_TYPES & set(answers.identifier_types))
    reid = _reidentification_score(answers.reidentification)
    nature_choice = scores["nature_extent"]
    scores["nature_extent"] = max(nature_choice, reid, 2 if sensitive else 0)
    reasoning: list[str] = []
    for key, factor in FACTORS.items():
        value = getattr(answers, key)
        line = (
            f"Factor {factor.number} ({factor.title}, {factor.citation}): {factor.label(value)} — score {scores[key]}."
        )
        if key == "nature_extent":
            types = ", ".join(IDENTIFIER_TYPES[t] for t in answers.identifier_types) or "none recorded"
            line += f" Identifier types: {types}. Re-identification: {answers.reidentification}."
            if scores[key] > nature_choice:
                why = f"sensitive identifiers ({', '.join(sensitive)})" if sensitive else "re-identification risk"
                line += f" Raised from {nature_choice} because of {why}."
        reasoning.append(line)
    total = sum(scores.values())
    high = [FACTORS[key].number for key, score in scores.items() if score >= 2]
    if answers.acquired == "not_acquired" and answers.mitigation == "full":
        result = LOW_PROBABILITY
        reasoning.append(
            "The PHI was not acquired or viewed and the risk has been fully mitigated: low probability of compromise."
        )
    elif answers.recipient == "covered_entity" and answers.mitigation == "full" and scores["nature_extent"] < 2:
        result = LOW_PROBABILITY
        reasoning.append(
            "The recipient is bound by HIPAA, the PHI was returned or destroyed with satisfactory assurances, and it "
            "was not extensive or sensitive: low probability of compromise."
        )
    elif high:
        result = NOTIFIABLE
        named = ", ".join(str(n) for n in high)
        reasoning.append(f"Factor(s) {named} score high: a low probability of compromise is not demonstrated.")
    elif total <= 2:
        result = LOW_PROBABILITY
        reasoning.append(f"No factor scores high and the total score is {total} (at most 2): low probability.")
    else:
        result = NOTIFIABLE
        reasoning.append(f"The total score is {total} (above 2): a low probability of compromise is not demonstrated.")
    return Outcome(result=result, scores=scores, reasoning=reasoning)


def describe(scores: dict[str, Any]) -> list[dict[str, Any]]:
    """Factor rows for display: number, title, citation and score."""
    return [
        {"key": key, "number": f.number, "title": f.title, "citation": f.citation, "score": scores.get(key)}
        for key, f in FACTORS.items()
    ]
