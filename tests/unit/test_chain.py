"""The chain's arithmetic against its definitions: RFC 6962 Merkle roots and audit paths."""

from __future__ import annotations

import hashlib

import pytest

from ledger.application.verification import MerkleAccumulator
from ledger.domain.chain import (
    GENESIS,
    StoredRecord,
    inclusion_path,
    leaf_hash,
    merkle_root,
    node_hash,
    root_from_path,
    seal,
)


def rfc6962_root(leaves: list[bytes]) -> bytes:
    """MTH as RFC 6962 section 2.1 writes it: split at the largest power of two below n."""
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return node_hash(rfc6962_root(leaves[:k]), rfc6962_root(leaves[k:]))


def leaves(n: int) -> list[bytes]:
    return [leaf_hash(i + 1, hashlib.sha256(str(i).encode()).hexdigest()) for i in range(n)]


@pytest.mark.parametrize("n", range(1, 40))
def test_roots_match_the_rfc_definition_bottom_up_and_incrementally(n: int) -> None:
    tree = leaves(n)
    accumulator = MerkleAccumulator()
    for leaf in tree:
        accumulator.add(leaf)
    assert merkle_root(tree) == rfc6962_root(tree)
    assert accumulator.root() == rfc6962_root(tree).hex()


@pytest.mark.parametrize("n", [1, 2, 3, 5, 7, 8, 9, 16, 17, 31])
def test_every_audit_path_leads_to_the_root_and_only_there(n: int) -> None:
    tree = leaves(n)
    root = merkle_root(tree)
    for index, leaf in enumerate(tree):
        path = inclusion_path(tree, index)
        assert root_from_path(leaf, index, n, path) == root
        # The same path for another leaf or another index does not.
        other = tree[(index + 1) % n]
        if n > 1:
            assert root_from_path(other, index, n, path) != root
            assert root_from_path(leaf, (index + 1) % n, n, path) != root
        assert root_from_path(leaf, index, n, [*path, root]) != root  # a path too long


def test_the_chain_binds_position_previous_and_content() -> None:
    record = StoredRecord(1, "ab" * 16, 1, "ledger.domain.events:Established", b'{"a":1}')
    first = seal(record, GENESIS)
    assert first.payload_hash == hashlib.sha256(b'{"a":1}').hexdigest()
    assert seal(record, first.hash).hash != first.hash
    moved = StoredRecord(2, record.originator_id, 1, record.topic, record.state)
    assert seal(moved, GENESIS).hash != first.hash
    assert seal(moved, GENESIS).content_hash == first.content_hash
    # A redacted payload that keeps its sealed payload hash keeps the whole chain entry.
    redacted = StoredRecord(1, record.originator_id, 1, record.topic, b'{"a":"[redacted]"}')
    assert seal(redacted, GENESIS, payload=first.payload_hash) == first
