"""Every audit event type the product writes, from every kind of actor and with every outcome, becomes an OCSF
1.7.0 event that validates against its class (tests/siem/ocsf_schema.py says exactly against what); the mapping
keeps our event id and sequence; nothing beyond the audit row's ids, types, counts and hashes leaves."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from accessctl.actor import Actor
from accessctl.models import ApiKey
from audit.models import AuditEvent, Outcome
from audit.services import record, sequence_chain
from siem.ocsf import ACCOUNT_CHANGE, API_ACTIVITY, AUTHENTICATION, ENTITY_MANAGEMENT, classify, to_line, to_ocsf
from tests.conftest import ROOT
from tests.siem.ocsf_schema import ocsf_problems

pytestmark = pytest.mark.django_db

LITERAL = re.compile(r"""event_type\s*=\s*"([a-z0-9_]+(?:\.[a-z0-9_]+)+)\"""")
# Built with f-strings in the product (the literal pattern cannot see them): every value they take.
FORMATTED = ["admin.enabled", "admin.disabled", "baa.active", "baa.expired", "deployment.running",
             "deployment.stopped", "emergency_access.approved", "emergency_access.denied"]  # fmt: skip


USER_TARGET = {"resource": "user/alice", "resource_id": "user_abcdefgh"}
DEPLOYMENT_TARGET = {"resource": "deployment/icu", "resource_id": "dep_x1"}


NOT_CODE = {"tests", "sdk", "bench", "docs", "var", "static", "templates", "node_modules"}


def emitted_event_types() -> list[str]:
    """Every event type written by the product's code (not tests): new ones are covered without editing here."""
    found: set[str] = set()
    tops = [top for top in ROOT.iterdir() if top.is_dir() and not top.name.startswith(".") and top.name not in NOT_CODE]
    for path in (path for top in tops for path in top.rglob("*.py")):
        if "migrations" not in path.parts:
            found.update(LITERAL.findall(path.read_text(encoding="utf-8")))
    return sorted(found - {"x.y"} | set(FORMATTED))


def test_the_scan_finds_the_product_event_types():
    types = emitted_event_types()
    assert {"auth.login.succeeded", "user.created", "model.inference", "deployment.created",
            "siem.destination.created", "siem.delivery.failing"} <= set(types), types  # fmt: skip
    assert len(types) > 80


@pytest.fixture
def actors(acme, alice):
    key = ApiKey(public_id="key_0123456789abcdef", organization=acme, user=alice, name="ci")
    return {
        "user": Actor(organization=acme, user=alice, ip="203.0.113.7", user_agent="Mozilla/5.0", request_id="req-1"),
        "api_key": Actor(organization=acme, user=alice, ip="2001:db8::5", request_id="req-2", api_key=key),
        "user_without_address": Actor(organization=acme, user=alice),
        "system": None,
    }


@pytest.mark.parametrize("actor_kind", ["user", "api_key", "user_without_address", "system"])
def test_every_event_type_validates_against_its_ocsf_class(acme, actors, actor_kind):
    outcomes = list(Outcome.values)
    written = []
    for index, event_type in enumerate(emitted_event_types()):
        about_user = event_type.startswith(("user.", "auth.", "role.")) and index % 2
        target = USER_TARGET if about_user else DEPLOYMENT_TARGET
        written.append(record(actor=actors[actor_kind], organization=acme, event_type=event_type,
                              outcome=outcomes[index % len(outcomes)], details={"count": index, "types": ["NAME"]},
                              resource=target["resource"], resource_id=target["resource_id"]))  # fmt: skip
    sequence_chain(acme.public_id)
    classes = set()
    for event in AuditEvent.objects.filter(pk__in=[e.pk for e in written]).order_by("seq"):
        ocsf = to_ocsf(event)
        assert ocsf_problems(ocsf) == [], (event.event_type, ocsf)
        assert ocsf["metadata"]["uid"] == event.event_id and ocsf["metadata"]["sequence"] == event.seq
        classes.add(ocsf["class_uid"])
    assert classes == {3001, 3002, 3004, 6003}


def test_the_families_land_in_the_classes_a_siem_expects():
    assert classify("auth.login.succeeded") == (AUTHENTICATION, 1)
    assert classify("auth.login.failed") == (AUTHENTICATION, 1)
    assert classify("auth.session.ended") == (AUTHENTICATION, 2)
    assert classify("auth.password_reset.completed") == (ACCOUNT_CHANGE, 4)
    assert classify("user.deactivated") == (ACCOUNT_CHANGE, 5)
    assert classify("auth.mfa.enrolled") == (ACCOUNT_CHANGE, 10)
    assert classify("role.assigned") == (ACCOUNT_CHANGE, 7)
    assert classify("auth.lockout") == (ACCOUNT_CHANGE, 9)
    assert classify("model.inference") == (API_ACTIVITY, 2)
    assert classify("deployment.read") == (API_ACTIVITY, 2)
    assert classify("access.denied") == (API_ACTIVITY, 99)
    assert classify("deployment.created") == (ENTITY_MANAGEMENT, 1)
    assert classify("deployment.deleted") == (ENTITY_MANAGEMENT, 4)
    assert classify("settings.changed") == (ENTITY_MANAGEMENT, 3)
    assert classify("compliance.hipaa_mode.enabled") == (ENTITY_MANAGEMENT, 8)


def test_a_failed_sign_in_is_a_failed_logon_of_the_user_it_names(acme, alice, rf):
    request = rf.post("/login/", REMOTE_ADDR="198.51.100.9", HTTP_USER_AGENT="curl/8")
    event = record(actor=None, organization=acme, user=alice, request=request, event_type="auth.login.failed",
                   outcome=Outcome.DENIED, details={"reason": "bad_password"})  # fmt: skip
    sequence_chain(acme.public_id)
    ocsf = to_ocsf(AuditEvent.objects.get(pk=event.pk))
    assert ocsf_problems(ocsf) == []
    assert (ocsf["class_uid"], ocsf["activity_name"], ocsf["status"], ocsf["severity"]) == (
        3002,
        "Logon",
        "Failure",
        "Medium",
    )
    assert ocsf["user"]["uid"] == alice.public_id
    assert ocsf["src_endpoint"] == {"ip": "198.51.100.9"}
    assert ocsf["http_request"] == {"user_agent": "curl/8"}
    assert ocsf["actor"] == {"app_name": "anonymous"}


def test_the_validator_catches_what_is_wrong(acme, actors):
    """The check can fail: each broken copy of a valid event is refused, naming what is wrong."""
    event = record(actor=actors["user"], event_type="model.inference", resource="deployment/icu", resource_id="d1")
    sequence_chain(acme.public_id)
    good = to_ocsf(AuditEvent.objects.get(pk=event.pk))
    assert ocsf_problems(good) == []
    broken = {
        "activity_id": {**good, "activity_id": 42},
        "metadata": {**good, "metadata": {k: v for k, v in good["metadata"].items() if k != "product"}},
        "time": {**good, "time": "yesterday"},
        "api": {k: v for k, v in good.items() if k != "api"},
        "patient_name": {**good, "patient_name": "x"},
        "activity_name": {**good, "activity_name": "Delete"},
        "type_uid": {**good, "type_uid": 600301},
        "actor": {**good, "actor": {}},
    }
    for field, event_dict in broken.items():
        problems = ocsf_problems(event_dict)
        assert problems and any(field in p for p in problems), (field, problems)


def test_no_name_or_address_of_a_person_leaves_only_ids(acme, actors, alice):
    alice.email, alice.first_name = "alice.canary@example.org", "Canaryname"
    alice.save()
    event = record(actor=actors["user"], event_type="phi.detection", resource="deployment/icu",
                   resource_id="dep_1", details={"types": {"NAME": 2}, "prompt_sha256": "ab" * 32})  # fmt: skip
    sequence_chain(acme.public_id)
    line = to_line(to_ocsf(AuditEvent.objects.get(pk=event.pk))).decode()
    assert "canary" not in line.lower() and "alice" not in line.lower()
    assert json.loads(line)["unmapped"]["paitient"]["details"] == {"types": {"NAME": 2}, "prompt_sha256": "ab" * 32}
    assert line.endswith("\n") and line.count("\n") == 1


def test_the_same_event_gives_the_same_line(acme, actors):
    event = record(actor=actors["user"], event_type="deployment.updated", resource="deployment/icu", resource_id="d")
    sequence_chain(acme.public_id)
    stored = AuditEvent.objects.get(pk=event.pk)
    assert to_line(to_ocsf(stored)) == to_line(to_ocsf(AuditEvent.objects.get(pk=event.pk)))


def test_the_schema_file_is_the_packaged_one():
    from tests.siem.ocsf_schema import SCHEMA_FILE, ocsf_lib_schema

    assert SCHEMA_FILE.is_file() and Path(SCHEMA_FILE).stat().st_size > 1_000_000
    assert ocsf_lib_schema().version == "1.7.0"
