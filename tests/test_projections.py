"""The checked-in projections are what the events say: rebuilt from events/, they come out identical."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import Cli

ROOT = Path(__file__).resolve().parents[1]


def test_projections_match_a_rebuild_from_the_events(cli: Cli, tmp_path: Path) -> None:
    # Build the bundled ledger on a fresh store, then write the milestone snapshots.
    cli.ok("import", str(ROOT / "events"))
    out = tmp_path / "projections"
    cli.ok("project", "--out", str(out))
    checked_in = sorted(p.name for p in (ROOT / "projections").iterdir())
    rebuilt = sorted(p.name for p in out.iterdir())
    assert rebuilt == checked_in
    for name in rebuilt:
        expected = (ROOT / "projections" / name).read_text(encoding="utf-8")
        assert (out / name).read_text(encoding="utf-8") == expected, (
            f"projections/{name} is stale: run `make projections`"
        )
    # Each file says which command made it.
    for name in rebuilt:
        assert (
            "ledger project --out projections/"
            in (out / name)
            .read_text(encoding="utf-8")
            .splitlines()[2 if name.endswith(".md") else 1]
        )
    # The milestones the issue asks for are all there.
    for milestone in (
        "2015-04-01",
        "2017-09-15",
        "2017-12-19",
        "2018-04-01",
        "2019-03-31",
        "2019-04-01",
        "current",
    ):
        assert f"{milestone}.md" in rebuilt and f"{milestone}.json" in rebuilt
