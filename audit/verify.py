"""Verify an audit chain — an export bundle offline, or rows fed by `manage.py audit_verify` (no Django).

    python -m audit.verify BUNDLE [--trust KEY.pem ...]   (a .zip export or its unpacked folder)

Without --trust the bundle's own public keys are used; pass the keys published by the service
(console → Audit log → signing keys) to rule out a bundle re-signed with someone else's key.

prints `OK ...` and exits 0, or `FAILED at seq N: why` and exits 1 (2 for an unreadable bundle).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import zipfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

from audit import canonical
from audit.merkle import CompactRange

EventRow = tuple[int, str, str, str, str]  # seq, canonical text, leaf_hash, prev_hash, hash
BUNDLE_FORMAT = "paitient-audit-bundle/1"
EVENTS_FILE = "events.log"


def format_event_line(row: EventRow) -> str:
    """`seq TAB leaf_hash TAB prev_hash TAB hash TAB canonical-JSON`: the last field is hashed as is."""
    seq, text, leaf_hash, prev_hash, hash_ = row
    return f"{seq}\t{leaf_hash}\t{prev_hash}\t{hash_}\t{text}\n"


def parse_event_line(line: str) -> EventRow | None:
    parts = line.rstrip("\n").split("\t", 4)
    if len(parts) != 5 or not parts[0].isdigit():
        return None
    return int(parts[0]), parts[4], parts[1], parts[2], parts[3]


class VerificationFailed(Exception):
    def __init__(self, seq: int | None, reason: str) -> None:
        super().__init__(f"seq {seq}: {reason}" if seq is not None else reason)
        self.seq = seq
        self.reason = reason


@dataclass(frozen=True)
class Report:
    ok: bool
    chain: str
    events: int
    first_seq: int | None
    last_seq: int | None
    checkpoints: int
    root_hash: str | None
    failed_seq: int | None = None
    reason: str = ""

    def line(self) -> str:
        if not self.ok:
            where = f"seq {self.failed_seq}" if self.failed_seq is not None else "chain"
            return f"FAILED at {where}: {self.reason}"
        span = f"seq {self.first_seq}..{self.last_seq}" if self.events else "no events"
        return f"OK: chain {self.chain}, {self.events} events ({span}), {self.checkpoints} signed checkpoints verified"


@dataclass(frozen=True)
class CheckpointRecord:
    tree_size: int
    root_hash: str
    timestamp: str
    key_id: str
    signature: str


@dataclass(frozen=True)
class SegmentResult:
    first_seq: int
    count: int
    first_prev: str
    last_hash: str
    leaves: bytes  # 32 bytes a leaf, in seq order
    failure: tuple[int | None, str] | None = None


class SegmentVerifier:
    """Checks a contiguous run of events by itself: order, each leaf hash against the content, the links
    inside the run. With `previous=None` the run's first link is left to whoever joins the runs."""

    def __init__(self, first_seq: int, previous: bytes | None) -> None:
        self.expected_seq = first_seq
        self.previous = previous
        self.first_prev: str | None = None
        self.count = 0

    @property
    def previous_hex(self) -> str:
        return self.previous.hex() if self.previous is not None else ""

    def feed(self, seq: int, text: str, leaf_hash: str, prev_hash: str, hash_: str) -> bytes:
        if seq != self.expected_seq:
            if seq > self.expected_seq:
                raise VerificationFailed(
                    self.expected_seq, f"missing event(s): expected seq {self.expected_seq}, found {seq}"
                )
            raise VerificationFailed(seq, f"out of order: seq {seq} after {self.expected_seq - 1}")
        leaf = canonical.text_leaf_hash(text)
        if leaf.hex() != leaf_hash:
            raise VerificationFailed(seq, "event content does not match its leaf hash (edited)")
        if self.previous is None:
            self.first_prev = prev_hash
            try:
                self.previous = bytes.fromhex(prev_hash)
            except ValueError:
                raise VerificationFailed(seq, "prev_hash is not a hash") from None
        elif prev_hash != self.previous.hex():
            raise VerificationFailed(seq, "prev_hash does not link to the preceding event (deleted or reordered)")
        self.previous = canonical.chain_hash(self.previous, leaf)
        if hash_ != self.previous.hex():
            raise VerificationFailed(seq, "chain hash mismatch")
        self.count += 1
        self.expected_seq += 1
        return leaf


def check_segment(first_seq: int, rows: Iterable[EventRow]) -> SegmentResult:
    """Run a SegmentVerifier over rows (in a worker process); the first failure is returned, not raised."""
    segment = SegmentVerifier(first_seq, None)
    leaves = bytearray()
    try:
        for seq, text, leaf_hash, prev_hash, hash_ in rows:
            leaves += segment.feed(seq, text, leaf_hash, prev_hash, hash_)
    except VerificationFailed as failure:
        return SegmentResult(first_seq, 0, "", "", b"", (failure.seq, failure.reason))
    return SegmentResult(first_seq, segment.count, segment.first_prev or "", segment.previous_hex, bytes(leaves))


class ChainVerifier:
    """Feed events in `seq` order; any edit, deletion, reordering or truncation raises VerificationFailed."""

    def __init__(
        self,
        *,
        chain: str,
        checkpoints: Iterable[CheckpointRecord],
        public_keys: Mapping[str, Ed25519PublicKey],
        anchor_seq: int = 0,
        anchor_hash: str = "",
        anchor_frontier: Mapping[str, Any] | None = None,
    ) -> None:
        self.chain = chain
        self.checkpoints = sorted(checkpoints, key=lambda c: c.tree_size)
        self.expected_seq = anchor_seq + 1
        self.first_seq: int | None = None
        self.count = 0
        self._segment = SegmentVerifier(
            anchor_seq + 1, bytes.fromhex(anchor_hash) if anchor_hash else canonical.GENESIS_HASH
        )
        try:
            self.frontier = CompactRange.from_json(anchor_frontier) if anchor_frontier else CompactRange()
        except ValueError as exc:
            raise VerificationFailed(anchor_seq, f"retention anchor is malformed ({exc})") from None
        if self.frontier.size != anchor_seq:
            raise VerificationFailed(anchor_seq, "retention anchor's Merkle frontier does not match its seq")
        self._verify_signatures(public_keys)
        self._roots = {c.tree_size: c.root_hash for c in self.checkpoints if c.tree_size > anchor_seq}
        at_anchor = [c for c in self.checkpoints if c.tree_size == anchor_seq and anchor_seq > 0]
        for checkpoint in at_anchor:
            if self.frontier.root().hex() != checkpoint.root_hash:
                raise VerificationFailed(anchor_seq, "retention anchor disagrees with the signed checkpoint")

    def _verify_signatures(self, public_keys: Mapping[str, Ed25519PublicKey]) -> None:
        for checkpoint in self.checkpoints:
            key = public_keys.get(checkpoint.key_id)
            if key is None:
                raise VerificationFailed(checkpoint.tree_size, f"checkpoint signed by unknown key {checkpoint.key_id}")
            message = canonical.checkpoint_message(
                chain=self.chain,
                tree_size=checkpoint.tree_size,
                root_hash=checkpoint.root_hash,
                timestamp=checkpoint.timestamp,
            )
            try:
                key.verify(bytes.fromhex(checkpoint.signature), message)
            except (InvalidSignature, ValueError):
                raise VerificationFailed(
                    checkpoint.tree_size, f"checkpoint at size {checkpoint.tree_size} has an invalid signature"
                ) from None

    def feed(self, seq: int, text: str, leaf_hash: str, prev_hash: str, hash_: str) -> None:
        """One event: `text` is its canonical encoding; the hashes are the stored hex strings."""
        self._absorb(seq, self._segment.feed(seq, text, leaf_hash, prev_hash, hash_))

    def feed_segment(self, segment: SegmentResult) -> None:
        """A run of events checked elsewhere (another process): link it here, then its Merkle leaves."""
        if segment.failure is not None:
            raise VerificationFailed(*segment.failure)
        if segment.count == 0:
            return
        if segment.first_seq != self.expected_seq:
            raise VerificationFailed(
                self.expected_seq, f"missing event(s): expected seq {self.expected_seq}, found {segment.first_seq}"
            )
        if segment.first_prev != self._segment.previous_hex:
            raise VerificationFailed(
                segment.first_seq, "prev_hash does not link to the preceding event (deleted or reordered)"
            )
        for offset in range(segment.count):
            self._absorb(segment.first_seq + offset, segment.leaves[offset * 32 : offset * 32 + 32])
        self._segment = SegmentVerifier(self.expected_seq, bytes.fromhex(segment.last_hash))

    def _absorb(self, seq: int, leaf: bytes) -> None:
        self.frontier.append(leaf)
        expected_root = self._roots.get(seq)
        if expected_root is not None and self.frontier.root().hex() != expected_root:
            raise VerificationFailed(seq, f"Merkle root differs from the signed checkpoint at size {seq}")
        if self.first_seq is None:
            self.first_seq = seq
        self.count += 1
        self.expected_seq += 1

    def finish(self, *, expected_size: int | None = None) -> Report:
        last_seq = self.expected_seq - 1
        largest = self.checkpoints[-1].tree_size if self.checkpoints else 0
        if largest > last_seq:
            raise VerificationFailed(
                last_seq + 1, f"truncated: a signed checkpoint covers {largest} events but the log ends at {last_seq}"
            )
        if expected_size is not None and last_seq > expected_size:
            raise VerificationFailed(
                expected_size + 1, f"events beyond the chain head's size {expected_size}: not written by the sequencer"
            )
        if expected_size is not None and expected_size > last_seq:
            raise VerificationFailed(
                last_seq + 1, f"truncated: the chain head records {expected_size} events but the log ends at {last_seq}"
            )
        return Report(
            ok=True,
            chain=self.chain,
            events=self.count,
            first_seq=self.first_seq,
            last_seq=last_seq if self.count else None,
            checkpoints=len(self.checkpoints),
            root_hash=self.frontier.root().hex() if self.frontier.size else None,
        )


def run(verifier_factory: Any, events: Iterable[EventRow], **finish: Any) -> Report:
    """Drive a verifier over events, turning the first failure into a failed Report."""
    chain = "?"
    try:
        verifier: ChainVerifier = verifier_factory()
        chain = verifier.chain
        for seq, text, leaf_hash, prev_hash, hash_ in events:
            verifier.feed(seq, text, leaf_hash, prev_hash, hash_)
        return verifier.finish(**finish)
    except VerificationFailed as failure:
        return Report(
            ok=False,
            chain=chain,
            events=0,
            first_seq=None,
            last_seq=None,
            checkpoints=0,
            root_hash=None,
            failed_seq=failure.seq,
            reason=failure.reason,
        )


def run_segments(verifier_factory: Any, segments: Iterable[SegmentResult], **finish: Any) -> Report:
    """Like `run`, for runs of events already checked by `check_segment` (joined here in order)."""
    chain = "?"
    try:
        verifier: ChainVerifier = verifier_factory()
        chain = verifier.chain
        for segment in segments:
            verifier.feed_segment(segment)
        return verifier.finish(**finish)
    except VerificationFailed as failure:
        return Report(False, chain, 0, None, None, 0, None, failed_seq=failure.seq, reason=failure.reason)


class BundleError(Exception):
    """The bundle cannot be read (not a verification failure)."""


class _Bundle:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.zip = zipfile.ZipFile(path) if path.is_file() else None

    def lines(self, name: str) -> Iterator[str]:
        if self.zip is not None:
            with self.zip.open(name) as handle:
                for raw in handle:
                    yield raw.decode("utf-8")
        else:
            with (self.path / name).open(encoding="utf-8") as handle:
                yield from handle

    def json(self, name: str) -> Any:
        return json.loads("".join(self.lines(name)))


def verify_bundle(path: Path, *, trusted_keys: Mapping[str, Ed25519PublicKey] | None = None) -> Report:
    try:
        bundle = _Bundle(path)
        manifest = bundle.json("manifest.json")
        if manifest.get("format") != BUNDLE_FORMAT:
            raise BundleError(f"not a {BUNDLE_FORMAT} bundle")
        public_keys = {}
        for key_id, pem in bundle.json("public_keys.json").items():
            key = load_pem_public_key(pem.encode())
            if not isinstance(key, Ed25519PublicKey):
                raise BundleError(f"public key {key_id} is not Ed25519")
            public_keys[key_id] = key
        if trusted_keys is not None:
            public_keys = dict(trusted_keys)
        checkpoints = [
            CheckpointRecord(**json.loads(line)) for line in bundle.lines("checkpoints.jsonl") if line.strip()
        ]
    except (OSError, KeyError, ValueError, TypeError, zipfile.BadZipFile) as exc:
        raise BundleError(f"cannot read bundle {path}: {exc}") from exc
    anchor = manifest.get("anchor") or {}

    def events() -> Iterator[EventRow]:
        for number, line in enumerate(bundle.lines(EVENTS_FILE), start=1):
            if not line.strip():
                continue
            row = parse_event_line(line)
            if row is None:
                raise VerificationFailed(None, f"{EVENTS_FILE} line {number} is malformed")
            yield row

    return run(
        lambda: ChainVerifier(
            chain=manifest["chain"],
            checkpoints=checkpoints,
            public_keys=public_keys,
            anchor_seq=int(anchor.get("seq", 0)),
            anchor_hash=anchor.get("hash", ""),
            anchor_frontier=anchor.get("frontier"),
        ),
        events(),
        expected_size=manifest.get("size"),
    )


def load_trusted_keys(paths: Iterable[str]) -> dict[str, Ed25519PublicKey]:
    keys: dict[str, Ed25519PublicKey] = {}
    for name in paths:
        key = load_pem_public_key(Path(name).read_bytes())
        if not isinstance(key, Ed25519PublicKey):
            raise BundleError(f"{name} is not an Ed25519 public key")
        raw = key.public_bytes(Encoding.Raw, PublicFormat.Raw)
        keys[hashlib.sha256(raw).hexdigest()[:32]] = key
    return keys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m audit.verify", description="Verify an audit export bundle.")
    parser.add_argument("bundle", type=Path)
    parser.add_argument("--trust", action="append", default=[], metavar="KEY.pem", help="trusted signing key")
    args = parser.parse_args(argv)
    try:
        trusted = load_trusted_keys(args.trust) if args.trust else None
        report = verify_bundle(args.bundle, trusted_keys=trusted)
    except (BundleError, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.line())
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
