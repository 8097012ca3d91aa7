"""Fail closed: with the PHI engine raising, the audit write failing, the master key missing or the broker
down, inference and PHI-bearing writes are refused with a 503 problem naming the safeguard, and the database
is exactly as it was before the call (only the refusal's own audit event may be added, when the log works)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import DatabaseError, connection
from rest_framework.test import APIClient

from accessctl.models import Organization, User
from audit.models import AuditEvent
from deployments.catalog import catalog_ensure
from deployments.models import Deployment
from encryption import master
from encryption import services as encryption_services
from encryption.models import KeyAlgorithm
from reports.models import ComplianceReport
from scans.models import PhiScan
from scans.tasks import phi_scan_run
from tests.deployments.fakes import EchoProvider, use_echo_provider
from tests.deployments.test_gateway import make_deployment
from tests.hardening import phi_flows as flows

pytestmark = pytest.mark.django_db

State = dict[str, list[tuple[Any, ...]]]


def database_state() -> State:
    """Every row of every table, as the database returns it."""
    state: State = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            rows = [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()]
            state[table] = sorted(rows, key=repr)
    return state


def assert_nothing_written(before: State, *, allowed_events: set[tuple[str, str]] = frozenset()) -> None:  # type: ignore[assignment]
    """No table changed, except the audit log by the refusal's own events (`(event_type, outcome)`)."""
    after = database_state()
    audit_table = AuditEvent._meta.db_table
    changed = [table for table in after if table != audit_table and after[table] != before.get(table, [])]
    assert changed == [], f"tables written by a refused call: {changed}"
    added = AuditEvent.objects.order_by("id")[len(before[audit_table]) :]
    assert {(e.event_type, e.outcome) for e in added} <= allowed_events
    assert len(after[audit_table]) - len(before[audit_table]) == len(added)


def assert_refused(response: Any, safeguard: str) -> None:
    assert response.status_code == 503, response.content[:500]
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 503 and body["title"] == "Service Unavailable"
    assert safeguard in body["detail"]
    assert flows.found_canaries(response.content.decode()) == []


@pytest.fixture(autouse=True)
def _loopback_endpoints(settings) -> None:
    """The `deployment` flow's external endpoint is on loopback (never reached: no flow provisions it)."""
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def echo(monkeypatch) -> EchoProvider:
    return use_echo_provider(monkeypatch)


@pytest.fixture
def admin(api_client: APIClient, acme: Organization, alice: User) -> APIClient:
    """alice's client, with everything a flow needs that is not the write under test already there: the
    organisation's keys and settings, an incident, a draft BAA, the break-glass people."""
    for algorithm in (KeyAlgorithm.HYBRID, KeyAlgorithm.AES, KeyAlgorithm.HMAC):
        encryption_services.active_key(acme, algorithm)
    api_client.force_authenticate(alice)
    assert api_client.get("/api/v1/organization/security-settings").status_code == 200
    return api_client


@pytest.fixture
def setup(admin: APIClient, acme: Organization, alice: User) -> dict[str, Any]:
    catalog_ensure()  # a transactional test's flush may have removed the migration's rows
    deployment = make_deployment(acme)
    nurse, _ = flows.emergency_people(admin, acme, alice)
    admin.force_authenticate(alice)
    return {
        "deployment": deployment,
        "incident": flows.open_incident(admin),
        "baa": flows.create_baa(admin),
        "nurse": nurse,
        "client": admin,
        "alice": alice,
    }


Flow = Callable[[dict[str, Any]], Any]


def _as(user_key: str, call: Flow) -> Flow:
    def run(ctx: dict[str, Any]) -> Any:
        ctx["client"].force_authenticate(ctx[user_key])
        return call(ctx)

    return run


FLOWS: dict[str, Flow] = {
    "inference": _as("alice", lambda ctx: flows.generate(ctx["client"], ctx["deployment"].public_id, "redact")),
    "deployment": _as(
        "alice",
        lambda ctx: flows.create_external_deployment(ctx["client"], "http://127.0.0.1:9/v1", "sk-remote-0123456789"),
    ),
    "phi_scan": _as("alice", lambda ctx: flows.upload_scan(ctx["client"])),
    "report": _as("alice", lambda ctx: flows.request_report(ctx["client"])),
    "incident_note": _as("alice", lambda ctx: flows.add_note(ctx["client"], ctx["incident"])),
    "baa_document": _as("alice", lambda ctx: flows.upload_baa_document(ctx["client"], ctx["baa"])),
    "emergency_request": lambda ctx: flows.ask_emergency_access(
        ctx["client"], ctx["nurse"], f"deployment/{ctx['deployment'].name}"
    ),
}


# --- (a) the PHI engine raises ------------------------------------------------------------------


def _boom(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError(f"engine crashed on {flows.CANARY_TEXT}")  # the message must not reach the client


def assert_no_canary_logged(caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]) -> None:
    """The engine's exception message carries the prompt: only its type may be logged (structlog prints)."""
    out, err = capsys.readouterr()
    logged = "\n".join(f"{r.getMessage()} {r.exc_text or ''}" for r in caplog.records) + out + err
    assert "engine_failed" in logged
    assert flows.found_canaries(logged) == []


@pytest.mark.parametrize("mode", flows.PHI_MODES)
def test_inference_is_refused_when_the_phi_engine_raises(setup, echo, monkeypatch, mode, caplog, capsys):
    monkeypatch.setattr("deployments.gateway.process", _boom)
    caplog.set_level(logging.DEBUG)
    before = database_state()
    response = flows.generate(setup["client"], setup["deployment"].public_id, mode)
    assert_refused(response, "PHI engine")
    assert echo.prompts == []  # nothing reached the model
    assert_nothing_written(before, allowed_events={("model.inference", "error")})
    assert_no_canary_logged(caplog, capsys)


def test_an_answer_is_withheld_when_the_phi_engine_fails_on_the_response(setup, echo, monkeypatch):
    from phi import process

    calls: list[str] = []

    def prompt_only(text: str, mode: str, **kwargs: Any) -> Any:
        calls.append(mode)
        if len(calls) > 1:
            raise RuntimeError("engine crashed")
        return process(text, mode, **kwargs)

    monkeypatch.setattr("deployments.gateway.process", prompt_only)
    before = database_state()
    response = flows.generate(setup["client"], setup["deployment"].public_id, "redact")
    assert_refused(response, "PHI engine")
    assert len(echo.prompts) == 1 and "Echo:" not in response.content.decode()
    assert_nothing_written(before, allowed_events={("model.inference", "error")})


class _BrokenEngine:
    def process(self, *args: Any, **kwargs: Any) -> Any:
        _boom()


def test_a_scan_fails_visibly_and_stores_nothing_when_the_workers_engine_raises(
    setup, monkeypatch, caplog, capsys, django_capture_on_commit_callbacks
):
    caplog.set_level(logging.DEBUG)
    with django_capture_on_commit_callbacks(execute=False):
        response = flows.upload_scan(setup["client"])
    assert response.status_code == 202, response.json()
    scan = PhiScan.objects.get(public_id=response.json()["id"])
    monkeypatch.setattr("phi.get_engine", lambda: _BrokenEngine())
    assert phi_scan_run.run(scan.pk) == "failed"
    scan.refresh_from_db()
    assert scan.status == "failed" and "PHI engine" in scan.error
    assert scan.findings is None and scan.redacted is None and scan.counts == {}
    assert flows.found_canaries(scan.error) == []
    failed = AuditEvent.objects.get(event_type="phi_scan.failed", resource_id=scan.public_id)
    assert failed.outcome == "error"
    detail = setup["client"].get(f"/api/v1/phi-scans/{scan.public_id}")
    assert detail.json()["status"] == "failed" and detail.json()["findings"] == []
    assert setup["client"].get(f"/api/v1/phi-scans/{scan.public_id}/redacted").status_code == 404
    assert_no_canary_logged(caplog, capsys)


# --- (b) the audit write fails ------------------------------------------------------------------


@pytest.mark.parametrize("flow", sorted(FLOWS))
def test_nothing_happens_when_the_audit_log_cannot_be_written(setup, echo, monkeypatch, flow):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise DatabaseError("audit table is read-only")

    before = database_state()
    monkeypatch.setattr("audit.services._insert_event", refuse)
    response = FLOWS[flow](setup)
    monkeypatch.undo()
    assert_refused(response, "audit log")
    assert echo.prompts == [] or flow == "inference"
    assert_nothing_written(before)


def _disk_full(*args: Any, **kwargs: Any) -> None:
    raise DatabaseError("disk full")


def test_an_inference_whose_audit_fails_returns_no_answer(setup, echo, monkeypatch):
    monkeypatch.setattr("audit.services._insert_event", _disk_full)
    response = flows.generate(setup["client"], setup["deployment"].public_id, "detect")
    assert_refused(response, "audit log")
    assert "Echo:" not in response.content.decode()


# --- (c) the master key is missing --------------------------------------------------------------


@pytest.fixture
def no_master_key(monkeypatch) -> Iterator[None]:
    for name in ("PAITIENT_MASTER_KEY", "PAITIENT_MASTER_KEY_FILE", "PAITIENT_KMS_KEY_ID"):
        monkeypatch.delenv(name, raising=False)
    master.master_key.cache_clear()
    monkeypatch.setattr(encryption_services, "_secrets", {})  # unsealed organisation keys cached in the process
    yield
    master.master_key.cache_clear()


PHI_WRITES_NEEDING_KEYS = ["inference", "deployment", "phi_scan", "incident_note", "baa_document",
                           "emergency_request"]  # fmt: skip


@pytest.mark.parametrize("flow", PHI_WRITES_NEEDING_KEYS)
def test_inference_and_phi_writes_are_refused_without_the_master_key(setup, echo, request, flow):
    before = database_state()
    request.getfixturevalue("no_master_key")
    response = FLOWS[flow](setup)
    assert_refused(response, "master key")
    assert echo.prompts == []
    assert_nothing_written(before, allowed_events={("model.inference", "error")})


def test_the_master_key_coming_back_ends_the_refusal(setup, echo, monkeypatch):
    saved = __import__("os").environ["PAITIENT_MASTER_KEY"]
    monkeypatch.delenv("PAITIENT_MASTER_KEY")
    master.master_key.cache_clear()
    monkeypatch.setattr(encryption_services, "_secrets", {})
    assert FLOWS["incident_note"](setup).status_code == 503
    monkeypatch.setenv("PAITIENT_MASTER_KEY", saved)
    assert FLOWS["incident_note"](setup).status_code == 201


# --- (d) the broker is down ---------------------------------------------------------------------

UNREACHABLE_BROKER = "redis://127.0.0.1:1/0"


@pytest.fixture
def broker_down(monkeypatch) -> Iterator[None]:
    """Celery points at a broker nobody listens on; its connection pools are rebuilt for it and put back after."""
    from portal.celery import app

    configured = app.conf.get("broker_url")  # not the property: it reads the environment first
    app.conf.update(broker_url=UNREACHABLE_BROKER)
    monkeypatch.setenv("CELERY_BROKER_URL", UNREACHABLE_BROKER)  # which Celery reads before `broker_url`
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    yield
    app.conf.update(broker_url=configured)


QUEUED_WORK = {"deployment": Deployment, "phi_scan": PhiScan, "report": ComplianceReport}


@pytest.mark.parametrize("flow", sorted(QUEUED_WORK))
def test_work_for_a_worker_is_refused_while_the_broker_is_down(setup, broker_down, django_capture_on_commit_callbacks,
                                                               flow):  # fmt: skip
    before = database_state()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = FLOWS[flow](setup)
    assert callbacks == []  # refused before the transaction, so nothing is left to send
    assert_refused(response, "task queue")
    assert_nothing_written(before)


def test_stopping_a_deployment_is_refused_while_the_broker_is_down(setup, broker_down):
    """Stopping needs a worker to take the runtime down: refused before the state changes, like creating."""
    deployment = setup["deployment"]
    before = database_state()
    response = setup["client"].delete(f"/api/v1/deployments/{deployment.public_id}")
    assert_refused(response, "task queue")
    assert_nothing_written(before)
    deployment.refresh_from_db()
    assert deployment.state == "ready"


def test_writes_that_need_no_worker_go_on_while_the_broker_is_down(setup, broker_down):
    assert FLOWS["incident_note"](setup).status_code == 201
    assert FLOWS["baa_document"](setup).status_code == 200


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("flow", sorted(QUEUED_WORK))
def test_a_broker_lost_after_the_commit_leaves_a_failed_row_not_a_queued_one(acme, alice, api_client, monkeypatch,
                                                                              flow):  # fmt: skip
    """The broker answered the check, then went away before the task was sent: the row stays, marked failed
    and audited, and the caller gets a 503 that says so."""
    catalog_ensure()
    api_client.force_authenticate(alice)
    model = QUEUED_WORK[flow]
    monkeypatch.setattr("core.queueing.require_broker", lambda: None)
    for module in ("deployments.services", "scans.services", "reports.services"):
        monkeypatch.setattr(f"{module}.require_broker", lambda: None)

    def lost(*args: Any, **kwargs: Any) -> None:
        from kombu.exceptions import OperationalError

        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr("celery.app.task.Task.delay", lost)
    ctx = {"client": api_client, "alice": alice}
    response = FLOWS[flow](ctx)
    assert_refused(response, "task queue")
    row: Any = model._default_manager.get()
    status = row.state if isinstance(row, Deployment) else row.status
    assert status == "failed"
    assert "unavailable" in (row.failure_reason if isinstance(row, Deployment) else row.error)
    failures = AuditEvent.objects.filter(resource_id=row.public_id, outcome="error")
    assert failures.count() == 1


def test_a_console_page_answers_a_styled_503_when_the_audit_log_is_down(client, acme, alice, monkeypatch):
    client.force_login(alice)
    before = database_state()
    monkeypatch.setattr("audit.services._insert_event", _disk_full)
    body = {"form": "role", "name": "night-nurse", "permissions": ["deployment:read"], "resource_pattern": "*"}
    response = client.post("/access/roles", body)
    assert response.status_code == 503 and response["Retry-After"] == "30"
    page = response.content.decode()
    assert "Temporarily unavailable" in page and "audit log is unavailable" in page
    monkeypatch.undo()
    assert_nothing_written(before)
