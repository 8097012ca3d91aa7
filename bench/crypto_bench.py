"""Envelope encryption benchmark: seal + open of 1 KB and 1 MB, hybrid and standard vs plain AES-256-GCM.

    .venv/bin/python bench/crypto_bench.py [--repeats N]

No Django. Each figure is the median over N repeats (default 9) of the mean time per operation, measured with
time.perf_counter in the same run as the baseline: plain AES-256-GCM under one key (fresh nonce, no envelope, no
header). "standard" is seal_symmetric + unseal_symmetric. Target (issue 6): hybrid seal + open of 1 KB <= 0.5 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from encryption.hybrid import (
    OVERHEAD,
    HybridPrivateKey,
    master_key_id,
    seal,
    seal_symmetric,
    unseal,
    unseal_symmetric,
)

TARGET_1KB_S = 0.5e-3
SIZES = {"1 KB": (1024, 2000), "1 MB": (1 << 20, 40)}  # payload bytes, operations per repeat
AAD = b"notes|12345|body"


def samples(operation: Callable[[], object], iterations: int, repeats: int) -> list[float]:
    """The mean seconds per call in each of `repeats` timed runs."""
    operation()  # warm up
    means = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iterations):
            operation()
        means.append((time.perf_counter() - start) / iterations)
    return means


def per_op(operation: Callable[[], object], iterations: int, repeats: int) -> float:
    return statistics.median(samples(operation, iterations, repeats))


def plain_round_trip(key: bytes, payload: bytes) -> Callable[[], object]:
    aead = AESGCM(key)

    def run() -> bytes:
        nonce = os.urandom(12)
        return aead.decrypt(nonce, aead.encrypt(nonce, payload, AAD), AAD)

    return run


def hybrid_round_trip(private_key: HybridPrivateKey, payload: bytes) -> Callable[[], object]:
    public_key = private_key.public_key()
    return lambda: unseal(seal(payload, public_key, aad=AAD), private_key, aad=AAD)


def standard_round_trip(master_key: bytes, payload: bytes) -> Callable[[], object]:
    key_id = master_key_id(master_key)
    return lambda: unseal_symmetric(seal_symmetric(payload, master_key, key_id=key_id, aad=AAD), master_key, aad=AAD)


def fmt(seconds: float) -> str:
    return f"{seconds * 1e6:10.1f} µs"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    private_key = HybridPrivateKey.generate()
    master_key = os.urandom(32)

    keygen = per_op(HybridPrivateKey.generate, 1000, args.repeats)
    print(f"key generation (X25519 + ML-KEM-768):   {fmt(keygen)}")
    print(f"overhead per object: hybrid {OVERHEAD[1]} B, standard {OVERHEAD[2]} B, plain AES-GCM 28 B (nonce + tag)")
    print(f"median of {args.repeats} repeats, seal + open per object, aad {len(AAD)} B")
    print(f"{'payload':>8} {'plain AES-GCM':>14} {'standard':>13} {'hybrid':>13} {'std/plain':>10} {'hyb/plain':>10}")
    hybrid_1kb: list[float] = []
    for label, (size, iterations) in SIZES.items():
        payload = os.urandom(size)
        plain = per_op(plain_round_trip(master_key, payload), iterations, args.repeats)
        standard = per_op(standard_round_trip(master_key, payload), iterations, args.repeats)
        hybrid_samples = samples(hybrid_round_trip(private_key, payload), iterations, args.repeats)
        hybrid = statistics.median(hybrid_samples)
        hybrid_1kb = hybrid_samples if size == 1024 else hybrid_1kb
        print(
            f"{label:>8} {fmt(plain):>14} {fmt(standard):>13} {fmt(hybrid):>13} "
            f"{standard / plain:9.2f}x {hybrid / plain:9.2f}x"
        )
    median_1kb, best_1kb = statistics.median(hybrid_1kb), min(hybrid_1kb)
    verdict = "met" if median_1kb <= TARGET_1KB_S else "MISSED"
    print(
        f"target: hybrid seal + open of 1 KB <= {TARGET_1KB_S * 1e3:.1f} ms: {verdict} "
        f"(median {median_1kb * 1e3:.3f} ms, best repeat {best_1kb * 1e3:.3f} ms)"
    )
    load = os.getloadavg()[0]
    print(f"machine: {os.cpu_count()} CPUs, load average {load:.2f} at the end (other work inflates every figure)")


if __name__ == "__main__":
    main()
