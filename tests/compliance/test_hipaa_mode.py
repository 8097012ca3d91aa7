"""HIPAA mode: it forces its controls, refuses turning them off, and gates inference on a BAA in force."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accessctl.security import settings_for
from audit.models import AuditEvent
from compliance.models import BusinessAssociateAgreement
from deployments.models import Deployment
from tests.deployments.fakes import use_echo_provider
from tests.deployments.test_gateway import SEED_PROMPT, SEED_REDACTED, make_deployment

pytestmark = pytest.mark.django_db
SETTINGS = "/api/v1/organization/security-settings"


def hipaa_on(client) -> Any:
    response = client.patch(SETTINGS, {"compliance": {"hipaa": True}}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def active_baa(organization, associate: str = "aws") -> BusinessAssociateAgreement:
    today = timezone.localdate()
    return BusinessAssociateAgreement.objects.create(
        organization=organization, counterparty="Acme Clinic", status="active", business_associate=associate,
        effective_date=today - timedelta(days=10), expiry_date=today + timedelta(days=355),
    )  # fmt: skip


def test_turning_hipaa_mode_on_forces_mfa_and_phi_detection_and_is_audited(api_client, alice, acme):
    policy = settings_for(acme)
    policy.require_mfa, policy.phi_detection = False, False
    policy.save()
    api_client.force_authenticate(alice)
    document = hipaa_on(api_client)
    assert document["compliance"]["hipaa"] is True
    assert document["compliance"]["phi_detection"] is True
    assert document["access_control"]["require_mfa"] is True
    policy.refresh_from_db()
    assert (policy.hipaa_mode, policy.require_mfa, policy.phi_detection) == (True, True, True)
    enabled = AuditEvent.objects.get(event_type="compliance.hipaa_mode.enabled")
    assert enabled.details["forced"] == ["phi_detection", "require_mfa"]
    changed = AuditEvent.objects.get(event_type="settings.changed")
    assert changed.details["after"] == {"hipaa_mode": True, "require_mfa": True, "phi_detection": True}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"access_control": {"require_mfa": False}}, "access_control.require_mfa"),
        ({"compliance": {"phi_detection": False}}, "compliance.phi_detection"),
        ({"compliance": {"audit_logging": False}}, "compliance.audit_logging"),
        ({"transmission_security": {"enforce_tls_1_2_plus": False}}, "transmission_security.enforce_tls_1_2_plus"),
    ],
)
def test_a_forced_control_cannot_be_turned_off_while_hipaa_mode_is_on(api_client, alice, acme, body, field):
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    response = api_client.patch(SETTINGS, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    policy = settings_for(acme)
    assert policy.require_mfa and policy.phi_detection


def test_hipaa_on_and_mfa_off_in_one_request_is_refused(api_client, alice, acme):
    api_client.force_authenticate(alice)
    body = {"compliance": {"hipaa": True}, "access_control": {"require_mfa": False}}
    response = api_client.patch(SETTINGS, body, format="json")
    assert response.status_code == 400
    assert "HIPAA mode requires" in response.json()["errors"]["access_control.require_mfa"][0]
    assert settings_for(acme).hipaa_mode is False


def test_turning_hipaa_mode_off_then_relaxing_is_allowed_and_audited(api_client, alice, acme):
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    off = api_client.patch(SETTINGS, {"compliance": {"hipaa": False}, "access_control": {"require_mfa": False}},
                           format="json")  # fmt: skip
    assert off.status_code == 200
    assert settings_for(acme).require_mfa is False
    assert AuditEvent.objects.filter(event_type="compliance.hipaa_mode.disabled").count() == 1


def test_hipaa_mode_requires_network_isolation_for_new_deployments(api_client, alice, acme):
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    body = {"model_name": "ZimaBlueAI/HuatuoGPT-o1-8B", "deployment_name": "open-one", "compute_type": "gpu",
            "instance_type": "g4dn.xlarge", "security_settings": {"network_isolation": False},
            "vpc_config": {"subnet_ids": ["subnet-abc123"], "security_group_ids": ["sg-123456"]}}  # fmt: skip
    response = api_client.post("/api/v1/deployments", body, format="json")
    assert response.status_code == 400
    assert "security_settings.network_isolation" in response.json()["errors"]


def test_the_local_runtime_needs_no_baa_in_hipaa_mode(api_client, alice, acme, monkeypatch):
    """The packaged runtime on the organisation's own machine: no business associate receives anything."""
    echo = use_echo_provider(monkeypatch)
    deployment = make_deployment(acme)
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    url = f"/api/v1/deployments/{deployment.public_id}/generate"
    allowed = api_client.post(url, {"prompt": SEED_PROMPT, "security_settings": {"phi_redaction": True}}, format="json")
    assert allowed.status_code == 200 and allowed.json()["processed_prompt"] == SEED_REDACTED
    assert echo.prompts == [SEED_REDACTED]


def test_the_hosted_runtime_names_paitient_as_its_business_associate(api_client, alice, acme, monkeypatch, settings):
    settings.PAITIENT_HOSTED_RUNTIME = True
    use_echo_provider(monkeypatch)
    deployment = make_deployment(acme)
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    url = f"/api/v1/deployments/{deployment.public_id}/generate"
    refused = api_client.post(url, {"prompt": "hi"}, format="json")
    assert refused.status_code == 403 and refused.json()["business_associate"] == "paitient"
    active_baa(acme, "paitient")
    assert api_client.post(url, {"prompt": "hi"}, format="json").status_code == 200


def test_inference_in_hipaa_mode_needs_a_baa_with_the_deployments_associate(api_client, alice, acme, monkeypatch):
    echo = use_echo_provider(monkeypatch)
    deployment = make_deployment(acme, instance_type="g4dn.xlarge", security_settings={"private_endpoints": True})
    Deployment.objects.filter(pk=deployment.pk).update(provider="aws", compute_type="gpu")
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    url = f"/api/v1/deployments/{deployment.public_id}/generate"
    body = {"prompt": SEED_PROMPT, "security_settings": {"phi_redaction": True}}
    refused = api_client.post(url, body, format="json")
    assert refused.status_code == 403
    assert refused.json()["type"].endswith("baa-required")
    assert "Business Associate Agreement" in refused.json()["detail"]
    assert echo.prompts == []
    assert AuditEvent.objects.get(event_type="model.inference").details["refused"] == "baa-required"
    active_baa(acme, "llm.vendor.example")  # a BAA with somebody else covers nothing here
    assert api_client.post(url, body, format="json").status_code == 403

    baa = active_baa(acme)
    allowed = api_client.post(url, body, format="json")
    assert allowed.status_code == 200 and allowed.json()["processed_prompt"] == SEED_REDACTED

    baa.expiry_date = timezone.localdate()  # expires today: no longer in force
    baa.save()
    assert api_client.post(url, body, format="json").status_code == 403


def test_hipaa_mode_refuses_a_deployment_without_network_isolation(api_client, alice, acme, monkeypatch):
    use_echo_provider(monkeypatch)
    active_baa(acme)
    exposed = make_deployment(acme, name="exposed", security_settings={"network_isolation": True})
    Deployment.objects.filter(pk=exposed.pk).update(provider="aws")  # no private endpoint: not isolated
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    response = api_client.post(f"/api/v1/deployments/{exposed.public_id}/generate", {"prompt": "hi"}, format="json")
    assert response.status_code == 409
    assert response.json()["type"].endswith("network-isolation-required")


def test_phi_detection_can_be_skipped_only_when_the_organisation_allows(api_client, alice, acme, monkeypatch):
    echo = use_echo_provider(monkeypatch)
    deployment = make_deployment(acme)
    api_client.force_authenticate(alice)
    url = f"/api/v1/deployments/{deployment.public_id}/generate"
    body = {"prompt": SEED_PROMPT, "security_settings": {"phi_detection": False}}
    refused = api_client.post(url, body, format="json")
    assert refused.status_code == 400 and "security_settings.phi_detection" in refused.json()["errors"]
    policy = settings_for(acme)
    policy.phi_detection = False
    policy.save()
    allowed = api_client.post(url, body, format="json").json()
    assert allowed["phi"]["mode"] == "off" and allowed["phi"]["entities"] == []
    assert echo.prompts == [SEED_PROMPT]
    assert AuditEvent.objects.get(event_type="model.inference").details["mode"] == "off"


VENDOR_ENDPOINT = {"url": "https://llm.vendor.example/v1", "api_key": "k", "model": "m"}
EXTERNAL = {"model_name": "HuggingFaceTB/SmolLM2-135M-Instruct", "deployment_name": "vendor-llm",
            "provider": "external", "endpoint": VENDOR_ENDPOINT}  # fmt: skip


def test_an_external_deployment_declared_isolated_is_refused_and_needs_its_vendors_baa(
    api_client, alice, acme, monkeypatch
):
    """Isolation is derived: a declared `network_isolation: true` on an external endpoint is a 400 naming the
    field; in HIPAA mode the endpoint is accepted only with a BAA in force with its vendor (not just any BAA)."""
    monkeypatch.setattr("deployments.services.egress.check_host", lambda host, port: None)  # no DNS in tests
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    active_baa(acme, "aws")  # some BAA exists, but not with this vendor
    declared = {**EXTERNAL, "security_settings": {"network_isolation": True}}
    for body in (declared, EXTERNAL):
        response = api_client.post("/api/v1/deployments", body, format="json")
        assert response.status_code == 400, response.json()
        assert "security_settings.network_isolation" in response.json()["errors"]
    assert not Deployment.objects.filter(name="vendor-llm").exists()

    active_baa(acme, "llm.vendor.example")
    assert api_client.post("/api/v1/deployments", declared, format="json").status_code == 400  # still not isolated
    created = api_client.post("/api/v1/deployments", EXTERNAL, format="json")
    assert created.status_code == 201, created.json()
    stored = Deployment.objects.get(name="vendor-llm")
    assert stored.security_settings["network_isolation"] is False


def test_a_stored_isolation_flag_on_an_external_deployment_counts_for_nothing(api_client, alice, acme, monkeypatch):
    """A row from before isolation was derived: the gate works it out again and asks for the vendor's BAA."""
    use_echo_provider(monkeypatch)
    active_baa(acme, "aws")
    legacy = make_deployment(acme, name="legacy", endpoint_url="https://llm.vendor.example/v1")
    Deployment.objects.filter(pk=legacy.pk).update(provider="external")
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    url = f"/api/v1/deployments/{legacy.public_id}/generate"
    refused = api_client.post(url, {"prompt": "hi"}, format="json")
    assert refused.status_code == 403 and refused.json()["business_associate"] == "llm.vendor.example"
    active_baa(acme, "llm.vendor.example")
    assert api_client.post(url, {"prompt": "hi"}, format="json").status_code == 200  # https + the vendor's BAA


def test_the_local_runtime_is_isolated_whatever_the_request_says(api_client, alice, acme):
    api_client.force_authenticate(alice)
    hipaa_on(api_client)
    body = {"model_name": "HuggingFaceTB/SmolLM2-135M-Instruct", "deployment_name": "on-prem",
            "security_settings": {"network_isolation": True}}  # fmt: skip
    response = api_client.post("/api/v1/deployments", body, format="json")
    assert response.status_code == 201, response.json()
    assert Deployment.objects.get(name="on-prem").security_settings["network_isolation"] is True


def test_turning_hipaa_mode_on_offers_to_raise_retention_to_six_years(api_client, alice, acme):
    from audit.retention import policy_for

    api_client.force_authenticate(alice)
    document = hipaa_on(api_client)
    (offer,) = document["offers"]
    assert offer["field"] == "compliance.log_retention_days" and offer["offered"] == 2190
    assert offer["current"] == policy_for(acme).log_retention_days < 2190
    raised = api_client.patch(SETTINGS, {"compliance": {"log_retention_days": 2190}}, format="json")
    assert raised.status_code == 200 and "offers" not in raised.json()
    assert policy_for(acme).log_retention_days == 2190
    assert "offers" not in hipaa_on(api_client)  # nothing left to offer


def test_the_console_offers_to_raise_retention_when_hipaa_mode_is_turned_on(client, alice, acme):
    client.force_login(alice)
    data = {"session_timeout_minutes": "15", "session_max_hours": "8", "concurrent_sessions_limit": "0",
            "hipaa_mode": "on"}  # fmt: skip
    response = client.post("/settings/security", data, follow=True)
    assert response.redirect_chain, response.content.decode()[:2000]
    assert settings_for(acme).hipaa_mode is True
    assert "Raise the retention to 2190 days" in response.content.decode()
