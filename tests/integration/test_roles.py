"""Roles on a shared PostgreSQL ledger, each line of docs/roles.md: a reader queries and verifies and
nothing else; an auditor also sees which database user appended what; a recorder appends only
through the ledger's functions and holds no INSERT, UPDATE or DELETE on any of its tables; the owner
rebuilds, grants and restores the guards. (PostgreSQL only: on SQLite, file permissions do this job.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from ledger.adapters.store import normalise_url
from tests.conftest import SOURCE, Cli, one_line_error
from tests.support.stores import ENGINE

pytestmark = pytest.mark.postgres(
    reason="roles are PostgreSQL login roles: the server refuses a reader's writes and a recorder's rewrites"
)

postgresql_only = pytest.mark.skipif(
    ENGINE == "sqlite", reason="roles are a PostgreSQL feature; runs in the PostgreSQL pass"
)


def as_user(url: str, user: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}://{user}@{rest.split('@', 1)[1]}"


@pytest.fixture
def roles(cli: Cli) -> Iterator[dict[str, str]]:
    suffix = uuid.uuid4().hex[:8]
    names = {
        "reader": f"reader_{suffix}",
        "auditor": f"auditor_{suffix}",
        "recorder": f"recorder_{suffix}",
    }
    cli.ok(
        "record",
        "established",
        "NEW Devon CCG",
        "--kind",
        "ccg",
        "-e",
        "2013-04-01",
        "--id",
        "est",
        *SOURCE,
    )
    for role, name in names.items():
        assert f"granted {role} to {name}" in cli.ok("grant", role, name)
    yield names
    engine = sa.create_engine(normalise_url(cli.url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        for name in names.values():
            conn.execute(sa.text(f'DROP OWNED BY "{name}"'))
            conn.execute(sa.text(f'DROP ROLE "{name}"'))
    engine.dispose()


@postgresql_only
def test_a_reader_queries_but_cannot_record(
    cli: Cli, roles: dict[str, str], store_fingerprint, tmp_path
) -> None:
    reader = Cli(as_user(cli.url, roles["reader"]), cli.cwd)
    # Every query works.
    assert "NEW Devon CCG" in reader.ok("structure", "--on", "2014-01-01")
    assert "est" in reader.ok("log")
    reader.ok("history", "NEW Devon CCG")
    # An auditor with a reader's rights verifies the whole ledger.
    assert reader.ok("verify").startswith("verified 1 events")
    assert reader.ok("export").startswith('{"format": "ledger-export/1"')
    before = store_fingerprint()
    # Recording, importing and retracting fail with a permission error, and write nothing.
    line = one_line_error(
        reader("record", "renamed", "NEW Devon CCG", "--name", "X", "-e", "2014", *SOURCE)
    )
    assert "permission denied" in line
    changes = tmp_path / "c.yaml"
    changes.write_text(
        "changes:\n- {change: closed, organisation: NEW Devon CCG, effective: '2019-04-01', recorder: r, reason: r, sources: [{source: s, locator: l}]}\n"
    )
    assert "permission denied" in one_line_error(reader("import", str(changes)))
    assert "permission denied" in one_line_error(reader("retract", "est", "--reason", "test"))
    assert store_fingerprint() == before


@postgresql_only
def test_a_recorder_appends_but_cannot_rewrite(cli: Cli, roles: dict[str, str]) -> None:
    recorder_url = as_user(cli.url, roles["recorder"])
    recorder = Cli(recorder_url, cli.cwd)
    assert "recorded" in recorder.ok(
        "record",
        "renamed",
        "NEW Devon CCG",
        "--name",
        "NEW Devon CCG (renamed)",
        "-e",
        "2014",
        *SOURCE,
    )
    engine = sa.create_engine(normalise_url(recorder_url))
    try:
        for statement in (
            "UPDATE ledger_events SET topic = 'x'",
            "DELETE FROM ledger_events",
            "UPDATE ledger_chain SET hash = 'x'",
            "DELETE FROM ledger_chain",
        ):
            with pytest.raises(sa.exc.DatabaseError), engine.begin() as conn:
                conn.execute(sa.text(statement))
    finally:
        engine.dispose()
    assert "NEW Devon CCG (renamed)" in cli.ok("structure", "--on", "2015-01-01")
    assert cli.ok("verify").startswith("verified 2 events")


def test_roles_need_postgresql_and_a_plain_name(cli: Cli) -> None:
    line = one_line_error(cli("grant", "reader", "Robert'); DROP TABLE x;--"))
    assert (
        "not a plain role name" if ENGINE != "sqlite" else "roles need a PostgreSQL ledger"
    ) in line


# Each of the ledger's tables, with a column of it to write.
LEDGER_TABLES = {
    "ledger_events": "topic", "ledger_chain": "hash", "ledger_checkpoints": "text",
    "ledger_appends": "appended_by", "ledger_changes": "label", "ledger_facts": "value",
    "ledger_parties": "party", "ledger_entities": "name", "ledger_names": "name",
    "ledger_periods": "value", "ledger_tracking": "position",
}  # fmt: skip


def denied(engine: sa.Engine, statement: str, **values: object) -> str:
    """Run a statement as the engine's user; it must be refused. Returns the server's message."""
    with pytest.raises(sa.exc.DatabaseError) as refused, engine.begin() as conn:
        conn.execute(sa.text(statement), values)
    return str(refused.value.orig)


@pytest.fixture
def as_role(cli: Cli, roles: dict[str, str]) -> Iterator[dict[str, sa.Engine]]:
    engines = {
        role: sa.create_engine(normalise_url(as_user(cli.url, name)))
        for role, name in roles.items()
    }
    yield engines
    for engine in engines.values():
        engine.dispose()


@postgresql_only
def test_no_role_may_write_a_ledger_table_directly(as_role: dict[str, sa.Engine]) -> None:
    for role, engine in as_role.items():
        for table, column in LEDGER_TABLES.items():
            for statement in (
                f"INSERT INTO {table} DEFAULT VALUES",
                f"UPDATE {table} SET {column} = {column}",
                f"DELETE FROM {table}",
            ):
                message = denied(engine, statement)
                assert "permission denied" in message, (role, statement, message)


@postgresql_only
def test_a_recorder_appends_through_the_ledger_and_is_named_for_it(
    cli: Cli, roles: dict[str, str], as_role: dict[str, sa.Engine], tmp_path
) -> None:
    recorder = Cli(as_user(cli.url, roles["recorder"]), cli.cwd)
    recorder.ok("record", "renamed", "NEW Devon CCG", "--name", "Devon CCG", "-e", "2014", *SOURCE)
    changes = tmp_path / "c.yaml"
    changes.write_text(
        "changes:\n- {change: closed, organisation: Devon CCG, effective: '2019-04-01', "
        "recorder: r, reason: r, id: closing, sources: [{source: s, locator: l}]}\n"
    )
    recorder.ok("import", str(changes))
    recorder.ok("correct", "closing", "--effective", "2019-03-31", "--reason", "last day")
    assert recorder.ok("checkpoint").startswith("ledger checkpoint v1\nsize: 4\n")
    assert recorder.ok("verify").startswith("verified 4 events")
    # An auditor sees which database user appended each position; a reader does not.
    with as_role["auditor"].connect() as conn:
        appended = conn.execute(
            sa.text(
                "SELECT appended_by, first_position, last_position FROM ledger_appends ORDER BY id"
            )
        ).all()
    assert [row.appended_by for row in appended] == ["postgres", *[roles["recorder"]] * 3]
    assert "permission denied" in denied(as_role["reader"], "SELECT * FROM ledger_appends")
    # An auditor does all a reader does (questions, verify), and records nothing.
    auditor = Cli(as_user(cli.url, roles["auditor"]), cli.cwd)
    assert "Devon CCG" in auditor.ok("history", "Devon CCG")
    assert auditor.ok("verify").startswith("verified 4 events")
    assert "permission denied" in one_line_error(
        auditor("record", "renamed", "Devon CCG", "--name", "X", "-e", "2015", *SOURCE)
    )
    # A recorder may not rebuild the read model nor grant roles: the owner does.
    assert "permission denied" in one_line_error(recorder("rebuild"))
    assert recorder("grant", "reader", "someone_else").exit_code != 0


@postgresql_only
def test_a_recorder_cannot_use_the_functions_to_write_what_it_did_not_append(
    cli: Cli, as_role: dict[str, sa.Engine]
) -> None:
    engine = as_role["recorder"]
    row = (
        '[{"change_id": "00", "position": 1, "label": "x", "kind": "renamed", "effective": "2014",'
        ' "eff_start": "2014-01-01", "status": "happened", "recorded_at": "2014-01-01", '
        '"recorder": "x", "reason": "x", "sources": "[]", "details": "{}"}]'
    )
    for statement, values in (
        ("SELECT ledger_put_changes(CAST(:r AS jsonb))", {"r": row}),
        ("SELECT ledger_put_names(CAST(:r AS jsonb))", {"r": '[{"entity_id": "x", "name": "x", "folded": "x"}]'}),
        ("SELECT ledger_supersede(CAST(:r AS jsonb))", {"r": '[{"target": "x", "closed_at": 1}]'}),
        ("SELECT ledger_track('readmodel', 1000000)", {}),
        ("SELECT ledger_checkpoint(1, 1, 'x', 'garbage')", {}),
    ):  # fmt: skip
        assert "ledger" in denied(engine, statement, **values), statement
    # The checkpoint the function stores is of the chain as it stands, and nothing else.
    with engine.connect() as conn:
        head = conn.execute(sa.text("SELECT seq, position, hash FROM ledger_chain")).one()
    forged = (
        f"ledger checkpoint v1\nsize: {head.seq}\nposition: {head.position}\nchain: {'0' * 64}\n"
    )
    assert "checkpoint" in denied(
        engine, "SELECT ledger_checkpoint(:s, :p, :r, :t)", s=head.seq, p=head.position,
        r="0" * 64, t=forged + f"root: {'0' * 64}\n",
    )  # fmt: skip
    assert cli.ok("verify").startswith("verified 1 events")


@postgresql_only
def test_an_event_a_recorder_appends_by_hand_is_reported_by_every_verify(
    cli: Cli, roles: dict[str, str], as_role: dict[str, sa.Engine], tmp_path, store_fingerprint
) -> None:
    # The functions seal what they are given: a recorder who calls ledger_append by hand appends an
    # event the application never checked, under their own name. verify names it from then on.
    checkpoint = tmp_path / "cp.txt"
    cli.ok("checkpoint", "--out", str(checkpoint))
    engine = as_role["recorder"]
    with engine.begin() as conn:
        row = conn.execute(
            sa.text("SELECT originator_id, topic, state FROM ledger_events WHERE id = 1")
        ).one()
        position = conn.execute(
            sa.text(
                "SELECT ledger_append(ARRAY[CAST(:o AS uuid)], ARRAY[CAST(7 AS bigint)], "
                "ARRAY[CAST(:t AS text)], ARRAY[CAST(:s AS bytea)])"
            ),
            {
                "o": row.originator_id,
                "t": row.topic,
                "s": bytes(row.state).replace(b"test", b"fake"),
            },
        ).scalar_one()
    with as_role["auditor"].connect() as conn:
        by = conn.execute(
            sa.text("SELECT appended_by FROM ledger_appends WHERE first_position = :p"),
            {"p": position},
        ).scalar_one()
    assert by == roles["recorder"]
    expected = (
        f"ledger: error: verify failed at position {position}: the read model has not projected"
    )
    assert one_line_error(cli("verify", "--checkpoint", str(checkpoint))).startswith(expected)
    # The next honest append is refused (the read model cannot take an event it did not append),
    # and verify --checkpoint goes on failing at the same position.
    recorder = Cli(as_user(cli.url, roles["recorder"]), cli.cwd)
    before = store_fingerprint()
    result = recorder("record", "renamed", "NEW Devon CCG", "--name", "X", "-e", "2014", *SOURCE)
    assert result.exit_code == 7, result.stderr
    assert store_fingerprint() == before
    assert one_line_error(cli("verify", "--checkpoint", str(checkpoint))).startswith(expected)


@postgresql_only
def test_a_reader_cannot_call_the_ledgers_functions(as_role: dict[str, sa.Engine]) -> None:
    for role in ("reader", "auditor"):
        message = denied(
            as_role[role],
            "SELECT ledger_append(ARRAY[]::uuid[], ARRAY[]::bigint[], ARRAY[]::text[], "
            "ARRAY[]::bytea[])",
        )
        assert "permission denied for function ledger_append" in message


@postgresql_only
def test_the_owner_rebuilds_and_restores_the_guards(cli: Cli, roles: dict[str, str]) -> None:
    assert "rebuilt the read model from 1 changes" in cli.ok("rebuild")
    engine = sa.create_engine(normalise_url(cli.url))
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE ledger_checkpoints DISABLE TRIGGER USER"))
    engine.dispose()
    assert one_line_error(cli("init")).endswith(
        "the owner restores them with ledger init --restore-guards, then runs ledger verify"
    )
    cli.ok("init", "--restore-guards")
    cli.ok("verify")
