"""Verification, the checking half of tamper evidence: walks stored events beside their chain entries,
recomputing every hash, and compares the result with checkpoints. It reads a database's rows or an
export's lines alike, and checks inclusion proofs, so an auditor can verify offline.

One module, not two: a database and an export are checked by the same walk (`ChainCheck`) into the
same `Report`, and a proof by the same reading of a stored event (`state_bytes`, `change_of`); each
way in is a few dozen lines beside what they share.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from ledger.application.errors import InvalidInput
from ledger.domain.chain import (
    GENESIS,
    StoredRecord,
    chain_hash,
    content_hash,
    leaf_hash,
    node_hash,
    payload_hash,
    root_from_path,
)
from ledger.domain.checkpoint import Checkpoint, CheckpointError

EXPORT_FORMAT = "ledger-export/1"
PROOF_FORMAT = "ledger-proof/1"


@dataclass(frozen=True)
class Finding:
    """Something that does not hold. `position` is the first log position it concerns, if known."""

    what: str
    position: int | None = None
    exact: bool = True  # False: the fault lies somewhere up to `position`, not exactly at it

    def line(self) -> str:
        if self.position is None:
            return self.what
        where = "position" if self.exact else "up to position"
        return f"{where} {self.position}: {self.what}"


@dataclass
class Report:
    events: int = 0
    first_position: int | None = None
    last_position: int | None = None
    findings: list[Finding] = field(default_factory=list)
    held: list[str] = field(default_factory=list)  # what was checked and holds, for the summary

    @property
    def ok(self) -> bool:
        return not self.findings

    def first(self) -> Finding | None:
        exact = [f for f in self.findings if f.position is not None and f.exact]
        ranged = [f for f in self.findings if f.position is not None and not f.exact]
        other = [f for f in self.findings if f.position is None]
        if exact:
            return min(exact, key=lambda f: f.position or 0)
        rest = ranged or other  # what has no position (a guard, a stored checkpoint) comes last
        return rest[0] if rest else None

    def summary(self) -> str:
        if self.ok:
            span = (
                f"positions {self.first_position}-{self.last_position}"
                if self.events
                else "an empty log"
            )
            return f"verified {self.events} events ({span}): " + "; ".join(self.held)
        first = self.first()
        assert first is not None
        more = len(self.findings) - 1
        where = " at " if first.position is not None else ": "
        return f"verify failed{where}{first.line()}" + (
            f" (and {more} more finding{'s' if more > 1 else ''})" if more else ""
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "first_position": self.first_position,
            "last_position": self.last_position,
            "holds": self.held,
            "findings": [
                {"position": f.position, "exact": f.exact, "what": f.what} for f in self.findings
            ],
            "summary": self.summary(),
        }


class MerkleAccumulator:
    """The RFC 6962 root of a growing list of leaves, in O(log n) memory (perfect subtrees)."""

    def __init__(self) -> None:
        self.count = 0
        self._stack: list[tuple[int, bytes]] = []

    def add(self, leaf: bytes) -> None:
        self.count += 1
        size, node = 1, leaf
        while self._stack and self._stack[-1][0] == size:
            left_size, left = self._stack.pop()
            size, node = left_size + size, node_hash(left, node)
        self._stack.append((size, node))

    def root(self) -> str:
        if not self._stack:
            return hashlib.sha256(b"").hexdigest()
        node = self._stack[-1][1]
        for _, left in reversed(self._stack[:-1]):
            node = node_hash(left, node)
        return node.hex()


@dataclass
class _Snapshot:
    position: int
    chain: str
    root: str


class ChainCheck:
    """Walks stored events and the chain's entries side by side, recomputing every hash.

    Stops judging the chain at its first fault (later faults follow from it) but keeps the Merkle
    roots going, so checkpoints below the fault can still be seen to hold.
    """

    def __init__(
        self, sizes: Iterable[int] = (), on_record: Callable[[StoredRecord], None] | None = None
    ) -> None:
        self.sizes = set(sizes)
        self.snapshots: dict[int, _Snapshot] = {}
        self.merkle = MerkleAccumulator()
        self.fault: Finding | None = None
        self.previous = GENESIS
        self.expected_seq = 1
        self.first_position: int | None = None
        self.last_position: int | None = None
        self.on_record = on_record

    def _fail(self, position: int, what: str) -> None:
        if self.fault is None:
            self.fault = Finding(what, position)

    def _leaf(self, record: StoredRecord, payload: str) -> str:
        content = content_hash(
            record.originator_id, record.originator_version, record.topic, payload
        )
        self.merkle.add(leaf_hash(record.position, content))
        if self.first_position is None:
            self.first_position = record.position
        self.last_position = record.position
        if self.on_record is not None:
            self.on_record(record)
        return content

    def _step(self, record: StoredRecord, content: str) -> None:
        self.previous = chain_hash(record.position, self.previous, content)
        if self.merkle.count in self.sizes:
            self.snapshots[self.merkle.count] = _Snapshot(
                record.position, self.previous, self.merkle.root()
            )

    def run(self, pairs: Iterator[tuple[StoredRecord | None, Any]]) -> None:
        for record, entry in pairs:
            if record is None:
                self._fail(
                    entry.position, "the stored event is missing (the chain sealed one here)"
                )
                self.expected_seq = entry.seq + 1
                continue
            payload = payload_hash(record.state)
            content = self._leaf(record, payload)
            if entry is None:
                self._fail(
                    record.position,
                    "the stored event is not sealed in the chain (written outside the ledger, "
                    "or its chain entry was removed)",
                )
            elif entry.seq != self.expected_seq:
                self._fail(
                    record.position,
                    f"chain entry {self.expected_seq} is missing (the next entry is {entry.seq})",
                )
            elif payload != entry.payload_hash:
                self._fail(record.position, "the stored payload differs from the one sealed")
            elif content != entry.content_hash:
                self._fail(
                    record.position,
                    "the stored event's aggregate, version or type differs from the one sealed",
                )
            elif chain_hash(record.position, self.previous, content) != entry.hash:
                self._fail(
                    record.position,
                    "the chain hash does not follow from the entry before it",
                )
            if entry is not None:
                self.expected_seq = entry.seq + 1
            self._step(record, content)

    def check_checkpoints(self, checkpoints: Sequence[Given], report: Report) -> None:
        """Compare each checkpoint with the log as recomputed; earlier ones narrow a fault down.

        A stored checkpoint is the ledger's own copy, which a writer of the database could forge:
        where one a checkpoint from outside (a file) attests disagrees with the log, the stored
        one is named as altered and the log is not blamed for it."""
        ordered = sorted(checkpoints, key=lambda g: g.checkpoint.size)
        problems: dict[int, str | None] = {}
        for index, given in enumerate(ordered):
            try:
                given.checkpoint.check_signature(given.key)
            except CheckpointError as exc:
                problems[index] = f"signature: {exc}"
                continue
            problems[index] = self._problem(given.checkpoint)
        attested = max(
            (g.checkpoint.size for i, g in enumerate(ordered) if not g.stored and not problems[i]),
            default=0,
        )
        holding: list[int] = []
        stored_holding = 0
        for index, given in enumerate(ordered):
            cp, name, problem = given.checkpoint, given.name, problems[index]
            since = max(holding, default=0)
            if problem is not None and problem.startswith("signature: "):
                report.findings.append(Finding(f"checkpoint {name}: {problem[11:]}"))
                continue
            if problem is None:
                holding.append(cp.position)
                if given.stored:
                    stored_holding += 1
                    continue
                signed = f", signed by {cp.signer}" if cp.signer else ""
                report.held.append(f"checkpoint {name} holds (size {cp.size}{signed})")
                continue
            if given.stored and cp.size <= attested:
                report.findings.append(
                    Finding(
                        f"checkpoint {name} (size {cp.size}) was altered or forged: {problem}, "
                        f"where a checkpoint kept outside the database still holds"
                    )
                )
                continue
            report.findings.append(
                Finding(
                    f"the log no longer matches checkpoint {name} (size {cp.size}): {problem}; "
                    f"the first altered event lies after position {since}",
                    cp.position,
                    exact=False,
                )
            )
        if stored_holding:
            many = stored_holding > 1
            report.held.append(
                f"{stored_holding} checkpoint{'s' if many else ''} stored in the ledger "
                f"hold{'' if many else 's'}"
            )
        if len(holding) > 1:
            report.held.append("each checkpoint's log extends the one before")

    def _problem(self, cp: Checkpoint) -> str | None:
        """Why the log as recomputed does not extend a checkpoint (None: it does)."""
        snap = self.snapshots.get(cp.size)
        if snap is None:
            return f"the log holds {self.merkle.count} events, fewer than its {cp.size}"
        if snap.position != cp.position:
            return f"its last event is at position {snap.position} now, not {cp.position}"
        if snap.root != cp.root:
            return "the Merkle root differs"
        if snap.chain != cp.chain:
            return "the chain hash differs"
        return None


@dataclass(frozen=True)
class Given:
    """A checkpoint to verify against: from a file (with the key that must have signed it) or
    one the ledger stored when it was taken (an attacker could rewrite those; files are the anchor)."""

    name: str
    checkpoint: Checkpoint
    key: str | None = None
    stored: bool = False


def pairs(
    records: Iterator[StoredRecord], entries: Iterator[Any]
) -> Iterator[tuple[StoredRecord | None, Any]]:
    """Merge stored events and chain entries by position: (event, entry), either may be None."""
    record = next(records, None)
    entry = next(entries, None)
    while record is not None or entry is not None:
        if entry is None or (record is not None and record.position < entry.position):
            yield record, None
            record = next(records, None)
        elif record is None or record.position > entry.position:
            yield None, entry
            entry = next(entries, None)
        else:
            yield record, entry
            record, entry = next(records, None), next(entries, None)


def conclude(check: ChainCheck, checkpoints: Sequence[Given], report: Report) -> None:
    report.events = check.merkle.count
    report.first_position = check.first_position
    report.last_position = check.last_position
    if check.fault is not None:
        report.findings.append(check.fault)
    else:
        report.held.append("the hash chain holds")
    check.check_checkpoints(checkpoints, report)


def change_of(record: StoredRecord) -> UUID | None:
    try:
        return UUID(str(json.loads(record.state)["change_id"]))
    except (ValueError, KeyError, TypeError):
        return None


def state_field(state: bytes) -> dict[str, str]:
    try:
        return {"state": state.decode("utf-8")}
    except UnicodeDecodeError:
        import base64

        return {"state_b64": base64.b64encode(state).decode()}


def state_bytes(row: dict[str, Any]) -> bytes:
    if "state" in row:
        return str(row["state"]).encode("utf-8")
    import base64

    return base64.b64decode(row["state_b64"])


# --- offline: an export, a proof -----------------------------------------------------------------


@dataclass(frozen=True)
class _Entry:
    seq: int
    position: int
    payload_hash: str
    content_hash: str
    hash: str


def verify_export(
    lines: Iterable[str],
    checkpoints: Sequence[tuple[str, Checkpoint]] = (),
    key: str | None = None,
    source: str = "export",
) -> Report:
    """Verify an export (ledger export --format jsonl) without the database."""
    report = Report()
    iterator = iter(lines)
    try:
        header = json.loads(next(iterator))
    except (StopIteration, ValueError):
        raise InvalidInput(f"{source}: not a ledger export (no header line)") from None
    if not isinstance(header, dict) or header.get("format") != EXPORT_FORMAT:
        raise InvalidInput(f"{source}: not a ledger export (expected format {EXPORT_FORMAT})")

    def rows() -> Iterator[tuple[StoredRecord | None, Any]]:
        for number, line in enumerate(iterator, start=2):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                record = (
                    StoredRecord(
                        int(row["position"]),
                        str(row["originator_id"]),
                        int(row["originator_version"]),
                        str(row["topic"]),
                        state_bytes(row),
                    )
                    if "topic" in row
                    else None
                )
                entry = (
                    _Entry(
                        int(row["seq"]),
                        int(row["position"]),
                        str(row["payload_hash"]),
                        str(row["content_hash"]),
                        str(row["hash"]),
                    )
                    if row.get("seq") is not None
                    else None
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise InvalidInput(
                    f"{source}: line {number} is not an exported event ({exc})"
                ) from None
            yield record, entry

    given = [Given(name, cp, key) for name, cp in checkpoints]
    check = ChainCheck(g.checkpoint.size for g in given)
    check.run(rows())
    conclude(check, given, report)
    return report


def verify_proof(proof: dict[str, Any], cp: Checkpoint, key: str | None = None) -> str:
    """Check an inclusion proof against a checkpoint; the one-line result, or CheckpointError."""
    if not isinstance(proof, dict) or proof.get("format") != PROOF_FORMAT:
        raise CheckpointError(f"not a ledger proof (expected format {PROOF_FORMAT})")
    cp.check_signature(key)
    change = proof.get("change") or {}
    events = proof.get("events") or []
    if not events:
        raise CheckpointError("the proof holds no events")
    positions = []
    for event in events:
        try:
            state = state_bytes(event)
            payload = payload_hash(state)
            if payload != event["payload_hash"]:
                raise CheckpointError(
                    f"position {event['position']}: the event's payload does not match its hash"
                )
            if change_of(StoredRecord(0, "", 0, "", state)) != UUID(str(change.get("id"))):
                raise CheckpointError(
                    f"position {event['position']}: the event belongs to another change"
                )
            leaf = leaf_hash(
                int(event["position"]),
                content_hash(
                    str(event["originator_id"]),
                    int(event["originator_version"]),
                    str(event["topic"]),
                    payload,
                ),
            )
            path = [bytes.fromhex(h) for h in event["path"]]
            root = root_from_path(leaf, int(event["index"]), cp.size, path)
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"the proof is malformed ({exc})") from None
        if root is None or root.hex() != cp.root:
            raise CheckpointError(
                f"position {event['position']}: the proof does not lead to the checkpoint's root "
                f"{cp.root[:16]}… (size {cp.size})"
            )
        positions.append(int(event["position"]))
    what = change.get("label") or str(change.get("id", ""))[:8]
    signed = f", signed by {cp.signer}" if cp.signer else ", unsigned"
    span = f"{positions[0]}" if len(positions) == 1 else f"{positions[0]}-{positions[-1]}"
    return (
        f"proof holds: change {what!r} ({change.get('kind')} {change.get('effective')}) is in the "
        f"log at position {span} of checkpoint size {cp.size} (root {cp.root[:16]}…{signed})"
    )
