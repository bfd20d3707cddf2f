"""What `ledger import DIR` reads from a directory."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli


def test_a_directory_import_skips_the_generators_manifest_and_registers_its_sources_first(
    cli: Cli, tmp_path: Path
) -> None:
    folder = tmp_path / "national"
    folder.mkdir()
    change = {
        "id": "moor-established",
        "change": "established",
        "effective": "2015-04-01",
        "organisation": "Moor Trust",
        "kind": "nhs_trust",
        "reason": "founding order",
        "sources": [{"source": "order-2015", "locator": "art. 1"}],
    }
    (folder / "0001.json").write_text(json.dumps({"recorder": "pmo", "changes": [change]}))
    (folder / "manifest.json").write_text(json.dumps({"size": 1, "seed": 7, "expect": {}}))
    (folder / "sources.yaml").write_text(
        "sources:\n  - id: order-2015\n    title: Founding order\n"
        '    date: "2015-03"\n    body: Secretary of State\n'
    )
    out = cli.ok("import", str(folder))
    assert out.strip().splitlines() == [
        f"{folder / 'sources.yaml'}: registered 1 sources",
        f"{folder / '0001.json'}: appended 1 changes",
    ]
