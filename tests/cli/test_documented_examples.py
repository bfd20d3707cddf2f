"""Every example the documentation shows runs as shown: each `--help`'s examples, and the `ledger`
lines of the shell blocks in the README and docs/, pasted in order into a shell at the repository
root, against the bundled ledger (a scratch copy of it, imported once, so that nothing they write
outlives the block).

They run in-process, as `ledger` would run them; a block about PostgreSQL (roles, a server's URL)
runs against a PostgreSQL database of its own, with the URL and role names made its own.
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from ledger.adapters.store import normalise_url
from tests.conftest import ledger_command
from tests.support.documented import ROOT, Block, document_blocks, help_blocks
from tests.support.stores import ENGINE, fresh_store

BLOCKS = help_blocks() + document_blocks()


def run(block: Block, folder: Path, monkeypatch: pytest.MonkeyPatch, **replace: str) -> None:
    """Each command of the block in turn, in `folder` as the working directory."""
    monkeypatch.chdir(folder)
    monkeypatch.setenv("HOME", str(folder))  # `ledger completion --install` writes under HOME
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    for command in block.commands:
        args = [_replaced(arg, replace) for arg in command.args]
        env = {name: _replaced(value, replace) for name, value in command.env}
        if args[:1] == ["serve"]:
            serves(args, folder, env)
            continue
        result = CliRunner().invoke(ledger_command(), args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, (
            f"{block.where}: `{command.text}` exited {result.exit_code}: {result.stderr}"
        )
        assert "Traceback" not in result.output


def serves(args: list[str], folder: Path, env: dict[str, str]) -> None:
    """`ledger serve ...` runs until stopped: run it as shown (on a free port of this machine's
    loopback), check that it answers its first page, and stop it."""
    import os
    import signal
    import subprocess
    import sys
    import time
    import urllib.request

    from tests.support.web import free_port

    port = free_port()
    shown = list(args)
    for option in ("--host", "--port"):
        if option in shown:
            at = shown.index(option)
            del shown[at : at + 2]
    command = [sys.executable, "-m", "ledger.cli.main", *shown, "--host", "127.0.0.1"]
    command += ["--port", str(port)]
    process = subprocess.Popen(
        command, cwd=folder, env={**os.environ, **env}, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as answer:
                    assert answer.status == 200
                    assert b"The ledger, on any date" in answer.read()
                    break
            except OSError:
                assert process.poll() is None, f"`ledger {' '.join(args)}` ended: {process.stderr}"
                assert time.monotonic() < deadline, f"`ledger {' '.join(args)}` never answered"
                time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "Traceback" not in stderr


def _replaced(text: str, replace: dict[str, str]) -> str:
    for old, new in replace.items():
        text = re.sub(old, new, text)
    return text


def scratch(folder: Path) -> Path:
    """A working directory like the repository root: the bundled change files and examples."""
    for name in ("events", "examples"):
        (folder / name).symlink_to(ROOT / name)
    return folder


@pytest.mark.parametrize(
    "block", [b for b in BLOCKS if not b.needs_postgresql], ids=lambda b: b.where
)
def test_the_example_runs_as_shown(
    block: Block, bundled_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = scratch(tmp_path)
    shutil.copyfile(bundled_file, folder / "ledger.db")  # ./ledger.db: the default store
    run(block, folder, monkeypatch)


def test_every_help_and_document_has_examples_to_run() -> None:
    wheres = {block.where for block in BLOCKS}
    assert {
        "ledger --help",
        "ledger record established --help",
        "ledger import-ods --help",
    } <= wheres
    assert any(w.startswith("README.md:") for w in wheres)
    assert any(w.startswith("docs/ods.md:") for w in wheres)
    assert all(block.commands for block in BLOCKS)


@pytest.fixture
def postgresql_bundled() -> Iterator[str]:
    with fresh_store() as url:
        result = CliRunner().invoke(ledger_command(), ["--db", url, "import", str(ROOT / "events")])
        assert result.exit_code == 0, result.stderr
        yield url


@pytest.mark.postgres(reason="the README's and `grant`'s examples are about PostgreSQL roles")
@pytest.mark.skipif(ENGINE == "sqlite", reason="roles need PostgreSQL; runs in the PostgreSQL pass")
@pytest.mark.parametrize("block", [b for b in BLOCKS if b.needs_postgresql], ids=lambda b: b.where)
def test_the_postgresql_example_runs_as_shown(
    block: Block, postgresql_bundled: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suffix = uuid.uuid4().hex[:8]
    roles = {name: f"{name}_{suffix}" for name in ("historian", "pmo")}
    url = postgresql_bundled.replace("postgresql+psycopg://", "postgresql://")
    server = url.split("@", 1)[1]
    replace = {
        r"postgresql://owner@db\.example/ledger": url,
        r"postgresql://postgres@127\.0\.0\.1/devon_ledger": url,
        r"postgresql://historian@127\.0\.0\.1/devon_ledger": f"postgresql://{roles['historian']}@{server}",
        r"^historian$": roles["historian"],
        r"^pmo$": roles["pmo"],
    }
    try:
        run(block, scratch(tmp_path), monkeypatch, **replace)
    finally:
        engine = sa.create_engine(normalise_url(url), isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            for name in roles.values():
                if conn.execute(
                    sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}
                ).first():
                    conn.execute(sa.text(f'DROP OWNED BY "{name}"'))
                    conn.execute(sa.text(f'DROP ROLE "{name}"'))
        engine.dispose()
