"""The four-factor risk assessment: combinations give the result, with the reasoning stored; versions are kept."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from incidents.assessment import LOW_PROBABILITY, NOTIFIABLE, Answers, compute
from incidents.models import Incident, RiskAssessment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("nature", "recipient", "acquired", "mitigation", "types", "reid", "expected"),
    [
        # not acquired and fully mitigated: low, whatever was on the lost device
        ("extensive", "external", "not_acquired", "full", ("ssn",), "high", LOW_PROBABILITY),
        # a misdirected fax to another covered entity, read, then destroyed with assurances
        ("limited", "covered_entity", "acquired", "full", ("names",), "low", LOW_PROBABILITY),
        ("extensive", "covered_entity", "acquired", "full", (), "low", NOTIFIABLE),
        ("limited", "covered_entity", "acquired", "full", ("account_numbers",), "low", NOTIFIABLE),
        ("limited", "covered_entity", "not_acquired", "partial", (), "low", LOW_PROBABILITY),
        ("moderate", "internal_unauthorised", "not_acquired", "full", (), "moderate", LOW_PROBABILITY),
        ("moderate", "internal_unauthorised", "not_acquired", "partial", (), "low", NOTIFIABLE),  # total 3
        ("limited", "internal_unauthorised", "not_acquired", "partial", (), "low", LOW_PROBABILITY),  # total 2
        ("limited", "internal_unauthorised", "unknown", "full", (), "low", NOTIFIABLE),  # unknown counts as acquired
        ("limited", "external", "not_acquired", "partial", (), "low", NOTIFIABLE),  # external: high
        # sensitive identifier types raise factor 1 to high
        ("limited", "covered_entity", "not_acquired", "partial", ("ssn",), "low", NOTIFIABLE),
        ("limited", "covered_entity", "not_acquired", "partial", (), "high", NOTIFIABLE),
    ],
)
def test_combinations(nature, recipient, acquired, mitigation, types, reid, expected):
    outcome = compute(Answers(nature, recipient, acquired, mitigation, types, reid))
    assert outcome.result == expected
    assert len(outcome.reasoning) == 5 and outcome.reasoning[0].startswith("Factor 1 (Nature and extent")


def test_reasoning_says_why_factor_one_was_raised():
    outcome = compute(Answers("limited", "covered_entity", "not_acquired", "partial", ("ssn", "names"), "low"))
    assert outcome.scores == {"nature_extent": 2, "recipient": 0, "acquired": 0, "mitigation": 1}
    assert "Raised from 0 because of sensitive identifiers (ssn)" in outcome.reasoning[0]
    assert outcome.reasoning[-1] == "Factor(s) 1 score high: a low probability of compromise is not demonstrated."


BODY = {
    "nature_extent": "moderate",
    "identifier_types": ["names", "diagnoses"],
    "reidentification": "moderate",
    "recipient": "external",
    "acquired": "unknown",
    "mitigation": "partial",
    "acquired_notes": "Patient Jane Roe's chart was on the stolen laptop",
    "affected_individuals": 620,
    "affected_by_jurisdiction": {"CA": 520, "ny": 100},
}


@pytest.fixture
def incident(acme):
    from django.utils import timezone

    return Incident.objects.create(
        organization=acme, title="Laptop stolen", discovered_at=timezone.now(), source="manual"
    )


def test_recording_an_assessment_stores_result_reasoning_and_counts(api_client, alice, incident):
    api_client.force_authenticate(alice)
    response = api_client.post(f"/api/v1/incidents/{incident.public_id}/assessment", BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["result"] == "notifiable_breach" and body["version"] == 1
    assert body["affected_by_jurisdiction"] == {"CA": 520, "NY": 100}
    assert body["notes"]["acquired"] == BODY["acquired_notes"]
    stored = RiskAssessment.objects.get()
    assert stored.reasoning == body["reasoning"] and "Factor(s) 2, 3 score high" in stored.reasoning[-1]
    raw = RiskAssessment.objects.filter(pk=stored.pk).values_list("acquired_notes", flat=True).get()
    assert b"Jane Roe" not in bytes(raw)
    event = AuditEvent.objects.get(event_type="incident.assessed")
    assert event.details["result"] == "notifiable_breach" and event.details["media_jurisdictions"] == ["CA"]
    assert "Jane" not in str(event.details)
    deadlines = api_client.get(f"/api/v1/incidents/{incident.public_id}/deadlines").json()["results"]
    assert [(d["kind"], d["jurisdiction"]) for d in deadlines] == [("individual", None), ("media", "CA"), ("hhs", None)]


def test_a_new_assessment_adds_a_version(api_client, alice, incident):
    api_client.force_authenticate(alice)
    url = f"/api/v1/incidents/{incident.public_id}/assessment"
    api_client.post(url, BODY, format="json")
    lower = {**BODY, "acquired": "not_acquired", "mitigation": "full", "acquired_notes": "forensics: never opened"}
    second = api_client.post(url, lower, format="json").json()
    assert (second["version"], second["result"]) == (2, "low_probability")
    assert list(incident.assessments.order_by("version").values_list("result", flat=True)) == [
        "notifiable_breach",
        "low_probability",
    ]
    assert api_client.get(f"/api/v1/incidents/{incident.public_id}/deadlines").json()["results"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"recipient": "martians"}, "recipient"),
        ({"identifier_types": ["shoe_size"]}, "identifier_types.0"),
        ({"affected_by_jurisdiction": {"ZZ": 3}}, "affected_by_jurisdiction"),
        ({"affected_by_jurisdiction": {"CA": 900}}, "affected_by_jurisdiction"),
        ({"affected_individuals": -1}, "affected_individuals"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_bad_answers_name_the_field(api_client, alice, incident, change, field):
    api_client.force_authenticate(alice)
    response = api_client.post(f"/api/v1/incidents/{incident.public_id}/assessment", {**BODY, **change}, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    assert not RiskAssessment.objects.exists()
