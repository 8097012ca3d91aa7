"""Maintenance tasks, called directly and through a real worker."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.utils import timezone

from accessctl.tasks import clear_expired_sessions


def make_sessions() -> None:
    live = SessionStore()
    live["k"] = "v"
    live.create()
    stale = SessionStore()
    stale["k"] = "v"
    stale.create()
    Session.objects.filter(session_key=stale.session_key).update(expire_date=timezone.now() - timedelta(minutes=1))


@pytest.mark.django_db
def test_clear_expired_sessions_removes_only_expired_ones():
    make_sessions()
    assert clear_expired_sessions() == 1
    assert Session.objects.count() == 1
    assert clear_expired_sessions() == 0


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_task_runs_on_a_real_worker_against_the_test_database(celery_worker):
    make_sessions()
    result = clear_expired_sessions.apply_async(queue="maintenance")
    assert result.get(timeout=60) == 1
    assert Session.objects.count() == 1
