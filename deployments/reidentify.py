"""Re-identification: the surrogate → original map of a de-identified call, kept sealed for a short time, and the
answer with the originals restored for a caller holding `phi:reidentify` (audited as a disclosure to them).

De-identification replaces each identifier with a keyed surrogate (`phi.deid`); the gateway knows both sides
while it runs the call, so it seals the pairs for the organisation (`ReidentificationMap.pairs`, an envelope like
every other encrypted field) with `expires_at = now + PAITIENT_REIDENTIFY_TTL_SECONDS` (default 900 s). A later
call naming the same `conversation_id` sees the pairs of the conversation's calls that have not expired. Expired
rows are never read and are deleted by `purge_expired` (a beat task every minute). Nobody without the permission
ever sees an original: the permission is checked before anything is sent to the model.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from django.utils import timezone

from audit.services import record
from core.config import env_int
from deployments.models import Deployment, ReidentificationMap
from phi import DeidContext, Entity, get_engine
from phi.deid import Deidentifier

if TYPE_CHECKING:
    from accessctl.actor import Actor

Pairs = list[tuple[str, str]]


def ttl() -> timedelta:
    return timedelta(seconds=env_int("PAITIENT_REIDENTIFY_TTL_SECONDS", 900))


def surrogate_pairs(context: DeidContext, texts: Iterable[tuple[str, Sequence[Entity]]]) -> Pairs:
    """(surrogate, original) for every entity of every text, as `phi.deid` rewrote it."""
    deid = Deidentifier(context.key, get_engine().lexicon)
    pairs: dict[str, str] = {}
    for text, entities in texts:
        for entity in entities:
            original = text[entity.start : entity.end]
            surrogate = deid.surrogate(entity.type, original, context.subject)
            if surrogate and surrogate != original:
                pairs.setdefault(surrogate, original)
    return sorted(pairs.items())


def store(*, deployment: Deployment, inference_id: str, conversation_id: str, pairs: Pairs) -> None:
    """Seal the call's pairs until they expire (inside the caller's audit transaction)."""
    if not pairs:
        return
    ReidentificationMap.objects.create(
        organization=deployment.organization, deployment=deployment, inference_id=inference_id,
        conversation_id=conversation_id, pairs=[list(p) for p in pairs], expires_at=timezone.now() + ttl(),
    )  # fmt: skip


def live_pairs(*, deployment: Deployment, conversation_id: str) -> Pairs:
    """The unexpired pairs of the conversation's earlier calls (never another organisation's)."""
    if not conversation_id:
        return []
    rows = ReidentificationMap.objects.filter(
        organization=deployment.organization, conversation_id=conversation_id, expires_at__gt=timezone.now()
    )
    return [(str(s), str(o)) for row in rows for s, o in row.pairs]


def restore(text: str, pairs: Pairs) -> tuple[str, int]:
    """`text` with each surrogate replaced by its original (longest first, one pass); and how many were."""
    direct = dict(pairs)
    if not direct:
        return text, 0
    # A model that repeats a surrogate gets it de-identified again in its answer (a surrogate of a surrogate):
    # follow each chain back to the original.
    originals = {}
    for surrogate in direct:
        value, seen = direct[surrogate], {surrogate}
        while value in direct and value not in seen:
            seen.add(value)
            value = direct[value]
        originals[surrogate] = value
    pattern = re.compile("|".join(re.escape(s) for s in sorted(originals, key=len, reverse=True)))
    restored, count = pattern.subn(lambda m: originals[m.group()], text)
    return restored, count


def record_disclosure(*, actor: Actor, deployment: Deployment, inference_id: str, restored: int) -> None:
    """The re-identification is a disclosure of PHI to this user: audited (counts only, never values)."""
    record(actor=actor, event_type="phi.reidentified", resource=deployment.resource, resource_id=deployment.public_id,
           details={"inference_id": inference_id, "restored": restored})  # fmt: skip


def purge_expired() -> int:
    """Delete every expired map; returns how many rows went."""
    deleted, _ = ReidentificationMap.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
