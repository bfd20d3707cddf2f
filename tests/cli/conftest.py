"""Fixtures for CLI tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import Cli, ledger_command, one_line_error

ROOT = Path(__file__).resolve().parents[2]

Fingerprint = Callable[[], tuple[int, str, int]]


@pytest.fixture
def refuse(cli: Cli, store_fingerprint: Fingerprint) -> Callable[..., str]:
    """Run a command the ledger must refuse; check the refusal contract and return the error line."""

    def attempt(*args: str) -> str:
        before = store_fingerprint()
        result = cli(*args)
        line = one_line_error(result)
        assert result.exit_code != 0
        assert not result.stdout.strip(), f"a refusal printed to stdout: {result.stdout!r}"
        assert store_fingerprint() == before, "a refused command altered the store"
        return line

    return attempt


@pytest.fixture(scope="session")
def bundled_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled ledger (events/), imported once into a SQLite file: tests copy it, or only read it."""
    path = tmp_path_factory.mktemp("bundled") / "ledger.db"
    result = CliRunner().invoke(
        ledger_command(), ["--db", str(path), "import", str(ROOT / "events")]
    )
    assert result.exit_code == 0, result.stderr
    return path
