"""Tamper evidence, the arithmetic: hashes of stored events, the hash chain, and an RFC 6962 Merkle tree.

Every stored event gets three hashes. The payload hash is over its stored bytes alone, kept apart so a
payload could one day be redacted (personal data) while the chain stays verifiable. The content hash
binds the payload hash to the event's aggregate, version and type. The chain hash binds the content
hash to the log position and to the previous chain hash, so no event can be changed, removed,
reordered or slipped in without every later chain hash changing. The Merkle tree over the same
(position, content hash) leaves gives short proofs that one event is in a checkpointed log.
All of it is plain SHA-256 over text an auditor can recompute in any language (docs/audit.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

GENESIS = "0" * 64  # the "previous hash" of the first event in the log


@dataclass(frozen=True)
class StoredRecord:
    """One stored event as the log holds it: what the hashes are computed over."""

    position: int
    originator_id: str  # 32 hex digits
    originator_version: int
    topic: str
    state: bytes


def payload_hash(state: bytes) -> str:
    return hashlib.sha256(state).hexdigest()


def content_hash(originator_id: str, originator_version: int, topic: str, payload: str) -> str:
    text = f"ledger-content/1\n{originator_id}\n{originator_version}\n{topic}\n{payload}"
    return hashlib.sha256(text.encode()).hexdigest()


def chain_hash(position: int, previous: str, content: str) -> str:
    return hashlib.sha256(f"ledger-chain/1\n{position}\n{previous}\n{content}".encode()).hexdigest()


def leaf_hash(position: int, content: str) -> bytes:
    """RFC 6962 leaf: SHA-256(0x00 || leaf data); the data is the position and the content hash."""
    return hashlib.sha256(b"\x00" + f"{position}\n{content}".encode()).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


@dataclass(frozen=True)
class Sealed:
    """The hashes of one stored event, as the chain records them."""

    position: int
    payload_hash: str
    content_hash: str
    previous: str
    hash: str


def seal(record: StoredRecord, previous: str, payload: str | None = None) -> Sealed:
    """The chain entry for a record that follows `previous`. `payload` overrides the payload hash
    (a redacted payload keeps the hash it was sealed with)."""
    p = payload or payload_hash(record.state)
    c = content_hash(record.originator_id, record.originator_version, record.topic, p)
    return Sealed(record.position, p, c, previous, chain_hash(record.position, previous, c))


# --- the Merkle tree (RFC 6962, section 2.1) --------------------------------------------------


def _split(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def merkle_root(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) over leaf hashes, computed bottom-up in O(n) hashes and O(n) memory."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    level = list(leaves)
    # Pairing left to right and promoting a lone last node unchanged gives RFC 6962's tree.
    while len(level) > 1:
        paired = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0]


def inclusion_path(leaves: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(m, D[n]): the sibling hashes from leaf `index` up to the root, leaf end first."""
    if not 0 <= index < len(leaves):
        raise IndexError(f"leaf {index} is not in a tree of {len(leaves)}")
    path: list[bytes] = []
    lo, hi, m = 0, len(leaves), index
    # Walk down from the root, noting each sibling subtree; reversed, that is the audit path.
    siblings: list[bytes] = []
    while hi - lo > 1:
        k = _split(hi - lo)
        if m < k:
            siblings.append(merkle_root(leaves[lo + k : hi]))
            hi = lo + k
        else:
            siblings.append(merkle_root(leaves[lo : lo + k]))
            lo, m = lo + k, m - k
    path.extend(reversed(siblings))
    return path


def root_from_path(leaf: bytes, index: int, size: int, path: Sequence[bytes]) -> bytes | None:
    """The root implied by a leaf at `index` of a tree of `size` and its audit path (RFC 9162
    section 2.1.3.2), or None when the path has the wrong length for that position."""
    if not 0 <= index < size:
        return None
    fn, sn, r = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(sibling, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, sibling)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None
