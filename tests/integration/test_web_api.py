"""The web's JSON API answers what the CLI's `--format json` answers for the same question, on the
store under test (SQLite, and PostgreSQL in its run); and a PostgreSQL store serves what a SQLite
store of the same changes serves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.bootstrap import open_reader
from ledger.web.server import create_app
from tests.conftest import Cli
from tests.support.stores import fresh_store

ROOT = Path(__file__).resolve().parents[2]
NHS_DEVON = "d019c939b5c15a8693d23e1a8bd44523"
CEO = "Chief Executive, Devon STP"

# address -> the CLI command that answers the same question
SAME_QUESTION = {
    "/on/2019-04-01/structure.json": ["structure", "--on", "2019-04-01"],
    "/on/2018-06-01/structure.json?kind=ccg&known-at=100": [
        "structure", "--on", "2018-06-01", "--kind", "ccg", "--known-at", "100",
    ],
    "/on/2017/structure.json?planned=1": ["structure", "--on", "2017", "--include-planned"],
    f"/on/2019-04-01/body/{NHS_DEVON}.json": ["show", NHS_DEVON, "--on", "2019-04-01"],
    f"/on/2019-04-01/body/{NHS_DEVON}/history.json": ["history", NHS_DEVON, "--on", "2019-04-01"],
    f"/on/2019-04-01/body/{NHS_DEVON}/lineage.json": ["lineage", NHS_DEVON, "--on", "2019-04-01"],
    "/person/Mairead McAlinden.json": ["person", "Mairead McAlinden"],
    "/diff/2019-03-31/2019-04-01.json": ["diff", "2019-03-31", "2019-04-01"],
    "/plans.json": ["plans"],
    "/plans.json?known-at=120": ["plans", "--known-at", "120"],
    "/sources.json": ["sources"],
    "/search.json?q=kernow": ["search", "kernow", "--limit", "50"],
}  # fmt: skip


def bundled(url: str, folder: Path) -> None:
    cli = Cli(url, folder)
    cli.ok("import", str(ROOT / "events"))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with fresh_store() as url:
        bundled(url, tmp_path_factory.mktemp("web"))
        yield url


def served(url: str) -> Any:
    reader = open_reader(url)
    return reader, create_app(reader.queries).test_client()


def answer(client: Any, address: str) -> Any:
    response = client.get(address)
    assert response.status_code == 200, (address, response.data[:300])
    assert response.mimetype == "application/json"
    return json.loads(response.data)


@pytest.mark.postgres(reason="serve over PostgreSQL answers as the CLI does over PostgreSQL")
def test_every_json_address_answers_what_the_cli_prints(store: str, tmp_path: Path) -> None:
    cli = Cli(store, tmp_path)
    reader, client = served(store)
    try:
        for address, command in SAME_QUESTION.items():
            assert answer(client, address) == json.loads(cli.ok(*command, "--format", "json")), (
                address
            )
        holders = answer(client, "/post/f323f35d43e75af394da70eaa4c4fcda.json")
        assert holders == json.loads(cli.ok("holders", CEO, "--all", "--format", "json"))
    finally:
        reader.close()


def _without_recorded_at(value: Any) -> Any:
    """An answer less the times its changes were recorded (two imports record at two times)."""
    if isinstance(value, dict):
        return {k: _without_recorded_at(v) for k, v in value.items() if k != "recorded_at"}
    if isinstance(value, list):
        return [_without_recorded_at(v) for v in value]
    return value


@pytest.mark.postgres(reason="the acceptance: serve over PostgreSQL gives the pages of SQLite")
def test_the_store_under_test_serves_what_a_sqlite_store_serves(store: str, tmp_path: Path) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'ledger.db'}"
    bundled(sqlite_url, tmp_path)
    ours, client = served(store)
    theirs, sqlite_client = served(sqlite_url)
    try:
        addresses = [*SAME_QUESTION, "/change/devon-ccgs-merge-2019-04.json", "/index.json"]
        for address in addresses:
            assert _without_recorded_at(answer(client, address)) == _without_recorded_at(
                answer(sqlite_client, address)
            ), address
        for address in ("/on/2019-04-01/structure", f"/on/2019-04-01/body/{NHS_DEVON}"):
            assert client.get(address).status_code == 200
    finally:
        ours.close()
        theirs.close()


def test_a_question_the_ledger_refuses_is_a_page_with_its_one_line(store: str) -> None:
    reader, client = served(store)
    try:
        missing = client.get("/on/2019-04-01/body/no-such-body")
        assert missing.status_code == 404
        assert b"no-such-body" in missing.data
        bad = client.get("/on/not-a-date/structure.json")
        assert bad.status_code == 400
        assert "not a date" in json.loads(bad.data)["error"]
        form = client.get("/structure?on=2019-04-01&known-at=&kind=ccg")
        assert form.status_code == 302
        assert form.headers["Location"] == "/on/2019-04-01/structure?kind=ccg"
    finally:
        reader.close()
