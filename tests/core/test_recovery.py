"""The recovery sweep, in-process: which runs it queues again, which it leaves to a live worker, when it gives up,
and that each of those is audited once. (Real workers killed mid-job: tests/hardening/test_worker_crash.py.)"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from accessctl.actor import Actor
from audit.models import AuditEvent
from core.leases import _start_time, holder_id, job_lease
from core.models import JobRun, RunStatus
from core.recovery import job_run, recovery_sweep
from reports import tasks as report_tasks
from reports.models import ComplianceReport, ReportStatus
from reports.services import report_request
from tests.conftest import grant
from tests.factories import UserFactory

DEAD_HERE = f"{holder_id().split(':')[0]}:999999999:1"  # this machine, a pid that does not exist


@pytest.fixture
def olivia(acme: Any) -> Any:
    user = UserFactory.create(username="olivia", organization=acme)
    grant(user, acme, "compliance-officer")
    return user


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """What the sweep sends to the broker (captured, not sent)."""
    calls: list[int] = []
    monkeypatch.setattr(report_tasks.render_report, "delay", lambda report_id: calls.append(report_id))
    return calls


@pytest.fixture
def sweep(django_capture_on_commit_callbacks: Any) -> Any:
    """The sweep, with what it sends after its commits sent (the test's transaction never commits)."""

    def run() -> dict[str, int]:
        with django_capture_on_commit_callbacks(execute=True):
            return recovery_sweep()

    return run


@pytest.fixture
def report(olivia: Any, acme: Any) -> ComplianceReport:
    return report_request(actor=Actor(organization=acme, user=olivia), output_format="json")


def held(report: ComplianceReport, holder: str, *, beat_ago: int = 0, attempts: int = 1) -> JobRun:
    """The report's run, as a worker that took it and then stopped beating `beat_ago` seconds ago left it."""
    ComplianceReport.objects.filter(pk=report.pk).update(status=ReportStatus.RENDERING, progress_percent=40)
    run = job_run(report_tasks.render_report, report.pk)
    assert run is not None
    run.status, run.holder, run.attempts = RunStatus.RUNNING, holder, attempts
    run.heartbeat_at = run.started_at = timezone.now() - timedelta(seconds=beat_ago)
    run.save()
    return run


def requeued_events(report: ComplianceReport) -> int:
    return AuditEvent.objects.filter(event_type="job.requeued", resource_id=report.public_id).count()


@pytest.mark.django_db
def test_queueing_a_job_opens_its_run(report):
    run = job_run(report_tasks.render_report, report.pk)
    assert run is not None and run.status == RunStatus.QUEUED and run.attempts == 0
    assert (run.organization_id, run.resource_id) == (report.organization_id, report.public_id)


@pytest.mark.django_db
def test_a_report_whose_worker_process_is_gone_is_queued_again_once(report, sent, sweep):
    held(report, DEAD_HERE)
    assert sweep()["requeued"] == 1
    assert sent == [report.pk]
    run = job_run(report_tasks.render_report, report.pk)
    assert run is not None and run.status == RunStatus.QUEUED and run.recoveries == 1 and run.holder == ""
    assert requeued_events(report) == 1
    event = AuditEvent.objects.get(event_type="job.requeued", resource_id=report.public_id)
    assert event.details == {"kind": "reports.tasks.render_report", "attempts": 1,
                             "reason": "the worker running it stopped"}  # fmt: skip
    assert sweep()["requeued"] == 0  # queued again just now: nothing more until it is lost again
    assert sent == [report.pk] and requeued_events(report) == 1


@pytest.mark.django_db
def test_a_live_worker_keeps_its_job(report, sent, sweep):
    held(report, holder_id())  # this process: alive, beating
    assert sweep() == {"checked": 1, "requeued": 0, "failed": 0, "closed": 0}
    assert sent == []


@pytest.mark.django_db
@pytest.mark.parametrize(("beat_ago", "requeued"), [(5, 0), (600, 1)])
def test_a_worker_on_another_machine_is_judged_by_its_heartbeat(report, sent, sweep, settings, beat_ago, requeued):
    settings.JOB_LEASE_SECONDS = 60
    held(report, "elsewhere.example:4242:777", beat_ago=beat_ago)
    assert sweep()["requeued"] == requeued
    assert len(sent) == requeued


@pytest.mark.django_db
def test_a_live_process_that_stopped_beating_has_lost_its_job(report, sent, sweep, settings):
    settings.JOB_LEASE_SECONDS = 60
    held(report, holder_id(), beat_ago=600)
    assert sweep()["requeued"] == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("waited", "requeued"), [(30, 0), (3 * 3600, 1)])
def test_a_job_no_worker_took_is_queued_again_after_its_time_limit(report, sent, sweep, waited, requeued):
    assert report_tasks.render_report.time_limit == 3600
    JobRun.objects.filter(kind="reports.tasks.render_report", object_id=report.pk).update(
        queued_at=timezone.now() - timedelta(seconds=waited)
    )
    assert sweep()["requeued"] == requeued
    assert len(sent) == requeued


@pytest.mark.django_db
def test_after_the_last_attempt_the_job_fails_with_a_reason_the_api_shows(
    report, sent, sweep, settings, api_client, olivia
):
    settings.JOB_MAX_ATTEMPTS = 3
    held(report, DEAD_HERE, attempts=3)
    assert sweep()["failed"] == 1
    assert sent == []
    report.refresh_from_db()
    reason = "Stopped after 3 attempts: the worker running it stopped."
    assert report.status == ReportStatus.FAILED and report.error == reason
    run = job_run(report_tasks.render_report, report.pk)
    assert run is not None and run.status == RunStatus.FAILED and run.failure_reason == reason
    assert AuditEvent.objects.filter(event_type="job.failed", resource_id=report.public_id).count() == 1
    assert AuditEvent.objects.filter(event_type="report.failed", resource_id=report.public_id).count() == 1
    api_client.force_authenticate(olivia)
    body = api_client.get(f"/api/v1/reports/{report.public_id}").json()
    assert body["status"] == "failed" and reason in str(body)


@pytest.mark.django_db
def test_a_job_settled_without_its_run_hearing_of_it_is_closed(report, sent, sweep):
    held(report, DEAD_HERE)
    ComplianceReport.objects.filter(pk=report.pk).update(status=ReportStatus.READY)
    assert sweep()["closed"] == 1
    run = job_run(report_tasks.render_report, report.pk)
    assert run is not None and run.status == RunStatus.DONE and sent == []


@pytest.mark.django_db
def test_a_second_delivery_leaves_a_job_a_live_worker_holds_alone(report):
    held(report, f"{holder_id().split(':')[0]}:1:{_start_time(1)}")  # pid 1: alive, and not this process
    with job_lease(report_tasks.render_report, report.pk) as acquired:
        assert acquired is False
    assert report_tasks.render_report(report.pk) == "held by another worker"
    report.refresh_from_db()
    assert report.status == ReportStatus.RENDERING


@pytest.mark.django_db
def test_a_dead_holders_job_is_taken_over_by_the_next_delivery(report):
    held(report, DEAD_HERE)
    assert report_tasks.render_report(report.pk) == ReportStatus.READY
    run = job_run(report_tasks.render_report, report.pk)
    assert run is not None and run.status == RunStatus.DONE and run.attempts == 2
    assert AuditEvent.objects.filter(event_type="report.generated", resource_id=report.public_id).count() == 1


@pytest.mark.django_db
def test_a_job_run_without_the_queueing_path_opens_its_own_run_naming_the_job(report):
    JobRun.objects.all().delete()  # queued before runs existed, or called in-process
    assert report_tasks.render_report(report.pk) == ReportStatus.READY
    run = job_run(report_tasks.render_report, report.pk)
    assert run is not None and run.status == RunStatus.DONE and run.attempts == 1
    assert (run.organization_id, run.resource_id) == (report.organization_id, report.public_id)


@pytest.mark.django_db
def test_a_late_second_delivery_of_a_finished_rotation_does_not_run_or_audit_again(alice, acme, monkeypatch):
    from encryption import tasks as encryption_tasks
    from encryption.services import keys_rotate

    monkeypatch.setattr(encryption_tasks.reencrypt_organization, "delay", lambda organization_id: None)
    keys_rotate(actor=Actor(organization=acme, user=alice))
    encryption_tasks.reencrypt_organization.run(acme.pk)
    encryption_tasks.reencrypt_organization.run(acme.pk)  # the broker's copy after the sweep's, say
    assert AuditEvent.objects.filter(organization=acme, event_type="encryption.reencrypted").count() == 1
    run = job_run(encryption_tasks.reencrypt_organization, acme.pk)
    assert run is not None and run.status == RunStatus.DONE and run.attempts == 1


# --- what the console shows -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_reports_table_says_a_report_was_retried_after_the_worker_stopped(client, report, olivia, sweep, sent):
    client.force_login(olivia)
    assert "retried after the worker stopped" not in client.get("/reports/").content.decode()
    held(report, DEAD_HERE)
    sweep()
    html = client.get("/reports/").content.decode()
    assert 'data-testid="job-retried"' in html and "retried after the worker stopped" in html


@pytest.mark.django_db
def test_the_keys_page_shows_a_rotation_given_up_after_its_attempts(client, alice, acme, sweep, settings, monkeypatch):
    from encryption import tasks as encryption_tasks
    from encryption.services import keys_rotate

    settings.JOB_MAX_ATTEMPTS = 2
    monkeypatch.setattr(encryption_tasks.reencrypt_organization, "delay", lambda organization_id: None)
    keys_rotate(actor=Actor(organization=acme, user=alice))
    JobRun.objects.filter(kind=encryption_tasks.reencrypt_organization.name, object_id=acme.pk).update(
        status=RunStatus.RUNNING, holder=DEAD_HERE, attempts=2, heartbeat_at=timezone.now()
    )
    assert sweep()["failed"] == 1
    client.force_login(alice)
    html = client.get("/settings/keys/").content.decode()
    assert "Re-encryption after the last rotation: failed" in html
    assert "Stopped after 2 attempts: the worker running it stopped." in html
    event = AuditEvent.objects.get(event_type="job.failed", organization=acme)
    assert event.details["kind"] == "encryption.tasks.reencrypt_organization"


# --- when the sweep runs, and what keeps a lease alive ----------------------------------------------------------


def test_the_sweep_is_a_beat_every_minute_and_runs_when_a_worker_starts(monkeypatch, settings):
    from portal import celery as celery_module

    entry = celery_module.app.conf.beat_schedule["jobs-recovery-sweep"]
    assert entry["task"] == "core.tasks.recovery_sweep" and entry["schedule"] == 60.0
    sent_tasks: list[str] = []
    monkeypatch.setattr(celery_module.app, "send_task", lambda name, **options: sent_tasks.append(name))
    settings.JOB_SWEEP_AT_WORKER_START = True
    celery_module._sweep_at_start()
    settings.JOB_SWEEP_AT_WORKER_START = False
    celery_module._sweep_at_start()
    assert sent_tasks == ["core.tasks.recovery_sweep"]


@pytest.mark.django_db(transaction=True)
def test_a_running_jobs_heartbeat_keeps_renewing_its_lease_until_it_stops(sent, report, settings):
    from core.leases import _Heartbeat

    settings.JOB_HEARTBEAT_SECONDS = 0.1
    run = held(report, holder_id(), beat_ago=3600)
    heartbeat = _Heartbeat(run.pk, holder_id())
    heartbeat.start()
    try:

        def fresh() -> bool:
            beat = JobRun.objects.get(pk=run.pk).heartbeat_at
            return beat is not None and beat > timezone.now() - timedelta(seconds=5)

        renewed = wait_until(fresh)
        assert renewed
    finally:
        heartbeat.stopped.set()
        heartbeat.join(timeout=5)
    assert not heartbeat.is_alive()


def wait_until(condition: Any, timeout: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False
