"""RFC 9162 proofs over REST verify against the signed checkpoints, as a third party would check them."""

from __future__ import annotations

import pytest

from accessctl.actor import Actor
from audit.merkle import verify_consistency, verify_inclusion
from audit.services import checkpoint_create, record, sequence_chain

pytestmark = pytest.mark.django_db


@pytest.fixture
def checkpoints(alice, acme):
    actor = Actor(organization=acme, user=alice)
    chain = acme.public_id
    sequence_chain(chain)
    events = [record(actor=actor, event_type="model.inference", details={"i": i}) for i in range(7)]
    first = checkpoint_create(chain)
    events += [record(actor=actor, event_type="phi.detection", details={"i": i}) for i in range(5)]
    second = checkpoint_create(chain)
    assert first is not None and second is not None
    return events, first, second


def test_inclusion_proof_verifies_against_the_signed_root(api_client, alice, checkpoints):
    events, first, second = checkpoints
    api_client.force_authenticate(alice)
    heads = api_client.get("/api/v1/audit-logs/checkpoints").json()
    assert [h["tree_size"] for h in heads["results"]] == [first.tree_size, second.tree_size]
    assert set(heads["public_keys"]) == {h["key_id"] for h in heads["results"]}
    target = events[3]
    proof = api_client.get(f"/api/v1/audit-logs/{target.event_id}/proof", {"tree_size": second.tree_size}).json()
    assert proof["leaf_hash"] == target.leaf_hash
    path = [bytes.fromhex(node) for node in proof["audit_path"]]
    root = bytes.fromhex(second.root_hash)
    assert verify_inclusion(bytes.fromhex(proof["leaf_hash"]), proof["leaf_index"], second.tree_size, path, root)
    assert not verify_inclusion(bytes.fromhex(events[4].leaf_hash), proof["leaf_index"], second.tree_size, path, root)


def test_consistency_proof_links_the_two_checkpoints(api_client, alice, checkpoints):
    _, first, second = checkpoints
    api_client.force_authenticate(alice)
    body = api_client.get(
        "/api/v1/audit-logs/consistency", {"first": first.tree_size, "second": second.tree_size}
    ).json()
    proof = [bytes.fromhex(node) for node in body["proof"]]
    old_root, new_root = bytes.fromhex(first.root_hash), bytes.fromhex(second.root_hash)
    assert verify_consistency(first.tree_size, second.tree_size, old_root, new_root, proof)
    assert not verify_consistency(first.tree_size, second.tree_size, new_root, new_root, proof)


@pytest.mark.parametrize(
    ("url", "params", "field"),
    [
        ("/api/v1/audit-logs/consistency", {"first": "x", "second": "3"}, "first"),
        ("/api/v1/audit-logs/consistency", {"first": "5", "second": "3"}, "first"),
        ("/api/v1/audit-logs/consistency", {"first": "1", "second": "99999"}, "tree_size"),
        ("/api/v1/audit-logs/evt_nope/proof", {"tree_size": "3"}, "event_id"),
    ],
)
def test_bad_proof_requests_get_400_naming_the_field(api_client, alice, checkpoints, url, params, field):
    api_client.force_authenticate(alice)
    response = api_client.get(url, params)
    assert response.status_code == 400 and field in response.json()["errors"]
