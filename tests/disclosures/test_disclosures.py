"""Accounting of disclosures: inferences and scans index keyed hashes of the identifiers they involved; a
search by a patient's identifiers finds exactly that patient's disclosures; nothing is stored in the clear."""

from __future__ import annotations

import pytest

from accessctl.actor import Actor
from audit.models import AuditEvent
from disclosures.identifiers import normalise_date, normalise_name
from disclosures.models import Disclosure, DisclosureIdentifier
from disclosures.services import DisclosureQuery, disclosure_search
from encryption.models import KeyAlgorithm, OrganizationKey
from encryption.services import keys_destroy
from scans.models import PhiScan
from scans.tasks import phi_scan_run
from tests.deployments.test_gateway import generate, make_deployment
from tests.encryption.test_at_rest import all_rows_text

pytestmark = pytest.mark.django_db

SMITH = [
    "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes.",
    "Follow-up for SMITH, JOHN Q., DOB 1/15/1965: HbA1c 7.9.",
    "Mr. john smith, born January 15, 1965, asks about metformin.",
]
DOE = "Patient Jane Doe (DOB: 03/02/1970) reports chest pain. Call 617-555-0147."


@pytest.fixture
def deployment(acme):
    return make_deployment(acme)


@pytest.fixture
def echo(monkeypatch):
    from tests.deployments.fakes import use_echo_provider

    return use_echo_provider(monkeypatch)


def search(user, organization, **identifiers):
    return disclosure_search(actor=Actor(organization=organization, user=user), query=DisclosureQuery(**identifiers))


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [("John Smith", "john smith"), ("SMITH, JOHN", "john smith"), ("Dr. John Q. Smith Jr.", "john smith"),
     ("José Álvarez-Núñez", "jose alvareznunez"), ("O'Brien, Mary-Kate", "marykate obrien")],
)  # fmt: skip
def test_names_normalise_across_case_order_accents_and_initials(spelling, expected):
    assert normalise_name(spelling) == expected


@pytest.mark.parametrize("written", ["01/15/1965", "1/15/1965", "1965-01-15", "January 15, 1965", "15 Jan 1965"])
def test_dates_of_birth_normalise_to_iso(written):
    assert normalise_date(written) == "1965-01-15"


def test_three_inferences_about_one_patient_and_one_about_another_are_told_apart(
    api_client, alice, acme, deployment, echo
):
    api_client.force_authenticate(alice)
    ids = []
    for prompt in SMITH:
        response = generate(api_client, deployment, prompt=prompt)
        assert response.status_code == 200, response.json()
        ids.append(response.json()["id"])
    other = generate(api_client, deployment, prompt=DOE, phi_handling="redact").json()["id"]

    smith = search(alice, acme, name="john smith", date_of_birth="1965-01-15")
    assert sorted(m.disclosure.reference for m in smith.matches) == sorted(ids)
    assert all(m.matched == ("name_dob",) for m in smith.matches)
    first = smith.matches[-1].disclosure
    assert first.deployment_id == deployment.public_id and first.provider == "local"
    assert first.user == alice and first.mode == "detect" and first.redacted is False

    doe = search(alice, acme, name="DOE, JANE", date_of_birth="03/02/1970")
    assert [(m.disclosure.reference, m.disclosure.redacted) for m in doe.matches] == [(other, True)]
    assert [m.disclosure.reference for m in search(alice, acme, phone="(617) 555 0147").matches] == [other]
    assert search(alice, acme, name="John Smith", date_of_birth="1965-01-16").matches == []


def test_the_search_is_audited_with_counts_never_identifiers(api_client, alice, acme, deployment, echo):
    api_client.force_authenticate(alice)
    generate(api_client, deployment, prompt=SMITH[0])
    search(alice, acme, name="John Smith", date_of_birth="01/15/1965", mrn="4455667")
    event = AuditEvent.objects.get(event_type="disclosure.searched")
    assert event.user_id == alice.public_id
    assert event.details == {"identifier_kinds": ["name_dob", "mrn"], "matches": 1, "inferences": 1, "scans": 0}
    assert "Smith" not in str(event.details) and "4455667" not in str(event.details)


def test_a_search_sees_only_its_own_organisation(api_client, alice, charlie, acme, globex, deployment, echo):
    api_client.force_authenticate(alice)
    generate(api_client, deployment, prompt=SMITH[0])
    assert search(charlie, globex, name="John Smith", date_of_birth="1965-01-15").matches == []


def test_a_scan_indexes_each_document(api_client, alice, acme):
    from django.core.files.uploadedfile import SimpleUploadedFile

    api_client.force_authenticate(alice)
    body = "\n".join([SMITH[1], "Pt Jane Doe DOB 03/02/1970, MRN 88112233."]).encode()
    scan_id = api_client.post("/api/v1/phi-scans", {"file": SimpleUploadedFile("notes.txt", body)},
                              format="multipart").json()["id"]  # fmt: skip
    assert phi_scan_run.run(PhiScan.objects.get(public_id=scan_id).pk) == "done"
    found = search(alice, acme, mrn="88112233").matches
    assert [(m.disclosure.reference, m.disclosure.kind, m.disclosure.redacted) for m in found] == [
        (scan_id, "scan", None)
    ]
    assert [m.disclosure.reference for m in search(alice, acme, name="John Smith", date_of_birth="1965-01-15").matches]


def test_no_identifier_is_stored_in_the_clear_anywhere(api_client, alice, acme, deployment, echo):
    from django.core.files.uploadedfile import SimpleUploadedFile

    canaries = ("Quillfeather", "Zebulon", "73190846", "617-555-0199", "6175550199", "zebulon.q@canary.example")
    prompt = ("Patient Zebulon Quillfeather (DOB: 02/29/1972), MRN 73190846, phone 617-555-0199, "
              "e-mail zebulon.q@canary.example, reports dizziness.")  # fmt: skip
    api_client.force_authenticate(alice)
    assert generate(api_client, deployment, prompt=prompt).status_code == 200
    assert generate(api_client, deployment, prompt=prompt, phi_handling="redact").status_code == 200
    scan = api_client.post("/api/v1/phi-scans", {"file": SimpleUploadedFile("n.txt", prompt.encode())},
                           format="multipart").json()["id"]  # fmt: skip
    phi_scan_run.run(PhiScan.objects.get(public_id=scan).pk)
    result = search(alice, acme, name="zebulon quillfeather", date_of_birth="1972-02-29", mrn="73190846",
                    phone="617 555 0199", email="Zebulon.Q@canary.example")  # fmt: skip
    assert len(result.matches) == 3
    assert set(result.matches[0].matched) == {"name_dob", "mrn", "phone", "email"}
    everything = all_rows_text()
    for canary in canaries:
        for variant in {canary, canary.lower(), canary.upper()}:
            assert variant not in everything, canary
    assert "1972-02-29" not in everything and "zebulon quillfeather" not in everything


def test_crypto_shredding_the_organisation_makes_the_index_useless(api_client, alice, acme, deployment, echo):
    api_client.force_authenticate(alice)
    generate(api_client, deployment, prompt=SMITH[0])
    assert len(search(alice, acme, name="John Smith", date_of_birth="1965-01-15").matches) == 1
    keys_destroy(actor=None, organization=acme, reason="contract ended")
    assert DisclosureIdentifier.objects.filter(organization=acme).exists()  # the digests remain...
    assert search(alice, acme, name="John Smith", date_of_birth="1965-01-15").matches == []  # ...unmatchable
    assert Disclosure.objects.filter(organization=acme).count() == 1


def test_a_key_shredded_by_another_process_is_never_used_for_a_new_disclosure(
    api_client, alice, acme, deployment, echo
):
    """The gateway keeps the active HMAC key row between calls; the disclosure INSERT checks it is still active.
    Another process (here: an UPDATE behind this process's back) shreds it: the next inference's digests are
    made with a fresh key, so its disclosure is found, and the first one is not."""
    api_client.force_authenticate(alice)
    first = generate(api_client, deployment, prompt=SMITH[0]).json()["id"]
    shredded = OrganizationKey.objects.filter(organization=acme, algorithm=KeyAlgorithm.HMAC, status="active")
    assert shredded.update(status="destroyed", sealed_secret=b"") == 1
    second = generate(api_client, deployment, prompt=SMITH[1])
    assert second.status_code == 200, second.json()
    found = search(alice, acme, name="John Smith", date_of_birth="1965-01-15").matches
    assert [m.disclosure.reference for m in found] == [second.json()["id"]] != [first]
    assert DisclosureIdentifier.objects.filter(disclosure__reference=second.json()["id"]).count() == 1


def test_a_prompt_without_identifiers_records_nothing(api_client, alice, deployment, echo):
    api_client.force_authenticate(alice)
    assert generate(api_client, deployment, prompt="What is HbA1c?").status_code == 200
    assert not Disclosure.objects.exists()


def test_the_recipient_is_the_business_associate_the_text_went_to(acme, settings):
    from disclosures.services import recipient_of
    from tests.deployments.test_gateway import make_deployment

    local = make_deployment(acme, name="on-site")
    aws = make_deployment(acme, name="in-vpc", provider="aws")
    vendor = make_deployment(acme, name="vendor", provider="external", endpoint_url="https://API.Vendor.example/v1")
    assert recipient_of(local) == ""  # stayed on the organisation's own machine: a use, not a disclosure
    assert recipient_of(aws) == "Amazon Web Services"
    assert recipient_of(vendor) == "api.vendor.example"
    settings.PAITIENT_HOSTED_RUNTIME = True
    assert recipient_of(local) == "PaiTIENT (hosted runtime)"
