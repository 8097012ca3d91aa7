"""Fixtures for the SIEM tests: collectors on loopback (which the egress guard allows only with the operator's
`PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS`), and Acme's administrator as an actor."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accessctl.actor import Actor
from tests.siem.collectors import HttpsCollector, SyslogReceiver


@pytest.fixture
def loopback_allowed(settings):
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture
def collector(tmp_path) -> Iterator[HttpsCollector]:
    server = HttpsCollector(tmp_path / "https")
    yield server
    server.close()


@pytest.fixture
def syslog(tmp_path) -> Iterator[SyslogReceiver]:
    server = SyslogReceiver(tmp_path / "syslog")
    yield server
    server.close()


@pytest.fixture
def admin(acme, alice) -> Actor:
    return Actor(organization=acme, user=alice, ip="203.0.113.10", request_id="req-siem")
