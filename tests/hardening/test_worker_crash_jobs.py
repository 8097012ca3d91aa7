"""Worker crash in the middle of a PHI scan and of the re-encryption after a key rotation, on whichever broker the
run uses (the file broker by default): the worker, or the pool process running the job, is SIGKILLed at a known
step (held by a lock on the row it writes its progress to); a new worker finishes the job exactly once: one
`phi_scan.finished` and every document scanned; one `encryption.reencrypted` and every value under the new keys,
those re-sealed before the crash not twice."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from accessctl.actor import Actor
from audit.models import AuditEvent
from audit.verify_live import verify_chain
from core.models import JobRun, RunStatus
from core.recovery import job_run
from encryption import tasks as encryption_tasks
from encryption.hybrid import read_header
from encryption.models import KeyStatus, OrganizationKey
from encryption.services import keys_rotate
from scans import tasks as scan_tasks
from scans.models import PhiScan
from scans.services import scan_start
from tests.hardening.workers import (
    MODES,
    Workers,
    assert_recovered_once,
    crash,
    holding,
    recover,
    redirect_to,
    start_worker,
    wait_for,
)
from tests.testapp.models import ClinicalNote

DOCUMENTS = 400
NOTES = 1200  # enough that re-sealing them lasts seconds: the crash lands half-way even on a fast machine


@pytest.fixture
def workers() -> Any:
    pool = Workers(Path(settings.VAR_DIR))
    yield pool
    pool.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", MODES)
def test_a_phi_scan_survives_a_killed_worker(workers, monkeypatch, acme, alice, mode):
    lines = [json.dumps({"id": f"n{i}", "text": f"Patient John Smith{i} seen 01/{i % 28 + 1:02d}/2024, "
                                                 f"call 617-555-{i:04d} about the results."})
             for i in range(DOCUMENTS)]  # fmt: skip
    worker = start_worker(workers, mode)
    redirect_to(monkeypatch, scan_tasks.phi_scan_run, workers.queue)

    scan = scan_start(actor=Actor(organization=acme, user=alice), filename="notes.jsonl",
                      data="\n".join(lines).encode(), fmt="jsonl")  # fmt: skip
    wait_for(
        lambda: PhiScan.objects.filter(pk=scan.pk, status="running", progress_percent__gt=0).exists(),
        120,
        "the scan to be running",
        then=workers.logs,
    )
    with holding(PhiScan, scan.pk):  # the worker's next progress write waits here: kill it there
        held = PhiScan.objects.get(pk=scan.pk)
        assert held.status == "running" and 0 < held.progress_percent < 100, held.progress_percent
        retake = crash(worker, mode, scan_tasks.phi_scan_run, scan.pk)
    recover(workers, mode, retake)

    done = workers.until(
        lambda: PhiScan.objects.filter(pk=scan.pk, status__in=["done", "failed"]).first(),
        180,
        "the scan again",
        retake=retake,
    )
    assert done.status == "done", done.error
    assert done.documents == DOCUMENTS and done.counts["PHONE"] == DOCUMENTS
    assert AuditEvent.objects.filter(resource_id=scan.public_id, event_type="phi_scan.finished").count() == 1
    assert not AuditEvent.objects.filter(resource_id=scan.public_id, event_type="phi_scan.failed").exists()
    assert_recovered_once(retake, mode)
    verified = verify_chain(acme.public_id)
    assert verified.ok, verified.line()


def resealed_notes(acme: Any) -> int:
    """Notes whose every value is sealed under an active key (read from the raw columns: nothing is opened)."""
    keys = OrganizationKey.objects.filter(organization=acme, status=KeyStatus.ACTIVE)
    active = set(keys.values_list("key_id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute("SELECT body, facts, scan FROM testapp_clinicalnote WHERE organization_id = %s", [acme.pk])
        rows = cursor.fetchall()
    return sum(all(read_header(bytes(value)).key_id in active for value in row) for row in rows)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("mode", MODES)
def test_a_key_rotation_survives_a_killed_worker(workers, monkeypatch, acme, alice, mode):
    notes = [ClinicalNote(organization=acme, body=f"note {i}", facts={"n": i}, scan=b"x") for i in range(NOTES)]
    ClinicalNote.objects.bulk_create(notes, batch_size=500)
    worker = start_worker(workers, mode)
    redirect_to(monkeypatch, encryption_tasks.reencrypt_organization, workers.queue)

    keys_rotate(actor=Actor(organization=acme, user=alice))
    run_pk = wait_for(
        lambda: (
            JobRun.objects.filter(
                kind=encryption_tasks.reencrypt_organization.name, object_id=acme.pk, status=RunStatus.RUNNING
            )
            .values_list("pk", flat=True)
            .first()
        ),
        60,
        "the re-encryption to start",
        then=workers.logs,
    )
    wait_for(lambda: resealed_notes(acme) >= 2 * encryption_tasks.PROGRESS_EVERY, 120, "notes to be re-sealed",
             then=workers.logs)  # fmt: skip
    with holding(JobRun, run_pk):  # the worker's next progress write waits here: kill it there
        retake = crash(worker, mode, encryption_tasks.reencrypt_organization, acme.pk)
        before_crash = resealed_notes(acme)  # while the lock stops a new pool process from taking the run
    assert 0 < before_crash < NOTES, before_crash
    recover(workers, mode, retake)

    workers.until(
        lambda: JobRun.objects.filter(pk=run_pk, status__in=[RunStatus.DONE, RunStatus.FAILED]).exists(),
        180,
        "the re-encryption to finish",
        retake=retake,
    )
    assert resealed_notes(acme) == NOTES
    (event,) = AuditEvent.objects.filter(organization=acme, event_type="encryption.reencrypted")
    assert event.details["values"] == 3 * (NOTES - before_crash)  # the second run re-sealed only what was left
    first = ClinicalNote.objects.filter(organization=acme).order_by("pk").first()
    assert first is not None and (first.body, first.facts) == ("note 0", {"n": 0})  # opens under the new keys
    run = job_run(encryption_tasks.reencrypt_organization, acme.pk)
    assert run is not None and run.progress_percent == 100
    assert_recovered_once(retake, mode)
    verified = verify_chain(acme.public_id)
    assert verified.ok, verified.line()
