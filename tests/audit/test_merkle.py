"""RFC 9162 Merkle tree: reference vectors, a from-the-definition oracle, CompactRange, and proof properties."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

# The Certificate Transparency reference vectors (RFC 6962 / RFC 9162), as used by the reference implementations
# (google/certificate-transparency, transparency-dev/merkle testonly): the leaf inputs, then the root for each size.
CT_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
]
CT_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (0-based leaf index, tree size, path) and (old size, new size, proof) from the same reference suites.
CT_INCLUSION = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
CT_CONSISTENCY = [
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        2,
        8,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (1, 1, []),
]

CT_HASHES = [leaf_hash(d) for d in CT_LEAVES]
PROPERTY = settings(max_examples=100, deadline=None, database=None)


def make_leaves(n: int, salt: bytes = b"") -> list[bytes]:
    return [leaf_hash(salt + i.to_bytes(4, "big")) for i in range(n)]


def flip(h: bytes, byte: int = 0, mask: int = 0x01) -> bytes:
    out = bytearray(h)
    out[byte % len(out)] ^= mask
    return bytes(out)


# A direct transcription of the recursive RFC 9162 definitions, as an oracle for the iterative code.
def ref_split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    if not d:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return d[0]
    k = ref_split(len(d))
    return hashlib.sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:])).digest()


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = ref_split(len(d))
    if m < k:
        return [*ref_path(m, d[:k]), ref_mth(d[k:])]
    return [*ref_path(m - k, d[k:]), ref_mth(d[:k])]


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [ref_mth(d)]
    k = ref_split(len(d))
    if m <= k:
        return [*ref_subproof(m, d[:k], b), ref_mth(d[k:])]
    return [*ref_subproof(m - k, d[k:], False), ref_mth(d[:k])]


# --- hashing and known vectors -------------------------------------------------------------------------------------


def test_hash_prefixes_and_empty_root():
    assert hashlib.sha256(b"").hexdigest() == EMPTY_ROOT.hex() == CT_ROOTS[0]
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    a, b = leaf_hash(b"a"), leaf_hash(b"b")
    assert node_hash(a, b) == hashlib.sha256(b"\x01" + a + b).digest()
    assert node_hash(a, b) != node_hash(b, a)


def test_roots_match_the_ct_reference_vectors():
    for size in range(len(CT_LEAVES) + 1):
        assert root(CT_HASHES[:size]).hex() == CT_ROOTS[size], size


def test_inclusion_proofs_match_the_ct_reference_vectors():
    for index, size, path in CT_INCLUSION:
        proof = inclusion_proof(CT_HASHES[:size], index)
        assert [p.hex() for p in proof] == path, (index, size)
        assert verify_inclusion(CT_HASHES[index], index, size, proof, bytes.fromhex(CT_ROOTS[size]))


def test_consistency_proofs_match_the_ct_reference_vectors():
    for old, new, path in CT_CONSISTENCY:
        proof = consistency_proof(CT_HASHES[:new], old)
        assert [p.hex() for p in proof] == path, (old, new)
        old_root, new_root = bytes.fromhex(CT_ROOTS[old]), bytes.fromhex(CT_ROOTS[new])
        assert verify_consistency(old, new, old_root, new_root, proof)


def test_root_and_proofs_agree_with_the_recursive_definition():
    leaves = make_leaves(40)
    for n in range(41):
        d = leaves[:n]
        assert root(d) == ref_mth(d), n
        for m in range(n):
            assert inclusion_proof(d, m) == ref_path(m, d), (m, n)
        for m in range(1, n):
            assert consistency_proof(d, m) == ref_subproof(m, d, True), (m, n)


def test_every_small_tree_proof_verifies_only_where_it_should():
    leaves = make_leaves(42)
    roots = [root(leaves[:n]) for n in range(43)]
    for n in range(1, 21):
        for i in range(n):
            proof = inclusion_proof(leaves[:n], i)
            for j in range(-1, n + 1):
                assert verify_inclusion(leaves[i], j, n, proof, roots[n]) is (i == j), (i, j, n)
            # A path claimed for a tree size whose path has another length never verifies (RFC 9162's `sn == 0`).
            # (Sizes with the same path shape can: the size is bound to the root by the signed tree head, not here.)
            for size in range(i + 1, 2 * n + 2):
                if len(inclusion_proof(leaves[:size], i)) != len(proof):
                    assert not verify_inclusion(leaves[i], i, size, proof, roots[n]), (i, size, n)
        for m in range(n + 1):
            proof = consistency_proof(leaves[:n], m)
            assert verify_consistency(m, n, roots[m], roots[n], proof), (m, n)
            for other in range(1, n):
                if other != m:
                    assert not verify_consistency(other, n, roots[other], roots[n], proof), (m, other, n)
            for size in range(max(m, 1), 2 * n + 2):
                if len(consistency_proof(leaves[:size], m)) != len(proof):
                    assert not verify_consistency(m, size, roots[m], roots[n], proof), (m, size, n)


def test_root_rejects_leaves_that_are_not_32_byte_hashes():
    with pytest.raises(ValueError):
        root([b"short"])
    with pytest.raises(ValueError):
        root([leaf_hash(b"x"), b"\x00" * 33])


def test_proof_generation_rejects_bad_indices_and_sizes():
    leaves = make_leaves(5)
    for index in (-1, 5, 99):
        with pytest.raises(ValueError):
            inclusion_proof(leaves, index)
    with pytest.raises(ValueError):
        inclusion_proof([], 0)
    for old in (-1, 6):
        with pytest.raises(ValueError):
            consistency_proof(leaves, old)
    assert consistency_proof(leaves, 0) == []
    assert consistency_proof(leaves, 5) == []
    assert consistency_proof([], 0) == []


def test_degenerate_consistency_cases():
    leaves = make_leaves(4)
    r4, r3 = root(leaves), root(leaves[:3])
    assert verify_consistency(4, 4, r4, r4, [])
    assert not verify_consistency(4, 4, r4, r3, [])
    assert not verify_consistency(4, 4, r4, r4, [r4])
    assert verify_consistency(0, 4, EMPTY_ROOT, r4, [])
    assert not verify_consistency(0, 4, r3, r4, [])
    assert not verify_consistency(0, 4, EMPTY_ROOT, r4, [r4])
    assert verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    assert not verify_consistency(0, 0, EMPTY_ROOT, r4, [])
    assert not verify_consistency(4, 3, r4, r3, consistency_proof(leaves, 3))
    assert not verify_consistency(3, 4, r3, r4, [])
    assert not verify_consistency(-1, 4, r3, r4, [])


def test_verifiers_return_false_on_malformed_input():
    leaves = make_leaves(8)
    r8, r6 = root(leaves), root(leaves[:6])
    proof = inclusion_proof(leaves, 5)
    cproof = consistency_proof(leaves, 6)
    junk: Any = None
    assert not verify_inclusion(leaves[5], 5, 8, junk, r8)
    text: Any = "x" * 32
    assert not verify_inclusion(leaves[5], 5, 8, [*proof[:-1], text], r8)
    assert not verify_inclusion(leaves[5], 5, 8, [proof[0][:31], *proof[1:]], r8)
    assert not verify_inclusion(leaves[5][:31], 5, 8, proof, r8)
    assert not verify_inclusion(leaves[5], 5, 8, proof, r8[:31])
    assert not verify_inclusion(junk, 5, 8, proof, r8)
    assert not verify_inclusion(leaves[5], junk, 8, proof, r8)
    assert not verify_inclusion(leaves[5], 5, junk, proof, r8)
    assert not verify_inclusion(leaves[5], 5, 0, proof, r8)
    assert not verify_consistency(6, 8, r6, r8, junk)
    assert not verify_consistency(6, 8, r6[:31], r8, cproof)
    assert not verify_consistency(6, 8, r6, r8[:31], cproof)
    assert not verify_consistency(6, 8, r6, r8, [cproof[0][:31], *cproof[1:]])
    number: Any = 7
    assert not verify_consistency(6, 8, r6, r8, [*cproof[:-1], number])
    assert not verify_consistency(junk, 8, r6, r8, cproof)
    assert not verify_consistency(6, junk, r6, r8, cproof)
    assert not verify_consistency(6, 8, r6, r8, [])


# --- CompactRange --------------------------------------------------------------------------------------------------


def test_compact_range_root_matches_root_for_every_size_and_round_trips():
    leaves = make_leaves(70)
    cr = CompactRange()
    assert cr.root() == EMPTY_ROOT
    for n in range(71):
        if n:
            cr.append(leaves[n - 1])
        assert cr.size == n
        assert len(cr.hashes) == n.bit_count()
        assert cr.root() == root(leaves[:n]), n
        data = cr.to_json()
        assert data == {"size": n, "hashes": [h.hex() for h in cr.hashes]}
        back = CompactRange.from_json(data)
        assert back == cr
        assert back.root() == cr.root()
        # Resuming from the stored frontier gives the same tree as never having stopped.
        back.extend(leaves[n:])
        assert back.root() == root(leaves), n


def test_compact_range_frontier_is_the_perfect_subtree_roots_largest_first():
    leaves = make_leaves(13)  # 13 = 8 + 4 + 1
    cr = CompactRange()
    cr.extend(leaves)
    assert cr.hashes == [root(leaves[:8]), root(leaves[8:12]), leaves[12]]


def test_compact_range_copy_is_independent():
    leaves = make_leaves(5)
    cr = CompactRange()
    cr.extend(leaves[:3])
    clone = cr.copy()
    clone.append(leaves[3])
    assert cr.size == 3
    assert cr.root() == root(leaves[:3])
    assert clone.root() == root(leaves[:4])
    assert CompactRange(3, cr.hashes) == cr


def test_compact_range_constructor_validates():
    h = leaf_hash(b"x")
    assert CompactRange(5, [h, h]).size == 5
    for size, hashes in [(1, []), (3, [h]), (0, [h]), (-1, []), (2, [h[:31]])]:
        with pytest.raises(ValueError):
            CompactRange(size, hashes)
    junk: Any = True
    with pytest.raises(ValueError):
        CompactRange(junk, [h])
    with pytest.raises(ValueError):
        CompactRange().append(b"short")


GOOD_HEX = leaf_hash(b"x").hex()


@pytest.mark.parametrize(
    "data",
    [
        {"size": 3, "hashes": [GOOD_HEX]},
        {"size": 1, "hashes": []},
        {"size": 0, "hashes": [GOOD_HEX]},
        {"size": 1, "hashes": ["zz" * 32]},
        {"size": 1, "hashes": [GOOD_HEX[:-2] + " 0"]},
        {"size": 1, "hashes": [GOOD_HEX[:-2]]},
        {"size": 1, "hashes": [GOOD_HEX + "00"]},
        {"size": 1, "hashes": [123]},
        {"size": 1, "hashes": GOOD_HEX},
        {"size": "1", "hashes": [GOOD_HEX]},
        {"size": True, "hashes": [GOOD_HEX]},
        {"size": -1, "hashes": []},
        {"hashes": [GOOD_HEX]},
        {"size": 1},
        {},
    ],
)
def test_from_json_rejects_malformed_input(data: dict[str, object]):
    with pytest.raises(ValueError):
        CompactRange.from_json(data)


def test_from_json_rejects_non_mappings():
    junk: Any = [1, [GOOD_HEX]]
    with pytest.raises(ValueError):
        CompactRange.from_json(junk)


@PROPERTY
@given(size=st.integers(0, 2**40), count=st.integers(0, 45))
def test_from_json_rejects_wrong_hash_counts(size: int, count: int):
    data = {"size": size, "hashes": [GOOD_HEX] * count}
    if count == size.bit_count():
        assert CompactRange.from_json(data).size == size
    else:
        with pytest.raises(ValueError):
            CompactRange.from_json(data)


@PROPERTY
@given(position=st.integers(0, 63), char=st.characters().filter(lambda c: c not in "0123456789abcdefABCDEF"))
def test_from_json_rejects_non_hex(position: int, char: str):
    bad = GOOD_HEX[:position] + char + GOOD_HEX[position + 1 :]
    with pytest.raises(ValueError):
        CompactRange.from_json({"size": 1, "hashes": [bad]})


# --- proof properties ----------------------------------------------------------------------------------------------


@PROPERTY
@given(n=st.integers(1, 200), salt=st.binary(max_size=8), data=st.data())
def test_inclusion_proofs_verify_and_reject_tampering(n: int, salt: bytes, data: st.DataObject):
    leaves = make_leaves(n, salt)
    tree_root = root(leaves)
    index = data.draw(st.integers(0, n - 1), label="index")
    proof = inclusion_proof(leaves, index)
    assert verify_inclusion(leaves[index], index, n, proof, tree_root)

    other = data.draw(st.integers(0, n - 1).filter(lambda j: j != index), label="other") if n > 1 else None
    if other is not None:
        assert not verify_inclusion(leaves[other], index, n, proof, tree_root)  # wrong leaf
        assert not verify_inclusion(leaves[index], other, n, proof, tree_root)  # wrong index
    assert not verify_inclusion(leaf_hash(b"not in the tree"), index, n, proof, tree_root)
    assert not verify_inclusion(leaves[index], n, n, proof, tree_root)
    assert not verify_inclusion(leaves[index], -1, n, proof, tree_root)

    byte, mask = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(1, 255), label="mask")
    assert not verify_inclusion(leaves[index], index, n, proof, flip(tree_root, byte, mask))  # wrong root
    assert not verify_inclusion(leaves[index], index, n, [*proof, tree_root], tree_root)  # extended
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1), label="element")
        tampered = [*proof[:k], flip(proof[k], byte, mask), *proof[k + 1 :]]
        assert not verify_inclusion(leaves[index], index, n, tampered, tree_root)
        assert not verify_inclusion(leaves[index], index, n, proof[:-1], tree_root)  # truncated
        assert not verify_inclusion(leaves[index], index, n, proof[1:], tree_root)


@PROPERTY
@given(n=st.integers(1, 200), salt=st.binary(max_size=8), data=st.data())
def test_consistency_proofs_verify_and_reject_tampering(n: int, salt: bytes, data: st.DataObject):
    leaves = make_leaves(n, salt)
    old = data.draw(st.integers(0, n), label="old")
    old_root, new_root = root(leaves[:old]), root(leaves)
    proof = consistency_proof(leaves, old)
    assert verify_consistency(old, n, old_root, new_root, proof)

    byte, mask = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(1, 255), label="mask")
    assert not verify_consistency(old, n, flip(old_root, byte, mask), new_root, proof)
    if old > 0:  # every tree is consistent with the empty one, whatever its root
        assert not verify_consistency(old, n, old_root, flip(new_root, byte, mask), proof)
    assert not verify_consistency(old, n, old_root, new_root, [*proof, new_root])  # extended
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1), label="element")
        tampered = [*proof[:k], flip(proof[k], byte, mask), *proof[k + 1 :]]
        assert not verify_consistency(old, n, old_root, new_root, tampered)
        assert not verify_consistency(old, n, old_root, new_root, proof[:-1])  # truncated
        assert not verify_consistency(old, n, old_root, new_root, proof[1:])
    # The new tree's CompactRange, resumed from the old one's, agrees with both roots.
    cr = CompactRange()
    cr.extend(leaves[:old])
    assert cr.root() == old_root
    cr.extend(leaves[old:])
    assert cr.root() == new_root


@PROPERTY
@given(
    a=st.integers(-(2**70), 2**70),
    b=st.integers(-(2**70), 2**70),
    h1=st.binary(max_size=40),
    h2=st.binary(max_size=40),
    proof=st.lists(st.one_of(st.binary(min_size=30, max_size=34), st.none(), st.text(max_size=32)), max_size=80),
)
def test_verifiers_never_raise(a: int, b: int, h1: bytes, h2: bytes, proof: list[Any]):
    assert verify_inclusion(h1, a, b, proof, h2) in (True, False)
    assert verify_consistency(a, b, h1, h2, proof) in (True, False)
    r = leaf_hash(h1)
    assert verify_inclusion(r, a, b, proof, r) in (True, False)
    assert verify_consistency(a, b, r, r, proof) in (True, False)
