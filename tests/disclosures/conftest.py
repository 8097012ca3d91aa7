"""Fixtures: Acme's compliance officer and three inferences about one patient."""

from __future__ import annotations

import pytest

from tests.conftest import grant
from tests.deployments.test_gateway import generate, make_deployment
from tests.disclosures.test_disclosures import SMITH
from tests.factories import UserFactory


@pytest.fixture
def smith_inferences(api_client, alice, acme, monkeypatch):
    from tests.deployments.fakes import use_echo_provider

    use_echo_provider(monkeypatch)
    deployment = make_deployment(acme)
    api_client.force_authenticate(alice)
    return [generate(api_client, deployment, prompt=p).json()["id"] for p in SMITH]


@pytest.fixture
def dana(acme):
    """Acme's compliance officer."""
    user = UserFactory.create(username="dana", organization=acme)
    grant(user, acme, "compliance-officer")
    return user
