"""PHI canary: the main flows run with a distinctive fake patient (name, MRN, SSN, date of birth) through the
REST API and the real Celery worker, then everything the service keeps is searched for it — every log record
(all loggers at DEBUG, stdout, the worker's log), audit events, Celery's broker and result backend, every raw
database row and every file under the var folder. Encrypted values look random; plaintext must not appear."""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from accessctl.api_keys import api_key_issue
from accessctl.models import Organization, User
from audit.models import AuditEvent
from deployments.catalog import catalog_ensure
from tests.deployments.fakes import FakeOpenAIServer
from tests.hardening import phi_flows as flows

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

REMOTE_KEY = "sk-remote-canary-0123456789"


class _Everything(logging.Handler):
    """Keeps every record's formatted text (message, arguments, exception) from every logger."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        parts = [record.name, record.getMessage(), repr(record.args)]
        if record.exc_info:
            parts.append(logging.Formatter().formatException(record.exc_info))
        parts.extend(f"{key}={value!r}" for key, value in vars(record).items() if key not in _STANDARD)
        self.lines.append(" ".join(parts))


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


@pytest.fixture
def all_logs() -> Iterator[_Everything]:
    """A handler on the root logger at DEBUG, and on every logger that does not propagate to it."""
    handler = _Everything()
    root = logging.getLogger()
    saved_level = root.level
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    names = ["django.request", "django.server", "django.security", "celery", "celery.app.trace", "kombu", "axes"]
    loggers = [logging.getLogger(name) for name in names]
    loggers += [lg for lg in logging.Logger.manager.loggerDict.values() if isinstance(lg, logging.Logger)]
    touched: list[tuple[logging.Logger, int]] = []
    for logger in loggers:
        touched.append((logger, logger.level))
        if logger.level > logging.DEBUG:
            logger.setLevel(logging.DEBUG)
        if not logger.propagate:
            logger.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(saved_level)
        for logger, level in touched:
            logger.setLevel(level)
            if handler in logger.handlers:
                logger.removeHandler(handler)


@pytest.fixture
def published() -> Iterator[list[str]]:
    """Every task message this process sends (body and headers: args, kwargs, argsrepr), as text."""
    from celery.signals import before_task_publish

    messages: list[str] = []

    def keep(sender: str | None = None, body: Any = None, headers: Any = None, **kwargs: Any) -> None:
        messages.append(f"{sender} {json.dumps(body, default=repr)} {json.dumps(headers, default=repr)}")

    before_task_publish.connect(keep, weak=False)
    try:
        yield messages
    finally:
        before_task_publish.disconnect(keep)


def wait_for(client: APIClient, path: str, field: str, done: set[str], timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        body: dict[str, Any] = client.get(path).json()
        if body[field] in done:
            return body
        assert time.monotonic() < deadline, f"{path} still {body[field]} after {timeout:.0f} s"
        time.sleep(0.3)


def _run_the_flows(acme: Organization, alice: User, remote: FakeOpenAIServer) -> dict[str, Any]:
    """Every PHI-bearing flow, as clients make them; returns what the searches need to know."""
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="canary")
    sdk = APIClient()
    sdk.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")

    # Inference in every PHI mode, through an external runtime reached over HTTP (provisioned by the worker).
    created = flows.create_external_deployment(sdk, remote.url, REMOTE_KEY)
    assert created.status_code == 201, created.json()
    deployment_id = created.json()["id"]
    ready = wait_for(sdk, f"/api/v1/deployments/{deployment_id}", "state", {"ready", "failed"})
    assert ready["state"] == "ready", ready["failure_reason"]
    answers = {}
    for mode in flows.PHI_MODES:
        answers[mode] = flows.generate(sdk, deployment_id, mode)
    assert answers["reject"].status_code == 422
    for mode in ("detect", "redact", "de-identify"):
        assert answers[mode].status_code == 200, answers[mode].json()
    assert flows.CANARY_NAME in answers["detect"].json()["text"]  # detect passes PHI through, by design
    for mode in ("redact", "de-identify"):
        assert flows.found_canaries(answers[mode].content.decode()) == [], mode
    sent = json.dumps(remote.received)
    assert sent.count(flows.CANARY_NAME) == 1  # only the detect prompt reached the runtime with the PHI

    # A PHI scan, processed by the worker.
    scan = flows.upload_scan(sdk)
    assert scan.status_code == 202, scan.json()
    scanned = wait_for(sdk, f"/api/v1/phi-scans/{scan.json()['id']}", "status", {"done", "failed"})
    assert scanned["status"] == "done", scanned["error"]
    assert scanned["counts"].get("NAME") and scanned["counts"].get("SSN")
    redacted = sdk.get(f"/api/v1/phi-scans/{scan.json()['id']}/redacted").content.decode()
    assert flows.found_canaries(redacted) == []

    # Incident notes and a BAA document.
    incident_id = flows.open_incident(sdk)
    assert flows.add_note(sdk, incident_id).status_code == 201
    notes = sdk.get(f"/api/v1/incidents/{incident_id}").json()
    baa_id = flows.create_baa(sdk)
    assert flows.upload_baa_document(sdk, baa_id).status_code == 200
    assert sdk.get(f"/api/v1/baas/{baa_id}/document").content == flows.CANARY_PDF

    # Break-glass: a reason naming the patient, approvals, its use on the deployment, the review.
    console = APIClient()
    nurse, (sec1, sec2) = flows.emergency_people(console, acme, alice)
    requested = flows.ask_emergency_access(console, nurse, f"deployment/{ready['deployment_name']}")
    assert requested.status_code == 201, requested.json()
    request_id = requested.json()["id"]
    assert flows.decide(console, sec1, request_id).status_code == 200
    assert flows.decide(console, sec2, request_id).json()["status"] == "approved"
    console.force_authenticate(nurse)
    used = flows.generate(console, deployment_id, "redact")
    assert used.status_code == 200, used.json()
    console.force_authenticate(sec1)
    assert console.post(f"/api/v1/emergency-access/requests/{request_id}/revoke").status_code == 200
    console.force_authenticate(alice)  # the review is a third person's: neither requester nor approver
    reviewed = console.post(f"/api/v1/emergency-access/requests/{request_id}/review",
                            {"notes": f"Access for {flows.CANARY_NAME} justified."}, format="json")  # fmt: skip
    assert reviewed.status_code == 200, reviewed.json()

    # A compliance report over all of it, rendered by the worker.
    report = flows.request_report(sdk, "json")
    assert report.status_code == 202, report.json()
    rendered = wait_for(sdk, f"/api/v1/reports/{report.json()['id']}", "status", {"ready", "failed"})
    assert rendered["status"] == "ready", rendered["error"]
    downloaded = sdk.get(rendered["url"]).content.decode()
    return {"notes": json.dumps(notes), "report": downloaded}


def raw_database_rows() -> Iterator[tuple[str, str]]:
    """(table.column, value) for every text or binary value of every row of every table, read with raw SQL."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - introspected names
            columns = [column[0] for column in cursor.description]
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, (bytes, memoryview)):
                        text = bytes(value).decode("utf-8", errors="replace")
                    elif isinstance(value, (dict, list)):
                        text = json.dumps(value)
                    else:
                        text = str(value)
                    yield f"{table}.{column}", text


def broker_and_backend_contents() -> Iterator[tuple[str, str]]:
    """(where, text) for every key of a Redis broker/result backend, or every file of the filesystem ones."""
    urls = {str(settings.CELERY_BROKER_URL), str(settings.CELERY_RESULT_BACKEND)}
    redis_urls = sorted(url for url in urls if url.startswith(("redis://", "rediss://")))
    for url in redis_urls:
        import redis

        client: Any = redis.Redis.from_url(url)
        keys = list(client.scan_iter(count=1000))
        assert keys or url == str(settings.CELERY_BROKER_URL), f"nothing in {url}: is it really the backend?"
        for key in keys:
            kind = client.type(key).decode()
            if kind == "string":
                values: list[Any] = [client.get(key)]
            elif kind == "list":
                values = client.lrange(key, 0, -1)
            elif kind == "hash":
                values = [item for pair in client.hgetall(key).items() for item in pair]
            elif kind == "set":
                values = list(client.smembers(key))
            elif kind == "zset":
                values = [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
            else:
                values = []
            yield f"redis {url} {key!r}", key.decode(errors="replace")
            for value in values:
                yield f"redis {url} {key!r}", (value or b"").decode(errors="replace")
    for folder in (settings.CELERY_FS_DIR,):
        for path in Path(folder).rglob("*") if Path(folder).exists() else []:
            if path.is_file():
                yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def files_on_disk() -> Iterator[tuple[str, str]]:
    """Every file under the var folder (media, reports, scans, mail, the SQLite database, logs)."""
    storages: dict[str, Any] = settings.STORAGES
    roots = {Path(settings.VAR_DIR), Path(storages["default"]["OPTIONS"]["location"])}
    seen: set[Path] = set()
    for root in roots:
        for path in root.rglob("*") if root.exists() else []:
            if path.is_file() and path not in seen:
                seen.add(path)
                yield str(path), path.read_bytes().decode("utf-8", errors="replace")


def test_no_canary_value_is_kept_anywhere_in_plaintext(celery_worker, acme, alice, all_logs, published, capfd,
                                                        settings):  # fmt: skip
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True  # the fake endpoint listens on loopback (the worker too)
    catalog_ensure()  # a transactional test's flush removed the migration's rows
    remote = FakeOpenAIServer(api_key=REMOTE_KEY, model="remote-smol")
    try:
        seen = _run_the_flows(acme, alice, remote)
    finally:
        remote.close()
    time.sleep(1.0)  # results and acknowledgements land just after the rows say "done"

    leaks: dict[str, list[str]] = {}

    def search(where: str, text: str) -> None:
        found = flows.found_canaries(text)
        if found:
            leaks.setdefault(where, []).extend(found)

    # Logs: every record, stdout and stderr (structlog prints), the worker's own log file.
    assert all_logs.lines, "the log handler saw nothing: is it attached?"
    for line in all_logs.lines:
        search("log record", line)
    out, err = capfd.readouterr()
    search("stdout", out)
    search("stderr", err)
    worker_log = Path(os.environ["PAITIENT_VAR_DIR"]) / "test-worker.log"
    assert "phi_scan_run" in worker_log.read_text(errors="replace")  # the worker did the work
    search("worker log", worker_log.read_text(errors="replace"))

    # Audit events: details and every other column.
    events = AuditEvent.objects.filter(chain=acme.public_id)
    assert events.filter(event_type="model.inference").count() >= 5
    for event in events:
        search(f"audit {event.event_type} details", json.dumps(event.details))
    for column in [f.attname for f in AuditEvent._meta.concrete_fields]:
        search(f"audit column {column}", json.dumps(list(events.values_list(column, flat=True)), default=str))

    # Celery: the task messages as sent, what is left in the broker's queues, and the result backend.
    sent = {m.split(" ", 1)[0] for m in published}
    assert sent >= {"deployments.tasks.provision_deployment", "scans.tasks.phi_scan_run", "reports.tasks.render_report"}
    for message in published:
        search("task message", message)
    stored = list(broker_and_backend_contents())
    assert any("celery-task-meta-" in where for where, _ in stored), "no task result found to inspect"
    for where, text in stored:
        search(where, text)

    # Raw database rows of every table (each model's among them), and every file on disk.
    assert {m._meta.db_table for m in apps.get_models()} <= set(connection.introspection.table_names())
    for where, text in raw_database_rows():
        search(where, text)
    for where, text in files_on_disk():
        search(where, text)

    # Mail (break-glass notifications) and the report itself: no section may carry PHI.
    for message in mail.outbox:
        search(f"mail to {message.to}", f"{message.subject}\n{message.body}")
    search("report output", seen["report"])

    assert leaks == {}, f"canary values found in plaintext: {leaks}"
    assert flows.CANARY_NAME in seen["notes"]  # stored sealed, yet readable by whoever may read the incident


def test_the_search_finds_a_planted_canary(acme):
    """The searches are not blind: a canary written in the clear to a plain column, a file and a log is found."""
    from incidents.models import Incident

    Incident.objects.create(organization=acme, title=f"Oops {flows.CANARY_MRN}", discovered_at="2026-01-01T00:00Z",
                            source="manual")  # fmt: skip
    assert any(flows.found_canaries(text) for _, text in raw_database_rows())
    planted = Path(settings.VAR_DIR) / "planted-canary.txt"
    planted.write_text(f"SSN {flows.CANARY_SSN.replace('-', '')}")
    try:
        assert any(flows.found_canaries(text) for _, text in files_on_disk())
    finally:
        planted.unlink()
