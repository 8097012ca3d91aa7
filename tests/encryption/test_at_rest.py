"""Encryption at rest: fields and files never hold PHI in the clear; keys rotate and crypto-shred; KMS."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.db import connection, transaction

from accessctl.actor import Actor
from audit.models import AuditEvent
from encryption import master
from encryption.fields import Sealed
from encryption.hybrid import DecryptionError, read_header
from encryption.models import KeyStatus, OrganizationKey
from encryption.services import KeyDestroyed, blind_index, keys_destroy, keys_rotate
from encryption.storage import EncryptedFileStorage
from encryption.tasks import reencrypt_organization
from tests.testapp.models import ClinicalNote

pytestmark = pytest.mark.django_db

CANARY = "Patient Zebediah Quackenbush-Canary MRN 99887766 SSN 078-05-1120"


def all_rows_text() -> str:
    """Every row of every table, as the database returns it, decoded leniently."""
    parts: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        parts.append(bytes(value).decode("latin-1"))
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


@pytest.fixture
def note(acme):
    return ClinicalNote.objects.create(
        organization=acme, body=CANARY, facts={"note": CANARY, "mrn": "99887766"}, scan=CANARY.encode()
    )


def test_values_round_trip_through_the_orm(note):
    fresh = ClinicalNote.objects.get(pk=note.pk)
    assert isinstance(fresh.__dict__["body"], Sealed)
    assert fresh.body == CANARY
    assert fresh.facts == {"note": CANARY, "mrn": "99887766"}
    assert fresh.scan == CANARY.encode()


def test_canary_never_appears_in_any_database_row(note):
    text = all_rows_text()
    for fragment in ("Quackenbush", "99887766", "078-05-1120"):
        assert fragment not in text


def test_levels_use_the_right_algorithm(note):
    fresh = ClinicalNote.objects.get(pk=note.pk)
    assert read_header(bytes(fresh.__dict__["body"])).algorithm == 1  # hybrid X25519 + ML-KEM-768
    assert read_header(bytes(fresh.__dict__["facts"])).algorithm == 2  # AES-256-GCM, standard


def test_a_value_moved_to_another_row_does_not_open(note, acme):
    other = ClinicalNote.objects.create(organization=acme, body="other", facts={}, scan=b"")
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM testapp_clinicalnote WHERE id = %s", [note.pk])
        (sealed,) = cursor.fetchone()
        cursor.execute("UPDATE testapp_clinicalnote SET body = %s WHERE id = %s", [sealed, other.pk])
    with pytest.raises(DecryptionError):
        _ = ClinicalNote.objects.get(pk=other.pk).body


def test_another_organisations_keys_do_not_open_it(note, globex):
    stolen = ClinicalNote.objects.get(pk=note.pk)
    stolen.organization = globex
    with pytest.raises(DecryptionError):
        _ = stolen.body


def test_rotation_reencrypts_and_retires_the_old_keys(note, alice, acme):
    before = read_header(bytes(ClinicalNote.objects.get(pk=note.pk).__dict__["body"])).key_id
    keys_rotate(actor=Actor(organization=acme, user=alice))
    assert OrganizationKey.objects.get(key_id=before).status == KeyStatus.RETIRED
    assert ClinicalNote.objects.get(pk=note.pk).body == CANARY  # still readable under the retired key
    assert reencrypt_organization.run(acme.pk) == 3
    after = ClinicalNote.objects.get(pk=note.pk)
    assert read_header(bytes(after.__dict__["body"])).key_id != before
    assert after.body == CANARY and after.facts["mrn"] == "99887766"
    assert reencrypt_organization.run(acme.pk) == 0  # idempotent
    assert AuditEvent.objects.filter(event_type="encryption.key.rotated").exists()


def test_crypto_shredding_makes_the_data_unreadable(note, acme):
    assert keys_destroy(actor=None, organization=acme, reason="contract ended") >= 2
    with pytest.raises(KeyDestroyed):
        _ = ClinicalNote.objects.get(pk=note.pk).body
    assert not OrganizationKey.objects.filter(organization=acme).exclude(sealed_secret=b"").exists()
    assert AuditEvent.objects.get(event_type="encryption.keys.destroyed").details["reason"] == "contract ended"


def test_files_are_sealed_on_disk_and_bound_to_their_name(acme, tmp_path):
    storage = EncryptedFileStorage(location=tmp_path)
    name = storage.save(f"{acme.public_id}/reports/r1.txt", ContentFile(CANARY.encode()))
    raw = (tmp_path / name).read_bytes()
    assert b"Quackenbush" not in raw and raw.startswith(b"PSE1")
    with storage.open(name) as opened:
        assert opened.read() == CANARY.encode()
    moved = f"{acme.public_id}/reports/renamed.txt"
    Path(tmp_path / moved).write_bytes(raw)
    with pytest.raises(DecryptionError):
        storage.open(moved)
    with pytest.raises(ValueError, match="public id"):
        storage.save("no-org/x.txt", ContentFile(b"x"))


def test_blind_index_is_stable_per_organisation_and_reveals_nothing(acme, globex):
    first = blind_index(acme, "john smith", purpose="name")
    assert first == blind_index(acme, "john smith", purpose="name")
    assert first != blind_index(globex, "john smith", purpose="name")
    assert first != blind_index(acme, "john smith", purpose="other")
    assert "john" not in first


def test_without_a_master_key_nothing_is_encrypted(acme, monkeypatch):
    monkeypatch.delenv("PAITIENT_MASTER_KEY", raising=False)
    master.master_key.cache_clear()
    try:
        with pytest.raises(master.MasterKeyUnavailable, match="no master key"), transaction.atomic():
            ClinicalNote.objects.create(organization=acme, body=CANARY, facts={}, scan=b"")
        assert not ClinicalNote.objects.exists()
    finally:
        monkeypatch.undo()
        master.master_key.cache_clear()


def test_kms_master_key_seals_and_binds_the_context():
    import boto3
    from moto import mock_aws

    with mock_aws():
        client = boto3.client("kms", region_name="us-east-1")
        key_id = client.create_key(Description="paitient test")["KeyMetadata"]["KeyId"]
        kms = master.KmsMasterKey(key_id, client)
        sealed = kms.seal(b"organisation secret", aad=b"org|1")
        assert b"organisation secret" not in sealed
        assert kms.unseal(sealed, aad=b"org|1") == b"organisation secret"
        with pytest.raises(DecryptionError):
            kms.unseal(sealed, aad=b"org|2")


def test_console_lists_keys_without_material_and_rotates(client, alice, note):
    client.force_login(alice)
    page = client.get("/settings/keys/").content.decode()
    key = OrganizationKey.objects.filter(organization=note.organization).first()
    assert key is not None and key.key_id in page
    assert bytes(key.sealed_secret).hex()[:16] not in page
    response = client.post("/settings/keys/rotate", {"confirmed": "yes"})
    assert response.status_code == 302
    assert OrganizationKey.objects.filter(organization=note.organization, status="retired").exists()


def test_crypto_shred_command_needs_confirmation(acme, note):
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="does not match"):
        call_command("crypto_shred", acme.public_id, "--confirm", "org_wrong", "--reason", "test")
    assert not OrganizationKey.objects.filter(status="destroyed").exists()
    call_command("crypto_shred", acme.public_id, "--confirm", acme.public_id, "--reason", "offboarding")
    assert OrganizationKey.objects.filter(organization=acme, status="destroyed").count() >= 2
