"""Every kind of tampering is detected, naming the position, by the live and the offline verifier."""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from audit.db_guard import drop_guard, install_guard
from audit.export import export_bundle
from audit.models import Checkpoint
from audit.verify import verify_bundle
from audit.verify_live import verify_chain

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def raw(sql: str, params: list[str | int] | None = None) -> None:
    """Run SQL with the append-only guard removed, as an attacker with database access could."""
    drop_guard(connection)
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, params or [])
    finally:
        install_guard(connection)


def test_untouched_chain_verifies(sealed_chain):
    report = verify_chain(sealed_chain)
    assert report.ok, report.reason
    assert (report.events, report.first_seq, report.last_seq, report.checkpoints) == (10, 1, 10, 1)


def test_live_edit_is_detected(sealed_chain):
    raw("UPDATE audit_auditevent SET outcome = 'denied' WHERE chain = %s AND seq = 4", [sealed_chain])
    report = verify_chain(sealed_chain)
    assert not report.ok
    assert report.failed_seq == 4
    assert "edited" in report.reason


def test_live_edit_with_recomputed_hashes_is_caught_by_the_chain(sealed_chain):
    from audit import canonical
    from audit.models import AuditEvent
    from audit.services import event_content

    event = AuditEvent.objects.get(chain=sealed_chain, seq=6)
    event.event_type = "deployment.deleted"
    forged_leaf = canonical.leaf_hash(event_content(event)).hex()
    raw(
        "UPDATE audit_auditevent SET event_type = %s, leaf_hash = %s WHERE id = %s",
        ["deployment.deleted", forged_leaf, event.pk],
    )
    report = verify_chain(sealed_chain)
    assert not report.ok and report.failed_seq == 6
    assert "chain hash mismatch" in report.reason


def test_live_deletion_is_detected(sealed_chain):
    raw("DELETE FROM audit_auditevent WHERE chain = %s AND seq = 3", [sealed_chain])
    report = verify_chain(sealed_chain)
    assert not report.ok and report.failed_seq == 3
    assert "missing" in report.reason


def test_live_swap_is_detected(sealed_chain):
    raw("UPDATE audit_auditevent SET seq = -5 WHERE chain = %s AND seq = 5", [sealed_chain])
    raw("UPDATE audit_auditevent SET seq = 5 WHERE chain = %s AND seq = 6", [sealed_chain])
    raw("UPDATE audit_auditevent SET seq = 6 WHERE chain = %s AND seq = -5", [sealed_chain])
    report = verify_chain(sealed_chain)
    assert not report.ok and report.failed_seq == 5
    assert "prev_hash" in report.reason


def test_live_tail_truncation_is_detected(sealed_chain):
    raw("DELETE FROM audit_auditevent WHERE chain = %s AND seq > 7", [sealed_chain])
    report = verify_chain(sealed_chain)
    assert not report.ok and report.failed_seq == 8
    assert "truncated" in report.reason


def test_live_forged_checkpoint_is_detected(sealed_chain):
    Checkpoint.objects.filter(chain=sealed_chain).update(root_hash="ab" * 32)
    report = verify_chain(sealed_chain)
    assert not report.ok and report.failed_seq == 10
    assert "invalid signature" in report.reason


# --- offline: the exported bundle, tampered on disk --------------------------------------------


@pytest.fixture
def bundle_dir(sealed_chain, alice_actor, tmp_path):
    stream, filename = export_bundle(actor=alice_actor)
    assert filename.endswith(".zip")
    with zipfile.ZipFile(stream) as archive:
        archive.extractall(tmp_path / "bundle")
    return tmp_path / "bundle"


def events(bundle: Path) -> list[dict[str, Any]]:
    rows = []
    for line in (bundle / "events.log").read_text(encoding="utf-8").splitlines():
        seq, leaf_hash, prev_hash, hash_, text = line.split("\t", 4)
        rows.append({"seq": int(seq), "leaf_hash": leaf_hash, "prev_hash": prev_hash, "hash": hash_, "event": text})
    return rows


def write_events(bundle: Path, rows: list[dict[str, Any]]) -> None:
    lines = (f"{r['seq']}\t{r['leaf_hash']}\t{r['prev_hash']}\t{r['hash']}\t{r['event']}\n" for r in rows)
    (bundle / "events.log").write_text("".join(lines), encoding="utf-8")


def test_export_verifies_offline_with_the_cli_without_django(bundle_dir, tmp_path):
    zip_path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        for file in bundle_dir.iterdir():
            archive.write(file, file.name)
    result = subprocess.run(  # noqa: S603 - fixed argv
        [
            sys.executable,
            "-c",
            "import sys, runpy; sys.argv = ['audit.verify', sys.argv[1]];"
            "code = 0\n"
            "try: runpy.run_module('audit.verify', run_name='__main__')\n"
            "except SystemExit as e: code = e.code\n"
            "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'imported Django'\n"
            "sys.exit(code)",
            str(zip_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: chain ")
    assert "10 events (seq 1..10), " in result.stdout


def test_offline_edit_is_detected(bundle_dir):
    rows = events(bundle_dir)
    assert '"index":3' in rows[3]["event"]
    rows[3]["event"] = rows[3]["event"].replace('"index":3', '"index":99')
    write_events(bundle_dir, rows)
    report = verify_bundle(bundle_dir)
    assert not report.ok and report.failed_seq == 4 and "edited" in report.reason


def test_offline_deletion_is_detected(bundle_dir):
    rows = events(bundle_dir)
    del rows[2]
    write_events(bundle_dir, rows)
    report = verify_bundle(bundle_dir)
    assert not report.ok and report.failed_seq == 3 and "missing" in report.reason


def test_offline_swap_is_detected(bundle_dir):
    rows = events(bundle_dir)
    rows[4]["seq"], rows[5]["seq"] = rows[5]["seq"], rows[4]["seq"]
    rows[4], rows[5] = rows[5], rows[4]
    write_events(bundle_dir, rows)
    report = verify_bundle(bundle_dir)
    assert not report.ok and report.failed_seq == 5 and "prev_hash" in report.reason


def test_offline_truncation_is_detected(bundle_dir):
    write_events(bundle_dir, events(bundle_dir)[:7])
    report = verify_bundle(bundle_dir)
    assert not report.ok and report.failed_seq == 8 and "truncated" in report.reason


def test_offline_forged_checkpoint_is_detected(bundle_dir):
    checkpoint = json.loads((bundle_dir / "checkpoints.jsonl").read_text().splitlines()[-1])
    checkpoint["root_hash"] = "cd" * 32
    (bundle_dir / "checkpoints.jsonl").write_text(json.dumps(checkpoint) + "\n")
    report = verify_bundle(bundle_dir)
    assert not report.ok and report.failed_seq == 10 and "invalid signature" in report.reason


def test_offline_forged_checkpoint_with_attackers_key_is_detected(bundle_dir):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    keys = json.loads((bundle_dir / "public_keys.json").read_text())
    attacker = Ed25519PrivateKey.generate()
    (key_id,) = keys
    keys[key_id] = (
        attacker.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    (bundle_dir / "public_keys.json").write_text(json.dumps(keys))
    report = verify_bundle(bundle_dir)
    assert not report.ok and "invalid signature" in report.reason


def test_offline_verifier_pins_trusted_keys_against_a_resigned_bundle(bundle_dir, tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from audit import canonical
    from audit.signing import key_id_for, public_pem, signing_key

    attacker = Ed25519PrivateKey.generate()
    attacker_id = key_id_for(attacker.public_key())
    rows = events(bundle_dir)[:5]  # drop the tail, then re-sign a checkpoint over what is left
    write_events(bundle_dir, rows)
    manifest = json.loads((bundle_dir / "manifest.json").read_text())
    manifest["size"] = 5
    (bundle_dir / "manifest.json").write_text(json.dumps(manifest))
    from audit.merkle import CompactRange

    frontier = CompactRange()
    frontier.extend(bytes.fromhex(row["leaf_hash"]) for row in rows)
    root_hash, timestamp = frontier.root().hex(), "2026-01-01T00:00:00.000000Z"
    message = canonical.checkpoint_message(
        chain=manifest["chain"], tree_size=5, root_hash=root_hash, timestamp=timestamp
    )
    checkpoint = {"tree_size": 5, "root_hash": root_hash, "timestamp": timestamp}
    checkpoint |= {"key_id": attacker_id, "signature": attacker.sign(message).hex()}
    (bundle_dir / "checkpoints.jsonl").write_text(json.dumps(checkpoint) + "\n")
    pem = attacker.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    (bundle_dir / "public_keys.json").write_text(json.dumps({attacker_id: pem.decode()}))

    assert verify_bundle(bundle_dir).ok  # self-consistent when the bundle's own key is trusted...
    trusted = tmp_path / "service.pem"
    trusted.write_text(public_pem(signing_key().public_key()))
    from audit.verify import main

    assert main([str(bundle_dir), "--trust", str(trusted)]) == 1  # ...but not against the service's key
