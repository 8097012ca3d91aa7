"""`/metrics`: off without a token, refused without it, and after a few inferences it shows the gateway's
stage timings, route latency, PHI detections and the audit sequencing lag; no label ever carries PHI."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from audit.services import sequence_all
from portal.celery import app
from tests.deployments.fakes import use_echo_provider
from tests.deployments.test_gateway import make_deployment

pytestmark = pytest.mark.django_db

TOKEN = "scrape-token-for-tests-0123456789"
# A prompt full of identifiers nobody else uses: none of it may reach a metric name, label or value text.
CANARY_NAME = "Zebediah Quillfeather"
CANARY_MRN = "MRN 88123457"
CANARY_EMAIL = "zeb.quill@canary-health.example"
CANARY_PROMPT = f"Patient {CANARY_NAME} ({CANARY_MRN}, {CANARY_EMAIL}) was seen on 03/02/2024 for diabetes follow-up."


@pytest.fixture
def token(settings) -> str:
    settings.PAITIENT_METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client, token: str = TOKEN) -> str:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:200]
    assert response["Content-Type"].startswith("text/plain")
    text: str = response.content.decode()
    return text


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float:
    return samples(text).get((name, tuple(sorted(labels.items()))), 0.0)


def infer(api_client, deployment, prompt: str = CANARY_PROMPT, mode: str = "redact") -> None:
    body = {"prompt": prompt, "max_tokens": 16, "security_settings": {"phi_handling": mode}}
    response = api_client.post(f"/api/v1/deployments/{deployment.public_id}/generate", body, format="json")
    assert response.status_code == 200, response.json()


def test_metrics_are_off_until_the_operator_sets_a_token(client, settings):
    settings.PAITIENT_METRICS_TOKEN = ""
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("header", ["", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"])
def test_a_scrape_without_the_token_is_refused(client, token, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = client.get("/metrics", **extra)
    assert response.status_code == 401
    assert "paitient_" not in response.content.decode()


def test_after_a_few_inferences_the_gateway_histograms_and_the_sequencing_lag_are_non_zero(
    client, api_client, alice, acme, token, monkeypatch
):
    use_echo_provider(monkeypatch)
    deployment = make_deployment(acme)
    api_client.force_authenticate(alice)
    before = scrape(client)
    for _ in range(3):
        infer(api_client, deployment)
    after = scrape(client)

    for stage in ("policy", "compliance", "phi_prompt", "provider", "phi_answer", "audit"):
        calls = value(after, "paitient_gateway_stage_seconds_count", stage=stage)
        assert calls - value(before, "paitient_gateway_stage_seconds_count", stage=stage) == 3, stage
        assert value(after, "paitient_gateway_stage_seconds_sum", stage=stage) > 0, stage
    assert (
        value(after, "paitient_gateway_calls_total", mode="redact", outcome="success")
        - value(before, "paitient_gateway_calls_total", mode="redact", outcome="success")
        == 3
    )
    name_hits = value(after, "paitient_phi_detections_total", entity_type="NAME", mode="redact", where="prompt")
    assert name_hits - value(before, "paitient_phi_detections_total", entity_type="NAME", mode="redact",
                             where="prompt") >= 3  # fmt: skip
    route = ("paitient_django_http_requests_latency_seconds_by_view_method_count", "POST")
    assert (
        value(after, route[0], view="api-generate", method=route[1])
        - value(before, route[0], view="api-generate", method=route[1])
        == 3
    )
    # Not yet sequenced: the backlog and the age of its oldest event show.
    assert value(after, "paitient_audit_unsequenced_events") >= 9  # phi.detection, model.inference, disclosure
    assert value(after, "paitient_audit_sequencing_lag_seconds_now") > 0
    assert value(after, "paitient_deployments", state="ready") == 1
    assert value(after, "paitient_database_up") == 1

    sequence_all()
    sequenced = scrape(client)
    assert value(sequenced, "paitient_audit_unsequenced_events") == 0
    assert value(sequenced, "paitient_audit_sequencing_lag_seconds_now") == 0
    assert (
        value(sequenced, "paitient_audit_sequencing_lag_seconds_count")
        - value(after, "paitient_audit_sequencing_lag_seconds_count")
        >= 9
    )
    assert value(sequenced, "paitient_audit_sequencing_last_batch_lag_seconds") > 0
    assert (
        value(sequenced, "paitient_audit_events_appended_total")
        >= value(sequenced, "paitient_audit_events_sequenced_total")
        > 0
    )


def test_celery_queue_depth_is_reported_per_queue(client, token):
    text = scrape(client)
    assert value(text, "paitient_broker_up") == 1
    queues = {dict(labels)["queue"] for name, labels in samples(text) if name == "paitient_celery_queue_depth"}
    assert queues == {"provisioning", "phi", "reports", "maintenance"}


def test_a_failed_task_is_counted_by_its_registered_name_only(client, token):
    from celery.signals import task_failure

    from audit.tasks import sequence_pending
    from core.metrics import CELERY_TASK_FAILURES

    task = app.tasks[sequence_pending.name]
    before = CELERY_TASK_FAILURES.labels("audit.tasks.sequence_pending")._value.get()
    task_failure.send(sender=task, task_id="t1", exception=RuntimeError("x"), args=(), kwargs={})

    class Impostor:
        name = f"patient {CANARY_NAME}"

    task_failure.send(sender=Impostor(), task_id="t2", exception=RuntimeError("x"), args=(), kwargs={})
    text = scrape(client)
    assert value(text, "paitient_celery_task_failures_total", task="audit.tasks.sequence_pending") == before + 1
    assert value(text, "paitient_celery_task_failures_total", task="other") >= 1
    assert CANARY_NAME not in text


def test_no_metric_label_carries_prompt_text_names_or_identifiers(client, api_client, alice, acme, token, monkeypatch):
    """The canary: after inferences in every mode with a prompt of unique identifiers, nothing from the
    prompt, the people or the organisation appears anywhere in the scrape, and labels keep to fixed sets."""
    use_echo_provider(monkeypatch)
    deployment = make_deployment(acme, name="zebediah-quillfeather-notes")
    api_client.force_authenticate(alice)
    for mode in ("detect", "redact", "deidentify"):
        infer(api_client, deployment, mode=mode)
    api_client.post(f"/api/v1/deployments/{deployment.public_id}/generate?patient={CANARY_MRN}", {}, format="json")
    client.get(f"/no-such-page/{CANARY_NAME.replace(' ', '-')}")
    text = scrape(client)

    forbidden = [CANARY_NAME, *CANARY_NAME.split(), CANARY_MRN, "88123457", CANARY_EMAIL, "canary-health", "quill",
                 alice.username, alice.public_id, alice.email, acme.name, acme.public_id, deployment.public_id,
                 deployment.name]  # fmt: skip
    lowered = text.lower()
    for needle in forbidden:
        assert needle.lower() not in lowered, needle
    allowed_label_value = re.compile(r"^[A-Za-z0-9_.:<>/ +'\[\],-]{0,120}$")  # route, template, task names
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            for label, label_text in sample.labels.items():
                if label == "le":  # a histogram bucket's bound: a number
                    float(label_text)
                    continue
                assert allowed_label_value.match(label_text), (sample.name, label, label_text)
                assert "@" not in label_text and not re.search(r"\d{5,}", label_text), (sample.name, label_text)


def test_the_grafana_dashboard_and_prometheus_config_use_metrics_that_exist(client, api_client, alice, acme, token,
                                                                          monkeypatch):  # fmt: skip
    """Every series the dashboard queries is in a real scrape, and Prometheus scrapes /metrics with the token."""
    import json
    from pathlib import Path

    import yaml

    use_echo_provider(monkeypatch)
    api_client.force_authenticate(alice)
    infer(api_client, make_deployment(acme))
    sequence_all()
    from celery.signals import task_failure

    from audit.tasks import sequence_pending

    task_failure.send(sender=sequence_pending, task_id="t", exception=RuntimeError("x"), args=(), kwargs={})
    exposed = {name for name, _ in samples(scrape(client))}
    docker = Path(__file__).resolve().parents[2] / "docker"
    dashboard = json.loads((docker / "grafana" / "dashboards" / "paitient.json").read_text())
    queried = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"\bpaitient_[a-z_]+", target["expr"])
    }
    assert len(queried) >= 12
    assert queried <= exposed, sorted(queried - exposed)

    prometheus = yaml.safe_load((docker / "prometheus.yml").read_text())
    (job,) = prometheus["scrape_configs"]
    assert job["metrics_path"] == "/metrics" and job["authorization"]["type"] == "Bearer"
    compose = yaml.safe_load((docker / "compose.yaml").read_text())
    assert {"prometheus", "grafana"} <= set(compose["services"])
    assert compose["secrets"]["metrics_token"]["environment"] == "PAITIENT_METRICS_TOKEN"
    web_env = compose["services"]["web"]["environment"]
    assert web_env["PAITIENT_METRICS_TOKEN"].startswith("${PAITIENT_METRICS_TOKEN:?")
    assert (
        web_env["PAITIENT_METRICS_EXTRA_DIRS"]
        == compose["services"]["worker"]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
    )


def test_figures_of_every_process_and_container_folder_add_up(tmp_path):
    """Multiprocess mode as gunicorn and Celery run it: two processes write to their own folders (web and
    worker containers on the shared volume) and the scrape adds both up."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    from portal.metrics import ProcessFiles

    write = (
        "import os, sys; os.environ['DJANGO_SETTINGS_MODULE'] = 'portal.settings'; import django; django.setup()\n"
        "from core.metrics import AUDIT_APPENDED, CELERY_TASK_FAILURES, GATEWAY_STAGE_SECONDS\n"
        "AUDIT_APPENDED.inc(int(sys.argv[1])); GATEWAY_STAGE_SECONDS.labels('audit').observe(0.002)\n"
        "CELERY_TASK_FAILURES.labels('audit.tasks.sequence_pending').inc()\n"
    )
    root = Path(__file__).resolve().parents[2]
    folders = [tmp_path / "web", tmp_path / "worker"]
    for folder, appended in zip(folders, ("3", "4"), strict=True):
        env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(folder), "DEBUG": "1"}
        subprocess.run([sys.executable, "-c", write, appended], cwd=root, env=env, check=True, timeout=120)  # noqa: S603
        assert list(folder.glob("*.db"))
    merged = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in ProcessFiles([str(f) for f in folders]).collect()
        for sample in family.samples
    }
    assert merged[("paitient_audit_events_appended_total", ())] == 7
    assert merged[("paitient_gateway_stage_seconds_count", (("stage", "audit"),))] == 2
    failures = ("paitient_celery_task_failures_total", (("task", "audit.tasks.sequence_pending"),))
    assert merged[failures] == 2
