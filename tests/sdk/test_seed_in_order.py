"""The public HIPAA page read top to bottom: all eight Python samples in one namespace, in page order, against
one live server after a fresh `bootstrap_demo` as `scripts/run` runs it. Only the page's two placeholder ids
are substituted (`dep_12345abcde`: the bootstrap's local deployment; `user_12345`: a clinician the
organisation added, since an administrator may not assign a role to themself). HIPAA mode,
turned on by the first sample, stays on: the local runtime on the organisation's own machine needs no BAA.

The SDK reaches the server through the hospital's TLS terminator (a trusted reverse proxy, `forwarding_proxy`),
so the sixth sample's IP restriction (10.0.0.0/8) admits the calls after it. Provisioning runs here, in the
test process (the AWS deployment against the moto server, the local one starting the real llama.cpp server); a
real Celery worker renders the report of the fifth sample.
"""

from __future__ import annotations

import io
import os
import re
from typing import Any

import httpx
import pytest
from django.core.management import call_command

from accessctl.models import Role
from accessctl.security import settings_for
from audit.models import AuditEvent
from audit.retention import policy_for
from deployments.catalog import catalog_ensure
from deployments.models import Deployment
from deployments.tasks import provision_deployment
from tests.factories import UserFactory
from tests.sdk.forwarding_proxy import PROXY_SOURCE, forwarding_proxy
from tests.sdk.seed import SEED, python_samples
from tests.sdk.test_seed_samples import HOSPITAL_CLIENT, SEED_REDACTED

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    pytest.mark.skipif(not SEED.exists(), reason=f"the seed page is not at {SEED} (shared/ beside the checkout)"),
]


@pytest.fixture
def fresh_server(live_server, monkeypatch, settings):
    """`bootstrap_demo --api-key --local-deployment demo-assistant` as scripts/run runs it; the SDK's
    PAITIENT_BASE_URL is the hospital proxy in front of the live server, PAITIENT_API_KEY the printed key."""
    from core.network import _trusted_proxies

    catalog_ensure()  # a transactional test's flush removed the migration's rows
    queued: list[int] = []
    monkeypatch.setattr("deployments.tasks.provision_deployment.delay", queued.append)
    out = io.StringIO()
    call_command("bootstrap_demo", "--api-key", "--local-deployment", "demo-assistant", stdout=out)
    token = re.search(r"PAITIENT_API_KEY=(\S+)", out.getvalue())
    assert token, out.getvalue()
    demo = Deployment.objects.get(name="demo-assistant")
    assert queued == [demo.pk]
    settings.TRUSTED_PROXIES = [f"{PROXY_SOURCE}/32"]
    _trusted_proxies.cache_clear()
    try:
        with forwarding_proxy(live_server.url, HOSPITAL_CLIENT) as url:
            monkeypatch.setenv("PAITIENT_BASE_URL", url)
            monkeypatch.setenv("PAITIENT_API_KEY", token.group(1))
            yield {"demo": demo, "queued": queued, "url": url}
    finally:
        _trusted_proxies.cache_clear()
        from deployments.providers.local import stop_runtime

        for local in Deployment.objects.filter(provider="local"):
            pid, port = local.provider_state.get("pid"), local.provider_state.get("port")
            if pid and port:
                stop_runtime(int(pid), int(port))


def test_the_page_in_order_against_a_freshly_bootstrapped_server(fresh_server, seed_vpc, celery_worker, capsys):
    demo: Deployment = fresh_server["demo"]
    organization = demo.organization
    clinician = UserFactory.create(username="clinician", organization=organization)
    samples = [
        sample.replace("dep_12345abcde", demo.public_id).replace("user_12345", clinician.public_id)
        for sample in python_samples()
    ]
    assert len(samples) == 8
    assert provision_deployment(demo.pk) == "ready"  # what the worker does after scripts/run's bootstrap
    namespace: dict[str, Any] = {}

    def run(index: int) -> list[str]:
        exec(compile(samples[index], f"<seed sample {index + 1}>", "exec"), namespace)  # noqa: S102 - the page
        printed: list[str] = capsys.readouterr().out.splitlines()
        return printed

    # 1. HIPAA mode on, then the GPU deployment in the page's VPC: isolated as derived, checked against AWS.
    run(0)
    policy = settings_for(organization)
    assert (policy.hipaa_mode, policy.phi_detection, policy.require_mfa) == (True, True, True)
    assert policy_for(organization).log_retention_days == 365
    gpu = Deployment.objects.get(public_id=namespace["deployment"].id)
    assert gpu.provider == "aws" and gpu.security_settings["network_isolation"] is True
    assert fresh_server["queued"][-1] == gpu.pk
    assert provision_deployment(gpu.pk) == "ready"

    # 2. Redaction, in HIPAA mode, on the local runtime: no business associate, so no BAA is asked for.
    run(1)
    assert namespace["response"].processed_prompt == SEED_REDACTED
    assert namespace["response"].text.strip()
    detection = AuditEvent.objects.get(event_type="phi.detection", resource_id=demo.public_id)
    assert detection.details["prompt"] == {"DATE": 1, "NAME": 1}

    # 3. De-identification.
    run(2)
    processed = namespace["response"].processed_prompt
    match = re.fullmatch(r"Patient (.+) \(DOB: (.+)\) has been diagnosed with type 2 diabetes\.", processed)
    assert match, processed
    assert match.group(1) != "John Smith" and match.group(2) != "01/15/1965"
    assert not AuditEvent.objects.filter(event_type="model.inference", outcome="denied").exists()

    # 4. Audit logs of November 2023: a fresh server has none to print.
    assert run(3) == []
    assert namespace["audit_logs"] is not None

    # 5. The compliance report, rendered by the worker; its URL downloads with the key.
    printed = run(4)
    assert len(printed) == 1
    report = re.fullmatch(r"Report generated: (http://\S+/api/v1/reports/rpt_\w+/download\?token=\S+)", printed[0])
    assert report, printed
    key = {"Authorization": f"Bearer {os.environ['PAITIENT_API_KEY']}"}
    download = httpx.get(report.group(1), headers=key, timeout=30)
    assert download.status_code == 200 and download.content.startswith(b"%PDF-")

    # 6. A role, assigned; the IP restriction admits the hospital network (the proxy) from now on.
    run(5)
    role = Role.objects.get(organization=organization, name="clinical-viewer")
    assert list(role.assignments.values_list("user__public_id", flat=True)) == [clinician.public_id]
    assert settings_for(organization).ip_restrictions == ["10.0.0.0/8"]

    # 7. Transmission security; 8. emergency access.
    run(6)
    assert settings_for(organization).hsts_enabled is True
    run(7)
    from emergency.models import EmergencyAccessPolicy

    emergency = EmergencyAccessPolicy.objects.get(organization=organization)
    assert emergency.enabled and emergency.access_duration_hours == 4
    assert settings_for(organization).hipaa_mode is True  # never turned off along the way
