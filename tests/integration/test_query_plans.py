"""The questions a historian asks of one body or post answer from indexes, never from a scan of
every fact: each statement `show`, `lineage`, `holders` and `history` send (on both time axes)
is explained by the engine, and its plan must find ledger_facts rows through an index on the
subject, the other party or the change.

On SQLite (which plans without statistics, so as it will at national scale) the index must be one
of those three. On PostgreSQL sequential scans are switched off for the EXPLAIN, since a table of a
few hundred rows is cheaper to scan: the plan must then find its rows through some index.
`structure` and `diff` read every body in force, so they read in bulk by design and are not here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from ledger.adapters.tables import changes
from ledger.bootstrap import Ledger, open_ledger, open_reader
from ledger.views.axes import Axes
from ledger.views.questions import Queries
from tests.conftest import Cli

pytestmark = pytest.mark.postgres(
    reason="PostgreSQL's plans (EXPLAIN, sequential scans off) and its time-zone-aware known-at lookup"
)

EVENTS = Path(__file__).resolve().parents[2] / "events"
# A lookup on one of these is fine; anything else that touches ledger_facts is not.
FACT_INDEXES = ("ledger_facts_subject", "ledger_facts_other", "ledger_facts_change")


@contextmanager
def statements(engine: sa.Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every statement (and its parameters) sent while the block runs."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        seen.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def plan(engine: sa.Engine, statement: str, params: Any) -> list[str]:
    with engine.connect() as conn:
        cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, params)
            return [str(row[3]) for row in cursor.fetchall()]
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + statement, params)
        lines = [str(row[0]) for row in cursor.fetchall()]
        cursor.execute("RESET enable_seqscan")
        return lines


def fact_scans(engine: sa.Engine, statement: str, params: Any) -> list[str]:
    """The plan lines that read ledger_facts other than through a subject, other or change index."""
    if "ledger_facts" not in statement:
        return []
    bad = []
    lines = plan(engine, statement, params)
    for line in lines:
        if engine.dialect.name == "sqlite":
            # A row fetched by its own id (a fact found first through the subject index, as the
            # periods find a body's first mention) is a lookup too.
            by_id = "ledger_facts USING INTEGER PRIMARY KEY (rowid=?)" in line
            if (
                "ledger_facts" in line
                and not by_id
                and not any(f"INDEX {i} " in line for i in FACT_INDEXES)
            ):
                bad.append(line)
        elif re.search(r"Seq Scan on ledger_facts", line):
            # PostgreSQL weighs indexes by statistics, which a table this small cannot give
            # (every index costs the same); that some index serves is what can be checked here.
            bad.append(line)
    return bad


def test_questions_about_one_body_or_post_use_indexes(cli: Cli) -> None:
    # Import the bundled Devon and Cornwall ledger as a user would.
    assert "total: appended" in cli.ok("import", str(EVENTS))
    reader = open_reader(cli.url)
    try:
        queries: Queries = reader.queries
        with queries.connect() as conn:
            middle = int(conn.execute(sa.select(sa.func.max(changes.c.position))).scalar()) // 2
        questions: dict[str, Callable[[Axes], Any]] = {
            "show": lambda axes: queries.show("NHS Devon CCG", axes),
            "lineage": lambda axes: queries.lineage("NHS Devon CCG", axes),
            "holders": lambda axes: queries.holders("Chief Executive, Devon STP", axes),
            "holders --all": lambda axes: queries.holders(
                "Chief Executive, Devon STP", axes, all_time=True
            ),
            "history": lambda axes: queries.history("NEW Devon CCG", axes),
        }
        problems = []
        for name, ask in questions.items():
            for axes in (Axes(on=date(2019, 4, 1)), Axes(on=date(2019, 4, 1), known_at=middle)):
                with statements(reader.engine) as sent:
                    ask(axes)
                assert any("ledger_facts" in s for s, _ in sent), f"{name} read no facts"
                for statement, params in sent:
                    for line in fact_scans(reader.engine, statement, params):
                        problems.append(f"{name} (known_at={axes.known_at}): {line}\n  {statement}")
        assert not problems, "\n".join(problems)
    finally:
        reader.close()


def test_known_at_a_timestamp_is_looked_up_through_an_index(cli: Cli) -> None:
    assert "total: appended" in cli.ok("import", str(EVENTS))
    reader = open_reader(cli.url)
    try:
        with reader.queries.connect() as conn:
            last = conn.execute(sa.select(sa.func.max(changes.c.position))).scalar()
        with statements(reader.engine) as sent:
            # Everything recorded by the year 2999 is everything recorded.
            position = reader.queries.known_at("2999-01-01T00:00")
        assert position == last
        assert reader.queries.known_at("1999-01-01T00:00") == 0
        stamp = [(s, p) for s, p in sent if "recorded_at" in s]
        assert stamp, "the timestamp was not looked up in SQL"
        for statement, params in stamp:
            lines = " ".join(plan(reader.engine, statement, params))
            # Either index (recorded_at, or position walked from the end) reads no table scan.
            assert "SCAN ledger_changes" not in lines and "Seq Scan" not in lines, lines
    finally:
        reader.close()


def test_a_store_made_before_an_index_existed_gets_it_when_opened(db_url: str) -> None:
    open_ledger(db_url).close()
    engine = sa.create_engine(open_reader(db_url).url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ledger_entities_parent"))
    # A question opens the store, sees the read model lacks an index, and has it made.
    reader = open_reader(db_url)
    reader.close()
    with engine.connect() as conn:
        assert "ledger_entities_parent" in {
            i["name"] for i in sa.inspect(conn).get_indexes("ledger_entities")
        }
    engine.dispose()


def test_an_import_finds_facts_through_indexes_too(ledger: Ledger, tmp_path: Path) -> None:
    # The import asks the read model about the bodies it touches (a body's kind for a merger into
    # a new body or a split, a correction's target): each question must be an indexed lookup, or
    # every change costs a walk of a table that grows with the ledger. A generated history has
    # every kind of change, splits and corrections among them.
    from benchmarks.generate import generate

    from ledger.importers.changefiles import load

    generate(3000, tmp_path, seed=3)
    engine = ledger.app.engine
    with statements(engine) as sent:
        for path in sorted(tmp_path.glob("[0-9]*.json")):
            ledger.app.record_many(load(path, "tests").requests)
    questions = [
        (statement, params)
        for statement, params in sent
        if "ledger_facts" in statement
        and statement.lstrip().upper().startswith("SELECT")
        and not isinstance(params, list)  # an executemany is a write
    ]
    assert any("aspect" in statement for statement, _ in questions), "no kind was asked"
    problems = [
        f"{line}\n  {statement}"
        for statement, params in questions
        for line in fact_scans(engine, statement, params)
    ]
    assert not problems, "\n".join(problems)
