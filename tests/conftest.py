"""Test fixtures: a real store per test (a SQLite file in tmp_path, or a PostgreSQL database of its own).

Choose the engine with LEDGER_TEST_DB=sqlite (default) or LEDGER_TEST_DB=postgresql; the PostgreSQL
server is the local one (127.0.0.1:5432, trust auth) unless LEDGER_TEST_PG_URL says otherwise.
Each test gets a fresh database, created before and dropped after it.

The SQLite run is the whole suite. `make test` runs on PostgreSQL only the tests marked
`@pytest.mark.postgres(reason=...)` (`-m postgres`; the others are deselected): those about PostgreSQL's
own behaviour and a representative slice of the rest, each mark saying which and why.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
import sqlalchemy as sa
import typer
from click.testing import CliRunner, Result

from ledger.bootstrap import Ledger, open_ledger
from ledger.cli.main import app
from tests.support.stores import ENGINE, fresh_store


def pytest_configure(config: pytest.Config) -> None:
    # Tables are fitted to COLUMNS when it is set; the tests read them as a pipe would get them
    # (one line a row) unless a test sets a width itself. GNU readline (which pytest loads)
    # exports COLUMNS and LINES behind os.environ's back: set, then delete, to unset them for
    # the commands the tests run in subprocesses too.
    for name in ("COLUMNS", "LINES"):
        os.environ[name] = ""
        del os.environ[name]


def pytest_report_header() -> list[str]:
    return [f"ledger test engine: {ENGINE}"]


@pytest.fixture
def db_url() -> Iterator[str]:
    """A URL of an empty store that exists only for this test."""
    with fresh_store() as url:
        yield url


@pytest.fixture
def ledger(db_url: str) -> Iterator[Ledger]:
    opened = open_ledger(db_url)
    try:
        yield opened
    finally:
        opened.close()


@functools.cache
def ledger_command() -> click.Command:
    """The `ledger` command as click runs it, built from the typer app once per process. `ledger`
    builds it once per run, at start-up (typer reads every option of every command); built again
    for each of the tests' thousands of runs, it was most of what a run cost them."""
    return typer.main.get_command(app)


@dataclass
class Cli:
    """Runs `ledger --db URL ...` in-process, as a user would type it."""

    url: str
    cwd: Path

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(
            ledger_command(), ["--db", self.url, *args], input=input, catch_exceptions=False
        )

    def ok(self, *args: str) -> str:
        result = self(*args)
        assert result.exit_code == 0, (
            f"ledger {' '.join(args)} failed ({result.exit_code}): {result.stderr}"
        )
        return result.stdout


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path)


def fingerprint(url: str) -> tuple[int, str, int]:
    """(number of stored events, hash of the last stored row, number of read-model changes)."""
    from ledger.adapters.store import normalise_url

    engine = sa.create_engine(normalise_url(url))
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table("ledger_events"):
                return (0, "", 0)
            rows = conn.execute(
                sa.text(
                    "SELECT id, originator_id, originator_version, topic, state FROM ledger_events ORDER BY id"
                )
            ).all()
            last = hashlib.sha256(repr(tuple(rows[-1])).encode()).hexdigest() if rows else ""
            changes = conn.execute(sa.text("SELECT count(*) FROM ledger_changes")).scalar() or 0
            return (len(rows), last, int(changes))
    finally:
        engine.dispose()


@pytest.fixture
def store_fingerprint(db_url: str) -> Callable[[], tuple[int, str, int]]:
    return lambda: fingerprint(db_url)


SOURCE = ["--source", "test-paper:section 1", "--reason", "test"]


def one_line_error(result: Result) -> str:
    """The refusal contract: non-zero exit, nothing on stdout, exactly one line on stderr."""
    assert result.exit_code != 0, f"expected a refusal, got exit 0: {result.stdout}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got: {result.stderr!r}"
    assert "Traceback" not in result.stderr
    return lines[0]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in the PostgreSQL run says why it is there."""
    for item in items:
        for mark in item.iter_markers("postgres"):
            if not mark.kwargs.get("reason"):
                raise pytest.UsageError(
                    f"{item.nodeid}: say why it runs on PostgreSQL (reason=...)"
                )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """In CI the PostgreSQL run must really run: no skipped test, and at least one test. And the
    browser tests (tests/browser, headless Chromium) must run in the SQLite run: none skipped."""
    if not os.environ.get("CI"):
        return
    if hasattr(session.config, "workerinput"):
        return  # a worker of `pytest -n`: the controller counts every worker's tests
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    stats = getattr(reporter, "stats", {}) if reporter else {}
    if ENGINE == "sqlite":
        _browser_tests_ran(session, stats)
        return
    if ENGINE not in ("postgresql", "postgres"):
        return
    skipped = len(stats.get("skipped", []))
    passed = len(stats.get("passed", []))
    if skipped or not passed:
        print(f"\nCI: the PostgreSQL run must not skip tests (passed {passed}, skipped {skipped})")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _browser_tests_ran(session: pytest.Session, stats: dict[str, list[object]]) -> None:
    """The browser tests that were collected all passed: a missing chromium skips them, which CI
    counts as a failure (`.ci/run` installs chromium and chromium-driver)."""

    def browser(reports: list[object]) -> int:
        return sum(1 for r in reports if getattr(r, "nodeid", "").startswith("tests/browser/"))

    skipped = browser(stats.get("skipped", []))
    if skipped:
        print(f"\nCI: the browser tests must not be skipped ({skipped} skipped)")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
