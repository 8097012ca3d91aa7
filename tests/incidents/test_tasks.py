"""The incident workers' wiring: detection every minute on `maintenance`, notice rendering on `reports`."""

from __future__ import annotations

import pytest

from portal.celery import app as celery_app


@pytest.mark.parametrize(
    ("task_name", "queue"),
    [("incidents.tasks.render_notice", "reports"), ("incidents.tasks.detect_all", "maintenance")],
)
def test_tasks_are_routed_to_their_queue(task_name, queue):
    assert celery_app.amqp.router.route({}, task_name, (), {})["queue"].name == queue


def test_detection_runs_every_minute_on_the_maintenance_queue():
    entry = celery_app.conf.beat_schedule["incidents-detect"]
    assert entry["task"] == "incidents.tasks.detect_all" and entry["schedule"] == 60.0
    assert entry["options"]["queue"] == "maintenance"
    celery_app.loader.import_default_modules()
    assert {"incidents.tasks.detect_all", "incidents.tasks.render_notice"} <= set(celery_app.tasks)
