"""Liveness and readiness endpoints."""

from __future__ import annotations

import pytest

from portal.celery import app as celery_app
from portal.health import readiness_cache_clear
from tests.factories import UserFactory


@pytest.fixture(autouse=True)
def _fresh_readiness():
    readiness_cache_clear()
    yield
    readiness_cache_clear()


@pytest.fixture
def operator(client):
    """A staff user: /readyz shows them the details it hides from anonymous callers."""
    user = UserFactory.create(username="operator", is_staff=True)
    client.force_login(user)
    return user


def test_healthz_answers_without_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_it_is_down(client, operator, monkeypatch):
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    # Celery reads CELERY_BROKER_URL from the environment before its own configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setitem(celery_app.conf, "broker_transport_options", {})
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert "broker" in body["failed"]
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["broker"]["ok"] is False


@pytest.mark.django_db
def test_readyz_is_503_naming_the_worker_when_none_answers(client, monkeypatch):
    monkeypatch.setattr("portal.health.WORKER_PING_TIMEOUT_S", 0.2)
    monkeypatch.setattr(celery_app.control, "inspect", lambda **kwargs: _NoWorkers())
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["failed"] == ["worker"]


class _NoWorkers:
    def ping(self) -> None:
        return None


@pytest.mark.worker
@pytest.mark.django_db
def test_readyz_is_200_with_database_broker_and_a_real_worker(client, operator, celery_worker):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["worker"]["ok"] is True


@pytest.mark.django_db
def test_anonymous_readiness_hides_details_and_one_ping_serves_many_callers(client, monkeypatch):
    pings = []

    class _Counting:
        def ping(self) -> dict[str, object]:
            pings.append(1)
            return {"worker@host": {"ok": "pong"}}

    monkeypatch.setattr(celery_app.control, "inspect", lambda **kwargs: _Counting())
    bodies = [client.get("/readyz").json() for _ in range(5)]
    assert len(pings) == 1  # cached: anonymous calls cannot make the broker broadcast at will
    assert all(set(body) == {"status", "failed"} for body in bodies)
