"""Many audit events fast, as a valid chain: content hashed like `record`, then seq/prev_hash/hash and the
chain head set the way the sequencer would, written with bulk_create (no per-event round trips)."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction

from accessctl.models import Organization
from audit import canonical
from audit.merkle import CompactRange
from audit.models import ActorType, AuditEvent
from audit.services import event_content, locked_head, sequence_chain

PHI_TYPES = ["NAME", "DATE", "PHONE", "MRN", "ADDRESS", "EMAIL", "SSN"]
# (event type, weight): roughly what a busy clinical deployment logs
MIX: list[tuple[str, int]] = [
    ("model.inference", 400),
    ("phi.detection", 350),
    ("auth.login.succeeded", 50),
    ("auth.login.failed", 40),
    ("auth.lockout", 5),
    ("auth.mfa.succeeded", 20),
    ("auth.mfa.failed", 5),
    ("auth.api_key.failed", 5),
    ("access.denied", 20),
    ("settings.changed", 5),
    ("role.assigned", 5),
    ("api_key.created", 5),
    ("encryption.key.rotated", 2),
    ("deployment.created", 3),
    ("deployment.stop_requested", 2),
    ("audit.exported", 10),
    ("phi_scan.finished", 10),
]


def _outcome(rng: random.Random, event_type: str) -> str:
    if event_type in {"access.denied", "auth.login.failed", "auth.lockout", "auth.mfa.failed", "auth.api_key.failed"}:
        return "denied"
    if event_type == "model.inference":
        roll = rng.random()
        return "denied" if roll < 0.05 else "error" if roll < 0.08 else "success"
    return "error" if rng.random() < 0.01 else "success"


def _details(rng: random.Random, event_type: str, index: int) -> dict[str, Any]:
    if event_type == "phi.detection":

        def counts() -> dict[str, int]:
            return {kind: rng.randint(1, 3) for kind in rng.sample(PHI_TYPES, rng.randint(0, 3))}

        return {"inference_id": f"inf_{index:012d}", "mode": "redact", "prompt": counts(), "response": counts()}
    if event_type == "model.inference":
        return {"inference_id": f"inf_{index:012d}", "total_tokens": rng.randint(10, 500)}
    if event_type == "access.denied":
        return {"permission": rng.choice(["audit:read", "text:generate", "role:manage"])}
    return {"i": index}


def bulk_events(
    organization: Organization,
    count: int,
    *,
    start: datetime,
    end: datetime,
    user_ids: list[str],
    deployments: list[tuple[str, str]],
    seed: int = 7,
    batch: int = 5000,
) -> None:
    """Append `count` sequenced events with timestamps in [start, end) to the organisation's chain."""
    rng = random.Random(seed)
    chain = organization.public_id
    sequence_chain(chain)  # what record() wrote so far comes first
    kinds = [kind for kind, _ in MIX]
    weights = [weight for _, weight in MIX]
    span = (end - start).total_seconds()
    with transaction.atomic():
        head = locked_head(chain)
        frontier = CompactRange.from_json(head.frontier) if head.frontier else CompactRange()
        previous = bytes.fromhex(head.head_hash) if head.head_hash else canonical.GENESIS_HASH
        size = head.size
        rows: list[AuditEvent] = []
        for index in range(count):
            event_type = rng.choices(kinds, weights)[0]
            roll = rng.random()
            actor_type = ActorType.API_KEY if roll < 0.15 else ActorType.SYSTEM if roll < 0.2 else ActorType.USER
            user_id = "" if actor_type == ActorType.SYSTEM else rng.choice(user_ids)
            if event_type == "auth.login.failed" and rng.random() < 0.3:
                actor_type, user_id = ActorType.ANONYMOUS, ""
            deployment_id, deployment_name = rng.choice(deployments)
            on_deployment = event_type.startswith(("model.", "phi.", "deployment."))
            event = AuditEvent(
                event_id=f"evt_bulk{seed:03d}{index:010d}",
                organization=organization,
                chain=chain,
                timestamp=start + timedelta(seconds=rng.random() * span),
                actor_type=actor_type,
                actor_id=user_id or ("anonymous" if actor_type == ActorType.ANONYMOUS else "system"),
                user_id=user_id,
                api_key_id=f"key_bulk{rng.randint(1, 5)}" if actor_type == ActorType.API_KEY else "",
                ip=f"10.0.{rng.randint(0, 3)}.{rng.randint(1, 254)}",
                user_agent="bulk",
                request_id=f"req{index:012d}",
                event_type=event_type,
                resource=f"deployment/{deployment_name}" if on_deployment else "organization/acme",
                resource_id=deployment_id if on_deployment else "",
                outcome=_outcome(rng, event_type),
                details=_details(rng, event_type, index),
            )
            leaf = canonical.leaf_hash(event_content(event))
            size += 1
            event.seq = size
            event.leaf_hash = leaf.hex()
            event.prev_hash = previous.hex()
            previous = canonical.chain_hash(previous, leaf)
            event.hash = previous.hex()
            frontier.append(leaf)
            rows.append(event)
            if len(rows) >= batch:
                AuditEvent.objects.bulk_create(rows)
                rows = []
        AuditEvent.objects.bulk_create(rows)
        head.size = size
        head.head_hash = previous.hex()
        head.frontier = frontier.to_json()
        head.save(update_fields=["size", "head_hash", "frontier", "updated_at"])
