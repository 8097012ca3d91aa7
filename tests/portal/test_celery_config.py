"""The Celery application's contract: JSON only, late acks, four queues with their own routes."""

from __future__ import annotations

import pytest

from portal.celery import QUEUES
from portal.celery import app as celery_app


def test_only_json_is_accepted():
    assert celery_app.conf.task_serializer == "json"
    assert celery_app.conf.accept_content == ["json"]
    assert celery_app.conf.result_accept_content == ["json"]


def test_tasks_are_acked_late_and_requeued_when_a_worker_dies():
    assert celery_app.conf.task_acks_late is True
    assert celery_app.conf.task_reject_on_worker_lost is True
    assert celery_app.conf.worker_prefetch_multiplier == 1


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [
        ("deployments.tasks.deployment_provision", "provisioning"),
        ("phi.tasks.phi_scan_run", "phi"),
        ("reports.tasks.render_report", "reports"),
        ("accessctl.tasks.clear_expired_sessions", "maintenance"),
    ],
)
def test_tasks_are_routed_to_their_queue(task_name, queue):
    route = celery_app.amqp.router.route({}, task_name, (), {})
    assert route["queue"].name == queue
    assert route["queue"].routing_key == queue


def test_each_queue_has_its_own_exchange():
    queues = {q.name: q for q in celery_app.conf.task_queues}
    assert set(queues) == set(QUEUES)
    assert {q.routing_key for q in queues.values()} == set(QUEUES)


def test_beat_schedule_names_registered_tasks():
    celery_app.loader.import_default_modules()
    for entry in celery_app.conf.beat_schedule.values():
        assert entry["task"] in celery_app.tasks
