"""The sources registry and the sources' own time, told through the CLI.

The bundled ledger's papers are registered by `ledger import events/` (events/sources.yaml); a
change citing a paper that is not registered is refused with the close ids; `ledger sources` says
what each paper supports; `--published-by` answers from the papers published by a date.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SOURCE, Cli, fingerprint, one_line_error
from tests.support.stores import fresh_store

EVENTS = Path(__file__).resolve().parents[2] / "events"
PAPERS = [
    "devon-pdeg-2017-09-15",
    "devon-stp-update-2017-10-24",
    "cios-transformation-2017-12-19",
    "sdt-lcp-2018-03-09",
    "plymouth-hasc-2019-03-20",
]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """One store holding the bundled ledger, shared by this module's questions (which write nothing)."""
    with fresh_store() as url:
        cli = Cli(url, tmp_path_factory.mktemp("bundled"))
        cli.ok("import", str(EVENTS))
        yield cli


def as_json(cli: Cli, *args: str) -> Any:
    return json.loads(cli.ok(*args, "--format", "json"))


def labels(entries: list[dict[str, Any]]) -> list[str]:
    return [e["change"] for e in entries]


def each_cites_one_of(citations: list[dict[str, Any]], papers: list[str]) -> bool:
    """Every change an answer cites has one of these papers among its sources (a change is
    known from its earliest source; its later ones are cited with it)."""
    by_change: dict[str, set[str]] = {}
    for cited in citations:
        by_change.setdefault(cited["change"], set()).add(cited["source"])
    return bool(by_change) and all(found & set(papers) for found in by_change.values())


# --- the registry ----------------------------------------------------------------------------


def test_importing_the_bundled_ledger_registers_its_five_papers_first(cli: Cli) -> None:
    out = cli.ok("import", str(EVENTS))
    assert out.splitlines()[0] == f"{EVENTS / 'sources.yaml'}: registered 5 sources"
    assert "total: appended 244 changes from 5 files" in out
    # Again: nothing new, the registrations included.
    again = cli.ok("import", str(EVENTS))
    assert f"{EVENTS / 'sources.yaml'}: registered 0 sources, 5 already registered" in again
    assert again.rstrip().endswith("nothing new: every change was already recorded")


def test_ledger_sources_lists_each_paper_with_what_it_supports(bundled: Cli) -> None:
    found = as_json(bundled, "sources")["sources"]
    assert [s["id"] for s in found] == PAPERS  # by publication date
    hasc = found[-1]
    assert hasc["title"] == "Integrated Commissioning and Integrated Delivery – Next Steps"
    assert hasc["published"] == "2019-03-20"
    assert hasc["issued_by"].startswith("Plymouth City Council")
    assert hasc["registered"] is True
    merger = next(c for c in hasc["supports"] if c["change"] == "devon-ccgs-merge-2019-04")
    assert merger == {
        "change": "devon-ccgs-merge-2019-04",
        "kind": "merged",
        "effective": "2019-04-01",
        "status": "happened",
        "locator": "Section One, 3 Merger of the Devon CCGs",
    }
    # Every current change of the bundled ledger cites one of the five papers.
    cited = {c["change"] for s in found for c in s["supports"]}
    logged = {c["change"] for c in as_json(bundled, "log")["changes"]}
    assert cited == {c for c in logged if not c.startswith("source:")}
    table = bundled.ok("sources")
    assert table.splitlines()[0] == "Sources: 5"
    assert "devon-ccgs-merge-2019-04" not in table or "changes:" in table


def test_a_change_citing_an_unregistered_source_is_refused_with_the_close_ids(
    bundled: Cli,
) -> None:
    before = fingerprint(bundled.url)
    for cited, hint in (
        ("not-a-real-source", None),
        ("devon-pdeg-2017-09-16", "did you mean 'devon-pdeg-2017-09-15'"),
    ):
        line = one_line_error(
            bundled(
                "record", "closed", "Livewell Southwest", "--effective", "2030-01-01",
                "--source", f"{cited}:p. 1", "--reason", "test",
            )
        )  # fmt: skip
        assert f"unknown source {cited!r}" in line
        assert hint is None or hint in line
        assert "register it first" in line
    assert fingerprint(bundled.url) == before


def test_a_store_registers_its_sources_with_ledger_source_add(cli: Cli) -> None:
    # A new store has no registry: its changes cite what they cite.
    cli.ok("record", "established", "Alpha NHS Trust", "--kind", "nhs_trust",
           "--effective", "2017-04-01", *SOURCE)  # fmt: skip
    out = cli.ok(
        "source", "add", "board-minutes-2018", "--title", "Board minutes, June 2018",
        "--published", "2018-06", "--issued-by", "Alpha NHS Trust", "--kind", "minutes",
    )  # fmt: skip
    assert out.startswith("registered: source board-minutes-2018 published 2018-06")
    # Registering it again as it is changes nothing.
    assert cli.ok(
        "source", "add", "board-minutes-2018", "--title", "Board minutes, June 2018",
        "--published", "2018-06", "--issued-by", "Alpha NHS Trust", "--kind", "minutes",
    ).startswith("already recorded")  # fmt: skip
    # From its first registered source, the store's changes cite registered sources only.
    line = one_line_error(
        cli("record", "closed", "Alpha NHS Trust", "--effective", "2019", "--source",
            "board-minutes-2019:item 4", "--reason", "closed")
    )  # fmt: skip
    assert "unknown source 'board-minutes-2019'; did you mean 'board-minutes-2018'?" in line
    cli.ok("record", "closed", "Alpha NHS Trust", "--effective", "2019", "--source",
           "board-minutes-2018:item 4", "--reason", "closed")  # fmt: skip
    # The earlier change's source is listed, not registered.
    found = {s["id"]: s for s in as_json(cli, "sources")["sources"]}
    assert found["board-minutes-2018"]["published"] == "2018-06"
    assert labels(found["board-minutes-2018"]["supports"]) != []
    assert found["test-paper"]["registered"] is False


def test_the_registry_survives_a_rebuild_and_is_verified(cli: Cli) -> None:
    cli.ok("import", str(EVENTS / "sources.yaml"))
    before = as_json(cli, "sources")
    cli.ok("rebuild")
    assert as_json(cli, "sources") == before
    assert "the read model equals a rebuild" in cli.ok("verify")


def test_a_bad_sources_file_is_refused_in_one_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text("sources:\n  - id: x\n    title: A paper\n    body: A board\n")
    line = one_line_error(cli("import", str(path)))
    assert "source 1 (x): missing field 'date'" in line
    assert fingerprint(cli.url) == (0, "", 0)


# --- the sources' own time ---------------------------------------------------------------------


def test_plans_published_by_a_date_are_those_the_papers_of_then_made(bundled: Cli) -> None:
    # By the end of 2017: the plans of the September, October and December 2017 papers, which
    # include those for April 2018.
    by_2017 = as_json(bundled, "plans", "--published-by", "2017-12-31")
    assert by_2017["published_by"] == "2017-12-31"
    april_2018 = [
        c for c in by_2017["changes"] if c["effective"].startswith(("2018-04", "2018-Q2"))
    ]
    assert {c["change"] for c in april_2018} >= {
        "devon-ccgs-joint-chief-executive-plan-2018-04",
        "cios-shadow-working-2018-04-01",
    }
    # By the end of September 2017: only the September 2017 paper's.
    by_september = as_json(bundled, "plans", "--published-by", "2017-09-30")["changes"]
    assert by_september
    assert {s["source"] for c in by_september for s in c["sources"]} == {"devon-pdeg-2017-09-15"}
    assert set(labels(by_september)) < set(labels(by_2017["changes"]))
    # A month means its last day: the paper of 15 September is published "by 2017-09".
    assert labels(as_json(bundled, "plans", "--published-by", "2017-09")["changes"]) == labels(
        by_september
    )
    assert as_json(bundled, "plans", "--published-by", "2017-09-14")["changes"] == []


def test_every_question_answers_from_the_papers_published_by_a_date(bundled: Cli) -> None:
    on = ["--on", "2019-06-01"]
    everything = as_json(bundled, "structure", *on)["organisations"]
    by_2017 = as_json(bundled, "structure", *on, "--published-by", "2017-12-31")["organisations"]
    # NHS Devon CCG is first said in the 2019 paper.
    assert "NHS Devon CCG" in [o["name"] for o in everything]
    assert "NHS Devon CCG" not in [o["name"] for o in by_2017]
    assert each_cites_one_of([c for o in by_2017 for c in o["sources"]], PAPERS[:3])
    count = as_json(bundled, "count", *on, "--published-by", "2017-12-31")
    assert count["total"] == len(by_2017)
    history = as_json(bundled, "history", "NHS Devon CCG", "--published-by", "2018-12-31")
    assert history["changes"] == []
    assert as_json(bundled, "history", "NHS Devon CCG")["changes"] != []
    lineage = as_json(bundled, "lineage", "NHS Devon CCG", "--published-by", "2018-12-31")
    assert lineage["edges"] == []
    shown = as_json(bundled, "show", "Livewell Southwest", *on, "--published-by", "2017-10-31")
    assert each_cites_one_of(shown["organisation"]["sources"], PAPERS[:2])
    logged = as_json(bundled, "log", "--published-by", "2017-09-15")["changes"]
    assert logged and all(
        "devon-pdeg-2017-09-15" in {s["source"] for s in c["sources"]} for c in logged
    )
    diff = as_json(bundled, "diff", "2017-01-01", "2019-12-31", "--published-by", "2017-10-24")
    assert diff["changes"] and all(
        {s["source"] for s in c["sources"]} & set(PAPERS[:2]) for c in diff["changes"]
    )
    assert len(diff["changes"]) < len(
        as_json(bundled, "diff", "2017-01-01", "2019-12-31")["changes"]
    )
    holders = as_json(
        bundled, "holders", "Chief Executive, Devon STP", "--all", "--published-by", "2017-12-31"
    )
    assert [h["person"] for h in holders["holders"]] == [
        h["person"]
        for h in as_json(bundled, "holders", "Chief Executive, Devon STP", "--all")["holders"]
        if {s["source"] for s in h["sources"]} & set(PAPERS[:3])
    ]
    sources = as_json(bundled, "sources", "--published-by", "2017-10")["sources"]
    assert [s["id"] for s in sources] == PAPERS[:2]


def test_a_bad_published_by_date_is_refused_in_one_line(bundled: Cli) -> None:
    line = one_line_error(bundled("structure", "--published-by", "2017-13"))
    assert line.startswith("ledger: error: --published-by: '2017-13' is not a real date")


def test_a_bodys_names_published_by_a_date_are_those_the_papers_of_then_give(
    bundled: Cli,
) -> None:
    # By the end of September 2017 only the PDEG paper of 15 September had said the STP was
    # developing as an ACS; the emerging ICS comes from the paper of 9 March 2018.
    def names(*extra: str) -> list[str]:
        shown = as_json(bundled, "show", "Devon STP", "--on", "2017-10-24", *extra)
        return [n["name"] for n in shown["organisation"]["names"]]

    assert names("--published-by", "2017-09-30") == ["Devon STP", "Devon Accountable Care System"]
    assert "Devon Integrated Care System" in names()
