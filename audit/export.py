"""Export one chain as a bundle that `python -m audit.verify` checks offline."""

from __future__ import annotations

import json
import tempfile
import zipfile
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from audit.models import ChainHead, Checkpoint, SigningKey
from audit.services import canonical_timestamp, checkpoint_create, record
from audit.verify import BUNDLE_FORMAT, EVENTS_FILE, format_event_line
from audit.verify_live import iter_events

if TYPE_CHECKING:
    from accessctl.actor import Actor


def export_bundle(*, actor: Actor) -> tuple[IO[bytes], str]:
    """A fresh signed checkpoint, then events + checkpoints + public keys in a zip; audited."""
    chain = actor.organization.public_id
    checkpoint = checkpoint_create(chain)
    head = ChainHead.objects.filter(chain=chain).first()
    size = head.size if head else 0
    spool = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 - returned to the caller
    with zipfile.ZipFile(spool, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        manifest = {
            "format": BUNDLE_FORMAT,
            "chain": chain,
            "organization": actor.organization.name,
            "exported_at": canonical_timestamp(timezone.now()),
            "size": size,
            "anchor": {"seq": head.anchor_seq, "hash": head.anchor_hash, "frontier": head.anchor_frontier}
            if head and head.anchor_seq
            else None,
        }
        bundle.writestr("manifest.json", json.dumps(manifest, indent=2))
        with bundle.open(EVENTS_FILE, "w") as events_file:
            for row in iter_events(chain):
                if row[0] > size:
                    break
                events_file.write(format_event_line(row).encode())
        checkpoints = Checkpoint.objects.filter(chain=chain, tree_size__lte=size).select_related("key")
        bundle.writestr(
            "checkpoints.jsonl",
            "".join(
                json.dumps(
                    {
                        "tree_size": c.tree_size,
                        "root_hash": c.root_hash,
                        "timestamp": c.timestamp,
                        "key_id": c.key.key_id,
                        "signature": c.signature,
                    }
                )
                + "\n"
                for c in checkpoints
            ),
        )
        key_ids = set(checkpoints.values_list("key_id", flat=True))
        keys = dict(SigningKey.objects.filter(key_id__in=key_ids).values_list("key_id", "public_key_pem"))
        bundle.writestr("public_keys.json", json.dumps(keys, indent=2))
    with transaction.atomic():
        record(
            actor=actor,
            event_type="audit.exported",
            resource=f"audit/{chain}",
            details={"events": size, "checkpoint_size": checkpoint.tree_size if checkpoint else 0},
        )
    spool.seek(0)
    filename = f"audit-{chain}-{size}.zip"
    return spool, filename
