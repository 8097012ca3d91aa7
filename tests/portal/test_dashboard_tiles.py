"""The dashboard's incident and deployment tiles: open incidents with their next notification deadline (overdue
first), deployments by state; each only for those who may open what it links to."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from tests.conftest import grant
from tests.deployments.test_gateway import make_deployment
from tests.factories import UserFactory
from tests.incidents.helpers import notifiable_incident

pytestmark = pytest.mark.django_db


def test_open_incidents_show_the_next_deadline_overdue_first(client, acme, alice):
    late = notifiable_incident(acme)
    Incident.objects.filter(pk=late.pk).update(title="Stolen laptop", discovered_at=timezone.now() - timedelta(days=90))
    Incident.objects.create(organization=acme, title="Misdirected fax", discovered_at=timezone.now(), source="manual")
    Incident.objects.create(organization=acme, title="Closed one", discovered_at=timezone.now(), source="manual",
                            status="resolved")  # fmt: skip
    client.force_login(alice)
    response = client.get("/")
    tile = response.context["incidents"]
    assert tile["count"] == 2 and tile["overdue"] == 1
    assert [row["incident"].title for row in tile["rows"]] == ["Stolen laptop", "Misdirected fax"]
    html = response.content.decode()
    assert 'data-testid="open-incidents">2<' in html and "overdue" in html and "Closed one" not in html


def test_deployments_by_state(client, acme, alice):
    make_deployment(acme, name="a")
    make_deployment(acme, name="b")
    make_deployment(acme, name="c", state="failed")
    client.force_login(alice)
    tile = client.get("/").context["deployments"]
    assert tile["live"] == 2 and tile["total"] == 3
    assert ("Failed", 1, "failed") in tile["by_state"]


def test_tiles_follow_permissions(client, acme):
    member = UserFactory.create(username="plain", organization=acme)
    client.force_login(member)
    response = client.get("/")
    assert response.context["incidents"] is None and response.context["deployments"] is None
    grant(member, acme, "auditor")
    assert client.get("/").context["incidents"] is None  # auditors read; incidents are managed
