"""Several ledgers in one PostgreSQL database, each in a named schema: postgresql://.../db?schema=NAME."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SOURCE, Cli, one_line_error
from tests.support.stores import ENGINE

pytestmark = pytest.mark.postgres(
    reason="a ledger in a named PostgreSQL schema, set on every connection"
)


@pytest.mark.skipif(
    ENGINE == "sqlite", reason="schemas are a PostgreSQL feature; runs in the PostgreSQL pass"
)
def test_named_schemas_keep_ledgers_apart(cli: Cli) -> None:
    devon = Cli(f"{cli.url}?schema=devon", cli.cwd)
    cornwall = Cli(f"{cli.url}?schema=cornwall", cli.cwd)
    assert "ledger ready" in devon.ok("init")
    devon.ok("record", "established", "NEW Devon CCG", "--kind", "ccg", "-e", "2013-04-01", *SOURCE)
    cornwall.ok(
        "record", "established", "NHS Kernow CCG", "--kind", "ccg", "-e", "2013-04-01", *SOURCE
    )

    def names(c):
        return [
            o["name"]
            for o in json.loads(c.ok("structure", "--on", "2014-01-01", "--format", "json"))[
                "organisations"
            ]
        ]

    assert names(devon) == ["NEW Devon CCG"]
    assert names(cornwall) == ["NHS Kernow CCG"]
    assert names(cli) == []  # the default schema holds neither


def test_a_schema_name_must_be_plain(cli: Cli) -> None:
    if ENGINE == "sqlite":
        pytest.skip("schemas are a PostgreSQL feature; runs in the PostgreSQL pass")
    line = one_line_error(Cli(f"{cli.url}?schema=Bad-Name", cli.cwd)("init"))
    assert "not a plain name" in line
