"""encryption.hybrid: round trips, every-bit tamper and truncation, key binding, the documented format, liboqs."""

from __future__ import annotations

import hashlib
import hmac
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from encryption import hybrid
from encryption.hybrid import (
    ALG_HYBRID,
    ALG_STANDARD,
    OVERHEAD,
    DecryptionError,
    HybridPrivateKey,
    HybridPublicKey,
    SealedHeader,
    decapsulate,
    encapsulate,
    liboqs_available,
    master_key_id,
    read_header,
    seal,
    seal_symmetric,
    unseal,
    unseal_symmetric,
)

ROOT = Path(__file__).resolve().parent.parent.parent
PROPERTY = settings(max_examples=100, deadline=None, database=None)
SLOW_PROPERTY = settings(max_examples=25, deadline=None, database=None)

KEY = HybridPrivateKey.generate()
OTHER_KEY = HybridPrivateKey.generate()
MASTER = bytes(range(32))
MASTER_ID = master_key_id(MASTER)
# A fixed key pair: X25519 scalar 0x01..0x20, ML-KEM seed 0x40..0x7f. Its id pins the serialisation and key id rule.
FIXED_PRIVATE = bytes(range(1, 33)) + bytes(range(0x40, 0x80))
FIXED_KEY_ID = "fbb0adf651af24e0331a190c7048175e"

payloads = st.binary(max_size=4096)
aads = st.binary(max_size=256)


def flip(blob: bytes, bit: int) -> bytes:
    changed = bytearray(blob)
    changed[bit // 8] ^= 1 << (bit % 8)
    return bytes(changed)


# --- sizes and overhead ---------------------------------------------------------------------------------------------


def test_mlkem768_sizes_match_facts() -> None:
    private = mlkem.MLKEM768PrivateKey.generate()
    shared_secret, ciphertext = private.public_key().encapsulate()  # cryptography's order: (secret, ciphertext)
    assert len(private.public_key().public_bytes_raw()) == hybrid.MLKEM768_PUBLIC_KEY_SIZE == 1184
    assert len(ciphertext) == hybrid.MLKEM768_CIPHERTEXT_SIZE == 1088
    assert len(shared_secret) == hybrid.SHARED_SECRET_SIZE == 32
    assert len(private.private_bytes_raw()) == hybrid.MLKEM768_SEED_SIZE == 64
    assert private.decapsulate(ciphertext) == shared_secret


def test_documented_overhead() -> None:
    assert OVERHEAD == {ALG_HYBRID: 1230, ALG_STANDARD: 110}
    assert OVERHEAD[ALG_HYBRID] == 4 + 1 + 1 + 16 + 1088 + 32 + 12 + 48 + 12 + 16
    assert OVERHEAD[ALG_STANDARD] == 4 + 1 + 1 + 16 + 12 + 48 + 12 + 16
    assert len(seal(b"", KEY.public_key())) == 1230
    assert len(seal_symmetric(b"", MASTER, key_id=MASTER_ID)) == 110


@PROPERTY
@given(payloads, aads)
def test_overhead_is_fixed(plaintext: bytes, aad: bytes) -> None:
    assert len(seal(plaintext, KEY.public_key(), aad=aad)) == len(plaintext) + OVERHEAD[ALG_HYBRID]
    assert len(seal_symmetric(plaintext, MASTER, key_id=MASTER_ID, aad=aad)) == len(plaintext) + OVERHEAD[ALG_STANDARD]


# --- round trips ----------------------------------------------------------------------------------------------------


@PROPERTY
@given(payloads, aads)
def test_hybrid_round_trip(plaintext: bytes, aad: bytes) -> None:
    sealed = seal(plaintext, KEY.public_key(), aad=aad)
    assert unseal(sealed, KEY, aad=aad) == plaintext
    assert read_header(sealed) == SealedHeader(1, ALG_HYBRID, KEY.key_id)


@PROPERTY
@given(payloads, aads)
def test_symmetric_round_trip(plaintext: bytes, aad: bytes) -> None:
    sealed = seal_symmetric(plaintext, MASTER, key_id=MASTER_ID, aad=aad)
    assert unseal_symmetric(sealed, MASTER, aad=aad) == plaintext
    assert read_header(sealed) == SealedHeader(1, ALG_STANDARD, MASTER_ID)


def test_large_payload_round_trip() -> None:
    plaintext = os.urandom(1 << 20)
    assert unseal(seal(plaintext, KEY.public_key(), aad=b"f"), KEY, aad=b"f") == plaintext
    assert unseal_symmetric(seal_symmetric(plaintext, MASTER, key_id=MASTER_ID), MASTER) == plaintext


def test_sealing_is_randomised() -> None:
    assert seal(b"same", KEY.public_key()) != seal(b"same", KEY.public_key())
    assert seal_symmetric(b"same", MASTER, key_id=MASTER_ID) != seal_symmetric(b"same", MASTER, key_id=MASTER_ID)


# --- tampering: every bit, every truncation, aad, keys --------------------------------------------------------------


def test_every_single_bit_flip_fails_hybrid() -> None:
    sealed = seal(b"PHI: 42", KEY.public_key(), aad=b"notes|17|body")
    for bit in range(len(sealed) * 8):
        with pytest.raises(DecryptionError):
            unseal(flip(sealed, bit), KEY, aad=b"notes|17|body")


def test_every_single_bit_flip_fails_symmetric() -> None:
    sealed = seal_symmetric(b"PHI: 42", MASTER, key_id=MASTER_ID, aad=b"notes|17|body")
    for bit in range(len(sealed) * 8):
        with pytest.raises(DecryptionError):
            unseal_symmetric(flip(sealed, bit), MASTER, aad=b"notes|17|body")


@PROPERTY
@given(payloads, aads, st.data())
def test_any_bit_flip_fails(plaintext: bytes, aad: bytes, data: st.DataObject) -> None:
    sealed = seal(plaintext, KEY.public_key(), aad=aad)
    with pytest.raises(DecryptionError):
        unseal(flip(sealed, data.draw(st.integers(0, len(sealed) * 8 - 1))), KEY, aad=aad)
    sealed = seal_symmetric(plaintext, MASTER, key_id=MASTER_ID, aad=aad)
    with pytest.raises(DecryptionError):
        unseal_symmetric(flip(sealed, data.draw(st.integers(0, len(sealed) * 8 - 1))), MASTER, aad=aad)


def test_every_truncation_and_extension_fails() -> None:
    sealed = seal(b"x" * 40, KEY.public_key())
    for length in range(len(sealed)):
        with pytest.raises(DecryptionError):
            unseal(sealed[:length], KEY)
    with pytest.raises(DecryptionError):
        unseal(sealed + b"\x00", KEY)
    sealed = seal_symmetric(b"x" * 40, MASTER, key_id=MASTER_ID)
    for length in range(len(sealed)):
        with pytest.raises(DecryptionError):
            unseal_symmetric(sealed[:length], MASTER)
    with pytest.raises(DecryptionError):
        unseal_symmetric(sealed + b"\x00", MASTER)


@PROPERTY
@given(payloads, aads, st.data())
def test_any_truncation_fails(plaintext: bytes, aad: bytes, data: st.DataObject) -> None:
    sealed = seal(plaintext, KEY.public_key(), aad=aad)
    with pytest.raises(DecryptionError):
        unseal(sealed[: data.draw(st.integers(0, len(sealed) - 1))], KEY, aad=aad)


@PROPERTY
@given(payloads, aads, aads)
def test_changed_aad_fails(plaintext: bytes, aad: bytes, other_aad: bytes) -> None:
    if aad == other_aad:
        other_aad += b"\x00"
    with pytest.raises(DecryptionError):
        unseal(seal(plaintext, KEY.public_key(), aad=aad), KEY, aad=other_aad)
    with pytest.raises(DecryptionError):
        unseal_symmetric(seal_symmetric(plaintext, MASTER, key_id=MASTER_ID, aad=aad), MASTER, aad=other_aad)


@SLOW_PROPERTY
@given(payloads)
def test_other_recipient_fails(plaintext: bytes) -> None:
    sealed = seal(plaintext, KEY.public_key())
    with pytest.raises(DecryptionError):
        unseal(sealed, OTHER_KEY)
    with pytest.raises(DecryptionError):
        unseal(sealed, HybridPrivateKey.generate())


def test_other_recipient_fails_even_with_the_key_id_forged() -> None:
    """Past the key id check: the KEM itself must reject a key pair it was not sealed for."""
    sealed = bytearray(seal(b"secret", KEY.public_key()))
    sealed[6:22] = bytes.fromhex(OTHER_KEY.key_id)
    with pytest.raises(DecryptionError):
        unseal(bytes(sealed), OTHER_KEY)


@PROPERTY
@given(payloads, st.binary(min_size=32, max_size=32))
def test_wrong_master_key_fails(plaintext: bytes, other: bytes) -> None:
    if other == MASTER:
        other = bytes(32)
    with pytest.raises(DecryptionError):
        unseal_symmetric(seal_symmetric(plaintext, MASTER, key_id=MASTER_ID), other)


def test_algorithms_do_not_cross() -> None:
    with pytest.raises(DecryptionError):
        unseal_symmetric(seal(b"a", KEY.public_key()), MASTER)
    with pytest.raises(DecryptionError):
        unseal(seal_symmetric(b"a", MASTER, key_id=MASTER_ID), KEY)


def test_low_order_ephemeral_point_fails_cleanly() -> None:
    sealed = bytearray(seal(b"a", KEY.public_key()))
    sealed[22 + 1088 : 22 + 1120] = bytes(32)  # u = 0: the X25519 shared secret would be all zeros
    with pytest.raises(DecryptionError):
        unseal(bytes(sealed), KEY)


@pytest.mark.parametrize(
    "blob",
    [b"", b"PSE1", b"PSE2" + bytes(2000), b"PSE1\x02\x01" + bytes(2000), b"PSE1\x01\x03" + bytes(2000), bytes(5000)],
)
def test_garbage_fails(blob: bytes) -> None:
    with pytest.raises(DecryptionError):
        unseal(blob, KEY)
    with pytest.raises(DecryptionError):
        unseal_symmetric(blob, MASTER)


def test_error_says_nothing() -> None:
    with pytest.raises(DecryptionError) as caught:
        unseal(seal(b"Jane Doe, MRN 1234", KEY.public_key(), aad=b"a"), KEY, aad=b"b")
    assert str(caught.value) == "decryption failed"
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


# --- keys -----------------------------------------------------------------------------------------------------------


def test_key_serialisation_round_trips() -> None:
    private_bytes = KEY.to_bytes()
    assert len(private_bytes) == hybrid.PRIVATE_KEY_SIZE == 96
    restored = HybridPrivateKey.from_bytes(private_bytes)
    assert restored.to_bytes() == private_bytes
    assert restored.public_key() == KEY.public_key()
    public_bytes = KEY.public_key().to_bytes()
    assert len(public_bytes) == hybrid.PUBLIC_KEY_SIZE == 1216
    assert HybridPublicKey.from_bytes(public_bytes) == KEY.public_key()
    assert hash(HybridPublicKey.from_bytes(public_bytes)) == hash(KEY.public_key())
    assert unseal(seal(b"hi", HybridPublicKey.from_bytes(public_bytes)), restored) == b"hi"


def test_key_ids_are_stable() -> None:
    fixed = HybridPrivateKey.from_bytes(FIXED_PRIVATE)
    assert fixed.key_id == fixed.public_key().key_id == FIXED_KEY_ID
    assert hashlib.sha256(fixed.public_key().to_bytes()).digest()[:16].hex() == FIXED_KEY_ID
    assert HybridPrivateKey.from_bytes(FIXED_PRIVATE).key_id == FIXED_KEY_ID
    assert fixed.to_bytes() == FIXED_PRIVATE
    assert KEY.key_id == hashlib.sha256(KEY.public_key().to_bytes()).digest()[:16].hex()
    assert KEY.key_id != OTHER_KEY.key_id
    assert master_key_id(MASTER) == hashlib.sha256(b"paitient/master-key-id/v1" + MASTER).digest()[:16].hex()


def test_reprs_hide_secrets() -> None:
    assert repr(KEY) == f"HybridPrivateKey(key_id={KEY.key_id!r})"
    assert KEY.to_bytes().hex()[:16] not in repr(KEY)


@pytest.mark.parametrize("size", [0, 95, 97])
def test_bad_private_key_length(size: int) -> None:
    with pytest.raises(ValueError, match="96 bytes"):
        HybridPrivateKey.from_bytes(bytes(size))


@pytest.mark.parametrize("size", [0, 1215, 1217])
def test_bad_public_key_length(size: int) -> None:
    with pytest.raises(ValueError, match="1216 bytes"):
        HybridPublicKey.from_bytes(bytes(size))


@pytest.mark.parametrize("key_id", ["", "ABCDEF" * 5 + "AB", "0" * 31, "0" * 33, "g" * 32])
def test_symmetric_key_id_must_be_32_lowercase_hex(key_id: str) -> None:
    with pytest.raises(ValueError, match="key id"):
        seal_symmetric(b"a", MASTER, key_id=key_id)


@pytest.mark.parametrize("size", [0, 16, 31, 33])
def test_master_key_must_be_32_bytes(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal_symmetric(b"a", bytes(size), key_id=MASTER_ID)
    with pytest.raises(ValueError, match="32 bytes"):
        unseal_symmetric(seal_symmetric(b"a", MASTER, key_id=MASTER_ID), bytes(size))


# --- the KEM and the format exactly as documented ------------------------------------------------------------------


def test_kem_round_trip() -> None:
    key, ciphertext = encapsulate(KEY.public_key())
    assert len(key) == 32
    assert len(ciphertext) == hybrid.KEM_CIPHERTEXT_SIZE == 1120
    assert decapsulate(KEY, ciphertext) == key
    assert decapsulate(OTHER_KEY, ciphertext) != key
    with pytest.raises(ValueError):
        decapsulate(KEY, ciphertext[:-1])


def hkdf_sha256(ikm: bytes, info: bytes) -> bytes:
    """RFC 5869 with no salt (32 zero bytes) and L = 32: one HMAC block."""
    prk = hmac.new(bytes(32), ikm, hashlib.sha256).digest()
    return hmac.new(prk, info + b"\x01", hashlib.sha256).digest()


@SLOW_PROPERTY
@given(payloads, aads)
def test_independent_decoder_of_the_documented_format(plaintext: bytes, aad: bytes) -> None:
    """Open a container from docs/encryption.md alone: raw primitives, no encryption.hybrid internals."""
    private = KEY.to_bytes()
    x_private = x25519.X25519PrivateKey.from_private_bytes(private[:32])
    m_private = mlkem.MLKEM768PrivateKey.from_seed_bytes(private[32:])
    sealed = seal(plaintext, KEY.public_key(), aad=aad)

    assert sealed[:4] == b"PSE1"
    assert sealed[4:6] == b"\x01\x01"
    assert sealed[6:22] == hashlib.sha256(KEY.public_key().to_bytes()).digest()[:16]
    ct_mlkem, ct_x25519 = sealed[22:1110], sealed[1110:1142]
    wrap_nonce, wrapped, nonce, body = sealed[1142:1154], sealed[1154:1202], sealed[1202:1214], sealed[1214:]

    ss_mlkem = m_private.decapsulate(ct_mlkem)
    ss_x25519 = x_private.exchange(x25519.X25519PublicKey.from_public_bytes(ct_x25519))
    recipient_x25519 = x_private.public_key().public_bytes_raw()
    info = b"paitient/hybrid-kem/v1" + ct_mlkem + ct_x25519 + recipient_x25519
    wrap_key = hkdf_sha256(ss_mlkem + ss_x25519, info)
    assert wrap_key == decapsulate(KEY, ct_mlkem + ct_x25519)

    data_key = AESGCM(wrap_key).decrypt(wrap_nonce, wrapped, sealed[:1154] + aad)
    assert AESGCM(data_key).decrypt(nonce, body, sealed[:1214] + aad) == plaintext


def test_independent_decoder_symmetric() -> None:
    sealed = seal_symmetric(b"standard", MASTER, key_id=MASTER_ID, aad=b"t|1|f")
    assert sealed[:6] == b"PSE1\x01\x02"
    assert sealed[6:22].hex() == MASTER_ID
    data_key = AESGCM(MASTER).decrypt(sealed[22:34], sealed[34:82], sealed[:34] + b"t|1|f")
    assert AESGCM(data_key).decrypt(sealed[82:94], sealed[94:], sealed[:94] + b"t|1|f") == b"standard"


# --- no Django, no oqs ----------------------------------------------------------------------------------------------


def test_imports_without_django_or_oqs() -> None:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = (
        "import sys; import encryption.hybrid as h; "
        "assert not any(m == 'django' or m.startswith('django.') for m in sys.modules), 'django imported'; "
        "h.liboqs_available(); "
        "assert h.liboqs_available() or 'oqs' not in sys.modules, 'oqs imported without liboqs'"
    )
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_a_file_that_is_not_liboqs_is_not_taken_for_it(tmp_path: Path) -> None:
    fake = tmp_path / "lib" / "liboqs.so"
    fake.parent.mkdir()
    fake.write_bytes(b"not a shared library")
    assert not hybrid._liboqs_loads(str(fake))
    assert not hybrid._liboqs_loads(str(tmp_path / "missing.so"))


def test_liboqs_interoperates_both_ways() -> None:
    if not liboqs_available():
        pytest.skip("liboqs shared library not found (OQS_INSTALL_PATH, ~/_oqs, system path): no cross-check")
    seed = os.urandom(64)
    ours = mlkem.MLKEM768PrivateKey.from_seed_bytes(seed)
    public_bytes = ours.public_key().public_bytes_raw()
    assert hybrid.mlkem768_public_key_liboqs(seed) == public_bytes
    ciphertext, shared_secret = hybrid.mlkem768_encapsulate_liboqs(public_bytes)  # liboqs: (ciphertext, secret)
    assert ours.decapsulate(ciphertext) == shared_secret
    shared_secret, ciphertext = ours.public_key().encapsulate()  # cryptography: (secret, ciphertext)
    assert hybrid.mlkem768_decapsulate_liboqs(seed, ciphertext) == shared_secret
