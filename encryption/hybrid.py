"""Envelope encryption in one versioned container: hybrid X25519 + ML-KEM-768, or AES-256-GCM under a master key.

No Django import: workers, the offline tools and the benchmark use it as is. See docs/encryption.md.

Container (all integers single bytes, no length fields: every size is fixed by the algorithm byte)

    magic "PSE1" (4) | version 0x01 (1) | algorithm (1) | key id (16)
    algorithm 1 only: ML-KEM-768 ciphertext (1088) | X25519 ephemeral public key (32)
    wrap nonce (12) | wrapped data key (32 + 16 tag) | payload nonce (12) | payload ciphertext (n) + tag (16)

A fresh random 256-bit data key encrypts the payload (AES-256-GCM); the data key is wrapped with AES-256-GCM under
the KEM-derived key (algorithm 1, "maximum") or directly under a 32-byte master key (algorithm 2, "standard").
Associated data: the wrap authenticates every byte before the wrapped data key, then the caller's `aad`; the payload
authenticates the whole header (everything before the payload ciphertext), then the caller's `aad`. The header's
length is fixed by its own algorithm byte, so header || aad is unambiguous.

KEM combiner (X-Wing style, with HKDF-SHA256 from RFC 5869):

    key = HKDF-SHA256(ikm  = ss_mlkem || ss_x25519,
                      salt = none (RFC 5869: 32 zero bytes),
                      info = "paitient/hybrid-kem/v1" || ct_mlkem || ct_x25519 || recipient X25519 public key,
                      length = 32)

where ct_x25519 is the ephemeral X25519 public key.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import hmac
import importlib
import importlib.util
import os
import platform
import re
import secrets
import sys
from pathlib import Path
from types import ModuleType
from typing import Final, NamedTuple

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

MAGIC: Final = b"PSE1"
VERSION: Final = 1
ALG_HYBRID: Final = 1  # encryption_level="maximum"
ALG_STANDARD: Final = 2  # encryption_level="standard"
KEM_LABEL: Final = b"paitient/hybrid-kem/v1"
MASTER_KEY_ID_LABEL: Final = b"paitient/master-key-id/v1"

X25519_KEY_SIZE: Final = 32
MLKEM768_PUBLIC_KEY_SIZE: Final = 1184
MLKEM768_CIPHERTEXT_SIZE: Final = 1088
MLKEM768_SEED_SIZE: Final = 64
SHARED_SECRET_SIZE: Final = 32
PUBLIC_KEY_SIZE: Final = X25519_KEY_SIZE + MLKEM768_PUBLIC_KEY_SIZE  # 1216
PRIVATE_KEY_SIZE: Final = X25519_KEY_SIZE + MLKEM768_SEED_SIZE  # 96
KEM_CIPHERTEXT_SIZE: Final = MLKEM768_CIPHERTEXT_SIZE + X25519_KEY_SIZE  # 1120

KEY_ID_SIZE: Final = 16
KEY_SIZE: Final = 32
NONCE_SIZE: Final = 12
TAG_SIZE: Final = 16
WRAPPED_KEY_SIZE: Final = KEY_SIZE + TAG_SIZE  # 48
PREFIX_SIZE: Final = len(MAGIC) + 2 + KEY_ID_SIZE  # 22
_ENVELOPE_SIZE: Final = NONCE_SIZE + WRAPPED_KEY_SIZE + NONCE_SIZE  # 72
HEADER_SIZE: Final = {
    ALG_HYBRID: PREFIX_SIZE + KEM_CIPHERTEXT_SIZE + _ENVELOPE_SIZE,  # 1214
    ALG_STANDARD: PREFIX_SIZE + _ENVELOPE_SIZE,  # 94
}
OVERHEAD: Final = {alg: size + TAG_SIZE for alg, size in HEADER_SIZE.items()}  # hybrid 1230, standard 110

_KEY_ID_HEX = re.compile(r"[0-9a-f]{32}")
LIBOQS_MLKEM768: Final = "ML-KEM-768"


class DecryptionError(Exception):
    """Every failure to open a container (wrong key, tampering, truncation, unknown format) looks the same."""

    def __init__(self) -> None:
        super().__init__("decryption failed")


def key_id_for(public_bytes: bytes) -> str:
    """The hex key id of serialised public key bytes: the first 16 bytes of their SHA-256."""
    return hashlib.sha256(public_bytes).digest()[:KEY_ID_SIZE].hex()


def master_key_id(master_key: bytes) -> str:
    """A stable, non-secret key id for a master key: SHA-256(label || key), first 16 bytes, hex."""
    _check_master_key(master_key)
    return hashlib.sha256(MASTER_KEY_ID_LABEL + master_key).digest()[:KEY_ID_SIZE].hex()


class HybridPublicKey:
    """An X25519 + ML-KEM-768 public key; serialised as X25519 raw (32) || ML-KEM-768 encapsulation key (1184)."""

    __slots__ = ("_bytes", "_key_id", "_mlkem", "_x25519")

    def __init__(self, x25519_key: x25519.X25519PublicKey, mlkem_key: mlkem.MLKEM768PublicKey) -> None:
        self._x25519 = x25519_key
        self._mlkem = mlkem_key
        self._bytes = x25519_key.public_bytes_raw() + mlkem_key.public_bytes_raw()
        self._key_id = hashlib.sha256(self._bytes).digest()[:KEY_ID_SIZE]

    @classmethod
    def from_bytes(cls, data: bytes) -> HybridPublicKey:
        if len(data) != PUBLIC_KEY_SIZE:
            raise ValueError(f"a hybrid public key is {PUBLIC_KEY_SIZE} bytes, not {len(data)}")
        x_part, m_part = data[:X25519_KEY_SIZE], data[X25519_KEY_SIZE:]
        return cls(x25519.X25519PublicKey.from_public_bytes(x_part), mlkem.MLKEM768PublicKey.from_public_bytes(m_part))

    def to_bytes(self) -> bytes:
        return self._bytes

    @property
    def key_id(self) -> str:
        return self._key_id.hex()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HybridPublicKey) and hmac.compare_digest(self._bytes, other._bytes)

    def __hash__(self) -> int:
        return hash(self._bytes)

    def __repr__(self) -> str:
        return f"HybridPublicKey(key_id={self.key_id!r})"


class HybridPrivateKey:
    """An X25519 + ML-KEM-768 key pair; serialised as X25519 raw (32) || ML-KEM-768 seed d || z (64)."""

    __slots__ = ("_mlkem", "_public", "_x25519")

    def __init__(self, x25519_key: x25519.X25519PrivateKey, mlkem_key: mlkem.MLKEM768PrivateKey) -> None:
        self._x25519 = x25519_key
        self._mlkem = mlkem_key
        self._public = HybridPublicKey(x25519_key.public_key(), mlkem_key.public_key())

    @classmethod
    def generate(cls) -> HybridPrivateKey:
        return cls(x25519.X25519PrivateKey.generate(), mlkem.MLKEM768PrivateKey.generate())

    @classmethod
    def from_bytes(cls, data: bytes) -> HybridPrivateKey:
        if len(data) != PRIVATE_KEY_SIZE:
            raise ValueError(f"a hybrid private key is {PRIVATE_KEY_SIZE} bytes")
        x_part, seed = data[:X25519_KEY_SIZE], data[X25519_KEY_SIZE:]
        return cls(x25519.X25519PrivateKey.from_private_bytes(x_part), mlkem.MLKEM768PrivateKey.from_seed_bytes(seed))

    def to_bytes(self) -> bytes:
        """The secret key material (96 bytes): seal it before storing it anywhere."""
        return self._x25519.private_bytes_raw() + self._mlkem.private_bytes_raw()

    def public_key(self) -> HybridPublicKey:
        return self._public

    @property
    def key_id(self) -> str:
        return self._public.key_id

    def __repr__(self) -> str:
        return f"HybridPrivateKey(key_id={self.key_id!r})"


def _combine(ss_mlkem: bytes, ss_x25519: bytes, ciphertext: bytes, recipient_x25519: bytes) -> bytes:
    info = KEM_LABEL + ciphertext + recipient_x25519
    return HKDF(algorithm=hashes.SHA256(), length=KEY_SIZE, salt=None, info=info).derive(ss_mlkem + ss_x25519)


def encapsulate(recipient: HybridPublicKey) -> tuple[bytes, bytes]:
    """A fresh 32-byte key for `recipient` and the 1120-byte ciphertext ct_mlkem || ct_x25519 that carries it."""
    ss_mlkem, ct_mlkem = recipient._mlkem.encapsulate()
    ephemeral = x25519.X25519PrivateKey.generate()
    ct_x25519 = ephemeral.public_key().public_bytes_raw()
    ss_x25519 = ephemeral.exchange(recipient._x25519)
    ciphertext = ct_mlkem + ct_x25519
    return _combine(ss_mlkem, ss_x25519, ciphertext, recipient._bytes[:X25519_KEY_SIZE]), ciphertext


def decapsulate(private_key: HybridPrivateKey, ciphertext: bytes) -> bytes:
    """The key `encapsulate` produced; ValueError for a malformed ciphertext (ML-KEM rejects implicitly)."""
    if len(ciphertext) != KEM_CIPHERTEXT_SIZE:
        raise ValueError("malformed hybrid KEM ciphertext")
    ct_mlkem, ct_x25519 = ciphertext[:MLKEM768_CIPHERTEXT_SIZE], ciphertext[MLKEM768_CIPHERTEXT_SIZE:]
    ss_mlkem = private_key._mlkem.decapsulate(ct_mlkem)
    ss_x25519 = private_key._x25519.exchange(x25519.X25519PublicKey.from_public_bytes(ct_x25519))
    return _combine(ss_mlkem, ss_x25519, ciphertext, private_key._public._bytes[:X25519_KEY_SIZE])


class SealedHeader(NamedTuple):
    """What a container says about itself: unauthenticated until it opens, use it only to pick the key."""

    version: int
    algorithm: int
    key_id: str


def read_header(sealed: bytes) -> SealedHeader:
    if len(sealed) < PREFIX_SIZE or sealed[:4] != MAGIC or sealed[4] != VERSION or sealed[5] not in HEADER_SIZE:
        raise DecryptionError()
    return SealedHeader(sealed[4], sealed[5], sealed[6:PREFIX_SIZE].hex())


def _seal(preamble: bytes, wrap_key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    data_key = secrets.token_bytes(KEY_SIZE)
    wrap_nonce, nonce = secrets.token_bytes(NONCE_SIZE), secrets.token_bytes(NONCE_SIZE)
    head = preamble + wrap_nonce
    header = head + AESGCM(wrap_key).encrypt(wrap_nonce, data_key, head + aad) + nonce
    return header + AESGCM(data_key).encrypt(nonce, plaintext, header + aad)


def _split(sealed: bytes, algorithm: int) -> tuple[bytes, bytes]:
    """(key id, KEM ciphertext; b"" for ALG_STANDARD) of a container of `algorithm` that is long enough."""
    size = HEADER_SIZE[algorithm]
    if len(sealed) < size + TAG_SIZE or read_header(sealed).algorithm != algorithm:
        raise DecryptionError()
    return sealed[6:PREFIX_SIZE], sealed[PREFIX_SIZE : size - _ENVELOPE_SIZE]


def _open(sealed: bytes, algorithm: int, wrap_key: bytes, aad: bytes) -> bytes:
    size = HEADER_SIZE[algorithm]
    wrap_start = size - NONCE_SIZE - WRAPPED_KEY_SIZE
    head, header = sealed[:wrap_start], sealed[:size]
    try:
        data_key = AESGCM(wrap_key).decrypt(head[-NONCE_SIZE:], sealed[wrap_start : size - NONCE_SIZE], head + aad)
        return AESGCM(data_key).decrypt(header[-NONCE_SIZE:], memoryview(sealed)[size:], header + aad)
    except InvalidTag:
        raise DecryptionError() from None


def seal(plaintext: bytes, recipient: HybridPublicKey, *, aad: bytes = b"") -> bytes:
    """Encrypt for `recipient` (encryption_level="maximum"); `aad` (e.g. table, row id, field) must match on open."""
    wrap_key, kem_ciphertext = encapsulate(recipient)
    preamble = MAGIC + bytes((VERSION, ALG_HYBRID)) + recipient._key_id + kem_ciphertext
    return _seal(preamble, wrap_key, plaintext, aad)


def unseal(sealed: bytes, private_key: HybridPrivateKey, *, aad: bytes = b"") -> bytes:
    key_id, kem_ciphertext = _split(sealed, ALG_HYBRID)
    if not hmac.compare_digest(key_id, private_key._public._key_id):
        raise DecryptionError()
    try:
        wrap_key = decapsulate(private_key, kem_ciphertext)
    except ValueError:  # X25519 low-order point: an all-zero shared secret
        raise DecryptionError() from None
    return _open(sealed, ALG_HYBRID, wrap_key, aad)


def _check_master_key(master_key: bytes) -> None:
    if len(master_key) != KEY_SIZE:
        raise ValueError(f"a master key is {KEY_SIZE} bytes")


def seal_symmetric(plaintext: bytes, master_key: bytes, *, key_id: str, aad: bytes = b"") -> bytes:
    """Encrypt under a 32-byte master key (encryption_level="standard"); `key_id` is 32 lowercase hex digits."""
    _check_master_key(master_key)
    if not _KEY_ID_HEX.fullmatch(key_id):
        raise ValueError("a key id is 32 lowercase hex digits")
    preamble = MAGIC + bytes((VERSION, ALG_STANDARD)) + bytes.fromhex(key_id)
    return _seal(preamble, master_key, plaintext, aad)


def unseal_symmetric(sealed: bytes, master_key: bytes, *, aad: bytes = b"") -> bytes:
    _check_master_key(master_key)
    _split(sealed, ALG_STANDARD)
    return _open(sealed, ALG_STANDARD, master_key, aad)


# Optional liboqs backend, for cross-checking ML-KEM-768. `import oqs` without the shared library waits 5 s and then
# tries to clone and build liboqs from the internet, so it is imported only after the library was found exactly where
# liboqs-python itself will look: ctypes.util.find_library, then $OQS_INSTALL_PATH (default ~/_oqs)/lib and /lib64.


def _liboqs_candidates() -> list[str]:
    found: list[str] = []
    for name in ("oqs", "liboqs"):
        try:
            if path := ctypes.util.find_library(name):
                found.append(path)
        except Exception:  # noqa: S112 - find_library runs ldconfig/gcc; any failure means "not found here"
            continue
    try:
        root = Path(os.environ["OQS_INSTALL_PATH"]) if "OQS_INSTALL_PATH" in os.environ else Path.home() / "_oqs"
    except RuntimeError:  # no home directory
        return found
    suffix = ".dylib" if platform.system() == "Darwin" else ".so"
    return found + [str(root / sub / f"liboqs{suffix}") for sub in ("lib", "lib64")]


def _liboqs_loads(path: str) -> bool:
    try:
        library = ctypes.CDLL(path)
    except OSError:
        return False
    return hasattr(library, "OQS_KEM_new")


def liboqs_available() -> bool:
    """True when liboqs-python is installed AND its shared library loads; never imports `oqs` to find out."""
    if "oqs" in sys.modules:
        return True
    if importlib.util.find_spec("oqs") is None:
        return False
    return any(_liboqs_loads(path) for path in _liboqs_candidates())


def _oqs() -> ModuleType:
    if not liboqs_available():
        raise RuntimeError("liboqs shared library not found; not importing oqs (it would try to download liboqs)")
    return importlib.import_module("oqs")


def _check_size(data: bytes, size: int, what: str) -> None:
    if len(data) != size:
        raise ValueError(f"an ML-KEM-768 {what} is {size} bytes")


def mlkem768_public_key_liboqs(seed: bytes) -> bytes:
    """The ML-KEM-768 encapsulation key liboqs derives from a 64-byte seed d || z."""
    _check_size(seed, MLKEM768_SEED_SIZE, "seed")
    with _oqs().KeyEncapsulation(LIBOQS_MLKEM768) as kem:
        return bytes(kem.generate_keypair_seed(seed))


def mlkem768_encapsulate_liboqs(public_key_bytes: bytes) -> tuple[bytes, bytes]:
    """(ciphertext, shared_secret): liboqs's order, the reverse of cryptography's `encapsulate()`."""
    _check_size(public_key_bytes, MLKEM768_PUBLIC_KEY_SIZE, "public key")
    with _oqs().KeyEncapsulation(LIBOQS_MLKEM768) as kem:
        ciphertext, shared_secret = kem.encap_secret(public_key_bytes)
    return bytes(ciphertext), bytes(shared_secret)


def mlkem768_decapsulate_liboqs(seed: bytes, ciphertext: bytes) -> bytes:
    """The shared secret for `ciphertext` under the key pair liboqs derives from a 64-byte seed d || z."""
    _check_size(seed, MLKEM768_SEED_SIZE, "seed")
    _check_size(ciphertext, MLKEM768_CIPHERTEXT_SIZE, "ciphertext")
    with _oqs().KeyEncapsulation(LIBOQS_MLKEM768) as kem:
        kem.generate_keypair_seed(seed)
        return bytes(kem.decap_secret(ciphertext))
