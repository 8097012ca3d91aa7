"""RFC 9162 proofs for a chain's signed checkpoints: a event's inclusion, and consistency between two sizes."""

from __future__ import annotations

from audit.merkle import consistency_proof, inclusion_proof
from audit.models import AuditEvent, ChainHead
from core.errors import FieldError


class ProofUnavailable(FieldError):
    """The proof cannot be built (sizes out of range, or leaves purged by retention); `field` names the input."""


def _leaves(chain: str, tree_size: int) -> list[bytes]:
    head = ChainHead.objects.filter(chain=chain).first()
    size = head.size if head else 0
    if not 1 <= tree_size <= size:
        raise ProofUnavailable("tree_size", f"Must be between 1 and the chain's size ({size}).")
    if head is not None and head.anchor_seq:
        raise ProofUnavailable("tree_size", "Leaves before the retention anchor were purged; no proof from here.")
    hashes = (
        AuditEvent.objects.filter(chain=chain, seq__lte=tree_size).order_by("seq").values_list("leaf_hash", flat=True)
    )
    return [bytes.fromhex(value) for value in hashes.iterator(chunk_size=20_000)]


def event_inclusion(*, chain: str, event_id: str, tree_size: int) -> dict[str, object]:
    seq = AuditEvent.objects.filter(chain=chain, event_id=event_id).values_list("seq", flat=True).first()
    if seq is None:
        raise ProofUnavailable("event_id", "No such sequenced event in this organisation's log.")
    if seq > tree_size:
        raise ProofUnavailable("tree_size", f"The event (seq {seq}) is not in a tree of size {tree_size}.")
    leaves = _leaves(chain, tree_size)
    return {
        "event_id": event_id,
        "seq": seq,
        "leaf_index": seq - 1,
        "tree_size": tree_size,
        "leaf_hash": leaves[seq - 1].hex(),
        "audit_path": [node.hex() for node in inclusion_proof(leaves, seq - 1)],
    }


def consistency(*, chain: str, first: int, second: int) -> dict[str, object]:
    if not 1 <= first <= second:
        raise ProofUnavailable("first", "Need 1 <= first <= second.")
    leaves = _leaves(chain, second)
    return {"first": first, "second": second, "proof": [node.hex() for node in consistency_proof(leaves, first)]}
