"""`ledger atlas --out DIR`: the bundled ledger as a static site that opens from the file system
(every relative link leads to a file written), each page beside the JSON the CLI prints; and the
refusals of `atlas` and `serve`."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote

import pytest

from tests.conftest import Cli, one_line_error


@pytest.fixture(scope="module")
def site(bundled_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Cli, Path]:
    folder = tmp_path_factory.mktemp("atlas")
    shutil.copyfile(bundled_file, folder / "ledger.db")
    cli = Cli(f"sqlite:///{folder / 'ledger.db'}", folder)
    out = cli.ok("atlas", "--out", str(folder / "site"))
    assert re.fullmatch(r"wrote \d+ pages to .*site \(open .*index\.html\)\n", out)
    return cli, folder / "site"


def test_the_atlas_opens_from_the_file_system_with_every_link_leading_to_a_page(
    site: tuple[Cli, Path],
) -> None:
    _, root = site
    pages = list(root.rglob("*.html"))
    assert (root / "index.html").exists()
    assert (root / "on" / "2019-04-01" / "structure.html").exists()
    assert (root / "static" / "ledger.css").exists()
    links = 0
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "")
        for href in re.findall(r'(?:href|src)="([^"]+)"', text):
            assert not href.startswith("/"), (page, href)  # relative: no server needed
            assert (page.parent / unquote(href)).exists(), (page, href)
            links += 1
    assert links > 1000


def test_each_page_of_the_atlas_has_the_json_the_cli_prints(site: tuple[Cli, Path]) -> None:
    cli, root = site
    for on in ("2019-03-31", "2019-04-01", "2015-04-01"):
        written = json.loads((root / "on" / on / "structure.json").read_text(encoding="utf-8"))
        assert written == json.loads(cli.ok("structure", "--on", on, "--format", "json"))
    merger = (root / "change" / "devon-ccgs-merge-2019-04.html").read_text(encoding="utf-8")
    assert "NEW Devon CCG, South Devon and Torbay CCG merged into NHS Devon CCG" in merger


def test_the_atlas_refuses_a_folder_that_is_not_empty_unless_forced(
    site: tuple[Cli, Path],
) -> None:
    cli, root = site
    line = one_line_error(cli("atlas", "--out", str(root)))
    assert (
        line
        == f"ledger: error: {root} is not empty; give --force to write into it, or another --out"
    )
    assert cli("atlas", "--out", str(root)).exit_code == 2
    (root / "mine.txt").write_text("kept", encoding="utf-8")
    cli.ok("atlas", "--out", str(root), "--force")
    assert (root / "mine.txt").read_text(encoding="utf-8") == "kept"
    assert (root / "index.html").exists()


def test_serve_and_atlas_never_create_a_store(tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    for command in (["serve", "--port", "0"], ["atlas", "--out", str(tmp_path / "site")]):
        result = Cli(str(missing), tmp_path)(*command)
        assert result.exit_code == 6
        assert one_line_error(result).startswith("ledger: error: no ledger at ")
    assert not missing.exists()
    assert not (tmp_path / "site").exists()
