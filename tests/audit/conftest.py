"""Fixtures for audit tests: actors and a small sequenced, checkpointed chain."""

from __future__ import annotations

import pytest

from accessctl.actor import Actor
from accessctl.models import Organization, User
from audit.models import AuditEvent
from audit.services import checkpoint_create, record, sequence_chain
from tests.factories import OrganizationFactory, UserFactory


def _quiet_actor(org_name: str, username: str, ip: str) -> Actor:
    """An actor in an organisation made by factories, whose chain therefore starts empty."""
    organization: Organization = OrganizationFactory.create(name=org_name, slug=org_name.lower().replace(" ", "-"))
    user: User = UserFactory.create(username=username, organization=organization)
    return Actor(organization=organization, user=user, ip=ip, user_agent="pytest", request_id=f"req-{username}-0001")


@pytest.fixture
def alice_actor() -> Actor:
    return _quiet_actor("Ledger Health", "alice", "10.1.2.3")


@pytest.fixture
def charlie_actor() -> Actor:
    return _quiet_actor("Other Ledger", "charlie", "10.9.9.9")


def write_events(actor: Actor, count: int, *, event_type: str = "deployment.created") -> list[AuditEvent]:
    return [
        record(
            actor=actor,
            event_type=event_type,
            resource=f"deployment/hipaa-{i}",
            resource_id=f"dep_{i:010d}",
            details={"index": i, "types": ["NAME", "DATE"], "counts": {"NAME": 1}},
        )
        for i in range(count)
    ]


@pytest.fixture
def sealed_chain(alice_actor: Actor) -> str:
    """Ten events, sequenced, with a signed checkpoint over all ten."""
    write_events(alice_actor, 10)
    chain = alice_actor.organization.public_id
    sequence_chain(chain)
    checkpoint_create(chain)
    return chain
