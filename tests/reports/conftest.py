"""Fixtures for report tests: an auditor (read only) and a compliance officer (generate and read) at Acme."""

from __future__ import annotations

import pytest

from accessctl.models import Organization, User
from tests.conftest import grant
from tests.factories import UserFactory


@pytest.fixture
def erin(acme: Organization) -> User:
    """Acme's auditor: may read reports, not generate them."""
    user: User = UserFactory.create(username="erin", organization=acme)
    grant(user, acme, "auditor")
    return user


@pytest.fixture
def olivia(acme: Organization) -> User:
    """Acme's compliance officer: generates and reads reports."""
    user: User = UserFactory.create(username="olivia", organization=acme)
    grant(user, acme, "compliance-officer")
    return user
