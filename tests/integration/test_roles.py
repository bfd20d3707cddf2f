"""Roles on a shared PostgreSQL ledger: a reader queries and nothing else; a recorder appends but can
never rewrite or delete a stored event. (PostgreSQL only: on SQLite, file permissions do this job.)"""

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
    names = {"reader": f"reader_{suffix}", "recorder": f"recorder_{suffix}"}
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
