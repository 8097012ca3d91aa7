"""The Ed25519 key that signs audit checkpoints: from PAITIENT_AUDIT_SIGNING_KEY_FILE, else generated once."""

from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from core.config import ConfigError, env_str


def key_id_for(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:32]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _key_path() -> Path:
    configured = env_str("PAITIENT_AUDIT_SIGNING_KEY_FILE")
    return Path(configured) if configured else Path(settings.VAR_DIR) / "keys" / "audit-signing-ed25519.pem"


@lru_cache(maxsize=1)
def signing_key() -> Ed25519PrivateKey:
    path = _key_path()
    if not path.exists():
        if env_str("PAITIENT_AUDIT_SIGNING_KEY_FILE"):
            raise ConfigError(f"PAITIENT_AUDIT_SIGNING_KEY_FILE={path} does not exist")
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        pem = Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process generated it first; load theirs
        else:
            with os.fdopen(fd, "wb") as key_file:
                key_file.write(pem)
    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ConfigError(f"{path} is not an Ed25519 private key")
    return key
