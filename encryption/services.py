"""Encrypting for an organisation: its active keys, sealing and opening, blind indexes, rotation, shredding."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING, Literal

from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.services import record
from core.queueing import enqueue_on_commit, require_broker
from encryption.hybrid import (
    ALG_HYBRID,
    DecryptionError,
    HybridPrivateKey,
    HybridPublicKey,
    read_header,
    seal,
    seal_symmetric,
    unseal,
    unseal_symmetric,
)
from encryption.master import master_key
from encryption.models import KeyAlgorithm, KeyStatus, OrganizationKey

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization

Level = Literal["maximum", "standard"]
LEVEL_ALGORITHM: dict[str, str] = {"maximum": KeyAlgorithm.HYBRID, "standard": KeyAlgorithm.AES}
SECRET_CACHE_SECONDS = 60.0  # how long a process may keep an unsealed key (bounds crypto-shred latency)


class KeyDestroyed(DecryptionError):
    """The data was encrypted under a key that has been crypto-shredded."""


def _secret_aad(organization_id: int, key_id: str, algorithm: str) -> bytes:
    return f"paitient/org-key|{organization_id}|{key_id}|{algorithm}".encode()


def _new_key(organization: Organization, algorithm: str) -> OrganizationKey:
    master = master_key()
    public = b""
    if algorithm == KeyAlgorithm.HYBRID:
        private = HybridPrivateKey.generate()
        public = private.public_key().to_bytes()
        secret, key_id = private.to_bytes(), private.key_id
    else:
        secret = secrets.token_bytes(32)
        key_id = secrets.token_hex(16)
    return OrganizationKey(
        organization=organization,
        key_id=key_id,
        algorithm=algorithm,
        public_key=public,
        sealed_secret=master.seal(secret, aad=_secret_aad(organization.pk, key_id, algorithm)),
        master_key_id=master.key_id,
    )


def active_key(organization: Organization, algorithm: str) -> OrganizationKey:
    """The organisation's active key for `algorithm`, created (and audited) on first use."""
    found = OrganizationKey.objects.filter(organization=organization, algorithm=algorithm, status="active").first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            key = _new_key(organization, algorithm)
            key.save()
            record(
                actor=None,
                organization=organization,
                event_type="encryption.key.created",
                resource=f"key/{key.key_id}",
                details={"algorithm": algorithm},
            )
            return key
    except IntegrityError:  # created concurrently
        return OrganizationKey.objects.get(organization=organization, algorithm=algorithm, status="active")


_secrets: dict[str, tuple[float, bytes]] = {}


def _key_secret(key: OrganizationKey) -> bytes:
    if key.status == KeyStatus.DESTROYED or not key.sealed_secret:
        raise KeyDestroyed
    cached = _secrets.get(key.key_id)
    now = time.monotonic()
    if cached is not None and now - cached[0] < SECRET_CACHE_SECONDS:
        return cached[1]
    secret = master_key().unseal(
        bytes(key.sealed_secret), aad=_secret_aad(key.organization_id, key.key_id, key.algorithm)
    )
    _secrets[key.key_id] = (now, secret)
    return secret


def encrypt(organization: Organization, plaintext: bytes, *, aad: bytes, level: Level = "maximum") -> bytes:
    # Sealing for a hybrid key needs only its public half, but without the master key nothing written now
    # could be read back: refuse (MasterKeyUnavailable) rather than store what the service can't open.
    master_key()
    key = active_key(organization, LEVEL_ALGORITHM[level])
    if key.algorithm == KeyAlgorithm.HYBRID:
        return seal(plaintext, HybridPublicKey.from_bytes(bytes(key.public_key)), aad=aad)
    return seal_symmetric(plaintext, _key_secret(key), key_id=key.key_id, aad=aad)


def decrypt(organization: Organization, sealed: bytes, *, aad: bytes) -> bytes:
    """Open a container made by `encrypt` for this organisation; raises DecryptionError (or KeyDestroyed)."""
    header = read_header(sealed)
    key = OrganizationKey.objects.filter(organization=organization, key_id=header.key_id).first()
    if key is None:
        raise DecryptionError
    secret = _key_secret(key)
    if header.algorithm == ALG_HYBRID:
        return unseal(sealed, HybridPrivateKey.from_bytes(secret), aad=aad)
    return unseal_symmetric(sealed, secret, aad=aad)


def blind_index(organization: Organization, value: str, *, purpose: str) -> str:
    """A keyed hash for equality lookups and consistent pseudonyms, without storing the value."""
    key = _key_secret(active_key(organization, KeyAlgorithm.HMAC))
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def _derive(secret: bytes, purpose: str) -> bytes:
    return hmac.new(secret, f"paitient/derive|{purpose}".encode(), hashlib.sha256).digest()


def hmac_key(organization: Organization, *, purpose: str) -> bytes:
    """A per-organisation, per-purpose key (e.g. de-identification's surrogate mapping)."""
    return _derive(_key_secret(active_key(organization, KeyAlgorithm.HMAC)), purpose)


# The organisation's active HMAC key row as this process last read it, for `hmac_key_unverified`.
_active_hmac: dict[int, tuple[float, OrganizationKey]] = {}


def hmac_key_unverified(organization: Organization, *, purpose: str) -> tuple[str, bytes]:
    """(key id, per-purpose key) like `hmac_key`, without reading the key row on every call: the row is kept
    for up to SECRET_CACHE_SECONDS. It may have been rotated or destroyed since, so a caller must use it only in
    a statement that also checks the key id is still the organisation's active HMAC key (the disclosures INSERT
    does, in the same statement), and call `hmac_key_forget` when it is not. The hot path of every inference
    saves a SELECT and the check costs nothing extra."""
    now = time.monotonic()
    cached = _active_hmac.get(organization.pk)
    if cached is None or now - cached[0] >= SECRET_CACHE_SECONDS:
        cached = (now, active_key(organization, KeyAlgorithm.HMAC))
        _active_hmac[organization.pk] = cached
    key = cached[1]
    return key.key_id, _derive(_key_secret(key), purpose)


def hmac_key_forget(organization: Organization) -> None:
    """The cached active key was not active any more: read it again next time."""
    _active_hmac.pop(organization.pk, None)


def keys_rotate(*, actor: Actor) -> list[OrganizationKey]:
    """Retire the organisation's encryption keys and make new ones; a worker then re-encrypts the data."""
    require_broker()  # a rotation no worker can finish is refused before anything is changed
    return _keys_rotate(actor=actor)


@transaction.atomic
def _keys_rotate(*, actor: Actor) -> list[OrganizationKey]:
    organization = actor.organization
    retired = list(
        OrganizationKey.objects.select_for_update().filter(
            organization=organization, status=KeyStatus.ACTIVE, algorithm__in=[KeyAlgorithm.HYBRID, KeyAlgorithm.AES]
        )
    )
    for key in retired:
        key.status = KeyStatus.RETIRED
        key.retired_at = timezone.now()
        key.save(update_fields=["status", "retired_at"])
    fresh = [active_key(organization, algorithm) for algorithm in (KeyAlgorithm.HYBRID, KeyAlgorithm.AES)]
    record(
        actor=actor,
        event_type="encryption.key.rotated",
        resource=f"organization/{organization.slug}",
        details={"retired": [k.key_id for k in retired], "active": [k.key_id for k in fresh]},
    )
    from encryption import tasks  # here, not at the top: the task module imports this one

    # Nothing to mark failed if sending fails: the retired keys still open what they sealed, and the next
    # rotation re-encrypts everything; the caller gets the 503.
    enqueue_on_commit(tasks.reencrypt_organization, organization.pk, failed=lambda: None)
    return fresh


@transaction.atomic
def keys_destroy(*, actor: Actor | None, organization: Organization, reason: str) -> int:
    """Crypto-shred: erase every sealed key of the organisation, so nothing encrypted for it can be read."""
    keys = list(
        OrganizationKey.objects.select_for_update().filter(organization=organization).exclude(status="destroyed")
    )
    for key in keys:
        key.sealed_secret = b""
        key.status = KeyStatus.DESTROYED
        key.destroyed_at = timezone.now()
        key.save(update_fields=["sealed_secret", "status", "destroyed_at"])
        _secrets.pop(key.key_id, None)
    _active_hmac.pop(organization.pk, None)
    record(
        actor=actor,
        organization=organization,
        event_type="encryption.keys.destroyed",
        resource=f"organization/{organization.slug}",
        details={"keys": len(keys), "reason": reason[:200]},
    )
    return len(keys)
