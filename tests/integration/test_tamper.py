"""Tamper evidence: whatever a database administrator rewrites behind the ledger's back, `ledger verify`
with a checkpoint taken before the tampering exits non-zero and names the first bad position.

Each test tampers with a real store (a SQLite file, or a PostgreSQL database of its own) as an
administrator could: the append-only triggers are dropped first, then rows are rewritten by SQL.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from uuid import UUID

import pytest
import sqlalchemy as sa

from ledger.adapters.store import normalise_url
from ledger.domain.chain import Sealed, StoredRecord, seal
from tests.conftest import SOURCE, Cli, one_line_error

pytestmark = pytest.mark.postgres(
    reason="the tamperer drops PostgreSQL's trigger; verify reads the raw rows through a server-side cursor"
)

BODIES = Path(__file__).resolve().parents[2] / "events" / "01-bodies.yaml"


@pytest.fixture
def admin(cli: Cli) -> Iterator[sa.Engine]:
    """A connection with the rights of the tables' owner, and without the append-only triggers."""
    engine = sa.create_engine(normalise_url(cli.url))
    yield engine
    engine.dispose()


def drop_guards(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("DROP TRIGGER ledger_events_no_update"))
        conn.execute(sa.text("DROP TRIGGER ledger_events_no_delete"))
    else:
        conn.execute(sa.text("DROP TRIGGER ledger_append_only_rows ON ledger_events"))


@pytest.fixture
def checkpointed(cli: Cli, tmp_path: Path) -> tuple[Path, int]:
    """The bundled bodies imported and a checkpoint of them taken: (checkpoint file, last position)."""
    cli.ok("import", str(BODIES))
    checkpoint = tmp_path / "checkpoint.txt"
    text = cli.ok("checkpoint", "--out", str(checkpoint))
    assert text == checkpoint.read_text()
    last = int(next(line for line in text.splitlines() if line.startswith("position:")).split()[1])
    assert last > 30  # the tests below tamper with positions up to 30
    return checkpoint, last


def state_at(conn: sa.Connection, position: int) -> bytes:
    return bytes(
        conn.execute(
            sa.text("SELECT state FROM ledger_events WHERE id = :p"), {"p": position}
        ).scalar_one()
    )


def set_state(conn: sa.Connection, position: int, state: bytes) -> None:
    conn.execute(
        sa.text("UPDATE ledger_events SET state = :s WHERE id = :p"), {"s": state, "p": position}
    )


def forge_chain_entry(conn: sa.Connection, seq: int, entry: Sealed) -> None:
    """What a forger who knows the algorithm (docs/audit.md) writes into the chain."""
    conn.execute(
        sa.text(
            "INSERT INTO ledger_chain (seq, position, payload_hash, content_hash, hash) "
            "VALUES (:seq, :p, :ph, :ch, :h)"
        ),
        {
            "seq": seq,
            "p": entry.position,
            "ph": entry.payload_hash,
            "ch": entry.content_hash,
            "h": entry.hash,
        },
    )


def verify_fails_at(cli: Cli, checkpoint: Path, position: int) -> str:
    line = one_line_error(cli("verify", "--checkpoint", str(checkpoint)))
    assert line.startswith(f"ledger: error: verify failed at position {position}:"), line
    return line


def test_an_untouched_ledger_verifies(cli: Cli, checkpointed: tuple[Path, int]) -> None:
    checkpoint, last = checkpointed
    out = cli.ok("verify", "--checkpoint", str(checkpoint))
    assert out.startswith(f"verified {last} events (positions 1-{last}): the hash chain holds;")
    assert "checkpoint" in out and "holds" in out and "the read model equals a rebuild" in out
    # Appending more keeps the old checkpoint valid: the later log extends it.
    cli.ok(
        "record",
        "renamed",
        "Plymouth City Council",
        "--name",
        "Plymouth Council",
        "-e",
        "2020",
        *SOURCE,
    )
    assert cli.ok("verify", "--checkpoint", str(checkpoint)).startswith(
        f"verified {last + 1} events"
    )


def test_one_changed_byte_of_a_payload_is_found(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    checkpoint, _ = checkpointed
    with admin.begin() as conn:
        drop_guards(conn)
        state = bytearray(state_at(conn, 17))
        at = state.index(b'"reason":"') + len(b'"reason":"')
        state[at] = ord("X") if state[at] != ord("X") else ord("Y")
        set_state(conn, 17, bytes(state))
    line = verify_fails_at(cli, checkpoint, 17)
    assert "payload differs from the one sealed" in line


def test_a_changed_effective_date_is_found(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    checkpoint, _ = checkpointed
    with admin.begin() as conn:
        drop_guards(conn)
        state = json.loads(state_at(conn, 9))
        assert state["effective"] != "1999-01-01"
        state["effective"] = "1999-01-01"
        set_state(conn, 9, json.dumps(state, separators=(",", ":"), sort_keys=True).encode())
    verify_fails_at(cli, checkpoint, 9)


def test_a_deleted_row_is_found(cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]) -> None:
    checkpoint, _ = checkpointed
    with admin.begin() as conn:
        drop_guards(conn)
        conn.execute(sa.text("DELETE FROM ledger_events WHERE id = 23"))
    line = verify_fails_at(cli, checkpoint, 23)
    assert "the stored event is missing" in line


def test_two_swapped_positions_are_found(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    checkpoint, _ = checkpointed
    with admin.begin() as conn:
        drop_guards(conn)
        conn.execute(sa.text("UPDATE ledger_events SET id = -1 WHERE id = 12"))
        conn.execute(sa.text("UPDATE ledger_events SET id = 12 WHERE id = 30"))
        conn.execute(sa.text("UPDATE ledger_events SET id = 30 WHERE id = -1"))
    verify_fails_at(cli, checkpoint, 12)


def test_a_forged_row_with_a_recomputed_chain_is_found(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    checkpoint, last = checkpointed
    with admin.begin() as conn:
        # The forger copies a real event, makes it say something else, and seals it properly.
        row = conn.execute(
            sa.text("SELECT originator_id, topic, state FROM ledger_events WHERE id = 5")
        ).one()
        state = json.loads(bytes(row.state))
        state["reason"] = "forged"
        forged = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
        originator = row.originator_id
        version = conn.execute(
            sa.text("SELECT max(originator_version) FROM ledger_events WHERE originator_id = :o"),
            {"o": originator},
        ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO ledger_events (id, originator_id, originator_version, topic, state) "
                "VALUES (:id, :o, :v, :t, :s)"
            ),
            {"id": last + 1, "o": originator, "v": version + 1, "t": row.topic, "s": forged},
        )
        head = conn.execute(
            sa.text("SELECT seq, hash FROM ledger_chain ORDER BY seq DESC LIMIT 1")
        ).one()
        uid = originator if isinstance(originator, UUID) else UUID(bytes=bytes(originator))
        entry = seal(StoredRecord(last + 1, uid.hex, version + 1, row.topic, forged), head.hash)
        forge_chain_entry(conn, head.seq + 1, entry)
    line = verify_fails_at(cli, checkpoint, last + 1)
    assert "the read model has not projected this event" in line


def test_a_rewrite_with_a_recomputed_chain_breaks_the_checkpoint(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    # A forger who rewrites an event and then the whole chain to match still cannot match
    # a checkpoint taken before: verify names the checkpoint's range.
    checkpoint, last = checkpointed
    with admin.begin() as conn:
        drop_guards(conn)
        conn.execute(
            sa.text(
                "DROP TRIGGER ledger_chain_no_delete"
                if conn.dialect.name == "sqlite"
                else "DROP TRIGGER ledger_append_only_rows ON ledger_chain"
            )
        )
        conn.execute(sa.text("DELETE FROM ledger_chain"))
        conn.execute(
            sa.text(
                f"UPDATE ledger_events SET originator_version = originator_version + 1000 WHERE id = {last}"
            )
        )
        rows = conn.execute(
            sa.text(
                "SELECT id, originator_id, originator_version, topic, state FROM ledger_events ORDER BY id"
            )
        ).all()
        previous = "0" * 64
        for seq, r in enumerate(rows, start=1):
            uid = (
                r.originator_id
                if isinstance(r.originator_id, UUID)
                else UUID(bytes=bytes(r.originator_id))
            )
            entry = seal(
                StoredRecord(r.id, uid.hex, r.originator_version, r.topic, bytes(r.state)), previous
            )
            forge_chain_entry(conn, seq, entry)
            previous = entry.hash
    line = one_line_error(cli("verify", "--checkpoint", str(checkpoint), "--skip-read-model"))
    assert f"up to position {last}: the log no longer matches checkpoint" in line
    assert "the Merkle root differs" in line


def test_replay_verify_stops_at_the_first_bad_event(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    with admin.begin() as conn:
        drop_guards(conn)
        set_state(conn, 7, state_at(conn, 7).replace(b'"reason":"', b'"reason":"!', 1))
    result = cli("replay", "--verify", "--format", "csv")
    assert result.exit_code == 8
    positions = [line.split(",", 1)[0] for line in result.stdout.splitlines()[1:]]
    assert positions == [str(p) for p in range(1, 7)]
    assert one_line_error(result) == (
        "ledger: error: replay stopped: the chain fails at position 7: "
        "the stored payload differs from the one sealed"
    )


def test_export_verifies_offline_and_a_tampered_export_does_not(
    cli: Cli, checkpointed: tuple[Path, int], tmp_path: Path
) -> None:
    checkpoint, last = checkpointed
    export = tmp_path / "ledger.jsonl"
    cli.ok("export", "--format", "jsonl", "--out", str(export))
    lines = export.read_text().splitlines()
    assert json.loads(lines[0])["format"] == "ledger-export/1"
    assert len(lines) == last + 1
    offline = Cli("sqlite:////nonexistent/never-opened.db", tmp_path)
    assert offline.ok(
        "verify", "--from-export", str(export), "--checkpoint", str(checkpoint)
    ).startswith(f"verified {last} events")
    row = json.loads(lines[20])
    row["state"] = row["state"].replace('"reason":"', '"reason":"edited ', 1)
    lines[20] = json.dumps(row)
    export.write_text("\n".join(lines) + "\n")
    line = one_line_error(
        offline("verify", "--from-export", str(export), "--checkpoint", str(checkpoint))
    )
    assert line.startswith(f"ledger: error: verify failed at position {row['position']}:")


def test_a_read_model_that_differs_from_a_rebuild_is_found(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    # The read model is a cache a recorder may write; verify rebuilds it and compares.
    checkpoint, _ = checkpointed
    with admin.begin() as conn:
        position = conn.execute(
            sa.text(
                "SELECT known_from FROM ledger_facts WHERE aspect = 'name' ORDER BY known_from LIMIT 1 OFFSET 4"
            )
        ).scalar_one()
        conn.execute(
            sa.text(
                "UPDATE ledger_facts SET value = 'Somewhere Else' WHERE known_from = :p AND aspect = 'name'"
            ),
            {"p": position},
        )
    line = verify_fails_at(cli, checkpoint, position)
    assert "the read model's ledger_facts differs from a rebuild" in line
    assert cli.ok("verify", "--checkpoint", str(checkpoint), "--skip-read-model").startswith(
        "verified "
    )
    # `ledger rebuild` mends it.
    cli.ok("rebuild")
    assert "the read model equals a rebuild" in cli.ok("verify", "--checkpoint", str(checkpoint))


def test_a_correction_undone_in_the_read_model_is_found(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    # A correction closes the corrected change's rows; reopening them in the read model makes the old
    # name current again, and verify names the correction's position.
    cli.ok(
        "correct",
        "new-devon-ccg-established",
        "--name",
        "NEW Devon CCG (corrected)",
        "--reason",
        "spelling",
        "--id",
        "name-fix",
    )
    checkpoint = Path(str(checkpointed[0]) + ".after")
    cli.ok("checkpoint", "--out", str(checkpoint))
    assert "the read model equals a rebuild" in cli.ok("verify", "--checkpoint", str(checkpoint))
    with admin.begin() as conn:
        at = conn.execute(
            sa.text("SELECT position FROM ledger_changes WHERE label = 'name-fix'")
        ).scalar_one()
        reopened = conn.execute(
            sa.text("UPDATE ledger_facts SET known_to = NULL WHERE known_to = :p"), {"p": at}
        )
        assert reopened.rowcount > 0
    line = verify_fails_at(cli, checkpoint, at)
    assert "the read model's ledger_facts differs from a rebuild" in line
    cli.ok("rebuild")
    assert "the read model equals a rebuild" in cli.ok("verify", "--checkpoint", str(checkpoint))


def test_a_period_that_differs_from_the_facts_is_found(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    # `structure` answers from the periods: a name changed there alone would be a false answer,
    # so verify holds the periods to the facts as it holds the facts to the log.
    checkpoint, _ = checkpointed
    before = cli.ok("structure", "--on", "2019-04-01", "--format", "json")
    with admin.begin() as conn:
        position = conn.execute(
            sa.text(
                "SELECT known_from FROM ledger_periods WHERE aspect = 'name' "
                "ORDER BY known_from LIMIT 1 OFFSET 4"
            )
        ).scalar_one()
        conn.execute(
            sa.text(
                "UPDATE ledger_periods SET value = 'Somewhere Else' "
                "WHERE known_from = :p AND aspect = 'name'"
            ),
            {"p": position},
        )
    assert "Somewhere Else" in cli.ok("structure", "--on", "2019-04-01", "--format", "json")
    line = verify_fails_at(cli, checkpoint, position)
    assert "the read model's ledger_periods differ from a rebuild" in line
    # `ledger rebuild` mends it.
    cli.ok("rebuild")
    assert cli.ok("structure", "--on", "2019-04-01", "--format", "json") == before
    assert "the read model equals a rebuild" in cli.ok("verify", "--checkpoint", str(checkpoint))


# --- the rest of the tamper campaign: rows written outside the ledger, a cut tail, the stored
# checkpoints, and the guards themselves -------------------------------------------------------


def forge_row(conn: sa.Connection, position: int, copy_of: int, reason: str) -> None:
    """What a forger with the right to insert writes: a real event's copy saying something else,
    under another aggregate version, at `position`."""
    row = conn.execute(
        sa.text(
            "SELECT originator_id, originator_version, topic, state FROM ledger_events "
            "WHERE id = :p"
        ),
        {"p": copy_of},
    ).one()
    state = json.loads(bytes(row.state))
    state["reason"] = reason
    state["recorder"] = "someone trusted"
    conn.execute(
        sa.text(
            "INSERT INTO ledger_events (id, originator_id, originator_version, topic, state) "
            "VALUES (:id, :o, :v, :t, :s)"
        ),
        {
            "id": position,
            "o": row.originator_id,
            "v": row.originator_version + 100,
            "t": row.topic,
            "s": json.dumps(state, separators=(",", ":"), sort_keys=True).encode(),
        },
    )


RENAME = ("record", "renamed", "Plymouth City Council", "--name", "Plymouth Council", "-e", "2020")


def test_a_forged_row_is_never_sealed_by_an_honest_append(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int], store_fingerprint
) -> None:
    checkpoint, last = checkpointed
    with admin.begin() as conn:
        forge_row(conn, last + 1, 5, "forged")
    line = verify_fails_at(cli, checkpoint, last + 1)
    assert "the stored event is not sealed in the chain" in line
    # The next honest append is refused, naming the forged row; nothing is appended or sealed.
    before = store_fingerprint()
    result = cli(*RENAME, *SOURCE)
    assert result.exit_code == 9
    assert one_line_error(result) == (
        f"ledger: error: refused: position {last + 1} holds an event the ledger did not seal "
        "(written outside it); nothing was appended (run ledger verify)"
    )
    assert store_fingerprint() == before
    assert cli("checkpoint").exit_code == 4  # nor is it sealed by a checkpoint
    # verify --checkpoint keeps failing at the forged row; the log never shows its recorder.
    verify_fails_at(cli, checkpoint, last + 1)
    assert "someone trusted" not in cli.ok("log")


def test_a_truncated_tail_is_found(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    # The last three events and their chain entries cut off: the chain still holds on its own, but
    # not against the checkpoint taken before, and the read model names the first missing event.
    checkpoint, last = checkpointed
    with admin.begin() as conn:
        drop_guards(conn)
        conn.execute(
            sa.text(
                "DROP TRIGGER ledger_chain_no_delete"
                if conn.dialect.name == "sqlite"
                else "DROP TRIGGER ledger_append_only_rows ON ledger_chain"
            )
        )
        conn.execute(sa.text("DELETE FROM ledger_events WHERE id > :p"), {"p": last - 3})
        conn.execute(sa.text("DELETE FROM ledger_chain WHERE position > :p"), {"p": last - 3})
    line = one_line_error(cli("verify", "--checkpoint", str(checkpoint), "--skip-read-model"))
    assert f"up to position {last}: the log no longer matches checkpoint" in line
    assert f"the log holds {last - 3} events, fewer than its {last}" in line
    report = json.loads(cli("verify", "--checkpoint", str(checkpoint), "--format", "json").stdout)
    assert not report["ok"]
    assert report["summary"] == (
        f"verify failed at position {last - 2}: the read model holds a change at a position the "
        f"log does not hold (and {len(report['findings']) - 1} more findings)"
    )


def stored_checkpoint_ids(conn: sa.Connection) -> list[int]:
    return [r[0] for r in conn.execute(sa.text("SELECT id FROM ledger_checkpoints ORDER BY id"))]


def drop_checkpoint_guards(conn: sa.Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.execute(sa.text("DROP TRIGGER ledger_checkpoints_no_update"))
    else:
        conn.execute(sa.text("DROP TRIGGER ledger_append_only_rows ON ledger_checkpoints"))


def test_an_edited_stored_checkpoint_is_named_and_the_log_not_blamed(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    checkpoint, last = checkpointed
    with admin.begin() as conn:
        drop_checkpoint_guards(conn)
        (stored,) = stored_checkpoint_ids(conn)
        root = next(line for line in checkpoint.read_text().splitlines() if line.startswith("root"))
        edited = root[:-1] + ("0" if root[-1] != "0" else "1")
        conn.execute(
            sa.text("UPDATE ledger_checkpoints SET text = replace(text, :root, :edited)"),
            {"root": root, "edited": edited},
        )
    report = json.loads(cli("verify", "--checkpoint", str(checkpoint), "--format", "json").stdout)
    assert [f["what"] for f in report["findings"] if "checkpoint #" in f["what"]] == [
        f"checkpoint #{stored} (stored) (size {last}) was altered or forged: the Merkle root "
        "differs, where a checkpoint kept outside the database still holds"
    ]
    assert f"checkpoint {checkpoint} holds (size {last})" in report["holds"]


def test_an_unreadable_stored_checkpoint_is_named_and_verify_goes_on(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    # Written by the owner past the ledger: a recorder cannot write the table at all (test_roles).
    checkpoint, _last = checkpointed
    with admin.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ledger_checkpoints (size, position, root, text) "
                "VALUES (1, 1, 'x', 'garbage')"
            )
        )
        drop_guards(conn)
        set_state(conn, 17, state_at(conn, 17).replace(b'"reason":"', b'"reason":"!', 1))
    result = cli("verify", "--checkpoint", str(checkpoint), "--format", "json")
    report = json.loads(result.stdout)
    whats = [f["what"] for f in report["findings"]]
    assert any(w.startswith("stored checkpoint #") and "unreadable" in w for w in whats), whats
    # Everything else is still checked: the edited payload is the first finding, at its position.
    assert report["summary"].startswith("verify failed at position 17:")
    assert result.exit_code == 8


def test_a_forged_stored_checkpoint_of_a_real_size_is_named(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int]
) -> None:
    checkpoint, last = checkpointed
    text = checkpoint.read_text().replace(f"size: {last}", "size: 10")
    with admin.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO ledger_checkpoints (size, position, root, text) "
                "VALUES (10, 10, 'x', :t)"
            ),
            {"t": text},
        )
    line = one_line_error(cli("verify", "--checkpoint", str(checkpoint)))
    assert "(stored) (size 10) was altered or forged" in line, line


@pytest.mark.parametrize("command", [("init",), RENAME, ("verify",)])
def test_a_disabled_or_dropped_guard_is_reported(
    cli: Cli, admin: sa.Engine, checkpointed: tuple[Path, int], store_fingerprint, command
) -> None:
    with admin.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.execute(sa.text("DROP TRIGGER ledger_events_no_update"))
            fault = "the append-only guard ledger_events_no_update on ledger_events is missing"
        else:
            conn.execute(sa.text("ALTER TABLE ledger_events DISABLE TRIGGER USER"))
            fault = "the append-only guard ledger_append_only_rows on ledger_events is disabled"
    before = store_fingerprint()
    args = [*command, *SOURCE] if command == RENAME else list(command)
    result = cli(*args)
    line = one_line_error(result)
    assert fault in line, line
    assert result.exit_code == {"init": 10, "verify": 8}.get(command[0], 10)
    assert store_fingerprint() == before
    # The owner puts them back; every command works again.
    assert fault in cli("init", "--restore-guards").stderr
    cli.ok("init")
    cli.ok(*RENAME, *SOURCE)
    cli.ok("verify")
