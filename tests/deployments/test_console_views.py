"""Console pages for deployments: who sees what, the create form's errors, the playground, stop."""

from __future__ import annotations

import re

import pytest

from accessctl.actor import Actor
from accessctl.services import role_assign, role_create
from audit.models import AuditEvent
from deployments.models import Deployment
from deployments.providers import Generation
from deployments.services import DeploymentSpec, deployment_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SEED_PROMPT = "Patient John Smith (DOB: 01/15/1965) has been diagnosed with type 2 diabetes."
REDACTED = "Patient [REDACTED NAME] (DOB: [REDACTED DATE]) has been diagnosed with type 2 diabetes."


def make(user, name: str, *, ready: bool = False) -> Deployment:
    """A local deployment (its provisioning task is never run: on_commit does not fire in these tests)."""
    actor = Actor(organization=user.memberships.get().organization, user=user)
    deployment = deployment_create(actor=actor, spec=DeploymentSpec(deployment_name=name, model_name=SMOL))
    if ready:
        Deployment.objects.filter(pk=deployment.pk).update(state="ready", progress_percent=100, progress_stage="ready")
        deployment.refresh_from_db()
    return deployment


@pytest.fixture
def viewer(acme, alice):
    """An Acme member who may read and prompt `deployment/hipaa-*` only."""
    user = UserFactory.create(username="viewer", organization=acme)
    role = role_create(
        actor=Actor(organization=acme, user=alice),
        name="clinical-viewer",
        permissions=["deployment:read", "text:generate"],
        resource_pattern="deployment/hipaa-*",
    )
    role_assign(actor=None, organization=acme, user=user, role=role)
    return user


class FakeProvider:
    def generate(self, deployment, prompt: str, *, max_tokens: int, temperature: float) -> Generation:
        return Generation(text="Keep the HbA1c below 7%.", prompt_tokens=1, completion_tokens=1)


@pytest.fixture
def fake_provider(monkeypatch):
    monkeypatch.setattr("deployments.gateway.provider_for", lambda name: FakeProvider())


def test_list_shows_only_what_a_pattern_restricted_role_may_read(client, alice, viewer):
    hipaa, research = make(alice, "hipaa-notes"), make(alice, "research-x")
    client.force_login(viewer)
    page = client.get("/deployments/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "hipaa-notes" in html and "research-x" not in html
    assert "New deployment" not in html  # no deployment:create
    assert "/deployments/" in [item["url"] for item in page.context["nav_items"]]
    assert client.get(f"/deployments/{hipaa.public_id}/").status_code == 200
    assert client.get(f"/deployments/{research.public_id}/").status_code == 403
    assert client.get("/deployments/new").status_code == 403


def test_admin_sees_all_and_the_new_button_but_not_another_organisations(client, alice, charlie):
    make(alice, "hipaa-notes")
    theirs = make(charlie, "globex-notes")
    client.force_login(alice)
    html = client.get("/deployments/").content.decode()
    assert "hipaa-notes" in html and "globex-notes" not in html
    assert 'href="/deployments/new"' in html
    assert client.get(f"/deployments/{theirs.public_id}/").status_code == 404
    assert client.post(f"/deployments/{theirs.public_id}/stop").status_code == 404
    assert Deployment.objects.get(pk=theirs.pk).state == "pending"


def test_a_member_without_roles_is_refused(client, alice, bob):
    client.force_login(bob)
    assert client.get("/deployments/").status_code == 403
    assert client.get("/deployments/new").status_code == 403
    assert client.post("/deployments/new", {"deployment_name": "x"}).status_code == 403


def create_form(**overrides: str) -> dict[str, str]:
    data = {
        "deployment_name": "triage-bot",
        "model_name": SMOL,
        "provider": "local",
        "compute_type": "cpu",
        "encryption_level": "maximum",
        "network_isolation": "on",
        "tags": "compliance=hipaa\nteam = triage",
    }
    return {**data, **overrides}


def test_create_form_creates_a_pending_deployment_and_shows_it(client, alice):
    client.force_login(alice)
    response = client.post("/deployments/new", create_form())
    deployment = Deployment.objects.get(name="triage-bot")
    assert response.status_code == 302 and response["Location"] == f"/deployments/{deployment.public_id}/"
    assert deployment.provider == "local" and deployment.state == "pending"
    assert deployment.tags == {"compliance": "hipaa", "team": "triage"}
    assert deployment.security_settings == {
        "network_isolation": True,
        "private_endpoints": False,
        "encryption_level": "maximum",
    }
    html = client.get(response["Location"]).content.decode()
    assert 'data-testid="deployment-state">pending<' in html
    assert f'hx-get="/deployments/{deployment.public_id}/progress"' in html  # polls while moving


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"deployment_name": "Bad Name"}, "deployment_name", "lower-case letters"),
        (
            {
                "provider": "aws",
                "instance_type": "g4dn.xlarge",
                "compute_type": "gpu",
                "security_group_ids": "sg-abc123",
            },
            "subnet_ids",
            "subnet ids",
        ),
        (
            {"provider": "aws", "instance_type": "g4dn.xlarge", "subnet_ids": "subnet-abc123, subnet-def456"},
            "security_group_ids",
            "security group",
        ),
        (
            {
                "provider": "aws",
                "instance_type": "t3.micro",
                "compute_type": "gpu",
                "subnet_ids": "subnet-abc123",
                "security_group_ids": "sg-abc123",
            },
            "instance_type",
            "no GPU",
        ),
        ({"provider": "local", "private_endpoints": "on"}, "private_endpoints", "loopback"),
        ({"provider": "external", "endpoint_url": "http://llm.example.org/v1"}, "endpoint_url", "https://"),
        ({"tags": "no equals sign"}, "tags", "key=value"),
        ({"model_name": "acme/unknown"}, "model_name", "valid choice"),
    ],
)
def test_create_form_shows_each_error_on_its_field(client, alice, overrides, field, message):
    client.force_login(alice)
    response = client.post("/deployments/new", create_form(**overrides))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field], errors
    assert message in errors[field][0]
    assert f'data-field="{field}"' in response.content.decode()
    assert not Deployment.objects.exists()


def test_the_endpoint_api_key_is_never_rendered_back(client, alice):
    client.force_login(alice)
    data = create_form(provider="external", endpoint_url="ftp://x", api_key="sk-very-secret-1234")
    response = client.post("/deployments/new", data)
    assert "endpoint_url" in response.context["form"].errors
    assert "sk-very-secret-1234" not in response.content.decode()


def test_a_name_outside_the_creators_pattern_is_a_403(client, acme, alice):
    creator = UserFactory.create(username="creator", organization=acme)
    role = role_create(
        actor=Actor(organization=acme, user=alice),
        name="hipaa-creator",
        permissions=["deployment:read", "deployment:create"],
        resource_pattern="deployment/hipaa-*",
    )
    role_assign(actor=None, organization=acme, user=creator, role=role)
    client.force_login(creator)
    assert client.get("/deployments/new").status_code == 200
    assert client.post("/deployments/new", create_form(deployment_name="research-y")).status_code == 403
    assert client.post("/deployments/new", create_form(deployment_name="hipaa-y")).status_code == 302


def test_playground_redacts_before_the_model_and_records_the_inference(client, alice, fake_provider):
    deployment = make(alice, "hipaa-notes", ready=True)
    client.force_login(alice)
    url = f"/deployments/{deployment.public_id}/playground"
    assert client.get(url).status_code == 405  # POST only: a prompt never travels in a URL
    response = client.post(
        url,
        {"prompt": SEED_PROMPT, "phi_handling": "redact", "max_tokens": "32", "temperature": "0.2"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert response["HX-Trigger"] == "inference-recorded"
    html = response.content.decode()
    processed = html.split('data-testid="processed-prompt">', 1)[1].split("</pre>", 1)[0]
    assert re.sub(r'<span class="phi-tip">[^<]*</span>|<[^>]+>', "", processed) == REDACTED
    assert '<mark class="phi phi-name" tabindex="0" data-phi-type="NAME">[REDACTED NAME]' in processed
    assert "John Smith" not in processed and "01/15/1965" not in processed  # only in "Your prompt", marked
    assert '<pre class="marked answer" data-testid="answer">Keep the HbA1c below 7%.</pre>' in html
    assert '<tr data-type="NAME"><td>NAME</td><td>1</td><td>0</td></tr>' in html
    assert '<tr data-type="DATE"><td>DATE</td><td>1</td><td>0</td></tr>' in html
    assert "character offsets" not in html and "<td>8</td><td>18</td>" not in html  # marks, not positions
    event = AuditEvent.objects.get(event_type="model.inference", resource_id=deployment.public_id)
    assert event.outcome == "success" and event.details["mode"] == "redact"
    table = client.get(f"/deployments/{deployment.public_id}/inferences").content.decode()
    assert "alice" in table and "redact" in table


def test_playground_without_htmx_renders_the_page_without_echoing_the_prompt(client, alice, fake_provider):
    deployment = make(alice, "hipaa-notes", ready=True)
    client.force_login(alice)
    response = client.post(
        f"/deployments/{deployment.public_id}/playground",
        {"prompt": SEED_PROMPT, "phi_handling": "redact", "max_tokens": "32", "temperature": "0"},
    )
    html = response.content.decode()
    assert response.status_code == 200 and "<h1>hipaa-notes</h1>" in html
    assert "[REDACTED NAME]" in html
    prompt_box = html.split('name="prompt"', 1)[1].split("</textarea>", 1)[0]
    assert "John" not in prompt_box  # the prompt is shown marked in the result, never put back into the box
    assert "no-store" in response["Cache-Control"]


def test_playground_reject_mode_names_the_refused_types(client, alice, fake_provider):
    deployment = make(alice, "hipaa-notes", ready=True)
    client.force_login(alice)
    response = client.post(
        f"/deployments/{deployment.public_id}/playground",
        {"prompt": SEED_PROMPT, "phi_handling": "reject", "max_tokens": "32", "temperature": "0"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert 'data-code="phi-rejected"' in html
    assert '<strong data-testid="refused-types">DATE, NAME</strong>' in html
    assert 'data-testid="processed-prompt"' not in html
    event = AuditEvent.objects.get(event_type="model.inference", resource_id=deployment.public_id)
    assert event.outcome == "denied" and event.details["refused"] == "phi-rejected"


def test_playground_shows_other_refusals_and_field_errors(client, alice, fake_provider):
    pending = make(alice, "hipaa-notes")
    client.force_login(alice)
    url = f"/deployments/{pending.public_id}/playground"
    form = {"prompt": "What is HbA1c?", "phi_handling": "redact", "max_tokens": "32", "temperature": "0"}
    html = client.post(url, form, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-code="deployment-not-ready"' in html and "The deployment is pending, not ready." in html
    html = client.post(url, {**form, "max_tokens": "0"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-field="max_tokens"' in html


def test_playground_needs_text_generate(client, acme, alice, fake_provider):
    deployment = make(alice, "hipaa-notes", ready=True)
    reader = UserFactory.create(username="reader", organization=acme)
    role = role_create(actor=Actor(organization=acme, user=alice), name="reader", permissions=["deployment:read"])
    role_assign(actor=None, organization=acme, user=reader, role=role)
    client.force_login(reader)
    assert "Playground" not in client.get(f"/deployments/{deployment.public_id}/").content.decode()
    response = client.post(
        f"/deployments/{deployment.public_id}/playground",
        {"prompt": "hi", "phi_handling": "redact", "max_tokens": "8", "temperature": "0"},
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(event_type="model.inference").exists()


def test_progress_partial_polls_only_while_the_deployment_moves(client, alice):
    deployment = make(alice, "hipaa-notes")
    client.force_login(alice)
    url = f"/deployments/{deployment.public_id}/progress"
    assert 'hx-trigger="every 1s"' in client.get(url).content.decode()
    Deployment.objects.filter(pk=deployment.pk).update(state="failed", failure_reason="the llama.cpp server exited")
    html = client.get(url).content.decode()
    assert "hx-trigger" not in html
    assert 'data-testid="failure-reason">the llama.cpp server exited<' in html


def test_stop_button_moves_the_deployment_to_stopping(client, alice, viewer, django_capture_on_commit_callbacks):
    deployment = make(alice, "hipaa-notes", ready=True)
    client.force_login(viewer)  # may read, not stop
    assert "Stop hipaa-notes" not in client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert client.post(f"/deployments/{deployment.public_id}/stop").status_code == 403
    client.force_login(alice)
    assert "Stop hipaa-notes" in client.get(f"/deployments/{deployment.public_id}/").content.decode()
    assert client.get(f"/deployments/{deployment.public_id}/stop").status_code == 405
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(f"/deployments/{deployment.public_id}/stop", {"confirmed": "yes"})
    assert response.status_code == 302
    assert Deployment.objects.get(pk=deployment.pk).state == "stopping"
    assert len(callbacks) == 1  # the deprovisioning task
    html = client.get(response["Location"]).content.decode()
    assert "Stop hipaa-notes" not in html and 'data-testid="deployment-state">stopping<' in html


def test_the_create_form_shows_every_error_at_once(client, alice):
    client.force_login(alice)
    response = client.post(
        "/deployments/new",
        {"deployment_name": "Bad Name!", "model_name": "HuggingFaceTB/SmolLM2-135M-Instruct", "provider": "aws",
         "compute_type": "gpu", "encryption_level": "maximum", "subnet_ids": "not-a-subnet"},
    )  # fmt: skip
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert {"deployment_name", "instance_type", "subnet_ids", "security_group_ids"} <= set(errors)
    assert "Fix the 4 fields marked below." in response.content.decode()


def test_settings_of_another_provider_are_ignored_not_refused(client, alice, django_capture_on_commit_callbacks):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/deployments/new",
            {"deployment_name": "local-one", "model_name": "HuggingFaceTB/SmolLM2-135M-Instruct", "provider": "local",
             "compute_type": "cpu", "encryption_level": "maximum", "subnet_ids": "garbage", "endpoint_url": "x"},
        )  # fmt: skip
    assert response.status_code == 302


def test_only_a_ready_deployment_offers_the_playground(client, alice, acme):
    from tests.deployments.test_gateway import make_deployment

    ready = make_deployment(acme, name="ready-one")
    stopped = make_deployment(acme, name="stopped-one", state="stopped")
    client.force_login(alice)
    assert 'id="playground-heading"' in client.get(f"/deployments/{ready.public_id}/").content.decode()
    assert 'id="playground-heading"' not in client.get(f"/deployments/{stopped.public_id}/").content.decode()


def test_the_poll_that_sees_ready_reloads_the_page_for_the_playground(client, alice, acme):
    from tests.deployments.test_gateway import make_deployment

    deployment = make_deployment(acme, name="just-ready")
    client.force_login(alice)
    polled = client.get(f"/deployments/{deployment.public_id}/progress", HTTP_X_POLL="1")
    assert polled["HX-Refresh"] == "true"
    assert "HX-Refresh" not in client.get(f"/deployments/{deployment.public_id}/progress")
