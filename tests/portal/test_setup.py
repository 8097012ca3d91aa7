"""First-run setup: each step read from live state; the dashboard says how many remain."""

from __future__ import annotations

import pytest

from accessctl.security import settings_for
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def steps(client) -> dict[str, bool]:
    return {step.key: step.done for step in client.get("/setup/").context["steps"]}


def test_a_new_organisation_has_every_step_to_do_and_hipaa_mode_ticks_one(client, acme, alice):
    client.force_login(alice)
    before = steps(client)
    assert set(before) == {"hipaa_mode", "own_mfa", "retention", "baa", "breach_procedure", "emergency"}
    assert not before["hipaa_mode"] and not before["own_mfa"] and not before["emergency"]
    assert before["baa"]  # no deployment sends PHI to anyone yet
    dashboard = client.get("/").content.decode()
    assert 'data-testid="setup-banner"' in dashboard and 'href="/setup/"' in dashboard

    current = settings_for(acme)
    current.hipaa_mode = True
    current.save()
    after = steps(client)
    assert after["hipaa_mode"]
    assert not after["retention"]  # HIPAA mode asks six years: the default year now falls short
    html = client.get("/setup/").content.decode()
    assert 'href="/audit/"' in html and 'data-step="retention" data-done="no"' in html


def test_only_settings_managers_see_setup(client, acme):
    member = UserFactory.create(username="plain", organization=acme)
    grant(member, acme, "auditor")
    client.force_login(member)
    assert client.get("/setup/").status_code == 403
    assert 'data-testid="setup-banner"' not in client.get("/").content.decode()
