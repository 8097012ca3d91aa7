"""Liveness and readiness endpoints."""

from __future__ import annotations

import pytest

from portal.celery import app as celery_app


def test_healthz_answers_without_dependencies(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_readyz_is_503_naming_the_broker_when_it_is_down(client, monkeypatch):
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
def test_readyz_is_200_with_database_broker_and_a_real_worker(client, celery_worker):
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["worker"]["ok"] is True
