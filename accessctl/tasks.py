"""Maintenance tasks for identity and sessions."""

from __future__ import annotations

from celery import shared_task
from django.contrib.sessions.models import Session
from django.utils import timezone


@shared_task(name="accessctl.tasks.clear_expired_sessions", acks_late=True)
def clear_expired_sessions() -> int:
    """Delete expired server-side sessions; idempotent. Returns how many were removed."""
    deleted, _ = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted
