"""Shared fixtures: named users in two organisations, an API client, a real Celery worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from accessctl.models import Organization, Role, User
from accessctl.services import organization_get_or_create, role_assign
from audit.db_guard import drop_guard, install_guard
from portal.celery import app as celery_app
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


def grant(user: User, organization: Organization, role_name: str) -> None:
    role = Role.objects.get(organization=organization, name=role_name)
    role_assign(actor=None, organization=organization, user=user, role=role)


@pytest.fixture
def acme() -> Organization:
    return organization_get_or_create(name="Acme Health")[0]


@pytest.fixture
def globex() -> Organization:
    return organization_get_or_create(name="Globex Clinics")[0]


@pytest.fixture
def alice(acme: Organization) -> User:
    """Acme's administrator (org-admin)."""
    user: User = UserFactory.create(username="alice", organization=acme)
    grant(user, acme, "org-admin")
    return user


@pytest.fixture
def bob(acme: Organization) -> User:
    """An Acme member with no roles."""
    return UserFactory.create(username="bob", organization=acme)


@pytest.fixture
def charlie(globex: Organization) -> User:
    """Globex's administrator (org-admin)."""
    user: User = UserFactory.create(username="charlie", organization=globex)
    grant(user, globex, "org-admin")
    return user


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


def _database_url_for_worker() -> str:
    """The URL of the database the tests are using right now (the test database)."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings_dict['NAME']}"
    user = settings_dict.get("USER") or ""
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def celery_worker(django_db_setup: None, django_db_blocker: pytest.FixtureRequest) -> Iterator[subprocess.Popen[bytes]]:
    """A real `celery worker` process on every queue, sharing the broker and the test database."""
    with django_db_blocker.unblock():  # type: ignore[attr-defined]
        database_url = _database_url_for_worker()
    env = {**os.environ, "DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "tests.settings",
           # External deployments in worker tests point at fake endpoints on loopback.
           "PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS": "1"}  # fmt: skip
    celery_app.control.purge()
    log_path = Path(os.environ["PAITIENT_VAR_DIR"]) / "test-worker.log"
    node_name = f"test-{os.getpid()}@{socket.gethostname()}"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(  # noqa: S603 - fixed argv
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "-Q",
                "provisioning,phi,reports,maintenance",
                "--hostname",
                node_name,
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"celery worker exited early; see {log_path}")
            if celery_app.control.inspect(timeout=1, destination=[node_name]).ping():
                break
        else:
            pytest.fail(f"celery worker did not answer within 60 s; see {log_path}")
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def _uses_transactions(request: pytest.FixtureRequest) -> bool | None:
    """True for transactional tests, False for ordinary database tests, None without a database."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if (marker and marker.kwargs.get("transaction")) or names & {"transactional_db", "live_server"}:
        return True
    if marker or "db" in names:
        return False
    return None


@pytest.fixture(autouse=True)
def _audit_append_only_guard(request: pytest.FixtureRequest) -> Iterator[None]:
    """Keep the audit table's append-only triggers in place for every test, and lift them only for the
    flush that ends a transactional test (Django empties every table there, which the guard refuses)."""
    transactional = _uses_transactions(request)
    if transactional is None:
        yield
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    install_guard(connection)
    yield
    if transactional:
        drop_guard(connection)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Counters kept in Django's cache (failure aggregation per address) start empty in every test."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
