"""Compliance beat tasks (queue `maintenance`)."""

from __future__ import annotations

from celery import shared_task

from compliance.baa import baa_refresh


@shared_task(name="compliance.tasks.baa_refresh_all", acks_late=True)
def baa_refresh_all() -> dict[str, int]:
    return baa_refresh()
