"""RFC 9162 (Certificate Transparency v2) Merkle tree over SHA-256: roots, compact ranges and proofs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root",
    "verify_consistency",
    "verify_inclusion",
]

HASH_SIZE = 32
EMPTY_ROOT: bytes = hashlib.sha256(b"").digest()

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d), the hash of one leaf."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right), the hash of an interior node."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The k of RFC 9162 2.1.1: the largest power of two strictly smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def _checked(leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """A list copy of `leaf_hashes`, after checking every element is a 32-byte hash."""
    hashes = list(leaf_hashes)
    if not set(map(len, hashes)) <= {HASH_SIZE}:
        raise ValueError(f"leaf hashes must be {HASH_SIZE}-byte SHA-256 digests")
    return hashes


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def _mth(hashes: list[bytes]) -> bytes:
    """MTH over already-checked leaf hashes, bottom-up, one level at a time.

    Pairing neighbours and promoting an unpaired last node unchanged builds exactly the RFC 9162 tree
    (left subtree of the largest power of two below n, right subtree of the rest).
    """
    if not hashes:
        return EMPTY_ROOT
    level = hashes
    prefix = _NODE_PREFIX
    sha = _sha256
    while len(level) > 1:
        it = iter(level)
        nxt = [sha(prefix + left + right).digest() for left, right in zip(it, it, strict=False)]
        if len(level) & 1:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle Tree Hash (RFC 9162 2.1.1) over already-hashed leaves; EMPTY_ROOT for no leaves."""
    return _mth(_checked(leaf_hashes))


class CompactRange:
    """The frontier of a tree of `size` leaves: the perfect subtree roots covering [0, size), largest first.

    There is one hash per set bit of `size`, so the state is O(log n) and enough to append and to compute the root.
    """

    size: int
    hashes: list[bytes]

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()) -> None:
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"size must be a non-negative integer, not {size!r}")
        hash_list = list(hashes)
        if len(hash_list) != size.bit_count():
            raise ValueError(f"a compact range of size {size} has {size.bit_count()} hashes, not {len(hash_list)}")
        if not all(_is_hash(h) for h in hash_list):
            raise ValueError(f"compact range hashes must be {HASH_SIZE}-byte SHA-256 digests")
        self.size = size
        self.hashes = hash_list

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf hash, merging equal-size subtrees (amortised O(1) hashes, O(log n) worst case)."""
        if not _is_hash(leaf_hash):
            raise ValueError(f"leaf hash must be a {HASH_SIZE}-byte SHA-256 digest")
        hashes = self.hashes
        hashes.append(leaf_hash)
        size = self.size
        while size & 1:
            right = hashes.pop()
            hashes[-1] = node_hash(hashes[-1], right)
            size >>= 1
        self.size += 1

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append every leaf hash of `leaf_hashes` in order."""
        for h in leaf_hashes:
            self.append(h)

    def root(self) -> bytes:
        """The Merkle Tree Hash of all leaves appended so far, folding the frontier from right to left."""
        if not self.hashes:
            return EMPTY_ROOT
        acc = self.hashes[-1]
        for h in reversed(self.hashes[:-1]):
            acc = node_hash(h, acc)
        return acc

    def to_json(self) -> dict[str, object]:
        """A JSON-ready dict: {"size": int, "hashes": [lowercase hex, ...]}."""
        return {"size": self.size, "hashes": [h.hex() for h in self.hashes]}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> CompactRange:
        """The inverse of to_json; ValueError on anything malformed."""
        if not isinstance(data, Mapping):
            raise ValueError("compact range JSON must be an object")
        size = data.get("size")
        raw = data.get("hashes")
        if not isinstance(size, int) or isinstance(size, bool):
            raise ValueError("compact range JSON needs an integer 'size'")
        if not isinstance(raw, list):
            raise ValueError("compact range JSON needs a list 'hashes'")
        hashes: list[bytes] = []
        for item in raw:
            if not isinstance(item, str) or len(item) != 2 * HASH_SIZE or not _HEX_DIGITS.issuperset(item):
                raise ValueError(f"compact range hashes must be {2 * HASH_SIZE} hex digits, not {item!r}")
            hashes.append(bytes.fromhex(item))
        return cls(size, hashes)

    def copy(self) -> CompactRange:
        """An independent copy."""
        clone = CompactRange.__new__(CompactRange)
        clone.size = self.size
        clone.hashes = list(self.hashes)
        return clone

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self.size == other.size and self.hashes == other.hashes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CompactRange(size={self.size}, hashes=[{', '.join(h.hex()[:12] + '...' for h in self.hashes)}])"


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 9162 2.1.3.1 for the tree of all `leaf_hashes` (0-based index), deepest first."""
    hashes = _checked(leaf_hashes)
    n = len(hashes)
    if not 0 <= index < n:
        raise ValueError(f"leaf index {index} is outside a tree of size {n}")
    # Walk down from the root; each step contributes the hash of the subtree the leaf is not in.
    path: list[bytes] = []
    lo, hi = 0, n
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            path.append(_mth(hashes[lo + k : hi]))
            hi = lo + k
        else:
            path.append(_mth(hashes[lo : lo + k]))
            lo += k
    path.reverse()
    return path


def verify_inclusion(leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 2.1.3.2: does `proof` show `leaf_hash` at 0-based `index` in the tree of `tree_size` with `root_hash`?

    Returns False, never raises, for any malformed input.
    """
    try:
        path = list(proof)
    except TypeError:
        return False
    if not (_is_hash(leaf_hash) and _is_hash(root_hash) and all(_is_hash(p) for p in path)):
        return False
    if not (isinstance(index, int) and isinstance(tree_size, int)) or not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 9162 2.1.4.1 between the first `old_size` leaves and all `leaf_hashes`.

    Empty when old_size is 0 or n (nothing to prove); ValueError outside 0..n.
    """
    hashes = _checked(leaf_hashes)
    n = len(hashes)
    if not 0 <= old_size <= n:
        raise ValueError(f"old size {old_size} is outside 0..{n}")
    if old_size in (0, n):
        return []
    # SUBPROOF(m, D[lo:hi], b) unrolled; each step appends the hash that follows the recursive part.
    suffix: list[bytes] = []
    m, lo, hi, complete = old_size, 0, n, True
    while m != hi - lo:
        k = _largest_power_of_two_below(hi - lo)
        if m <= k:
            suffix.append(_mth(hashes[lo + k : hi]))
            hi = lo + k
        else:
            suffix.append(_mth(hashes[lo : lo + k]))
            m -= k
            lo += k
            complete = False
    if not complete:
        suffix.append(_mth(hashes[lo:hi]))
    suffix.reverse()
    return suffix


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2: does `proof` show the tree of `new_size` with `new_root` extends the one of `old_size`?

    The degenerate cases the RFC leaves out: old_size == new_size needs an empty proof and equal roots; old_size == 0
    needs an empty proof and old_root == EMPTY_ROOT (every tree extends the empty one). Returns False, never raises,
    for any malformed input.
    """
    try:
        path = list(proof)
    except TypeError:
        return False
    if not (_is_hash(old_root) and _is_hash(new_root) and all(_is_hash(p) for p in path)):
        return False
    if not (isinstance(old_size, int) and isinstance(new_size, int)) or not 0 <= old_size <= new_size:
        return False
    if old_size == 0:
        return not path and old_root == EMPTY_ROOT and (new_size > 0 or new_root == EMPTY_ROOT)
    if old_size == new_size:
        return not path and old_root == new_root
    if not path:
        return False
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while fn and not fn & 1:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root
