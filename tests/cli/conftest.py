"""Fixtures for CLI tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import Cli, one_line_error

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
