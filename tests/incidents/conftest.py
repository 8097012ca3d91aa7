"""Fixtures for incident tests: actors in acme, tight thresholds, an audit writer with a clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import RequestFactory
from django.utils import timezone

from accessctl.actor import Actor
from audit.models import AuditEvent
from audit.services import record
from incidents.models import DetectionThresholds
from tests.incidents.helpers import at


@pytest.fixture
def alice_actor(acme, alice) -> Actor:
    return Actor(organization=acme, user=alice, ip="10.0.0.5", user_agent="pytest", request_id="req-alice")


@pytest.fixture
def bob_actor(acme, bob) -> Actor:
    return Actor(organization=acme, user=bob, ip="10.0.0.6", user_agent="pytest", request_id="req-bob")


@pytest.fixture
def thresholds(acme) -> DetectionThresholds:
    """Small numbers so the crafted sequences stay short (same rules as the defaults)."""
    return DetectionThresholds.objects.create(
        organization=acme,
        bulk_phi_count=5,
        bulk_phi_window_minutes=10,
        denial_count=3,
        denial_window_minutes=5,
        login_failure_count=3,
        login_window_minutes=15,
    )


@pytest.fixture
def t0() -> datetime:
    return (timezone.now() - timedelta(hours=3)).replace(microsecond=0)


Write = Callable[..., AuditEvent]


@pytest.fixture
def write(monkeypatch, acme) -> Write:
    """write(when, actor, event_type, **record kwargs): one audit event stamped `when`."""

    def _write(when: datetime, actor: Actor | None, event_type: str, **kwargs: Any) -> AuditEvent:
        if actor is None:
            kwargs.setdefault("organization", acme)
        with at(monkeypatch, when):
            return record(actor=actor, event_type=event_type, **kwargs)

    return _write


@pytest.fixture
def anonymous_request() -> Callable[[str], Any]:
    def _request(ip: str) -> Any:
        return RequestFactory().get("/login/", REMOTE_ADDR=ip, HTTP_USER_AGENT="pytest")

    return _request
