"""A database with nothing in it becomes a ledger on first use, whatever the first command is: a
question or a change. The other tests start from copies of an empty ledger prepared once
(tests/support/stores.py); here the store is made the way a user's is."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.adapters.store import normalise_url
from tests.conftest import SOURCE, Cli, fingerprint, one_line_error
from tests.support.stores import empty_database, fresh_store

pytestmark = pytest.mark.postgres(
    reason="the tables, indexes and PL/pgSQL guards made on an empty PostgreSQL database"
)

TRIGGERS = {
    "sqlite": "SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'",
    "postgresql": "SELECT t.tgname, c.relname FROM pg_trigger t "
    "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal",
}


def schema_of(url: str) -> dict[str, Any]:
    """Every table's columns, keys and indexes, and every trigger, as the database reports them."""
    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            tables = {
                table: (
                    [
                        (c["name"], str(c["type"]), c["nullable"])
                        for c in inspector.get_columns(table)
                    ],
                    inspector.get_pk_constraint(table)["constrained_columns"],
                    sorted(
                        tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)
                    ),
                    sorted(
                        (str(i["name"]), tuple(map(str, i["column_names"])), i["unique"])
                        for i in inspector.get_indexes(table)
                    ),
                )
                for table in inspector.get_table_names()
            }
            triggers = sorted(
                tuple(row) for row in conn.execute(sa.text(TRIGGERS[conn.dialect.name]))
            )
    finally:
        engine.dispose()
    return {"tables": tables, "triggers": triggers}


@pytest.mark.parametrize(
    "question",
    [("structure", "--on", "2014-01-01"), ("log",), ("verify",), ("history", "NEW Devon CCG")],
    ids=["a question", "the log", "verify", "a history"],
)
def test_a_question_never_makes_a_ledger(question: tuple[str, ...], tmp_path: Path) -> None:
    # A mistyped --db, or a question asked outside the repository, is told there is no ledger
    # there and how to make one; it does not answer "0 organisations" from a store it made.
    with empty_database() as url:
        cli = Cli(url, tmp_path)
        line = one_line_error(result := cli(*question))
        assert result.exit_code == 6
        assert line.startswith("ledger: error: no ledger at ")
        assert line.endswith("create one with `ledger init`, or `ledger import FILE...`")
        if url.startswith("sqlite:///"):
            assert url.removeprefix("sqlite:///") in line
            assert not Path(url.removeprefix("sqlite:///")).exists()
        assert schema_of(url) == {"tables": {}, "triggers": []}


@pytest.mark.parametrize("first", [("init",)], ids=["init"])
def test_an_empty_database_becomes_a_ledger_on_first_use(
    first: tuple[str, ...], tmp_path: Path
) -> None:
    with empty_database() as url:
        assert schema_of(url) == {"tables": {}, "triggers": []}
        cli = Cli(url, tmp_path)
        cli.ok(*first)
        assert {"ledger_events", "ledger_changes", "ledger_chain"} <= set(schema_of(url)["tables"])
        cli.ok(
            "record", "established", "NEW Devon CCG", "--kind", "ccg", "-e", "2013-04-01", *SOURCE
        )
        assert "NEW Devon CCG" in cli.ok("structure", "--on", "2014-01-01")
        # The guards were made with the tables: the stored event cannot be deleted.
        before = fingerprint(url)
        engine = sa.create_engine(normalise_url(url))
        try:
            with pytest.raises(sa.exc.DatabaseError, match="append-only"), engine.begin() as conn:
                conn.execute(sa.text("DELETE FROM ledger_events"))
        finally:
            engine.dispose()
        assert fingerprint(url) == before
        assert cli.ok("verify").startswith("verified 1 events")


def test_a_first_change_makes_the_ledger_it_is_recorded_in(tmp_path: Path) -> None:
    with empty_database() as url:
        cli = Cli(url, tmp_path)
        cli.ok(
            "record", "established", "NEW Devon CCG", "--kind", "ccg", "-e", "2013-04-01", *SOURCE
        )
        assert "NEW Devon CCG" in cli.ok("structure", "--on", "2014-01-01")
        assert cli.ok("verify").startswith("verified 1 events")


def test_the_tests_fresh_stores_are_what_a_first_use_makes(tmp_path: Path) -> None:
    # The prepared ledger the tests copy is a shortcut: it must hold exactly what `ledger init`
    # makes of an empty database, and nothing recorded.
    with empty_database() as url:
        Cli(url, tmp_path).ok("init")
        made = schema_of(url)
    with fresh_store() as url:
        assert schema_of(url) == made
        assert fingerprint(url) == (0, "", 0)
