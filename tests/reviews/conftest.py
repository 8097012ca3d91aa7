"""Fixtures for access reviews: acme with an administrator (alice), a compliance officer who reviews (olivia),
a member holding the auditor role and a live API key (bob), and a deactivated member (dave)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from accessctl.actor import Actor
from accessctl.api_keys import api_key_issue
from accessctl.models import Membership, Organization, User
from tests.conftest import grant
from tests.factories import UserFactory


@pytest.fixture
def olivia(acme: Organization) -> User:
    """Acme's compliance officer: holds access:review, not role:manage."""
    user: User = UserFactory.create(username="olivia", organization=acme)
    grant(user, acme, "compliance-officer")
    return user


@pytest.fixture
def bob_grants(acme: Organization, bob: User) -> dict[str, object]:
    """Bob holds the auditor role and one live key; a revoked and an expired key of his are not reviewed."""
    grant(bob, acme, "auditor")
    key, token = api_key_issue(actor=None, organization=acme, user=bob, name="bob laptop")
    revoked, _ = api_key_issue(actor=None, organization=acme, user=bob, name="old laptop")
    revoked.revoked_at = timezone.now()
    revoked.save(update_fields=["revoked_at"])
    expired, _ = api_key_issue(actor=None, organization=acme, user=bob, name="expired key")
    expired.expires_at = timezone.now() - timedelta(days=1)
    expired.save(update_fields=["expires_at"])
    return {"key": key, "token": token}


@pytest.fixture
def dave(acme: Organization) -> User:
    """A deactivated acme member who still holds a role: not reviewed (he has no access)."""
    user: User = UserFactory.create(username="dave", organization=acme)
    grant(user, acme, "auditor")
    Membership.objects.filter(user=user).update(is_active=False, deactivated_at=timezone.now())
    return user


def actor(organization: Organization, user: User) -> Actor:
    return Actor(organization=organization, user=user)
