"""The appendix every report carries: the organisation's audit chain verified end to end, and the signed
checkpoint (RFC 9162 tree head) that binds the report to the log as it stood when the report was made."""

from __future__ import annotations

import multiprocessing
from dataclasses import dataclass
from typing import Any

from accessctl.models import Organization
from audit.models import AuditEvent, Checkpoint
from audit.services import checkpoint_create
from audit.verify_live import verify_chain


@dataclass(frozen=True)
class SignedCheckpoint:
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str


@dataclass(frozen=True)
class ChainEvidence:
    chain: str
    ok: bool
    result: str  # the verifier's one line: "OK: chain …" or "FAILED at seq N: why"
    events: int
    first_seq: int | None
    last_seq: int | None
    checkpoints_verified: int
    root_hash: str | None
    failed_seq: int | None
    reason: str
    pending: int  # events written but not yet sequenced when the report was verified
    checkpoint: SignedCheckpoint | None

    def as_dict(self) -> dict[str, Any]:
        checkpoint = self.checkpoint.__dict__ if self.checkpoint else None
        return {**{k: v for k, v in self.__dict__.items() if k != "checkpoint"}, "checkpoint": checkpoint}


def chain_evidence(organization: Organization) -> ChainEvidence:
    chain = organization.public_id
    checkpoint_create(chain)  # sequences what is pending, then signs the current root (once per size)
    # A prefork pool's children are daemons and may not start verifier processes of their own: in-process there.
    workers = 1 if multiprocessing.current_process().daemon else None
    result = verify_chain(chain, sequence_first=False, workers=workers)
    latest = Checkpoint.objects.filter(chain=chain).select_related("key").order_by("-tree_size").first()
    return ChainEvidence(
        chain=chain,
        ok=result.ok,
        result=result.line(),
        events=result.events,
        first_seq=result.first_seq,
        last_seq=result.last_seq,
        checkpoints_verified=result.checkpoints,
        root_hash=result.root_hash,
        failed_seq=result.failed_seq,
        reason=result.reason,
        pending=AuditEvent.objects.filter(chain=chain, seq__isnull=True).count(),
        checkpoint=SignedCheckpoint(
            tree_size=latest.tree_size,
            root_hash=latest.root_hash,
            timestamp=latest.timestamp,
            key_id=latest.key.key_id,
            signature=latest.signature,
        )
        if latest is not None
        else None,
    )
