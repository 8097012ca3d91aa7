"""The master key that seals organisation keys: local (PAITIENT_MASTER_KEY) or AWS KMS (PAITIENT_KMS_KEY_ID)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from functools import lru_cache
from typing import Any, Protocol

from core.config import env_str
from core.errors import SafeguardDown
from encryption.hybrid import DecryptionError, master_key_id, seal_symmetric, unseal_symmetric


class MasterKeyUnavailable(SafeguardDown):
    """No master key is configured or it cannot be reached: nothing is encrypted or decrypted (fail closed)."""

    problem_code = "encryption-unavailable"
    problem_detail = "The encryption master key is unavailable; nothing was stored. Try again later."


class MasterKey(Protocol):
    key_id: str

    def seal(self, secret: bytes, *, aad: bytes) -> bytes: ...

    def unseal(self, sealed: bytes, *, aad: bytes) -> bytes: ...


class LocalMasterKey:
    """A 32-byte key from the environment; organisation secrets are sealed with AES-256-GCM under it."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise MasterKeyUnavailable("PAITIENT_MASTER_KEY must be 32 bytes, base64-encoded")
        self._key = key
        self.key_id = master_key_id(key)

    def seal(self, secret: bytes, *, aad: bytes) -> bytes:
        return seal_symmetric(secret, self._key, key_id=self.key_id, aad=aad)

    def unseal(self, sealed: bytes, *, aad: bytes) -> bytes:
        return unseal_symmetric(sealed, self._key, aad=aad)


class KmsMasterKey:
    """AWS KMS: secrets are sealed by KMS Encrypt with the associated data as encryption context."""

    def __init__(self, key_id: str, client: Any) -> None:
        self._kms_key_id = key_id
        self._client = client
        self.key_id = "kms-" + hashlib.sha256(key_id.encode()).hexdigest()[:28]

    @staticmethod
    def _context(aad: bytes) -> dict[str, str]:
        return {"paitient-aad": base64.b64encode(hashlib.sha256(aad).digest()).decode()}

    def seal(self, secret: bytes, *, aad: bytes) -> bytes:
        try:
            response = self._client.encrypt(
                KeyId=self._kms_key_id, Plaintext=secret, EncryptionContext=self._context(aad)
            )
        except Exception as exc:
            raise MasterKeyUnavailable(f"AWS KMS refused to encrypt ({type(exc).__name__})") from None
        return bytes(response["CiphertextBlob"])

    def unseal(self, sealed: bytes, *, aad: bytes) -> bytes:
        try:
            response = self._client.decrypt(
                CiphertextBlob=sealed, KeyId=self._kms_key_id, EncryptionContext=self._context(aad)
            )
        except self._client.exceptions.InvalidCiphertextException:
            raise DecryptionError from None
        except Exception as exc:
            raise MasterKeyUnavailable(f"AWS KMS refused to decrypt ({type(exc).__name__})") from None
        return bytes(response["Plaintext"])


@lru_cache(maxsize=1)
def master_key() -> MasterKey:
    kms_key = env_str("PAITIENT_KMS_KEY_ID")
    if kms_key:
        import boto3

        client = boto3.client("kms", endpoint_url=env_str("PAITIENT_KMS_ENDPOINT_URL") or None)
        return KmsMasterKey(kms_key, client)
    encoded = env_str("PAITIENT_MASTER_KEY")
    if not encoded:
        raise MasterKeyUnavailable(
            "no master key: set PAITIENT_MASTER_KEY (or _FILE; 32 bytes, base64) or PAITIENT_KMS_KEY_ID"
        )
    try:
        return LocalMasterKey(base64.b64decode(encoded, validate=True))
    except binascii.Error:
        raise MasterKeyUnavailable("PAITIENT_MASTER_KEY is not valid base64") from None
